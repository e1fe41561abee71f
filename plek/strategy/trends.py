"""Trend statistics for one series: Theil-Sen slope with confidence interval, the Mann-Kendall test,
a projection to the target year with a band, and a verdict against the target."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

ON_TRACK, OFF_TRACK, NO_TARGET, TOO_SHORT = "on_track", "off_track", "no_target", "too_short"


@dataclass
class MannKendall:
    s: int
    var_s: float
    z: float
    p: float
    tau: float
    trend: str  # "increasing" | "decreasing" | "none"


def mann_kendall(y: list[float] | np.ndarray, *, alpha: float = 0.05, continuity: bool = True) -> MannKendall:
    """The Mann-Kendall trend test (normal approximation, variance corrected for tied values)."""
    v = np.asarray(y, dtype=float)
    n = v.size
    if n < 2:
        return MannKendall(0, 0.0, 0.0, 1.0, 0.0, "none")
    diff = v[None, :] - v[:, None]
    s = int(np.sign(diff[np.triu_indices(n, 1)]).sum())
    _, counts = np.unique(v, return_counts=True)
    ties = float(np.sum(counts * (counts - 1) * (2 * counts + 5)))
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18.0
    if var_s <= 0:
        z = 0.0
    elif continuity:
        z = (s - np.sign(s)) / math.sqrt(var_s)
    else:
        z = s / math.sqrt(var_s)
    p = float(2 * stats.norm.sf(abs(z)))
    tau = s / (n * (n - 1) / 2)
    trend = "none" if p >= alpha else ("increasing" if s > 0 else "decreasing")
    return MannKendall(s=s, var_s=var_s, z=float(z), p=p, tau=float(tau), trend=trend)


@dataclass
class Trend:
    n: int
    first_year: int | None
    last_year: int | None
    last_value: float | None
    slope: float | None
    slope_low: float | None
    slope_high: float | None
    intercept: float | None
    mann_kendall: MannKendall | None
    target_year: int | None
    target_value: float | None
    projected: float | None
    projected_low: float | None
    projected_high: float | None
    verdict: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def trend_analyse(
    years: list[int],
    values: list[float],
    *,
    higher_is_better: bool,
    target_year: int | None = None,
    target_value: float | None = None,
    confidence: float = 0.95,
) -> Trend:
    """Theil-Sen through (year, value); with a target, project to its year and judge.

    The band uses the slope's confidence limits through the series' median point: the projection is
    on track when the central estimate reaches the target in the good direction."""
    t = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    order = np.argsort(t, kind="stable")
    t, y = t[order], y[order]
    n = int(t.size)
    has_target = target_year is not None and target_value is not None
    if n < 3 or np.unique(t).size < 2:
        return Trend(
            n,
            int(t[0]) if n else None,
            int(t[-1]) if n else None,
            float(y[-1]) if n else None,
            None,
            None,
            None,
            None,
            None,
            target_year,
            target_value,
            None,
            None,
            None,
            TOO_SHORT if has_target else NO_TARGET,
        )
    res = stats.theilslopes(y, t, alpha=confidence)
    slope, intercept, low, high = float(res[0]), float(res[1]), float(res[2]), float(res[3])
    mk = mann_kendall(y)
    projected = projected_low = projected_high = None
    verdict = NO_TARGET
    if has_target:
        assert target_year is not None and target_value is not None  # nosec B101 # type narrowing: both set together above
        t_med, y_med = float(np.median(t)), float(np.median(y))
        projected = intercept + slope * target_year
        ends = [y_med + s * (target_year - t_med) for s in (low, high)]
        projected_low, projected_high = min(ends), max(ends)
        reached = projected >= target_value if higher_is_better else projected <= target_value
        verdict = ON_TRACK if reached else OFF_TRACK
    return Trend(
        n=n,
        first_year=int(t[0]),
        last_year=int(t[-1]),
        last_value=float(y[-1]),
        slope=slope,
        slope_low=low,
        slope_high=high,
        intercept=intercept,
        mann_kendall=mk,
        target_year=target_year,
        target_value=target_value,
        projected=projected,
        projected_low=projected_low,
        projected_high=projected_high,
        verdict=verdict,
    )
