"""Studies, claims, combined uses and variants made in pages: permissions, validation that saves
nothing when anything is wrong, and a variant made here that the solver runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plek.core.models import ChangeLog
from plek.strategy.models import Compatibility, LandClaim, SolveRun, Study, Variant

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def _management(prefix: str, total: int, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def _study_post(**over: Any) -> dict[str, Any]:
    data = {
        "name": "Ruimtepuzzel Gelderse Vallei",
        "region": "gemeente Ede (GM0228)",
        "description": "Wonen, water en natuur in de Vallei.",
        "penalty": "",
        "visibility": "public",
        **_management("claims", 2),
        "claims-0-land_use": "wonen",
        "claims-0-wanted_ha": "120",
        "claims-0-minimum_ha": "40",
        "claims-0-priority": "2",
        "claims-1-land_use": "natuur",
        "claims-1-wanted_ha": "300",
        "claims-1-minimum_ha": "0",
        "claims-1-priority": "1",
        **_management("compat", 1),
        "compat-0-use_a": "water",
        "compat-0-use_b": "natuur",
        "compat-0-fraction": "0.5",
    }
    data.update(over)
    return data


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("outsider", False), ("member", True), ("coordinator", True), ("admin", True)],
)
def test_create_study_permission_matrix(cast: dict[str, Any], who: str, allowed: bool) -> None:
    before = (Study.objects.count(), ChangeLog.objects.count())
    response = _client(cast[who]).post("/strategie/scenarios/nieuw/", _study_post())
    if not allowed:
        assert response.status_code == 403
        assert (Study.objects.count(), ChangeLog.objects.count()) == before
        return
    study = Study.objects.get(name="Ruimtepuzzel Gelderse Vallei")
    assert response.status_code == 302 and response["Location"] == f"/strategie/scenarios/{study.slug}/"
    assert study.region.code == "GM0228" and study.created_by == cast[who]
    assert {(c.land_use, c.wanted_ha, c.minimum_ha) for c in study.claims.all()} == {
        ("wonen", 120, 40),
        ("natuur", 300, 0),
    }
    assert list(study.compatibilities.values_list("use_a", "use_b", "fraction")) == [("water", "natuur", 0.5)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": ""}, "verplicht"),
        ({"region": "Atlantis"}, "Onbekend gebied"),
        ({"claims-0-minimum_ha": "500"}, "minimum is groter"),
        ({"claims-1-land_use": "wonen"}, "dubbele gegevens"),
        ({"claims-0-wanted_ha": "veel"}, "getal"),
        ({"compat-0-use_b": "water"}, "verschillende"),
        ({"compat-0-fraction": "1.5"}, "tussen 0 en 1"),
        ({"penalty": "-1"}, "groter dan nul"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    cast: dict[str, Any], change: dict[str, str], message: str
) -> None:
    before = (Study.objects.count(), LandClaim.objects.count(), Compatibility.objects.count())
    response = _client(cast["member"]).post("/strategie/scenarios/nieuw/", _study_post(**change))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert (Study.objects.count(), LandClaim.objects.count(), Compatibility.objects.count()) == before


def test_edit_claims_and_delete_one(hub_study: Study, cast: dict[str, Any]) -> None:
    claims = list(hub_study.claims.order_by("id"))
    compat = list(hub_study.compatibilities.order_by("id"))
    data: dict[str, Any] = {
        "name": hub_study.name,
        "region": hub_study.region.code,
        "description": "bijgewerkt",
        "penalty": "",
        "visibility": hub_study.visibility,
        "owner_hub": hub_study.owner_hub.slug,
        **_management("claims", len(claims), len(claims)),
        **_management("compat", len(compat), len(compat)),
    }
    for i, c in enumerate(claims):
        data.update(
            {
                f"claims-{i}-id": str(c.pk),
                f"claims-{i}-land_use": c.land_use,
                f"claims-{i}-wanted_ha": str(c.wanted_ha),
                f"claims-{i}-minimum_ha": str(c.minimum_ha),
                f"claims-{i}-priority": str(c.priority),
            }
        )
    for i, p in enumerate(compat):
        data.update(
            {
                f"compat-{i}-id": str(p.pk),
                f"compat-{i}-use_a": p.use_a,
                f"compat-{i}-use_b": p.use_b,
                f"compat-{i}-fraction": str(p.fraction),
            }
        )
    data["claims-0-DELETE"] = "on"
    page = _client(cast["outsider"]).post(f"/strategie/scenarios/{hub_study.slug}/bewerken/", data)
    assert page.status_code == 403 and hub_study.claims.count() == len(claims)
    response = _client(cast["member"]).post(f"/strategie/scenarios/{hub_study.slug}/bewerken/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    hub_study.refresh_from_db()
    assert hub_study.description == "bijgewerkt"
    assert hub_study.claims.count() == len(claims) - 1
    assert not LandClaim.objects.filter(pk=claims[0].pk).exists()


def test_variant_made_in_a_page_is_solved(hub_study: Study, cast: dict[str, Any], run_tasks: Any) -> None:
    claim = hub_study.claims.order_by("id").first()
    assert claim is not None
    client = _client(cast["member"])
    form = client.get(f"/strategie/scenarios/{hub_study.slug}/varianten/nieuw/")
    assert form.status_code == 200 and f"wanted_ha__{claim.land_use}" in form.content.decode()
    bad = client.post(
        f"/strategie/scenarios/{hub_study.slug}/varianten/nieuw/",
        {"name": "Meer", f"minimum_ha__{claim.land_use}": str(claim.wanted_ha * 10)},
    )
    assert bad.status_code == 400 and not Variant.objects.filter(name="Meer").exists()
    response = client.post(
        f"/strategie/scenarios/{hub_study.slug}/varianten/nieuw/",
        {
            "name": "Minder vraag, niet op water",
            "description": "De helft van de vraag",
            f"wanted_ha__{claim.land_use}": str(claim.wanted_ha / 2),
            f"exclude__{claim.land_use}": ["water"],
        },
    )
    variant = Variant.objects.get(study=hub_study, name="Minder vraag, niet op water")
    assert response.status_code == 302
    assert variant.changes == {
        "claims": {claim.land_use: {"wanted_ha": claim.wanted_ha / 2}},
        "exclude": {claim.land_use: ["water"]},
    }
    run_tasks(
        lambda: client.post(f"/strategie/scenarios/{hub_study.slug}/varianten/{variant.slug}/berekenen/")
    )
    run = SolveRun.objects.get(variant=variant)
    assert run.status == SolveRun.Status.DONE
    allocated = {c["use"]: c for c in run.summary["claims"]}[claim.land_use]
    assert allocated["wanted_ha"] == pytest.approx(claim.wanted_ha / 2)
    # the outsider may not make variants
    refused = _client(cast["outsider"]).post(
        f"/strategie/scenarios/{hub_study.slug}/varianten/nieuw/", {"name": "Niet van mij"}
    )
    assert refused.status_code == 403 and not Variant.objects.filter(name="Niet van mij").exists()
