"""`plek bench scenario`: the fast price method against HiGHS on generated studies of growing size.

Each (size, method) runs in a fresh Python process so its peak memory (maximum resident set size,
interpreter and instance included) is its own. Both methods solve the same seeded instance."""

from __future__ import annotations

import json
import os
import resource
import subprocess  # nosec B404 # runs our own interpreter for isolated timing
import sys
from typing import Any


class BenchError(Exception):
    pass


def _child() -> None:  # pragma: no cover - runs in the subprocess
    import time

    from plek.strategy.puzzle.fast import solve_fast
    from plek.strategy.puzzle.generator import generate
    from plek.strategy.puzzle.highs import solve_highs

    units, claims, method, seed, limit = (
        int(sys.argv[1]),
        int(sys.argv[2]),
        sys.argv[3],
        int(sys.argv[4]),
        float(sys.argv[5]),
    )
    problem = generate(units, claims, seed=seed)
    started = time.perf_counter()
    if method == "fast":
        result = solve_fast(problem)
    else:
        result = solve_highs(problem, method="highs-ipm", time_limit=limit)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak_mb,
                "objective": result.objective,
                "rounds": result.rounds,
                "free": result.free_units,
            }
        )
    )


def _run(units: int, claims: int, method: str, seed: int, limit: float) -> dict[str, Any] | None:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    code = "from plek.strategy.bench import _child; _child()"
    try:
        out = subprocess.run(  # nosec B603 # fixed argv: sys.executable and numbers
            [sys.executable, "-c", code, str(units), str(claims), method, str(seed), str(limit)],
            capture_output=True,
            text=True,
            env=env,
            timeout=limit + 120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return None
    if out.returncode != 0:
        if method == "highs":
            return None  # e.g. the time limit: reported as null
        raise BenchError(f"{method} at {units} units failed: {out.stderr.strip()[-500:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def bench_scenario(
    *,
    sizes: list[int],
    claims: int = 10,
    highs_max_units: int = 100_000,
    highs_limit_s: float = 900.0,
    seed: int = 7,
) -> dict[str, Any]:
    runs = []
    for units in sizes:
        fast = _run(units, claims, "fast", seed, highs_limit_s)
        assert fast is not None  # nosec B101 # benchmark sanity check
        highs = _run(units, claims, "highs", seed, highs_limit_s) if units <= highs_max_units else None
        gap = None
        if highs is not None:
            gap = abs(fast["objective"] - highs["objective"]) / max(1.0, abs(highs["objective"]))
        runs.append(
            {
                "units": units,
                "claims": claims,
                "fast_s": round(fast["seconds"], 3),
                "fast_peak_mb": round(fast["peak_mb"], 1),
                "highs_s": None if highs is None else round(highs["seconds"], 3),
                "highs_peak_mb": None if highs is None else round(highs["peak_mb"], 1),
                "rel_gap": gap,
                "fast_rounds": fast["rounds"],
                "fast_free_units": fast["free"],
            }
        )
    return {"runs": runs}


def table(result: dict[str, Any]) -> str:
    lines = [f"{'units':>10} {'fast s':>8} {'fast MB':>8} {'HiGHS s':>9} {'HiGHS MB':>9} {'rel gap':>10}"]
    for r in result["runs"]:
        hs = "-" if r["highs_s"] is None else f"{r['highs_s']:.2f}"
        hm = "-" if r["highs_peak_mb"] is None else f"{r['highs_peak_mb']:.0f}"
        gap = "-" if r["rel_gap"] is None else f"{r['rel_gap']:.1e}"
        lines.append(
            f"{r['units']:>10} {r['fast_s']:>8.2f} {r['fast_peak_mb']:>8.0f} {hs:>9} {hm:>9} {gap:>10}"
        )
    return "\n".join(lines)
