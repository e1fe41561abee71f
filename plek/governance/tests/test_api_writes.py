"""What the governance pages can do, over the API: evidence, follow-up actions, consultation comments,
self-assessments and follows. Each with its permission matrix (anonymous, outsider, member,
coordinator, admin, and the bodies' roles where they decide): a refused request changes nothing;
bad input answers 422 naming the property; a create answers 201 with `Location`."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from plek.atlas.models import Hub
from plek.governance import services
from plek.governance.models import (
    ConsultationComment,
    Evidence,
    Follow,
    FollowUpAction,
    Meeting,
    Proposal,
    SelfAssessment,
    StandardVersion,
)
from plek.governance.tests.conftest import v
from plek.governance.tests.factories import make_proposal, make_signal, make_standard, to_state

pytestmark = pytest.mark.django_db
API = "/api/v1/governance"
CAST = ("anonymous", "outsider", "member", "coordinator", "admin")


def send(user: Any, method: str, path: str, body: Any = None) -> Any:
    c = Client()
    if user is not None:
        c.force_login(user)
    if body is None:
        return getattr(c, method)(f"{API}{path}")
    return getattr(c, method)(f"{API}{path}", data=json.dumps(body), content_type="application/json")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"] == "application/problem+json"
    return response.json()  # type: ignore[no-any-return]


def refused(role: str) -> int:
    return 401 if role == "anonymous" else 403


# ---- evidence --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [*CAST, "initiative", "chair"])
def test_evidence_is_cited_by_the_initiative_group_only(gov: dict[str, Any], role: str) -> None:
    proposal = make_proposal(gov["initiative"])
    proposal.state = Proposal.State.SUBMITTED  # members of no body see it once it is submitted
    proposal.save()
    body = {"kind": "other", "url": "https://example.org/rapport", "title": "Rapport"}
    r = send(gov[role], "post", f"/proposals/{proposal.pk}/evidence", body)
    if role in ("initiative", "admin"):
        assert r.status_code == 201, r.content
        assert r["Location"].endswith(f"/api/v1/governance/proposals/{proposal.pk}")
        assert r.json() == {"kind": "other", "title": "Rapport", "url": "https://example.org/rapport"}
        detail = send(gov[role], "get", f"/proposals/{proposal.pk}").json()
        assert detail["evidence"] == [r.json()]
    else:
        problem(r, refused(role))
        assert not Evidence.objects.exists()


def test_bad_evidence_names_the_property_and_changes_nothing(gov: dict[str, Any]) -> None:
    proposal = make_proposal(gov["initiative"])
    r = send(gov["initiative"], "post", f"/proposals/{proposal.pk}/evidence", {"kind": "knowledge"})
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["knowledgeItem", "title"]
    r = send(
        gov["initiative"], "post", f"/proposals/{proposal.pk}/evidence", {"kind": "other", "url": "ftp://x"}
    )
    assert {p["name"] for p in problem(r, 422)["invalidParams"]} == {"url", "title"}
    assert not Evidence.objects.exists()


# ---- follow-up actions ----------------------------------------------------------------------------------


@pytest.fixture
def decided(gov: dict[str, Any], meeting: Meeting) -> Proposal:
    meeting.body = "steering"
    meeting.save()
    return to_state(make_proposal(gov["initiative"]), "decided", gov, meeting)


ACTION = {"description": "Datadeelafspraak opstellen", "owner": "Provincie", "dueDate": "2027-03-01"}


@pytest.mark.parametrize("role", [*CAST, "initiative", "chair", "secretary"])
def test_follow_up_actions_are_added_by_the_chair_or_secretary(
    gov: dict[str, Any], decided: Proposal, role: str
) -> None:
    r = send(gov[role], "post", f"/proposals/{decided.pk}/actions", ACTION)
    if role in ("chair", "secretary", "admin"):
        assert r.status_code == 201, r.content
        action = FollowUpAction.objects.get()
        assert r["Location"].endswith(f"/api/v1/governance/actions/{action.pk}")
        assert r.json() == {
            "id": action.pk,
            "description": "Datadeelafspraak opstellen",
            "owner": "Provincie",
            "dueDate": "2027-03-01",
            "progress": 0,
            "status": "open",
        }
        assert send(gov[role], "get", f"/actions/{action.pk}").json() == r.json()
    else:
        problem(r, refused(role))
        assert not FollowUpAction.objects.exists()


def test_bad_action_input_names_the_property(gov: dict[str, Any], decided: Proposal) -> None:
    r = send(gov["chair"], "post", f"/proposals/{decided.pk}/actions", {**ACTION, "description": ""})
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["description"]
    r = send(gov["chair"], "post", f"/proposals/{decided.pk}/actions", {**ACTION, "dueDate": "morgen"})
    assert [p["name"] for p in problem(r, 400)["invalidParams"]] == ["dueDate"]
    draft = make_proposal(gov["initiative"])
    r = send(gov["chair"], "post", f"/proposals/{draft.pk}/actions", ACTION)
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["proposal"]
    assert not FollowUpAction.objects.exists()


@pytest.mark.parametrize("role", [*CAST, "chair"])
def test_progress_is_reported_by_the_chair(gov: dict[str, Any], decided: Proposal, role: str) -> None:
    chair = v(gov["chair"])
    services.proposal_transition(viewer=chair, proposal=decided, to_state="follow_up")
    action = services.action_add(
        viewer=chair,
        proposal=decided,
        form=services.ActionForm(data={"description": "x", "owner_name": "y", "due_date": "2027-01-01"}),
    )
    r = send(gov[role], "patch", f"/actions/{action.pk}", {"progress": 40})
    action.refresh_from_db()
    if role in ("chair", "admin"):
        assert r.status_code == 200, r.content
        assert (r.json()["progress"], r.json()["status"]) == (40, "open") == (action.progress, action.status)
        r = send(gov[role], "patch", f"/actions/{action.pk}", {"status": "done"})
        assert r.json()["progress"] == 100
    else:
        problem(r, refused(role))
        assert action.progress == 0
    r = send(gov["chair"], "patch", f"/actions/{action.pk}", {"progress": 140})
    assert [p["name"] for p in problem(r, 400)["invalidParams"]] == ["progress"]
    r = send(gov["chair"], "patch", f"/actions/{action.pk}", {"status": "someday"})
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["status"]


def test_actions_of_a_confidential_proposal_stay_hidden(gov: dict[str, Any], meeting: Meeting) -> None:
    meeting.body = "steering"
    meeting.save()
    proposal = make_proposal(gov["initiative"], confidential=True, confidential_reason="Onderhandeling")
    proposal = to_state(proposal, "decided", gov, meeting)
    r = send(gov["chair"], "post", f"/proposals/{proposal.pk}/actions", ACTION)
    assert r.status_code == 201
    problem(send(gov["outsider"], "get", f"/actions/{r.json()['id']}"), 404)
    assert send(gov["steering"], "get", f"/actions/{r.json()['id']}").status_code == 200


# ---- consultation comments and self-assessments -----------------------------------------------------------


@pytest.fixture
def in_consultation(gov: dict[str, Any]) -> StandardVersion:
    standard = make_standard(gov["initiative"])
    version = standard.versions.get()
    services.version_transition(
        viewer=v(gov["initiative"]),
        version=version,
        to_state="consultation",
        closes_on=timezone.localdate() + dt.timedelta(days=14),
    )
    return version


@pytest.mark.parametrize("role", CAST)
def test_anyone_signed_in_comments_in_a_consultation(
    gov: dict[str, Any], in_consultation: StandardVersion, role: str
) -> None:
    path = f"/standards/{in_consultation.standard.slug}/versions/1/comments"
    r = send(gov[role], "post", path, {"section": "terugkoppeling", "text": "Vier weken is kort."})
    if role == "anonymous":
        problem(r, 401)
        assert not ConsultationComment.objects.exists()
        return
    assert r.status_code == 201, r.content
    assert r["Location"].endswith(f"/api/v1/governance{path}")
    assert (r.json()["section"], r.json()["text"]) == ("terugkoppeling", "Vier weken is kort.")
    assert send(None, "get", path).json() == [r.json()]


def test_bad_comment_names_the_property(gov: dict[str, Any], in_consultation: StandardVersion) -> None:
    path = f"/standards/{in_consultation.standard.slug}/versions/1/comments"
    r = send(gov["member"], "post", path, {"section": "bestaat-niet", "text": "x"})
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["section"]
    r = send(gov["member"], "post", path, {"section": "terugkoppeling", "text": ""})
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["text"]
    problem(
        send(gov["member"], "post", "/standards/nope/versions/1/comments", {"section": "a", "text": "b"}), 404
    )
    assert not ConsultationComment.objects.exists()


@pytest.fixture
def adopted(gov: dict[str, Any], in_consultation: StandardVersion) -> StandardVersion:
    services.version_transition(
        viewer=v(gov["chair"]), version=in_consultation, to_state="adopted", decision_text="Vastgesteld."
    )
    return in_consultation


ANSWERS = [{"met": True, "evidence": "Intakeformulier met vrager"}, {"met": False}]


@pytest.mark.parametrize("role", [*CAST, "chair"])
def test_a_hubs_coordinators_record_its_self_assessment(
    gov: dict[str, Any], hub: Hub, adopted: StandardVersion, role: str
) -> None:
    slug = adopted.standard.slug
    r = send(gov[role], "post", f"/standards/{slug}/self-assessments", {"hub": hub.slug, "answers": ANSWERS})
    if role in ("coordinator", "admin"):
        assert r.status_code == 201, r.content
        assert r["Location"].endswith(f"/api/v1/governance/standards/{slug}/self-assessments/{hub.slug}")
        assert (r.json()["metCount"], r.json()["totalCount"], r.json()["version"]) == (1, 2, 1)
        assert r.json()["items"][0] == {
            "criterion": "Vragen worden samen aangescherpt",
            "met": True,
            "evidence": "Intakeformulier met vrager",
        }
        assert send(gov[role], "get", f"/standards/{slug}/self-assessments/{hub.slug}").json() == r.json()
    else:
        problem(r, refused(role))
        assert not SelfAssessment.objects.exists()
        problem(send(gov[role], "get", f"/standards/{slug}/self-assessments/{hub.slug}"), refused(role))


def test_a_bad_self_assessment_names_the_answer(
    gov: dict[str, Any], hub: Hub, adopted: StandardVersion
) -> None:
    path = f"/standards/{adopted.standard.slug}/self-assessments"
    r = send(gov["coordinator"], "post", path, {"hub": hub.slug, "answers": [{"met": True}, {"met": False}]})
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["answers.0.evidence"]
    r = send(gov["coordinator"], "post", path, {"hub": hub.slug, "answers": [{"met": False}]})
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["answers"]
    problem(send(gov["coordinator"], "post", path, {"hub": "nope", "answers": ANSWERS}), 404)
    assert not SelfAssessment.objects.exists()


# ---- follows -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", CAST)
def test_anyone_signed_in_follows_and_unfollows(gov: dict[str, Any], role: str) -> None:
    signal = make_signal(gov["initiative"])  # the raiser follows it from the start
    before = Follow.objects.count()
    r = send(gov[role], "put", f"/follows/signal/{signal.pk}", {"frequency": "daily"})
    if role == "anonymous":
        problem(r, 401)
        problem(send(None, "get", "/follows"), 401)
        problem(send(None, "delete", f"/follows/signal/{signal.pk}"), 401)
        assert Follow.objects.count() == before
        return
    assert r.status_code == 200, r.content
    assert r.json() == {"target": "signal", "id": signal.pk, "frequency": "daily"}
    assert send(gov[role], "get", "/follows").json() == [r.json()]
    assert send(gov[role], "put", f"/follows/signal/{signal.pk}", {}).json()["frequency"] == "weekly"
    assert Follow.objects.filter(user=gov[role]).count() == 1
    assert send(gov[role], "delete", f"/follows/signal/{signal.pk}").status_code == 204
    assert send(gov[role], "get", "/follows").json() == []


def test_following_what_does_not_exist_or_is_hidden(gov: dict[str, Any]) -> None:
    draft = make_proposal(gov["initiative"])
    signal = make_signal(gov["initiative"])
    problem(send(gov["outsider"], "put", f"/follows/proposal/{draft.pk}", {}), 404)
    problem(send(gov["outsider"], "put", "/follows/signal/999999", {}), 404)
    r = send(gov["outsider"], "put", f"/follows/signal/{signal.pk}", {"frequency": "hourly"})
    assert [p["name"] for p in problem(r, 422)["invalidParams"]] == ["frequency"]
    problem(send(gov["outsider"], "put", "/follows/meeting/1", {}), 400)
    assert not Follow.objects.filter(user=gov["outsider"]).exists()
