"""Background work of brokering, run by `plek worker` (or at once in development)."""

from __future__ import annotations

from django_tasks import task

from plek.brokering.overlap import overlap_run


@task()
def overlap_job() -> int:
    """Cluster similar questions across hubs and programmes (nightly, and on demand)."""
    return overlap_run().clusters
