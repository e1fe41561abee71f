"""The area picker: suggestions of every kind with one query, typed names resolved on the server
(so forms work without JavaScript), filters by name, and custom areas made by coordinators."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from plek.atlas.forms import CustomAreaForm
from plek.atlas.models import Region, RegionContainment
from plek.atlas.selectors import region_from_filter, region_resolve, region_suggest
from plek.core.models import ChangeLog

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_suggestions_cover_every_kind_with_their_kind_shown(
    ref: None, django_assert_num_queries: Any
) -> None:
    client = Client()
    with django_assert_num_queries(1):
        body = client.get(reverse("atlas:region_suggest"), {"q": "foodvalley"}).json()
    labels = [r["label"] for r in body["results"]]
    assert any(label.startswith("RES-regio Foodvalley") for label in labels), labels
    assert any(r["kind"] == "novex_area" for r in body["results"]), labels
    water = client.get(reverse("atlas:region_suggest"), {"q": "Vallei en Veluwe"}).json()["results"]
    assert water and water[0]["label"].lower().startswith("waterschap vallei en veluwe")
    assert water[0]["kind"] == "water_board" and water[0]["kind_label"] == "waterschap"
    corop = client.get(reverse("atlas:region_suggest"), {"q": "CR01"}).json()["results"]
    assert corop[0]["code"] == "CR01" and corop[0]["label"].startswith("COROP-regio ")


def test_suggestions_rank_exact_code_then_municipality_and_are_bounded(ref: None) -> None:
    assert region_suggest("GM0344")[0].code == "GM0344"
    utrecht = region_suggest("Utrecht")
    assert [r.kind for r in utrecht[:2]] == ["municipality", "province"]
    assert len(region_suggest("a", limit=500)) == 50
    assert region_suggest("   ") == []
    body = Client().get(reverse("atlas:region_suggest"), {"q": "e", "soort": "province,bogus"}).json()
    assert body["results"] and {r["kind"] for r in body["results"]} == {"province"}
    assert len(body["results"]) <= 12


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("gemeente Amsterdam (GM0363)", "GM0363"),
        ("GM0363", "GM0363"),
        ("Zaanstad", "GM0479"),
        ("provincie Utrecht", "PV26"),
        ("Utrecht", "GM0344"),
        ("Utrecht (province)", "PV26"),
    ],
)
def test_typed_text_resolves_to_one_area(ref: None, text: str, code: str) -> None:
    with translation.override("en" if "province" in text else "nl"):
        region = region_resolve(text)
    assert region is not None and region.code == code


@pytest.mark.parametrize("text", ["Atlantis", "Amster", "", "gemeente Atlantis (XX9999)"])
def test_unknown_or_partial_text_resolves_to_nothing(ref: None, text: str) -> None:
    assert region_resolve(text) is None


def test_filters_take_names_as_well_as_codes(ref: None) -> None:
    assert region_from_filter("PV27").code == "PV27"  # type: ignore[union-attr]
    found = region_from_filter("RES-regio Foodvalley (RES-FOODVALLEY)")
    assert found is not None and found.kind == "res_region"
    response = Client().get(reverse("brokering:list"), {"gebied": "provincie Noord-Holland (PV27)"})
    assert response.status_code == 200
    assert "Onbekende gebiedscode" not in response.content.decode()
    response = Client().get(reverse("brokering:list"), {"gebied": "Atlantis"})
    assert response.status_code == 400


def test_the_widget_works_without_javascript(ref: None) -> None:
    # As a browser without JavaScript sends it: a typed list of names and codes.
    form = CustomAreaForm(
        {"name": "Gelderse Vallei", "municipalities__add": "Ede; gemeente Barneveld (GM0203); GM0228"}
    )
    assert form.is_valid(), form.errors
    assert sorted(r.code for r in form.cleaned_data["municipalities"]) == ["GM0203", "GM0228"]
    form = CustomAreaForm({"name": "X", "municipalities": ["GM0363"], "municipalities__add": "Atlantis"})
    assert not form.is_valid() and "Atlantis" in str(form.errors["municipalities"])
    form = CustomAreaForm({"name": "X", "municipalities__add": "provincie Utrecht"})
    assert not form.is_valid()  # a municipality picker refuses a province
    html = CustomAreaForm({"name": "X", "municipalities": ["GM0363"]}).as_p()
    assert 'name="municipalities" value="GM0363"' in html and "gemeente Amsterdam (GM0363)" in html
    assert "data-area-picker" in html and 'name="municipalities__add"' in html and 'role="listbox"' in html


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("outsider", False), ("member", False), ("coordinator", True), ("admin", True)],
)
def test_custom_area_permission_matrix(cast: dict[str, Any], who: str, allowed: bool) -> None:
    before = (Region.objects.count(), ChangeLog.objects.count())
    response = _client(cast[who]).post(
        reverse("atlas:custom_area_new"),
        {"name": "Gelderse Vallei", "municipalities__add": "Ede; Barneveld; Scherpenzeel"},
    )
    if not allowed:
        assert response.status_code in (302, 403)
        assert (Region.objects.count(), ChangeLog.objects.count()) == before
        return
    area = Region.objects.get(kind=Region.Kind.CUSTOM, name="Gelderse Vallei")
    assert response.status_code == 302 and response["Location"] == reverse("atlas:region", args=[area.code])
    members = set(area.child_links.values_list("child__code", flat=True))
    assert len(members) == 3 and "GM0228" in members
    province = RegionContainment.objects.get(child=area)  # all three lie in Gelderland
    assert province.parent.code == "PV25" and province.kind == "contains"
    # it is now suggested and resolvable like any other area
    assert region_resolve("Gelderse Vallei") == area
    # the same name again is refused with the field's error, nothing saved
    again = _client(cast[who]).post(
        reverse("atlas:custom_area_new"), {"name": "gelderse vallei", "municipalities__add": "Ede"}
    )
    assert again.status_code == 400 and "al een eigen gebied" in again.content.decode()
    assert Region.objects.filter(kind=Region.Kind.CUSTOM).count() == 1


def test_custom_area_across_provinces_overlaps_them(cast: dict[str, Any]) -> None:
    _client(cast["coordinator"]).post(
        reverse("atlas:custom_area_new"), {"name": "Grensstreek", "municipalities__add": "Ede; Amsterdam"}
    )
    area = Region.objects.get(name="Grensstreek")
    kinds = set(RegionContainment.objects.filter(child=area).values_list("parent__code", "kind"))
    assert kinds == {("PV25", "overlaps"), ("PV27", "overlaps")}
