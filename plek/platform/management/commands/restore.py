"""`plek restore DIR`: restore a `plek backup` into an empty instance, erase again what the erasure
log says was erased since, and rebuild the search index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plek.platform.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `plek backup` into this (empty) instance, then reindex search."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("source", type=Path)
        parser.add_argument("--no-reindex", action="store_true", help="Skip rebuilding the search index.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup_restore(options["source"], reindex=not options["no_reindex"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps(report))
