"""`plek demo [--scale small|national]`: reference data plus a clearly marked synthetic field."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from plek.atlas.boundaries import boundaries_import
from plek.atlas.demo import SIZES, Demo
from plek.atlas.models import Person
from plek.atlas.reference_data import reference_load


class Command(BaseCommand):
    help = "Load the reference set and a synthetic demo field (marked as demo data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", choices=sorted(SIZES), default="small")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the database has data.")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and Person.objects.exists():
            self.stdout.write("Database already has data; demo not loaded.")
            return
        if Person.objects.filter(is_synthetic=True).exists():
            raise CommandError("Demo data is already loaded. Start from an empty database to load it again.")
        started = time.perf_counter()
        counts = reference_load()
        self.stdout.write(f"Reference data: {counts}")
        boundary_file = Path(settings.PLEK_BOUNDARIES_FILE)
        if boundary_file.exists():
            report = boundaries_import(boundary_file)
            self.stdout.write(f"Boundaries: {report.matched} regions, {len(report.dissolved)} provinces dissolved")
        else:
            self.stdout.write("No boundary file found; the map shows its table only.")
        sizes = SIZES[options["scale"]]
        total = sum(sizes.values())
        with tqdm(total=total, desc="demo", unit="rows", disable=options["verbosity"] < 1) as bar:
            def progress(label: str, n: int) -> None:
                bar.set_postfix_str(label)
                bar.update(n)

            counts = Demo(options["scale"], seed=options["seed"], progress=progress).run()
        self.stdout.write(f"Demo data: {counts} in {time.perf_counter() - started:.1f} s")
