"""The exact reference: the whole model as one linear program for HiGHS (scipy.optimize.linprog)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import linprog

from plek.strategy.puzzle.model import Allocation, BoolArray, FloatArray, Problem, PuzzleError


@dataclass
class LPResult:
    x: FloatArray  # (U, O)
    unmet: FloatArray  # (C,)
    objective: float
    delta: FloatArray  # (C,) price per hectare of each claim: lambda (upper) minus mu (lower)


def solve_lp(
    r: FloatArray,
    allowed: BoolArray,
    g: FloatArray,
    area: FloatArray,
    upper: FloatArray,
    lower: FloatArray,
    penalty: float,
    *,
    method: str = "highs",
    time_limit: float | None = None,
) -> LPResult:
    """max sum r x - penalty sum unmet  s.t. rows per unit (<= area), per claim (<= upper, + unmet >= lower).

    Only allowed (u, o) pairs become variables. Returns the solution and the claim prices."""
    n_units, n_opts = r.shape
    n_claims = g.shape[1]
    uu, oo = np.nonzero(allowed)
    n_x = uu.size
    cols = np.arange(n_x)
    # Claim rows: one entry per (variable, claim its option serves); few options, so loop over them.
    var_parts, claim_parts, coef_parts = [], [], []
    for o in range(n_opts):
        members = cols[oo == o]
        for cl in np.flatnonzero(g[o]):
            var_parts.append(members)
            claim_parts.append(np.full(members.size, cl))
            coef_parts.append(np.full(members.size, g[o, cl]))
    var_rep = np.concatenate(var_parts) if var_parts else np.zeros(0, dtype=np.int64)
    claim_idx = np.concatenate(claim_parts) if claim_parts else np.zeros(0, dtype=np.int64)
    coef = np.concatenate(coef_parts) if coef_parts else np.zeros(0)
    rows = np.concatenate(
        [uu, n_units + claim_idx, n_units + n_claims + claim_idx, n_units + n_claims + np.arange(n_claims)]
    )
    colz = np.concatenate([cols, var_rep, var_rep, n_x + np.arange(n_claims)])
    vals = np.concatenate([np.ones(n_x), coef, -coef, -np.ones(n_claims)])
    a_ub = sparse.csr_matrix((vals, (rows, colz)), shape=(n_units + 2 * n_claims, n_x + n_claims))
    b_ub = np.concatenate([area, upper, -lower])
    c = np.concatenate([-r[uu, oo], np.full(n_claims, penalty)])
    options: dict[str, object] = {"presolve": True}
    if time_limit is not None:
        options["time_limit"] = float(time_limit)
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method=method, options=options)
    if res.status != 0:
        raise PuzzleError("solver", f"HiGHS vond geen oplossing: {res.message}")
    x = np.zeros((n_units, n_opts))
    x[uu, oo] = res.x[:n_x]
    marg = res.ineqlin.marginals
    lam = -marg[n_units : n_units + n_claims]
    mu = -marg[n_units + n_claims :]
    return LPResult(x=x, unmet=res.x[n_x:], objective=-float(res.fun), delta=lam - mu)


def solve_highs(problem: Problem, *, method: str = "highs", time_limit: float | None = None) -> Allocation:
    problem.validate()
    started = time.perf_counter()
    r, allowed, g = problem.option_values()
    lp = solve_lp(
        r,
        allowed,
        g,
        problem.area,
        problem.wanted,
        problem.minimum,
        problem.penalty_per_ha,
        method=method,
        time_limit=time_limit,
    )
    return Allocation(
        x=lp.x,
        objective=lp.objective,
        method="highs",
        seconds=time.perf_counter() - started,
        free_units=problem.n_units,
    )
