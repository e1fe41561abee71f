"""Solving a scenario study: the study as a puzzle problem, the solve itself (run by the background
task in `tasks.py`, with progress on the row and cancel honoured) and the summary of a solution.

Services queue solves (`services.solve_request`); this module never calls back into services, so
`services -> tasks -> solving` stays one way."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext as _

from plek.strategy.models import LandUse, SolveRun, Variant
from plek.strategy.puzzle.model import Claim, Pair, Problem, PuzzleError

USES = {c.value for c in LandUse}


def study_problem(variant: Variant) -> Problem:
    """The allocation problem of a variant: the study's units and claims with the variant's changes."""
    study = variant.study
    claims = list(study.claims.all())
    changes = variant.changes or {}
    claim_changes = changes.get("claims", {}) or {}
    exclude = changes.get("exclude", {}) or {}
    for use in list(claim_changes) + list(exclude):
        if use not in USES:
            raise PuzzleError(
                "changes",
                _("Variant %(v)s noemt onbekend landgebruik '%(u)s'.") % {"v": variant.name, "u": use},
            )
    codes = [c.land_use for c in claims]
    out_claims = []
    for c in claims:
        ch = claim_changes.get(c.land_use, {})
        out_claims.append(
            Claim(
                code=c.land_use,
                wanted=float(ch.get("wanted_ha", c.wanted_ha)),
                minimum=float(ch.get("minimum_ha", c.minimum_ha)),
                priority=float(ch.get("priority", c.priority)),
            )
        )
    rows = list(
        study.units.order_by("id").values_list("code", "area_ha", "current_use", "suitability", "excluded")
    )
    n = len(rows)
    area = np.array([r[1] for r in rows], dtype=float)
    suit = np.zeros((n, len(codes)))
    excl = np.zeros((n, len(codes)), dtype=bool)
    col = {c: j for j, c in enumerate(codes)}
    for i, (_code, _a, current, s, e) in enumerate(rows):
        for use, value in (s or {}).items():
            if use in col:
                suit[i, col[use]] = float(value)
        for use in e or []:
            if use in col:
                excl[i, col[use]] = True
        for use, currents in exclude.items():
            if use in col and current in currents:
                excl[i, col[use]] = True
    pairs = [
        Pair(p.use_a, p.use_b, p.fraction)
        for p in study.compatibilities.all()
        if p.use_a in col and p.use_b in col
    ]
    return Problem(
        unit_codes=[r[0] for r in rows],
        area=area,
        suitability=suit,
        excluded=excl,
        claims=out_claims,
        pairs=pairs,
        penalty=study.penalty,
    )


def solve_execute(run_id: int) -> str:
    """Run a queued solve (called by the background task): progress on the row, cancel honoured."""
    from plek.strategy.puzzle.fast import Cancelled, solve_fast
    from plek.strategy.puzzle.highs import solve_highs

    run = SolveRun.objects.select_related("variant__study").get(pk=run_id)
    if run.status != SolveRun.Status.QUEUED or run.cancel_requested:
        return str(run.status)
    SolveRun.objects.filter(pk=run_id).update(status=SolveRun.Status.RUNNING, progress=0.0)

    def progress(fraction: float, stage: str) -> None:
        SolveRun.objects.filter(pk=run_id).update(progress=round(fraction, 3), stage=stage[:60])

    def cancelled() -> bool:
        return bool(SolveRun.objects.filter(pk=run_id, cancel_requested=True).exists())

    try:
        problem = study_problem(run.variant)
        if run.method == SolveRun.Method.HIGHS:
            if cancelled():
                raise Cancelled()
            result = solve_highs(problem)
        else:
            result = solve_fast(problem, progress=progress, cancelled=cancelled)
    except Cancelled:
        SolveRun.objects.filter(pk=run_id).update(status=SolveRun.Status.CANCELLED)
        return SolveRun.Status.CANCELLED
    except PuzzleError as exc:
        SolveRun.objects.filter(pk=run_id).update(status=SolveRun.Status.FAILED, error=exc.message)
        return SolveRun.Status.FAILED
    summary, allocation = summarise(problem, result.x)
    SolveRun.objects.filter(pk=run_id).update(
        status=SolveRun.Status.DONE,
        progress=1.0,
        stage="",
        objective=result.objective,
        seconds=result.seconds,
        summary=summary,
        allocation=allocation,
        updated_at=timezone.now(),
    )
    return SolveRun.Status.DONE


GOOD = 0.6  # suitability from which land counts as "good" for a claim when finding conflicts


def summarise(problem: Problem, x: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
    """Per claim fulfilment, conflicts between claims and land-use changes, plus the allocation per unit."""
    _r, _allowed, g = problem.option_values()
    labels = problem.option_labels()
    codes = problem.claim_codes
    totals = x.sum(axis=0) @ g
    claims = []
    for j, c in enumerate(problem.claims):
        claims.append(
            {
                "use": c.code,
                "wanted_ha": c.wanted,
                "minimum_ha": c.minimum,
                "priority": c.priority,
                "allocated_ha": round(float(totals[j]), 3),
                "fulfilment_pct": round(100.0 * float(totals[j]) / c.wanted, 2) if c.wanted > 0 else 100.0,
                "shortfall_ha": round(max(0.0, c.minimum - float(totals[j])), 3),
            }
        )
    dominant = np.where(x.max(axis=1) > 1e-9, np.argmax(x, axis=1), -1)
    # Conflicts: good land (suitability >= GOOD, allowed) of a claim that fell short, which went to
    # an option not serving it.
    conflicts: list[dict[str, Any]] = []
    allowed_c = problem.allowed()
    for a in range(len(codes)):
        if totals[a] >= problem.claims[a].wanted * (1 - 1e-6):
            continue  # a claim that got all it wanted has no conflict
        good = allowed_c[:, a] & (problem.suitability[:, a] >= GOOD)
        for b in range(len(codes)):
            if a == b:
                continue
            took = (g[:, b] > 0) & (g[:, a] == 0)  # options serving b but not a
            ha = float((x[good][:, took]).sum())
            if ha > 1e-6:
                conflicts.append({"use": codes[a], "lost_to": codes[b], "hectares": round(ha, 2)})
    conflicts.sort(key=lambda c: -float(c["hectares"]))
    allocation = {}
    for i, code in enumerate(problem.unit_codes):
        row = np.flatnonzero(x[i] > 1e-9)
        allocation[code] = [[labels[o], round(float(x[i, o]), 4)] for o in row]
    summary = {
        "claims": claims,
        "conflicts": conflicts[:30],
        "units": problem.n_units,
        "area_ha": round(float(problem.area.sum()), 2),
        "unused_ha": round(float(problem.area.sum() - x.sum()), 2),
        "options": labels,
        "dominant_counts": {
            labels[o] if o >= 0 else "": int((dominant == o).sum()) for o in np.unique(dominant)
        },
    }
    return summary, allocation


# ---- authoring studies and variants in pages ------------------------------------------------------
