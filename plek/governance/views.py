"""Governance pages. Views parse input, call selectors (reads) and services (writes), and render.

A step the workflow does not have answers 409 with a clear message on the page; a step the viewer
may not take 403; bad input 400 with the message at the field. A refused request changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from plek.atlas.permissions import Viewer, viewer_for
from plek.atlas.selectors import hub_find
from plek.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from plek.governance import feeds, ical, permissions, selectors, services, transitions
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
    SupportForm,
    VersionForm,
)
from plek.governance.models import (
    Decision,
    Evidence,
    Follow,
    FollowUpAction,
    Proposal,
    Signal,
    Standard,
    StandardVersion,
)

PAGE_SIZE = 25
decision_feed = feeds.decision_feed

STATE_LABELS = {
    "signal": dict(Signal.State.choices),
    "proposal": dict(Proposal.State.choices),
    "standard": dict(StandardVersion.State.choices),
}


def _forbidden(request: HttpRequest, reason: str) -> HttpResponse:
    return render(request, "403.html", {"reason": reason}, status=403)


def _page(request: HttpRequest, qs: Any) -> Any:
    try:
        number = max(1, int(request.GET.get("pagina", "1")))
    except ValueError:
        number = 1
    return Paginator(qs, PAGE_SIZE).get_page(number)


def _following(viewer: Viewer, target: str, target_id: int) -> Follow | None:
    return selectors.follow_of(viewer, target, target_id)


def _not_allowed_message(exc: TransitionNotAllowed) -> str:
    labels = STATE_LABELS[exc.workflow]
    possible = ", ".join(str(labels.get(s, s)) for s in exc.possible) or _("geen (dit is een eindstatus)")
    return _('Deze stap kan niet: van "%(a)s" naar "%(b)s" bestaat niet. Mogelijk vanaf hier: %(p)s.') % {
        "a": labels.get(exc.from_state or "", exc.from_state or ""),
        "b": labels.get(exc.to_state, exc.to_state),
        "p": possible,
    }


def _run(
    request: HttpRequest,
    action: Callable[[], Any],
    render_error: Callable[[dict[str, Any], int], HttpResponse],
) -> HttpResponse | None:
    """Call a service; on refusal render the page again with the message (409/403/400)."""
    try:
        action()
    except TransitionNotAllowed as exc:
        return render_error({"step_error": _not_allowed_message(exc)}, 409)
    except PermissionDenied:
        return _forbidden(request, _("U mag deze stap niet zetten."))
    except ValidationFailed as exc:
        return render_error({"errors": exc.errors}, 400)
    return None


# ==== bodies ==================================================================================================


@require_GET
def bodies(request: HttpRequest) -> HttpResponse:
    return render(request, "governance/bodies.html", {"compositions": selectors.compositions()})


# ==== signals =================================================================================================


@require_GET
def signal_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.signal_queryset()
    state = request.GET.get("status", "")
    kind = request.GET.get("soort", "")
    if state in Signal.State.values:
        qs = qs.filter(state=state)
    if kind in Signal.Kind.values:
        qs = qs.filter(kind=kind)
    return render(
        request,
        "governance/signal_list.html",
        {
            "page": _page(request, qs),
            "state": state,
            "kind": kind,
            "states": Signal.State.choices,
            "kinds": Signal.Kind.choices,
        },
    )


def signal_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = SignalForm(data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        try:
            signal = services.signal_raise(viewer=viewer, form=form)
        except ValidationFailed:
            status = 400
        else:
            messages.success(request, _("Uw signaal is gemeld. U volgt het nu."))
            return redirect("governance:signal", signal.pk)
    return render(request, "governance/signal_form.html", {"form": form}, status=status)


def _signal_or_404(pk: int) -> Signal:
    return selectors.signal_get(pk)


def _signal_page(
    request: HttpRequest, signal: Signal, extra: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    viewer = viewer_for(request.user)
    supports = selectors.signal_supports(signal)
    context = {
        "signal": signal,
        "supports": supports,
        "supported": viewer.is_authenticated and any(s.user_id == viewer.user_id for s in supports),
        "support_form": SupportForm(),
        "steps": permissions.steps_for(viewer, "signal", signal),
        "state_labels": STATE_LABELS["signal"],
        "proposals": [
            (p, permissions.content_visible(viewer, p.confidential))
            for p in signal.proposals.all()
            if permissions.proposal_visible(viewer, p)
        ],
        "open_proposals": selectors.proposals_open() if permissions.is_initiative(viewer) else [],
        "events": selectors.events_for("signal", [signal.pk]),
        "following": _following(viewer, "signal", signal.pk),
        "duplicates": list(signal.duplicates.all()),
        "is_initiative": permissions.is_initiative(viewer),
        "errors": {},
    }
    context.update(extra or {})
    return render(request, "governance/signal_detail.html", context, status=status)


@require_GET
def signal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _signal_page(request, _signal_or_404(pk))


@require_POST
def signal_support(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(reverse("governance:signal", args=[pk]))
    signal = _signal_or_404(pk)
    if request.POST.get("intrekken"):
        services.signal_unsupport(viewer=viewer, signal=signal)
        messages.success(request, _("Uw steun is ingetrokken."))
        return redirect("governance:signal", pk)
    error = _run(
        request,
        lambda: services.signal_support(
            viewer=viewer, signal=signal, comment=request.POST.get("comment", "")
        ),
        lambda ctx, status: _signal_page(request, signal, ctx, status),
    )
    if error is not None:
        return error
    messages.success(request, _("U steunt dit signaal."))
    return redirect("governance:signal", pk)


@require_POST
def signal_step(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(reverse("governance:signal", args=[pk]))
    signal = _signal_or_404(pk)
    extra: dict[str, Any] = {}
    if request.POST.get("merged_into"):
        try:
            extra["merged_into"] = selectors.signal_find(int(request.POST["merged_into"])) or "?"
        except ValueError:
            extra["merged_into"] = "?"
    if request.POST.get("proposal"):
        try:
            extra["proposal"] = selectors.proposal_find(int(request.POST["proposal"])) or "?"
        except ValueError:
            extra["proposal"] = "?"
    error = _run(
        request,
        lambda: services.signal_transition(
            viewer=viewer,
            signal=signal,
            to_state=request.POST.get("to", ""),
            note=request.POST.get("note", ""),
            **extra,
        ),
        lambda ctx, status: _signal_page(request, _signal_or_404(pk), ctx, status),
    )
    if error is not None:
        return error
    messages.success(request, _("De status is bijgewerkt."))
    return redirect("governance:signal", pk)


# ==== proposals =================================================================================================


@require_GET
def proposal_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    qs = selectors.proposal_queryset(viewer)
    state = request.GET.get("status", "")
    if state in Proposal.State.values:
        qs = qs.filter(state=state)
    return render(
        request,
        "governance/proposal_list.html",
        {
            "page": _page(request, qs),
            "state": state,
            "states": Proposal.State.choices,
            "may_draft": permissions.is_initiative(viewer),
            "body_member": permissions.is_body_member(viewer),
        },
    )


def proposal_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.is_initiative(viewer):
        return _forbidden(request, _("Alleen leden van de Initiatiefgroep stellen agendavoorstellen op."))
    initial = {}
    if request.GET.get("signaal"):
        initial["signals"] = [s for s in request.GET.getlist("signaal") if s.isdigit()]
    form = ProposalForm(data=request.POST if request.method == "POST" else None, initial=initial)
    status = 200
    if request.method == "POST":
        try:
            proposal = services.proposal_create(viewer=viewer, form=form)
        except ValidationFailed:
            status = 400
        else:
            messages.success(request, _("Het voorstel is opgeslagen als concept."))
            return redirect("governance:proposal", proposal.pk)
    return render(request, "governance/proposal_form.html", {"form": form}, status=status)


def proposal_edit(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path())
    proposal = _proposal_or_404(viewer, pk)
    if not permissions.is_initiative(viewer):
        return _forbidden(request, _("Alleen leden van de Initiatiefgroep stellen agendavoorstellen op."))
    form = ProposalEditForm(data=request.POST if request.method == "POST" else None, instance=proposal)
    status = 200
    if request.method == "POST":
        try:
            services.proposal_update(viewer=viewer, proposal=proposal, form=form)
        except ValidationFailed:
            status = 400
        else:
            messages.success(request, _("Opgeslagen."))
            return redirect("governance:proposal", proposal.pk)
    return render(
        request,
        "governance/proposal_form.html",
        {"form": form, "proposal": proposal, "editing": True},
        status=status,
    )


def _proposal_or_404(viewer: Viewer, pk: int) -> Proposal:
    return selectors.proposal_get(viewer, pk)


def _proposal_page(
    request: HttpRequest, proposal: Proposal, extra: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    viewer = viewer_for(request.user)
    show = permissions.content_visible(viewer, proposal.confidential)
    decisions = [selectors.decision_view(viewer, d) for d in selectors.decisions_of_proposal(proposal)]
    actions = list(proposal.actions.select_related("owner"))
    context = {
        "proposal": proposal,
        "show": show,
        "signals": list(proposal.signals.all()) if show else [],
        "evidence": selectors.proposal_evidence(proposal) if show else [],
        "decisions": decisions,
        "actions": actions if show else [],
        "action_editable": {a.pk: permissions.can_update_action(viewer, a) for a in actions},
        "steps": permissions.steps_for(viewer, "proposal", proposal),
        "state_labels": STATE_LABELS["proposal"],
        "meetings": selectors.steering_meetings() if permissions.is_chair(viewer) else [],
        "outcomes": Decision.Outcome.choices,
        "evidence_kinds": Evidence.Kind.choices,
        "is_initiative": permissions.is_initiative(viewer),
        "is_chair": permissions.is_chair(viewer),
        "action_form": ActionForm(),
        "action_statuses": FollowUpAction.Status.choices,
        "events": selectors.events_for("proposal", [proposal.pk]) if show else [],
        "following": _following(viewer, "proposal", proposal.pk),
        "errors": {},
        "posted": {},
    }
    context.update(extra or {})
    return render(request, "governance/proposal_detail.html", context, status=status)


@require_GET
def proposal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    return _proposal_page(request, _proposal_or_404(viewer, pk))


@require_POST
def proposal_step(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(reverse("governance:proposal", args=[pk]))
    proposal = _proposal_or_404(viewer, pk)
    to = request.POST.get("to", "")
    extra: dict[str, Any] = {}
    if to == Proposal.State.SCHEDULED:
        value = request.POST.get("meeting", "")
        extra["meeting"] = selectors.meeting_find(int(value)) if value.isdigit() else None
    if to == Proposal.State.DECIDED:
        extra.update(
            outcome=request.POST.get("outcome", ""),
            decision_text=request.POST.get("decision_text", ""),
            reasons=request.POST.get("reasons", ""),
            confidential=bool(request.POST.get("confidential")),
            confidential_reason=request.POST.get("confidential_reason", ""),
        )
    error = _run(
        request,
        lambda: services.proposal_transition(
            viewer=viewer, proposal=proposal, to_state=to, note=request.POST.get("note", ""), **extra
        ),
        lambda ctx, status: _proposal_page(
            request, _proposal_or_404(viewer, pk), {**ctx, "posted": request.POST, "posted_to": to}, status
        ),
    )
    if error is not None:
        return error
    messages.success(request, _("De status is bijgewerkt."))
    return redirect("governance:proposal", pk)


@require_POST
def proposal_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(reverse("governance:proposal", args=[pk]))
    proposal = _proposal_or_404(viewer, pk)
    p = request.POST
    error = _run(
        request,
        lambda: services.evidence_add(
            viewer=viewer,
            proposal=proposal,
            kind=p.get("kind", ""),
            knowledge_item=p.get("knowledge_item", ""),
            url=p.get("url", ""),
            title=p.get("title", ""),
        ),
        lambda ctx, status: _proposal_page(
            request, proposal, {**ctx, "posted": p, "posted_to": "evidence"}, status
        ),
    )
    if error is not None:
        return error
    messages.success(request, _("Onderbouwing toegevoegd."))
    return redirect("governance:proposal", pk)


@require_POST
def proposal_action(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(reverse("governance:proposal", args=[pk]))
    proposal = _proposal_or_404(viewer, pk)
    form = ActionForm(data=request.POST)
    error = _run(
        request,
        lambda: services.action_add(viewer=viewer, proposal=proposal, form=form),
        lambda ctx, status: _proposal_page(request, proposal, {**ctx, "action_form": form}, status),
    )
    if error is not None:
        return error
    messages.success(request, _("Vervolgactie toegevoegd."))
    return redirect("governance:proposal", pk)


@require_POST
def action_update(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(request.path)
    action = selectors.action_get(pk)
    proposal = _proposal_or_404(viewer, action.proposal_id)
    form = ActionProgressForm(data=request.POST, instance=action)
    error = _run(
        request,
        lambda: services.action_update(viewer=viewer, action=action, form=form),
        lambda ctx, status: _proposal_page(
            request, proposal, {**ctx, "action_errors": {action.pk: form.errors or ctx.get("errors")}}, status
        ),
    )
    if error is not None:
        return error
    messages.success(request, _("Vervolgactie bijgewerkt."))
    return redirect("governance:proposal", proposal.pk)


# ==== meetings ==================================================================================================


def meeting_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    form = MeetingForm(data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not viewer.is_authenticated:
            return redirect_to_login(request.path)
        try:
            meeting = services.meeting_create(viewer=viewer, form=form)
        except PermissionDenied:
            return _forbidden(
                request, _("Alleen de voorzitter of secretaris van de Stuurgroep plant vergaderingen.")
            )
        except ValidationFailed:
            status = 400
        else:
            messages.success(request, _("Vergadering gepland."))
            return redirect("governance:meeting", meeting.pk)
    qs = selectors.meeting_list()
    return render(
        request,
        "governance/meeting_list.html",
        {"page": _page(request, qs), "form": form, "may_plan": permissions.is_chair(viewer)},
        status=status,
    )


def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    meeting = selectors.meeting_get(pk)
    form = MinutesForm(data=request.POST if request.method == "POST" else None, instance=meeting)
    status = 200
    if request.method == "POST":
        if not viewer.is_authenticated:
            return redirect_to_login(request.path)
        try:
            services.meeting_minutes(viewer=viewer, meeting=meeting, form=form)
        except PermissionDenied:
            return _forbidden(
                request, _("Alleen de voorzitter of secretaris van de Stuurgroep legt het verslag vast.")
            )
        except ValidationFailed:
            status = 400
        else:
            messages.success(request, _("Verslag opgeslagen."))
            return redirect("governance:meeting", meeting.pk)
    body_member = permissions.is_body_member(viewer)
    agenda = [
        (p, body_member or not p.confidential)
        for p in meeting.agenda.order_by("agenda_position", "id")
        if p.state != Proposal.State.DRAFT
    ]
    decisions = [
        selectors.decision_view(viewer, d) for d in selectors.decision_queryset().filter(meeting=meeting)
    ]
    return render(
        request,
        "governance/meeting_detail.html",
        {
            "meeting": meeting,
            "agenda": agenda,
            "decisions": decisions,
            "form": form,
            "may_edit": permissions.is_chair(viewer),
        },
        status=status,
    )


def _ical_response(request: HttpRequest, meetings: Any, filename: str) -> HttpResponse:
    base = request.build_absolute_uri("/").rstrip("/")
    text = ical.calendar(meetings, base_url=base, host=request.get_host().split(":")[0])
    response = HttpResponse(text.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def meetings_ics(request: HttpRequest) -> HttpResponse:
    return _ical_response(request, selectors.meetings_calendar(), "plek-vergaderingen.ics")


@require_GET
def meeting_ics(request: HttpRequest, pk: int) -> HttpResponse:
    meetings = [selectors.meeting_get(pk)]
    return _ical_response(request, meetings, f"plek-vergadering-{pk}.ics")


# ==== standards ===================================================================================================


@require_GET
def standard_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    rows = [
        (s, selectors.version_current(s), selectors.adopted_version(s))
        for s in selectors.standards_with_versions()
    ]
    return render(
        request,
        "governance/standard_list.html",
        {"rows": rows, "may_draft": permissions.is_initiative(viewer)},
    )


def standard_new(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.is_initiative(viewer):
        return _forbidden(request, _("Alleen leden van de Initiatiefgroep stellen standaarden op."))
    data = request.POST if request.method == "POST" else None
    form, version_form = StandardForm(data=data), VersionForm(data=data)
    status = 200
    if request.method == "POST":
        try:
            standard = services.standard_create(viewer=viewer, form=form, version_form=version_form)
        except ValidationFailed:
            status = 400
        else:
            messages.success(request, _("De standaard is opgeslagen als concept."))
            return redirect("governance:standard", standard.slug)
    return render(
        request, "governance/standard_form.html", {"form": form, "version_form": version_form}, status=status
    )


def _standard_or_404(slug: str) -> Standard:
    return selectors.standard_get(slug)


def _standard_page(
    request: HttpRequest, standard: Standard, extra: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    viewer = viewer_for(request.user)
    versions = list(standard.versions.all())
    try:
        chosen = int(request.GET.get("versie", "0"))
    except ValueError:
        chosen = 0
    version = next((v for v in versions if v.number == chosen), None) or selectors.version_current(standard)
    comments = list(version.comments.select_related("author")) if version else []
    sections = []
    if version is not None:
        for s in selectors.sections(version.body):
            sections.append((s, [c for c in comments if c.section == s.key]))
    adopted = selectors.adopted_version(standard)
    hubs = selectors.assess_hubs(viewer) if adopted is not None else []
    decisions = [
        selectors.decision_view(viewer, d)
        for d in selectors.decision_queryset().filter(standard_version__standard=standard)
    ]
    context = {
        "standard": standard,
        "versions": versions,
        "version": version,
        "sections": sections,
        "steps": permissions.steps_for(viewer, "standard", version) if version else [],
        "state_labels": STATE_LABELS["standard"],
        "adopted": adopted,
        "checklist": selectors.checklist(adopted) if adopted else [],
        "assess_hubs": hubs,
        "overview": selectors.adoption_overview(standard),
        "decisions": decisions,
        "comment_form": CommentForm(),
        "version_form": VersionForm(),
        "may_version": permissions.is_initiative(viewer)
        and not any(v.state in ("draft", "consultation") for v in versions),
        "meetings": selectors.steering_meetings() if permissions.is_chair(viewer) else [],
        "following": _following(viewer, "standard", standard.pk),
        "errors": {},
        "posted": {},
    }
    context.update(extra or {})
    return render(request, "governance/standard_detail.html", context, status=status)


@require_GET
def standard_detail(request: HttpRequest, slug: str) -> HttpResponse:
    return _standard_page(request, _standard_or_404(slug))


@require_POST
def standard_step(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(reverse("governance:standard", args=[slug]))
    standard = _standard_or_404(slug)
    version = selectors.version_get(standard, number)
    p = request.POST
    to = p.get("to", "")
    extra: dict[str, Any] = {}
    if to == StandardVersion.State.CONSULTATION and p.get("closes_on"):
        try:
            extra["closes_on"] = dt.date.fromisoformat(p["closes_on"])
        except ValueError:
            extra["closes_on"] = "?"
    if to == StandardVersion.State.ADOPTED:
        extra.update(decision_text=p.get("decision_text", ""), reasons=p.get("reasons", ""))
        if p.get("meeting", "").isdigit():
            extra["meeting"] = selectors.meeting_find(int(p["meeting"]))
    error = _run(
        request,
        lambda: services.version_transition(
            viewer=viewer, version=version, to_state=to, note=p.get("note", ""), **extra
        ),
        lambda ctx, status: _standard_page(
            request, _standard_or_404(slug), {**ctx, "posted": p, "posted_to": to}, status
        ),
    )
    if error is not None:
        return error
    messages.success(request, _("De status is bijgewerkt."))
    return redirect("governance:standard", slug)


@require_POST
def standard_comment(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(reverse("governance:standard", args=[slug]))
    standard = _standard_or_404(slug)
    version = selectors.version_get(standard, number)
    form = CommentForm(data=request.POST)
    error = _run(
        request,
        lambda: services.comment_add(viewer=viewer, version=version, form=form),
        lambda ctx, status: _standard_page(
            request, standard, {**ctx, "comment_form": form, "posted": request.POST}, status
        ),
    )
    if error is not None:
        return error
    messages.success(request, _("Uw reactie is toegevoegd."))
    return redirect(
        reverse("governance:standard", args=[slug]) + f"#onderdeel-{form.cleaned_data['section']}"
    )


@require_POST
def standard_version(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(reverse("governance:standard", args=[slug]))
    standard = _standard_or_404(slug)
    form = VersionForm(data=request.POST)
    error = _run(
        request,
        lambda: services.version_create(viewer=viewer, standard=standard, form=form),
        lambda ctx, status: _standard_page(request, standard, {**ctx, "version_form": form}, status),
    )
    if error is not None:
        return error
    messages.success(request, _("Nieuwe versie opgeslagen als concept."))
    return redirect("governance:standard", slug)


def standard_assess(request: HttpRequest, slug: str, hub: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not viewer.is_authenticated:
        return redirect_to_login(request.path)
    standard = _standard_or_404(slug)
    hub_obj = hub_find(hub)
    adopted = selectors.adopted_version(standard)
    if hub_obj is None or adopted is None:
        raise Http404
    if not permissions.can_assess(viewer, hub_obj):
        return _forbidden(request, _("Alleen coördinatoren van de kennishub vullen de zelfevaluatie in."))
    criteria = selectors.checklist(adopted)
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        answers = [
            (bool(request.POST.get(f"met_{i}")), request.POST.get(f"evidence_{i}", ""))
            for i in range(len(criteria))
        ]
        try:
            services.self_assess(viewer=viewer, hub=hub_obj, version=adopted, answers=answers)
        except ValidationFailed as exc:
            errors, status = exc.errors, 400
        else:
            messages.success(request, _("De zelfevaluatie is opgeslagen."))
            return redirect("governance:standard", slug)
    last = selectors.self_assessment_last(hub_obj, adopted)
    rows = []
    for i, criterion in enumerate(criteria):
        if request.method == "POST":
            met, evidence = bool(request.POST.get(f"met_{i}")), request.POST.get(f"evidence_{i}", "")
        elif last is not None and i < len(last.items):
            met, evidence = bool(last.items[i].get("met")), str(last.items[i].get("evidence", ""))
        else:
            met, evidence = False, ""
        rows.append(
            {
                "i": i,
                "criterion": criterion,
                "met": met,
                "evidence": evidence,
                "error": " ".join(errors.get(f"evidence_{i}", [])),
            }
        )
    return render(
        request,
        "governance/assessment_form.html",
        {
            "standard": standard,
            "version": adopted,
            "hub": hub_obj,
            "rows": rows,
            "general_errors": errors.get("__all__", []),
            "has_errors": bool(errors),
        },
        status=status,
    )


# ==== decisions ===================================================================================================


@require_GET
def decision_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    page = _page(request, selectors.decision_queryset())
    rows = [selectors.decision_view(viewer, d) for d in page.object_list]
    return render(request, "governance/decision_list.html", {"page": page, "rows": rows})


@require_GET
def decision_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_for(request.user)
    d = selectors.decision_get(pk)
    return render(request, "governance/decision_detail.html", {"d": selectors.decision_view(viewer, d)})


# ==== following ===================================================================================================


@require_POST
def follow(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    target = request.POST.get("target", "")
    raw_id = request.POST.get("target_id", "")
    back = request.POST.get("next", "/governance/signalen/")
    if not back.startswith("/governance/"):
        back = "/governance/signalen/"
    if not viewer.is_authenticated:
        return redirect_to_login(back)
    if not raw_id.isdigit():
        raise Http404
    try:
        if request.POST.get("stop"):
            services.unfollow(viewer=viewer, target=target, target_id=int(raw_id))
            messages.success(request, _("U volgt dit niet meer."))
        else:
            services.follow(
                viewer=viewer,
                target=target,
                target_id=int(raw_id),
                frequency=request.POST.get("frequency", Follow.Frequency.WEEKLY),
            )
            messages.success(request, _("U volgt dit nu; u krijgt een samenvatting per e-mail."))
    except NotFound:
        raise Http404 from None
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for msgs in exc.errors.values() for m in msgs))
    return redirect(back)


ROLES_HELP = transitions.ROLES  # documented roles, for templates
