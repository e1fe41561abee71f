"""Permission matrix for every transition of the three workflows, and the steps no table has.
A refused step changes nothing: same state, no event, no decision."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Model

from plek.core.errors import PermissionDenied, ValidationFailed
from plek.governance import services, transitions
from plek.governance.errors import TransitionNotAllowed
from plek.governance.models import Decision, Event, Meeting, Proposal, Signal, StandardVersion
from plek.governance.tests.conftest import v
from plek.governance.tests.factories import make_proposal, make_signal, make_standard

pytestmark = pytest.mark.django_db

USERS = (
    "anonymous",
    "outsider",
    "member",
    "coordinator",
    "admin",
    "initiative",
    "steering",
    "chair",
    "secretary",
)
ROLES_OF = {
    "admin": {transitions.ADMIN},
    "initiative": {transitions.INITIATIVE},
    "chair": {transitions.CHAIR},
    "secretary": {transitions.CHAIR},
}


def roles(workflow: str, who: str) -> set[str]:
    r = set(ROLES_OF.get(who, set()))
    if workflow == "signal" and who == "outsider":
        r.add(transitions.RAISER)  # the fixtures' signals are raised by the outsider
    return r


def cases(workflow: str) -> list[tuple[str, str, str]]:
    return [(src, dst, who) for src, dst, _ in transitions.all_transitions(workflow) for who in USERS]


def snapshot(obj: Model) -> tuple[Any, ...]:
    obj.refresh_from_db()
    return (obj.state, Event.objects.count(), Decision.objects.count())


def setup(
    workflow: str, src: str, dst: str, gov: dict[str, Any], meeting: Meeting
) -> tuple[Any, dict[str, Any], str]:
    """An item in state `src` and the extras/note the step to `dst` needs."""
    extra: dict[str, Any] = {}
    note = ""
    if workflow == "signal":
        obj: Any = make_signal(gov["outsider"])
        Signal.objects.filter(pk=obj.pk).update(state=src)
        if dst == "bundled":
            extra["proposal"] = make_proposal(gov["initiative"], title="Ander voorstel")
        if dst == "closed":
            note = "Opgelost elders."
    elif workflow == "proposal":
        obj = make_proposal(gov["initiative"])
        Proposal.objects.filter(pk=obj.pk).update(
            state=src, meeting=meeting if src in ("scheduled", "decided") else None
        )
        if src == "decided":
            outcome = {"follow_up": "adopted", "scheduled": "deferred", "closed": "rejected"}[dst]
            Decision.objects.create(
                proposal=obj, meeting=meeting, outcome=outcome, text="Besluit.", reasons="r"
            )
        if dst == "scheduled":
            extra["meeting"] = meeting
        if dst == "decided":
            extra.update(outcome="adopted", decision_text="Aangenomen.")
        if dst == "closed":
            note = "Afgerond."
    else:
        obj = make_standard(gov["initiative"]).versions.get()
        StandardVersion.objects.filter(pk=obj.pk).update(state=src)
        if dst == "adopted":
            extra.update(decision_text="Vastgesteld.", reasons="Consultatie verwerkt.")
    obj.refresh_from_db()
    return obj, extra, note


def act(workflow: str, user: Any, obj: Any, dst: str, note: str, extra: dict[str, Any]) -> Any:
    viewer = v(user)
    if workflow == "signal":
        return services.signal_transition(viewer=viewer, signal=obj, to_state=dst, note=note, **extra)
    if workflow == "proposal":
        return services.proposal_transition(viewer=viewer, proposal=obj, to_state=dst, note=note, **extra)
    return services.version_transition(viewer=viewer, version=obj, to_state=dst, note=note, **extra)


@pytest.mark.parametrize("workflow", ["signal", "proposal", "standard"])
def test_permission_matrix_covers_every_transition(
    workflow: str, gov: dict[str, Any], meeting: Meeting
) -> None:
    for src, dst, who in cases(workflow):
        obj, extra, note = setup(workflow, src, dst, gov, meeting)
        allowed = transitions.allowed_roles(workflow, src, dst)
        assert allowed is not None
        expected = bool(roles(workflow, who) & allowed)
        before = snapshot(obj)
        if expected:
            act(workflow, gov[who], obj, dst, note, extra)
            obj.refresh_from_db()
            assert obj.state == dst, (workflow, src, dst, who)
            assert Event.objects.filter(to_state=dst, from_state=src).exists()
        else:
            with pytest.raises(PermissionDenied):
                act(workflow, gov[who], obj, dst, note, extra)
            assert snapshot(obj) == before, (workflow, src, dst, who)


@pytest.mark.parametrize("workflow", ["signal", "proposal", "standard"])
def test_a_step_not_in_the_table_is_refused_and_changes_nothing(
    workflow: str, gov: dict[str, Any], meeting: Meeting
) -> None:
    table = transitions.TABLES[workflow]
    for src, steps in table.items():
        for dst in table:
            if dst in steps:
                continue
            obj = _item_in(workflow, src, gov, meeting)
            before = snapshot(obj)
            with pytest.raises(TransitionNotAllowed):
                act(workflow, gov["admin"], obj, dst, "reden", {})
            assert snapshot(obj) == before


def _item_in(workflow: str, state: str, gov: dict[str, Any], meeting: Meeting) -> Any:
    if workflow == "signal":
        obj: Any = make_signal(gov["outsider"])
        Signal.objects.filter(pk=obj.pk).update(state=state)
    elif workflow == "proposal":
        obj = make_proposal(gov["initiative"])
        Proposal.objects.filter(pk=obj.pk).update(state=state)
    else:
        obj = make_standard(
            gov["initiative"], title=f"S {state} {StandardVersion.objects.count()}"
        ).versions.get()
        StandardVersion.objects.filter(pk=obj.pk).update(state=state)
    obj.refresh_from_db()
    return obj


def test_unknown_state_names_the_field(gov: dict[str, Any]) -> None:
    signal = make_signal(gov["outsider"])
    with pytest.raises(ValidationFailed) as exc:
        services.signal_transition(viewer=v(gov["admin"]), signal=signal, to_state="vanished")
    assert "to_state" in exc.value.errors


def test_unknown_extra_is_refused(gov: dict[str, Any]) -> None:
    signal = make_signal(gov["outsider"])
    with pytest.raises(ValidationFailed) as exc:
        services.signal_transition(viewer=v(gov["initiative"]), signal=signal, to_state="review", broker="x")
    assert "broker" in exc.value.errors
    signal.refresh_from_db()
    assert signal.state == "new"
