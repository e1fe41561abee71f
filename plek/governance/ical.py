"""iCalendar (RFC 5545) for meetings, written with the `icalendar` package (escaping, CRLF line ends
and folding at 75 octets are the library's)."""

from __future__ import annotations

from collections.abc import Iterable

import icalendar
from django.utils import timezone

from plek.governance.models import Meeting

PRODID = "-//PLeK//Sturing//NL"


def calendar(meetings: Iterable[Meeting], *, base_url: str, host: str) -> str:
    now = timezone.now()
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    for m in meetings:
        url = f"{base_url}/governance/vergaderingen/{m.pk}/"
        event = icalendar.Event()
        event.add("uid", f"meeting-{m.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", m.starts_at)
        event.add("dtend", m.ends_at)
        event.add("summary", m.title)
        event.add("description", f"{m.get_body_display()} — {url}")
        event.add("url", url)
        if m.location:
            event.add("location", m.location)
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")
