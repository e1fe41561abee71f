"""`/healthz` (liveness) and `/readyz` (readiness for a load balancer): the database, the search
index, and for readiness no waiting migration. Each check answers `{"status": "ok"|"error", ...}`
with its time in ms; any failure makes the answer 503."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from plek.knowledge.indexing import search_health

#: Checks beyond the database, by name.
CHECKS: dict[str, Callable[[], dict[str, object]]] = {"search": search_health}


def _checks() -> dict[str, dict[str, object]]:
    checks: dict[str, dict[str, object]] = {}
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = {"status": "ok", "vendor": connection.vendor}
    except Exception as exc:  # the point of a health check is to report any failure
        checks["database"] = {"status": "error", "detail": exc.__class__.__name__}
    checks["database"]["ms"] = round((time.perf_counter() - started) * 1000, 2)
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            checks[name] = check()
        except Exception as exc:  # report, don't crash the health endpoint
            checks[name] = {"status": "error", "detail": exc.__class__.__name__}
        checks[name]["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return checks


def _answer(checks: dict[str, dict[str, object]]) -> JsonResponse:
    ok = all(c["status"] == "ok" for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Health: the database answers and the registered checks (the search index) pass."""
    return _answer(_checks())


_migrated = False  # every migration of this process's code was applied (checked by readyz)


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness for a load balancer: everything /healthz checks, and no migration is waiting (a node
    that starts while another still migrates, or with newer code than the schema, takes no traffic)."""
    global _migrated
    checks = _checks()
    started = time.perf_counter()
    try:
        if _migrated:
            pending = []
        else:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            # Once this process's migrations are all applied they stay applied (its code does not
            # change, a database is not migrated back under a running node): check no more. Reading
            # the migration graph costs ~100 ms of CPU, and a node that has just taken over a killed
            # node's visitors must not fail its readiness check by being busy.
            _migrated = not pending
        checks["migrations"] = {"status": "ok" if not pending else "error", "pending": len(pending)}
    except Exception as exc:  # report, don't crash the readiness endpoint
        checks["migrations"] = {"status": "error", "detail": exc.__class__.__name__}
    checks["migrations"]["ms"] = round((time.perf_counter() - started) * 1000, 2)
    return _answer(checks)
