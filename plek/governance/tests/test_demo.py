"""The demo step: bodies with believable synthetic members, signals, a decided proposal in follow-up
and a standard in consultation; running it twice changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from plek.governance import selectors
from plek.governance.demo import demo_step
from plek.governance.models import (
    ConsultationComment,
    Decision,
    FollowUpAction,
    Proposal,
    Signal,
    StandardVersion,
)

pytestmark = pytest.mark.django_db


def test_demo_step(ref: Any) -> None:
    counts = demo_step(scale="small", seed=1)
    assert counts["governance_signals"] == 4
    assert all(s.regions.exists() for s in Signal.objects.all())
    assert Signal.objects.count() == 4
    proposal = Proposal.objects.get()
    assert proposal.state == "follow_up" and proposal.signals.count() == 2
    assert Decision.objects.get().outcome == "amended"
    assert FollowUpAction.objects.get().progress == 40
    assert StandardVersion.objects.get().state == "consultation"
    assert ConsultationComment.objects.count() == 2
    assert all(c.balanced for c in selectors.compositions())
    assert demo_step(scale="small", seed=1) == {"governance_skipped": 1}
    assert Signal.objects.count() == 4
