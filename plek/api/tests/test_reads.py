"""Reads: region overview paths, busyness, programmes with milestones, filters, pagination, graph."""

from __future__ import annotations

import datetime as dt

import pytest

from plek.api.tests import factories as f
from plek.api.tests.conftest import World, send
from plek.atlas.models import Programme
from plek.core.models import Visibility


@pytest.fixture
def linked(world: World) -> World:
    org = f.OrganisationFactory(slug="gemeente-proef", name="Gemeente Proef", owner_hub=world.hub)
    org.regions.set([world.municipality])
    org.themes.set([world.theme])
    net = f.NetworkFactory(slug="proefnetwerk", name="Proefnetwerk")
    net.regions.set([world.province])
    secret = f.OrganisationFactory(slug="geheim", name="Geheim", visibility=Visibility.PRIVATE)
    secret.regions.set([world.municipality])
    prog = f.ProgrammeFactory(slug="proefprogramma", name="Proefprogramma", abbr="PP")
    prog.regions.set([world.province])
    f.MilestoneFactory(programme=prog, date=dt.date(2030, 2, 1), label="Vaststelling")
    f.MilestoneFactory(programme=prog, date=dt.date(2030, 8, 1), label="Evaluatie", kind="review")
    f.StatusChangeFactory(programme=prog, status=Programme.Status.PREPARATION, date=dt.date(2023, 5, 1))
    return world


def test_region_overview_paths(linked: World) -> None:
    data = send(linked.client("anonymous"), "get", "/regions/GM9901/overview").json()
    assert data["region"]["code"] == "GM9901"
    assert [r["code"] for r in data["containedIn"]] == ["PV99"]
    assert data["region"]["parents"] == data["containedIn"]
    orgs = {i["slug"]: i for i in data["sections"]["organisations"]["items"]}
    assert "geheim" not in orgs  # private: not for anonymous
    assert orgs["gemeente-proef"]["how"] == "direct" and orgs["gemeente-proef"]["via"] == []
    nets = {i["slug"]: i for i in data["sections"]["networks"]["items"]}
    assert nets["proefnetwerk"]["how"] == "via"
    assert nets["proefnetwerk"]["via"] == [{"code": "PV99", "name": "Proefprovincie", "kind": "province"}]
    hubs = {i["slug"]: i for i in data["sections"]["hubs"]["items"]}
    assert hubs["proefhub"]["how"] == "via"
    assert data["sections"]["programmes"]["total"] == 1
    assert set(data["sections"]) == {"hubs", "programmes", "networks", "organisations", "people"}

    province = send(linked.client("anonymous"), "get", "/regions/PV99/overview").json()
    assert [r["code"] for r in province["contains"]] == ["GM9901"]
    orgs = {i["slug"]: i for i in province["sections"]["organisations"]["items"]}
    assert orgs["gemeente-proef"]["how"] == "within"
    assert [r["code"] for r in orgs["gemeente-proef"]["via"]] == ["GM9901"]

    admin = send(linked.client("admin"), "get", "/regions/GM9901/overview").json()
    assert "geheim" in {i["slug"] for i in admin["sections"]["organisations"]["items"]}


def test_region_busyness(linked: World) -> None:
    data = send(
        linked.client("anonymous"), "get", "/regions/GM9901/busyness?start=2030-01-01&months=12"
    ).json()
    assert data["start"] == "2030-01-01" and data["end"] == "2031-01-01" and data["months"] == 12
    assert [m["label"] for m in data["milestones"]] == ["Vaststelling", "Evaluatie"]
    assert data["milestones"][0]["via"]["code"] == "PV99"
    assert data["milestones"][0]["programme"] == {"slug": "proefprogramma", "name": "Proefprogramma"}
    assert [q["quarter"] for q in data["quarters"]] == ["2030-Q1", "2030-Q2", "2030-Q3", "2030-Q4"]
    assert data["programmeCount"] == 1 and data["peak"] == 1


def test_programme_has_milestones_and_status_history(linked: World) -> None:
    data = send(linked.client("anonymous"), "get", "/programmes/proefprogramma").json()
    assert data["abbr"] == "PP"
    assert [m["date"] for m in data["milestones"]] == ["2030-02-01", "2030-08-01"]
    assert data["statusHistory"] == [
        {"status": "preparation", "date": "2023-05-01", "datePrecision": "day", "note": ""}
    ]
    listed = send(linked.client("anonymous"), "get", "/programmes?q=proefprogramma").json()
    assert listed["total"] == 1 and listed["items"][0]["milestones"] == data["milestones"]
    assert listed["items"][0]["statusHistory"] == data["statusHistory"]


def test_filters_include_contained_regions_and_sub_themes(linked: World) -> None:
    client = linked.client("anonymous")
    slugs = [i["slug"] for i in send(client, "get", "/organisations?region=PV99").json()["items"]]
    assert slugs == ["gemeente-proef"]
    sub = f.ThemeFactory(slug="grondwater", parent=linked.theme)
    org2 = f.OrganisationFactory(slug="grondwaterclub", name="Grondwaterclub")
    org2.themes.set([sub])
    slugs = [i["slug"] for i in send(client, "get", "/organisations?theme=water").json()["items"]]
    assert slugs == ["gemeente-proef", "grondwaterclub"]
    slugs = [
        i["slug"]
        for i in send(client, "get", "/organisations?theme=grondwater&kind=municipality").json()["items"]
    ]
    assert slugs == ["grondwaterclub"]
    codes = [r["code"] for r in send(client, "get", "/regions?parent=PV99").json()["items"]]
    assert codes == ["GM9901"]
    assert send(client, "get", "/regions?q=gm9901").json()["items"][0]["code"] == "GM9901"
    subs = [t["slug"] for t in send(client, "get", "/themes?parent=water").json()["items"]]
    assert "grondwater" in subs


def test_pagination_shape_and_next_link(linked: World) -> None:
    for i in range(3):
        f.NetworkFactory(name=f"Zeta netwerk {i}")
    client = linked.client("anonymous")
    first = send(client, "get", "/networks?pageSize=2&q=netwerk").json()
    assert set(first) == {"items", "page", "pageSize", "total", "next"}
    assert first["page"] == 1 and first["pageSize"] == 2 and first["total"] == 4
    assert first["next"].startswith("http://testserver/api/v1/networks?")
    assert "page=2" in first["next"] and "pageSize=2" in first["next"] and "q=netwerk" in first["next"]
    second = client.get(first["next"]).json()
    assert second["page"] == 2 and len(second["items"]) == 2 and second["next"] is None
    names = [i["name"] for i in first["items"] + second["items"]]
    assert names == sorted(names)
    beyond = send(client, "get", "/networks?pageSize=2&q=netwerk&page=9").json()
    assert beyond["items"] == [] and beyond["total"] == 4 and beyond["next"] is None


def test_region_and_theme_detail(linked: World) -> None:
    client = linked.client("anonymous")
    region = send(client, "get", "/regions/gm9901").json()  # codes are case-insensitive
    assert region["code"] == "GM9901" and region["geometry"] is None
    assert region["parents"] == [{"code": "PV99", "name": "Proefprovincie", "kind": "province"}]
    theme = send(client, "get", "/themes/water").json()
    assert theme["labelNl"] == "Water" and theme["parent"] is None


def test_network_hides_private_parent(linked: World) -> None:
    parent = f.NetworkFactory(slug="besloten", visibility=Visibility.PRIVATE)
    child = f.NetworkFactory(slug="kind", parent=parent)
    assert send(linked.client("anonymous"), "get", f"/networks/{child.slug}").json()["parent"] is None
    assert send(linked.client("admin"), "get", f"/networks/{child.slug}").json()["parent"] == "besloten"


def test_relations_hide_ends_the_caller_may_not_see(linked: World) -> None:
    secret = f.OrganisationFactory(slug="verborgen", visibility=Visibility.PRIVATE)
    net = f.NetworkFactory(slug="open-netwerk")
    f.RelationFactory(source_id=secret.pk, target_id=net.pk)
    items = send(linked.client("anonymous"), "get", "/relations").json()["items"]
    [rel] = [r for r in items if r["target"]["identifier"] == "open-netwerk"]
    assert rel["source"] == {"type": "organisation", "identifier": None, "name": None}


def test_graph(linked: World) -> None:
    data = send(linked.client("anonymous"), "get", "/graph?region=PV99").json()
    ids = {n["id"] for n in data["nodes"]}
    assert {"organisation:gemeente-proef", "network:proefnetwerk", "programme:proefprogramma"} <= ids
    assert "organisation:geheim" not in ids
    assert set(data) == {"nodes", "edges", "truncated", "totalNodes", "maxNodes"}
