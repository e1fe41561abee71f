"""Build governance rows through the services, as users would."""

from __future__ import annotations

from typing import Any

from plek.governance import services
from plek.governance.forms import ProposalForm, SignalForm, StandardForm, VersionForm
from plek.governance.models import Meeting, Proposal, Signal, Standard
from plek.governance.tests.conftest import v

STANDARD_BODY = """Waarom deze standaard er is.

## Vraagarticulatie
Een kennisvraag wordt samen met de vrager scherp gemaakt.

## Terugkoppeling
De vrager hoort binnen vier weken wat er met de vraag gebeurt.
"""


def make_signal(user: Any, **kw: Any) -> Signal:
    data = {
        "kind": "obstacle",
        "title": "Monitoringsdata niet deelbaar",
        "description": "Zie titel.",
        "scale": "regional",
    }
    data.update(kw)
    return services.signal_raise(viewer=v(user), form=SignalForm(data=data))


def make_proposal(user: Any, signals: list[Signal] | None = None, **kw: Any) -> Proposal:
    data: dict[str, Any] = {
        "title": "Regionale datadeelafspraken",
        "rationale": "Meerdere signalen over data.",
        "expected_effect": "Minder dubbel werk.",
        "decision_requested": "Stem in met een verkenning.",
        "signals": [s.pk for s in signals or []],
    }
    data.update(kw)
    return services.proposal_create(viewer=v(user), form=ProposalForm(data=data))


def to_state(proposal: Proposal, state: str, gov: dict[str, Any], meeting: Meeting | None = None) -> Proposal:
    """Walk a proposal along the main path to `state` (as the right people)."""
    path = ["draft", "submitted", "scheduled", "decided", "follow_up", "closed"]
    for step in path[path.index(proposal.state) + 1 : path.index(state) + 1]:
        extra: dict[str, Any] = {}
        who = gov["initiative"] if step == "submitted" else gov["chair"]
        if step == "scheduled":
            extra["meeting"] = meeting
        if step == "decided":
            extra.update(
                outcome="amended", decision_text="Aangenomen, met een kleinere verkenning.", reasons="Budget."
            )
        services.proposal_transition(
            viewer=v(who), proposal=proposal, to_state=step, note="klaar" if step == "closed" else "", **extra
        )
    return proposal


def make_standard(user: Any, title: str = "Standaard vraagarticulatie") -> Standard:
    return services.standard_create(
        viewer=v(user),
        form=StandardForm(data={"title": title, "summary": "Hoe hubs vragen scherp maken."}),
        version_form=VersionForm(
            data={
                "body": STANDARD_BODY,
                "checklist": "Vragen worden samen aangescherpt\nTerugkoppeling binnen vier weken",
            }
        ),
    )
