"""The official reference set as the project's own fixtures."""

from __future__ import annotations

import pytest

from plek.atlas.models import Milestone, Programme, Region, RegionContainment, Theme
from plek.atlas.reference_data import reference_load

pytestmark = pytest.mark.django_db


def test_it_has_the_official_counts(ref: None) -> None:
    counts = {k: Region.objects.filter(kind=k).count() for k in Region.Kind.values}
    assert counts["province"] == 12
    assert counts["municipality"] == 342
    assert counts["water_board"] == 21
    assert counts["res_region"] == 30
    assert counts["novex_area"] == 16
    assert counts["safety_region"] == 25
    assert counts["corop_region"] == 40
    assert counts["country"] == 1


def test_each_municipality_lies_in_exactly_one_province(ref: None) -> None:
    for m in Region.objects.filter(kind="municipality"):
        provinces = RegionContainment.objects.filter(child=m, parent__kind="province", kind="contains")
        assert provinces.count() == 1, m.code


def test_amsterdam_lies_in_noord_holland(ref: None) -> None:
    amsterdam = Region.objects.get(code="GM0363")
    assert amsterdam.name == "Amsterdam"
    assert amsterdam.parents.filter(code="PV27", kind="province").exists()


def test_unverified_facts_keep_their_flag(ref: None) -> None:
    # RES codes are only official where CBS was seen; water board codes from one source are flagged.
    assert Region.objects.get(code="ES01").code_verified
    assert not Region.objects.filter(kind="res_region", code__startswith="RES-", code_verified=True).exists()
    assert Region.objects.filter(kind="water_board", code_verified=False).exists()
    assert Milestone.objects.filter(verified=False).exists()
    assert Programme.objects.exclude(verification="verified").exists()


def test_programmes_and_themes_load(ref: None) -> None:
    assert Programme.objects.count() >= 30
    res = Programme.objects.get(slug="np-res")
    assert res.milestones.exists()
    assert res.regions.filter(kind="res_region").count() == 30
    for slug in (
        "wonen",
        "water-bodem",
        "klimaatadaptatie",
        "biodiversiteit-natuur",
        "stikstof",
        "energie",
        "circulaire-landbouw",
        "circulaire-economie",
        "duurzame-industrie",
    ):
        assert Theme.objects.filter(slug=slug, parent__isnull=True).exists(), slug


def test_loading_twice_changes_nothing(ref: None) -> None:
    before = (Region.objects.count(), RegionContainment.objects.count(), Milestone.objects.count())
    reference_load()
    assert (Region.objects.count(), RegionContainment.objects.count(), Milestone.objects.count()) == before
