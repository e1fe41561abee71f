"""Reads for the harvest and import pages (coordinators and administrators)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from plek.atlas.permissions import Viewer
from plek.federation import permissions
from plek.federation.models import HarvestRun, HarvestSource, ImportJob


def harvest_sources_for(viewer: Viewer) -> QuerySet[HarvestSource]:
    """The sources of the hubs the viewer coordinates (administrators: all), by name."""
    qs = HarvestSource.objects.select_related("owner_hub").order_by("name")
    return qs if viewer.is_admin else qs.filter(owner_hub_id__in=sorted(viewer.coordinator_hub_ids))


def harvest_source_get(viewer: Viewer, pk: int) -> HarvestSource:
    """A source the viewer manages; 404 for everyone else."""
    source = HarvestSource.objects.select_related("owner_hub").filter(pk=pk).first()
    if source is None or not permissions.can_manage(viewer, source):
        raise Http404(pk)
    return source


def harvest_runs_of(source: HarvestSource, limit: int = 50) -> list[HarvestRun]:
    """A source's latest runs, newest first."""
    return list(source.runs.all()[:limit])


def import_job_get(viewer: Viewer, pk: int) -> ImportJob:
    """An import job, for the user who started it or an administrator (others: 404)."""
    job = ImportJob.objects.filter(pk=pk).first()
    if job is None or not permissions.can_see_import_job(viewer, job):
        raise Http404(pk)
    return job
