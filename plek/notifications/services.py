"""Writes of notifications. Higher layers call `notification_send` (they decide who may know about
the thing: never notify someone who may not see it). E-mail goes out after commit, by the worker
(`tasks.deliver`): at once, or in the daily digest (`plek notifications digest`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from plek.core.errors import PermissionDenied, ValidationFailed
from plek.notifications.kinds import KINDS, Channel
from plek.notifications.mail import header_text
from plek.notifications.models import TITLE_MAX, Notification, NotificationPreference


def channels_for(user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """Each person's channel for this kind (their preference, else the kind's default); 1 query."""
    ids = sorted(set(user_ids))
    chosen = dict(
        NotificationPreference.objects.filter(user_id__in=ids, kind=kind).values_list("user_id", "channel")
    )
    default = KINDS[kind].default
    return {uid: chosen.get(uid, default) for uid in ids}


def notification_send(
    *,
    recipients: Iterable[Any],
    kind: str,
    title: str,
    url: str = "",
    body: str = "",
    exclude: Any = None,
    email: bool = True,
) -> list[Notification]:
    """Notify these users (the actor `exclude` is left out: nobody is told what they did themselves).
    One row each for the list on the site; e-mail after commit as each prefers (`email=False`: only
    the list, when the caller already e-mails the person itself). Inactive users and
    those who turned this kind off get nothing."""
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind: {kind}")
    users = {u.pk: u for u in recipients if u is not None and u.is_active}
    if exclude is not None:
        users.pop(getattr(exclude, "pk", None), None)
    if not users:
        return []
    channels = channels_for(users, kind)
    now = timezone.now()
    title = header_text(title, TITLE_MAX)
    rows = []
    for uid, user in sorted(users.items()):
        channel = channels[uid]
        if channel == Channel.OFF:
            continue
        if email and channel in (Channel.IMMEDIATE, Channel.DIGEST) and user.email:
            mail = Notification.Mail.PENDING if channel == Channel.IMMEDIATE else Notification.Mail.DIGEST
        else:
            mail = Notification.Mail.NONE
        rows.append(
            Notification(
                recipient_id=uid,
                kind=kind,
                title=title,
                body=body[:5000],
                url=url[:500],
                created_at=now,
                mail=mail,
            )
        )
    made = Notification.objects.bulk_create(rows)
    pending = [n.pk for n in made if n.mail == Notification.Mail.PENDING and n.pk is not None]
    if pending:
        from plek.notifications.tasks import deliver

        transaction.on_commit(lambda: deliver.enqueue(pending))
    return made


def notifications_mark_read(*, user: Any, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (these, or all) as read; others' rows are never touched."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("notification")
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return qs.update(read_at=timezone.now())


@transaction.atomic
def preferences_save(*, user: Any, channels: dict[str, str]) -> None:
    """Store the person's channel per kind; unknown kinds or channels are refused, nothing saved."""
    if user is None or not user.is_authenticated:
        raise PermissionDenied("notification")
    errors: dict[str, list[str]] = {}
    for kind, channel in channels.items():
        if kind not in KINDS:
            errors[kind] = [_("Onbekende soort melding.")]
        elif channel not in Channel.values:
            errors[kind] = [_("Kies direct, dagelijks, alleen op de site of uit.")]
    if errors:
        raise ValidationFailed(errors)
    for kind, channel in channels.items():
        NotificationPreference.objects.update_or_create(user=user, kind=kind, defaults={"channel": channel})


@transaction.atomic
def unsubscribe(*, user_id: int, kind: str) -> list[str]:
    """One-click unsubscribe (signed link, no sign-in): no more e-mail of this kind (`*`: of any
    kind); the notifications stay in the list on the site. Returns the kinds changed."""
    kinds = sorted(KINDS) if kind == "*" else [kind]
    if any(k not in KINDS for k in kinds) or not get_user_model().objects.filter(pk=user_id).exists():
        raise ValidationFailed({"kind": [_("Onbekende soort melding.")]})
    for k in kinds:
        NotificationPreference.objects.update_or_create(
            user_id=user_id, kind=k, defaults={"channel": Channel.IN_APP}
        )
    Notification.objects.filter(
        recipient_id=user_id, kind__in=kinds, mail__in=[Notification.Mail.PENDING, Notification.Mail.DIGEST]
    ).update(mail=Notification.Mail.NONE)
    return kinds
