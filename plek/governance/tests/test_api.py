"""The governance API: 409 problem+json for a step not in a table (changing nothing), 401/403 for
steps someone may not take, 422 naming the field, confidential content hidden, fixed query counts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from plek.governance.models import Decision, Event, Meeting, Proposal, Signal
from plek.governance.tests.factories import make_proposal, make_signal, make_standard, to_state

pytestmark = pytest.mark.django_db
API = "/api/v1/governance"


def client(user: Any = None) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def post(c: Client, path: str, body: dict[str, Any]) -> Any:
    return c.post(f"{API}{path}", data=json.dumps(body), content_type="application/json")


def test_raise_support_and_read_a_signal(gov: dict[str, Any]) -> None:
    c = client(gov["member"])
    r = post(
        c,
        "/signals",
        {"kind": "obstacle", "title": "Geen data", "description": "Uitleg", "regions": ["GM0363"]},
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "new" and body["regions"][0]["code"] == "GM0363"
    assert r["Location"].endswith(f"/governance/signals/{body['id']}")
    r = post(client(gov["outsider"]), f"/signals/{body['id']}/supports", {"comment": "Ja"})
    assert r.status_code == 200 and r.json()["supportCount"] == 1
    anon = client().get(f"{API}/signals/{body['id']}").json()
    assert anon["supports"] == [{"supporter": None, "comment": "Ja", "at": anon["supports"][0]["at"]}]


def test_bad_signal_input_names_the_field(gov: dict[str, Any]) -> None:
    r = post(
        client(gov["member"]),
        "/signals",
        {"kind": "gripe", "title": "", "description": "x", "regions": ["XX"]},
    )
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"
    names = {p["name"] for p in r.json()["invalidParams"]}
    assert {"kind", "title", "regions"} <= names
    r = post(
        client(gov["member"]),
        "/signals",
        {"kind": "obstacle", "title": "x", "description": "x", "colour": "red"},
    )
    assert r.status_code == 400
    assert not Signal.objects.exists()


def test_anonymous_gets_401_and_nothing_changes(gov: dict[str, Any]) -> None:
    signal = make_signal(gov["outsider"])
    r = post(client(), f"/signals/{signal.pk}/supports", {})
    assert r.status_code == 401
    r = post(client(), "/signals", {"kind": "obstacle", "title": "x", "description": "x"})
    assert r.status_code == 401
    assert Signal.objects.count() == 1 and not signal.supports.exists()


def test_step_not_in_table_answers_409_problem_and_changes_nothing(
    gov: dict[str, Any], meeting: Meeting
) -> None:
    proposal = make_proposal(gov["initiative"])
    events = Event.objects.count()
    r = post(
        client(gov["chair"]),
        f"/proposals/{proposal.pk}/transitions",
        {"to": "decided", "outcome": "adopted", "decisionText": "Ja"},
    )
    assert r.status_code == 409
    assert r["Content-Type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == "urn:plek:problem:conflict" and problem["status"] == 409
    assert "draft" in problem["detail"] and problem["invalidParams"][0]["name"] == "to"
    proposal.refresh_from_db()
    assert proposal.state == "draft" and Event.objects.count() == events and not Decision.objects.exists()
    signal = make_signal(gov["outsider"])
    r = post(client(gov["initiative"]), f"/signals/{signal.pk}/transitions", {"to": "new"})
    assert r.status_code == 409
    version = make_standard(gov["initiative"]).versions.get()
    r = post(
        client(gov["chair"]),
        f"/standards/{version.standard.slug}/versions/1/transitions",
        {"to": "adopted", "decisionText": "x"},
    )
    assert r.status_code == 409


def test_step_someone_may_not_take_is_403(gov: dict[str, Any], meeting: Meeting) -> None:
    proposal = to_state(make_proposal(gov["initiative"]), "submitted", gov, meeting)
    r = post(
        client(gov["initiative"]),
        f"/proposals/{proposal.pk}/transitions",
        {"to": "scheduled", "meeting": meeting.pk},
    )
    assert r.status_code == 403
    proposal.refresh_from_db()
    assert proposal.state == "submitted"


def test_whole_proposal_path_over_the_api(gov: dict[str, Any], meeting: Meeting) -> None:
    signal = make_signal(gov["outsider"])
    proposal = make_proposal(gov["initiative"], [signal])
    ini, chair = client(gov["initiative"]), client(gov["chair"])
    assert post(ini, f"/proposals/{proposal.pk}/transitions", {"to": "submitted"}).status_code == 200
    r = post(chair, f"/proposals/{proposal.pk}/transitions", {"to": "scheduled", "meeting": 999999})
    assert r.status_code == 422 and r.json()["invalidParams"][0]["name"] == "meeting"
    assert (
        post(
            chair, f"/proposals/{proposal.pk}/transitions", {"to": "scheduled", "meeting": meeting.pk}
        ).status_code
        == 200
    )
    r = post(
        chair,
        f"/proposals/{proposal.pk}/transitions",
        {"to": "decided", "outcome": "amended", "decisionText": "Ja, maar"},
    )
    assert r.status_code == 422 and {p["name"] for p in r.json()["invalidParams"]} == {"reasons"}
    r = post(
        chair,
        f"/proposals/{proposal.pk}/transitions",
        {"to": "decided", "outcome": "amended", "decisionText": "Ja, maar kleiner.", "reasons": "Budget."},
    )
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "decided" and body["decisions"][0]["outcome"] == "amended"
    assert body["transitions"] == ["follow_up", "scheduled", "closed"]
    log = client().get(f"{API}/decisions").json()
    assert [d["subject"] for d in log["items"]] == [proposal.title]


def test_confidential_decision_hidden_in_api(gov: dict[str, Any], meeting: Meeting) -> None:
    proposal = make_proposal(
        gov["initiative"],
        title="Geheime reorganisatie",
        confidential=True,
        confidential_reason="Personele gevolgen",
    )
    to_state(proposal, "decided", gov, meeting)
    for who in (None, gov["outsider"], gov["member"]):
        c = client(who)
        text = (
            c.get(f"{API}/decisions").content.decode()
            + c.get(f"{API}/proposals/{proposal.pk}").content.decode()
        )
        text += c.get(f"{API}/proposals").content.decode()
        assert "Geheime reorganisatie" not in text and "kleinere verkenning" not in text
        assert "Personele gevolgen" in text
        d = c.get(f"{API}/decisions").json()["items"][0]
        assert d["confidential"] is True and d["outcome"] is None and d["text"] is None
    text = client(gov["steering"]).get(f"{API}/proposals/{proposal.pk}").content.decode()
    assert "Geheime reorganisatie" in text


def test_drafts_are_for_the_bodies_and_the_author(gov: dict[str, Any]) -> None:
    proposal = make_proposal(gov["initiative"])
    assert client(gov["outsider"]).get(f"{API}/proposals/{proposal.pk}").status_code == 404
    assert client(gov["outsider"]).get(f"{API}/proposals").json()["total"] == 0
    assert client(gov["steering"]).get(f"{API}/proposals/{proposal.pk}").status_code == 200


def test_lists_use_a_fixed_number_of_queries(
    gov: dict[str, Any], meeting: Meeting, django_assert_max_num_queries: Any
) -> None:
    for i in range(30):
        s = make_signal(gov["outsider"], title=f"Signaal {i}", regions=["GM0363"])
        make_proposal(gov["initiative"], [s], title=f"Voorstel {i}")
    for p in Proposal.objects.all()[:5]:
        to_state(p, "decided", gov, meeting)
    c = client(gov["initiative"])
    for path in ("/signals", "/proposals", "/decisions", "/meetings", "/standards"):
        with django_assert_max_num_queries(10):
            assert c.get(f"{API}{path}?pageSize=5").status_code == 200
        with django_assert_max_num_queries(10):
            assert c.get(f"{API}{path}?pageSize=100").status_code == 200
