"""An embedding run in the middle of its work, as a worker leaves it in the database (for the tests of
the vectors page and its API twin)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from plek.knowledge.models import EmbedRun


def running_run(
    by: Any, *, total: int, done: int, rate: float, started_ago: dt.timedelta = dt.timedelta(0)
) -> EmbedRun:
    """A run of the vectors stage on knowledge items, started `started_ago`, with a fresh heartbeat."""
    now = timezone.now()
    return EmbedRun.objects.create(
        status=EmbedRun.Status.RUNNING,
        stage=EmbedRun.Stage.VECTORS,
        kind="knowledge",
        total=total,
        done=done,
        rate=rate,
        started_at=now - started_ago,
        heartbeat_at=now,
        requested_by=by,
    )
