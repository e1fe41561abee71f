"""The load bench: its arithmetic, and one short real run (the full load run is a benchmark, not a test)."""

from __future__ import annotations

import json
import os
import socket
import subprocess  # nosec B404
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from plek.brokering.loadbench import MIX, BenchError, bench_load, percentile, summarise
from plek.core.testing import stop, wait_for


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


def test_the_load_bench_runs_end_to_end_against_a_real_server_and_its_page_cache(tmp_path: Path) -> None:
    """`plek bench load` as a person runs it: a fresh instance with demo data, `plek serve` (its file
    cache turns the anonymous page cache on), a short load with a warm-up; the last line is JSON.
    (Locust patches sockets with gevent: that has to happen before Django imports ssl, or the command
    dies of a recursion in ssl — which is how it shipped.)"""
    env = {**os.environ, "HOME": str(tmp_path), "PLEK_VAR_DIR": str(tmp_path / "var")}
    for name in (
        "DJANGO_SETTINGS_MODULE",
        "DATABASE_URL",
        "CACHE_URL",
        "PLEK_SEARCH_BACKEND",
        "PLEK_SEARCH_DIR",
    ):
        env.pop(name, None)
    plek = [sys.executable, "-m", "plek.cli"]
    for step in (["migrate", "--no-input", "-v", "0"], ["demo", "--if-empty"]):
        subprocess.run([*plek, *step], env=env, check=True, capture_output=True, timeout=600)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    server = subprocess.Popen(
        [*plek, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--no-collectstatic"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        def home() -> Any:
            try:
                return urllib.request.urlopen(base + "/", timeout=10)
            except OSError:
                return None

        wait_for(home, timeout=180)
        assert home().headers["X-PLeK-Cache"] == "hit"  # the first visit above stored it
        done = subprocess.run(
            [
                *plek,
                "bench",
                "load",
                "--url",
                base,
                "--users",
                "4",
                "--duration",
                "4",
                "--warmup-seconds",
                "2",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        result = json.loads(done.stdout.strip().splitlines()[-1])
    finally:
        stop(server)
    assert result["suite"] == "load" and result["users"] == 4 and result["warmup_seconds"] >= 2
    assert result["errors"] == 0
    # every visitor keeps visiting: as many rounds as fit in the window at most 1.5 s of think time plus
    # the slowest page each, less the visit that may still be running when the window closes (it is
    # not counted): twice in 4 s on a quiet machine (every page within 0.33 s); on a loaded one the
    # visits still running when the window closes may be slower than any counted, so some visitors
    # may finish none (2 requests from 4 visitors, slowest counted page 0.33-1.25 s, were seen with
    # two test suites running at once), but never no request at all
    slowest = max((k["p99_ms"] or 0) for k in result["kinds"].values()) / 1000
    quiet = slowest <= 0.33
    rounds = max(0, int((result["seconds"] - slowest) // (1.5 + slowest))) if quiet else 0
    assert result["requests"] >= max(1, result["users"] * rounds), result
    # a random mix of page kinds: 16 or so visits show several of them, never anything else
    assert len(result["kinds"]) >= 3 and set(result["kinds"]) <= set(MIX), result["kinds"]
