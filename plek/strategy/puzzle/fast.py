"""The fast, exact method for many units and few claims: prices on the claims, then a small LP.

The model (see `model.py`) couples the units only through the per-claim totals. Given a price
delta[c] per hectare of each claim, every unit decides on its own: all of its area to the option
with the highest reduced value r[u, o] - g[o] . delta, or nothing when no option is positive. At
the optimal prices this decision is optimal for every unit whose best option is strictly better than
its second best; only the few units near a tie need to split their area, and those are found by a
small LP.

1. Estimate prices from the LP of a random sample of units (areas scaled up to the whole).
2. Units with the smallest margin between best and second-best option become *free*; every other
   unit is *fixed* to its best option. If the fixed units already exceed a claim, the fixed units
   of that claim with the smallest margins are freed too.
3. Solve the LP of the free units exactly with HiGHS, the claims reduced by what the fixed units
   take. Its duals are new prices.
4. Check optimality of the whole: with these prices, a fixed unit is optimal iff its option still
   has the highest reduced value. The duality gap of the whole problem is exactly
   sum over fixed units of area * (best reduced value - reduced value of its option), so when that
   is zero (within 1e-9 relative) the combined solution is optimal for the full LP. Otherwise the
   violating units are freed and we go back to 2. The free set only grows, so this ends (at worst
   with every unit free, which is the plain LP).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from plek.strategy.puzzle.highs import solve_lp
from plek.strategy.puzzle.model import Allocation, BoolArray, FloatArray, Problem

NONE = -1


class Cancelled(Exception):
    """The solve was cancelled through its `cancelled` callback."""


def _decide(
    r: FloatArray, allowed: BoolArray, g: FloatArray, delta: FloatArray
) -> tuple[np.ndarray, FloatArray, FloatArray]:
    """Per unit: best option (or NONE), its reduced value (>= 0) and the margin to the runner-up."""
    red = r - (g @ delta)[None, :]
    red[~allowed] = -np.inf
    n_opts = red.shape[1]
    if n_opts >= 2:
        top2 = -np.partition(-red, 1, axis=1)[:, :2]
        first, second = top2[:, 0], top2[:, 1]
    else:
        first, second = red[:, 0], np.full(red.shape[0], -np.inf)
    choice = np.argmax(red, axis=1)
    best = np.maximum(first, 0.0)
    # "Nothing" is an option with value 0: the runner-up is the larger of the second option and 0
    # when the best is positive, else the best itself.
    runner = np.where(first > 0, np.maximum(second, 0.0), first)
    margin = best - runner
    choice = np.where(first > 0, choice, NONE)
    return choice, best, margin


def _smooth_dual(
    r: FloatArray,
    allowed: BoolArray,
    g: FloatArray,
    area: FloatArray,
    wanted: FloatArray,
    minimum: FloatArray,
    delta: FloatArray,
    tau: float,
    *,
    hessian: bool,
) -> tuple[float, FloatArray, FloatArray | None]:
    """The dual of the model smoothed with temperature tau (log-sum-exp instead of max), its gradient
    and Hessian in the claim prices. As tau -> 0 it tends to the exact (piecewise linear) dual
        D(delta) = sum_u area[u] max(0, max_o r[u,o] - g[o].delta) + sum_c M_c delta_c + (W_c - M_c) max(delta_c, 0)."""
    # `r` arrives with -inf where the option is not allowed (see _refine_prices).
    red = r - (g @ delta)[None, :]
    m = np.maximum(red.max(axis=1), 0.0)
    red -= m[:, None]
    red /= tau
    # Clip far below the best: exp() of very negative numbers makes denormals, which are slow.
    np.maximum(red, -60.0, out=red)
    w = np.exp(red, out=red)
    z = w.sum(axis=1) + np.exp(np.maximum(-m / tau, -60.0))
    w /= z[:, None]
    value = float(area @ (m + tau * np.log(z)))
    aw = w * area[:, None]
    v = w @ g  # (U, C) expected claim use per hectare
    grad = -(area @ v)
    sig = 0.5 * (1.0 + np.tanh(delta / (2 * tau)))
    soft = np.logaddexp(0.0, delta / tau) * tau
    value += float(minimum @ delta + (wanted - minimum) @ soft)
    grad = grad + minimum + (wanted - minimum) * sig
    hess = None
    if hessian:
        per_opt = aw.sum(axis=0)
        hess = (g.T * per_opt) @ g - (v * area[:, None]).T @ v
        hess /= tau
        hess += np.diag((wanted - minimum) * sig * (1 - sig) / tau)
    return value, grad, hess


def _refine_prices(
    r: FloatArray,
    allowed: BoolArray,
    g: FloatArray,
    area: FloatArray,
    wanted: FloatArray,
    minimum: FloatArray,
    penalty: float,
    delta: FloatArray,
    taus: list[float],
    iterations: int,
) -> FloatArray:
    """Projected Newton on the smoothed dual with decreasing temperature, from a warm start.

    Most units are far from a tie: within a box of half-width `radius` around the current prices
    their best option cannot change, so their part of the dual is linear and is summed once
    ("locked"). Newton then works on the few remaining ("active") units and stays inside the box;
    when it reaches the box edge the units are sorted again around the new centre."""
    r = np.where(allowed, r, -np.inf)
    gmax = float(np.abs(g).sum(axis=1).max())
    for tau in taus:
        radius = 30.0 * tau
        for _lock in range(6):
            center = delta.copy()
            red = r - (g @ delta)[None, :]
            top2 = (
                -np.partition(-red, 1, axis=1)[:, :2]
                if red.shape[1] >= 2
                else np.stack([red[:, 0], np.full(red.shape[0], -np.inf)], 1)
            )
            first, second = top2[:, 0], top2[:, 1]
            margin = np.where(first > 0, first - np.maximum(second, 0.0), -first)
            locked = margin > 2.0 * radius * gmax + 60.0 * tau
            best = np.argmax(red, axis=1)
            on = locked & (first > 0)
            lin = np.bincount(best[on], weights=area[on], minlength=g.shape[0]) @ g  # hectares per claim
            const = float(np.sum(area[on] * r[on, best[on]]))
            del red, top2, first, second, margin, best
            act = np.flatnonzero(~locked)
            ra, aa, area_a = r[act], allowed[act], area[act]

            def f(
                d: FloatArray,
                hessian: bool,
                ra: FloatArray = ra,
                aa: BoolArray = aa,
                area_a: FloatArray = area_a,
                tau: float = tau,
                const: float = const,
                lin: FloatArray = lin,
            ) -> tuple[float, FloatArray, FloatArray | None]:
                v, gr, h = _smooth_dual(ra, aa, g, area_a, wanted, minimum, d, tau, hessian=hessian)
                return v + const - float(lin @ d), gr - lin, h

            value, grad, hess = f(delta, True)
            hit_edge = False
            for _ in range(iterations):
                assert hess is not None  # nosec B101 # type narrowing: set in the branch above
                at_bound = (delta <= -penalty + 1e-12) & (grad > 0)
                free_c = ~at_bound
                step = np.zeros_like(delta)
                if free_c.any():
                    h = hess[np.ix_(free_c, free_c)]
                    h = h + np.eye(h.shape[0]) * (1e-9 * max(1.0, float(np.trace(h))))
                    step[free_c] = -np.linalg.solve(h, grad[free_c])
                t = 1.0
                ok = False
                while t >= 1e-4:
                    trial = np.clip(delta + t * step, center - radius, center + radius)
                    trial = np.maximum(trial, -penalty)
                    new_value, new_grad, new_hess = f(trial, True)
                    if new_value <= value + 1e-4 * float(grad @ (trial - delta)):
                        ok = True
                        break
                    t *= 0.25
                if not ok:
                    break
                hit_edge = bool(np.any(np.abs(trial - center) >= radius * (1 - 1e-9)))
                done = abs(value - new_value) <= 1e-13 * max(1.0, abs(value))
                delta, value, grad, hess = trial, new_value, new_grad, new_hess
                if done or hit_edge:
                    break
            if not hit_edge:
                break
    return delta


def solve_fast(
    problem: Problem,
    *,
    free_size: int | None = None,
    sample_size: int = 1000,
    refine_sample: int = 25_000,
    tol: float = 1e-9,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    max_rounds: int = 50,
) -> Allocation:
    problem.validate()
    started = time.perf_counter()
    r, allowed, g = problem.option_values()
    area = problem.area
    wanted, minimum, penalty = problem.wanted, problem.minimum, problem.penalty_per_ha
    n_units, n_opts = r.shape
    if free_size is None:
        free_size = 1200 + n_units // 250
    free_size = max(1, min(free_size, n_units))

    def report(fraction: float, stage: str) -> None:
        if cancelled is not None and cancelled():
            raise Cancelled()
        if progress is not None:
            progress(fraction, stage)

    # 1. Prices from a sample.
    report(0.0, "sample")
    rng = np.random.default_rng(seed)
    n_sample = min(sample_size, n_units)
    sample = (
        np.sort(rng.choice(n_units, size=n_sample, replace=False))
        if n_sample < n_units
        else np.arange(n_units)
    )
    scale = float(area.sum() / area[sample].sum())
    delta = solve_lp(r[sample], allowed[sample], g, area[sample] * scale, wanted, minimum, penalty).delta

    if n_sample < n_units:
        # Sharpen the prices on the smoothed dual: first on a larger sample, then on every unit.
        top = float(np.max(r, initial=1.0)) or 1.0
        if n_units > 2 * refine_sample:
            sub = np.sort(rng.choice(n_units, size=refine_sample, replace=False))
            sub_scale = float(area.sum() / area[sub].sum())
            report(0.1, "prices on a sample")
            delta = _refine_prices(
                r[sub],
                allowed[sub],
                g,
                area[sub] * sub_scale,
                wanted,
                minimum,
                penalty,
                delta,
                [top * 3e-3],
                8,
            )
            report(0.3, "prices")
            delta = _refine_prices(
                r,
                allowed,
                g,
                area,
                wanted,
                minimum,
                penalty,
                delta,
                [top * 1e-3, top * 1e-4, top * 1e-5, top * 1e-6],
                8,
            )
        else:
            report(0.2, "prices")
            delta = _refine_prices(
                r,
                allowed,
                g,
                area,
                wanted,
                minimum,
                penalty,
                delta,
                [top * 3e-3, top * 1e-3, top * 1e-4, top * 1e-5, top * 1e-6],
                8,
            )
    # 2. Decide every unit at these prices once; free, for every option, the units closest to
    #    switching into or out of it (so that each claim keeps its marginal units and the LP's
    #    prices are pinned down); fix the rest.
    choice, _best, margin = _decide(r, allowed, g, delta)
    free = np.zeros(n_units, dtype=bool)
    red = r - (g @ delta)[None, :]
    red[~allowed] = -np.inf
    top2 = (
        -np.partition(-red, 1, axis=1)[:, :2]
        if n_opts >= 2
        else np.stack([red[:, 0], np.full(n_units, -np.inf)], 1)
    )
    per_option = max(1, free_size // n_opts)
    for o in range(n_opts):
        col = red[:, o]
        is_best = choice == o
        other = np.where(is_best, np.maximum(top2[:, 1], 0.0), np.maximum(top2[:, 0], 0.0))
        close = np.where(allowed[:, o], np.abs(col - other), np.inf)
        k = min(per_option, int(np.isfinite(close).sum()))
        if k > 0:
            free[np.argpartition(close, k - 1)[:k]] = True
    del red, top2
    violators = np.zeros(n_units, dtype=bool)
    for rnd in range(1, max_rounds + 1):
        report(min(0.5 + 0.1 * rnd, 0.95), f"round {rnd}")
        free |= violators
        while True:
            fixed_on = (~free) & (choice != NONE)
            per_opt = np.bincount(choice[fixed_on], weights=area[fixed_on], minlength=n_opts)
            fixed_tot = per_opt @ g
            over = fixed_tot - wanted
            worst = int(np.argmax(over))
            if over[worst] <= 1e-9 * max(1.0, wanted[worst]):
                break
            serves = fixed_on & (g[np.maximum(choice, 0), worst] > 0)
            idx = np.flatnonzero(serves)
            order = idx[np.argsort(margin[idx], kind="stable")]
            contrib = np.cumsum(area[order] * g[choice[order], worst])
            n_move = int(np.searchsorted(contrib, over[worst])) + 1
            n_move = min(order.size, max(n_move + n_move // 10, 1))
            free[order[:n_move]] = True
        # 3. The free units exactly.
        f_idx = np.flatnonzero(free)
        lp = solve_lp(
            r[f_idx],
            allowed[f_idx],
            g,
            area[f_idx],
            np.maximum(wanted - fixed_tot, 0.0),
            minimum - fixed_tot,
            penalty,
        )
        delta = lp.delta
        # 4. Optimality of the whole at the new prices.
        fx = np.flatnonzero(fixed_on)
        fixed_value = float(np.sum(area[fx] * r[fx, choice[fx]]))
        objective = fixed_value + lp.objective
        red_new = r - (g @ delta)[None, :]
        red_new[~allowed] = -np.inf
        best_new = np.maximum(red_new.max(axis=1), 0.0)
        chosen = np.zeros(n_units)
        chosen[fx] = red_new[fx, choice[fx]]
        unit_gap = np.where(free, 0.0, area * (best_new - chosen))
        gap = float(unit_gap.sum())
        if gap <= tol * max(1.0, abs(objective)):
            x = np.zeros((n_units, n_opts))
            x[fx, choice[fx]] = area[fx]
            x[f_idx] = lp.x
            report(1.0, "done")
            return Allocation(
                x=x,
                objective=objective,
                method="fast",
                seconds=time.perf_counter() - started,
                rounds=rnd,
                free_units=int(f_idx.size),
            )
        violators = unit_gap > tol * max(1.0, abs(objective)) / n_units
        many = int(violators.sum()) - 4 * free_size
        if many > 0:  # add the worst ones only: the LP stays small and the prices sharpen first
            cut = np.partition(unit_gap, n_units - 4 * free_size)[n_units - 4 * free_size]
            violators &= unit_gap >= cut
    raise RuntimeError("price method did not converge")  # pragma: no cover - the free set only grows
