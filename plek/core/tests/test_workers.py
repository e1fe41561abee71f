"""Several `plek worker` processes on one queue: no task twice, none lost when a worker is killed."""

from __future__ import annotations

import datetime as dt
import os
import signal
from typing import Any

import pytest
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from plek.core import workers
from plek.core.models import WorkerHeartbeat
from plek.core.testing import start_worker, stop, wait_for

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # as PLEK_TASKS_BACKEND=database
WORKER_ENV = {"PLEK_WORKER_HEARTBEAT_SECONDS": "1", "PLEK_WORKER_STALE_SECONDS": "4"}


@pytest.fixture
def queue(settings: Any) -> Any:
    """Enqueue into the database queue from the test (the suite otherwise runs tasks at once)."""
    settings.TASKS = DB_TASKS
    return workers.canary


def _claimed(result_id: Any, worker_ids: list[str], seconds_ago: float) -> None:
    DBTaskResult.objects.filter(pk=result_id).update(
        status=TaskResultStatus.RUNNING,
        worker_ids=worker_ids,
        started_at=timezone.now() - dt.timedelta(seconds=seconds_ago),
    )


@pytest.mark.django_db
def test_a_task_of_a_dead_worker_is_requeued_then_failed_after_max_attempts(queue: Any) -> None:
    lost = queue.enqueue(1)
    alive = queue.enqueue(1)
    _claimed(lost.id, ["dead-1"], 120)
    _claimed(alive.id, ["live-1"], 120)
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="live-1", started_at=now, seen_at=now)
    WorkerHeartbeat.objects.create(worker_id="dead-1", started_at=now, seen_at=now - dt.timedelta(minutes=5))

    assert workers.tasks_recover_stale(stale_after=60, max_attempts=3) == (1, 0)
    assert DBTaskResult.objects.get(pk=lost.id).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(pk=alive.id).status == TaskResultStatus.RUNNING  # its worker lives

    _claimed(lost.id, ["dead-1", "dead-2", "dead-3"], 120)  # the third worker died as well
    assert workers.tasks_recover_stale(stale_after=60, max_attempts=3) == (0, 1)
    failed = DBTaskResult.objects.get(pk=lost.id)
    assert failed.status == TaskResultStatus.FAILED
    assert failed.exception_class_path == "plek.core.workers.WorkerLost"
    assert "dead-3" in failed.traceback and failed.finished_at is not None


@pytest.mark.django_db
def test_a_task_claimed_moments_ago_is_left_alone(queue: Any) -> None:
    result = queue.enqueue(1)
    _claimed(result.id, ["starting-worker"], 1)  # no heartbeat yet, but claimed just now
    assert workers.tasks_recover_stale(stale_after=60) == (0, 0)
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.RUNNING


@pytest.mark.django_db(transaction=True)
def test_two_workers_share_the_queue_and_never_run_a_task_twice(queue: Any) -> None:
    procs = [start_worker(**WORKER_ENV), start_worker(**WORKER_ENV)]
    try:
        wait_for(lambda: WorkerHeartbeat.objects.count() == 2)
        results = [queue.enqueue(0.3) for _ in range(24)]
        ids = [r.id for r in results]
        done = DBTaskResult.objects.filter(pk__in=ids, status=TaskResultStatus.SUCCESSFUL)
        wait_for(lambda: done.count() == len(ids), timeout=120)
    finally:
        stop(*procs)
    rows = list(DBTaskResult.objects.filter(pk__in=ids))
    assert all(len(r.worker_ids) == 1 for r in rows)  # claimed once each
    assert len({r.worker_ids[0] for r in rows}) == 2  # both workers took tasks
    assert len({r.return_value["pid"] for r in rows}) == 2
    assert not WorkerHeartbeat.objects.exists()  # a worker that stops cleanly leaves no heartbeat


@pytest.mark.django_db(transaction=True)
def test_a_task_survives_kill_minus_nine_of_its_worker(queue: Any) -> None:
    first = start_worker(**WORKER_ENV)
    second = None
    try:
        result = queue.enqueue(8)
        row = DBTaskResult.objects.filter(pk=result.id)
        wait_for(lambda: row.filter(status=TaskResultStatus.RUNNING).exists())
        os.kill(first.pid, signal.SIGKILL)  # mid-task: no clean-up, no heartbeat removal
        first.wait(timeout=10)
        assert row.get().status == TaskResultStatus.RUNNING  # left behind by the dead worker
        second = start_worker(**WORKER_ENV)
        wait_for(lambda: row.filter(status=TaskResultStatus.SUCCESSFUL).exists(), timeout=120)
    finally:
        stop(first, *([second] if second else []))
    done = row.get()
    assert len(done.worker_ids) == 2 and done.worker_ids[0] != done.worker_ids[1]  # retried elsewhere
    assert done.return_value["pid"] == second.pid
