"""Background solves, run by `plek worker` (or at once in development and tests)."""

from __future__ import annotations

from django_tasks import task

from plek.strategy.solving import solve_execute


@task()
def solve_run(run_id: int) -> str:
    return solve_execute(run_id)
