"""The arithmetic of `plek bench cluster` (error rate around the kill, page percentiles) and the
HAProxy configuration in docs/deployment.md, which must be the one the cluster runs with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from plek.platform.cluster import DOCS_EXAMPLE, Hit, Network, failover_summary, haproxy_config, page_times

DOCS = Path(__file__).resolve().parents[3] / "docs" / "deployment.md"


def _hits(kind: str, times_ms: list[float], *, status: int = 200, start: float = 0.0) -> list[Hit]:
    return [Hit(kind, start, start + ms / 1000, status) for ms in times_ms]


def test_page_times_are_nearest_rank_percentiles_of_the_answered_requests() -> None:
    # 20 answered home pages: 1..20 ms; p95 is the 19th (nearest rank), p50 the 10th.
    hits = _hits("home", [float(ms) for ms in range(20, 0, -1)])
    hits += _hits("home", [5000.0], status=502)  # a failed request counts, but not in the times
    hits += _hits("search", [40.0, 80.0, 60.0])
    times = page_times(hits)
    assert times["home"] == {"requests": 21, "errors": 1, "p50_ms": 10.0, "p95_ms": 19.0}
    assert times["search"] == {"requests": 3, "errors": 0, "p50_ms": 60.0, "p95_ms": 80.0}
    only_failed = page_times(_hits("map", [10.0], status=0))
    assert only_failed["map"] == {"requests": 1, "errors": 1, "p50_ms": None, "p95_ms": None}


def test_failover_summary_counts_errors_around_the_kill_and_the_recovery() -> None:
    hits = [
        Hit("home", 0.1, 0.2, 200),
        Hit("home", 1.0, 1.1, 503),  # before the kill
        Hit("home", 4.9, 5.05, 502),  # in flight on the killed node
        Hit("write", 5.2, 6.5, 0),  # nothing answered; the last failure ends 1.5 s after the kill
        Hit("home", 6.0, 6.1, 200),
        Hit("home", 8.5, 8.6, 200),
        Hit("search", 9.2, 9.4, 302),  # a redirect is an answer
    ]
    summary = failover_summary(hits, killed_at=5.0, duration=10.0, quiet_tail=2.0)
    assert summary["requests"] == 7 and summary["errors"] == 3
    assert summary["error_rate"] == round(3 / 7, 4)
    assert summary["error_statuses"] == {"0": 1, "502": 1, "503": 1}
    assert summary["errors_before_kill"] == 1 and summary["errors_after_kill"] == 2
    assert summary["recovered_after_s"] == 1.5
    assert summary["requests_in_tail"] == 2 and summary["errors_in_tail"] == 0
    assert summary["error_rate_back_to_zero"] is True
    assert summary["timeline"][0] == [0.0, 1, 0]
    assert summary["timeline"][1] == [1.0, 1, 1]
    assert summary["timeline"][5] == [5.0, 1, 1]
    assert summary["timeline"][6] == [6.0, 2, 1]
    assert sum(b[1] for b in summary["timeline"]) == 7 and sum(b[2] for b in summary["timeline"]) == 3


def test_an_error_in_the_tail_or_an_empty_tail_is_not_a_recovery() -> None:
    failing = [Hit("home", 9.0, 9.5, 200), Hit("home", 9.1, 9.6, 502)]
    summary = failover_summary(failing, killed_at=2.0, duration=10.0, quiet_tail=3.0)
    assert summary["errors_in_tail"] == 1 and summary["error_rate_back_to_zero"] is False
    assert summary["recovered_after_s"] == 7.6
    silent = failover_summary([Hit("home", 0.0, 1.0, 200)], killed_at=2.0, duration=10.0, quiet_tail=3.0)
    assert silent["requests_in_tail"] == 0 and silent["error_rate_back_to_zero"] is False
    assert silent["recovered_after_s"] == 0.0  # nothing failed after the kill
    no_kill = failover_summary([Hit("home", 0.0, 1.0, 200)], killed_at=None, duration=1.0, quiet_tail=1.0)
    assert no_kill["recovered_after_s"] is None and no_kill["errors_before_kill"] == 0


def test_the_haproxy_configuration_in_the_docs_is_the_one_the_cluster_runs() -> None:
    text = DOCS.read_text()
    blocks = re.findall(r"```haproxy\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1, "docs/deployment.md shows exactly one ```haproxy block"
    assert blocks[0] == haproxy_config(**DOCS_EXAMPLE)  # type: ignore[arg-type]


def test_the_configuration_has_one_checked_server_per_node() -> None:
    config = haproxy_config(
        bind="127.0.0.1:9", servers=[("a", "10.1.2.2:80"), ("b", "10.1.2.6:81")], health_host="h"
    )
    assert "    bind 127.0.0.1:9\n" in config
    assert "    server a 10.1.2.2:80 check\n    server b 10.1.2.6:81 check\n" in config
    assert "uri /readyz ver HTTP/1.1 hdr Host h " in config
    assert "{" not in config.replace("{ ssl_fc }", "")  # every placeholder filled


def test_without_namespaces_every_process_runs_on_loopback_and_the_result_says_so() -> None:
    network = Network("t0")
    network.open(["a", "b", "worker"], allow_netns=False)
    assert network.mode == "loopback" and "loopback" in network.note
    assert {network.address(n) for n in ("a", "b", "worker")} == {"127.0.0.1"}
    assert network.gateway("a") == "127.0.0.1" and network.prefix("a") == []
    network.close()  # nothing was made, nothing to remove
    assert network.namespaces == [] and network.interfaces == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--users", "0"], "--users"),
        (["--duration", "0"], "--duration"),
        (["--duration", "10", "--kill-after", "10"], "--kill-after"),
        (["--kill-after", "-1"], "--kill-after"),
        (["--web-workers", "0"], "--web-workers"),
        (["--redis-db", "16"], "--redis-db"),
    ],
)
def test_bench_cluster_refuses_impossible_options_before_starting_anything(
    args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("bench", "cluster", *args)
