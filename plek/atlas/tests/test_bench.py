"""`plek bench pages` runs end to end and ends with one JSON object (times are not asserted)."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

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
    for audience in ("pages", "member", "member_uncached", "member_first"):
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


def test_first_visits_are_one_request_per_new_member_and_leave_no_one_behind(ref: None) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from plek.atlas.bench import FIRST_PREFIX, bench_member, first_visitors, measure_first_visits
    from plek.atlas.models import HubMembership

    Demo("small").run()
    member = bench_member()
    people = first_visitors(member, 4)
    again = first_visitors(member, 4)  # made afresh: new ids, so nobody has a cached part yet
    assert not {p.pk for p in people} & {p.pk for p in again}
    hub_id = HubMembership.objects.get(user=member).hub_id
    assert all(HubMembership.objects.get(user=p).hub_id == hub_id for p in again)
    seen: list[Any] = []

    class Recording(Client):
        def get(self, path: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
            seen.append(self.session.get("_auth_user_id"))
            return super().get(path, *args, **kwargs)

    timing = measure_first_visits(Recording(), "/gebieden/NL/", again, name="country")
    assert len(timing.wall_ms) == len(timing.cpu_ms) == 3  # the first person's request counts the queries
    assert timing.queries > 5  # a signed-in first visit reads the session, the person, the sections
    assert seen == [str(p.pk) for p in again]  # each request by the next person, signed in
    get_user_model().objects.filter(username__startswith=FIRST_PREFIX).delete()
    assert not get_user_model().objects.filter(username__startswith=FIRST_PREFIX).exists()
