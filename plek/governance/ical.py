"""iCalendar (RFC 5545) for meetings, written by hand: CRLF line ends, lines folded at 75 octets,
TEXT values escaped."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from plek.governance.models import Meeting

PRODID = "-//PLeK//Sturing//NL"


def escape(text: str) -> str:
    """RFC 5545 §3.3.11: backslash, semicolon, comma and newlines."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """RFC 5545 §3.1: lines longer than 75 octets continue on the next line after CRLF + space,
    never splitting a UTF-8 character."""
    out: list[str] = []
    current = ""
    size = 0
    limit = 75
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            out.append(current)
            current, size, limit = " ", 1, 75
        current += ch
        size += n
    out.append(current)
    return "\r\n".join(out)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def calendar(meetings: Iterable[Meeting], *, base_url: str, host: str) -> str:
    now = timezone.now()
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    for m in meetings:
        url = f"{base_url}/governance/vergaderingen/{m.pk}/"
        lines += [
            "BEGIN:VEVENT",
            f"UID:meeting-{m.pk}@{host}",
            f"DTSTAMP:{_utc(now)}",
            f"DTSTART:{_utc(m.starts_at)}",
            f"DTEND:{_utc(m.ends_at)}",
            f"SUMMARY:{escape(m.title)}",
            f"DESCRIPTION:{escape(f'{m.get_body_display()} — {url}')}",
            f"URL:{url}",
        ]
        if m.location:
            lines.append(f"LOCATION:{escape(m.location)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
