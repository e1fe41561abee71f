"""`plek demo [--scale small|national] [--items N]`: the reference set plus a clearly marked
synthetic field. Each app contributes a step (`hooks.demo_steps`, registered in
plek/platform/registry.py), in layer order."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from plek.atlas.models import Person
from plek.core.hooks import hooks
from plek.core.models import ChangeLog


class Command(BaseCommand):
    help = "Load the reference set and a synthetic demo field (marked as demo data)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--scale", choices=["small", "national"], default="small")
        parser.add_argument(
            "--items",
            type=int,
            default=None,
            help="Number of knowledge items (default 300, national 100,000; at most 1,000,000).",
        )
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when the database has data.")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["items"] is not None and not 0 <= options["items"] <= 1_000_000:
            raise CommandError("--items must be between 0 and 1,000,000.")
        if options["if_empty"] and (Person.objects.exists() or ChangeLog.objects.exists()):
            self.stdout.write("Database already has data; demo not loaded.")
            return
        if Person.objects.filter(is_synthetic=True).exists():
            raise CommandError("Demo data is already loaded. Start from an empty database to load it again.")
        started = time.perf_counter()
        with tqdm(desc="demo", unit="rows", disable=options["verbosity"] < 1) as bar:

            def progress(label: str, n: int) -> None:
                bar.set_postfix_str(label)
                bar.update(n)

            for step in hooks.demo_steps:
                counts = step(
                    scale=options["scale"],
                    seed=options["seed"],
                    items=options["items"],
                    progress=progress,
                    stdout=self.stdout,
                )
                self.stdout.write(f"{step.__module__.rsplit('.', 1)[0]}: {counts}")
        # Fresh statistics for the query planner (SQLite has none until ANALYZE runs).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"Demo loaded in {time.perf_counter() - started:.1f} s")
