"""`plek import KIND FILE [--dry-run] [--keep-going] [--format csv|json]`: bulk import into the Atlas.

Each row is validated by the same form as the pages and API and saved through the Atlas services
(one history row per row, source "import"). All-or-nothing by default."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from plek.atlas.importers import (
    FORMATS,
    KINDS,
    MULTI_SEPARATOR,
    ImportFileError,
    ImportReport,
    import_records,
    import_viewer,
    read_file,
)
from plek.core.hooks import hooks

MAX_ERRORS_SHOWN = 50
EXIT_PARTIAL = 2  # --keep-going imported the valid rows, but some were rejected


def _extra_kinds() -> dict[str, tuple[Any, Any]]:
    """Kinds of higher layers (e.g. knowledge): word -> (reader, importer), registered in
    plek/platform/registry.py (`hooks.import_kinds`)."""
    return dict(hooks.import_kinds)


class Command(BaseCommand):
    help = (
        "Import Atlas entities from a CSV file (header row; several values in one cell separated by "
        f"'{MULTI_SEPARATOR}') or a JSON list of objects. Rows are matched on slug (regions: code) and "
        "updated in place; everything is rolled back when any row is invalid, unless --keep-going."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=sorted([*KINDS, *_extra_kinds()]), help="What the file holds.")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format", choices=FORMATS, default=None, help="Default: from the file extension."
        )
        parser.add_argument("--dry-run", action="store_true", help="Validate everything, change nothing.")
        parser.add_argument(
            "--keep-going", action="store_true", help="Save the valid rows and report the invalid ones."
        )
        parser.add_argument("--user", default=None, help="Username recorded as the author in the history.")

    def handle(self, *args: Any, **options: Any) -> None:
        extra = _extra_kinds().get(options["kind"])
        kind = KINDS.get(options["kind"], options["kind"])
        path: Path = options["file"]
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"no active user {options['user']!r}")
        try:
            records = extra[0](path, options["format"]) if extra else read_file(path, kind, options["format"])
        except ImportFileError as exc:
            message = str(exc).rstrip(".")
            if not message.startswith(path.name):
                message = f"{path.name}: {message}"
            raise CommandError(f"{message}. Nothing was imported.") from None
        err_stream = getattr(self.stderr, "_out", self.stderr)
        with tqdm(
            total=len(records),
            desc=f"import {options['kind']}",
            unit="rows",
            file=err_stream,
            disable=options["verbosity"] < 1 or not records,
        ) as bar:
            run: Any = extra[1] if extra else partial(import_records, kind)
            report = run(
                records,
                viewer=import_viewer(user),
                dry_run=options["dry_run"],
                keep_going=options["keep_going"],
                progress=bar.update,
            )
        self._finish(report, path, options)

    def _finish(self, report: ImportReport, path: Path, options: dict[str, Any]) -> None:
        noun = options["kind"]
        counts = f"{report.created} created, {report.updated} updated"
        if not report.errors:
            if report.dry_run:
                self.stdout.write(
                    f"Dry run: all {report.total} {noun} rows in {path.name} are valid ({counts}); nothing was changed."
                )
            else:
                self.stdout.write(f"Imported {report.total} {noun} rows from {path.name}: {counts}.")
            return
        listed = [str(e) for e in report.errors[:MAX_ERRORS_SHOWN]]
        if len(report.errors) > MAX_ERRORS_SHOWN:
            listed.append(f"... and {len(report.errors) - MAX_ERRORS_SHOWN} more errors")
        rejected = len(report.rejected)
        if report.committed:
            head = (
                f"{path.name}: imported {report.ok} of {report.total} {noun} rows ({counts}); "
                f"{rejected} rejected:"
            )
            raise CommandError("\n  ".join([head, *listed]), returncode=EXIT_PARTIAL)
        outcome = (
            "Dry run: nothing was changed."
            if report.dry_run
            else "Nothing was imported (all or nothing; use --keep-going to save the valid rows)."
        )
        head = f"{path.name}: {rejected} of {report.total} {noun} rows are invalid. {outcome}"
        raise CommandError("\n  ".join([head, *listed]))
