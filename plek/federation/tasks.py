"""Background work of federation, run by `plek worker` (or at once in development and tests)."""

from __future__ import annotations

from django_tasks import task

from plek.federation.harvest import execute
from plek.federation.models import HarvestRun


@task()
def harvest_run_task(run_id: int) -> str:
    run = HarvestRun.objects.select_related("source").get(pk=run_id)
    if run.status != HarvestRun.Status.QUEUED:
        return run.status
    return execute(run).status


@task()
def knowledge_import_task(job_id: int) -> str:
    from plek.federation.importers import import_job_run

    return import_job_run(job_id)
