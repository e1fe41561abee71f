"""`plek bench pages` runs end to end and ends with one JSON object (times are not asserted)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plek.atlas.bench import PAGES
from plek.atlas.demo import Demo

pytestmark = pytest.mark.django_db

PAGE_NAMES = {
    "home",
    "province",
    "municipality",
    "busyness",
    "graph_api",
    "people_filtered",
    "map_knowledge",
    "graph_page",
    "programme",
    "country",
}


def test_bench_pages_prints_a_table_and_one_json_line(ref: None) -> None:
    Demo("small").run()
    out = StringIO()
    call_command("bench", "pages", "--runs", "2", "--warmup", "0", "--min-people", "0", stdout=out)
    lines = out.getvalue().strip().splitlines()
    result = json.loads(lines[-1])
    assert set(PAGES) == PAGE_NAMES
    for audience in ("pages", "member", "member_uncached"):
        assert set(result[audience]) == PAGE_NAMES
        for name in PAGE_NAMES:
            timing = result[audience][name]
            assert isinstance(timing["p50_ms"], int | float) and isinstance(timing["p95_ms"], int | float)
            assert timing["p50_ms"] <= timing["p95_ms"]
    assert result["runs"] == 2
    assert result["graph_api"]["source"] in ("api", "selector")
    assert set(result["data"]) == {"people", "organisations", "networks", "relations"}
    assert result["data"]["people"] >= 300
    assert any(line.startswith("province") for line in lines[:-1])  # the readable table came first


def test_bench_pages_refuses_a_small_database(ref: None) -> None:
    with pytest.raises(CommandError, match="plek demo --scale national"):
        call_command("bench", "pages", "--runs", "1", stdout=StringIO())
