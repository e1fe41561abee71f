"""Reads of notifications: a person only ever reads their own. Fixed number of queries per page."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404

from plek.notifications.kinds import KINDS
from plek.notifications.models import Notification, NotificationPreference

MAX_PAGE_SIZE = 100


def notification_page(
    *, user: Any, page: int = 1, size: int = 25, unread_only: bool = False
) -> Page[Notification]:
    qs = Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return Paginator(qs, max(1, min(size, MAX_PAGE_SIZE))).get_page(page)


def notification_get(*, user: Any, pk: int) -> Notification:
    """One of the person's own notifications; 404 for anyone else's."""
    n = Notification.objects.filter(pk=pk, recipient_id=user.pk).first()
    if n is None:
        raise Http404(pk)
    return n


def unread_count(user: Any) -> int:
    """The header's unread count (1 query, on pages for signed-in people)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def preferences(user: Any) -> list[tuple[str, Any, Any, str]]:
    """(kind, label, audience, channel) for every kind: the person's choice or the default (1 query)."""
    stored = dict(NotificationPreference.objects.filter(user_id=user.pk).values_list("kind", "channel"))
    return [(k, kind.label, kind.audience, stored.get(k, kind.default)) for k, kind in KINDS.items()]


def notification_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """A person's own notifications, newest first."""
    qs = Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")
    return qs.filter(read_at__isnull=True) if unread_only else qs
