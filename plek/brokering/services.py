"""Writes to brokering. Every write is permission-checked here, atomic, and leaves a history row.

A question changes state only through `question_transition`: the one place that reads the table in
`transitions.py`, checks who may take the step and what it needs, and records the event."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable
from typing import Any

from django.core.mail import send_mail
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from plek.atlas.models import Hub, HubMembership, Network, Organisation, Person, Programme
from plek.atlas.permissions import Viewer, can_view
from plek.atlas.services import unique_slug
from plek.brokering import notices, permissions, routing, transitions
from plek.brokering.forms import QuestionForm
from plek.brokering.models import (
    NOTE_MAX_CHARS,
    TEXT_MAX_CHARS,
    Answer,
    Evaluation,
    Introduction,
    MatchFeedback,
    Question,
    QuestionEvent,
)
from plek.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from plek.core.history import diff, history_record, snapshot
from plek.core.outbox import search_outbox_add
from plek.knowledge.models import KnowledgeItem
from plek.notifications.mail import header_text

logger = logging.getLogger(__name__)

S = Question.State

TRACKED = [
    "title",
    "text",
    "context",
    "regions",
    "themes",
    "answer_kind",
    "wanted_by",
    "asker_role",
    "asker_organisation",
    "visibility",
    "owner_hub",
    "state",
]
# What a transition may change.
TRANSITION_TRACKED = [
    "state",
    "broker",
    "owner_hub",
    "merged_into",
    "referred_to_hub",
    "referred_to_programme",
    "referred_to_network",
]


def question_form(*, viewer: Viewer, data: Any = None) -> QuestionForm:
    return QuestionForm(data=data, viewer=viewer)


@transaction.atomic
def question_submit(*, viewer: Viewer, form: QuestionForm, source: str = "web") -> Question:
    """Ask a question (anyone signed in). The asker is the viewer; the handling hub is the one chosen
    or, when none is, the hub of the area (see selectors.hub_for_regions)."""
    if not permissions.can_submit(viewer):
        raise PermissionDenied("question")
    if not form.is_valid():
        raise ValidationFailed({f: [str(e) for e in errs] for f, errs in form.errors.items()})
    question: Question = form.save(commit=False)
    now = timezone.now()
    question.slug = unique_slug(Question, question.title)
    question.asker = question.created_by = viewer.user
    question.state = S.SUBMITTED
    question.submitted_at = question.state_changed_at = now
    question.save()
    form.save_m2m()
    QuestionEvent.objects.create(
        question=question, from_state=None, to_state=S.SUBMITTED, actor=viewer.user, at=now
    )
    history_record(
        instance=question,
        action="create",
        actor=viewer.user,
        changes=diff({}, snapshot(question, TRACKED)),
        source=source,
    )
    search_outbox_add("question", question.pk)
    notices.question_submitted(question=question, actor=viewer.user)
    return question


@transaction.atomic
def question_transition(
    *,
    viewer: Viewer,
    question: Question,
    to_state: str,
    note: str = "",
    source: str = "web",
    **extra: Any,
) -> Question:
    """Move a question one step along the table in `transitions.py`.

    Raises PermissionDenied (the viewer may not see the question, or may not take this step),
    TransitionNotAllowed (the table has no such step from the current state) or ValidationFailed (a
    required extra is missing or wrong). A refused step changes nothing. Extras per step:

    * triaged: ``broker`` (a user who is a member of the handling hub), optional;
    * referred: ``note`` (handover) and exactly one of ``referred_to_hub`` (another brokering hub; the
      question moves there and loses its broker), ``referred_to_programme``, ``referred_to_network``;
    * declined: ``note`` (the reason);
    * merged: ``merged_into``, another question the viewer can see that is not itself merged (questions
      merged into this one follow it to the new target);
    * closed: ``usefulness`` 1-5 and optional ``comment`` (the asker's evaluation, once there is
      something to rate), or a ``note``.
    """
    if to_state not in S.values:
        raise ValidationFailed({"to_state": [_("Onbekende status: %(s)s.") % {"s": to_state}]})
    # Lock the row: two people acting at once cannot both take a step from the same state.
    locked = Question.objects.select_for_update().get(pk=question.pk)
    if not permissions.question_visible(viewer, locked):
        raise PermissionDenied("question")
    from_state = locked.state
    allowed = transitions.allowed_roles(from_state, to_state)
    if allowed is None:
        raise TransitionNotAllowed(
            from_state,
            to_state,
            workflow="question",
            possible=list(transitions.TRANSITIONS.get(from_state or "", {})),
        )
    roles = permissions.question_roles(viewer, locked)
    if not roles & allowed:
        raise PermissionDenied("question")
    note = (note or "").strip()
    plan = _plan(viewer=viewer, question=locked, roles=roles, to_state=to_state, note=note, extra=extra)

    before = snapshot(locked, TRANSITION_TRACKED)
    now = timezone.now()
    for name, value in plan.changes.items():
        setattr(locked, name, value)
    locked.state = to_state
    locked.state_changed_at = now
    locked.save(update_fields=[*plan.changes, "state", "state_changed_at", "updated_at"])
    QuestionEvent.objects.create(
        question=locked,
        from_state=from_state,
        to_state=to_state,
        actor=viewer.user if viewer.is_authenticated else None,
        at=now,
        note=note,
        details=plan.details,
    )
    if plan.usefulness is not None:
        Evaluation.objects.create(
            question=locked, usefulness=plan.usefulness, comment=plan.comment, by=viewer.user, at=now
        )
    changes = diff(before, snapshot(locked, TRANSITION_TRACKED))
    if note:
        changes["note"] = {"old": None, "new": note}
    if plan.usefulness is not None:
        changes["evaluation"] = {"old": None, "new": plan.usefulness}
    history_record(instance=locked, action="update", actor=viewer.user, changes=changes, source=source)
    if to_state == S.MERGED:
        _follow_merge(viewer=viewer, merged=locked, source=source)
    search_outbox_add("question", locked.pk)
    notices.question_moved(question=locked, from_state=from_state, to_state=to_state, actor=viewer.user)
    for name in [*plan.changes, "state", "state_changed_at", "updated_at"]:
        setattr(question, name, getattr(locked, name))
    return question


class _Plan:
    """What a validated step will change, beside the state."""

    def __init__(self) -> None:
        self.changes: dict[str, Any] = {}
        self.details: dict[str, str] = {}
        self.usefulness: int | None = None
        self.comment = ""


def _plan(
    *,
    viewer: Viewer,
    question: Question,
    roles: frozenset[str],
    to_state: str,
    note: str,
    extra: dict[str, Any],
) -> _Plan:
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(extra) - transitions.EXTRA_FIELDS.get(to_state, frozenset()))
    for name in unknown:
        errors[name] = [_("Hoort niet bij deze stap.")]
    if len(note) > NOTE_MAX_CHARS:
        errors["note"] = [_("Hoogstens %(n)d tekens.") % {"n": NOTE_MAX_CHARS}]
    elif to_state in transitions.NOTE_REQUIRED and not note:
        errors["note"] = [
            _("Schrijf een overdrachtsnotitie.") if to_state == S.REFERRED else _("Geef een reden.")
        ]
    plan = _Plan()
    if not unknown:
        check = _STEP_CHECKS.get(to_state)
        if check is not None:
            check(viewer, question, roles, note, extra, plan, errors)
    if errors:
        raise ValidationFailed(errors)
    return plan


def _plan_triage(
    viewer: Viewer,
    question: Question,
    roles: frozenset[str],
    note: str,
    extra: dict[str, Any],
    plan: _Plan,
    errors: dict[str, list[str]],
) -> None:
    broker = extra.get("broker")
    if broker is None:
        return
    if not getattr(broker, "pk", None) or not broker.is_active:
        errors["broker"] = [_("Onbekende gebruiker.")]
        return
    if question.owner_hub_id is None:
        eligible = bool(broker.is_superuser)
    else:
        eligible = HubMembership.objects.filter(hub_id=question.owner_hub_id, user=broker).exists()
    if not eligible:
        errors["broker"] = [_("De kennismakelaar moet lid zijn van de kennishub die de vraag behandelt.")]
        return
    plan.changes["broker"] = broker
    plan.details["broker"] = str(broker)  # the display name (a timeline shows names, not logins)


def _plan_referral(
    viewer: Viewer,
    question: Question,
    roles: frozenset[str],
    note: str,
    extra: dict[str, Any],
    plan: _Plan,
    errors: dict[str, list[str]],
) -> None:
    targets = {k: v for k, v in extra.items() if v is not None}
    if len(targets) != 1:
        errors["referred_to_hub"] = [
            _("Kies één bestemming: een kennishub, een nationaal programma of een netwerk.")
        ]
        return
    plan.changes.update(referred_to_hub=None, referred_to_programme=None, referred_to_network=None)
    if question.owner_hub_id is not None:
        plan.details["from_hub"] = question.owner_hub.name  # type: ignore[union-attr]
    hub = targets.get("referred_to_hub")
    programme = targets.get("referred_to_programme")
    network = targets.get("referred_to_network")
    if hub is not None:
        if not isinstance(hub, Hub) or not hub.offers_brokering:
            errors["referred_to_hub"] = [_("Deze kennishub neemt geen vragen aan.")]
        elif hub.pk == question.owner_hub_id:
            errors["referred_to_hub"] = [_("De vraag ligt al bij deze kennishub.")]
        else:
            # The question moves: the receiving hub's coordinators triage it and assign their own broker.
            # A hub without an active coordinator passes it on to the next desk up (routing.py).
            desk = hub
            if hub.pk not in routing.staffed_hub_ids([hub.pk]) and not routing.is_national_desk(hub):
                region_ids = list(question.regions.values_list("pk", flat=True))
                desk = routing.next_desk(current=hub, region_ids=region_ids) or routing.national_desk()
            if desk.pk == question.owner_hub_id:
                errors["referred_to_hub"] = [
                    _(
                        "Deze kennishub heeft geen coördinator; de vraag ligt al bij het loket dat haar vervangt."
                    )
                ]
                return
            plan.changes.update(referred_to_hub=hub, owner_hub=desk, broker=None)
            plan.details["hub"] = hub.name
            if desk.pk != hub.pk:
                plan.details["desk"] = desk.name
    elif programme is not None:
        if not isinstance(programme, Programme):
            errors["referred_to_programme"] = [_("Onbekend nationaal programma.")]
        else:
            plan.changes["referred_to_programme"] = programme
            plan.details["programme"] = programme.name
    elif network is not None:
        if not isinstance(network, Network) or not can_view(viewer, network):
            errors["referred_to_network"] = [_("Onbekend netwerk.")]
        else:
            plan.changes["referred_to_network"] = network
            plan.details["network"] = network.name


def _plan_merge(
    viewer: Viewer,
    question: Question,
    roles: frozenset[str],
    note: str,
    extra: dict[str, Any],
    plan: _Plan,
    errors: dict[str, list[str]],
) -> None:
    target = extra.get("merged_into")
    if not isinstance(target, Question) or not permissions.question_visible(viewer, target):
        errors["merged_into"] = [_("Kies de vraag waarmee deze samengaat.")]
    elif target.pk == question.pk:
        errors["merged_into"] = [_("Een vraag kan niet met zichzelf samengaan.")]
    elif Question.objects.filter(pk=target.pk, state=S.MERGED).exists():
        errors["merged_into"] = [_("Die vraag is zelf al samengevoegd; kies de vraag waarin zij opging.")]
    else:
        plan.changes["merged_into"] = target
        plan.details["merged_into"] = target.title


def _plan_close(
    viewer: Viewer,
    question: Question,
    roles: frozenset[str],
    note: str,
    extra: dict[str, Any],
    plan: _Plan,
    errors: dict[str, list[str]],
) -> None:
    usefulness = extra.get("usefulness")
    comment = str(extra.get("comment") or "").strip()
    if usefulness is None:
        if comment:
            errors["usefulness"] = [_("Geef bij uw opmerking een beoordeling van 1 tot 5.")]
        elif not note:
            errors["note"] = [_("Geef een beoordeling of een toelichting.")]
        return
    if transitions.ASKER not in roles:
        errors["usefulness"] = [_("Alleen de vraagsteller beoordeelt het antwoord.")]
        return
    if question.state not in transitions.RATABLE_FROM:
        errors["usefulness"] = [_("Er is nog geen antwoord om te beoordelen; geef een toelichting.")]
        return
    try:
        value = int(usefulness)
    except (TypeError, ValueError):
        value = 0
    if isinstance(usefulness, bool) or not 1 <= value <= 5:
        errors["usefulness"] = [_("Een beoordeling van 1 tot 5.")]
        return
    if len(comment) > NOTE_MAX_CHARS:
        errors["comment"] = [_("Hoogstens %(n)d tekens.") % {"n": NOTE_MAX_CHARS}]
        return
    plan.usefulness, plan.comment = value, comment


_Check = Callable[[Viewer, Question, frozenset[str], str, dict[str, Any], _Plan, dict[str, list[str]]], None]
_STEP_CHECKS: dict[str, _Check] = {
    S.TRIAGED: _plan_triage,
    S.REFERRED: _plan_referral,
    S.MERGED: _plan_merge,
    S.CLOSED: _plan_close,
}


def _follow_merge(*, viewer: Viewer, merged: Question, source: str) -> None:
    """Questions merged into `merged` earlier now point at its target, so a merge chain is one step."""
    followers = list(Question.objects.filter(merged_into=merged).exclude(pk=merged.pk))
    if not followers:
        return
    Question.objects.filter(pk__in=[q.pk for q in followers]).update(
        merged_into=merged.merged_into, updated_at=timezone.now()
    )
    for follower in followers:
        history_record(
            instance=follower,
            action="update",
            actor=viewer.user,
            changes={"merged_into": {"old": str(merged), "new": str(merged.merged_into)}},
            source=source,
        )


# --------------------------------------------------------------------------------------------------
# Matching feedback, introductions, answers

WORKING_STATES = (S.TRIAGED, S.MATCHING, S.CONNECTED)


def require_worker(viewer: Viewer, question: Question) -> frozenset[str]:
    if not permissions.question_visible(viewer, question):
        raise PermissionDenied("question")
    roles = permissions.question_roles(viewer, question)
    if not roles & transitions.WORKERS:
        raise PermissionDenied("question")
    return roles


@transaction.atomic
def match_decide(
    *, viewer: Viewer, question: Question, kind: str, target_id: int, decision: str
) -> MatchFeedback:
    """The broker accepts or rejects a matching candidate. Stored with the score, rank and reasons the
    candidate had, for tuning; a rejected candidate never comes back for this question. A verdict can be
    changed (accepting a rejected one again, say) until the question is answered."""
    from plek.brokering import matching

    require_worker(viewer, question)
    errors: dict[str, list[str]] = {}
    if kind not in MatchFeedback.Kind.values:
        errors["kind"] = [_("Onbekende soort kandidaat: %(k)s.") % {"k": kind}]
    if decision not in MatchFeedback.Decision.values:
        errors["decision"] = [_("Kies accepteren of afwijzen.")]
    if errors:
        raise ValidationFailed(errors)
    if question.state not in WORKING_STATES:
        raise ValidationFailed(
            {"question": [_("Matches beoordelen kan alleen terwijl de vraag in behandeling is.")]}
        )
    existing = MatchFeedback.objects.filter(question=question, kind=kind, target_id=target_id).first()
    cand = matching.candidate_lookup(viewer=viewer, question=question, kind=kind, target_id=target_id)
    if cand is None and existing is None:
        raise ValidationFailed({"target": [_("Deze kandidaat hoort niet bij de matches van deze vraag.")]})
    now = timezone.now()
    if existing is not None:
        existing.decision, existing.actor, existing.at = decision, viewer.user, now
        existing.save(update_fields=["decision", "actor", "at"])
        feedback = existing
    else:
        assert cand is not None  # nosec B101 # type narrowing after the candidate query
        feedback = MatchFeedback.objects.create(
            question=question,
            kind=kind,
            target_id=target_id,
            title=cand.title[:500],
            decision=decision,
            score=cand.score,
            rank=cand.rank,
            reason="; ".join(cand.reasons),
            actor=viewer.user,
            at=now,
        )
    history_record(
        instance=question,
        action="update",
        actor=viewer.user,
        changes={"match": {"old": None, "new": f"{kind}:{target_id} {decision}"}},
        source="web",
    )
    return feedback


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def introduction_create(
    *,
    viewer: Viewer,
    question: Question,
    person: Person | None = None,
    network: Network | None = None,
    organisation: Organisation | None = None,
    message: str,
    base_url: str = "",
) -> Introduction:
    """The broker introduces the asker to a person or a network (its contact person's e-mail). The
    introduced side gets an e-mail with a private link to accept or decline; nobody's contact details
    are shown before that (see selectors.introductions_for). The first introduction moves a question
    that is being matched to "connected"."""
    require_worker(viewer, question)
    message = (message or "").strip()
    errors: dict[str, list[str]] = {}
    if organisation is not None:
        # An organisation that matched is introduced through its contact person: the first person of
        # the organisation (by name) the broker may see and who has an e-mail address.
        if person is not None or network is not None or not can_view(viewer, organisation):
            raise ValidationFailed({"target": [_("Kies één persoon, netwerk of organisatie.")]})
        person = organisation_contact(viewer=viewer, organisation=organisation)
        if person is None:
            raise ValidationFailed(
                {"organisation": [_("Van deze organisatie is geen contactpersoon met e-mailadres bekend.")]}
            )
    if (person is None) == (network is None):
        errors["target"] = [_("Kies één persoon of één netwerk.")]
    if not message:
        errors["message"] = [_("Schrijf een korte toelichting voor wie u introduceert.")]
    elif len(message) > NOTE_MAX_CHARS:
        errors["message"] = [_("Hoogstens %(n)d tekens.") % {"n": NOTE_MAX_CHARS}]
    if question.state not in (S.MATCHING, S.CONNECTED):
        errors["question"] = [
            _("Introduceren kan wanneer de vraag in de fase 'kennis zoeken' of 'in contact gebracht' is.")
        ]
    target = person or network
    if target is not None and not can_view(viewer, target):
        errors["target"] = [_("Deze persoon of dit netwerk bestaat niet.")]
    email = ""
    if person is not None:
        email = person.email or (person.account.email if person.account_id and person.account else "")
    elif network is not None:  # the network's coordinator answers for it
        contact = (
            Person.objects.filter(network_links__network=network, network_links__role="coordinator")
            .exclude(email="")
            .order_by("name", "pk")
            .first()
        )
        email = contact.email if contact is not None else ""
    if target is not None and not email and "target" not in errors:
        errors["target"] = [_("Van deze persoon of dit netwerk is geen e-mailadres bekend.")]
    if (
        target is not None
        and Introduction.objects.filter(question=question, person=person, network=network)
        .exclude(status=Introduction.Status.DECLINED)
        .exists()
    ):
        errors["target"] = [_("Deze introductie is al gemaakt.")]
    if errors:
        raise ValidationFailed(errors)
    secret = secrets.token_urlsafe(32)
    intro = Introduction.objects.create(
        question=question,
        person=person,
        network=network,
        organisation=organisation,
        message=message,
        token=_secret_hash(secret),
        created_by=viewer.user,
    )
    if question.state == S.MATCHING:
        question_transition(
            viewer=viewer,
            question=question,
            to_state=S.CONNECTED,
            note=_("Introductie: %(n)s") % {"n": str(target)},
        )
    link = f"{base_url.rstrip('/')}{reverse('brokering:introduction-respond', args=[secret])}"
    body = render_to_string(
        "brokering/introduction_email.txt",
        {"question": question, "message": message, "link": link, "name": str(target)},
    )
    notices.introduction_made(intro=intro)
    # header_text: a title with CR/LF must not break (or inject into) the e-mail headers; the step is
    # saved, so a mail server that is down is logged, not raised.
    subject = header_text(_("Een kennisvraag voor u: %(t)s") % {"t": question.title[:120]})
    transaction.on_commit(lambda: _send_mail_logged(subject, body, email))
    history_record(
        instance=question,
        action="update",
        actor=viewer.user,
        changes={"introduction": {"old": None, "new": str(target)}},
        source="web",
    )
    return intro


def organisation_contact(*, viewer: Viewer, organisation: Organisation) -> Person | None:
    """The organisation's contact person for an introduction (see introduction_create)."""
    from plek.atlas.permissions import visible_q

    return (
        Person.objects.filter(visible_q(viewer), organisations=organisation)
        .exclude(email="")
        .order_by("name", "pk")
        .first()
    )


def introduction_for_account(*, viewer: Viewer, pk: int) -> Introduction | None:
    """An introduction of the signed-in person (their account is linked to the introduced person)."""
    if not viewer.is_authenticated:
        return None
    return (
        Introduction.objects.select_related("question", "person", "network", "question__asker")
        .filter(pk=pk, person__account_id=viewer.user_id)
        .first()
    )


@transaction.atomic
def introduction_respond_signed_in(
    *, viewer: Viewer, introduction: Introduction, accept: bool, note: str = ""
) -> Introduction:
    """The introduced person answers while signed in (from their notifications), once."""
    intro = introduction_for_account(viewer=viewer, pk=introduction.pk)
    if intro is None:
        raise PermissionDenied("introduction")
    return _respond(intro, accept=accept, note=note, actor=viewer.user)


def mail_subject(text: str) -> str:
    """One line for an e-mail `Subject:` header: user text (a question title) may hold CR/LF, which
    Django refuses in headers (`BadHeaderError`)."""
    return " ".join(text.split())


def _send_mail_logged(subject: str, body: str, to: str) -> None:
    """Send after commit; the step it follows is saved, so a failing mail is logged, not raised."""
    try:
        send_mail(subject, body, None, [to])
    except Exception:
        logger.exception("Could not send the introduction e-mail to %s", to)


def introduction_by_secret(secret: str) -> Introduction | None:
    if not secret or len(secret) > 200:
        return None
    return (
        Introduction.objects.select_related("question", "person", "network", "question__asker")
        .filter(token=_secret_hash(secret))
        .first()
    )


@transaction.atomic
def introduction_respond(*, secret: str, accept: bool, note: str = "") -> Introduction:
    """The introduced person accepts or declines (once), through the private link."""
    intro = introduction_by_secret(secret)
    if intro is None:
        raise PermissionDenied("introduction")
    return _respond(intro, accept=accept, note=note, actor=None)


def _respond(intro: Introduction, *, accept: bool, note: str, actor: Any) -> Introduction:
    intro = (
        Introduction.objects.select_for_update(of=("self",))
        .select_related("question", "person", "network")
        .get(pk=intro.pk)
    )
    if intro.status != Introduction.Status.PENDING:
        raise ValidationFailed({"status": [_("U hebt al geantwoord op deze introductie.")]})
    note = (note or "").strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationFailed({"note": [_("Hoogstens %(n)d tekens.") % {"n": NOTE_MAX_CHARS}]})
    intro.status = Introduction.Status.ACCEPTED if accept else Introduction.Status.DECLINED
    intro.response_note = note
    intro.responded_at = timezone.now()
    intro.save(update_fields=["status", "response_note", "responded_at"])
    history_record(
        instance=intro.question,
        action="update",
        actor=actor,
        changes={
            "introduction": {"old": "pending", "new": f"{intro.status} ({intro.person or intro.network})"}
        },
        source="web",
    )
    return intro


def require_answerer(viewer: Viewer, question: Question) -> bool:
    """Who may publish the answer: those who broker the question, and the brokers of the national
    programme it was referred to (while it is referred). Returns True for the latter."""
    if not permissions.question_visible(viewer, question):
        raise PermissionDenied("question")
    roles = permissions.question_roles(viewer, question)
    programme_only = transitions.PROGRAMME in roles and not roles & transitions.WORKERS
    if programme_only and question.state != S.REFERRED:
        raise PermissionDenied("question")
    if not roles & (transitions.WORKERS | {transitions.PROGRAMME}):
        raise PermissionDenied("question")
    return programme_only


@transaction.atomic
def answer_publish(
    *,
    viewer: Viewer,
    question: Question,
    text: str,
    source_items: list[KnowledgeItem] | None = None,
    source_people: list[Person] | None = None,
    source: str = "web",
) -> Answer:
    """Publish the synthesis: an Answer with sources and contributors, a knowledge item of kind
    "answered question" (same visibility as the question, findable by search), and the step to
    "answered". Answered from existing knowledge when nobody was introduced."""
    from plek.knowledge.services import knowledge_form, knowledge_save

    programme_only = require_answerer(viewer, question)
    text = (text or "").strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("Schrijf het antwoord.")]
    elif len(text) > TEXT_MAX_CHARS * 2:
        errors["text"] = [_("Hoogstens %(n)d tekens.") % {"n": TEXT_MAX_CHARS * 2}]
    items = list(source_items or [])
    people = list(source_people or [])
    if any(not can_view(viewer, i) for i in items):
        errors["source_items"] = [_("Een van de bronnen bestaat niet.")]
    if any(not can_view(viewer, p) for p in people):
        errors["source_people"] = [_("Een van de deskundigen bestaat niet.")]
    if transitions.allowed_roles(question.state, S.ANSWERED) is None:
        errors["question"] = [
            _("Deze vraag kan nu niet beantwoord worden (status: %(s)s).")
            % {"s": question.get_state_display()}
        ]
    if hasattr(question, "answer"):
        errors["question"] = [_("Deze vraag heeft al een antwoord.")]
    if errors:
        raise ValidationFailed(errors)
    # A programme's broker answers on behalf of the hub that handles the question: the knowledge item
    # belongs to that hub (the broker is no member of it, so they act as one for this write only).
    author = viewer
    if programme_only and question.owner_hub_id is not None:
        author = Viewer(
            user=viewer.user,
            is_authenticated=True,
            is_admin=viewer.is_admin,
            hub_ids=frozenset({question.owner_hub_id}),
            coordinator_hub_ids=frozenset(),
        )
    regions = list(question.regions.all().defer("geometry"))
    form = knowledge_form(
        viewer=author,
        instance=KnowledgeItem(owner_hub=question.owner_hub),
        data={
            "title": question.title,
            "kind": "answered_question",
            "summary": question.text[:2000],
            "body": text,
            "language": "nl",
            "date": timezone.localdate().isoformat(),
            "themes": [t.slug for t in question.themes.all()],
            "regions": [r.code for r in regions],
            "scale": "local" if regions and all(r.kind == "municipality" for r in regions) else "regional",
            "author_people": [p.slug for p in people],
            "provenance": "made_here",
            "visibility": question.visibility,
            "owner_hub": question.owner_hub.slug if question.owner_hub_id and question.owner_hub else "",
        },
    )
    try:
        item = knowledge_save(viewer=author, form=form, source=source)
    except ValidationFailed as exc:
        # The knowledge item is made from the question: what the caller sent is only the text, so
        # every other refusal is about the question (e.g. its hub), not a field of the request.
        mapped: dict[str, list[str]] = {}
        for field, messages in exc.errors.items():
            mapped.setdefault("text" if field == "body" else "question", []).extend(messages)
        raise ValidationFailed(mapped) from None
    from_existing = not question.introductions.filter(status=Introduction.Status.ACCEPTED).exists()
    answer = Answer.objects.create(
        question=question, text=text, knowledge_item=item, created_by=viewer.user, from_existing=from_existing
    )
    answer.source_items.set(items)
    answer.source_people.set(people)
    answer.contributors.set([viewer.user])
    question_transition(
        viewer=viewer, question=question, to_state=S.ANSWERED, note=_("Antwoord gepubliceerd."), source=source
    )
    search_outbox_add("question", question.pk)
    return answer


# --------------------------------------------------------------------------------------------------
# Escalation


def questions_reroute_unstaffed(*, now: Any = None) -> list[Question]:
    """Open questions at a hub that has no active coordinator any more (the coordinator left) move on
    to the next desk up at once, so no question waits where nobody answers (run with escalate)."""
    now = now or timezone.now()
    staffed = routing.staffed_hub_ids()
    stuck = (
        Question.objects.filter(state__in=transitions.OPEN_STATES)
        .exclude(owner_hub_id__in=sorted(staffed))
        .exclude(owner_hub__slug=routing.NATIONAL_DESK_SLUG)
        .order_by("submitted_at", "pk")
    )
    moved = []
    for question in stuck:
        question_escalate(question=question, now=now, reason="unstaffed")
        moved.append(question)
    return moved


@transaction.atomic
def question_escalate(
    *, question: Question, now: Any = None, source: str = "cron", reason: str = "overdue"
) -> Hub | None:
    """Move an overdue question one desk up (routing.next_desk), with a timeline event and a notice
    to the new desk. Returns the new desk, or None when the question already is at the national desk
    (then its administrators get the notice). Runs as the platform (no actor); `plek brokering
    escalate` calls it for every overdue question not escalated within the overdue period."""
    now = now or timezone.now()
    locked = Question.objects.select_for_update(of=("self",)).select_related("owner_hub").get(pk=question.pk)
    if locked.state not in transitions.OPEN_STATES:
        return None
    current = locked.owner_hub
    desk = routing.next_desk(current=current, region_ids=list(locked.regions.values_list("pk", flat=True)))
    fields = ["updated_at"]
    if reason == "overdue":
        locked.escalated_at = now
        fields.append("escalated_at")
    details: dict[str, str] = {}
    if current is not None:
        details["from_hub"] = current.name
    if desk is not None and desk.pk != locked.owner_hub_id:
        locked.owner_hub = desk
        fields.append("owner_hub")
        details["desk"] = desk.name
        note = (
            _("Te lang zonder antwoord: opgeschaald naar %(desk)s.")
            if reason == "overdue"
            else _("De kennishub heeft geen coördinator meer: doorgezet naar %(desk)s.")
        ) % {"desk": desk.name}
    else:
        note = _("Te lang zonder antwoord; de vraag ligt al bij het landelijk kennisloket.")
    locked.save(update_fields=fields)
    QuestionEvent.objects.create(
        question=locked,
        from_state=locked.state,
        to_state=locked.state,
        actor=None,
        at=now,
        note=note,
        details=details,
    )
    history_record(
        instance=locked,
        action="update",
        actor=None,
        changes={
            "owner_hub": {"old": str(current) if current else None, "new": str(locked.owner_hub)},
            "escalated": {"old": None, "new": f"{reason} {now.isoformat()}"},
        },
        source=source,
    )
    search_outbox_add("question", locked.pk)
    question.owner_hub, question.escalated_at = locked.owner_hub, locked.escalated_at
    notices.question_escalated(question=locked, from_hub=current, reason=reason)
    return desk


def questions_escalate_overdue(*, now: Any = None) -> list[Question]:
    """Escalate every overdue open question that has not moved up within its overdue period."""
    from plek.brokering.selectors import DEFAULT_OVERDUE_DAYS, overdue_q

    now = now or timezone.now()
    due = (
        Question.objects.filter(overdue_q(now))
        .filter(
            models.Q(escalated_at__isnull=True)
            | models.Q(escalated_at__lt=now - dt.timedelta(days=DEFAULT_OVERDUE_DAYS))
        )
        .exclude(owner_hub__slug=routing.NATIONAL_DESK_SLUG, escalated_at__isnull=False)
        .order_by("submitted_at", "pk")
    )
    moved = []
    for question in due:
        question_escalate(question=question, now=now)
        moved.append(question)
    return moved


def introductions_remind(*, now: Any = None, after_days: int = 7) -> int:
    """Remind introduced people with an account of introductions still pending after `after_days`
    (once each; people without an account answer through their e-mailed link and are not reminded,
    because only a hash of that link is kept)."""
    now = now or timezone.now()
    pending = Introduction.objects.filter(
        status=Introduction.Status.PENDING,
        created_at__lt=now - dt.timedelta(days=after_days),
        person__account__isnull=False,
    ).select_related("question", "person__account")
    made = 0
    for intro in pending:
        made += notices.introduction_reminder(intro=intro)
    return made
