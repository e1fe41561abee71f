"""`/healthz` and `/readyz` (plek/platform/health.py)."""

from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_health_includes_the_search_index() -> None:
    body = Client().get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["search"]["status"] == "ok"
    assert body["checks"]["search"]["backend"] in ("tantivy", "postgres")


@pytest.mark.django_db
def test_ready_when_migrated_and_not_ready_while_a_migration_waits() -> None:
    from django.db.migrations.recorder import MigrationRecorder

    body = Client().get("/readyz").json()
    assert body["status"] == "ok" and body["checks"]["migrations"]["pending"] == 0
    assert body["checks"]["search"]["status"] == "ok"
    # Forget one applied migration, as a node with newer code than the schema would see it.
    MigrationRecorder.Migration.objects.filter(app="core").order_by("-id").first().delete()
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "status": "error",
        "pending": 1,
        "ms": response.json()["checks"]["migrations"]["ms"],
    }
    assert Client().get("/healthz").status_code == 200  # alive, just not ready
