"""`plek bench search`: the search benchmark.

Two sources:
- `engine` (with `--items N`): N synthetic documents indexed into a fresh, temporary index of the
  chosen backend, then the fixed query set run against the backend itself (engine time, facets
  included). This is how 1,000,000 items are measured without a 1,000,000-row database.
- `api` (default without `--items`): the fixed query set sent to `/api/v1/search` in-process as an
  anonymous visitor against the current database and index (server time, facets included), plus a
  timed full reindex of the current database (`--reindex`)."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from plek.knowledge.models import KnowledgeItem
from plek.knowledge.search import get_backend, reset_backends
from plek.knowledge.search.bench import fixed_queries, run_bench


class BenchError(Exception):
    pass


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def bench_engine(*, items: int, backend: str) -> dict[str, Any]:
    if backend == "postgres":
        from django.db import connection

        if connection.vendor != "postgresql":
            raise BenchError("The postgres backend needs DATABASE_URL pointing at PostgreSQL.")
        engine = get_backend("postgres")
        return run_bench(engine, items)
    with (
        tempfile.TemporaryDirectory(prefix="plek-bench-") as directory,
        override_settings(PLEK_SEARCH_DIR=Path(directory)),
    ):
        reset_backends()
        try:
            return run_bench(get_backend("tantivy"), items)
        finally:
            reset_backends()


def bench_api(*, backend: str, reindex_first: bool, runs: int = 1) -> dict[str, Any]:
    from plek.knowledge.indexing import reindex

    with override_settings(PLEK_SEARCH_BACKEND=backend):
        reset_backends()
        engine = get_backend()
        items = KnowledgeItem.objects.count()
        if items == 0:
            raise BenchError("No knowledge items: load `plek demo --scale national` (or --items N) first.")
        index_s = None
        if reindex_first or engine.count() == 0:
            started = time.perf_counter()
            reindex()
            index_s = round(time.perf_counter() - started, 2)
        client = Client(HTTP_HOST=(settings.ALLOWED_HOSTS or ["localhost"])[0].strip("[]") or "localhost")
        times: list[float] = []
        for _ in range(max(1, runs)):
            for q in fixed_queries():
                params: dict[str, Any] = {"q": q.text, "sort": q.sort, "pageSize": q.limit}
                if q.types:
                    params["type"] = q.types[0]
                if q.scale:
                    params["scale"] = q.scale
                if q.year:
                    params["year"] = q.year
                started = time.perf_counter()
                response = client.get("/api/v1/search", params)
                times.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise BenchError(f"/api/v1/search answered {response.status_code} for {params}")
        result = {
            "backend": engine.name,
            "source": "api",
            "items": items,
            "queries": len(times),
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(_pct(times, 0.95), 2),
            "p99_ms": round(_pct(times, 0.99), 2),
            "index_s": index_s,
            "index_mb": round(engine.size_bytes() / 1_048_576, 1),
            "documents": engine.count(),
        }
        reset_backends()
        return result


def bench_search(*, items: int | None, backend: str, reindex_first: bool = False) -> dict[str, Any]:
    if items is not None:
        if not 1 <= items <= 1_000_000:
            raise BenchError("--items must be between 1 and 1,000,000.")
        result = bench_engine(items=items, backend=backend)
        result.setdefault("source", "engine")
        return result
    return bench_api(backend=backend, reindex_first=reindex_first)


def table(result: dict[str, Any]) -> str:
    keys = ["backend", "source", "items", "p50_ms", "p95_ms", "p99_ms", "index_s", "index_mb"]
    return "\n".join(f"{k:>10}: {result.get(k)}" for k in keys)
