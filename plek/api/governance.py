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
    or_404,
    paginate,
    region_ref,
    theme_ref,
    validation_problem,
)
from plek.api.errors import TYPE_CONFLICT, ApiError
from plek.api.schemas import IdPath, PageQuery
from plek.atlas.permissions import Viewer
from plek.core.errors import ValidationFailed
from plek.governance import permissions, selectors, services
from plek.governance.errors import TransitionNotAllowed
from plek.governance.forms import SignalForm
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
    return or_404(selectors.signal_get(pk), f"There is no signal {pk}.")


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
        extra["merged_into"] = selectors.signal_get(payload.merged_into) or payload.merged_into
    if payload.proposal is not None:
        target = selectors.proposal_by_pk(payload.proposal)
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
    d = or_404(selectors.decision_queryset().filter(pk=decision).first(), f"There is no decision {decision}.")
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
    return or_404(
        selectors.proposal_get(viewer=v, pk=pk), f"There is no proposal {pk} (or you may not see it)."
    )


def proposal_detail(request: HttpRequest, v: Viewer, p: Proposal) -> dict[str, Any]:
    out = proposal_out(request, v, p)
    show = permissions.content_visible(v, p.confidential)
    out.update(
        rationale=p.rationale if show else None,
        expected_effect=p.expected_effect if show else None,
        decision_requested=p.decision_requested if show else None,
        signals=sorted(p.signals.values_list("pk", flat=True)) if show else [],
        evidence=[
            {
                "kind": e.kind,
                "title": e.title,
                "url": request.build_absolute_uri(reverse("knowledge:detail", args=[e.knowledge_item.slug]))
                if e.knowledge_item
                else e.url,
            }
            for e in p.evidence.select_related("knowledge_item")
        ]
        if show
        else [],
        decisions=[
            decision_out(request, selectors.decision_view(v, d))
            for d in selectors.decision_queryset().filter(proposal=p)
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
        extra["meeting"] = selectors.meeting_get(extra["meeting"]) or extra["meeting"]
    _call(
        lambda: services.proposal_transition(
            viewer=v, proposal=found, to_state=payload.to, note=payload.note, source="api", **extra
        )
    )
    return proposal_detail(request, v, proposal_or_404(v, proposal))


# ==== meetings and standards =======================================================================================


@_op("get", "/governance/meetings", gs.MeetingPage, "listMeetings", "List meetings")
def list_meetings(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    """Meetings of the Initiative group and the Steering group, latest first. All of them as
    iCalendar: /governance/vergaderingen.ics."""

    def out(rows: list[Meeting]) -> list[dict[str, Any]]:
        return [
            {
                "id": m.pk,
                "body": m.body,
                "title": m.title,
                "starts_at": m.starts_at,
                "ends_at": m.ends_at,
                "location": m.location,
                "url": request.build_absolute_uri(reverse("governance:meeting", args=[m.pk])),
                "ical": request.build_absolute_uri(reverse("governance:meeting_ics", args=[m.pk])),
            }
            for m in rows
        ]

    return paginate(request, selectors.meeting_list(), query, out)


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
    return or_404(selectors.standard_get(slug), f"There is no standard '{slug}'.")


@_op("get", "/governance/standards/{slug}", gs.StandardOut, "getStandard", "Get a professional standard")
def get_standard(request: HttpRequest, slug: str) -> dict[str, Any]:
    return standard_out(request, standard_or_404(slug))


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
    standard = standard_or_404(slug)
    version = or_404(selectors.version_get(standard, number), f"Standard '{slug}' has no version {number}.")
    sent = payload.model_dump(exclude_unset=True)
    extra: dict[str, Any] = {k: val for k, val in sent.items() if k not in ("to", "note") and val is not None}
    if "meeting" in extra:
        extra["meeting"] = selectors.meeting_get(extra["meeting"]) or extra["meeting"]
    _call(
        lambda: services.version_transition(
            viewer=v, version=version, to_state=payload.to, note=payload.note, source="api", **extra
        )
    )
    return standard_out(request, standard_or_404(slug))
