"""`plek bench search`: the search benchmark.

Two sources:
- `engine` (with `--items N`): N synthetic documents indexed into a fresh, temporary index of the
  chosen backend (PostgreSQL: the scratch table `plek_search_bench`, dropped after), then the fixed
  query set run against the backend itself (engine time, facets included). This is how 1,000,000
  items are measured without a 1,000,000-row database. `--backend both` runs tantivy and PostgreSQL
  one after the other on the same documents and queries and reports how alike they answered.
- `api` (default without `--items`): the fixed query set sent to `/api/v1/search` in-process as an
  anonymous visitor against the current database and index (server time, facets included), plus a
  timed full reindex of the current database (`--reindex`)."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.test import Client
from django.test.utils import override_settings

from plek.knowledge.models import KnowledgeItem
from plek.knowledge.search import BACKENDS, get_backend, reset_backends
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


ENGINE_TABLE = "plek_search_bench"  # the scratch table of the engine bench on PostgreSQL (dropped after)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _one_engine(items: int, backend: str, answers: list[tuple[list[str], int]]) -> dict[str, Any]:
    load = _load()
    if backend == "postgres":
        from django.db import connection

        from plek.knowledge.search.postgres_backend import PostgresBackend

        if connection.vendor != "postgresql":
            raise BenchError("The postgres backend needs DATABASE_URL pointing at PostgreSQL.")
        engine = PostgresBackend(table=ENGINE_TABLE)
        try:
            result = run_bench(engine, items, answers=answers)
            result["rum"] = engine.rum
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {ENGINE_TABLE}")
    else:
        with (
            tempfile.TemporaryDirectory(prefix="plek-bench-") as directory,
            override_settings(PLEK_SEARCH_DIR=Path(directory)),
        ):
            reset_backends()
            try:
                result = run_bench(get_backend("tantivy"), items, answers=answers)
            finally:
                reset_backends()
    result["load_before"], result["load_after"] = load, _load()  # 1/5/15-minute load averages
    return result


def agreement(first: list[tuple[list[str], int]], second: list[tuple[list[str], int]]) -> dict[str, Any]:
    """How alike two backends answered the same queries: the share of the first's top 10 that the
    second also has in its top 10 (mean over queries with hits), and the relative difference of the
    totals (the second's may be estimates)."""
    overlaps, errors = [], []
    for (keys_a, total_a), (keys_b, total_b) in zip(first, second, strict=True):
        if keys_a:
            top = set(keys_a[:10])
            overlaps.append(len(top & set(keys_b[:10])) / len(top))
        errors.append(abs(total_b - total_a) / max(total_a, 1))
    return {
        "top10_overlap_mean": round(statistics.fmean(overlaps), 3) if overlaps else None,
        "total_error_p50": round(_pct(errors, 0.5), 3),
        "total_error_p95": round(_pct(errors, 0.95), 3),
        "totals_equal": sum(1 for e in errors if e == 0),
    }


def bench_engine(*, items: int, backend: str) -> dict[str, Any]:
    """One backend, or ``both`` side by side on the same documents and queries (the last JSON then
    holds each backend's figures under ``results`` and how alike they answered under ``agreement``)."""
    names = list(BACKENDS) if backend == "both" else [backend]
    if "postgres" in names:
        from django.db import connection

        if connection.vendor != "postgresql":
            raise BenchError("The postgres backend needs DATABASE_URL pointing at PostgreSQL.")
    answers: dict[str, list[tuple[list[str], int]]] = {name: [] for name in names}
    results = {name: _one_engine(items, name, answers[name]) for name in names}
    if len(names) == 1:
        return results[names[0]]
    return {
        "backend": "both",
        "source": "engine",
        "items": items,
        "results": results,
        "agreement": agreement(answers[names[0]], answers[names[1]]),
    }


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
    if backend == "both":
        raise BenchError("--backend both needs --items N (the engines side by side on synthetic documents).")
    return bench_api(backend=backend, reindex_first=reindex_first)


def table(result: dict[str, Any]) -> str:
    keys = [
        "backend",
        "source",
        "items",
        "p50_ms",
        "p95_ms",
        "p95_facets_ms",
        "p99_ms",
        "index_s",
        "index_mb",
    ]
    if "results" not in result:
        return "\n".join(f"{k:>13}: {result.get(k)}" for k in keys)
    names = list(result["results"])
    lines = [f"{'':>13}  " + "  ".join(f"{n:>10}" for n in names)]
    for k in [*keys[3:], "load_after"]:
        values = [result["results"][n].get(k) for n in names]
        lines.append(f"{k:>13}: " + "  ".join(f"{v!s:>10}" for v in values))
    lines.append(f"{'agreement':>13}: {result['agreement']}")
    return "\n".join(lines)
