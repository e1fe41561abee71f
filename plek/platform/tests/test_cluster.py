"""The multi-node topology, for real: `plek bench cluster` as a person runs it, in short — two
`plek serve` nodes, a `plek worker` and HAProxy, each node in a network namespace of its own, on a
throwaway PostgreSQL database with Redis as the shared cache; the last line it prints is JSON. A
sign-in on node A holds on node B; a write through node A is read (API, page, search) through node
B (how soon is the bench's figure); node A killed with kill -9 under a load of 50 visitors loses no
acknowledged write and the balancer's clients see errors only briefly.

Needs PostgreSQL on 127.0.0.1:5432, Redis on 127.0.0.1:6379 and haproxy (apt-get install haproxy):
without them this test fails, it does not skip. Network namespaces need root (CI runs as root)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from django.conf import settings


def test_two_nodes_behind_haproxy_share_everything_and_survive_the_loss_of_one(tmp_path: Path) -> None:
    assert shutil.which("haproxy"), "haproxy is missing: apt-get install haproxy (.ci/run does)"
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PLEK_VAR_DIR"] = str(tmp_path / "var")  # the command's own instance is not the cluster's
    args = [
        "--users",
        "50",
        "--duration",
        "10",
        "--warmup-seconds",
        "0",
        "--kill-after",
        "3",
        "--redis-db",
        "13",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "plek.cli", "bench", "cluster", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=str(settings.BASE_DIR),
    )
    assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(json.dumps(result))  # shown with -s

    # Each node and the worker behind a real network hop wherever namespaces can be made (root, as
    # in CI); elsewhere the same checks on loopback, and the result says so.
    if os.geteuid() == 0:
        assert result["network"] == "netns", result["network_note"]
    else:
        assert result["network"] == "loopback" and "namespaces" in result["network_note"]

    # While the database was migrated node A was up but not ready (503), and the balancer's clients
    # got its own 503 (no node ready), never an error page of a half-migrated database. (Toward the
    # end /readyz may pass while `migrate` still runs its post-migrate hooks; 0: HAProxy or the node
    # not listening yet.)
    during = result["during_migration"]
    assert "503" in during["node_a_readyz"], during
    assert "503" in during["balancer"] and set(during["balancer"]) <= {"0", "503", "200"}, during

    # A sign-in through node A holds on node B (database sessions, one SECRET_KEY).
    assert result["session"] == {"signed_in_on_a": True, "signed_in_on_b": True}

    # A write through node A is read through node B: API, page, search, each within the probe's
    # 10 s (None: never seen). How fast (the target is a second) is the benchmark's figure, not this
    # test's: on a loaded machine search took 1.07 s once. The bench's own arithmetic is checked.
    visibility = result["visibility"]
    assert visibility["writes"] == 3
    times = []
    for probe in visibility["probes"]:
        assert set(probe) == {"api_ms", "page_ms", "search_ms"}
        assert all(ms is not None and 0 <= ms <= 10_000 for ms in probe.values()), probe
        times.extend(probe.values())
    assert visibility["max_ms"] == max(times)
    assert visibility["within_1s"] is (max(times) <= 1000)

    # Node A killed under the load of 50 visitors: no acknowledged write lost ...
    assert result["users"] == 50
    assert result["killed_node_answers"] is False
    assert result["acknowledged_writes"] >= 10
    assert result["lost_writes"] == 0, result["lost_write_slugs"]

    # ... and the balancer's clients see errors only around the kill, then none.
    failover = result["failover"]
    assert 3.0 <= failover["killed_at_s"] < 3.5, failover  # at the planned moment (the sleep may run over)
    assert failover["errors_before_kill"] == 0, failover
    assert failover["recovered_after_s"] <= 3.0, failover
    assert failover["requests_in_tail"] >= 20 and failover["errors_in_tail"] == 0, failover
    assert failover["error_rate_back_to_zero"] is True
    kinds = {"home", "region", "organisations", "organisation", "knowledge", "search", "questions"}
    assert set(result["pages"]) == kinds
    assert all(k["p95_ms"] is not None for k in result["pages"].values())
