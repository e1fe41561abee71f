"""Behaviour of the governance services: the whole path, supports and merges, decisions and their
conditions, evidence, meetings, standards with consultation and self-assessment, and bad input."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from plek.atlas.models import Hub
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.governance import selectors, services
from plek.governance.forms import (
    ActionForm,
    ActionProgressForm,
    CommentForm,
    MeetingForm,
    ProposalForm,
    VersionForm,
)
from plek.governance.models import (
    ConsultationComment,
    Decision,
    Evidence,
    FollowUpAction,
    Meeting,
    Proposal,
    SelfAssessment,
    Signal,
    SignalSupport,
    StandardVersion,
)
from plek.governance.tests.conftest import v
from plek.governance.tests.factories import make_proposal, make_signal, make_standard, to_state
from plek.knowledge.models import KnowledgeItem

pytestmark = pytest.mark.django_db


def test_the_whole_path_from_signal_to_closed_proposal(gov: dict[str, Any], meeting: Meeting) -> None:
    signal = make_signal(gov["outsider"])
    services.signal_support(viewer=v(gov["member"]), signal=signal, comment="Herkenbaar.")
    proposal = make_proposal(gov["initiative"], [signal])
    signal.refresh_from_db()
    assert signal.state == "bundled" and list(signal.proposals.all()) == [proposal]
    to_state(proposal, "decided", gov, meeting)
    decision = Decision.objects.get(proposal=proposal)
    assert (decision.outcome, decision.meeting) == ("amended", meeting)
    services.proposal_transition(viewer=v(gov["chair"]), proposal=proposal, to_state="follow_up")
    action = services.action_add(
        viewer=v(gov["secretary"]),
        proposal=proposal,
        form=ActionForm(data={"description": "Pilot", "owner_name": "Joost", "due_date": "2027-03-01"}),
    )
    with pytest.raises(ValidationFailed) as exc:
        services.proposal_transition(
            viewer=v(gov["chair"]), proposal=proposal, to_state="closed", note="klaar"
        )
    assert "Nog niet alle vervolgacties" in exc.value.errors["to_state"][0]
    services.action_update(
        viewer=v(gov["chair"]),
        action=action,
        form=ActionProgressForm(data={"progress": 50, "status": "done"}, instance=action),
    )
    action.refresh_from_db()
    assert (action.status, action.progress) == ("done", 100)
    services.proposal_transition(
        viewer=v(gov["chair"]), proposal=proposal, to_state="closed", note="Uitgevoerd."
    )
    proposal.refresh_from_db()
    assert proposal.state == "closed"
    log = [selectors.decision_view(None, d) for d in selectors.decision_queryset()]
    assert [d.subject for d in log] == [proposal.title]


def test_support_once_with_an_updatable_comment(gov: dict[str, Any]) -> None:
    signal = make_signal(gov["outsider"])
    services.signal_support(viewer=v(gov["member"]), signal=signal, comment="eerst")
    services.signal_support(viewer=v(gov["member"]), signal=signal, comment="later")
    assert list(SignalSupport.objects.values_list("comment", flat=True)) == ["later"]
    with pytest.raises(PermissionDenied):
        services.signal_support(viewer=v(None), signal=signal)
    with pytest.raises(ValidationFailed) as exc:
        services.signal_support(viewer=v(gov["coordinator"]), signal=signal, comment="x" * 5001)
    assert "comment" in exc.value.errors
    services.signal_unsupport(viewer=v(gov["member"]), signal=signal)
    assert not SignalSupport.objects.exists()


def test_duplicates_are_merged_with_their_supporters(gov: dict[str, Any]) -> None:
    keep = make_signal(gov["outsider"], title="Origineel")
    dup = make_signal(gov["member"], title="Dubbel")
    services.signal_support(viewer=v(gov["coordinator"]), signal=dup, comment="ook hier")
    services.signal_support(viewer=v(gov["admin"]), signal=dup)
    services.signal_support(viewer=v(gov["admin"]), signal=keep)
    services.signal_transition(
        viewer=v(gov["initiative"]), signal=dup, to_state="closed", note="Dubbel.", merged_into=keep
    )
    dup.refresh_from_db()
    assert dup.state == "closed" and dup.merged_into == keep and dup.close_reason == "Dubbel."
    assert sorted(SignalSupport.objects.filter(signal=keep).values_list("user__username", flat=True)) == [
        "admin",
        "coordinator",
    ]
    with pytest.raises(ValidationFailed) as exc:
        services.signal_support(viewer=v(gov["member"]), signal=dup)
    assert "signal" in exc.value.errors
    other = make_signal(gov["member"], title="Nog een")
    with pytest.raises(ValidationFailed) as exc:
        services.signal_transition(
            viewer=v(gov["initiative"]), signal=other, to_state="closed", note="x", merged_into=dup
        )
    assert "merged_into" in exc.value.errors
    other.refresh_from_db()
    assert other.state == "new"


def test_closing_needs_a_reason(gov: dict[str, Any]) -> None:
    signal = make_signal(gov["outsider"])
    with pytest.raises(ValidationFailed) as exc:
        services.signal_transition(viewer=v(gov["outsider"]), signal=signal, to_state="closed")
    assert "note" in exc.value.errors


def test_only_initiative_members_draft_proposals_and_bad_input_saves_nothing(gov: dict[str, Any]) -> None:
    signal = make_signal(gov["outsider"])
    for who in ("outsider", "chair", "coordinator"):
        with pytest.raises(PermissionDenied):
            make_proposal(gov[who], [signal])
    with pytest.raises(ValidationFailed) as exc:
        make_proposal(gov["initiative"], [signal], title="", confidential=True, confidential_reason="")
    assert {"title", "confidential_reason"} <= set(exc.value.errors)
    assert not Proposal.objects.exists()
    signal.refresh_from_db()
    assert signal.state == "new"


def test_decision_needs_outcome_text_and_reasons(gov: dict[str, Any], meeting: Meeting) -> None:
    proposal = to_state(make_proposal(gov["initiative"]), "scheduled", gov, meeting)
    chair = v(gov["chair"])
    with pytest.raises(ValidationFailed) as exc:
        services.proposal_transition(viewer=chair, proposal=proposal, to_state="decided", outcome="maybe")
    assert {"outcome", "decision_text"} <= set(exc.value.errors)
    with pytest.raises(ValidationFailed) as exc:
        services.proposal_transition(
            viewer=chair, proposal=proposal, to_state="decided", outcome="rejected", decision_text="Nee."
        )
    assert "reasons" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        services.proposal_transition(
            viewer=chair,
            proposal=proposal,
            to_state="decided",
            outcome="adopted",
            decision_text="Ja.",
            confidential=True,
        )
    assert "confidential_reason" in exc.value.errors
    proposal.refresh_from_db()
    assert proposal.state == "scheduled" and not Decision.objects.exists()


def test_rejected_proposal_closes_and_its_signals_return_to_review(
    gov: dict[str, Any], meeting: Meeting
) -> None:
    signal = make_signal(gov["outsider"])
    proposal = to_state(make_proposal(gov["initiative"], [signal]), "scheduled", gov, meeting)
    chair = v(gov["chair"])
    services.proposal_transition(
        viewer=chair,
        proposal=proposal,
        to_state="decided",
        outcome="rejected",
        decision_text="Nee.",
        reasons="Te duur.",
    )
    with pytest.raises(ValidationFailed):
        services.proposal_transition(viewer=chair, proposal=proposal, to_state="follow_up")
    with pytest.raises(ValidationFailed):
        services.proposal_transition(viewer=chair, proposal=proposal, to_state="scheduled", meeting=meeting)
    services.proposal_transition(viewer=chair, proposal=proposal, to_state="closed", note="Verworpen.")
    signal.refresh_from_db()
    assert signal.state == "review"


def test_deferred_proposal_goes_back_on_an_agenda(gov: dict[str, Any], meeting: Meeting) -> None:
    proposal = to_state(make_proposal(gov["initiative"]), "scheduled", gov, meeting)
    chair = v(gov["chair"])
    services.proposal_transition(
        viewer=chair,
        proposal=proposal,
        to_state="decided",
        outcome="deferred",
        decision_text="Aangehouden.",
        reasons="Meer info.",
    )
    later = Meeting.objects.create(
        title="Later",
        starts_at=meeting.starts_at + dt.timedelta(days=30),
        ends_at=meeting.ends_at + dt.timedelta(days=30),
    )
    services.proposal_transition(viewer=chair, proposal=proposal, to_state="scheduled", meeting=later)
    proposal.refresh_from_db()
    assert proposal.state == "scheduled" and proposal.meeting == later


def test_only_steering_meetings_take_proposals(gov: dict[str, Any], meeting: Meeting) -> None:
    proposal = to_state(make_proposal(gov["initiative"]), "submitted", gov, meeting)
    ini_meeting = Meeting.objects.create(
        body="initiative", title="Initiatiefgroep", starts_at=meeting.starts_at, ends_at=meeting.ends_at
    )
    with pytest.raises(ValidationFailed) as exc:
        services.proposal_transition(
            viewer=v(gov["chair"]), proposal=proposal, to_state="scheduled", meeting=ini_meeting
        )
    assert "meeting" in exc.value.errors


def test_evidence_cites_knowledge_items_and_typed_references(gov: dict[str, Any]) -> None:
    proposal = make_proposal(gov["initiative"])
    KnowledgeItem.objects.create(
        slug="datakluis", title="Datakluis Achterhoek", kind="case", category="practice"
    )
    ini = v(gov["initiative"])
    services.evidence_add(viewer=ini, proposal=proposal, kind="knowledge", knowledge_item="datakluis")
    services.evidence_add(
        viewer=ini, proposal=proposal, kind="scenario", url="/strategie/scenario/3/", title="Scenario droog"
    )
    services.evidence_add(
        viewer=ini,
        proposal=proposal,
        kind="learning",
        url="https://example.org/leren",
        title="Leergeschiedenis",
    )
    assert [(e.kind, e.title) for e in Evidence.objects.all()] == [
        ("knowledge", "Datakluis Achterhoek"),
        ("scenario", "Scenario droog"),
        ("learning", "Leergeschiedenis"),
    ]
    with pytest.raises(ValidationFailed) as exc:
        services.evidence_add(viewer=ini, proposal=proposal, kind="knowledge", knowledge_item="bestaat-niet")
    assert "knowledge_item" in exc.value.errors
    with pytest.raises(ValidationFailed) as exc:
        services.evidence_add(
            viewer=ini, proposal=proposal, kind="scenario", url="javascript:alert(1)", title="x"
        )
    assert "url" in exc.value.errors
    with pytest.raises(PermissionDenied):
        services.evidence_add(viewer=v(gov["member"]), proposal=proposal, kind="other", url="/x", title="x")
    assert Evidence.objects.count() == 3


def test_meetings_are_planned_by_chair_or_secretary(gov: dict[str, Any]) -> None:
    data = {
        "body": "steering",
        "title": "Stuurgroep",
        "starts_at": "2027-01-10 10:00",
        "ends_at": "2027-01-10 12:00",
    }
    with pytest.raises(PermissionDenied):
        services.meeting_create(viewer=v(gov["initiative"]), form=MeetingForm(data=data))
    services.meeting_create(viewer=v(gov["secretary"]), form=MeetingForm(data=data))
    with pytest.raises(ValidationFailed) as exc:
        services.meeting_create(
            viewer=v(gov["chair"]), form=MeetingForm(data={**data, "ends_at": "2027-01-10 09:00"})
        )
    assert "ends_at" in exc.value.errors
    assert Meeting.objects.count() == 1


def test_standard_consultation_adoption_and_self_assessment(gov: dict[str, Any], hub: Hub) -> None:
    standard = make_standard(gov["initiative"])
    v1 = standard.versions.get()
    comment = CommentForm(data={"section": "terugkoppeling", "text": "Vier weken is kort."})
    with pytest.raises(ValidationFailed):
        services.comment_add(viewer=v(gov["member"]), version=v1, form=comment)  # still a draft
    services.version_transition(
        viewer=v(gov["initiative"]),
        version=v1,
        to_state="consultation",
        closes_on=timezone.localdate() + dt.timedelta(days=14),
    )
    services.comment_add(
        viewer=v(gov["member"]),
        version=v1,
        form=CommentForm(data={"section": "terugkoppeling", "text": "Vier weken is kort."}),
    )
    with pytest.raises(ValidationFailed) as exc:
        services.comment_add(
            viewer=v(gov["member"]),
            version=v1,
            form=CommentForm(data={"section": "bestaat-niet", "text": "x"}),
        )
    assert "section" in exc.value.errors
    assert [(c.section, c.text) for c in ConsultationComment.objects.all()] == [
        ("terugkoppeling", "Vier weken is kort.")
    ]
    assert [s.key for s in selectors.sections(v1.body)] == ["inleiding", "vraagarticulatie", "terugkoppeling"]

    services.version_transition(
        viewer=v(gov["chair"]), version=v1, to_state="adopted", decision_text="Vastgesteld."
    )
    decision = Decision.objects.get(standard_version=v1)
    assert decision.outcome == "adopted"

    answers = [(True, "Intakeformulier met vrager"), (False, "")]
    with pytest.raises(PermissionDenied):
        services.self_assess(viewer=v(gov["member"]), hub=hub, version=v1, answers=answers)
    with pytest.raises(ValidationFailed) as exc:
        services.self_assess(
            viewer=v(gov["coordinator"]), hub=hub, version=v1, answers=[(True, ""), (False, "")]
        )
    assert "evidence_0" in exc.value.errors
    services.self_assess(viewer=v(gov["coordinator"]), hub=hub, version=v1, answers=answers)
    overview = selectors.adoption_overview(standard)
    assert [(r.hub, r.assessment.met_count, r.assessment.total_count) for r in overview] == [(hub, 1, 2)]

    v2 = services.version_create(
        viewer=v(gov["initiative"]),
        standard=standard,
        form=VersionForm(data={"body": "## Nieuw\nTekst", "checklist": "Eén", "change_summary": "Ingekort."}),
    )
    with pytest.raises(ValidationFailed):
        services.version_create(
            viewer=v(gov["initiative"]),
            standard=standard,
            form=VersionForm(data={"body": "x", "checklist": "y"}),
        )
    services.version_transition(viewer=v(gov["initiative"]), version=v2, to_state="consultation")
    services.version_transition(viewer=v(gov["chair"]), version=v2, to_state="adopted", decision_text="v2.")
    v1.refresh_from_db()
    assert (v1.state, v2.number) == ("superseded", 2)
    assert SelfAssessment.objects.count() == 1


def test_self_assessment_only_against_adopted_versions(gov: dict[str, Any], hub: Hub) -> None:
    v1 = make_standard(gov["initiative"]).versions.get()
    with pytest.raises(ValidationFailed):
        services.self_assess(
            viewer=v(gov["coordinator"]), hub=hub, version=v1, answers=[(False, ""), (False, "")]
        )
    assert v1.state == StandardVersion.State.DRAFT


def test_version_needs_a_checklist(gov: dict[str, Any]) -> None:
    form = VersionForm(data={"body": "tekst", "checklist": "  \n "})
    assert not form.is_valid() and "checklist" in form.errors


def test_proposal_form_offers_only_open_signals(gov: dict[str, Any]) -> None:
    open_signal = make_signal(gov["outsider"])
    closed = make_signal(gov["outsider"], title="Gesloten")
    Signal.objects.filter(pk=closed.pk).update(state="closed")
    choices = list(ProposalForm().fields["signals"].queryset)  # type: ignore[attr-defined]
    assert choices == [open_signal]


def test_action_owner_updates_progress(gov: dict[str, Any], meeting: Meeting) -> None:
    proposal = to_state(make_proposal(gov["initiative"]), "follow_up", gov, meeting)
    action = services.action_add(
        viewer=v(gov["chair"]),
        proposal=proposal,
        owner=gov["member"],
        form=ActionForm(data={"description": "Pilot", "owner_name": "M", "due_date": "2027-01-01"}),
    )
    services.action_update(
        viewer=v(gov["member"]),
        action=action,
        form=ActionProgressForm(data={"progress": 30, "status": "in_progress"}, instance=action),
    )
    with pytest.raises(PermissionDenied):
        services.action_update(
            viewer=v(gov["outsider"]),
            action=action,
            form=ActionProgressForm(data={"progress": 90, "status": "in_progress"}, instance=action),
        )
    with pytest.raises(ValidationFailed) as exc:
        services.action_update(
            viewer=v(gov["member"]),
            action=action,
            form=ActionProgressForm(data={"progress": 130, "status": "in_progress"}, instance=action),
        )
    assert "progress" in exc.value.errors
    action = FollowUpAction.objects.get(pk=action.pk)
    assert (action.progress, action.status) == (30, "in_progress")


def test_only_the_initiative_group_merges_duplicates(gov: dict[str, Any]) -> None:
    keep = make_signal(gov["member"], title="Origineel")
    mine = make_signal(gov["outsider"], title="Van mij")
    with pytest.raises(ValidationFailed) as exc:
        services.signal_transition(
            viewer=v(gov["outsider"]), signal=mine, to_state="closed", note="weg", merged_into=keep
        )
    assert "merged_into" in exc.value.errors
    mine.refresh_from_db()
    assert mine.state == "new"
    services.signal_transition(viewer=v(gov["outsider"]), signal=mine, to_state="closed", note="Ingetrokken.")
    mine.refresh_from_db()
    assert (mine.state, mine.merged_into) == ("closed", None)


def test_only_drafts_are_edited_by_initiative_members(gov: dict[str, Any], meeting: Meeting) -> None:
    from plek.governance.forms import ProposalEditForm

    proposal = make_proposal(gov["initiative"])
    data = {"title": "Scherper", "rationale": "r", "expected_effect": "e", "decision_requested": "d"}
    with pytest.raises(PermissionDenied):
        services.proposal_update(
            viewer=v(gov["chair"]), proposal=proposal, form=ProposalEditForm(data=data, instance=proposal)
        )
    services.proposal_update(
        viewer=v(gov["initiative"]), proposal=proposal, form=ProposalEditForm(data=data, instance=proposal)
    )
    proposal.refresh_from_db()
    assert proposal.title == "Scherper"
    to_state(proposal, "submitted", gov, meeting)
    with pytest.raises(ValidationFailed):
        services.proposal_update(
            viewer=v(gov["initiative"]),
            proposal=proposal,
            form=ProposalEditForm(data={**data, "title": "Later"}, instance=proposal),
        )
    proposal.refresh_from_db()
    assert proposal.title == "Scherper"
