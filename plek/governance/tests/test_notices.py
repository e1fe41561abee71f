"""Group members hear of new signals, proposals on the agenda and decisions (in their notification
list; by e-mail as they prefer); outsiders and the person who acted do not."""

from __future__ import annotations

from typing import Any

from plek.governance.models import Meeting
from plek.governance.tests.factories import make_proposal, make_signal, to_state
from plek.notifications.models import Notification


def kinds(user: Any) -> list[str]:
    return sorted(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_group_members_are_notified(gov: dict[str, Any], meeting: Meeting) -> None:
    signal = make_signal(gov["outsider"])
    assert kinds(gov["initiative"]) == ["signal_new"]
    assert kinds(gov["steering"]) == [] and kinds(gov["outsider"]) == [] and kinds(gov["member"]) == []
    note = Notification.objects.get(recipient=gov["initiative"])
    assert signal.title in note.title and note.url.endswith(f"/{signal.pk}/")
    proposal = make_proposal(gov["initiative"])
    to_state(proposal, "decided", gov, meeting)
    assert kinds(gov["steering"]) == ["decision", "proposal_agenda"]
    assert kinds(gov["chair"]) == []  # the chair scheduled and recorded it: nobody is told what they did
    assert kinds(gov["initiative"]) == ["decision", "signal_new"]
    assert kinds(gov["outsider"]) == []
