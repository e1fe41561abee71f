"""Background workers that may die: heartbeats and recovery of tasks a dead worker left behind.

`plek worker` runs django-tasks-db's worker, which takes one READY task at a time with
`SELECT … FOR UPDATE SKIP LOCKED` (on PostgreSQL; an exclusive transaction on SQLite) and marks it
RUNNING with its worker id, so two workers on different nodes never take the same task. What the
library does not do is notice a worker that was killed (kill -9, a lost node) while a task was
RUNNING: the task would stay RUNNING for ever. Rules here:

* every worker touches its `WorkerHeartbeat` row every `HEARTBEAT_SECONDS`;
* a RUNNING task whose last worker has not been seen for `stale_after` seconds was lost with that
  worker: it goes back to READY (another worker retries it), or — after `max_attempts` claims — is
  marked FAILED with `WorkerLost` as the reason. Never lost silently. Tasks are written to be safe
  to run again (the search outbox, overlap runs and solves are idempotent).
* every worker runs the recovery at start and with each heartbeat, so one surviving worker is enough.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading

from django.db import close_old_connections, transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from plek.core.env import env_int
from plek.core.models import WorkerHeartbeat

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = env_int("PLEK_WORKER_HEARTBEAT_SECONDS", 5)
STALE_AFTER_SECONDS = env_int("PLEK_WORKER_STALE_SECONDS", 60)
MAX_ATTEMPTS = env_int("PLEK_TASK_MAX_ATTEMPTS", 3)


class WorkerLost(Exception):
    """The worker running a task stopped (killed or its node lost) before the task finished."""


def heartbeat_beat(*, worker_id: str, started_at: dt.datetime | None = None) -> None:
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"host": socket.gethostname(), "pid": os.getpid(), "seen_at": now},
        create_defaults={
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "seen_at": now,
            "started_at": started_at or now,
        },
    )


def heartbeat_remove(*, worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


def tasks_recover_stale(
    *, stale_after: float = STALE_AFTER_SECONDS, max_attempts: int = MAX_ATTEMPTS
) -> tuple[int, int]:
    """Put tasks of dead workers back in the queue (or fail them after `max_attempts` claims).
    Returns (requeued, failed)."""
    cutoff = timezone.now() - dt.timedelta(seconds=stale_after)
    alive = set(WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True))
    requeued = failed = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
    for pk in running.values_list("pk", flat=True):
        with transaction.atomic():
            row = running.select_for_update(skip_locked=True).filter(pk=pk).first()
            if row is None or not row.worker_ids or row.worker_ids[-1] in alive:
                continue
            if row.started_at and row.started_at >= cutoff:
                continue  # claimed moments ago by a worker that has not beaten yet
            if len(row.worker_ids) >= max_attempts:
                lost = WorkerLost(f"worker {row.worker_ids[-1]} stopped during attempt {len(row.worker_ids)}")
                row.set_failed(lost)
                failed += 1
            else:
                row.status = TaskResultStatus.READY
                row.started_at = None
                row.save(update_fields=["status", "started_at"])
                requeued += 1
    WorkerHeartbeat.objects.filter(seen_at__lt=cutoff - dt.timedelta(days=1)).delete()
    return requeued, failed


class Heartbeat(threading.Thread):
    """Beats and recovers in the background of a worker process until `stop()`."""

    def __init__(self, worker_id: str, interval: float = HEARTBEAT_SECONDS) -> None:
        super().__init__(name="plek-worker-heartbeat", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self.started_at = timezone.now()
        self._stop_event = threading.Event()

    def beat(self) -> None:
        heartbeat_beat(worker_id=self.worker_id, started_at=self.started_at)
        tasks_recover_stale()

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            try:
                close_old_connections()
                self.beat()
            except Exception:  # a missed beat is retried at the next one; never kill the worker
                logger.exception("worker heartbeat failed; retrying in %s s", self.interval)
        close_old_connections()

    def stop(self) -> None:
        self._stop_event.set()


@task()
def canary(seconds: float = 0.0) -> dict[str, object]:
    """A task that does nothing but take time: shows that some worker takes tasks from the queue
    (`plek worker --canary`) and lets tests kill a worker in the middle of a task."""
    import time

    time.sleep(max(0.0, min(float(seconds), 600.0)))
    return {"host": socket.gethostname(), "pid": os.getpid()}
