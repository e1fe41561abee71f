"""Background solves, run by `plek worker` (or at once in development and tests)."""

from __future__ import annotations

from django_tasks import task


@task()
def solve_run(run_id: int) -> str:
    from plek.strategy.services import solve_execute

    return solve_execute(run_id)
