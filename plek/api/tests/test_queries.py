"""Bounded queries: a list endpoint runs the same number of queries for 5 or 50 items."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plek.api.tests import factories as f
from plek.api.tests.conftest import World, is_problem, send

N = 60


@pytest.fixture
def crowd(world: World) -> World:
    themes = [world.theme, f.ThemeFactory(parent=world.theme)]
    regions = [world.municipality, world.province]
    for i in range(N):
        region = f.RegionFactory(code=f"GM8{i:03d}", name=f"Massagemeente {i}")
        f.contain(world.province, region)
        org = f.OrganisationFactory(owner_hub=world.hub, created_by=world.author)
        org.regions.set([*regions, region])
        org.themes.set(themes)
        net = f.NetworkFactory(owner_hub=world.hub, created_by=world.author, parent=None)
        net.regions.set(regions)
        net.themes.set(themes)
        prog = f.ProgrammeFactory()
        prog.regions.set(regions)
        prog.themes.set(themes)
        net.programmes.set([prog])
        f.MilestoneFactory(programme=prog)
        f.StatusChangeFactory(programme=prog)
        hub = f.HubFactory(regions=regions)
        hub.themes.set(themes)
        person = f.PersonFactory(owner_hub=world.hub, created_by=world.author, regions_visibility="public")
        person.regions.set(regions)
        person.themes.set(themes)
        person.organisations.set([org])
        f.RelationFactory(source_id=org.pk, target_id=net.pk, owner_hub=world.hub)
        f.ThemeFactory(parent=world.theme if i % 2 else None)
    return world


LISTS = [
    "/regions",
    "/regions?parent=PV99",
    "/themes",
    "/organisations",
    "/organisations?region=PV99&theme=water",
    "/people",
    "/people?region=PV99",
    "/networks",
    "/hubs",
    "/programmes",
    "/relations",
]


@pytest.mark.parametrize("path", LISTS)
def test_same_number_of_queries_for_5_and_50(crowd: World, path: str) -> None:
    sep = "&" if "?" in path else "?"
    for role in ("anonymous", "member"):
        counts = {}
        for size in (5, 50):
            client = crowd.client(role)
            with CaptureQueriesContext(connection) as ctx:
                response = send(client, "get", f"{path}{sep}pageSize={size}")
            assert response.status_code == 200, response.content[:300]
            assert len(response.json()["items"]) == size, path
            counts[size] = len(ctx.captured_queries)
        assert counts[5] == counts[50], (path, role, counts)
        assert counts[50] <= 14, (path, role, counts)


def test_overview_and_graph_are_bounded(crowd: World, django_assert_max_num_queries: object) -> None:
    client = crowd.client("member")
    # each section: its total and its closest items, ranked in the database (two queries each); for a
    # signed-in viewer people, organisations and networks also rank the viewer's own extra rows apart
    # from the shared part (two more each, the shared part cached where the cache is shared)
    with django_assert_max_num_queries(36):  # type: ignore[operator]
        response = send(client, "get", "/regions/PV99/overview?limit=50")
    assert response.status_code == 200
    assert response.json()["sections"]["organisations"]["total"] >= N


def _atlas_lookups(queries: list[dict[str, str]]) -> list[str]:
    return [q["sql"] for q in queries if '"atlas_theme"' in q["sql"] or '"atlas_region' in q["sql"]]


def test_a_search_with_theme_and_region_looks_them_up_in_five_queries(world: World) -> None:
    # all themes once (checks the filter and labels the results), the region, the containment graph
    # (memoised per process where the cache is shared: then none), the relatives' codes, and the
    # regions the results name — it took six before
    client = world.client("anonymous")
    with CaptureQueriesContext(connection) as ctx:
        response = send(client, "get", "/search?q=water&theme=water&region=PV99")
    assert response.status_code == 200, response.content[:300]
    assert len(_atlas_lookups(ctx.captured_queries)) == 5, _atlas_lookups(ctx.captured_queries)


def test_a_search_with_an_unknown_theme_answers_400_naming_it(world: World) -> None:
    response = send(world.client("anonymous"), "get", "/search?q=water&theme=nope")
    body = is_problem(response, 400)
    assert [p["name"] for p in body["invalidParams"]] == ["theme"]
