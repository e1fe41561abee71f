"""`plek bench <suite>`: performance measurements; the last line printed is one JSON object.

Suites live in the apps that own what they measure; each is imported only when it runs (the load
suite brings gevent and locust)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

SUITES = ("cluster", "embed", "harvest", "load", "match", "pages", "scenario", "search")


class Command(BaseCommand):
    help = (
        "Measure performance. 'pages': the main Atlas pages (expects national demo data); 'search': the "
        "search API on the current data, or the engine with --items N synthetic documents; 'cluster': two web "
        "nodes, a worker and HAProxy on a throwaway PostgreSQL database, node A killed under load; 'embed': "
        "documents embedded per second on the current data (PLEK_EMBED_PROCESSES, PLEK_EMBED_THREADS)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("suite", choices=SUITES)
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
            help="search: index N synthetic documents into a temporary index and time the engine; embed: "
            "encode the first N knowledge items (default all).",
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
            "--fit",
            action="store_true",
            help="match: choose the signal weights on the training questions and print them (JSON).",
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
            help="load, cluster: seconds of unmeasured visits first, so caches are warm (default 30; 0 measures "
            "cold).",
        )
        parser.add_argument(
            "--kill-after",
            type=float,
            default=None,
            help="cluster: seconds into the load when node A gets kill -9 (default: a third of --duration).",
        )
        parser.add_argument(
            "--web-workers", type=int, default=2, help="cluster: gunicorn workers per web node (default 2)."
        )
        parser.add_argument(
            "--no-netns",
            action="store_true",
            help="cluster: run every process on loopback instead of a network namespace of its own.",
        )
        parser.add_argument(
            "--redis-db",
            type=int,
            default=12,
            help="cluster: the Redis database number it may flush (default 12).",
        )
        parser.add_argument(
            "--anonymous",
            action="store_true",
            help="load: visitors only read (8 page kinds, no questions asked); target p95 300 ms.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        suite = options["suite"]
        if suite == "cluster":
            self._cluster(options)
        elif suite == "load":
            from plek.brokering import loadbench

            try:
                result = loadbench.bench_load(
                    url=options["url"],
                    users=options["users"],
                    duration=options["duration"],
                    warmup=options["warmup_seconds"],
                    anonymous=options["anonymous"],
                    target_p95_ms=300.0 if options["anonymous"] else 150.0,
                )
            except loadbench.BenchError as exc:
                raise CommandError(str(exc)) from exc
            self._print(loadbench.table(result), result)
        elif suite == "scenario":
            from plek.strategy import bench as strategy_bench

            sizes = [int(n) for n in (options.get("units") or "10000,100000,1000000").split(",")]
            result = strategy_bench.bench_scenario(sizes=sizes, highs_max_units=options["highs_max_units"])
            self._print(strategy_bench.table(result), result)
        elif suite == "harvest":
            from plek.federation import bench as federation_bench

            result = federation_bench.bench_harvest(records=options["records"], port=options["harvest_port"])
            self._print(federation_bench.table(result), result)
        elif suite == "match":
            from plek.brokering import bench as brokering_bench

            if options["fit"]:
                self.stdout.write(json.dumps(brokering_bench.fit_weights()))
                return
            result = brokering_bench.bench_match(runs=max(1, options["runs"] // 10), warmup=1)
            self._print(brokering_bench.table(result), result)
        elif suite == "embed":
            from plek.knowledge import embedbench

            result = embedbench.bench_embed(items=options["items"])
            self._print(embedbench.table(result), result)
        elif suite == "search":
            self._search(options)
        else:
            self._pages(options)

    def _print(self, table: str, result: Any) -> None:
        self.stdout.write(table)
        self.stdout.write(json.dumps(result))

    def _cluster(self, options: dict[str, Any]) -> None:
        from plek.platform import cluster

        duration = options["duration"]
        kill_after = options["kill_after"] if options["kill_after"] is not None else duration / 3
        if options["users"] < 1 or duration <= 0:
            raise CommandError("cluster: --users must be at least 1 and --duration more than 0")
        if not 0 <= kill_after < duration:
            raise CommandError("cluster: --kill-after must be at least 0 and less than --duration")
        if options["web_workers"] < 1 or not 0 <= options["redis_db"] <= 15:
            raise CommandError("cluster: --web-workers must be at least 1, --redis-db between 0 and 15")
        try:
            result = cluster.bench_cluster(
                users=options["users"],
                duration=duration,
                kill_after=kill_after,
                warmup=max(0.0, options["warmup_seconds"]),
                web_workers=options["web_workers"],
                redis_db=options["redis_db"],
                netns=not options["no_netns"],
                progress=self.stdout,
            )
        except cluster.ClusterError as exc:
            raise CommandError(str(exc)) from exc
        self._print(cluster.table(result), result)

    def _pages(self, options: dict[str, Any]) -> None:
        from plek.atlas import bench as atlas_bench

        kwargs: dict[str, Any] = {
            "runs": options["runs"],
            "warmup": max(0, options["warmup"]),
            "gc_freeze": options["gc_freeze"],
        }
        if options["min_people"] is not None:
            kwargs["min_people"] = options["min_people"]
        try:
            result = atlas_bench.bench_pages(**kwargs)
        except atlas_bench.BenchError as exc:
            raise CommandError(str(exc)) from exc
        self._print(atlas_bench.table(result), result)

    def _search(self, options: dict[str, Any]) -> None:
        from django.conf import settings

        from plek.knowledge import bench as knowledge_bench

        backend = options["backend"] or getattr(settings, "PLEK_SEARCH_BACKEND", "tantivy")
        try:
            result = knowledge_bench.bench_search(
                items=options["items"], backend=backend, reindex_first=options["reindex"]
            )
        except knowledge_bench.BenchError as exc:
            raise CommandError(str(exc)) from exc
        self._print(knowledge_bench.table(result), result)
