"""The search bench's own arithmetic: a wrong percentile would misreport the speed goals."""

from __future__ import annotations

import pytest

from plek.knowledge.search.bench import _pct


def test_percentiles_interpolate_between_the_sorted_times() -> None:
    times = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert _pct(times, 0.5) == pytest.approx(50.5)
    assert _pct(times, 0.95) == pytest.approx(95.05)
    assert _pct(times, 0.99) == pytest.approx(99.01)
    assert _pct(times, 0.0) == 1.0 and _pct(times, 1.0) == 100.0
    assert _pct([7.0], 0.95) == 7.0
    assert _pct([], 0.95) == 0.0
    # one slow query among twenty moves p95 only part of the way towards it
    assert _pct([10.0] * 19 + [1000.0], 0.95) == pytest.approx(10.0 + 0.05 * 990.0)
