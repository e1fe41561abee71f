"""API v1 for area learning: the matrix (a refused request changes nothing), history as of a date and
between dates, bad input as 4xx problem+json naming the property."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from plek.learning.models import AgendaItem, AgendaVersion, Lesson, Session, Trajectory
from plek.learning.tests.conftest import add_item

pytestmark = pytest.mark.django_db
API = "/api/v1"
BODY = {
    "title": "Stikstof in De Peel",
    "areaProcess": "Gebiedsprogramma De Peel",
    "goal": "Samen leren over natuurherstel.",
    "startedOn": "2024-01-01",
    "regions": ["PV30"],
    "themes": ["stikstof"],
}


def _client(user: Any = None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client, method)(f"{API}{path}")
    return getattr(client, method)(f"{API}{path}", data=json.dumps(body), content_type="application/json")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:400])
    assert response["Content-Type"].startswith("application/problem+json")
    return {p["name"]: p["reason"] for p in response.json().get("invalidParams") or []}


def _counts() -> tuple[int, ...]:
    return (
        Trajectory.objects.count(),
        AgendaItem.objects.count(),
        AgendaVersion.objects.count(),
        Session.objects.count(),
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("outsider", 403), ("member", 201), ("coordinator", 201), ("admin", 201)],
)
def test_creating_a_trajectory(cast: dict[str, Any], role: str, status: int) -> None:
    response = send(_client(cast[role]), "post", "/learning-trajectories", BODY)
    assert response.status_code == status
    if status == 201:
        body = response.json()
        assert response["Location"].endswith(f"/api/v1/learning-trajectories/{body['slug']}")
        assert body["regions"] == [{"code": "PV30", "name": "Noord-Brabant", "kind": "province"}]
        assert body["canChange"] is True
    else:
        assert Trajectory.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("outsider", 403), ("member", 403), ("coordinator", 201), ("admin", 201)],
)
def test_adding_to_the_agenda(cast: dict[str, Any], trajectory: Trajectory, role: str, status: int) -> None:
    before = _counts()
    response = send(
        _client(cast[role]),
        "post",
        f"/learning-trajectories/{trajectory.slug}/agenda-items",
        {
            "text": "Hoe kunnen we …?",
            "barrier": "Regels",
            "validFrom": "2024-02-01",
            "actions": [{"what": "Meten", "who": "Jan", "due": "2024-03-01"}],
        },
    )
    assert response.status_code == status
    if status == 201:
        body = response.json()
        assert body["number"] == 1 and body["validFrom"] == "2024-02-01"
        assert body["actions"] == [{"what": "Meten", "who": "Jan", "due": "2024-03-01"}]
        assert [v["status"] for v in body["versions"]] == ["new"]
    else:
        assert _counts() == before
        problem(response, status)


def test_bad_input_names_the_property(cast: dict[str, Any], trajectory: Trajectory) -> None:
    client = _client(cast["coordinator"])
    before = _counts()
    bad = {**BODY, "title": "", "regions": ["XX0000"], "startedOn": "2024-05-01", "endedOn": "2024-04-01"}
    assert set(problem(send(client, "post", "/learning-trajectories", bad), 422)) == {
        "title",
        "regions",
        "endedOn",
    }
    assert "startedOn" in problem(
        send(client, "post", "/learning-trajectories", {**BODY, "startedOn": "gisteren"}), 400
    )
    assert "surprise" in problem(send(client, "post", "/learning-trajectories", {**BODY, "surprise": 1}), 400)
    path = f"/learning-trajectories/{trajectory.slug}/agenda-items"
    assert "text" in problem(send(client, "post", path, {"text": "  "}), 422)
    assert "validFrom" in problem(
        send(client, "post", path, {"text": "Hoe?", "validFrom": "2099-01-01"}), 422
    )
    assert "actions" in problem(send(client, "post", path, {"text": "Hoe?", "actions": [{"what": ""}]}), 422)
    assert _counts() == before


def test_changes_and_history_through_the_api(cast: dict[str, Any], trajectory: Trajectory) -> None:
    client = _client(cast["coordinator"])
    item = add_item(trajectory, text="Eerste", day=dt.date(2024, 2, 1))
    path = f"/learning-trajectories/{trajectory.slug}/agenda-items/{item.number}"
    ok = send(client, "patch", path, {"status": "active", "validFrom": "2024-03-01", "note": "Opgepakt"})
    assert ok.status_code == 200 and ok.json()["status"] == "active"
    assert send(client, "patch", path, {"text": "Tweede", "validFrom": "2024-06-01"}).status_code == 200
    before = _counts()
    assert "validFrom" in problem(
        send(client, "patch", path, {"status": "solved", "validFrom": "2024-05-01"}), 422
    )
    assert "status" in problem(send(client, "patch", path, {"status": "bogus"}), 422)
    assert "body" in problem(send(client, "patch", path, {"validFrom": "2024-07-01"}), 422)  # nothing changed
    assert problem(send(_client(cast["member"]), "patch", path, {"status": "solved"}), 403) == {}
    assert _counts() == before
    anon = _client()
    as_of = send(anon, "get", f"/learning-trajectories/{trajectory.slug}/agenda?asOf=2024-04-01").json()
    assert as_of["asOf"] == "2024-04-01"
    assert [(i["text"], i["status"], i["validFrom"]) for i in as_of["items"]] == [
        ("Eerste", "active", "2024-03-01")
    ]
    changes = send(
        anon, "get", f"/learning-trajectories/{trajectory.slug}/agenda-changes?from=2024-02-15&to=2024-12-31"
    ).json()
    assert [(c["validFrom"], c["changes"]) for c in changes["changes"]] == [
        ("2024-03-01", [{"field": "status", "old": "new", "new": "active"}]),
        ("2024-06-01", [{"field": "text", "old": "Eerste", "new": "Tweede"}]),
    ]
    assert "from" in problem(
        send(
            anon,
            "get",
            f"/learning-trajectories/{trajectory.slug}/agenda-changes?from=2024-12-31&to=2024-01-01",
        ),
        400,
    )
    assert "to" in problem(
        send(anon, "get", f"/learning-trajectories/{trajectory.slug}/agenda-changes?from=2024-01-01"), 400
    )
    assert "asOf" in problem(
        send(anon, "get", f"/learning-trajectories/{trajectory.slug}/agenda?asOf=nope"), 400
    )


def test_sessions_timeline_lessons_and_publication(cast: dict[str, Any], trajectory: Trajectory) -> None:
    client = _client(cast["coordinator"])
    slug = trajectory.slug
    assert (
        send(
            client,
            "post",
            f"/learning-trajectories/{slug}/participants",
            {"name": "Anouk", "background": "policy"},
        ).status_code
        == 201
    )
    add_item(trajectory)
    session = send(
        client,
        "post",
        f"/learning-trajectories/{slug}/sessions",
        {
            "kind": "reflection",
            "title": "Reflectie",
            "date": "2024-03-01",
            "participants": ["Anouk"],
            "itemsDiscussed": [1],
        },
    )
    assert (
        session.status_code == 201
        and session.json()["participants"] == ["Anouk"]
        and session.json()["itemsDiscussed"] == [1]
    )
    assert "participants" in problem(
        send(
            client,
            "post",
            f"/learning-trajectories/{slug}/sessions",
            {"kind": "reflection", "title": "X", "date": "2024-03-01", "participants": ["Niemand"]},
        ),
        422,
    )
    assert "date" in problem(
        send(
            client,
            "post",
            f"/learning-trajectories/{slug}/sessions",
            {"kind": "reflection", "title": "X", "date": "2023-03-01"},
        ),
        422,
    )
    assert len(send(_client(), "get", f"/learning-trajectories/{slug}/sessions").json()) == 1
    event = send(
        client,
        "post",
        f"/learning-trajectories/{slug}/timeline-events",
        {"date": "2024-04-01", "kind": "low", "title": "Dip"},
    )
    assert event.status_code == 201
    lesson = send(
        client,
        "post",
        "/lessons",
        {"title": "Les", "insight": "Inzicht", "regions": ["PV27"], "date": "2024-05-01", "trajectory": slug},
    )
    assert lesson.status_code == 201 and lesson.json()["trajectory"] == slug
    assert "trajectory" in problem(
        send(
            client,
            "post",
            "/lessons",
            {
                "title": "Les",
                "insight": "I",
                "regions": ["PV27"],
                "date": "2024-05-01",
                "trajectory": "onbekend",
            },
        ),
        422,
    )
    published = send(client, "post", f"/lessons/{lesson.json()['slug']}/publication")
    assert published.status_code == 200 and published.json()["knowledgeItem"]
    assert Lesson.objects.get().knowledge_item.kind == "lesson"
    assert send(_client(), "get", f"/learning-trajectories/{slug}/lessons-from-elsewhere").status_code == 200


def test_passing_a_barrier_on(cast: dict[str, Any], trajectory: Trajectory) -> None:
    item = add_item(trajectory, barrier="Regels verschillen per gemeente")
    path = f"/learning-trajectories/{trajectory.slug}/agenda-items/{item.number}/signal"
    problem(send(_client(cast["member"]), "post", path), 403)
    response = send(_client(cast["coordinator"]), "post", path)
    assert response.status_code == 200 and "passedAt" in response.json()
    bare = add_item(trajectory)
    assert "barrier" in problem(
        send(
            _client(cast["coordinator"]),
            "post",
            f"/learning-trajectories/{trajectory.slug}/agenda-items/{bare.number}/signal",
        ),
        422,
    )


def test_unknown_filters_answer_400(cast: dict[str, Any], trajectory: Trajectory) -> None:
    assert "region" in problem(send(_client(), "get", "/learning-trajectories?region=XX0000"), 400)
    assert "theme" in problem(send(_client(), "get", "/lessons?theme=onbekend"), 400)
    # A region filter includes the regions it contains, not those containing it.
    assert send(_client(), "get", "/learning-trajectories?region=GM0363").json()["total"] == 0
    assert send(_client(), "get", "/learning-trajectories?region=PV27").json()["total"] == 1


def _session_and_event(trajectory: Trajectory, admin: Any) -> tuple[int, int]:
    client = _client(admin)
    base = f"/learning-trajectories/{trajectory.slug}"
    session = send(
        client, "post", f"{base}/sessions", {"kind": "reflection", "title": "R", "date": "2024-03-01"}
    )
    event = send(
        client, "post", f"{base}/timeline-events", {"date": "2024-04-01", "kind": "low", "title": "Dip"}
    )
    assert session.status_code == event.status_code == 201, (session.content, event.content)
    return session.json()["id"], event.json()["id"]


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("outsider", 403), ("member", 403), ("coordinator", 204), ("admin", 204)],
)
def test_removing_a_session_and_an_event(
    cast: dict[str, Any], trajectory: Trajectory, role: str, status: int
) -> None:
    session, event = _session_and_event(trajectory, cast["admin"])
    base = f"/learning-trajectories/{trajectory.slug}"
    client = _client(cast[role])
    for path in (f"{base}/sessions/{session}", f"{base}/timeline-events/{event}"):
        response = send(client, "delete", path)
        assert response.status_code == status, (path, response.content[:300])
        if status != 204:
            problem(response, status)
    left = (Session.objects.filter(pk=session).count(), trajectory.events.filter(pk=event).count())
    assert left == ((0, 0) if status == 204 else (1, 1))
    if status == 204:
        problem(send(client, "delete", f"{base}/sessions/{session}"), 404)
        problem(send(client, "delete", f"{base}/timeline-events/{event}"), 404)


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("outsider", 403), ("member", 403), ("coordinator", 204), ("admin", 204)],
)
def test_deleting_a_trajectory(cast: dict[str, Any], trajectory: Trajectory, role: str, status: int) -> None:
    response = send(_client(cast[role]), "delete", f"/learning-trajectories/{trajectory.slug}")
    assert response.status_code == status, response.content[:300]
    assert Trajectory.objects.filter(pk=trajectory.pk).exists() is (status != 204)
