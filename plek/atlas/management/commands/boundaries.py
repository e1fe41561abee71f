"""`plek boundaries import FILE`: region shapes from GeoJSON or TopoJSON, matched on official codes.

`plek boundaries load` loads the default (the committed fixture); `plek boundaries generalise SRC DEST`
writes a generalised copy of a TopoJSON file (how the fixture was made)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plek.atlas.boundaries import boundaries_fixture_write, boundaries_import, boundaries_load_default
from plek.atlas.geo import BoundaryFileError


class Command(BaseCommand):
    help = "Import region boundaries (GeoJSON or TopoJSON) matched on official codes."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["import", "load", "generalise"])
        parser.add_argument("file", type=Path, nargs="?")
        parser.add_argument("dest", type=Path, nargs="?", help="generalise: where to write.")
        parser.add_argument("--code-property", default=None, help="Feature property holding the code.")
        parser.add_argument("--tolerance", type=float, default=0.002, help="Simplification in degrees.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            self._report(boundaries_load_default())
            return
        path: Path | None = options["file"]
        if path is None:
            raise CommandError("give a FILE")
        if not path.exists():
            raise CommandError(f"{path}: file not found")
        if options["action"] == "generalise":
            if options["dest"] is None:
                raise CommandError("give SRC and DEST")
            try:
                self.stdout.write(
                    str(boundaries_fixture_write(path, options["dest"], tolerance=options["tolerance"]))
                )
            except BoundaryFileError as exc:
                raise CommandError(str(exc)) from exc
            return
        try:
            report = boundaries_import(
                path, code_property=options["code_property"], tolerance=options["tolerance"]
            )
        except BoundaryFileError as exc:
            raise CommandError(str(exc)) from exc
        self._report(report)

    def _report(self, report: Any) -> None:
        self.stdout.write(
            f"{report.matched} regions matched, {len(report.unmatched)} codes unknown"
            f"{' (' + ', '.join(report.unmatched[:10]) + ')' if report.unmatched else ''}, "
            f"{report.without_code} features without code, {len(report.dissolved)} regions dissolved from their municipalities."
        )
