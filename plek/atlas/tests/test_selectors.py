"""What touches a region, across scale levels; busyness; lists with bounded queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plek.atlas import selectors
from plek.atlas.models import (
    Hub,
    Milestone,
    Network,
    Organisation,
    Person,
    Programme,
    Region,
    RegionContainment,
    Theme,
)
from plek.atlas.permissions import ANONYMOUS, viewer_for
from plek.core.models import Visibility

pytestmark = pytest.mark.django_db


def _programme_in(code: str) -> Programme:
    p = Programme.objects.create(slug="test-programma", name="Testprogramma Bodem")
    p.regions.set([Region.objects.get(code=code)])
    return p


def test_a_province_programme_reaches_each_of_its_municipalities(ref: None) -> None:
    programme = _programme_in("PV27")
    municipalities = Region.objects.filter(parent_links__parent__code="PV27", kind="municipality")
    assert municipalities.count() == 44
    for m in municipalities:
        section = selectors.region_touches(viewer=ANONYMOUS, region=m, sections=("programmes",))["programmes"]
        touch = next(t for t in section.items if t.obj == programme) if section.total <= 12 else None
        if touch is None:  # more than the first page: check it is counted and reachable via the list
            ids = [
                t.obj.pk
                for t in selectors.region_touches(
                    viewer=ANONYMOUS, region=m, limit=1000, sections=("programmes",)
                )["programmes"].items
            ]
            assert programme.pk in ids
            continue
        assert touch.how == "via"
        assert touch.via.code == "PV27"


def test_the_path_is_shown_for_amsterdam(ref: None) -> None:
    programme = _programme_in("PV27")
    overview = selectors.region_overview(
        viewer=ANONYMOUS, region=Region.objects.get(code="GM0363"), limit=1000
    )
    touch = next(t for t in overview["sections"]["programmes"].items if t.obj == programme)
    assert [r.code for r in touch.through] == ["PV27"]


def test_a_res_network_appears_in_municipalities_of_two_provinces(ref: None) -> None:
    res = Region.objects.get(code="RES-FOODVALLEY")
    members = Region.objects.filter(parent_links__parent=res)
    provinces = set(
        RegionContainment.objects.filter(child__in=members, parent__kind="province").values_list(
            "parent__code", flat=True
        )
    )
    assert provinces == {"PV25", "PV26"}
    network = Network.objects.create(
        slug="foodvalley-eiwit", name="Eiwittransitie Foodvalley", scale="regional"
    )
    network.regions.set([res])
    for code in ("GM0228", "GM0345"):  # Ede (Gelderland), Veenendaal (Utrecht)
        section = selectors.region_touches(
            viewer=ANONYMOUS, region=Region.objects.get(code=code), sections=("networks",)
        )["networks"]
        touch = next(t for t in section.items if t.obj == network)
        assert touch.how == "via" and touch.via == res


def test_a_province_shows_what_lies_within_it(ref: None) -> None:
    network = Network.objects.create(slug="amsterdam-warmte", name="Warmte Amsterdam", scale="local")
    network.regions.set([Region.objects.get(code="GM0363")])
    section = selectors.region_touches(
        viewer=ANONYMOUS, region=Region.objects.get(code="PV27"), sections=("networks",)
    )["networks"]
    touch = next(t for t in section.items if t.obj == network)
    assert touch.how == "within" and touch.via.code == "GM0363"


def test_hidden_networks_do_not_touch_a_region_for_outsiders(
    ref: None, cast: dict[str, Any], hub: Hub
) -> None:
    network = Network.objects.create(
        slug="besloten", name="Besloten netwerk", scale="local", visibility=Visibility.HUB, owner_hub=hub
    )
    network.regions.set([Region.objects.get(code="GM0363")])
    region = Region.objects.get(code="GM0363")
    for role, expected in (
        ("anonymous", 0),
        ("outsider", 0),
        ("member", 1),
        ("coordinator", 1),
        ("admin", 1),
    ):
        viewer = viewer_for(cast[role])
        section = selectors.region_touches(viewer=viewer, region=region, sections=("networks",))["networks"]
        assert section.total == expected, role


def test_busyness_counts_milestones_per_quarter(ref: None) -> None:
    programme = _programme_in("PV27")
    start = dt.date(2027, 1, 1)
    for day in (dt.date(2027, 2, 1), dt.date(2027, 3, 15), dt.date(2027, 8, 1), dt.date(2030, 1, 1)):
        Milestone.objects.create(programme=programme, date=day, kind="deadline", label=f"deadline {day}")
    data = selectors.region_busyness(region=Region.objects.get(code="GM0363"), start=start, months=12)
    ours = [r for r in data["milestones"] if r["milestone"].programme_id == programme.pk]
    assert len(ours) == 3
    assert ours[0]["via"].code == "PV27"
    counts = {q["quarter"]: q["count"] for q in data["quarters"]}
    assert list(counts) == ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    assert counts["2027-Q1"] >= 2 and counts["2027-Q3"] >= 1
    assert next(q for q in data["quarters"] if q["quarter"] == "2027-Q1")["busy"] == (
        counts["2027-Q1"] == data["peak"]
    )


def _people(n: int, theme: Theme, region: Region) -> None:
    for i in range(n):
        p = Person.objects.create(
            slug=f"p{i}", name=f"Persoon {i}", expertise_visibility="public", regions_visibility="public"
        )
        p.themes.set([theme])
        p.regions.set([region])
        p.organisations.set([Organisation.objects.create(slug=f"o{i}", name=f"Org {i}", kind="company")])


@pytest.mark.parametrize("kind", ["person", "organisation", "network", "hub", "programme"])
def test_list_queries_do_not_grow_with_page_size(ref: None, kind: str) -> None:
    theme, region = Theme.objects.get(slug="energie"), Region.objects.get(code="GM0363")
    _people(30, theme, region)
    for i in range(30):
        n = Network.objects.create(slug=f"n{i}", name=f"Netwerk {i}", scale="local")
        n.regions.set([region])
        n.themes.set([theme])
        h = Hub.objects.create(slug=f"h{i}", name=f"Hub {i}")
        h.regions.set([region])
    counts = []
    for size in (5, 25):
        filters = (
            selectors.ListFilters(region=Region.objects.get(code="PV27"), theme=theme)
            if kind in ("person", "network")
            else None
        )
        with CaptureQueriesContext(connection) as ctx:
            page = selectors.entity_page(kind, viewer=ANONYMOUS, filters=filters, size=size)
            rows = list(page.object_list)
            if kind == "person":
                [selectors.person_view(ANONYMOUS, p) for p in rows]
        assert rows
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


def test_people_filtered_by_theme_only_where_expertise_is_visible(ref: None, cast: dict[str, Any]) -> None:
    theme = Theme.objects.get(slug="stikstof")
    hidden = Person.objects.create(slug="verborgen", name="Verborgen Expert", expertise_visibility="private")
    hidden.themes.set([theme])
    shown = Person.objects.create(slug="zichtbaar", name="Zichtbare Expert", expertise_visibility="public")
    shown.themes.set([theme])
    filters = selectors.ListFilters(theme=theme)
    anon = {p.slug for p in selectors.entity_queryset("person", viewer=ANONYMOUS, filters=filters)}
    admin = {
        p.slug for p in selectors.entity_queryset("person", viewer=viewer_for(cast["admin"]), filters=filters)
    }
    assert anon == {"zichtbaar"}
    assert admin == {"zichtbaar", "verborgen"}


def test_graph_is_bounded_and_marks_brokers(ref: None) -> None:
    region = Region.objects.get(code="PV27")
    hub = Hub.objects.create(slug="hub-x", name="Hub X")
    hub.regions.set([region])
    nets = []
    for i in range(6):
        n = Network.objects.create(slug=f"g{i}", name=f"G{i}", scale="regional")
        n.regions.set([region])
        nets.append(n)
    from plek.atlas.models import Relation

    for n in nets[:5]:
        Relation.objects.create(
            kind="works_with", source_type="network", source_id=n.pk, target_type="hub", target_id=hub.pk
        )
    data = selectors.graph_data(viewer=ANONYMOUS, region=region)
    ids = {n["id"] for n in data["nodes"]}
    assert "hub:hub-x" in ids and "network:g5" in ids
    top = data["nodes"][0]
    assert top["id"] == "hub:hub-x" and top["betweenness"] > 0
    assert next(n for n in data["nodes"] if n["id"] == "network:g5")["isolated"]
    small = selectors.graph_data(viewer=ANONYMOUS, region=region, max_nodes=3)
    assert small["truncated"] and len(small["nodes"]) == 3


def test_graph_focus_on_a_hub_caps_and_groups(ref: None) -> None:
    from plek.atlas.models import Organisation, Relation

    region = Region.objects.get(code="PV27")
    hub = Hub.objects.create(slug="hub-f", name="Hub F")
    hub.regions.set([region])
    near = Network.objects.create(slug="near", name="Dichtbij", scale="regional")
    near.regions.set([region])
    Relation.objects.create(
        kind="works_with", source_type="network", source_id=near.pk, target_type="hub", target_id=hub.pk
    )
    orgs = []
    for i in range(8):
        org = Organisation.objects.create(slug=f"o{i}", name=f"Org {i}", kind="company")
        org.regions.set([region])
        orgs.append(org)
    for org in orgs[:3]:  # three connected to the network, five without any connection
        Relation.objects.create(
            kind="member_of",
            source_type="organisation",
            source_id=org.pk,
            target_type="network",
            target_id=near.pk,
        )
    elsewhere = Network.objects.create(slug="far", name="Ver weg", scale="regional")
    elsewhere.regions.set([Region.objects.get(code="PV22")])
    data = selectors.graph_data(viewer=ANONYMOUS, focus=hub, max_nodes=3, group=True)
    ids = [n["id"] for n in data["nodes"]]
    assert data["focus"] == "hub:hub-f" and "hub:hub-f" in ids and "network:near" in ids
    assert "network:far" not in ids  # outside the hub's areas
    kept_orgs = [i for i in ids if i.startswith("organisation:")]
    assert len(kept_orgs) == 1  # 3 nodes: the hub, its network (one step) and one organisation (two steps)
    group = next(n for n in data["nodes"] if n["kind"] == "group")
    assert group["group_of"] == "organisation" and group["count"] == 7
    assert {"source": "hub:hub-f", "target": "group:organisation", "kind": "group"} in data["edges"]
    roomy = selectors.graph_data(viewer=ANONYMOUS, focus=hub, max_nodes=60, group=True)
    assert roomy["groups"]["organisation"] == 5  # the five without any connection are grouped
    assert (
        len([n for n in roomy["alone"] if n["kind"] == "organisation"]) == 5
        and len([n for n in roomy["nodes"] if n["kind"] == "organisation"]) == 3
    )
    whole = selectors.graph_data(viewer=ANONYMOUS, max_nodes=250)
    assert not whole["groups"] and "network:far" in {n["id"] for n in whole["nodes"]}


def test_graph_page_default_focus_and_everything_on_request(client: Any, ref: None) -> None:
    hub = Hub.objects.create(slug="aaa-hub", name="AAA Hub")
    hub.regions.set([Region.objects.get(code="PV27")])
    html = client.get("/netwerk/").content.decode()
    assert "U ziet de omgeving van AAA Hub" in html and "?alles=1" in html
    everything = client.get("/netwerk/?alles=1").content.decode()
    assert "U ziet het hele veld." in everything
    assert client.get("/netwerk/?hub=bestaat-niet").status_code == 200
    assert "Onbekende kennishub." in client.get("/netwerk/?hub=bestaat-niet").content.decode()


def test_a_wide_scope_ranks_the_same_when_it_looks_at_direct_links_first(
    ref: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`RegionScope.top` on a country-wide scope takes the entities linked to the region itself when
    there are enough of them: the same rows as ranking every link, with or without enough."""
    from plek.atlas import picture

    nl, utrecht, city = (Region.objects.get(code=c) for c in ("NL", "PV26", "GM0344"))
    people = [Person.objects.create(slug=f"p{i}", name=f"Persoon {i}") for i in range(20)]
    links = Person.regions.through
    for i, person in enumerate(people):
        person.regions.set([city] if i % 3 == 0 else [nl, utrecht] if i % 3 == 1 else [utrecht])
    scope = picture.region_scope(nl)
    for limit in (3, 6, 12):  # 6 people are linked to NL itself: enough for 3 and 6, not for 12
        monkeypatch.setattr(picture, "WIDE_SCOPE", 10**9)
        ranked_all = scope.top(links.objects.all(), "person_id", limit)
        monkeypatch.setattr(picture, "WIDE_SCOPE", 1)
        with CaptureQueriesContext(connection) as queries:
            ranked_direct = scope.top(links.objects.all(), "person_id", limit)
        assert (ranked_direct.total, ranked_direct.rows) == (ranked_all.total, ranked_all.rows), limit
        assert ranked_all.total == 20
        assert len(queries) == (2 if limit <= 6 else 3)


@pytest.mark.django_db
def test_region_in_finds_the_same_links_for_short_and_long_lists(ref: None) -> None:
    """`filters.region_in` writes long region lists as an expression (SQLite's planner otherwise probes
    the index once per listed region for every row); the rows found must not change."""
    from plek.atlas.filters import LONG_REGION_LIST, region_in
    from plek.atlas.models import Organisation

    links = Organisation.regions.through
    regions = list(Region.objects.order_by("id").values_list("id", flat=True))
    org = Organisation.objects.create(slug="o-region-in", name="Org")
    org.regions.set(regions[:3] + regions[-2:])
    for ids in (regions[:2], regions[: LONG_REGION_LIST + 20], regions[-5:]):
        plain = set(links.objects.filter(region_id__in=ids).values_list("organisation_id", "region_id"))
        listed = set(
            region_in(links.objects.all(), "region_id", ids).values_list("organisation_id", "region_id")
        )
        assert listed == plain and plain
    assert len(regions) > LONG_REGION_LIST  # the long form was exercised
