"""Delivery of notifications by e-mail, run by `plek worker` after commit (or at once in development
and tests), and the daily digest (`plek notifications digest`, from cron)."""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from plek.notifications.mail import build_message, send_messages
from plek.notifications.models import Notification

log = logging.getLogger(__name__)


def _absolute(url: str) -> str:
    return f"{settings.SITE_URL.rstrip('/')}{url}" if url.startswith("/") else url


@task()
def deliver(ids: list[int]) -> int:
    """E-mail these notifications (those still pending: a row is mailed once)."""
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(of=("self",))
            .select_related("recipient")
            .filter(pk__in=ids, mail=Notification.Mail.PENDING)
        )
        sent = 0
        with translation.override("nl"):
            for n in rows:
                body = render_to_string(
                    "notifications/email.txt", {"n": n, "link": _absolute(n.url), "user": n.recipient}
                )
                message = build_message(
                    to=n.recipient.email, user_id=n.recipient_id, kind=n.kind, subject=n.title, body=body
                )
                try:
                    send_messages([message])
                except Exception:  # a mail server error leaves the row marked, not the worker dead
                    log.exception("notification %s not sent", n.pk)
                    n.mail = Notification.Mail.FAILED
                else:
                    n.mail, n.mailed_at = Notification.Mail.SENT, timezone.now()
                    sent += 1
                n.save(update_fields=["mail", "mailed_at"])
    return sent


def send_digests() -> dict[str, int]:
    """One e-mail per person with everything waiting for their daily digest; marks them sent."""
    by_user: dict[int, list[Notification]] = defaultdict(list)
    rows = (
        Notification.objects.select_related("recipient")
        .filter(mail=Notification.Mail.DIGEST)
        .order_by("recipient_id", "created_at", "pk")
    )
    for n in rows:
        by_user[n.recipient_id].append(n)
    messages: list[Any] = []
    done: list[int] = []
    with translation.override("nl"):
        for uid, items in by_user.items():
            user = items[0].recipient
            if not user.email or not user.is_active:
                done.extend(n.pk for n in items)
                continue
            body = render_to_string(
                "notifications/digest.txt",
                {"items": [(n, _absolute(n.url)) for n in items], "user": user},
            )
            subject = _("PLeK: %(n)d nieuwe meldingen") % {"n": len(items)}
            messages.append(build_message(to=user.email, user_id=uid, kind="*", subject=subject, body=body))
            done.extend(n.pk for n in items)
    sent = send_messages(messages)
    Notification.objects.filter(pk__in=done, mail=Notification.Mail.DIGEST).update(
        mail=Notification.Mail.SENT, mailed_at=timezone.now()
    )
    return {"people": len(messages), "notifications": len(done), "sent": sent}


@task()
def digest_job() -> dict[str, int]:
    return send_digests()
