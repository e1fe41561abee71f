"""Who hears about what happens to a question (notifications, see plek/notifications). Every
recipient is checked against the question's visibility first: nobody is told about a question they
may not see. Called by `services.py` inside its transaction; e-mail leaves after commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _

from plek.atlas.models import Hub, HubMembership
from plek.atlas.permissions import viewer_for
from plek.brokering import permissions
from plek.brokering.models import Introduction, ProgrammeBroker, Question
from plek.notifications.services import notification_send

S = Question.State


def _url(question: Question) -> str:
    return reverse("brokering:detail", args=[question.slug])


def _may_see(users: Iterable[Any], question: Question) -> list[Any]:
    return [u for u in users if u is not None and permissions.question_visible(viewer_for(u), question)]


def desk_staff(hub: Hub | None) -> list[Any]:
    """Who answers for a desk: its active coordinators; for a desk without any (the national desk
    before anyone staffs it), the platform administrators."""
    users = get_user_model().objects
    if hub is not None:
        staff = list(
            users.filter(
                hub_memberships__hub=hub, hub_memberships__role=HubMembership.Role.COORDINATOR, is_active=True
            ).distinct()
        )
        if staff:
            return staff
    return list(users.filter(is_superuser=True, is_active=True))


def _send(users: Iterable[Any], question: Question, kind: str, title: str, body: str = "", **kw: Any) -> None:
    notification_send(
        recipients=_may_see(users, question), kind=kind, title=title, body=body, url=_url(question), **kw
    )


def question_submitted(*, question: Question, actor: Any) -> None:
    desk = question.owner_hub
    name = desk.name if desk is not None else ""
    _send(
        [question.asker],
        question,
        "question_received",
        _("Uw vraag is ontvangen: %(t)s") % {"t": question.title},
        _("%(desk)s behandelt uw vraag.") % {"desk": name},
    )
    _send(
        desk_staff(desk),
        question,
        "queue_new",
        _("Nieuwe vraag voor %(desk)s: %(t)s") % {"desk": name, "t": question.title},
        exclude=actor,
    )


def question_moved(*, question: Question, from_state: str, to_state: str, actor: Any) -> None:
    """After a step of the workflow (services.question_transition)."""
    title = question.title
    if to_state == S.TRIAGED and question.broker_id is not None:
        _send(
            [question.broker],
            question,
            "queue_new",
            _("Aan u toegewezen: %(t)s") % {"t": title},
            exclude=actor,
        )
    elif to_state == S.CONNECTED and from_state == S.MATCHING:
        _send(
            [question.asker],
            question,
            "question_matched",
            _("Uw vraag is in contact gebracht: %(t)s") % {"t": title},
            _("De kennishub heeft u voorgesteld aan iemand die kan helpen."),
            exclude=actor,
        )
    elif to_state == S.ANSWERED:
        _send(
            [question.asker],
            question,
            "question_answered",
            _("Uw vraag is beantwoord: %(t)s") % {"t": title},
            exclude=actor,
        )
        _send(
            [question.asker],
            question,
            "question_rate",
            _("Hoe bruikbaar was het antwoord? Beoordeel: %(t)s") % {"t": title},
            exclude=actor,
        )
    elif to_state == S.REFERRED:
        if question.referred_to_programme_id is not None:
            programme = question.referred_to_programme
            users = [
                b.user for b in ProgrammeBroker.objects.filter(programme=programme).select_related("user")
            ]
            _send(
                users,
                question,
                "referral_received",
                _("Doorverwezen naar %(p)s: %(t)s") % {"p": programme.name if programme else "", "t": title},
                exclude=actor,
            )
        elif question.referred_to_hub_id is not None:
            _send(
                desk_staff(question.owner_hub),
                question,
                "referral_received",
                _("Doorverwezen naar %(desk)s: %(t)s")
                % {"desk": question.owner_hub.name if question.owner_hub else "", "t": title},
                exclude=actor,
            )


def question_escalated(*, question: Question, from_hub: Hub | None, reason: str = "overdue") -> None:
    desk = question.owner_hub
    moved = desk is not None and (from_hub is None or desk.pk != from_hub.pk)
    if reason != "overdue":  # passed on from a hub without coordinator: new at this desk
        _send(
            desk_staff(desk),
            question,
            "queue_new",
            _("Nieuwe vraag voor %(desk)s: %(t)s") % {"desk": desk.name if desk else "", "t": question.title},
        )
        return
    title = (
        _("Opgeschaald naar %(desk)s (wacht te lang): %(t)s") % {"desk": desk.name, "t": question.title}
        if moved and desk is not None
        else _("Wacht te lang: %(t)s") % {"t": question.title}
    )
    users = desk_staff(desk)
    if question.broker_id is not None:
        users.append(question.broker)
    _send(users, question, "question_overdue", title)


def introduction_made(*, intro: Introduction) -> None:
    """The introduced person, when they have an account, finds the introduction in their list (and
    answers it there); the e-mail with the private link is sent by the service as before."""
    person = intro.person
    account = getattr(person, "account", None) if person is not None else None
    if account is None:
        return
    notification_send(
        recipients=[account],
        kind="introduction",
        title=_("Introductie bij een kennisvraag: %(t)s") % {"t": intro.question.title},
        body=intro.message,
        url=reverse("brokering:introduction", args=[intro.pk]),
        email=False,
    )


def introduction_reminder(*, intro: Introduction) -> int:
    """Once per introduction: remind its person (with an account) that it waits for their answer."""
    from plek.notifications.models import Notification

    account = intro.person.account if intro.person is not None else None
    url = reverse("brokering:introduction", args=[intro.pk])
    if (
        account is None
        or Notification.objects.filter(recipient=account, kind="introduction_reminder", url=url).exists()
    ):
        return 0
    return len(
        notification_send(
            recipients=[account],
            kind="introduction_reminder",
            title=_("Herinnering: wilt u meedenken over %(t)s?") % {"t": intro.question.title},
            url=url,
        )
    )
