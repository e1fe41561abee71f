"""Writes of federation: queue harvest runs, pause sources, allow hosts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from plek.atlas.importers import ImportReport
from plek.atlas.permissions import Viewer
from plek.core.errors import PermissionDenied
from plek.federation import permissions
from plek.federation.models import AllowedHost, HarvestRun, HarvestSource, ImportJob

INTERVALS = {
    HarvestSource.Schedule.HOURLY: dt.timedelta(hours=1),
    HarvestSource.Schedule.DAILY: dt.timedelta(days=1),
    HarvestSource.Schedule.WEEKLY: dt.timedelta(weeks=1),
}


def harvest_run_queue(*, viewer: Viewer, source: HarvestSource, trigger: str = "manual") -> HarvestRun:
    """Queue a run; the worker carries it out (at once when tasks run immediately)."""
    if trigger == "manual" and not permissions.can_manage(viewer, source):
        raise PermissionDenied("harvest")
    with transaction.atomic():
        running = source.runs.filter(status__in=[HarvestRun.Status.QUEUED, HarvestRun.Status.RUNNING]).first()
        if running is not None:
            return running
        run = HarvestRun.objects.create(
            source=source, trigger=trigger, queued_by=viewer.user if viewer.is_authenticated else None
        )
        interval = INTERVALS.get(HarvestSource.Schedule(source.schedule))
        source.next_run_at = timezone.now() + interval if interval else None
        source.save(update_fields=["next_run_at"])

        def enqueue() -> None:
            from plek.federation.tasks import harvest_run_task

            harvest_run_task.enqueue(run.pk)

        transaction.on_commit(enqueue)
    return run


def harvest_due(now: dt.datetime | None = None) -> list[HarvestRun]:
    """Queue a run for every source whose schedule says it is due (`plek harvest due`, from cron)."""
    now = now or timezone.now()
    system = Viewer(user=None, is_authenticated=True, is_admin=True)
    runs = []
    due = HarvestSource.objects.filter(paused=False).exclude(schedule=HarvestSource.Schedule.MANUAL)
    for source in due.filter(next_run_at__isnull=True) | due.filter(next_run_at__lte=now):
        runs.append(harvest_run_queue(viewer=system, source=source, trigger="schedule"))
    return runs


def harvest_source_pause(*, viewer: Viewer, source: HarvestSource, paused: bool) -> HarvestSource:
    if not permissions.can_manage(viewer, source):
        raise PermissionDenied("harvest")
    source.paused = paused
    source.save(update_fields=["paused"])
    return source


def allowed_host_add(*, viewer: Viewer, host: str, note: str = "") -> AllowedHost:
    if not viewer.is_admin:
        raise PermissionDenied("harvest")
    host = host.strip().lower()
    obj, _created = AllowedHost.objects.get_or_create(
        host=host, defaults={"note": note, "added_by": viewer.user if viewer.is_authenticated else None}
    )
    return obj


def harvest_source_create(*, viewer: Viewer, **values: Any) -> HarvestSource:
    themes = values.pop("default_themes", [])
    regions = values.pop("default_regions", [])
    source = HarvestSource(**values)
    if not permissions.can_create(viewer, source.owner_hub_id):
        raise PermissionDenied("harvest")
    source.created_by = viewer.user if viewer.is_authenticated else None
    source.full_clean()
    source.save()
    source.default_themes.set(themes)
    source.default_regions.set(regions)
    return source


def import_job_queue(*, viewer: Viewer, name: str, data: str, dry_run: bool) -> ImportJob:
    """Queue a knowledge import of a large file (a dry run or the import itself) for the worker."""
    if not permissions.can_import(viewer) or not viewer.is_authenticated:
        raise PermissionDenied("import")
    job = ImportJob.objects.create(user=viewer.user, name=name[:255], data=data, dry_run=dry_run)

    def enqueue() -> None:
        from plek.federation.tasks import knowledge_import_task

        knowledge_import_task.enqueue(job.pk)

    transaction.on_commit(enqueue)
    return job


def knowledge_import_submit(
    *, viewer: Viewer, data: bytes, name: str, dry_run: bool
) -> ImportReport | ImportJob:
    """A file of knowledge (CSV or JSON) checked whole (ImportFileError: nothing touched), then
    imported (or, with `dry_run`, only tried): at once when small, by the worker as an ImportJob when it
    has more than PLEK_IMPORT_BACKGROUND_ROWS rows. Coordinators of a hub and administrators."""
    from django.conf import settings

    from plek.federation.importers import import_knowledge, read_knowledge

    if not permissions.can_import(viewer):
        raise PermissionDenied("import")
    records = read_knowledge(data, name)
    if len(records) > settings.PLEK_IMPORT_BACKGROUND_ROWS:
        return import_job_queue(viewer=viewer, name=name, data=data.decode("utf-8-sig"), dry_run=dry_run)
    return import_knowledge(records, viewer=viewer, dry_run=dry_run)


def import_job_confirmable(job: ImportJob) -> bool:
    """A dry run that finished without errors and still holds its file (confirmed at most once)."""
    return job.dry_run and job.status == ImportJob.Status.DONE and not job.errors and bool(job.data)


@transaction.atomic
def import_job_confirm(*, viewer: Viewer, job: ImportJob) -> ImportJob:
    """Import the file of a dry run (a new job, with its own progress); the dry run gives up its
    copy of the file, so it is confirmed once."""
    real = import_job_queue(viewer=viewer, name=job.name, data=job.data, dry_run=False)
    ImportJob.objects.filter(pk=job.pk).update(data="")
    return real
