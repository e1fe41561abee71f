"""`plek backup DIR`: database + uploaded files + manifest (counts and checksums) into DIR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plek.platform.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup or pg_dump) and uploads into an empty directory."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("target", type=Path, help="Directory to write (created; must be empty).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            manifest = backup_create(options["target"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(t["rows"] for t in manifest["tables"].values())
        self.stdout.write(
            json.dumps(
                {
                    "backup": str(options["target"]),
                    "engine": manifest["engine"],
                    "tables": len(manifest["tables"]),
                    "rows": rows,
                    "files": len(manifest["files"]),
                }
            )
        )
