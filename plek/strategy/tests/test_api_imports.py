"""Imports over the API as multipart/form-data, through the import pages' services: observations of
indicators (long, wide, StatLine) and a study's land units. All or nothing; the permission matrix
changes nothing when refused; a file with bad lines answers 422 naming `file`."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plek.strategy.models import Indicator, LandUnit, Observation, Study
from plek.strategy.tests.test_views import LONG, UNITS, WIDE

pytestmark = pytest.mark.django_db
API = "/api/v1"
CAST = ("anonymous", "outsider", "member", "coordinator", "admin")
OBSERVATIONS = f"{API}/indicator-observation-imports"


def post(user: Any, path: str, data: dict[str, Any]) -> Any:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c.post(path, data)  # multipart/form-data


def problem(response: Any, status: int) -> set[str]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    return {p["name"] for p in response.json().get("invalidParams") or []}


def _state(study: Study) -> tuple[Any, ...]:
    return (
        sorted(Observation.objects.values_list("indicator__slug", "region__code", "year", "value")),
        sorted(LandUnit.objects.filter(study=study).values_list("code", "area_ha")),
    )


@pytest.fixture
def owned(hub_study: Study, hub: Any) -> Study:
    """The demo's indicators owned by the test hub as well (its members import into them)."""
    Indicator.objects.update(owner_hub=hub)
    return hub_study


def _file(text: str, name: str = "a.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode())


IMPORTS = {
    "importIndicatorObservations": (lambda s: OBSERVATIONS, lambda: {"layout": "long", "file": _file(LONG)}),
    "importStudyUnits": (
        lambda s: f"{API}/studies/{s.slug}/unit-imports",
        lambda: {"format": "csv", "file": _file(UNITS)},
    ),
}


@pytest.mark.parametrize("operation", IMPORTS)
@pytest.mark.parametrize("role", CAST)
def test_the_permission_matrix(cast: dict[str, Any], owned: Study, operation: str, role: str) -> None:
    path, data = IMPORTS[operation]
    before = _state(owned)
    r = post(cast[role], path(owned), data())
    if role in ("member", "coordinator", "admin"):
        assert r.status_code == 200, r.content[:500]
        assert r.json()["created"] >= 1
        assert _state(owned) != before
    else:
        problem(r, 401 if role == "anonymous" else 403)
        assert _state(owned) == before


BAD = [
    (
        "importIndicatorObservations",
        {"layout": "long", "file": LONG + "co2-uitstoot,XX01,2025,1,,,\n"},
        "file",
    ),
    ("importIndicatorObservations", {"layout": "wide", "file": WIDE}, "indicator"),
    ("importIndicatorObservations", {"layout": "long", "indicator": "geen", "file": LONG}, "indicator"),
    ("importIndicatorObservations", {"layout": "sideways", "file": LONG}, "layout"),
    ("importStudyUnits", {"format": "csv", "file": "code,area_ha,current_use\nA,-3,landbouw\n"}, "file"),
    ("importStudyUnits", {"format": "csv", "file": "area_ha\n3\n"}, "file"),
    ("importStudyUnits", {"format": "shapefile", "file": UNITS}, "format"),
]


@pytest.mark.parametrize(("operation", "data", "name"), BAD)
def test_bad_input_names_the_property_and_changes_nothing(
    cast: dict[str, Any], owned: Study, operation: str, data: dict[str, str], name: str
) -> None:
    before = _state(owned)
    sent: dict[str, Any] = {**data, "file": _file(data["file"])}
    r = post(cast["member"], IMPORTS[operation][0](owned), sent)
    status = 400 if name in ("layout", "format") else 422  # a value outside the choices is a type error
    assert name in problem(r, status)
    assert _state(owned) == before


def test_observations_long_wide_and_the_report(cast: dict[str, Any], owned: Study) -> None:
    r = post(cast["member"], OBSERVATIONS, {"layout": "long", "file": _file(LONG)})
    assert r.json() == {"created": 2, "updated": 0}  # an observation and a target
    assert (
        Observation.objects.get(indicator__slug="co2-uitstoot", region__code="PV27", year=2025).value == 1234
    )
    r = post(
        cast["member"], OBSERVATIONS, {"layout": "wide", "indicator": "zonnestroom", "file": _file(WIDE)}
    )
    assert r.status_code == 200, r.content
    pv26 = Observation.objects.filter(
        indicator__slug="zonnestroom", region__code="PV26", year__in=[2021, 2022, 2023]
    )
    assert sorted(pv26.values_list("value", flat=True)) == [3, 4, 5]
    bad = LONG + "co2-uitstoot,PV27,twintig,1,,,\n"
    r = post(cast["member"], OBSERVATIONS, {"layout": "long", "file": _file(bad)})
    reason = next(p["reason"] for p in r.json()["invalidParams"] if p["name"] == "file")
    assert "twintig" in reason
    # JSON is not an upload: the page's form is multipart, and so is this operation.
    c = Client()
    c.force_login(cast["member"])
    assert c.post(OBSERVATIONS, data={"layout": "long"}, content_type="application/json").status_code in (
        400,
        422,
    )
    assert c.post(OBSERVATIONS, data="layout=long", content_type="text/plain").status_code == 415


def test_units_are_replaced(cast: dict[str, Any], owned: Study) -> None:
    r = post(
        cast["coordinator"],
        f"{API}/studies/{owned.slug}/unit-imports",
        {"format": "csv", "file": _file(UNITS)},
    )
    assert r.status_code == 200, r.content
    assert sorted(LandUnit.objects.filter(study=owned).values_list("code", flat=True)) == ["A", "B"]
    r = post(cast["member"], f"{API}/studies/geen/unit-imports", {"format": "csv", "file": _file(UNITS)})
    problem(r, 404)
