"""Embedding the search documents in the worker, with its progress in the database (`EmbedRun`).

* :func:`queue` starts a run, or joins the one that waits or runs (one at a time: a second request
  gets the first's row; a database constraint holds it across processes and nodes). The task is
  enqueued after commit (`tasks.embed_vectors`, run by `plek worker`; at once in development).
* :func:`embed_run_execute` is the task's body: `indexing.embed_all` (after `indexing.reindex` in
  mode "reindex") with the progress written to the row at most once a second, and the row read per
  encoder batch (64 documents) so that "Stoppen" stops the run between batches. Batches are committed
  before they are counted, so a stopped or killed run keeps what it stored.
* Resumable: `vectors.store` embeds only documents whose text hash differs from the stored one, so a
  new run after a kill -9 runs only the rest through the encoder. A RUNNING row whose heartbeat is
  older than the worker staleness limit (`PLEK_WORKER_STALE_SECONDS`) was lost with its worker: it
  is shown as interrupted and no longer blocks a new run; the task itself, put back in the queue by
  the worker recovery (`plek.core.workers`), continues the same row.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from plek.core import workers
from plek.core.errors import ValidationFailed
from plek.knowledge import vectors
from plek.knowledge.indexing import document_total, embed_all, reindex
from plek.knowledge.models import EmbedRun

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 1.0  # at most one progress write per second
Status = EmbedRun.Status


def stale_after() -> dt.timedelta:
    """How long a running run may go without a heartbeat before it counts as lost with its worker."""
    return dt.timedelta(seconds=workers.STALE_AFTER_SECONDS)


def is_stale(run: EmbedRun, now: dt.datetime | None = None) -> bool:
    """A RUNNING row whose worker stopped beating (killed, its node lost)."""
    if run.status != Status.RUNNING:
        return False
    seen = run.heartbeat_at or run.started_at or run.created_at
    return seen < (now or timezone.now()) - stale_after()


def active_run() -> EmbedRun | None:
    """The run that waits or runs, if any (a running one without a heartbeat for too long does not
    count: it was lost)."""
    cutoff = timezone.now() - stale_after()
    return (
        EmbedRun.objects.filter(Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat_at__gte=cutoff))
        .order_by("created_at", "id")
        .first()
    )


def interrupt_stale() -> int:
    """Mark runs lost with their worker as interrupted (they no longer hold the running place)."""
    now = timezone.now()
    return EmbedRun.objects.filter(status=Status.RUNNING, heartbeat_at__lt=now - stale_after()).update(
        status=Status.INTERRUPTED, finished_at=now
    )


def queue(*, mode: str = EmbedRun.Mode.EMBED, requested_by: Any = None) -> tuple[EmbedRun, bool]:
    """Start a run in the worker, or join the one that waits or runs. Returns (run, started)."""
    if not vectors.enabled():
        raise ValidationFailed({"embeddings": [_("Vectoren staan uit (PLEK_EMBEDDINGS=0).")]})
    if mode not in EmbedRun.Mode.values:
        raise ValidationFailed({"mode": [_("Onbekende soort run.")]})
    from plek.knowledge.tasks import embed_vectors

    for _attempt in range(3):
        with transaction.atomic():
            run = active_run()
            if run is not None:
                return run, False
            interrupt_stale()
            try:
                with transaction.atomic():
                    run = EmbedRun.objects.create(mode=mode, requested_by=requested_by)
            except IntegrityError:
                continue  # another request made one just now: join that one
            transaction.on_commit(partial(embed_vectors.enqueue, run.pk))
        run.refresh_from_db()  # the immediate task backend has run it already
        return run, True
    run = active_run()
    if run is None:  # pragma: no cover - only when runs start and end faster than three attempts
        raise RuntimeError("could not start or join an embedding run")
    return run, False


def cancel(run: EmbedRun) -> EmbedRun:
    """Ask a run to stop: a waiting one is stopped at once, a running one between two batches."""
    with transaction.atomic():
        EmbedRun.objects.filter(pk=run.pk, status__in=EmbedRun.ACTIVE).update(cancel_requested=True)
        EmbedRun.objects.filter(pk=run.pk, status=Status.QUEUED).update(
            status=Status.CANCELLED, finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run


class _Stop(Exception):
    """Raised from the progress report to end the run between two batches."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class _Progress:
    """Counts what `reindex`/`embed_all` report; writes it (and the heartbeat) at most once a second
    and reads the row once per batch for a cancel request."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.stage = ""
        self.kind = ""
        self.total = 0
        self.done = 0
        self.rate: float | None = None
        self.cancellable = True
        self._written_at: float | None = None
        self._written_done = 0

    def begin(self, stage: str, total: int, *, cancellable: bool) -> None:
        self.stage, self.total, self.done, self.kind = stage, total, 0, ""
        self.rate, self._written_at, self._written_done = None, None, 0
        self.cancellable = cancellable
        self.write()

    def plan(self, total: int) -> None:
        self.total = total
        self.write()

    def step(self, kind: str, n: int) -> None:
        self.done += n
        self.kind = kind
        row = EmbedRun.objects.filter(pk=self.run_id).values_list("status", "cancel_requested").first()
        if self.cancellable:
            if row is None or row[0] != Status.RUNNING:
                raise _Stop(row[0] if row else "gone")  # a newer run took over (this one seemed lost)
            if row[1]:
                raise _Stop(Status.CANCELLED)
        if self._written_at is None or time.monotonic() - self._written_at >= PROGRESS_SECONDS:
            self.write()

    def write(self) -> None:
        now = time.monotonic()
        if self._written_at is not None and now > self._written_at and self.done > self._written_done:
            recent = (self.done - self._written_done) / (now - self._written_at)
            self.rate = recent if self.rate is None else 0.5 * self.rate + 0.5 * recent
        self._written_at, self._written_done = now, self.done
        EmbedRun.objects.filter(pk=self.run_id, status=Status.RUNNING).update(
            stage=self.stage,
            kind=self.kind[:30],
            total=self.total,
            done=self.done,
            rate=self.rate,
            heartbeat_at=timezone.now(),
        )


def _claim(run: EmbedRun) -> bool:
    """Take the run: a waiting one (not cancelled), or a running one whose worker was lost (this is
    the same task again, put back in the queue by the worker recovery)."""
    now = timezone.now()
    if run.status == Status.QUEUED:
        if run.cancel_requested:
            EmbedRun.objects.filter(pk=run.pk, status=Status.QUEUED).update(
                status=Status.CANCELLED, finished_at=now
            )
            return False
        try:
            with transaction.atomic():
                interrupt_stale()
                return bool(
                    EmbedRun.objects.filter(pk=run.pk, status=Status.QUEUED, cancel_requested=False).update(
                        status=Status.RUNNING, started_at=now, heartbeat_at=now, done=0, rate=None
                    )
                )
        except IntegrityError:  # another run is running (it was started while this one waited)
            EmbedRun.objects.filter(pk=run.pk, status=Status.QUEUED).update(
                status=Status.FAILED, error=_("Er liep al een andere run."), finished_at=now
            )
            return False
    if run.status == Status.RUNNING:
        return bool(
            EmbedRun.objects.filter(
                pk=run.pk, status=Status.RUNNING, heartbeat_at__lt=now - stale_after()
            ).update(heartbeat_at=now, rate=None)
        )
    return False


def embed_run_execute(run_id: int) -> str:
    """The worker's side of a run (the task `embed_vectors`); returns the status it ended in."""
    run = EmbedRun.objects.filter(pk=run_id).first()
    if run is None:
        return "gone"
    if not _claim(run):
        run.refresh_from_db()
        return str(run.status)
    progress = _Progress(run.pk)
    try:
        if not vectors.enabled():
            raise RuntimeError(_("Vectoren staan uit (PLEK_EMBEDDINGS=0)."))
        if run.mode == EmbedRun.Mode.REINDEX:
            # The word index is rebuilt whole (stopping half-way would leave it half empty).
            progress.begin(EmbedRun.Stage.INDEX, document_total(), cancellable=False)
            reindex(progress=progress.step, embed=False)
        progress.begin(EmbedRun.Stage.VECTORS, 0, cancellable=True)
        embedded = embed_all(progress=progress.step, plan=progress.plan)
    except _Stop as stop:
        if stop.status == Status.CANCELLED:
            progress.write()
            EmbedRun.objects.filter(pk=run_id, status=Status.RUNNING).update(
                status=Status.CANCELLED, finished_at=timezone.now()
            )
        return stop.status
    except Exception as exc:
        logger.exception("embedding run %s failed", run_id)
        EmbedRun.objects.filter(pk=run_id, status=Status.RUNNING).update(
            status=Status.FAILED, error=(str(exc) or type(exc).__name__)[:1000], finished_at=timezone.now()
        )
        return Status.FAILED
    progress.write()
    EmbedRun.objects.filter(pk=run_id, status=Status.RUNNING).update(
        status=Status.DONE, embedded=embedded, finished_at=timezone.now()
    )
    return Status.DONE


def describe(run: EmbedRun | None) -> str:
    """One line for `plek search status`."""
    if run is None:
        return "embed_run=none"
    status = Status.INTERRUPTED if is_stale(run) else run.status
    percent = run.done * 100 // run.total if run.total else 0
    parts = [
        f"embed_run={run.pk}",
        f"mode={run.mode}",
        f"status={status}",
        f"stage={run.stage or '-'}",
        f"done={run.done}/{run.total} ({percent}%)",
    ]
    if run.rate and status == Status.RUNNING:
        parts.append(f"rate={run.rate:.0f}/s")
        parts.append(f"eta_s={max(0, run.total - run.done) / run.rate:.0f}")
    if run.embedded is not None:
        parts.append(f"embedded={run.embedded}")
    stamp = run.finished_at or run.heartbeat_at or run.created_at
    parts.append(f"at={stamp.isoformat(timespec='seconds')}")
    if run.error:
        parts.append(f"error={run.error[:200]!r}")
    return " ".join(parts)
