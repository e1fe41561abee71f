"""The spatial puzzle solvers: the fast price method reaches HiGHS's optimum and keeps every constraint;
impossible inputs are refused with a message that names the problem."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plek.strategy.puzzle.fast import Cancelled, solve_fast
from plek.strategy.puzzle.generator import generate
from plek.strategy.puzzle.highs import solve_highs
from plek.strategy.puzzle.model import Claim, Pair, Problem, PuzzleError, check_feasible, objective_of


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n_units = draw(st.integers(1, 25))
    n_claims = draw(st.integers(1, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # Suitability with ties and zeros on purpose: degenerate instances are where exactness is tested.
    levels = draw(st.sampled_from([None, 3]))
    suit = rng.random((n_units, n_claims))
    if levels:
        suit = np.round(suit * levels) / levels
    excluded = rng.random((n_units, n_claims)) < draw(st.sampled_from([0.0, 0.2, 0.5]))
    allowed = (~excluded) & (suit > 0)
    for u in np.flatnonzero(~allowed.any(axis=1)):  # every unit usable for something
        excluded[u, 0] = False
        suit[u, 0] = max(suit[u, 0], 0.5)
    allowed = (~excluded) & (suit > 0)
    area = rng.choice([1.0, 2.5, 10.0], size=n_units) if draw(st.booleans()) else 1 + 9 * rng.random(n_units)
    usable = area @ allowed
    claims = []
    for c in range(n_claims):
        wanted = float(usable[c] * draw(st.sampled_from([0.0, 0.3, 0.7, 1.0])))
        minimum = wanted * draw(st.sampled_from([0.0, 0.5, 1.0]))
        claims.append(Claim(code=f"c{c}", wanted=wanted, minimum=minimum, priority=float(rng.integers(1, 5))))
    pairs = []
    if n_claims >= 2 and draw(st.booleans()):
        pairs.append(Pair("c0", "c1", draw(st.sampled_from([0.3, 1.0]))))
    if n_claims >= 3 and draw(st.booleans()):
        pairs.append(Pair("c2", "c0", 0.5))
    return Problem(
        unit_codes=[f"u{i}" for i in range(n_units)],
        area=np.asarray(area, dtype=float),
        suitability=suit,
        excluded=excluded,
        claims=claims,
        pairs=pairs,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(1, 4), st.integers(1, 6))
def test_fast_method_reaches_the_highs_optimum_and_keeps_every_constraint(
    problem: Problem, free_size: int, sample_size: int
) -> None:
    exact = solve_highs(problem)
    fast = solve_fast(problem, free_size=free_size, sample_size=sample_size)
    assert abs(fast.objective - exact.objective) <= 1e-6 * max(1.0, abs(exact.objective))
    assert check_feasible(problem, fast.x) == []
    assert abs(objective_of(problem, fast.x) - fast.objective) <= 1e-6 * max(1.0, abs(exact.objective))


def test_fast_method_uses_prices_and_a_small_lp_on_a_larger_study() -> None:
    problem = generate(6000, 10, seed=3)
    exact = solve_highs(problem)
    fast = solve_fast(problem, sample_size=500, refine_sample=2000)
    assert abs(fast.objective - exact.objective) <= 1e-6 * abs(exact.objective)
    assert check_feasible(problem, fast.x) == []
    assert fast.free_units < problem.n_units // 4  # most units were decided by their prices alone


def test_results_are_reproducible_and_inputs_hashed() -> None:
    a, b = generate(500, 6, seed=11), generate(500, 6, seed=11)
    assert a.input_hash() == b.input_hash()
    assert np.array_equal(solve_fast(a).x, solve_fast(b).x)
    b.claims[0].wanted -= 1
    assert a.input_hash() != b.input_hash()


def test_a_solve_can_be_cancelled_and_reports_progress() -> None:
    seen: list[float] = []
    problem = generate(3000, 8, seed=2)
    solve_fast(problem, progress=lambda f, stage: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(Cancelled):
        solve_fast(problem, cancelled=lambda: True)


def _tiny(**changes: object) -> Problem:
    p = Problem(
        unit_codes=["a", "b"],
        area=np.array([10.0, 5.0]),
        suitability=np.array([[0.8, 0.2], [0.5, 0.9]]),
        excluded=np.array([[False, False], [True, False]]),
        claims=[Claim("wonen", 8, 4, 3), Claim("natuur", 6, 0, 1)],
    )
    for k, v in changes.items():
        setattr(p, k, v)
    return p


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"claims": [Claim("wonen", 50, 4, 3), Claim("natuur", 6, 0, 1)]}, "wanted", "maar 10 ha geschikte"),
        ({"area": np.array([10.0, -5.0])}, "area_ha", "groter dan nul"),
        ({"area": np.array([10.0, np.nan])}, "area_ha", "geen getal"),
        ({"excluded": np.array([[False, False], [True, True]])}, "excluded", "Grondeenheid b"),
        ({"suitability": np.array([[0.8, 1.2], [0.5, 0.9]])}, "suitability", "buiten 0-1"),
        ({"claims": [Claim("wonen", 8, 9, 3), Claim("natuur", 6, 0, 1)]}, "minimum", "minimum is groter"),
        ({"pairs": [Pair("wonen", "snelweg", 0.5)]}, "compatibility", "onbekende claim"),
        ({"claims": []}, "claims", "geen enkele"),
    ],
)
def test_impossible_inputs_are_refused_with_a_message(
    changes: dict[str, object], field: str, words: str
) -> None:
    problem = _tiny(**changes)
    for solve in (solve_fast, solve_highs):
        with pytest.raises(PuzzleError) as info:
            solve(problem)
        assert info.value.field == field
        assert words in info.value.message
