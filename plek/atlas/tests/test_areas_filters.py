"""How regions relate (`plek.atlas.areas`) and the one area/theme filter (`plek.atlas.filters`),
on a small graph of their own: a province containing two municipalities, one of which contains a
district, and a RES region overlapping the province."""

from __future__ import annotations

from typing import Any, cast

import pytest

from plek.atlas.areas import region_graph, region_relations, region_scope_ids
from plek.atlas.filters import in_scope, linked_ids, theme_scope_ids, theme_tree_ids
from plek.atlas.models import Network, Region, RegionContainment, Theme
from plek.atlas.tests.factories import NetworkFactory, RegionFactory, ThemeFactory
from plek.core.models import Scale

pytestmark = pytest.mark.django_db


def _region(**kw: Any) -> Region:
    return cast(Region, RegionFactory(**kw))


def _theme(**kw: Any) -> Theme:
    return cast(Theme, ThemeFactory(**kw))


def _network(**kw: Any) -> Network:
    return cast(Network, NetworkFactory(**kw))


@pytest.fixture
def areas() -> dict[str, Region]:
    province = _region(code="PV80", name="Proefprovincie", kind=Region.Kind.PROVINCE, scale=Scale.REGIONAL)
    a = _region(code="GM8801", name="Aadorp")
    b = _region(code="GM8802", name="Bedorp")
    district = _region(code="EIGEN-8801", name="Aawijk", kind=Region.Kind.CUSTOM)
    res = _region(code="RES-80", name="Proef-RES", kind=Region.Kind.RES_REGION, scale=Scale.REGIONAL)
    other = _region(code="GM8899", name="Elders")
    contains, overlaps = RegionContainment.Kind.CONTAINS, RegionContainment.Kind.OVERLAPS
    for parent, child, kind in (
        (province, a, contains),
        (province, b, contains),
        (a, district, contains),
        (res, province, overlaps),
    ):
        RegionContainment.objects.create(parent=parent, child=child, kind=kind)
    return {"province": province, "a": a, "b": b, "district": district, "res": res, "other": other}


def test_an_area_includes_every_area_inside_it_at_any_depth(areas: dict[str, Region]) -> None:
    ids = region_scope_ids(areas["province"])
    assert ids[0] == areas["province"].pk
    assert set(ids) == {areas[k].pk for k in ("province", "a", "b", "district")}
    assert region_scope_ids(areas["b"]) == [areas["b"].pk]


def test_relations_say_direct_broader_narrower_and_overlap_with_the_area_they_go_through(
    areas: dict[str, Region], django_assert_num_queries: Any
) -> None:
    graph = region_graph()
    with django_assert_num_queries(1):
        plain = region_relations([areas["a"]], graph=graph)
    assert plain.relation == {"GM8801": "direct", "PV80": "broader", "EIGEN-8801": "narrower"}
    with django_assert_num_queries(3):
        rel = region_relations([areas["a"]], overlaps=True, graph=graph)
    assert rel.relation["RES-80"] == "overlap" and "GM8899" not in rel.relation
    assert rel.via["PV80"].endswith("Aadorp") and rel.via["RES-80"].endswith("Proefprovincie")
    assert rel.best(["GM8899", "RES-80", "PV80"]) == "PV80"  # nearest relation first
    assert rel.best(["GM8899"]) is None


def test_a_region_both_broader_and_narrower_of_chosen_areas_counts_as_broader(
    areas: dict[str, Region],
) -> None:
    rel = region_relations([areas["province"], areas["district"]])
    assert rel.relation["PV80"] == "direct" and rel.relation["GM8801"] == "broader"


def test_the_filter_takes_sub_themes_and_sub_areas_and_both_at_once(areas: dict[str, Region]) -> None:
    water = _theme(slug="proef-water")
    dikes = _theme(slug="proef-dijken", parent=water)
    sand = _theme(slug="proef-zand")
    assert set(theme_scope_ids(water)) == {water.pk, dikes.pk}
    assert theme_tree_ids([dikes.pk]) == [dikes.pk]
    in_district = _network(regions=[areas["district"]], themes=[dikes])
    in_b = _network(regions=[areas["b"]], themes=[sand])
    elsewhere = _network(regions=[areas["other"]], themes=[water])
    nets = Network.objects.all()
    assert set(in_scope(nets, region=areas["province"])) == {in_district, in_b}
    assert set(in_scope(nets, theme=water)) == {in_district, elsewhere}
    assert list(in_scope(nets, theme=water, region=areas["province"])) == [in_district]
    assert list(in_scope(nets)) == list(nets)
    assert set(Network.objects.filter(pk__in=linked_ids(Network, "themes", [sand.pk]))) == {in_b}
