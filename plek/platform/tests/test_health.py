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
def test_ready_when_migrated_and_not_ready_while_a_migration_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.migrations.recorder import MigrationRecorder

    from plek.platform import health

    monkeypatch.setattr(health, "_migrated", False)  # a process that has not checked yet
    body = Client().get("/readyz").json()
    assert body["status"] == "ok" and body["checks"]["migrations"]["pending"] == 0
    assert body["checks"]["search"]["status"] == "ok"
    # Once all were applied, the migration graph is not read again (a busy node stays ready).
    assert health._migrated

    def unreadable(*args: object) -> None:
        raise AssertionError("the migration graph was read again")

    monkeypatch.setattr(health, "MigrationExecutor", unreadable)
    assert Client().get("/readyz").status_code == 200
    monkeypatch.undo()
    # A node with newer code than the schema (a new process): one applied migration forgotten.
    monkeypatch.setattr(health, "_migrated", False)
    MigrationRecorder.Migration.objects.filter(app="core").order_by("-id").first().delete()
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "status": "error",
        "pending": 1,
        "ms": response.json()["checks"]["migrations"]["ms"],
    }
    assert Client().get("/healthz").status_code == 200  # alive, just not ready
