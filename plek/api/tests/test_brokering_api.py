"""API v1 brokering: questions, transitions through the one table, the broker queue."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plek.api.tests.conftest import is_problem, send
from plek.atlas.models import Hub, HubMembership, Region, Theme
from plek.brokering.models import Question, QuestionEvent
from plek.brokering.tests.factories import QuestionFactory
from plek.core.models import Visibility

S = Question.State


@pytest.fixture
def people(cast: dict[str, Any], hub: Hub, django_user_model: Any) -> dict[str, Any]:
    users = dict(cast)
    users["asker"] = django_user_model.objects.create_user(username="asker", password="correct horse battery")
    users["broker"] = django_user_model.objects.create_user(
        username="broker", password="correct horse battery"
    )
    HubMembership.objects.create(hub=hub, user=users["broker"], role=HubMembership.Role.MEMBER)
    return users


def client_for(people: dict[str, Any], role: str) -> Client:
    client = Client()
    if people.get(role) is not None:
        client.force_login(people[role])
    return client


def make_question(people: dict[str, Any], hub: Hub, **kw: Any) -> Question:
    kw.setdefault("regions", [Region.objects.get(code="GM0363")])
    return QuestionFactory(asker=people["asker"], owner_hub=hub, **kw)  # type: ignore[return-value]


def snapshot(q: Question) -> tuple[Any, ...]:
    q.refresh_from_db()
    return (q.state, q.broker_id, q.owner_hub_id, q.state_changed_at, q.events.count())


VALID = {
    "title": "Waterberging op boerenland",
    "text": "Wie heeft ervaring met waterberging op boerenland?",
    "regions": ["GM0363"],
    "askerRole": "practice",
}


# ---- intake -------------------------------------------------------------------------------------------


def test_create_question(people: dict[str, Any], hub: Hub) -> None:
    response = send(client_for(people, "outsider"), "post", "/questions", VALID)
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"].endswith(f"/api/v1/questions/{body['slug']}")
    assert response["API-Version"] == "1.0.0"
    assert body["state"] == "submitted"
    assert body["ownerHub"] == {"slug": hub.slug, "name": hub.name}  # routed by region (PV27)
    assert body["asker"] == "outsider"
    assert [e["toState"] for e in body["events"]] == ["submitted"]
    assert body["evaluation"] is None
    assert "closed" in body["transitions"]


def test_create_question_anonymous_401(people: dict[str, Any], hub: Hub) -> None:
    response = send(client_for(people, "anonymous"), "post", "/questions", VALID)
    is_problem(response, 401)
    assert not Question.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 10_001}, "text"),
        ({"regions": ["GM0363", "XX9999"]}, "regions"),
        ({"themes": ["geen-thema"]}, "themes"),
        ({"wantedBy": "2000-01-01"}, "wantedBy"),
    ],
)
def test_create_question_422(people: dict[str, Any], hub: Hub, change: dict[str, Any], field: str) -> None:
    response = send(client_for(people, "member"), "post", "/questions", {**VALID, **change})
    body = is_problem(response, 422)
    assert field in {p["name"] for p in body["invalidParams"]}, body
    assert not Question.objects.exists()


def test_create_question_wrong_type_400(people: dict[str, Any], hub: Hub) -> None:
    response = send(client_for(people, "member"), "post", "/questions", {**VALID, "bogus": 1})
    body = is_problem(response, 400)
    assert body["invalidParams"][0]["name"] == "bogus"


# ---- reads ------------------------------------------------------------------------------------------


def test_private_question_hidden_from_outsiders(people: dict[str, Any], hub: Hub) -> None:
    public = make_question(people, hub, visibility=Visibility.PUBLIC)
    private = make_question(people, hub, visibility=Visibility.PRIVATE)
    for role, sees_private in [
        ("anonymous", False),
        ("outsider", False),
        ("member", False),
        ("coordinator", True),
        ("admin", True),
        ("asker", True),
    ]:
        client = client_for(people, role)
        slugs = {q["slug"] for q in send(client, "get", "/questions").json()["items"]}
        assert public.slug in slugs, role
        assert (private.slug in slugs) is sees_private, role
        detail = send(client, "get", f"/questions/{private.slug}")
        if sees_private:
            assert detail.status_code == 200, role
        else:
            is_problem(detail, 404)


def test_asker_name_only_for_those_involved(people: dict[str, Any], hub: Hub) -> None:
    q = make_question(people, hub)
    QuestionEvent.objects.create(question=q, to_state=S.SUBMITTED, actor=people["asker"])
    outsider = send(client_for(people, "outsider"), "get", f"/questions/{q.slug}").json()
    assert outsider["asker"] is None and outsider["events"][0]["actor"] is None
    coordinator = send(client_for(people, "coordinator"), "get", f"/questions/{q.slug}").json()
    assert coordinator["asker"] == "asker" and coordinator["events"][0]["actor"] == "asker"


def test_list_filters(people: dict[str, Any], hub: Hub, other_hub: Hub) -> None:
    water = Theme.objects.create(slug="api-water", label_nl="Water", label_en="Water")
    sub = Theme.objects.create(slug="api-water-sub", label_nl="Sub", label_en="Sub", parent=water)
    amsterdam = make_question(people, hub, themes=[sub])
    utrecht = make_question(people, other_hub, regions=[Region.objects.get(code="PV26")], state=S.TRIAGED)
    client = client_for(people, "anonymous")

    def slugs(qs: str) -> set[str]:
        response = send(client, "get", f"/questions?{qs}")
        assert response.status_code == 200, response.content
        return {q["slug"] for q in response.json()["items"]}

    assert slugs("region=PV27") == {amsterdam.slug}  # the province includes Amsterdam
    assert slugs("theme=api-water") == {amsterdam.slug}  # the theme includes its sub-themes
    assert slugs(f"hub={other_hub.slug}") == {utrecht.slug}
    assert slugs("state=triaged") == {utrecht.slug}
    for bad in ("region=XX0", "theme=nope", "hub=nope", "state=bogus", "pageSize=101"):
        name = bad.split("=")[0]
        body = is_problem(send(client, "get", f"/questions?{bad}"), 400)
        assert body["invalidParams"][0]["name"] == name


def test_list_takes_bounded_queries(people: dict[str, Any], hub: Hub, other_hub: Hub) -> None:
    regions = list(Region.objects.filter(code__in=["GM0363", "PV27"]))
    themes = list(Theme.objects.all()[:2])
    made = 0
    for role in ("anonymous", "coordinator", "admin"):
        counts = {}
        for size in (5, 30):
            while made < size:
                QuestionFactory(
                    asker=people["asker"],
                    owner_hub=hub if made % 3 else other_hub,
                    broker=people["broker"] if made % 2 else None,
                    asker_organisation=None,
                    regions=regions,
                    themes=themes,
                    merged_into=None,
                    referred_to_hub=other_hub if made % 4 == 0 else None,
                )
                made += 1
            client = client_for(people, role)
            with CaptureQueriesContext(connection) as ctx:
                response = send(client, "get", f"/questions?pageSize={size}")
            assert response.status_code == 200
            assert len(response.json()["items"]) == size
            counts[size] = len(ctx.captured_queries)
        assert counts[5] == counts[30], (role, counts)


# ---- transitions -------------------------------------------------------------------------------------

# (from state, body, roles that may) — a few representative steps of the table.
STEPS = [
    (S.SUBMITTED, {"to": "triaged"}, {"coordinator", "admin"}),
    (S.TRIAGED, {"to": "matching"}, {"coordinator", "admin"}),
    (S.SUBMITTED, {"to": "closed", "note": "Niet meer nodig."}, {"asker", "admin"}),
    (S.ANSWERED, {"to": "closed", "note": "Dank."}, {"asker", "coordinator", "admin"}),
    (S.SUBMITTED, {"to": "declined", "note": "Buiten ons gebied."}, {"coordinator", "admin"}),
]
ROLES = ["anonymous", "outsider", "member", "coordinator", "admin", "asker"]


@pytest.mark.parametrize(("from_state", "body", "allowed"), STEPS)
@pytest.mark.parametrize("role", ROLES)
def test_transition_permission_matrix(
    people: dict[str, Any], hub: Hub, role: str, from_state: str, body: dict[str, Any], allowed: set[str]
) -> None:
    q = make_question(people, hub, state=from_state)
    before = snapshot(q)
    response = send(client_for(people, role), "post", f"/questions/{q.slug}/transitions", body)
    if role in allowed:
        assert response.status_code == 200, response.content
        data = response.json()
        assert data["state"] == body["to"]
        last = data["events"][-1]
        assert (last["fromState"], last["toState"]) == (from_state, body["to"])
        assert last["note"] == body.get("note", "")
        assert last["at"].endswith(("Z", "+00:00")) or "+" in last["at"]
        q.refresh_from_db()
        assert q.state == body["to"]
    else:
        is_problem(response, 401 if role == "anonymous" else 403)
        assert snapshot(q) == before


def test_transition_not_in_table_409(people: dict[str, Any], hub: Hub) -> None:
    q = make_question(people, hub, state=S.SUBMITTED)
    before = snapshot(q)
    response = send(
        client_for(people, "admin"), "post", f"/questions/{q.slug}/transitions", {"to": "answered"}
    )
    body = is_problem(response, 409)
    assert [p["name"] for p in body["invalidParams"]] == ["to"]
    assert snapshot(q) == before


def test_unknown_state_422(people: dict[str, Any], hub: Hub) -> None:
    q = make_question(people, hub)
    response = send(client_for(people, "admin"), "post", f"/questions/{q.slug}/transitions", {"to": "bogus"})
    body = is_problem(response, 422)
    assert [p["name"] for p in body["invalidParams"]] == ["to"]


def test_invisible_question_404(people: dict[str, Any], hub: Hub) -> None:
    q = make_question(people, hub, visibility=Visibility.PRIVATE)
    response = send(
        client_for(people, "outsider"), "post", f"/questions/{q.slug}/transitions", {"to": "closed"}
    )
    is_problem(response, 404)


@pytest.mark.parametrize(
    ("from_state", "body", "field"),
    [
        (S.SUBMITTED, {"to": "declined"}, "note"),
        (S.SUBMITTED, {"to": "referred", "note": "Over."}, "referredToHub"),
        (S.SUBMITTED, {"to": "referred", "note": "Over.", "referredToHub": "nergens"}, "referredToHub"),
        (S.SUBMITTED, {"to": "triaged", "broker": "niemand"}, "broker"),
        (S.SUBMITTED, {"to": "triaged", "broker": "outsider"}, "broker"),
        (S.SUBMITTED, {"to": "merged"}, "mergedInto"),
        (S.SUBMITTED, {"to": "merged", "mergedInto": "geen-vraag"}, "mergedInto"),
        (S.SUBMITTED, {"to": "triaged", "usefulness": 3}, "usefulness"),
    ],
)
def test_transition_extras_422(
    people: dict[str, Any], hub: Hub, from_state: str, body: dict[str, Any], field: str
) -> None:
    q = make_question(people, hub, state=from_state)
    before = snapshot(q)
    response = send(client_for(people, "coordinator"), "post", f"/questions/{q.slug}/transitions", body)
    problem = is_problem(response, 422)
    assert field in {p["name"] for p in problem["invalidParams"]}, problem
    assert snapshot(q) == before


def test_triage_with_broker_refer_and_merge(
    people: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    # The hub referred to has a coordinator (one without would pass the question on).
    elders = django_user_model.objects.create_user(username="elders", password="x")
    HubMembership.objects.create(hub=other_hub, user=elders, role=HubMembership.Role.COORDINATOR)
    coordinator = client_for(people, "coordinator")
    q = make_question(people, hub)
    response = send(
        coordinator, "post", f"/questions/{q.slug}/transitions", {"to": "triaged", "broker": "broker"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["broker"] == "broker"
    assert response.json()["events"][-1]["details"] == {"broker": "broker"}

    response = send(
        coordinator,
        "post",
        f"/questions/{q.slug}/transitions",
        {"to": "referred", "note": "Hoort bij Utrecht.", "referredToHub": other_hub.slug},
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["state"] == "referred"
    assert data["ownerHub"]["slug"] == other_hub.slug
    assert data["referredTo"]["hub"] == other_hub.slug

    dup, target = make_question(people, hub), make_question(people, hub)
    response = send(
        coordinator, "post", f"/questions/{dup.slug}/transitions", {"to": "merged", "mergedInto": target.slug}
    )
    assert response.status_code == 200, response.content
    assert response.json()["mergedInto"] == target.slug


def test_asker_closes_with_evaluation(people: dict[str, Any], hub: Hub) -> None:
    q = make_question(people, hub, state=S.ANSWERED)
    response = send(
        client_for(people, "asker"),
        "post",
        f"/questions/{q.slug}/transitions",
        {"to": "closed", "usefulness": 4, "comment": "Goed geholpen."},
    )
    assert response.status_code == 200, response.content
    assert response.json()["evaluation"]["usefulness"] == 4
    detail = send(client_for(people, "anonymous"), "get", f"/questions/{q.slug}").json()
    assert detail["evaluation"]["comment"] == "Goed geholpen."


# ---- the queue ------------------------------------------------------------------------------------------


def test_queue_access_and_filters(people: dict[str, Any], hub: Hub) -> None:
    old = make_question(people, hub, submitted_at=timezone.now() - dt.timedelta(days=30))
    mine = make_question(people, hub, state=S.TRIAGED, broker=people["broker"])
    for role, status in [("anonymous", 401), ("outsider", 403), ("member", 403), ("asker", 403)]:
        is_problem(send(client_for(people, role), "get", "/queue"), status)
    for role in ("coordinator", "admin"):
        response = send(client_for(people, role), "get", "/queue")
        assert response.status_code == 200, (role, response.content)
        data = response.json()
        assert [e["question"]["slug"] for e in data["items"]] == [old.slug, mine.slug]
        assert data["items"][0]["overdue"] is True and data["items"][0]["ageDays"] >= 30
        assert data["counts"] == {"submitted": 1, "triaged": 1}
    coordinator = client_for(people, "coordinator")
    overdue = send(coordinator, "get", "/queue?overdue=true").json()
    assert [e["question"]["slug"] for e in overdue["items"]] == [old.slug]
    triaged = send(coordinator, "get", "/queue?state=triaged").json()
    assert [e["question"]["slug"] for e in triaged["items"]] == [mine.slug]
    broker = send(client_for(people, "broker"), "get", "/queue?mine=true")
    assert broker.status_code == 200
    assert [e["question"]["slug"] for e in broker.json()["items"]] == [mine.slug]
