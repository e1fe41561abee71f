from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and readiness: the database answers (and, later, the search index)."""
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
    # Checks of higher layers (the search index, ...) are registered by import string.
    for name, path in getattr(settings, "PLEK_HEALTH_CHECKS", {}).items():
        started = time.perf_counter()
        try:
            checks[name] = import_string(path)()
        except Exception as exc:  # report, don't crash the health endpoint
            checks[name] = {"status": "error", "detail": exc.__class__.__name__}
        checks[name]["ms"] = round((time.perf_counter() - started) * 1000, 2)
    ok = all(c["status"] == "ok" for c in checks.values())
    return JsonResponse({"status": "ok" if ok else "error", "checks": checks}, status=200 if ok else 503)
