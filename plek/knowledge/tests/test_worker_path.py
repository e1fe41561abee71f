"""The production path of search updates: a page write enqueues the outbox task in the database queue,
a separate `plek worker` process applies it, and the item becomes findable."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from plek.atlas.permissions import viewer_for
from plek.core.models import SearchOutbox
from plek.core.testing import start_worker, stop, wait_for
from plek.knowledge.search import reset_backends
from plek.knowledge.selectors import SearchParams, search
from plek.knowledge.tests.test_views import FORM


def _found(q: str) -> list[str]:
    reset_backends()  # a fresh reader sees what another process committed
    return [h.title for h in search(viewer=viewer_for(None), params=SearchParams(q=q)).result.hits]


@pytest.mark.django_db(transaction=True)
def test_a_worker_process_applies_the_search_outbox(settings: Any, cast: dict[str, Any]) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    client = Client()
    client.force_login(cast["member"])
    form = {**FORM, "title": "Kwelwater in de Beemster", "body": "Over zoute kwel en peilbeheer."}
    response = client.post("/kennis/nieuw/", form)
    assert response.status_code == 302
    assert SearchOutbox.objects.exists()  # written with the item, in the same transaction
    task = DBTaskResult.objects.get(task_path="plek.knowledge.tasks.apply_search_outbox")
    assert task.status == TaskResultStatus.READY  # queued for a worker, not run in the request
    assert _found("kwelwater") == []

    worker = start_worker()
    try:
        wait_for(lambda: DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.SUCCESSFUL).exists())
    finally:
        stop(worker)
    assert not SearchOutbox.objects.exists()  # drained
    assert wait_for(lambda: _found("kwelwater"), timeout=10) == ["Kwelwater in de Beemster"]
