"""Writes to governance. Every write is permission-checked here, atomic, and leaves an event or a
history row. A signal, proposal or standard version changes state only through `signal_transition`,
`proposal_transition` and `version_transition`, which read the tables in `transitions.py`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from plek.atlas.models import Hub, Region, Theme
from plek.atlas.permissions import Viewer, can_view, viewer_for
from plek.atlas.services import unique_slug
from plek.core.errors import NotFound, PermissionDenied, TransitionNotAllowed, ValidationFailed
from plek.core.handoff import SignalHandoff
from plek.core.history import history_record
from plek.core.outbox import search_outbox_add
from plek.governance import notices, permissions, selectors, transitions
from plek.governance.forms import (
    ActionForm,
    ActionProgressForm,
    CommentForm,
    MeetingForm,
    MinutesForm,
    ProposalForm,
    SignalForm,
    StandardForm,
    VersionForm,
)
from plek.governance.models import (
    NOTE_MAX,
    TEXT_MAX,
    TITLE_MAX,
    ConsultationComment,
    Decision,
    Event,
    Evidence,
    Follow,
    FollowUpAction,
    Meeting,
    Proposal,
    SelfAssessment,
    Signal,
    SignalSupport,
    Standard,
    StandardVersion,
)
from plek.knowledge.models import KnowledgeItem

SG = Signal.State
P = Proposal.State
V = StandardVersion.State
OUT = Decision.Outcome


def _errors(form: Any) -> dict[str, list[str]]:
    return {f: [str(e) for e in errs] for f, errs in form.errors.items()}


def _event(
    target: str,
    obj: Model,
    *,
    viewer: Viewer,
    from_state: str = "",
    to_state: str = "",
    summary: str = "",
    note: str = "",
) -> Event:
    return Event.objects.create(
        target=target,
        target_id=obj.pk,
        from_state=from_state,
        to_state=to_state,
        summary=summary[:300],
        note=note,
        actor=viewer.user if viewer.is_authenticated else None,
    )


def _require(ok: bool, what: str) -> None:
    if not ok:
        raise PermissionDenied(what)


# ==== signals =================================================================================================


def signal_url(signal: Signal) -> str:
    return reverse("governance:signal", args=[signal.pk])


def signal_receive(*, user: Any, handoff: SignalHandoff) -> str:
    """The sink of `plek.core.handoff.pass_on_signal` (`hooks.signal_sink`): make a signal for
    an obstacle or solution passed on from area learning or brokering, keeping the link to its source,
    or find the one made earlier for the same source. Anyone signed in may pass on. Returns the URL of
    the signal's page."""
    viewer = viewer_for(user)
    _require(permissions.can_raise(viewer), "signal")
    errors: dict[str, list[str]] = {}
    if handoff.kind not in Signal.Kind.values:
        errors["kind"] = [_("Kies knelpunt of oplossing.")]
    title = (handoff.title or "").strip()
    if not title:
        errors["title"] = [_("Geef een titel.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("Hoogstens %(n)d tekens.") % {"n": TITLE_MAX}]
    description = (handoff.description or "").strip()
    if len(description) > TEXT_MAX:
        errors["description"] = [_("Hoogstens %(n)d tekens.") % {"n": TEXT_MAX}]
    source_type = (handoff.source_type or "").strip()
    if not source_type or len(source_type) > 60:
        errors["source_type"] = [_("Geef het soort bron (bijv. learning.barrier).")]
    if not isinstance(handoff.source_id, int) or isinstance(handoff.source_id, bool) or handoff.source_id < 0:
        errors["source_id"] = [_("Geef het nummer van de bron.")]
    if len(handoff.source_url or "") > 500:
        errors["source_url"] = [_("Hoogstens %(n)d tekens.") % {"n": 500}]
    regions = list(Region.objects.filter(pk__in=list(handoff.region_ids)))
    if len(regions) != len(set(handoff.region_ids)):
        errors["region_ids"] = [_("Onbekend gebied.")]
    themes = list(Theme.objects.filter(pk__in=list(handoff.theme_ids)))
    if len(themes) != len(set(handoff.theme_ids)):
        errors["theme_ids"] = [_("Onbekend thema.")]
    if errors:
        raise ValidationFailed(errors)
    existing = Signal.objects.filter(source_type=source_type, source_id=handoff.source_id).first()
    if existing is not None:
        return signal_url(existing)
    scale = str(handoff.extra.get("scale", "")) if handoff.extra else ""
    try:
        with transaction.atomic():
            signal = Signal.objects.create(
                kind=handoff.kind,
                title=title,
                description=description or title,
                scale=scale if scale in ("local", "regional", "national") else "",
                raised_by=viewer.user,
                source_type=source_type,
                source_id=handoff.source_id,
                source_url=handoff.source_url or "",
            )
            signal.regions.set(regions)
            signal.themes.set(themes)
            _event(
                "signal",
                signal,
                viewer=viewer,
                to_state=SG.NEW,
                summary=signal.title,
                note=_("Doorgegeven vanuit %(s)s.") % {"s": source_type},
            )
            search_outbox_add("signal", signal.pk)
            notices.signal_new(signal=signal, actor=viewer.user)
    except IntegrityError:
        # Passed on twice at the same moment: the other call made it.
        existing = Signal.objects.filter(source_type=source_type, source_id=handoff.source_id).first()
        if existing is None:
            raise
        return signal_url(existing)
    return signal_url(signal)


@transaction.atomic
def signal_raise(*, viewer: Viewer, form: SignalForm, source: str = "web") -> Signal:
    """Raise an obstacle or a solution (anyone signed in); the raiser follows it."""
    _require(permissions.can_raise(viewer), "signal")
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    signal: Signal = form.save(commit=False)
    signal.raised_by = viewer.user
    signal.state = SG.NEW
    signal.save()
    form.save_m2m()
    _event("signal", signal, viewer=viewer, to_state=SG.NEW, summary=signal.title)
    history_record(instance=signal, action="create", actor=viewer.user, source=source)
    Follow.objects.get_or_create(user=viewer.user, target="signal", target_id=signal.pk)
    search_outbox_add("signal", signal.pk)
    notices.signal_new(signal=signal, actor=viewer.user)
    return signal


@transaction.atomic
def signal_support(*, viewer: Viewer, signal: Signal, comment: str = "") -> SignalSupport:
    """Support a signal, with an optional comment (a second support updates the comment)."""
    _require(viewer.is_authenticated, "signal")
    comment = (comment or "").strip()
    if len(comment) > NOTE_MAX:
        raise ValidationFailed({"comment": [_("Hoogstens %(n)d tekens.") % {"n": NOTE_MAX}]})
    if signal.state == SG.CLOSED:
        raise ValidationFailed(
            {"signal": [_("Dit signaal is gesloten; steun het signaal waarin het opging.")]}
        )
    support, made = SignalSupport.objects.get_or_create(
        signal=signal, user=viewer.user, defaults={"comment": comment}
    )
    if not made and comment != support.comment:
        support.comment = comment
        support.save(update_fields=["comment"])
    if made:
        _event("signal", signal, viewer=viewer, summary="support", note=comment)
    return support


@transaction.atomic
def signal_unsupport(*, viewer: Viewer, signal: Signal) -> None:
    _require(viewer.is_authenticated, "signal")
    SignalSupport.objects.filter(signal=signal, user=viewer.user).delete()


def _check_step(
    workflow: str, viewer: Viewer, obj: Any, to_state: str, note: str, extra: dict[str, Any]
) -> frozenset[str]:
    """The shared checks of a step: a state the workflow knows (else 422), a step in the table
    (else TransitionNotAllowed, 409), a role that may take it (else 403), known extras and a note
    where one is required (else 422). Returns the viewer's roles."""
    table = transitions.TABLES[workflow]
    if to_state not in table:
        raise ValidationFailed({"to_state": [_("Onbekende status: %(s)s.") % {"s": to_state}]})
    allowed = transitions.allowed_roles(workflow, obj.state, to_state)
    if allowed is None:
        raise TransitionNotAllowed(
            obj.state, to_state, workflow=workflow, possible=list(table.get(obj.state, {}))
        )
    roles = permissions.roles_for(viewer, obj)
    if not roles & allowed:
        raise PermissionDenied(workflow)
    errors: dict[str, list[str]] = {}
    accepted = transitions.EXTRA_FIELDS[workflow].get(to_state, frozenset())
    for name in sorted(set(extra) - accepted):
        errors[name] = [_("Hoort niet bij deze stap.")]
    if len(note) > NOTE_MAX:
        errors["note"] = [_("Hoogstens %(n)d tekens.") % {"n": NOTE_MAX}]
    elif to_state in transitions.NOTE_REQUIRED[workflow] and not note:
        errors["note"] = [_("Geef een reden.")]
    if errors:
        raise ValidationFailed(errors)
    return roles


@transaction.atomic
def signal_transition(
    *, viewer: Viewer, signal: Signal, to_state: str, note: str = "", source: str = "web", **extra: Any
) -> Signal:
    """Move a signal one step. Extras: ``merged_into`` (closed as a duplicate of another open signal;
    its supporters move along), ``proposal`` (bundled into that proposal)."""
    locked = Signal.objects.select_for_update().get(pk=signal.pk)
    note = (note or "").strip()
    roles = _check_step("signal", viewer, locked, to_state, note, extra)
    if extra.get("merged_into") is not None and not roles & {transitions.INITIATIVE, transitions.ADMIN}:
        raise ValidationFailed(
            {"merged_into": [_("Alleen de Initiatiefgroep voegt dubbele signalen samen.")]}
        )
    from_state = locked.state
    target = extra.get("merged_into")
    proposal = extra.get("proposal")
    if to_state == SG.CLOSED and target is not None:
        if not isinstance(target, Signal) or target.pk == locked.pk:
            raise ValidationFailed({"merged_into": [_("Kies een ander signaal.")]})
        if target.state == SG.CLOSED:
            raise ValidationFailed({"merged_into": [_("Dat signaal is al gesloten; kies een open signaal.")]})
    if to_state == SG.BUNDLED and (not isinstance(proposal, Proposal) or proposal.state == P.CLOSED):
        raise ValidationFailed({"proposal": [_("Kies het voorstel waarin het signaal wordt gebundeld.")]})
    now = timezone.now()
    locked.state = to_state
    locked.state_changed_at = now
    fields = ["state", "state_changed_at"]
    if to_state == SG.CLOSED:
        locked.close_reason = note
        fields.append("close_reason")
        if target is not None:
            locked.merged_into = target
            fields.append("merged_into")
            moved = SignalSupport.objects.filter(signal=locked).exclude(
                user_id__in=SignalSupport.objects.filter(signal=target).values("user_id")
            )
            moved.update(signal=target)
            Signal.objects.filter(merged_into=locked).update(merged_into=target)
    locked.save(update_fields=fields)
    if proposal is not None:
        proposal.signals.add(locked)
    summary = ""
    if target is not None:
        summary = _("Samengevoegd met: %(t)s") % {"t": target.title}
    _event(
        "signal", locked, viewer=viewer, from_state=from_state, to_state=to_state, summary=summary, note=note
    )
    history_record(
        instance=locked,
        action="update",
        actor=viewer.user,
        changes={"state": {"old": from_state, "new": to_state}},
        source=source,
    )
    search_outbox_add("signal", locked.pk)
    signal.state, signal.state_changed_at = locked.state, locked.state_changed_at
    signal.close_reason, signal.merged_into_id = locked.close_reason, locked.merged_into_id
    return signal


# ==== proposals ===============================================================================================


@transaction.atomic
def proposal_create(*, viewer: Viewer, form: ProposalForm, source: str = "web") -> Proposal:
    """Draft a proposal (Initiative group members), bundling the chosen signals."""
    _require(permissions.is_initiative(viewer), "proposal")
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    proposal: Proposal = form.save(commit=False)
    proposal.author = viewer.user
    proposal.state = P.DRAFT
    if not proposal.confidential:
        proposal.confidential_reason = ""
    proposal.save()
    _event("proposal", proposal, viewer=viewer, to_state=P.DRAFT, summary=proposal.title)
    for signal in form.cleaned_data.get("signals") or []:
        signal_transition(viewer=viewer, signal=signal, to_state=SG.BUNDLED, source=source, proposal=proposal)
    history_record(instance=proposal, action="create", actor=viewer.user, source=source)
    Follow.objects.get_or_create(user=viewer.user, target="proposal", target_id=proposal.pk)
    search_outbox_add("proposal", proposal.pk)
    return proposal


@transaction.atomic
def proposal_update(
    *, viewer: Viewer, proposal: Proposal, form: ProposalForm, source: str = "web"
) -> Proposal:
    """Edit a draft (Initiative group members); once submitted a proposal's text is fixed."""
    _require(permissions.is_initiative(viewer), "proposal")
    if proposal.state != P.DRAFT:
        raise ValidationFailed({"__all__": [_("Alleen een concept kan nog worden gewijzigd.")]})
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    updated: Proposal = form.save(commit=False)
    if not updated.confidential:
        updated.confidential_reason = ""
    updated.save()
    _event("proposal", updated, viewer=viewer, summary="edited")
    history_record(instance=updated, action="update", actor=viewer.user, source=source)
    search_outbox_add("proposal", updated.pk)
    return updated


@transaction.atomic
def evidence_add(
    *, viewer: Viewer, proposal: Proposal, kind: str, knowledge_item: str = "", url: str = "", title: str = ""
) -> Evidence:
    """Cite evidence: a knowledge item (by slug, one the viewer may see), or a scenario result, a
    learning history or another source by URL and title."""
    _require(permissions.is_initiative(viewer), "proposal")
    if proposal.state in (P.CLOSED,):
        raise ValidationFailed({"proposal": [_("Dit voorstel is afgesloten.")]})
    errors: dict[str, list[str]] = {}
    item = None
    if kind not in Evidence.Kind.values:
        errors["kind"] = [_("Kies een soort onderbouwing.")]
    elif kind == Evidence.Kind.KNOWLEDGE:
        item = KnowledgeItem.objects.filter(slug=(knowledge_item or "").strip()).first()
        if item is None or not can_view(viewer, item):
            errors["knowledge_item"] = [_("Onbekend kennisitem.")]
    else:
        url = (url or "").strip()
        if not url.startswith(("https://", "http://", "/")) or len(url) > 500:
            errors["url"] = [_("Geef een link (https://… of een adres op dit platform).")]
    title = (title or "").strip() or (item.title if item is not None else "")
    if not title:
        errors["title"] = [_("Geef een titel.")]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("Hoogstens %(n)d tekens.") % {"n": TITLE_MAX}]
    if errors:
        raise ValidationFailed(errors)
    evidence = Evidence.objects.create(
        proposal=proposal, kind=kind, knowledge_item=item, url=url if item is None else "", title=title
    )
    _event("proposal", proposal, viewer=viewer, summary=_("Onderbouwing toegevoegd: %(t)s") % {"t": title})
    return evidence


def _last_decision(proposal: Proposal) -> Decision | None:
    return Decision.objects.filter(proposal=proposal).order_by("-decided_at", "-id").first()


def _meeting(value: Any, field: str = "meeting") -> Meeting:
    if not isinstance(value, Meeting):
        raise ValidationFailed({field: [_("Kies een vergadering van de Stuurgroep.")]})
    if value.body != "steering":
        raise ValidationFailed(
            {field: [_("Alleen de Stuurgroep besluit; kies een vergadering van de Stuurgroep.")]}
        )
    return value


def _decision_fields(extra: dict[str, Any], *, outcomes: list[str] | None = None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    outcome = str(extra.get("outcome") or "")
    if outcomes is not None and outcome not in outcomes:
        errors["outcome"] = [_("Kies de uitkomst van het besluit.")]
    text = str(extra.get("decision_text") or "").strip()
    if not text:
        errors["decision_text"] = [_("Schrijf de besluittekst.")]
    elif len(text) > TEXT_MAX:
        errors["decision_text"] = [_("Hoogstens %(n)d tekens.") % {"n": TEXT_MAX}]
    reasons = str(extra.get("reasons") or "").strip()
    if len(reasons) > TEXT_MAX:
        errors["reasons"] = [_("Hoogstens %(n)d tekens.") % {"n": TEXT_MAX}]
    if outcome in (OUT.REJECTED, OUT.DEFERRED, OUT.AMENDED) and not reasons:
        errors["reasons"] = [_("Geef de overwegingen bij dit besluit.")]
    confidential = bool(extra.get("confidential"))
    confidential_reason = str(extra.get("confidential_reason") or "").strip()
    if confidential and not confidential_reason:
        errors["confidential_reason"] = [_("Geef de reden van vertrouwelijkheid.")]
    elif len(confidential_reason) > 500:
        errors["confidential_reason"] = [_("Hoogstens %(n)d tekens.") % {"n": 500}]
    if errors:
        raise ValidationFailed(errors)
    return {
        "outcome": outcome,
        "text": text,
        "reasons": reasons,
        "confidential": confidential,
        "confidential_reason": confidential_reason,
    }


@transaction.atomic
def proposal_transition(
    *, viewer: Viewer, proposal: Proposal, to_state: str, note: str = "", source: str = "web", **extra: Any
) -> Proposal:
    """Move a proposal one step along `transitions.PROPOSAL_TRANSITIONS`. Extras:

    * scheduled: ``meeting`` (a Steering group meeting; the proposal goes on its agenda);
    * decided: ``outcome`` (adopted, amended, rejected, deferred), ``decision_text``, ``reasons``
      (required unless adopted), optional ``confidential`` + ``confidential_reason``; the decision is
      recorded in the meeting and appears on the decision log;
    * follow_up: only after adoption (with or without amendments);
    * decided → scheduled: only after a deferral, with a ``meeting``;
    * decided → closed: only after rejection or deferral; follow_up → closed when every action is
      done or cancelled; closed always needs a ``note``.
    """
    locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not permissions.proposal_visible(viewer, locked):
        raise PermissionDenied("proposal")
    note = (note or "").strip()
    _check_step("proposal", viewer, locked, to_state, note, extra)
    from_state = locked.state
    fields = ["state", "state_changed_at"]
    decision_data = None
    last = _last_decision(locked) if from_state == P.DECIDED else None
    if to_state == P.SCHEDULED:
        if from_state == P.DECIDED and (last is None or last.outcome != OUT.DEFERRED):
            raise ValidationFailed(
                {"to_state": [_("Alleen een aangehouden voorstel gaat opnieuw op de agenda.")]}
            )
        meeting = _meeting(extra.get("meeting"))
        locked.meeting = meeting
        locked.agenda_position = locked.agenda_position or (meeting.agenda.count() + 1)
        fields += ["meeting", "agenda_position"]
    elif to_state == P.SUBMITTED and from_state == P.SCHEDULED:
        locked.meeting = None
        fields.append("meeting")
    elif to_state == P.DECIDED:
        decision_data = _decision_fields(extra, outcomes=list(OUT.values))
        if locked.confidential:
            decision_data["confidential"] = True
            decision_data["confidential_reason"] = (
                decision_data["confidential_reason"] or locked.confidential_reason
            )
        elif decision_data["confidential"]:
            # A confidential decision makes the proposal confidential too: its text, actions and
            # timeline would otherwise tell what was decided.
            locked.confidential = True
            locked.confidential_reason = decision_data["confidential_reason"]
            fields += ["confidential", "confidential_reason"]
    elif to_state == P.FOLLOW_UP:
        if last is None or last.outcome not in (OUT.ADOPTED, OUT.AMENDED):
            raise ValidationFailed({"to_state": [_("Alleen een aangenomen voorstel krijgt vervolgacties.")]})
    elif to_state == P.CLOSED:
        if from_state == P.DECIDED and (last is None or last.outcome not in (OUT.REJECTED, OUT.DEFERRED)):
            raise ValidationFailed(
                {"to_state": [_("Een aangenomen voorstel wordt eerst uitgevoerd (vervolgacties).")]}
            )
        if from_state == P.FOLLOW_UP:
            unfinished = locked.actions.exclude(
                status__in=[FollowUpAction.Status.DONE, FollowUpAction.Status.CANCELLED]
            )
            if unfinished.exists():
                raise ValidationFailed({"to_state": [_("Nog niet alle vervolgacties zijn afgerond.")]})
    now = timezone.now()
    locked.state = to_state
    locked.state_changed_at = now
    locked.save(update_fields=fields)
    summary = ""
    if decision_data is not None:
        decision = Decision.objects.create(
            proposal=locked, meeting=locked.meeting, decided_at=now, recorded_by=viewer.user, **decision_data
        )
        summary = decision.outcome  # shown through the outcome labels, in the reader's language
        search_outbox_add("decision", decision.pk)
    if to_state == P.CLOSED and from_state == P.DECIDED:
        # Rejected or dropped: its signals go back to review.
        # (a consequence of the decision, not a step someone takes: no role check on the signals)
        for signal in locked.signals.filter(state=SG.BUNDLED):
            Signal.objects.filter(pk=signal.pk).update(state=SG.REVIEW, state_changed_at=now)
            _event(
                "signal",
                signal,
                viewer=viewer,
                from_state=SG.BUNDLED,
                to_state=SG.REVIEW,
                summary=_("Voorstel afgesloten zonder aanneming: %(t)s")
                % {"t": _("vertrouwelijk voorstel") if locked.confidential else locked.title},
            )
            search_outbox_add("signal", signal.pk)
    _event(
        "proposal",
        locked,
        viewer=viewer,
        from_state=from_state,
        to_state=to_state,
        summary=summary,
        note=note,
    )
    history_record(
        instance=locked,
        action="update",
        actor=viewer.user,
        changes={"state": {"old": from_state, "new": to_state}},
        source=source,
    )
    search_outbox_add("proposal", locked.pk)
    if to_state == P.SCHEDULED:
        notices.proposal_scheduled(proposal=locked, actor=viewer.user)
    elif to_state == P.DECIDED:
        notices.decision_taken(proposal=locked, actor=viewer.user)
    for name in fields:
        setattr(proposal, name, getattr(locked, name))
    return proposal


@transaction.atomic
def action_add(*, viewer: Viewer, proposal: Proposal, form: ActionForm, owner: Any = None) -> FollowUpAction:
    """A follow-up action (chair or secretary of the Steering group) on a decided or followed-up proposal."""
    _require(permissions.is_chair(viewer), "proposal")
    if proposal.state not in (P.DECIDED, P.FOLLOW_UP):
        raise ValidationFailed({"proposal": [_("Vervolgacties horen bij een aangenomen voorstel.")]})
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    action: FollowUpAction = form.save(commit=False)
    action.proposal = proposal
    action.owner = owner
    action.save()
    _event("proposal", proposal, viewer=viewer, summary=_("Vervolgactie: %(t)s") % {"t": action.description})
    return action


@transaction.atomic
def action_update(*, viewer: Viewer, action: FollowUpAction, form: ActionProgressForm) -> FollowUpAction:
    """Progress and status of an action (its owner, the chair or secretary)."""
    _require(permissions.can_update_action(viewer, action), "action")
    if action.proposal.state != P.FOLLOW_UP:
        raise ValidationFailed({"status": [_("Het voorstel is niet (meer) in uitvoering.")]})
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    updated: FollowUpAction = form.save(commit=False)
    if updated.status == FollowUpAction.Status.DONE:
        updated.progress = 100
    updated.save(update_fields=["progress", "status"])
    _event(
        "proposal",
        action.proposal,
        viewer=viewer,
        summary=_("%(t)s: %(s)s (%(p)d%%)")
        % {"t": updated.description, "s": updated.get_status_display(), "p": updated.progress},
    )
    return updated


# ==== meetings ================================================================================================


@transaction.atomic
def meeting_create(*, viewer: Viewer, form: MeetingForm) -> Meeting:
    _require(permissions.is_chair(viewer), "meeting")
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    meeting: Meeting = form.save(commit=False)
    meeting.created_by = viewer.user
    meeting.save()
    history_record(instance=meeting, action="create", actor=viewer.user)
    return meeting


@transaction.atomic
def meeting_minutes(*, viewer: Viewer, meeting: Meeting, form: MinutesForm) -> Meeting:
    _require(permissions.is_chair(viewer), "meeting")
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    form.save()
    history_record(
        instance=meeting, action="update", actor=viewer.user, changes={"minutes": {"old": None, "new": "…"}}
    )
    return meeting


# ==== standards ===============================================================================================


@transaction.atomic
def standard_create(*, viewer: Viewer, form: StandardForm, version_form: VersionForm) -> Standard:
    """A new standard with its first version as a draft (Initiative group members)."""
    _require(permissions.is_initiative(viewer), "standard")
    ok = form.is_valid()
    ok = version_form.is_valid() and ok
    if not ok:
        raise ValidationFailed({**_errors(form), **_errors(version_form)})
    standard: Standard = form.save(commit=False)
    standard.slug = unique_slug(Standard, standard.title)
    standard.created_by = viewer.user
    standard.save()
    version: StandardVersion = version_form.save(commit=False)
    version.standard = standard
    version.number = 1
    version.state = V.DRAFT
    version.save()
    _event("standard", version, viewer=viewer, to_state=V.DRAFT, summary=str(version))
    Follow.objects.get_or_create(user=viewer.user, target="standard", target_id=standard.pk)
    return standard


@transaction.atomic
def version_create(*, viewer: Viewer, standard: Standard, form: VersionForm) -> StandardVersion:
    """The next version of a standard, as a draft; one draft or consultation at a time."""
    _require(permissions.is_initiative(viewer), "standard")
    if standard.versions.filter(state__in=[V.DRAFT, V.CONSULTATION]).exists():
        raise ValidationFailed({"__all__": [_("Er is al een versie in voorbereiding of in consultatie.")]})
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    version: StandardVersion = form.save(commit=False)
    version.standard = standard
    version.number = (standard.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version.state = V.DRAFT
    version.save()
    _event("standard", version, viewer=viewer, to_state=V.DRAFT, summary=str(version))
    return version


@transaction.atomic
def version_transition(
    *,
    viewer: Viewer,
    version: StandardVersion,
    to_state: str,
    note: str = "",
    source: str = "web",
    **extra: Any,
) -> StandardVersion:
    """Move a version of a standard one step. Extras: ``closes_on`` (consultation, optional date);
    ``decision_text``, ``reasons``, ``meeting`` (adopted: the decision is recorded and the
    previously adopted version is superseded)."""
    locked = StandardVersion.objects.select_for_update().get(pk=version.pk)
    note = (note or "").strip()
    _check_step("standard", viewer, locked, to_state, note, extra)
    from_state = locked.state
    fields = ["state", "state_changed_at"]
    now = timezone.now()
    decision = None
    if to_state == V.CONSULTATION:
        closes_on = extra.get("closes_on")
        if closes_on is not None:
            if not isinstance(closes_on, dt.date) or closes_on < timezone.localdate():
                raise ValidationFailed({"closes_on": [_("Kies een datum vanaf vandaag.")]})
            locked.consultation_closes_on = closes_on
            fields.append("consultation_closes_on")
    if to_state == V.ADOPTED:
        data = _decision_fields({**extra, "outcome": OUT.ADOPTED})
        meeting = extra.get("meeting")
        if meeting is not None:
            _meeting(meeting)
        for older in StandardVersion.objects.filter(standard=locked.standard, state=V.ADOPTED):
            older.state = V.SUPERSEDED
            older.state_changed_at = now
            older.save(update_fields=["state", "state_changed_at"])
            _event(
                "standard",
                older,
                viewer=viewer,
                from_state=V.ADOPTED,
                to_state=V.SUPERSEDED,
                summary="",
            )
        data["outcome"] = OUT.ADOPTED
        decision = Decision.objects.create(
            standard_version=locked, meeting=meeting, decided_at=now, recorded_by=viewer.user, **data
        )
        search_outbox_add("decision", decision.pk)
    locked.state = to_state
    locked.state_changed_at = now
    locked.save(update_fields=fields)
    _event(
        "standard",
        locked,
        viewer=viewer,
        from_state=from_state,
        to_state=to_state,
        summary="",
        note=note,
    )
    history_record(
        instance=locked,
        action="update",
        actor=viewer.user,
        changes={"state": {"old": from_state, "new": to_state}},
        source=source,
    )
    for name in fields:
        setattr(version, name, getattr(locked, name))
    return version


@transaction.atomic
def comment_add(*, viewer: Viewer, version: StandardVersion, form: CommentForm) -> ConsultationComment:
    """A consultation comment on one section (anyone signed in, while the version is in consultation)."""
    _require(viewer.is_authenticated, "standard")
    if version.state != V.CONSULTATION:
        raise ValidationFailed({"__all__": [_("Deze versie is niet in consultatie.")]})
    if version.consultation_closes_on and version.consultation_closes_on < timezone.localdate():
        raise ValidationFailed({"__all__": [_("De consultatie is gesloten.")]})
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    keys = {s.key for s in selectors.sections(version.body)}
    if form.cleaned_data["section"] not in keys:
        raise ValidationFailed({"section": [_("Kies een onderdeel van de standaard.")]})
    comment: ConsultationComment = form.save(commit=False)
    comment.version = version
    comment.author = viewer.user
    comment.save()
    _event(
        "standard", version, viewer=viewer, summary=_("Consultatiereactie op %(s)s") % {"s": comment.section}
    )
    return comment


@transaction.atomic
def self_assess(
    *, viewer: Viewer, hub: Hub, version: StandardVersion, answers: list[tuple[bool, str]]
) -> SelfAssessment:
    """A hub's self-assessment against an adopted version: one (met, evidence) per checklist line."""
    _require(permissions.can_assess(viewer, hub), "assessment")
    if version.state != V.ADOPTED:
        raise ValidationFailed({"__all__": [_("Een zelfevaluatie gaat over een vastgestelde versie.")]})
    criteria = selectors.checklist(version)
    if len(answers) != len(criteria):
        raise ValidationFailed({"__all__": [_("Beantwoord elk criterium.")]})
    errors: dict[str, list[str]] = {}
    items = []
    for i, (criterion, (met, evidence)) in enumerate(zip(criteria, answers, strict=True)):
        evidence = (evidence or "").strip()
        if len(evidence) > NOTE_MAX:
            errors[f"evidence_{i}"] = [_("Hoogstens %(n)d tekens.") % {"n": NOTE_MAX}]
        elif met and not evidence:
            errors[f"evidence_{i}"] = [_("Onderbouw met bewijs waarom aan dit criterium is voldaan.")]
        items.append({"criterion": criterion, "met": bool(met), "evidence": evidence})
    if errors:
        raise ValidationFailed(errors)
    return SelfAssessment.objects.create(
        hub=hub,
        version=version,
        items=items,
        met_count=sum(1 for i in items if i["met"]),
        total_count=len(items),
        assessed_by=viewer.user,
    )


# ==== follows and the digest ==================================================================================


def _target_object(target: str, target_id: int) -> Any:
    model: Any = {"signal": Signal, "proposal": Proposal, "standard": Standard}.get(target)
    if model is None:
        raise ValidationFailed({"target": [_("Volg een signaal, voorstel of standaard.")]})
    obj = model.objects.filter(pk=target_id).first()
    if obj is None:
        raise NotFound(target)
    return obj


@transaction.atomic
def follow(
    *, viewer: Viewer, target: str, target_id: int, frequency: str = Follow.Frequency.WEEKLY
) -> Follow:
    _require(viewer.is_authenticated, "follow")
    obj = _target_object(target, target_id)
    if target == "proposal" and not permissions.proposal_visible(viewer, obj):
        raise NotFound(target)
    if frequency not in Follow.Frequency.values:
        raise ValidationFailed({"frequency": [_("Kies dagelijks of wekelijks.")]})
    row, made = Follow.objects.get_or_create(
        user=viewer.user, target=target, target_id=target_id, defaults={"frequency": frequency}
    )
    if not made and row.frequency != frequency:
        row.frequency = frequency
        row.save(update_fields=["frequency"])
    return row


@transaction.atomic
def unfollow(*, viewer: Viewer, target: str, target_id: int) -> None:
    _require(viewer.is_authenticated, "follow")
    Follow.objects.filter(user=viewer.user, target=target, target_id=target_id).delete()


def digest_send(*, frequency: str, now: dt.datetime | None = None, base_url: str = "") -> int:
    """Email each follower (with this frequency) what happened to what they follow since their last
    digest (or the last day or week). Confidential proposals show only that something changed.
    Returns the number of emails sent."""
    now = now or timezone.now()
    period = dt.timedelta(days=1 if frequency == Follow.Frequency.DAILY else 7)
    follows = list(
        Follow.objects.filter(frequency=frequency).select_related("user").order_by("user_id", "id")
    )
    by_user: dict[int, list[Follow]] = defaultdict(list)
    for row in follows:
        if row.user.is_active and row.user.email:
            by_user[row.user_id].append(row)
    sent = 0
    for rows in by_user.values():
        user = rows[0].user
        viewer = viewer_for(user)
        since = min((r.last_sent_at or now - period) for r in rows)
        lines: list[str] = []
        with translation.override(settings.LANGUAGE_CODE):
            for row in rows:
                lines += selectors.digest_lines(
                    viewer,
                    row,
                    since=max(row.last_sent_at or now - period, since),
                    until=now,
                    base_url=base_url,
                )
            if lines:
                subject = _("PLeK sturing: wat er veranderde in wat u volgt")
                body = "\n".join([_("Wat er veranderde sinds uw vorige samenvatting:"), "", *lines])
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
                sent += 1
        Follow.objects.filter(pk__in=[r.pk for r in rows]).update(last_sent_at=now)
    return sent
