"""An indicator's targets set and removed in a page: who may, what a wrong field says, that a refused
request changes nothing, that the trend page then judges against the new target."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plek.atlas.models import Region
from plek.core.models import ChangeLog
from plek.strategy.models import Indicator, Observation, Target

pytestmark = pytest.mark.django_db

URL = "/strategie/indicatoren/woningvoorraad/doelen/"


def _client(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


@pytest.fixture
def indicator(hub: Any, cast: dict[str, Any]) -> Indicator:
    ind = Indicator.objects.create(
        slug="woningvoorraad",
        name="Woningvoorraad",
        unit="woningen",
        owner_hub=hub,
        created_by=cast["member"],
    )
    ede = Region.objects.get(code="GM0228")
    for year, value in ((2019, 100.0), (2020, 110.0), (2021, 120.0), (2022, 130.0), (2023, 140.0)):
        Observation.objects.create(indicator=ind, region=ede, year=year, value=value)
    return ind


def _state() -> tuple[Any, ...]:
    return (
        list(Target.objects.values_list("region__code", "year", "value", "note")),
        ChangeLog.objects.count(),
    )


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("outsider", False), ("member", True), ("coordinator", True), ("admin", True)],
)
def test_set_target_permission_matrix(
    indicator: Indicator, cast: dict[str, Any], who: str, allowed: bool
) -> None:
    before = _state()
    response = _client(cast[who]).post(
        URL, {"region": "gemeente Ede (GM0228)", "year": "2030", "value": "250", "note": "Woondeal"}
    )
    if not allowed:
        assert response.status_code == 403
        assert _state() == before
        return
    target = Target.objects.get(indicator=indicator)
    assert response.status_code == 302 and response["Location"] == f"{URL}#doel-{target.pk}"
    assert (target.region.code, target.year, target.value, target.note) == ("GM0228", 2030, 250.0, "Woondeal")
    log = ChangeLog.objects.latest("pk")
    assert log.actor == cast[who] and log.changes["target"]["new"] == "GM0228 2030: 250"


@pytest.mark.parametrize(("who", "form_shown"), [("anonymous", False), ("outsider", False), ("member", True)])
def test_everyone_who_sees_the_indicator_sees_its_targets(
    indicator: Indicator, cast: dict[str, Any], who: str, form_shown: bool
) -> None:
    Target.objects.create(indicator=indicator, region=Region.objects.get(code="GM0228"), year=2030, value=250)
    html = _client(cast[who]).get(URL).content.decode()
    assert "2030" in html and "Ede" in html
    assert ('name="value"' in html) is form_shown
    assert ("Verwijderen" in html) is form_shown


def test_private_indicator_targets_are_not_found_by_outsiders(
    indicator: Indicator, cast: dict[str, Any]
) -> None:
    indicator.visibility = "hub"
    indicator.save()
    assert _client(cast["outsider"]).get(URL).status_code == 404
    assert _client(cast["anonymous"]).get(URL).status_code == 404
    assert _client(cast["member"]).get(URL).status_code == 200


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"region": "Atlantis"}, "region", "Onbekend gebied"),
        ({"region": ""}, "region", "verplicht"),
        ({"year": "30"}, "year", "tussen 1900 en 2100"),
        ({"year": "twintig"}, "year", "geheel getal"),
        ({"value": "veel"}, "value", "getal"),
        ({"value": "nan"}, "value", "getal"),
        ({"value": ""}, "value", "verplicht"),
    ],
)
def test_a_wrong_field_is_named_and_nothing_is_saved(
    indicator: Indicator, cast: dict[str, Any], change: dict[str, str], field: str, message: str
) -> None:
    before = _state()
    data = {"region": "GM0228", "year": "2030", "value": "250", "note": "", **change}
    response = _client(cast["member"]).post(URL, data)
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert f'href="#id_{field}"' in response.content.decode()
    assert _state() == before


def test_a_second_target_for_the_same_year_replaces_the_first(
    indicator: Indicator, cast: dict[str, Any]
) -> None:
    c = _client(cast["coordinator"])
    c.post(URL, {"region": "GM0228", "year": "2030", "value": "250"})
    c.post(URL, {"region": "GM0228", "year": "2030", "value": "300", "note": "bijgesteld"})
    assert list(Target.objects.values_list("year", "value", "note")) == [(2030, 300.0, "bijgesteld")]
    assert ChangeLog.objects.latest("pk").changes["target"] == {
        "old": "GM0228 2030: 250",
        "new": "GM0228 2030: 300",
    }


def test_the_trend_verdict_follows_the_target_set_here(indicator: Indicator, cast: dict[str, Any]) -> None:
    c = _client(cast["member"])
    page = "/strategie/indicatoren/woningvoorraad/?gebied=GM0228"
    assert "geen doel" in c.get(page).content.decode()
    c.post(URL, {"region": "GM0228", "year": "2030", "value": "150"})  # the trend reaches 210: on track
    assert "op koers" in c.get(page).content.decode().replace("niet op koers", "")
    c.post(URL, {"region": "GM0228", "year": "2030", "value": "900"})
    assert "niet op koers" in c.get(page).content.decode()


@pytest.mark.parametrize(
    ("who", "allowed"),
    [("anonymous", False), ("outsider", False), ("member", True), ("coordinator", True), ("admin", True)],
)
def test_remove_target_permission_matrix(
    indicator: Indicator, cast: dict[str, Any], who: str, allowed: bool
) -> None:
    target = Target.objects.create(
        indicator=indicator, region=Region.objects.get(code="GM0228"), year=2030, value=1
    )
    before = _state()
    response = _client(cast[who]).post(f"{URL}{target.pk}/verwijderen/")
    if not allowed:
        assert response.status_code == 403
        assert _state() == before
        return
    assert response.status_code == 302
    assert not Target.objects.exists()
    assert ChangeLog.objects.latest("pk").changes["target"] == {"old": "GM0228 2030: 1", "new": None}


def test_removing_a_target_of_another_indicator_is_not_found(
    indicator: Indicator, cast: dict[str, Any]
) -> None:
    other = Indicator.objects.create(slug="ander", name="Ander", unit="x")
    target = Target.objects.create(
        indicator=other, region=Region.objects.get(code="GM0228"), year=2030, value=1
    )
    assert _client(cast["admin"]).post(f"{URL}{target.pk}/verwijderen/").status_code == 404
    assert Target.objects.filter(pk=target.pk).exists()


def test_the_list_takes_the_same_queries_for_3_and_30_targets(
    indicator: Indicator, cast: dict[str, Any]
) -> None:
    regions = list(Region.objects.filter(kind="municipality").order_by("code")[:30])
    c = _client(cast["member"])
    counts = []
    for n in (3, 30):
        Target.objects.all().delete()
        Target.objects.bulk_create(
            [Target(indicator=indicator, region=r, year=2030, value=1) for r in regions[:n]]
        )
        c.get(URL)  # warm the session and the per-request caches
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(URL).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_english(indicator: Indicator, cast: dict[str, Any]) -> None:
    html = _client(cast["member"]).get(URL + "?lang=en").content.decode()
    assert "Targets for Woningvoorraad" in html and "Save target" in html


API = "/api/v1/indicators/woningvoorraad/targets"


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("outsider", 403), ("member", 201), ("coordinator", 201), ("admin", 201)],
)
def test_api_set_target_permission_matrix(
    indicator: Indicator, cast: dict[str, Any], who: str, status: int
) -> None:
    before = _state()
    r = _client(cast[who]).post(
        API,
        {"region": "GM0228", "year": 2030, "value": 250, "note": "Woondeal"},
        content_type="application/json",
    )
    assert r.status_code == status, r.content
    if status != 201:
        assert r["Content-Type"] == "application/problem+json"
        assert _state() == before
        return
    body = r.json()
    assert r["Location"].endswith(f"{API}/{body['id']}")
    assert body == {
        "id": body["id"],
        "region": "GM0228",
        "regionName": "Ede",
        "year": 2030,
        "value": 250.0,
        "note": "Woondeal",
    }
    assert _client(None).get(f"{API}/{body['id']}").json() == body
    assert _client(None).get(API).json() == [body]


@pytest.mark.parametrize(
    ("change", "param", "status"),
    [
        ({"region": "Atlantis"}, "region", 422),  # well-formed, but no such area
        ({"year": 30}, "year", 422),
        ({"value": "veel"}, "value", 400),  # not the schema's type
    ],
)
def test_api_bad_input_names_the_field(
    indicator: Indicator, cast: dict[str, Any], change: dict[str, Any], param: str, status: int
) -> None:
    before = _state()
    data = {"region": "GM0228", "year": 2030, "value": 250, **change}
    r = _client(cast["member"]).post(API, data, content_type="application/json")
    assert r.status_code == status and r["Content-Type"] == "application/problem+json"
    assert param in [p["name"] for p in r.json()["invalidParams"]]
    assert _state() == before


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("outsider", 403), ("member", 204), ("coordinator", 204), ("admin", 204)],
)
def test_api_remove_target_permission_matrix(
    indicator: Indicator, cast: dict[str, Any], who: str, status: int
) -> None:
    target = Target.objects.create(
        indicator=indicator, region=Region.objects.get(code="GM0228"), year=2030, value=1
    )
    before = _state()
    r = _client(cast[who]).delete(f"{API}/{target.pk}")
    assert r.status_code == status
    if status != 204:
        assert _state() == before
    else:
        assert not Target.objects.exists()
    assert _client(cast["admin"]).get(f"{API}/999999").status_code == 404
