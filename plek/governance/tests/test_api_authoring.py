"""What the governance authoring pages do, over the API: drafting and changing agenda proposals,
scheduling meetings and recording their minutes, writing standards and their next versions. Each
operation calls the page's service (the same form, the same permission predicate). Table-driven:
one permission matrix over every operation (a refused request changes nothing), one success test
and one bad-input test per operation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from plek.core.testing import api_call
from plek.governance.models import Meeting, Proposal, Signal, Standard, StandardVersion
from plek.governance.tests.factories import STANDARD_BODY, make_proposal, make_signal, make_standard

pytestmark = pytest.mark.django_db
API = "/api/v1/governance"
CAST = ("anonymous", "outsider", "member", "coordinator", "admin")


def send(user: Any, method: str, path: str, body: Any = None) -> Any:
    return api_call(user, method, f"{API}{path}", body)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"] == "application/problem+json"
    return response.json()  # type: ignore[no-any-return]


PROPOSAL = {
    "title": "Gedeelde meetnetten",
    "rationale": "Drie regio's meten hetzelfde.",
    "expectedEffect": "Minder dubbel meetwerk.",
    "decisionRequested": "Stem in met een verkenning.",
}
MEETING = {
    "body": "steering",
    "title": "Stuurgroep maart",
    "startsAt": "2031-03-04T14:00:00+01:00",
    "endsAt": "2031-03-04T16:00:00+01:00",
    "location": "Zwolle",
}
STANDARD = {
    "title": "Goede terugkoppeling",
    "summary": "Hoe de vrager hoort wat er met de vraag gebeurt.",
    "body": STANDARD_BODY,
    "checklist": "Binnen vier weken antwoord\nEen vaste contactpersoon",
}
VERSION = {"body": STANDARD_BODY, "checklist": "Binnen drie weken antwoord", "changeSummary": "Sneller."}


def _snapshot() -> tuple[Any, ...]:
    """Everything these operations could change."""
    return (
        list(Proposal.objects.order_by("pk").values_list("pk", "title", "state", "confidential")),
        list(Signal.objects.order_by("pk").values_list("pk", "state")),
        list(Meeting.objects.order_by("pk").values_list("pk", "title", "minutes")),
        list(Standard.objects.order_by("pk").values_list("pk", "title")),
        list(StandardVersion.objects.order_by("pk").values_list("pk", "number", "state")),
    )


@dataclass
class Case:
    """An operation: how to call it on the world `setup` built, who may, what it answers."""

    operation: str
    method: str
    path: Callable[[dict[str, Any]], str]
    body: dict[str, Any]
    allowed: tuple[str, ...]
    status: int
    bad: dict[str, Any]  # a body the form refuses
    bad_names: set[str]  # the properties the 422 names


CASES = [
    Case("createProposal", "post", lambda w: "/proposals", PROPOSAL, ("initiative", "admin"), 201,
         {**PROPOSAL, "title": "", "confidential": True}, {"title", "confidentialReason"}),
    Case("updateProposal", "patch", lambda w: f"/proposals/{w['draft'].pk}", {"title": "Een betere titel"},
         ("initiative", "admin"), 200, {"rationale": ""}, {"rationale"}),
    Case("createMeeting", "post", lambda w: "/meetings", MEETING, ("chair", "secretary", "admin"), 201,
         {**MEETING, "endsAt": "2031-03-04T12:00:00+01:00"}, {"endsAt"}),
    Case("recordMeetingMinutes", "patch", lambda w: f"/meetings/{w['meeting'].pk}",
         {"minutes": "## Besluiten\nAangenomen."}, ("chair", "secretary", "admin"), 200,
         {"minutes": "x" * 30_001}, {"minutes"}),
    Case("createStandard", "post", lambda w: "/standards", STANDARD, ("initiative", "admin"), 201,
         {**STANDARD, "checklist": "  \n"}, {"checklist"}),
    Case("createStandardVersion", "post", lambda w: f"/standards/{w['adopted'].slug}/versions", VERSION,
         ("initiative", "admin"), 201, {**VERSION, "body": ""}, {"body"}),
]  # fmt: skip


@pytest.fixture
def world(gov: dict[str, Any], meeting: Meeting) -> dict[str, Any]:
    draft = make_proposal(gov["initiative"])
    standard = make_standard(gov["initiative"])
    # Adopt the first version so that a next version may be drafted.
    StandardVersion.objects.filter(standard=standard).update(state=StandardVersion.State.ADOPTED)
    return {"draft": draft, "meeting": meeting, "adopted": standard, "signal": make_signal(gov["member"])}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
@pytest.mark.parametrize("role", [*CAST, "initiative", "chair"])
def test_the_permission_matrix(gov: dict[str, Any], world: dict[str, Any], case: Case, role: str) -> None:
    before = _snapshot()
    r = send(gov[role], case.method, case.path(world), case.body)
    if role in case.allowed:
        assert r.status_code == case.status, r.content[:400]
        assert _snapshot() != before
    else:
        # Anonymous callers are asked to sign in; others are refused, or told that a draft they may
        # not see does not exist.
        expected = {401} if role == "anonymous" else {403, 404}
        assert r.status_code in expected, r.content[:400]
        problem(r, r.status_code)
        assert _snapshot() == before


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
def test_bad_input_names_the_property_and_changes_nothing(
    gov: dict[str, Any], world: dict[str, Any], case: Case
) -> None:
    who = gov["admin"]
    before = _snapshot()
    r = send(who, case.method, case.path(world), case.bad)
    assert {p["name"] for p in problem(r, 422)["invalidParams"]} == case.bad_names
    assert _snapshot() == before


def test_a_proposal_is_drafted_with_its_signals(gov: dict[str, Any], world: dict[str, Any]) -> None:
    signal = world["signal"]
    r = send(gov["initiative"], "post", "/proposals", {**PROPOSAL, "signals": [signal.pk]})
    assert r.status_code == 201, r.content
    proposal = Proposal.objects.get(title="Gedeelde meetnetten")
    assert r["Location"].endswith(f"/api/v1/governance/proposals/{proposal.pk}")
    body = r.json()
    assert (body["state"], body["signals"], body["expectedEffect"]) == (
        "draft",
        [signal.pk],
        "Minder dubbel meetwerk.",
    )
    signal.refresh_from_db()
    assert (signal.state, proposal.author) == ("bundled", gov["initiative"])
    # The same as reading it back; a draft is hidden from anonymous callers.
    problem(Client().get(r["Location"]), 404)
    c = Client()
    c.force_login(gov["initiative"])
    assert c.get(r["Location"]).json() == body


def test_a_draft_is_changed_and_then_fixed(gov: dict[str, Any], world: dict[str, Any]) -> None:
    draft = world["draft"]
    r = send(
        gov["initiative"],
        "patch",
        f"/proposals/{draft.pk}",
        {"confidential": True, "confidentialReason": "Personen"},
    )
    assert r.status_code == 200, r.content
    assert (r.json()["confidential"], r.json()["title"]) == (True, draft.title)  # the rest kept
    draft.refresh_from_db()
    assert (draft.confidential, draft.confidential_reason, draft.rationale) == (
        True,
        "Personen",
        "Meerdere signalen over data.",
    )
    Proposal.objects.filter(pk=draft.pk).update(state=Proposal.State.SUBMITTED)
    r = send(gov["initiative"], "patch", f"/proposals/{draft.pk}", {"title": "Te laat"})
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["body"]
    assert Proposal.objects.get(pk=draft.pk).title == draft.title


def test_a_meeting_is_scheduled_and_its_minutes_recorded(gov: dict[str, Any], world: dict[str, Any]) -> None:
    r = send(gov["secretary"], "post", "/meetings", MEETING)
    assert r.status_code == 201, r.content
    meeting = Meeting.objects.get(title="Stuurgroep maart")
    assert r["Location"].endswith(f"/api/v1/governance/meetings/{meeting.pk}")
    assert (r.json()["location"], r.json()["minutes"], meeting.created_by) == ("Zwolle", "", gov["secretary"])
    r = send(gov["chair"], "patch", f"/meetings/{meeting.pk}", {"minutes": "Alles besproken."})
    assert r.status_code == 200, r.content
    assert Client().get(f"{API}/meetings/{meeting.pk}").json()["minutes"] == "Alles besproken."
    problem(Client().get(f"{API}/meetings/999999"), 404)


def test_a_standard_is_written_and_versioned(gov: dict[str, Any], world: dict[str, Any]) -> None:
    r = send(gov["initiative"], "post", "/standards", STANDARD)
    assert r.status_code == 201, r.content
    standard = Standard.objects.get(title="Goede terugkoppeling")
    assert r["Location"].endswith(f"/api/v1/governance/standards/{standard.slug}")
    assert [(x["number"], x["state"]) for x in r.json()["versions"]] == [(1, "draft")]
    # One version in preparation at a time: the next one waits.
    r = send(gov["initiative"], "post", f"/standards/{standard.slug}/versions", VERSION)
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["body"]
    slug = world["adopted"].slug
    r = send(gov["initiative"], "post", f"/standards/{slug}/versions", VERSION)
    assert r.status_code == 201, r.content
    assert r["Location"].endswith(f"/api/v1/governance/standards/{slug}")
    assert next((x["number"], x["state"], x["changeSummary"]) for x in r.json()["versions"]) == (
        2,
        "draft",
        "Sneller.",
    )
    problem(send(gov["initiative"], "post", "/standards/geen-standaard/versions", VERSION), 404)
