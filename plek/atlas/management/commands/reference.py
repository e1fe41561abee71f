"""`plek reference load`: (re)load the official reference set and the boundary fixture; safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from plek.atlas.boundaries import boundaries_load_default
from plek.atlas.reference_data import reference_load


class Command(BaseCommand):
    help = "Load or update regions, themes and national programmes from the reference set."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["load"])
        parser.add_argument("--no-boundaries", action="store_true", help="Leave region shapes as they are.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts: dict[str, Any] = dict(reference_load())
        if not options["no_boundaries"]:
            report = boundaries_load_default()
            counts["boundaries"] = report.matched
            counts["boundaries_dissolved"] = len(report.dissolved)
        self.stdout.write(str(counts))
