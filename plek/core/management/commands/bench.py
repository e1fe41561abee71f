"""`plek bench <suite>`: performance measurements; the last line printed is one JSON object.

Suites live in the apps that own what they measure and are named here by dotted path (core sits
below the apps in the layer rule, so it does not import them)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

SUITES = {
    "harvest": "plek.federation.bench",
    "match": "plek.brokering.bench",
    "pages": "plek.atlas.bench",
    "search": "plek.knowledge.bench",
    "scenario": "plek.strategy.bench",
    "load": "plek.brokering.loadbench",
}


class Command(BaseCommand):
    help = (
        "Measure performance. 'pages': the main Atlas pages (expects national demo data); 'search': the "
        "search API on the current data, or the engine with --items N synthetic documents."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("suite", choices=sorted(SUITES))
        parser.add_argument("--units", default=None, help="scenario: comma-separated unit counts.")
        parser.add_argument("--records", type=int, default=10_000, help="harvest: records to harvest.")
        parser.add_argument(
            "--harvest-port", type=int, default=8139, help="harvest: loopback port of the local endpoint."
        )
        parser.add_argument(
            "--highs-max-units",
            type=int,
            default=100_000,
            help="scenario: run HiGHS up to this many units (default 100000; it gets 15 minutes per run).",
        )
        parser.add_argument("--runs", type=int, default=30, help="Measured requests per page (default 30).")
        parser.add_argument("--warmup", type=int, default=3, help="Unmeasured requests first (default 3).")
        parser.add_argument(
            "--gc-freeze",
            action="store_true",
            help="gc.freeze() after start-up first, as a tuned server would (default: measure as is).",
        )
        parser.add_argument(
            "--items",
            type=int,
            default=None,
            help="search: index N synthetic documents into a temporary index and time the engine.",
        )
        parser.add_argument(
            "--backend",
            choices=["tantivy", "postgres", "both"],
            default=None,
            help="search: which backend (default: the configured one); 'both' with --items: side by side.",
        )
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="search: time a full reindex of the current database first.",
        )
        parser.add_argument(
            "--min-people",
            type=int,
            default=None,
            help="Refuse to run with fewer people in the database (default 1000: national demo data).",
        )

        parser.add_argument("--url", default="http://127.0.0.1:8000", help="load: the running server.")
        parser.add_argument("--users", type=int, default=50, help="load: simulated visitors (default 50).")
        parser.add_argument("--duration", type=float, default=120, help="load: seconds (default 120).")
        parser.add_argument(
            "--warmup-seconds",
            type=float,
            default=30,
            help="load: seconds of unmeasured visits first, so caches are warm (default 30; 0 measures cold).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        module = SUITES[options["suite"]]
        if options["suite"] == "load":
            error = import_string(f"{module}.BenchError")
            try:
                result = import_string(f"{module}.bench_load")(
                    url=options["url"],
                    users=options["users"],
                    duration=options["duration"],
                    warmup=options["warmup_seconds"],
                )
            except error as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(import_string(f"{module}.table")(result))
            self.stdout.write(json.dumps(result))
            return
        if options["suite"] == "scenario":
            sizes = [int(n) for n in (options.get("units") or "10000,100000,1000000").split(",")]
            result = import_string(f"{module}.bench_scenario")(
                sizes=sizes, highs_max_units=options["highs_max_units"]
            )
            self.stdout.write(import_string(f"{module}.table")(result))
            self.stdout.write(json.dumps(result))
            return
        if options["suite"] == "harvest":
            result = import_string(f"{module}.bench_harvest")(
                records=options["records"], port=options["harvest_port"]
            )
            self.stdout.write(import_string(f"{module}.table")(result))
            self.stdout.write(json.dumps(result))
            return
        if options["suite"] == "match":
            result = import_string(f"{module}.bench_match")(runs=max(1, options["runs"] // 10), warmup=1)
            self.stdout.write(import_string(f"{module}.table")(result))
            self.stdout.write(json.dumps(result))
            return
        if options["suite"] == "search":
            self._search(module, options)
            return
        bench_pages = import_string(f"{module}.bench_pages")
        table = import_string(f"{module}.table")
        error = import_string(f"{module}.BenchError")
        kwargs: dict[str, Any] = {
            "runs": options["runs"],
            "warmup": max(0, options["warmup"]),
            "gc_freeze": options["gc_freeze"],
        }
        if options["min_people"] is not None:
            kwargs["min_people"] = options["min_people"]
        try:
            result = bench_pages(**kwargs)
        except error as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(table(result))
        self.stdout.write(json.dumps(result, sort_keys=False))

    def _search(self, module: str, options: dict[str, Any]) -> None:
        from django.conf import settings

        bench_search = import_string(f"{module}.bench_search")
        table = import_string(f"{module}.table")
        error = import_string(f"{module}.BenchError")
        backend = options["backend"] or getattr(settings, "PLEK_SEARCH_BACKEND", "tantivy")
        try:
            result = bench_search(items=options["items"], backend=backend, reindex_first=options["reindex"])
        except error as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(table(result))
        self.stdout.write(json.dumps(result))
