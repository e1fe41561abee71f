"""E-mail of notifications. Headers never carry raw user text: `header_text` folds every control
character (CR, LF, tab, NUL, ...) into a space, so a title with a line break cannot add headers or
make Django refuse the message (`BadHeaderError`). Every message carries RFC 8058 one-click
unsubscribe headers for its kind."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.urls import reverse

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]+")
UNSUBSCRIBE_SALT = "plek.notifications.unsubscribe"


def header_text(value: object, limit: int = 200) -> str:
    """A single-line header value: control characters (CR/LF included) become one space."""
    text = _CONTROL.sub(" ", str(value)).strip()
    text = re.sub(r" {2,}", " ", text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def unsubscribe_token(user_id: int, kind: str) -> str:
    """A signed token for one person and one kind (`*`: every kind); it needs no sign-in."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> tuple[int, str] | None:
    if not token or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        return None
    return data["u"], data["k"]


def unsubscribe_url(user_id: int, kind: str) -> str:
    path = reverse("notifications:unsubscribe", args=[unsubscribe_token(user_id, kind)])
    return f"{settings.SITE_URL.rstrip('/')}{path}"


def build_message(*, to: str, user_id: int, kind: str, subject: str, body: str) -> EmailMessage:
    link = unsubscribe_url(user_id, kind)
    return EmailMessage(
        subject=header_text(subject),
        body=f"{body}\n\n-- \n{link}\n",
        to=[to],
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def send_messages(messages: Sequence[EmailMessage]) -> int:
    from django.core.mail import get_connection

    if not messages:
        return 0
    with get_connection() as connection:
        return connection.send_messages(list(messages)) or 0
