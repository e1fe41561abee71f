"""Authoring strategy over the API: indicators, scenario studies (with their claims and combined uses)
and variants, through the pages' forms and services (`can_create`, `can_change`). Table-driven: one
permission matrix over the five operations (a refused request changes nothing), one success and
one bad-input test for each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from plek.core.testing import api_call, problem_fields
from plek.strategy.models import Compatibility, Indicator, LandClaim, Study, Variant

pytestmark = pytest.mark.django_db
API = "/api/v1"
CAST = ("anonymous", "outsider", "member", "coordinator", "admin")


def send(user: Any, method: str, path: str, body: Any = None) -> Any:
    return api_call(user, method, f"{API}{path}", body)


def problem(response: Any, status: int) -> set[str]:
    return problem_fields(response, status)


def _snapshot() -> tuple[Any, ...]:
    return (
        list(Indicator.objects.order_by("pk").values_list("pk", "name", "unit")),
        list(Study.objects.order_by("pk").values_list("pk", "name", "description", "penalty")),
        list(LandClaim.objects.order_by("pk").values_list("pk", "land_use", "wanted_ha", "minimum_ha")),
        list(Compatibility.objects.order_by("pk").values_list("pk", "use_a", "use_b", "fraction")),
        list(Variant.objects.order_by("pk").values_list("pk", "name", "changes")),
    )


INDICATOR = {"name": "Stikstofdepositie", "unit": "mol per hectare per jaar", "direction": "lower"}
STUDY = {
    "name": "Ruimtepuzzel Gelderse Vallei",
    "region": "GM0228",
    "description": "Wonen, water en natuur in de Vallei.",
    "claims": [
        {"use": "wonen", "wantedHa": 120, "minimumHa": 40, "priority": 2},
        {"use": "natuur", "wantedHa": 300},
    ],
    "compatibilities": [{"useA": "water", "useB": "natuur", "fraction": 0.5}],
}


@dataclass
class Case:
    operation: str
    method: str
    path: Callable[[Study], str]
    body: Callable[[Study], dict[str, Any]]
    status: int
    bad: Callable[[Study], dict[str, Any]]
    bad_names: set[str]


def _use(study: Study) -> str:
    return study.claims.order_by("land_use").values_list("land_use", flat=True)[0]


CASES = [
    Case("createIndicator", "post", lambda s: "/indicators", lambda s: INDICATOR, 201,
         lambda s: {**INDICATOR, "name": "", "direction": "sideways"}, {"name", "direction"}),
    Case("createStudy", "post", lambda s: "/studies", lambda s: STUDY, 201,
         lambda s: {**STUDY, "region": "Atlantis", "claims": [{"use": "wonen", "wantedHa": 10, "minimumHa": 50}]},
         {"region", "claims.0.minimumHa"}),
    Case("updateStudy", "patch", lambda s: f"/studies/{s.slug}", lambda s: {"description": "Bijgewerkt"}, 200,
         lambda s: {"penalty": -1, "compatibilities": [{"useA": "water", "useB": "water"}]},
         {"penalty", "compatibilities.0.useB"}),
    Case("createVariant", "post", lambda s: f"/studies/{s.slug}/variants",
         lambda s: {"name": "Voorrang", "claims": {_use(s): {"priority": 3}}}, 201,
         lambda s: {"name": "", "claims": {_use(s): {"priority": 0}}}, {"name"}),  # and the claim's priority
    Case("updateVariant", "patch", lambda s: f"/studies/{s.slug}/variants/basis",
         lambda s: {"description": "Anders", "exclude": {_use(s): ["water"]}}, 200,
         lambda s: {"claims": {"zeilen": {"priority": 2}}}, {"claims.zeilen"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
@pytest.mark.parametrize("role", CAST)
def test_the_permission_matrix(cast: dict[str, Any], hub_study: Study, case: Case, role: str) -> None:
    before = _snapshot()
    r = send(cast[role], case.method, case.path(hub_study), case.body(hub_study))
    if role in ("member", "coordinator", "admin"):
        assert r.status_code == case.status, r.content[:500]
        assert _snapshot() != before
    else:
        problem(r, 401 if role == "anonymous" else 403)
        assert _snapshot() == before


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
def test_bad_input_names_the_property_and_changes_nothing(
    cast: dict[str, Any], hub_study: Study, case: Case
) -> None:
    before = _snapshot()
    names = problem(send(cast["member"], case.method, case.path(hub_study), case.bad(hub_study)), 422)
    expected = case.bad_names | (
        {f"claims.{_use(hub_study)}.priority"} if case.operation == "createVariant" else set()
    )
    assert names == expected
    assert _snapshot() == before


def test_an_indicator_is_defined(cast: dict[str, Any], hub_study: Study) -> None:
    r = send(cast["member"], "post", "/indicators", INDICATOR)
    assert r.status_code == 201, r.content
    ind = Indicator.objects.get(name="Stikstofdepositie")
    assert r["Location"].endswith(f"/api/v1/indicators/{ind.slug}")
    assert (ind.direction, ind.created_by) == ("lower", cast["member"])
    assert Client().get(r["Location"]).json() == r.json()


def test_a_study_is_set_up_and_its_claims_replaced(cast: dict[str, Any], hub_study: Study) -> None:
    r = send(cast["member"], "post", "/studies", STUDY)
    assert r.status_code == 201, r.content
    study = Study.objects.get(name="Ruimtepuzzel Gelderse Vallei")
    assert r["Location"].endswith(f"/api/v1/studies/{study.slug}")
    body = r.json()
    assert (body["region"], body["variants"]) == ("GM0228", [])
    assert {(c["use"], c["wantedHa"], c["minimumHa"], c["priority"]) for c in body["claims"]} == {
        ("wonen", 120, 40, 2),
        ("natuur", 300, 0, 1),
    }
    assert body["compatibilities"] == [{"useA": "water", "useB": "natuur", "fraction": 0.5}]
    # The claims sent are the whole new list: wonen changes, natuur goes, water comes.
    claims = [{"use": "wonen", "wantedHa": 80}, {"use": "water", "wantedHa": 50}]
    r = send(cast["member"], "patch", f"/studies/{study.slug}", {"claims": claims})
    assert r.status_code == 200, r.content
    assert sorted(study.claims.values_list("land_use", "wanted_ha", "minimum_ha")) == [
        ("water", 50, 0),
        ("wonen", 80, 0),
    ]
    assert study.compatibilities.count() == 1  # not sent: kept
    assert r.json()["description"] == "Wonen, water en natuur in de Vallei."
    twice = [{"use": "wonen", "wantedHa": 1}, {"use": "wonen", "wantedHa": 2}]
    assert "claims" in problem(
        send(cast["member"], "patch", f"/studies/{study.slug}", {"claims": twice}), 422
    )


def test_a_variant_is_added_and_changed(cast: dict[str, Any], hub_study: Study) -> None:
    use = _use(hub_study)
    body = {"name": "Niet op water", "claims": {use: {"priority": 5}}, "exclude": {use: ["water"]}}
    r = send(cast["member"], "post", f"/studies/{hub_study.slug}/variants", body)
    assert r.status_code == 201, r.content
    variant = Variant.objects.get(study=hub_study, name="Niet op water")
    assert r["Location"].endswith(f"/api/v1/studies/{hub_study.slug}")
    assert variant.changes == {"claims": {use: {"priority": 5}}, "exclude": {use: ["water"]}}
    assert r.json()["changes"] == variant.changes
    r = send(cast["member"], "patch", f"/studies/{hub_study.slug}/variants/{variant.slug}", {"exclude": {}})
    assert r.status_code == 200, r.content
    variant.refresh_from_db()
    assert variant.changes == {"claims": {use: {"priority": 5}}}  # claims not sent: kept
    problem(send(cast["member"], "patch", f"/studies/{hub_study.slug}/variants/geen", {"name": "x"}), 404)
