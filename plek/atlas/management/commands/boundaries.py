"""`plek boundaries import FILE`: region shapes from GeoJSON or TopoJSON, matched on official codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plek.atlas.boundaries import boundaries_import
from plek.atlas.geo import BoundaryFileError


class Command(BaseCommand):
    help = "Import region boundaries (GeoJSON or TopoJSON) matched on official codes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["import"])
        parser.add_argument("file", type=Path)
        parser.add_argument("--code-property", default=None, help="Feature property holding the code.")
        parser.add_argument("--tolerance", type=float, default=0.002, help="Simplification in degrees.")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.exists():
            raise CommandError(f"{path}: file not found")
        try:
            report = boundaries_import(
                path, code_property=options["code_property"], tolerance=options["tolerance"]
            )
        except BoundaryFileError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{report.matched} regions matched, {len(report.unmatched)} codes unknown"
            f"{' (' + ', '.join(report.unmatched[:10]) + ')' if report.unmatched else ''}, "
            f"{report.without_code} features without code, {len(report.dissolved)} provinces dissolved."
        )
