"""API v1 for governance: signals, agenda proposals, meetings, standards and the decision log.

Reads go through `plek.governance.selectors`; writes through `plek.governance.services` (the same
forms and transition tables as the pages). A step missing from a workflow's table answers 409
problem+json naming `to`; a step you may not take 403 (401 anonymous); bad input 422 naming the
property. A refused request changes nothing. Confidential decisions show only that one was taken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router
from ninja.responses import Status

from plek.api import governance_schemas as gs
from plek.api.auth import viewer
from plek.api.common import (
    API_ROOT,
    Operations,
    created,
    deleted,
    found,
    or_404,
    paginate,
    region_ref,
    theme_ref,
    validation_problem,
)
from plek.api.errors import TYPE_CONFLICT, ApiError
from plek.api.schemas import IdPath, PageQuery
from plek.atlas import selectors as atlas_selectors
from plek.atlas.permissions import Viewer
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.forms import current_form_data
from plek.governance import permissions, selectors, services
from plek.governance.errors import TransitionNotAllowed
from plek.governance.forms import (
    ActionForm,
    ActionProgressForm,
    CommentForm,
    MeetingForm,
    MinutesForm,
    ProposalEditForm,
    ProposalForm,
    SignalForm,
    StandardForm,
    VersionForm,
)
from plek.governance.models import Meeting, Proposal, Signal, Standard

router = Router()
_op = Operations(router, tag="governance")


def conflict(exc: TransitionNotAllowed) -> ApiError:
    possible = ", ".join(exc.possible) or "none (this state is final)"
    return ApiError(
        409,
        f"A {exc.workflow} in state '{exc.from_state}' cannot move to '{exc.to_state}'; possible: {possible}.",
        title="Transition not allowed",
        type_=TYPE_CONFLICT,
        invalid_params={"to": f"Not a step from '{exc.from_state}'."},
    )


def _call(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    except TransitionNotAllowed as exc:
        raise conflict(exc) from None
    except ValidationFailed as exc:
        raise validation_problem(exc) from None


def _events(target: str, ids: list[int]) -> list[dict[str, Any]]:
    return [
        {"from_state": e.from_state, "to_state": e.to_state, "summary": e.summary, "note": e.note, "at": e.at}
        for e in selectors.events_for(target, ids)
    ]


# ==== signals =====================================================================================================


def signal_out(request: HttpRequest, v: Viewer, s: Signal) -> dict[str, Any]:
    return {
        "id": s.pk,
        "kind": s.kind,
        "title": s.title,
        "description": s.description,
        "scale": s.scale,
        "regions": [region_ref(r) for r in s.regions.all()],
        "themes": [theme_ref(t) for t in s.themes.all()],
        "state": s.state,
        "close_reason": s.close_reason,
        "merged_into": s.merged_into_id,
        "source": {"type": s.source_type, "id": s.source_id, "url": s.source_url} if s.source_type else None,
        "support_count": getattr(s, "support_count", 0),
        "created_at": s.created_at,
        "url": request.build_absolute_uri(reverse("governance:signal", args=[s.pk])),
        "transitions": permissions.steps_for(v, "signal", s),
    }


def signal_or_404(pk: int) -> Signal:
    return found(lambda: selectors.signal_get(pk), f"There is no signal {pk}.")


def signal_detail(request: HttpRequest, v: Viewer, s: Signal) -> dict[str, Any]:
    out = signal_out(request, v, s)
    out["supports"] = [
        {"supporter": str(x.user) if v.is_authenticated else None, "comment": x.comment, "at": x.at}
        for x in selectors.signal_supports(s)
    ]
    out["events"] = _events("signal", [s.pk])
    return out


@_op("get", "/governance/signals", gs.SignalPage, "listSignals", "List signals (obstacles and solutions)")
def list_signals(request: HttpRequest, query: Query[gs.SignalQuery]) -> dict[str, Any]:
    """Signals, newest first, with their support count."""
    v = viewer(request)
    qs = selectors.signal_list(
        filters=selectors.SignalFilters(state=query.state or "", kind=query.kind or "")
    )
    return paginate(request, qs, query, lambda rows: [signal_out(request, v, s) for s in rows])


@_op(
    "post", "/governance/signals", {201: gs.SignalDetail}, "createSignal", "Raise a signal (signed-in users)"
)
def create_signal(request: HttpRequest, payload: gs.SignalIn, response: HttpResponse) -> Status:
    """Raise an obstacle or a solution; it starts as `new` and you follow it."""
    v = viewer(request)
    form = SignalForm(data=payload.model_dump())
    signal = _call(lambda: services.signal_raise(viewer=v, form=form, source="api"))
    body = signal_detail(request, v, signal_or_404(signal.pk))
    return created(request, response, f"{API_ROOT}/governance/signals/{signal.pk}", body)


@_op("get", "/governance/signals/{signal}", gs.SignalDetail, "getSignal", "Get a signal")
def get_signal(request: HttpRequest, signal: IdPath) -> dict[str, Any]:
    v = viewer(request)
    return signal_detail(request, v, signal_or_404(signal))


@_op("post", "/governance/signals/{signal}/supports", gs.SignalDetail, "supportSignal", "Support a signal")
def support_signal(request: HttpRequest, signal: IdPath, payload: gs.SupportIn) -> dict[str, Any]:
    """Support it (anyone signed in), with an optional comment; supporting again updates the comment."""
    v = viewer(request)
    found = signal_or_404(signal)
    _call(lambda: services.signal_support(viewer=v, signal=found, comment=payload.comment))
    return signal_detail(request, v, signal_or_404(signal))


@_op(
    "post",
    "/governance/signals/{signal}/transitions",
    gs.SignalDetail,
    "transitionSignal",
    "Move a signal",
)
def transition_signal(request: HttpRequest, signal: IdPath, payload: gs.SignalTransitionIn) -> dict[str, Any]:
    """new → review → bundled → closed (Initiative group members; the raiser may close a new one).
    Extras: `note` (closed: the reason), `mergedInto` (closed as a duplicate), `proposal` (bundled)."""
    v = viewer(request)
    found = signal_or_404(signal)
    extra: dict[str, Any] = {}
    if payload.merged_into is not None:
        extra["merged_into"] = selectors.signal_find(payload.merged_into) or payload.merged_into
    if payload.proposal is not None:
        target = selectors.proposal_find(payload.proposal)
        extra["proposal"] = target if target and permissions.proposal_visible(v, target) else payload.proposal
    _call(
        lambda: services.signal_transition(
            viewer=v, signal=found, to_state=payload.to, note=payload.note, source="api", **extra
        )
    )
    return signal_detail(request, v, signal_or_404(signal))


# ==== decisions ===================================================================================================


def decision_out(request: HttpRequest, view: selectors.DecisionView) -> dict[str, Any]:
    return {
        "id": view.pk,
        "decided_at": view.decided_at,
        "confidential": view.confidential,
        "confidential_reason": view.confidential_reason,
        "outcome": None if view.masked else view.outcome,
        "subject": None if view.masked else view.subject,
        "subject_url": None if view.masked else request.build_absolute_uri(view.subject_url),
        "text": None if view.masked else view.text,
        "reasons": None if view.masked else view.reasons,
        "meeting": view.meeting_title or None,
        "url": request.build_absolute_uri(view.url),
    }


@_op("get", "/governance/decisions", gs.DecisionPage, "listDecisions", "The public decision log")
def list_decisions(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Decisions of the Steering group, newest first. A confidential decision shows only its date,
    that it was taken and why it is confidential (to members of the bodies: everything)."""
    v = viewer(request)
    return paginate(
        request,
        selectors.decision_queryset(),
        query,
        lambda rows: [decision_out(request, selectors.decision_view(v, d)) for d in rows],
    )


@_op("get", "/governance/decisions/{decision}", gs.DecisionOut, "getDecision", "Get a decision")
def get_decision(request: HttpRequest, decision: IdPath) -> dict[str, Any]:
    d = or_404(selectors.decision_find(decision), f"There is no decision {decision}.")
    return decision_out(request, selectors.decision_view(viewer(request), d))


# ==== proposals ===================================================================================================


def proposal_out(request: HttpRequest, v: Viewer, p: Proposal) -> dict[str, Any]:
    show = permissions.content_visible(v, p.confidential)
    return {
        "id": p.pk,
        "confidential": p.confidential,
        "confidential_reason": p.confidential_reason,
        "title": p.title if show else None,
        "state": p.state,
        "meeting": p.meeting_id,
        "url": request.build_absolute_uri(reverse("governance:proposal", args=[p.pk])),
        "transitions": permissions.steps_for(v, "proposal", p),
    }


def proposal_or_404(v: Viewer, pk: int) -> Proposal:
    return found(lambda: selectors.proposal_get(v, pk), f"There is no proposal {pk} (or you may not see it).")


def proposal_detail(request: HttpRequest, v: Viewer, p: Proposal) -> dict[str, Any]:
    out = proposal_out(request, v, p)
    show = permissions.content_visible(v, p.confidential)
    out.update(
        rationale=p.rationale if show else None,
        expected_effect=p.expected_effect if show else None,
        decision_requested=p.decision_requested if show else None,
        signals=selectors.proposal_signal_ids(p) if show else [],
        evidence=[
            {
                "kind": e.kind,
                "title": e.title,
                "url": request.build_absolute_uri(reverse("knowledge:detail", args=[e.knowledge_item.slug]))
                if e.knowledge_item
                else e.url,
            }
            for e in selectors.proposal_evidence(p)
        ]
        if show
        else [],
        decisions=[
            decision_out(request, selectors.decision_view(v, d)) for d in selectors.decisions_of_proposal(p)
        ],
        actions=[
            {
                "id": a.pk,
                "description": a.description,
                "owner": a.owner_name,
                "due_date": a.due_date,
                "progress": a.progress,
                "status": a.status,
            }
            for a in p.actions.all()
        ]
        if show
        else [],
    )
    return out


@_op("get", "/governance/proposals", gs.ProposalPage, "listProposals", "List agenda proposals")
def list_proposals(request: HttpRequest, query: Query[gs.ProposalQuery]) -> dict[str, Any]:
    """Proposals, newest first (drafts only for the bodies and their author)."""
    v = viewer(request)
    qs = selectors.proposal_list(viewer=v, filters=selectors.ProposalFilters(state=query.state or ""))
    return paginate(request, qs, query, lambda rows: [proposal_out(request, v, p) for p in rows])


@_op.create("/governance/proposals", gs.ProposalDetail, "createProposal", "Draft an agenda proposal")
def create_proposal(request: HttpRequest, payload: gs.ProposalIn, response: HttpResponse) -> Status:
    """Initiative group members. It starts as a `draft`; the `signals` named are bundled into it
    (only signals that are new or in review, else 422 naming `signals`)."""
    v = viewer(request)
    form = ProposalForm(data=payload.model_dump())
    proposal = _call(lambda: services.proposal_create(viewer=v, form=form, source="api"))
    body = proposal_detail(request, v, proposal_or_404(v, proposal.pk))
    return created(request, response, f"{API_ROOT}/governance/proposals/{proposal.pk}", body)


@_op.update(
    "/governance/proposals/{proposal}", gs.ProposalDetail, "updateProposal", "Change a draft agenda proposal"
)
def update_proposal(request: HttpRequest, proposal: IdPath, payload: gs.ProposalPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    """Initiative group members, while the proposal is a `draft` (else 422 naming `body`); send only
    what changes."""
    v = viewer(request)
    found = proposal_or_404(v, proposal)
    data = current_form_data(ProposalEditForm(instance=found))
    sent = payload.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
    data.update({k: val for k, val in sent.items() if val is not None})
    form = ProposalEditForm(data=data, instance=found)
    _call(lambda: services.proposal_update(viewer=v, proposal=found, form=form, source="api"))
    return proposal_detail(request, v, proposal_or_404(v, proposal))


@_op("get", "/governance/proposals/{proposal}", gs.ProposalDetail, "getProposal", "Get an agenda proposal")
def get_proposal(request: HttpRequest, proposal: IdPath) -> dict[str, Any]:
    v = viewer(request)
    return proposal_detail(request, v, proposal_or_404(v, proposal))


@_op(
    "post",
    "/governance/proposals/{proposal}/transitions",
    gs.ProposalDetail,
    "transitionProposal",
    "Move an agenda proposal",
)
def transition_proposal(
    request: HttpRequest, proposal: IdPath, payload: gs.ProposalTransitionIn
) -> dict[str, Any]:
    """draft → submitted (Initiative group) → scheduled (`meeting`; chair or secretary of the Steering
    group) → decided (`outcome`, `decisionText`, `reasons`) → follow_up → closed (`note`)."""
    v = viewer(request)
    found = proposal_or_404(v, proposal)
    sent = payload.model_dump(exclude_unset=True)
    extra: dict[str, Any] = {k: val for k, val in sent.items() if k not in ("to", "note") and val is not None}
    if "meeting" in extra:
        extra["meeting"] = selectors.meeting_find(extra["meeting"]) or extra["meeting"]
    _call(
        lambda: services.proposal_transition(
            viewer=v, proposal=found, to_state=payload.to, note=payload.note, source="api", **extra
        )
    )
    return proposal_detail(request, v, proposal_or_404(v, proposal))


# ==== meetings and standards =======================================================================================


def meeting_out(request: HttpRequest, m: Meeting) -> dict[str, Any]:
    return {
        "id": m.pk,
        "body": m.body,
        "title": m.title,
        "starts_at": m.starts_at,
        "ends_at": m.ends_at,
        "location": m.location,
        "url": request.build_absolute_uri(reverse("governance:meeting", args=[m.pk])),
        "ical": request.build_absolute_uri(reverse("governance:meeting_ics", args=[m.pk])),
    }


def meeting_detail(request: HttpRequest, m: Meeting) -> dict[str, Any]:
    return {**meeting_out(request, m), "minutes": m.minutes}


@_op("get", "/governance/meetings", gs.MeetingPage, "listMeetings", "List meetings")
def list_meetings(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Meetings of the Initiative group and the Steering group, latest first. All of them as
    iCalendar: /governance/vergaderingen.ics."""
    return paginate(
        request, selectors.meeting_list(), query, lambda rows: [meeting_out(request, m) for m in rows]
    )


@_op.create("/governance/meetings", gs.MeetingDetail, "createMeeting", "Schedule a meeting")
def create_meeting(request: HttpRequest, payload: gs.MeetingIn, response: HttpResponse) -> Status:
    """The chair or secretary of the Steering group; `endsAt` not before `startsAt` (else 422)."""
    v = viewer(request)
    form = MeetingForm(data=payload.model_dump())
    meeting = _call(lambda: services.meeting_create(viewer=v, form=form))
    location = f"{API_ROOT}/governance/meetings/{meeting.pk}"
    return created(request, response, location, meeting_detail(request, meeting))


def meeting_or_404(pk: int) -> Meeting:
    return found(lambda: selectors.meeting_get(pk), f"There is no meeting {pk}.")


@_op("get", "/governance/meetings/{meeting}", gs.MeetingDetail, "getMeeting", "Get a meeting and its minutes")
def get_meeting(request: HttpRequest, meeting: IdPath) -> dict[str, Any]:
    return meeting_detail(request, meeting_or_404(meeting))


@_op.update(
    "/governance/meetings/{meeting}", gs.MeetingDetail, "recordMeetingMinutes", "Record a meeting's minutes"
)
def record_minutes(request: HttpRequest, meeting: IdPath, payload: gs.MinutesIn) -> dict[str, Any]:
    """The chair or secretary of the Steering group; the minutes replace what was recorded."""
    v = viewer(request)
    found = meeting_or_404(meeting)
    form = MinutesForm(data=payload.model_dump(), instance=found)
    return meeting_detail(
        request, _call(lambda: services.meeting_minutes(viewer=v, meeting=found, form=form))
    )


def standard_out(request: HttpRequest, s: Standard) -> dict[str, Any]:
    return {
        "slug": s.slug,
        "title": s.title,
        "summary": s.summary,
        "versions": [
            {
                "number": ver.number,
                "state": ver.state,
                "change_summary": ver.change_summary,
                "consultation_closes_on": ver.consultation_closes_on,
                "comment_count": ver.comment_count,  # type: ignore[attr-defined]
            }
            for ver in s.versions.all()
        ],
        "url": request.build_absolute_uri(reverse("governance:standard", args=[s.slug])),
    }


@_op("get", "/governance/standards", gs.StandardPage, "listStandards", "List professional standards")
def list_standards(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    return paginate(
        request, selectors.standard_list(), query, lambda rows: [standard_out(request, s) for s in rows]
    )


def standard_or_404(slug: str) -> Standard:
    return found(lambda: selectors.standard_get(slug), f"There is no standard '{slug}'.")


@_op("get", "/governance/standards/{slug}", gs.StandardOut, "getStandard", "Get a professional standard")
def get_standard(request: HttpRequest, slug: str) -> dict[str, Any]:
    return standard_out(request, standard_or_404(slug))


@_op.create("/governance/standards", gs.StandardOut, "createStandard", "Write a professional standard")
def create_standard(request: HttpRequest, payload: gs.StandardIn, response: HttpResponse) -> Status:
    """Initiative group members; the first version (`body`, `checklist`, `changeSummary`) is a draft."""
    v = viewer(request)
    data = payload.model_dump()
    form, version_form = StandardForm(data=data), VersionForm(data=data)
    standard = _call(lambda: services.standard_create(viewer=v, form=form, version_form=version_form))
    body = standard_out(request, standard_or_404(standard.slug))
    return created(request, response, f"{API_ROOT}/governance/standards/{standard.slug}", body)


@_op.create(
    "/governance/standards/{slug}/versions",
    gs.StandardOut,
    "createStandardVersion",
    "Draft the next version of a standard",
)
def create_version(request: HttpRequest, slug: str, payload: gs.VersionIn, response: HttpResponse) -> Status:
    """Initiative group members; one version in draft or consultation at a time (else 422 naming
    `body`)."""
    v = viewer(request)
    standard = standard_or_404(slug)
    form = VersionForm(data=payload.model_dump())
    _call(lambda: services.version_create(viewer=v, standard=standard, form=form))
    return created(
        request,
        response,
        f"{API_ROOT}/governance/standards/{slug}",
        standard_out(request, standard_or_404(slug)),
    )


@_op(
    "post",
    "/governance/standards/{slug}/versions/{number}/transitions",
    gs.StandardOut,
    "transitionStandardVersion",
    "Move a version of a standard",
)
def transition_version(
    request: HttpRequest, slug: str, number: IdPath, payload: gs.VersionTransitionIn
) -> dict[str, Any]:
    """draft → consultation (Initiative group; `closesOn`) → adopted (chair or secretary of the Steering
    group; `decisionText`, `reasons`, `meeting`: the decision is recorded, the previously adopted version
    superseded)."""
    v = viewer(request)
    version = version_or_404(slug, number)
    sent = payload.model_dump(exclude_unset=True)
    extra: dict[str, Any] = {k: val for k, val in sent.items() if k not in ("to", "note") and val is not None}
    if "meeting" in extra:
        extra["meeting"] = selectors.meeting_find(extra["meeting"]) or extra["meeting"]
    _call(
        lambda: services.version_transition(
            viewer=v, version=version, to_state=payload.to, note=payload.note, source="api", **extra
        )
    )
    return standard_out(request, standard_or_404(slug))


# ==== evidence and follow-up actions ================================================================================


@_op.create(
    "/governance/proposals/{proposal}/evidence",
    gs.EvidenceOut,
    "addProposalEvidence",
    "Cite evidence for an agenda proposal (Initiative group)",
)
def add_evidence(
    request: HttpRequest, proposal: IdPath, payload: gs.EvidenceIn, response: HttpResponse
) -> Status:
    """A knowledge item you may see (`kind: knowledge`, `knowledgeItem`), or a scenario result, a
    learning history or another source by `url` and `title`. `Location` is the proposal."""
    v = viewer(request)
    found = proposal_or_404(v, proposal)
    evidence = _call(
        lambda: services.evidence_add(
            viewer=v,
            proposal=found,
            kind=payload.kind,
            knowledge_item=payload.knowledge_item or "",
            url=payload.url or "",
            title=payload.title or "",
        )
    )
    body = evidence_out(request, evidence)
    return created(request, response, f"{API_ROOT}/governance/proposals/{found.pk}", body)


def evidence_out(request: HttpRequest, e: Any) -> dict[str, Any]:
    item = e.knowledge_item
    url = request.build_absolute_uri(reverse("knowledge:detail", args=[item.slug])) if item else e.url
    return {"kind": e.kind, "title": e.title, "url": url}


def action_out(a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "description": a.description,
        "owner": a.owner_name,
        "due_date": a.due_date,
        "progress": a.progress,
        "status": a.status,
    }


def action_or_404(v: Viewer, pk: int) -> Any:
    """An action whose proposal the caller may see with its content (confidential: the bodies)."""
    detail = f"There is no follow-up action {pk} (or you may not see it)."
    action = found(lambda: selectors.action_get(pk), detail)
    proposal = found(lambda: selectors.proposal_get(v, action.proposal_id), detail)
    if not permissions.content_visible(v, proposal.confidential):
        raise ApiError(404, detail)
    return action


@_op.create(
    "/governance/proposals/{proposal}/actions",
    gs.ActionOut,
    "createFollowUpAction",
    "Add a follow-up action to a decided proposal (chair or secretary of the Steering group)",
)
def create_action(
    request: HttpRequest, proposal: IdPath, payload: gs.ActionIn, response: HttpResponse
) -> Status:
    """Only on a proposal that is `decided` or in `follow_up` (else 422 naming `proposal`)."""
    v = viewer(request)
    found = proposal_or_404(v, proposal)
    data = {"description": payload.description, "owner_name": payload.owner, "due_date": payload.due_date}
    action = _call(lambda: services.action_add(viewer=v, proposal=found, form=ActionForm(data=data)))
    return created(request, response, f"{API_ROOT}/governance/actions/{action.pk}", action_out(action))


@_op("get", "/governance/actions/{action}", gs.ActionOut, "getFollowUpAction", "Get a follow-up action")
def get_action(request: HttpRequest, action: IdPath) -> dict[str, Any]:
    return action_out(action_or_404(viewer(request), action))


@_op.update(
    "/governance/actions/{action}",
    gs.ActionOut,
    "updateFollowUpAction",
    "Report progress on a follow-up action (its owner, the chair or secretary)",
)
def update_action(request: HttpRequest, action: IdPath, payload: gs.ActionPatch) -> dict[str, Any]:
    """While the proposal is in `follow_up` (else 422 naming `status`)."""
    v = viewer(request)
    found = action_or_404(v, action)
    sent = payload.model_dump(exclude_unset=True)
    data = {"progress": found.progress, "status": found.status}
    data.update({k: val for k, val in sent.items() if val is not None})
    form = ActionProgressForm(data=data, instance=found)
    return action_out(_call(lambda: services.action_update(viewer=v, action=found, form=form)))


# ==== consultation comments and self-assessments ===================================================================


def comment_out(c: Any) -> dict[str, Any]:
    return {"id": c.pk, "section": c.section, "text": c.text, "at": c.at}


def version_or_404(slug: str, number: int) -> Any:
    standard = standard_or_404(slug)
    return found(
        lambda: selectors.version_get(standard, number), f"Standard '{slug}' has no version {number}."
    )


@_op(
    "get",
    "/governance/standards/{slug}/versions/{number}/comments",
    list[gs.CommentOut],
    "listConsultationComments",
    "Consultation comments on a version of a standard",
)
def list_comments(request: HttpRequest, slug: str, number: IdPath) -> list[dict[str, Any]]:
    return [comment_out(c) for c in selectors.version_comments(version_or_404(slug, number))]


@_op.create(
    "/governance/standards/{slug}/versions/{number}/comments",
    gs.CommentOut,
    "createConsultationComment",
    "Comment on a section of a version in consultation (signed-in users)",
)
def create_comment(
    request: HttpRequest, slug: str, number: IdPath, payload: gs.CommentIn, response: HttpResponse
) -> Status:
    """While the version is in consultation and the consultation is open (else 422 naming `body`);
    `section` must be a section of the version's text."""
    v = viewer(request)
    version = version_or_404(slug, number)
    form = CommentForm(data=payload.model_dump())
    comment = _call(lambda: services.comment_add(viewer=v, version=version, form=form))
    location = f"{API_ROOT}/governance/standards/{slug}/versions/{number}/comments"
    return created(request, response, location, comment_out(comment))


def assessment_out(a: Any) -> dict[str, Any]:
    return {
        "hub": a.hub.slug,
        "version": a.version.number,
        "items": [
            {
                "criterion": str(i.get("criterion", "")),
                "met": bool(i.get("met")),
                "evidence": str(i.get("evidence", "")),
            }
            for i in a.items
        ],
        "met_count": a.met_count,
        "total_count": a.total_count,
        "at": a.at,
    }


def _assessed(slug: str, hub_slug: str) -> tuple[Any, Any]:
    standard = standard_or_404(slug)
    version = selectors.adopted_version(standard)
    hub = atlas_selectors.hub_find(hub_slug)
    if version is None or hub is None:
        raise ApiError(404, f"There is no hub '{hub_slug}' or standard '{slug}' has no adopted version.")
    return hub, version


@_op(
    "get",
    "/governance/standards/{slug}/self-assessments/{hub}",
    gs.SelfAssessmentOut,
    "getSelfAssessment",
    "A hub's latest self-assessment against the adopted version (its coordinators)",
    problems=(403,),
)
def get_assessment(request: HttpRequest, slug: str, hub: str) -> dict[str, Any]:
    v = viewer(request)
    found_hub, version = _assessed(slug, hub)
    if not permissions.can_assess(v, found_hub):
        raise PermissionDenied("assessment")
    latest = or_404(
        selectors.latest_self_assessment(found_hub, version), f"Hub '{hub}' has not assessed '{slug}'."
    )
    return assessment_out(latest)


@_op.create(
    "/governance/standards/{slug}/self-assessments",
    gs.SelfAssessmentOut,
    "createSelfAssessment",
    "Record a hub's self-assessment against the adopted version (its coordinators)",
)
def create_assessment(
    request: HttpRequest, slug: str, payload: gs.SelfAssessmentIn, response: HttpResponse
) -> Status:
    """One answer per checklist line, in order (else 422 naming `answers`); a line that is met needs
    its evidence (else 422 naming `answers.<i>.evidence`). Each assessment is kept; the latest counts."""
    v = viewer(request)
    found_hub, version = _assessed(slug, payload.hub)
    answers = [(a.met, a.evidence) for a in payload.answers]
    try:
        row = services.self_assess(viewer=v, hub=found_hub, version=version, answers=answers)
    except ValidationFailed as exc:
        names = {f"evidence_{i}": f"answers.{i}.evidence" for i in range(len(answers))}
        errors = {("answers" if k == "__all__" else k): msgs for k, msgs in exc.errors.items()}
        raise validation_problem(ValidationFailed(errors), names) from None
    location = f"{API_ROOT}/governance/standards/{slug}/self-assessments/{found_hub.slug}"
    return created(request, response, location, assessment_out(row))


# ==== follows ========================================================================================================


def follow_out(f: Any) -> dict[str, Any]:
    return {"target": f.target, "id": f.target_id, "frequency": f.frequency}


@_op(
    "get",
    "/governance/follows",
    list[gs.FollowOut],
    "listGovernanceFollows",
    "What you follow (signals, proposals, standards)",
    problems=(401,),
)
def list_follows(request: HttpRequest) -> list[dict[str, Any]]:
    v = viewer(request)
    if not v.is_authenticated or v.user_id is None:
        raise PermissionDenied("follow")
    return [follow_out(f) for f in selectors.follows_of(v.user_id)]


@_op(
    "put",
    "/governance/follows/{target}/{id}",
    gs.FollowOut,
    "followGovernance",
    "Follow a signal, proposal or standard (a digest by e-mail)",
)
def follow(request: HttpRequest, target: gs.FollowTarget, id: IdPath, payload: gs.FollowIn) -> dict[str, Any]:
    """Following again changes the frequency. Something you may not see answers 404."""
    v = viewer(request)
    row = _call(lambda: services.follow(viewer=v, target=target, target_id=id, frequency=payload.frequency))
    return follow_out(row)


@_op.delete("/governance/follows/{target}/{id}", "unfollowGovernance", "Stop following")
def unfollow(request: HttpRequest, target: gs.FollowTarget, id: IdPath) -> Status:
    services.unfollow(viewer=viewer(request), target=target, target_id=id)
    return deleted()
