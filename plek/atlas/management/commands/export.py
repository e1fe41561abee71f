"""`plek export [--format json|jsonld] [--output FILE] [--include-private]`: the Atlas as one document.

By default the export is what the anonymous public may see; --include-private exports everything
(an administrator's export: handle the file as personal data)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from plek.atlas.exporters import DEFAULT_BATCH_SIZE, FORMATS, export_atlas, export_viewer, section_counts


class Command(BaseCommand):
    help = (
        "Export the Atlas (regions, themes, organisations, people, networks, hubs, programmes, relations) "
        "as JSON or JSON-LD (schema.org). Public information only, unless --include-private."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--format", choices=FORMATS, default="json")
        parser.add_argument(
            "--output", "-o", type=Path, default=None, help="File to write (default: stdout)."
        )
        parser.add_argument(
            "--include-private",
            action="store_true",
            help="Export everything, including non-public entities and people's hidden fields.",
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="Rows read per query.")

    def handle(self, *args: Any, **options: Any) -> None:
        viewer = export_viewer(options["include_private"])
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        err_stream = getattr(self.stderr, "_out", self.stderr)
        show = options["verbosity"] >= 1 and options["output"] is not None
        total = sum(section_counts(viewer).values()) if show else 0
        with tqdm(total=total, desc="export", unit="rows", file=err_stream, disable=not show) as bar:

            def progress(section: str, n: int) -> None:
                bar.set_postfix_str(section)
                bar.update(n)

            kwargs = {
                "viewer": viewer,
                "fmt": options["format"],
                "batch_size": options["batch_size"],
                "progress": progress,
            }
            output: Path | None = options["output"]
            try:
                if output is None:
                    counts = export_atlas(getattr(self.stdout, "_out", sys.stdout), **kwargs)
                else:
                    counts = self._to_file(output, kwargs)
            except OSError as exc:
                raise CommandError(
                    f"{output or 'stdout'}: cannot write the export ({exc.strerror or exc})"
                ) from None
        if output is not None:
            summary = ", ".join(f"{n} {name}" for name, n in counts.items())
            audience = "everything (private export)" if options["include_private"] else "public information"
            self.stderr.write(f"Exported {summary} to {output} ({options['format']}, {audience}).")

    def _to_file(self, output: Path, kwargs: dict[str, Any]) -> dict[str, int]:
        """Write next to the target and move it into place, so a failed export leaves no half file."""
        directory = output.resolve().parent
        if not directory.is_dir():
            raise CommandError(f"{output}: directory {directory} does not exist")
        partial: str | None = None
        try:
            with tempfile.NamedTemporaryFile(
                "w", encoding="utf-8", dir=directory, prefix=f".{output.name}.", suffix=".part", delete=False
            ) as handle:
                partial = handle.name
                counts = export_atlas(handle, **kwargs)
            os.replace(partial, output)
        except BaseException:
            if partial is not None:
                Path(partial).unlink(missing_ok=True)
            raise
        return counts
