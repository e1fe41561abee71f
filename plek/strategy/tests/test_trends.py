"""Trend statistics against known answers and an independent computation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from plek.strategy.trends import NO_TARGET, OFF_TRACK, ON_TRACK, mann_kendall, trend_analyse


@pytest.mark.parametrize("slope", [-2.5, -0.1, 0.0, 0.4, 3.0])
def test_theil_sen_recovers_a_known_slope(slope: float) -> None:
    rng = np.random.default_rng(42)
    years = list(range(2000, 2025))
    values = [10 + slope * (y - 2000) + rng.normal(0, 0.3) for y in years]
    values[5] += 40  # one wild outlier does not move Theil-Sen
    trend = trend_analyse(years, values, higher_is_better=True)
    assert trend.slope == pytest.approx(slope, abs=0.08)
    assert trend.slope_low is not None and trend.slope_high is not None
    assert trend.slope_low <= slope <= trend.slope_high


def _brute_s(y: list[float]) -> int:
    return sum(int(np.sign(y[j] - y[i])) for i in range(len(y)) for j in range(i + 1, len(y)))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-5, 5), min_size=3, max_size=30))
def test_mann_kendall_matches_an_independent_computation(raw: list[int]) -> None:
    y = [float(v) for v in raw]
    mk = mann_kendall(y, continuity=False)
    assert mk.s == _brute_s(y)
    t = np.arange(len(y))
    if len(set(y)) > 1:
        ref = stats.kendalltau(t, y, method="asymptotic")
        # No ties in time: Kendall's tau-b test of (t, y) has the same variance as Mann-Kendall's.
        assert mk.p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
        assert np.sign(mk.s) == np.sign(ref.statistic)


def test_mann_kendall_on_textbook_series() -> None:
    mk = mann_kendall([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
    assert mk.s == 45 and mk.trend == "increasing" and mk.p < 0.001
    assert mann_kendall([5, 5, 5, 5]).trend == "none"


def test_verdict_follows_target_and_direction() -> None:
    years = list(range(2015, 2025))
    rising = [100 + 5 * (y - 2015) for y in years]  # 145 in 2024, 175 projected for 2030
    assert (
        trend_analyse(years, rising, higher_is_better=True, target_year=2030, target_value=170).verdict
        == ON_TRACK
    )
    assert (
        trend_analyse(years, rising, higher_is_better=True, target_year=2030, target_value=200).verdict
        == OFF_TRACK
    )
    assert (
        trend_analyse(years, rising, higher_is_better=False, target_year=2030, target_value=120).verdict
        == OFF_TRACK
    )
    falling = [50 - 2 * (y - 2015) for y in years]  # 20 projected for 2030
    result = trend_analyse(years, falling, higher_is_better=False, target_year=2030, target_value=25)
    assert result.verdict == ON_TRACK and result.projected == pytest.approx(20)
    assert result.projected_low is not None and result.projected_low <= 20 <= (result.projected_high or 0)
    assert trend_analyse(years, rising, higher_is_better=True).verdict == NO_TARGET
