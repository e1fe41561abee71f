"""Who in the Initiative and Steering groups hears about what (notifications, see plek/notifications).
Group members may see every signal and proposal (confidential ones included), so nothing reaches
someone who may not see it."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext as _

from plek.accounts.models import BodyMembership
from plek.notifications.services import notification_send


def _members(*bodies: str) -> list[Any]:
    return list(get_user_model().objects.filter(body_memberships__body__in=bodies, is_active=True).distinct())


def signal_new(*, signal: Any, actor: Any) -> None:
    notification_send(
        recipients=_members(BodyMembership.Body.INITIATIVE),
        kind="signal_new",
        title=_("Nieuw signaal: %(t)s") % {"t": signal.title},
        url=reverse("governance:signal", args=[signal.pk]),
        exclude=actor,
    )


def proposal_scheduled(*, proposal: Any, actor: Any) -> None:
    meeting = getattr(proposal, "meeting", None)
    notification_send(
        recipients=_members(BodyMembership.Body.STEERING),
        kind="proposal_agenda",
        title=_("Op de agenda: %(t)s") % {"t": proposal.title},
        body=str(meeting) if meeting is not None else "",
        url=reverse("governance:proposal", args=[proposal.pk]),
        exclude=actor,
    )


def decision_taken(*, proposal: Any, actor: Any) -> None:
    notification_send(
        recipients=_members(BodyMembership.Body.STEERING, BodyMembership.Body.INITIATIVE),
        kind="decision",
        title=_("Besluit genomen: %(t)s") % {"t": proposal.title},
        url=reverse("governance:proposal", args=[proposal.pk]),
        exclude=actor,
    )
