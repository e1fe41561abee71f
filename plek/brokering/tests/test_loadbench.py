"""The load bench's own arithmetic (the full load run is a benchmark, not a CI test)."""

from __future__ import annotations

import pytest

from plek.brokering.loadbench import BenchError, bench_load, percentile, summarise


def test_percentile_is_nearest_rank() -> None:
    data = list(range(1, 101))  # 1..100
    assert percentile(data, 95) == 95.0
    assert percentile(data, 50) == 50.0
    assert percentile(data, 100) == 100.0
    assert percentile(data, 0) == 1.0
    assert percentile([7.5], 95) == 7.5
    assert percentile([30, 10, 20], 50) == 20.0  # unsorted input
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == 10.0  # ceil(9.5) = 10th
    assert percentile([], 95) is None
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_summary_per_kind_totals_and_verdict() -> None:
    samples = {"home": [10.0] * 19 + [200.0], "search": [40.0, 60.0, 80.0, 100.0]}
    result = summarise(samples, {"search": 1}, seconds=2.0, users=5, target_p95_ms=150)
    assert result["kinds"]["home"] == {
        "requests": 20,
        "errors": 0,
        "p50_ms": 10.0,
        "p95_ms": 10.0,  # the 19th of 20 sorted samples
        "p99_ms": 200.0,
        "max_ms": 200.0,
    }
    assert result["kinds"]["search"]["requests"] == 5 and result["kinds"]["search"]["errors"] == 1
    assert result["kinds"]["search"]["p95_ms"] == 100.0
    assert result["requests"] == 25 and result["errors"] == 1
    assert result["requests_per_second"] == 12.5
    assert result["worst_p95_ms"] == 100.0
    assert result["meets_target"] is False  # an error fails the run whatever the times
    clean = summarise(samples, {}, seconds=2.0, users=5, target_p95_ms=150)
    assert clean["meets_target"] is True
    slow = summarise({"home": [151.0]}, {}, seconds=1.0, users=1, target_p95_ms=150)
    assert slow["meets_target"] is False
    only_errors = summarise({}, {"ask": 3}, seconds=1.0, users=1, target_p95_ms=150)
    assert only_errors["kinds"]["ask"]["p95_ms"] is None and only_errors["meets_target"] is False


def test_the_bench_refuses_anything_but_loopback() -> None:
    with pytest.raises(BenchError, match="loopback"):
        bench_load(url="http://example.org", users=1, duration=1)
