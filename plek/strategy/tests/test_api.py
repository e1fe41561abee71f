"""The strategy API: trends and results as numbers, solving with problem+json for bad input, the
permission matrix (a refused request changes nothing) and fixed query counts for lists."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plek.strategy.models import SolveRun, Study

pytestmark = pytest.mark.django_db


def _client(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def test_trends_through_the_api(demo: Study, client: Client) -> None:
    body = client.get("/api/v1/indicators/co2-uitstoot/trends").json()
    assert body["indicator"]["direction"] == "lower"
    results = body["results"]
    assert len(results) == 12 and [r["rank"] for r in results] == list(range(1, 13))
    first = results[0]
    assert {"slope", "slopeLow", "slopeHigh", "mannKendall", "projected", "verdict"} <= set(first)
    assert first["verdict"] in ("on_track", "off_track")
    one = client.get("/api/v1/indicators/co2-uitstoot/trends?region=PV27").json()["results"]
    assert len(one) == 1 and one[0]["region"] == "PV27" and len(one[0]["observations"]) == 15
    assert client.get("/api/v1/indicators/nope/trends").status_code == 404


def test_lists_use_a_fixed_number_of_queries(
    demo: Study, client: Client, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/indicators?pageSize=2").json()["total"] == 4
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/indicators?pageSize=50").json()["total"] == 4
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/studies").json()["total"] == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 401), ("outsider", 403), ("member", 201), ("coordinator", 201), ("admin", 201)],
)
def test_solve_permission_matrix(
    hub_study: Study, cast: dict[str, Any], who: str, status: int, run_tasks: Any
) -> None:
    c = _client(cast[who])
    url = f"/api/v1/studies/{hub_study.slug}/variants/basis/runs"
    r = run_tasks(lambda: c.post(url, {"method": "fast"}, content_type="application/json"))
    assert r.status_code == status, r.content
    if status == 201:
        body = r.json()
        assert body["status"] == "queued"  # answered before the background solve
        body = c.get(body["url"]).json()
        assert body["status"] == "done" and len(body["claims"]) == hub_study.claims.count()
        assert c.get(body["url"]).json()["objective"] == pytest.approx(body["objective"])
        again = c.post(
            f"/api/v1/studies/{hub_study.slug}/variants/basis/runs",
            {"method": "fast"},
            content_type="application/json",
        )
        assert again.status_code == 200 and again.json()["id"] == body["id"]
    else:
        assert r["Content-Type"].startswith("application/problem+json")
        assert not SolveRun.objects.exists()


def test_fast_and_highs_agree_through_the_api(hub_study: Study, cast: dict[str, Any], run_tasks: Any) -> None:
    c = _client(cast["member"])
    url = f"/api/v1/studies/{hub_study.slug}/variants/water-sturend/runs"
    fast = run_tasks(lambda: c.post(url, {"method": "fast"}, content_type="application/json")).json()
    exact = run_tasks(lambda: c.post(url, {"method": "highs"}, content_type="application/json")).json()
    fast, exact = c.get(fast["url"]).json(), c.get(exact["url"]).json()
    assert fast["inputHash"] == exact["inputHash"]
    assert fast["objective"] == pytest.approx(exact["objective"], rel=1e-6)


def test_impossible_inputs_answer_422_naming_the_field(hub_study: Study, cast: dict[str, Any]) -> None:
    v = hub_study.variants.get(slug="meer-wonen")
    v.changes = {"claims": {"wonen": {"wantedHa": 1, "wanted_ha": 9_999_999}}}
    v.save()
    r = _client(cast["member"]).post(
        f"/api/v1/studies/{hub_study.slug}/variants/meer-wonen/runs", {}, content_type="application/json"
    )
    assert r.status_code == 422 and r["Content-Type"].startswith("application/problem+json")
    body = r.json()
    assert "geschikte grond" in body["detail"]
    assert any(p["name"] == "wanted" for p in body["invalidParams"])
    bad = _client(cast["member"]).post(
        f"/api/v1/studies/{hub_study.slug}/variants/basis/runs",
        {"method": "magic"},
        content_type="application/json",
    )
    assert bad.status_code == 422 and not SolveRun.objects.exists()


def test_cancel_through_the_api(hub_study: Study, cast: dict[str, Any]) -> None:
    run = SolveRun.objects.create(variant=hub_study.variants.get(slug="basis"), input_hash="y" * 64)
    assert _client(cast["outsider"]).post(f"/api/v1/runs/{run.pk}/cancel").status_code == 403
    run.refresh_from_db()
    assert run.status == "queued" and not run.cancel_requested
    r = _client(cast["member"]).post(f"/api/v1/runs/{run.pk}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert _client(cast["member"]).post(f"/api/v1/runs/{run.pk}/cancel").status_code == 409
