"""API v1 for notifications: the caller's own notifications (never anyone else's), marking them read,
and their preferences per kind. The same services and selectors as the "Meldingen" pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router
from pydantic import Field

from plek.api.auth import viewer
from plek.api.common import Operations, paginate
from plek.api.schemas import ApiModel, Id, InputModel, PageQuery
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.notifications import selectors, services
from plek.notifications.kinds import KINDS, Channel
from plek.notifications.models import Notification

router = Router()
TAG = "notifications"


# Everything here is the signed-in caller's own: reads document their 401 too.
_op = Operations(router, tag=TAG, exclude_unset=False, read_problems=(401,))


class NotificationOut(ApiModel):
    id: int
    kind: str = Field(description=" | ".join(KINDS))
    title: str
    body: str
    url: str = Field(description="Path on this site of what the notification is about.")
    created_at: dt.datetime
    read_at: dt.datetime | None
    mail: str = Field(description="none | pending | digest | sent | failed")


class NotificationPage(ApiModel):
    items: list[NotificationOut]
    page: int
    page_size: int
    total: int
    next: str | None
    unread: int = Field(description="Unread notifications in all.")


class NotificationQuery(PageQuery):
    unread: bool = Field(False, description="Only unread notifications.")


class MarkReadIn(InputModel):
    ids: list[Id] | None = Field(None, max_length=1000, description="These notifications; null: all.")


class MarkReadOut(ApiModel):
    marked: int


class PreferenceOut(ApiModel):
    kind: str
    label: str
    channel: str = Field(description=" | ".join(Channel.values))


class PreferencesIn(InputModel):
    channels: dict[str, str] = Field(description="Kind → channel (immediate, digest, in_app, off).")


def _me(request: HttpRequest) -> Any:
    v = viewer(request)
    if not v.is_authenticated:
        raise PermissionDenied("notification")  # 401
    return v.user


def _out(rows: list[Notification]) -> list[dict[str, Any]]:
    return [
        {
            "id": n.pk,
            "kind": n.kind,
            "title": n.title,
            "body": n.body,
            "url": n.url,
            "created_at": n.created_at,
            "read_at": n.read_at,
            "mail": n.mail,
        }
        for n in rows
    ]


@_op("get", "/notifications", NotificationPage, "listNotifications", "Your notifications, newest first")
def list_notifications(request: HttpRequest, query: Query[NotificationQuery]) -> dict[str, Any]:
    user = _me(request)
    qs = selectors.notification_list(user=user, unread_only=bool(query.unread))
    page = paginate(request, qs, query, _out)
    page["unread"] = selectors.unread_count(user)
    return page


@_op("post", "/notifications/read", MarkReadOut, "markNotificationsRead", "Mark your notifications read")
def mark_read(request: HttpRequest, body: MarkReadIn) -> dict[str, Any]:
    """Only your own notifications are touched; ids of anyone else's are ignored."""
    return {"marked": services.notifications_mark_read(user=_me(request), ids=body.ids)}


@_op("get", "/notification-preferences", list[PreferenceOut], "getNotificationPreferences", "Your channels")
def get_preferences(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {"kind": k, "label": str(label), "channel": ch}
        for k, label, _a, ch in selectors.preferences(_me(request))
    ]


@_op(
    "put", "/notification-preferences", list[PreferenceOut], "setNotificationPreferences", "Set your channels"
)
def set_preferences(request: HttpRequest, body: PreferencesIn) -> list[dict[str, Any]]:
    """Unknown kinds or channels are refused (422, naming each) and nothing is saved."""
    user = _me(request)
    try:
        services.preferences_save(user=user, channels=body.channels)
    except ValidationFailed as exc:  # the body field `channels`, each reason naming the kind as sent
        raise ValidationFailed(
            {
                "channels": [
                    f"{kind}: {message}" for kind, messages in exc.errors.items() for message in messages
                ]
            }
        ) from exc
    return [
        {"kind": k, "label": str(label), "channel": ch} for k, label, _a, ch in selectors.preferences(user)
    ]
