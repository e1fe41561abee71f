"""API v1: suggestions at intake, matching with feedback, introductions and answers — the same services
as the pages, problems for everything refused, and a refused request changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from plek.api.tests.conftest import is_problem, send
from plek.atlas.models import Hub, HubMembership, Region
from plek.atlas.tests.factories import PersonFactory
from plek.brokering.models import Answer, Introduction, MatchFeedback, Question
from plek.brokering.tests.factories import QuestionFactory
from plek.core.models import Visibility
from plek.knowledge.indexing import reindex
from plek.knowledge.models import KnowledgeItem

S = Question.State
OPEN = {"expertise_visibility": "public", "regions_visibility": "public", "affiliation_visibility": "public"}
ROLES = ["anonymous", "outsider", "member", "asker", "coordinator", "admin", "broker"]
WORKERS = {"coordinator", "admin", "broker"}


@pytest.fixture
def people(cast: dict[str, Any], hub: Hub, django_user_model: Any) -> dict[str, Any]:
    users = dict(cast)
    users["asker"] = django_user_model.objects.create_user(
        username="asker", email="asker@example.org", password="x" * 12
    )
    users["broker"] = django_user_model.objects.create_user(username="broker", password="x" * 12)
    HubMembership.objects.create(hub=hub, user=users["broker"], role=HubMembership.Role.MEMBER)
    return users


def client_for(people: dict[str, Any], role: str) -> Client:
    client = Client()
    if people.get(role) is not None:
        client.force_login(people[role])
    return client


@pytest.fixture
def world(people: dict[str, Any], hub: Hub) -> dict[str, Any]:
    report = KnowledgeItem.objects.create(
        slug="droogte-op-zandgrond",
        title="Droogte op zandgrond in Noord-Holland",
        summary="Grondwater zakt weg; boeren houden regenwater vast in de bodem.",
        kind="report",
        category="research",
    )
    report.regions.set([Region.objects.get(code="PV27")])
    expert = PersonFactory(
        slug="els-droog",
        name="Els Droog",
        email="els@example.org",
        expertise="Droogte, grondwater en regenwater vasthouden op zandgrond.",
        regions=[Region.objects.get(code="PV27")],
        **OPEN,
    )
    question = QuestionFactory(
        slug="droge-grond-heiloo",
        title="Droge grond in Heiloo",
        text="Het grondwater zakt weg en de grond is kurkdroog. Hoe houden we regenwater vast?",
        regions=[Region.objects.get(code="GM0399")],
        asker=people["asker"],
        owner_hub=hub,
        broker=people["broker"],
        state=S.MATCHING,
        share_contact=True,
    )
    reindex()
    return {"report": report, "expert": expert, "question": question}


def test_suggestions_for_the_intake(world: dict[str, Any], people: dict[str, Any]) -> None:
    earlier = QuestionFactory(
        title="Regenwater vasthouden op droge zandgrond",
        text="Het grondwater zakt weg; hoe houden we regenwater vast?",
        regions=[Region.objects.get(code="GM0361")],
        state=S.CLOSED,
    )
    Answer.objects.create(question=earlier, text="Zie het rapport.")
    hidden = QuestionFactory(
        title="Regenwater vasthouden, vertrouwelijk",
        text="Grondwater zakt weg; regenwater vasthouden?",
        visibility=Visibility.PRIVATE,
        regions=[Region.objects.get(code="GM0361")],
    )
    reindex()
    r = send(
        client_for(people, "anonymous"),
        "get",
        "/question-suggestions?text=grondwater+zakt+weg+regenwater&regions=GM0399",
    )
    assert r.status_code == 200, r.content
    body = r.json()
    slugs = [q["slug"] for q in body["questions"]]
    assert slugs[0] == earlier.slug and body["questions"][0]["state"] == "answered"
    assert hidden.slug not in slugs
    assert (
        is_problem(send(Client(), "get", "/question-suggestions"), 400)["invalidParams"][0]["name"] == "text"
    )
    assert send(Client(), "get", "/question-suggestions?text=" + "x" * 20001).status_code in (400, 422)


@pytest.mark.parametrize("role", ROLES)
def test_matches_and_feedback_matrix(role: str, world: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(people, role)
    slug = world["question"].slug
    r = send(client, "get", f"/questions/{slug}/matches")
    fb = send(
        client,
        "post",
        f"/questions/{slug}/matches/feedback",
        {"kind": "person", "targetId": world["expert"].pk, "decision": "accepted"},
    )
    if role in WORKERS:
        assert r.status_code == 200, r.content
        body = r.json()
        assert body["people"][0]["slug"] == "els-droog"
        assert any("provincie Noord-Holland" in reason for reason in body["people"][0]["reasons"])
        assert body["items"][0]["slug"] == "droogte-op-zandgrond"
        assert fb.status_code == 200, fb.content
        assert fb.json()["decision"] == "accepted" and fb.json()["rank"] == 1
        assert (
            send(client, "get", f"/questions/{slug}/matches").json()["accepted"][0]["targetId"]
            == world["expert"].pk
        )
    else:
        is_problem(r, 401 if role == "anonymous" else 403)
        is_problem(fb, 401 if role == "anonymous" else 403)
        assert MatchFeedback.objects.count() == 0


def test_feedback_validation_names_the_field(world: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(people, "broker")
    slug = world["question"].slug
    body = is_problem(
        send(
            client,
            "post",
            f"/questions/{slug}/matches/feedback",
            {"kind": "person", "targetId": 999999, "decision": "accepted"},
        ),
        422,
    )
    assert "target" in [p["name"] for p in body["invalidParams"]]
    body = is_problem(
        send(
            client,
            "post",
            f"/questions/{slug}/matches/feedback",
            {"kind": "ufo", "targetId": 1, "decision": "accepted"},
        ),
        422,
    )
    assert "kind" in [p["name"] for p in body["invalidParams"]]
    assert MatchFeedback.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_introduction_matrix_and_consent(
    role: str, world: dict[str, Any], people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(people, role)
    slug = world["question"].slug
    with django_capture_on_commit_callbacks(execute=True):
        r = send(
            client,
            "post",
            f"/questions/{slug}/introductions",
            {"person": "els-droog", "message": "Els weet hier veel van."},
        )
    if role not in WORKERS:
        is_problem(r, 401 if role == "anonymous" else 403)
        assert Introduction.objects.count() == 0 and not mail.outbox
        world["question"].refresh_from_db()
        assert world["question"].state == S.MATCHING
        return
    assert r.status_code == 201, r.content
    assert r.json()["contact"] is None and r.json()["status"] == "pending"
    secret = re.search(r"/introducties/([^/\s]+)/", mail.outbox[-1].body).group(1)  # type: ignore[union-attr]
    answer = send(Client(), "post", f"/introductions/{secret}/response", {"accept": True})
    assert answer.status_code == 200, answer.content
    assert answer.json()["askerContact"] == "asker@example.org"
    listed = send(client_for(people, "asker"), "get", f"/questions/{slug}/introductions").json()
    assert listed[0]["contact"] == "els@example.org"
    assert send(client_for(people, "outsider"), "get", f"/questions/{slug}/introductions").json() == []
    is_problem(send(Client(), "post", f"/introductions/{secret}/response", {"accept": False}), 422)
    is_problem(send(Client(), "post", "/introductions/nonsense/response", {"accept": True}), 404)


def fields(response: Any, status: int = 422) -> list[str]:
    return [p["name"] for p in is_problem(response, status)["invalidParams"]]


def test_bad_introductions(world: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(people, "broker")
    path = f"/questions/{world['question'].slug}/introductions"
    assert "person" in fields(send(client, "post", path, {"person": "nobody", "message": "Hallo"}))
    assert "message" in fields(send(client, "post", path, {"person": "els-droog", "message": ""}))
    is_problem(send(client, "post", path, {"person": "els-droog"}), 400)
    assert Introduction.objects.count() == 0


@pytest.mark.parametrize("role", ROLES)
def test_publish_answer_matrix(role: str, world: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(people, role)
    slug = world["question"].slug
    r = send(
        client,
        "post",
        f"/questions/{slug}/answer",
        {
            "text": "Houd regenwater vast in greppels.",
            "sourceItems": ["droogte-op-zandgrond"],
            "sourcePeople": ["els-droog"],
        },
    )
    if role not in WORKERS:
        is_problem(r, 401 if role == "anonymous" else 403)
        assert (
            not Answer.objects.exists()
            and not KnowledgeItem.objects.filter(kind="answered_question").exists()
        )
        return
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["sourceItems"] == [
        {"slug": "droogte-op-zandgrond", "name": "Droogte op zandgrond in Noord-Holland"}
    ]
    item = KnowledgeItem.objects.get(kind="answered_question")
    assert body["knowledgeItem"] == item.slug
    detail = send(client_for(people, "anonymous"), "get", f"/questions/{slug}").json()
    assert detail["state"] == "answered" and detail["answer"]["text"].startswith("Houd regenwater")
    from plek.knowledge.indexing import outbox_apply

    outbox_apply()  # the test's transaction never commits, so apply the outbox as the worker would
    found = send(Client(), "get", "/search?q=droge+grond+heiloo").json()
    assert item.slug in [h["slug"] for h in found["items"]]


def test_bad_answers(world: dict[str, Any], people: dict[str, Any]) -> None:
    client = client_for(people, "broker")
    path = f"/questions/{world['question'].slug}/answer"
    assert "sourceItems" in fields(send(client, "post", path, {"text": "x", "sourceItems": ["nope"]}))
    assert "text" in fields(send(client, "post", path, {"text": " "}))
    assert "text" in fields(send(client, "post", path, {"text": "x" * 20_001}))
    assert not Answer.objects.exists()
    world["question"].refresh_from_db()
    assert world["question"].state == S.MATCHING
