"""The workflow table as a permission matrix: every allowed step for every role, every step that is not
in the table, and the extras each step needs. A refused step changes nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from plek.atlas.models import Hub, Network, Programme
from plek.brokering import transitions
from plek.brokering.errors import TransitionNotAllowed
from plek.brokering.models import Evaluation, Question, QuestionEvent
from plek.brokering.permissions import can_transition, transitions_for
from plek.brokering.services import question_transition
from plek.brokering.tests.factories import ROLES, QuestionFactory, as_viewer
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.models import ChangeLog, SearchOutbox, Visibility

pytestmark = pytest.mark.django_db

S = Question.State
ROLE_OF = {
    "asker": transitions.ASKER,
    "coordinator": transitions.COORDINATOR,
    "broker": transitions.BROKER,
    "admin": transitions.ADMIN,
}
ALLOWED = [
    pytest.param(src, dst, roles, id=f"{src}-{dst}") for src, dst, roles in transitions.all_transitions()
]
DISALLOWED = [
    pytest.param(src, dst, id=f"{src}-{dst}")
    for src in S.values
    for dst in S.values
    if transitions.allowed_roles(src, dst) is None
]

# The table as agreed, written out once more: changing who may do what is a deliberate change in two
# places, never a slip in one.
AGREED = """
submitted -> triaged:   coordinator admin
submitted -> referred:  coordinator admin
submitted -> declined:  coordinator admin
submitted -> merged:    coordinator admin
submitted -> closed:    asker admin
triaged   -> matching:  broker coordinator admin
triaged   -> referred:  coordinator admin
triaged   -> declined:  coordinator admin
triaged   -> merged:    coordinator admin
triaged   -> closed:    asker admin
matching  -> connected: broker coordinator admin
matching  -> answered:  broker coordinator admin
matching  -> referred:  coordinator admin
matching  -> declined:  coordinator admin
matching  -> merged:    coordinator admin
matching  -> closed:    asker admin
connected -> answered:  broker coordinator admin
connected -> matching:  broker coordinator admin
connected -> referred:  coordinator admin
connected -> closed:    asker admin
answered  -> closed:    asker coordinator admin
answered  -> matching:  asker coordinator admin
referred  -> triaged:   coordinator admin
referred  -> answered:  programme coordinator admin
referred  -> declined:  coordinator admin
referred  -> closed:    asker coordinator admin
"""


def question_in(state: str, people: dict[str, Any], hub: Hub, **kwargs: Any) -> Question:
    fields: dict[str, Any] = {"asker": people["asker"], "broker": people["broker"], "owner_hub": hub}
    return QuestionFactory(state=state, **{**fields, **kwargs})


def footprint(question: Question) -> tuple[Any, ...]:
    """Everything a transition may touch."""
    row = Question.objects.values(
        "state",
        "state_changed_at",
        "broker_id",
        "owner_hub_id",
        "merged_into_id",
        "referred_to_hub_id",
        "referred_to_programme_id",
        "referred_to_network_id",
    ).get(pk=question.pk)
    return (
        row,
        QuestionEvent.objects.count(),
        ChangeLog.objects.count(),
        Evaluation.objects.count(),
        SearchOutbox.objects.count(),
    )


def valid_extras(to_state: str, people: dict[str, Any], other_hub: Hub) -> dict[str, Any]:
    """What each step needs to succeed (closing with a note, which any closer may give)."""
    if to_state == S.TRIAGED:
        return {"broker": people["broker"]}
    if to_state == S.REFERRED:
        return {"note": "Past beter bij de buren.", "referred_to_hub": other_hub}
    if to_state == S.DECLINED:
        return {"note": "Geen kennisvraag."}
    if to_state == S.MERGED:
        return {"merged_into": QuestionFactory(state=S.SUBMITTED)}
    if to_state == S.CLOSED:
        return {"note": "Afgerond."}
    return {}


def test_the_table_is_the_agreed_one() -> None:
    agreed = set()
    for line in AGREED.strip().splitlines():
        step, roles = line.split(":")
        src, dst = (part.strip() for part in step.split("->"))
        agreed.add((src, dst, frozenset(roles.split())))
    assert set(transitions.all_transitions()) == agreed


def test_the_table_names_only_known_states_and_roles() -> None:
    assert set(transitions.TRANSITIONS) == set(S.values)
    for src, dst, roles in transitions.all_transitions():
        assert dst in S.values and dst != src
        assert roles and roles <= set(transitions.ROLES)
    assert set(transitions.FINAL_STATES) == {S.CLOSED, S.DECLINED, S.MERGED}
    # The main path exists from start to end.
    path = [S.SUBMITTED, S.TRIAGED, S.MATCHING, S.CONNECTED, S.ANSWERED, S.CLOSED]
    assert all(transitions.allowed_roles(a, b) for a, b in itertools.pairwise(path))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("from_state", "to_state", "allowed"), ALLOWED)
def test_transition_matrix(
    from_state: str,
    to_state: str,
    allowed: frozenset[str],
    role: str,
    people: dict[str, Any],
    hub: Hub,
    other_hub: Hub,
) -> None:
    question = question_in(from_state, people, hub)
    extras = valid_extras(to_state, people, other_hub)
    viewer = as_viewer(people[role])
    may = ROLE_OF.get(role) in allowed
    assert can_transition(viewer, question, to_state) is may
    assert (to_state in transitions_for(viewer, question)) is may
    before = footprint(question)
    if may:
        question_transition(viewer=viewer, question=question, to_state=to_state, **extras)
        assert question.state == to_state
        question.refresh_from_db()
        assert question.state == to_state
        event = question.events.get()
        assert (event.from_state, event.to_state, event.actor) == (from_state, to_state, people[role])
        assert event.note == extras.get("note", "")
        log = ChangeLog.objects.filter(object_id=question.pk, action="update").get()
        assert log.changes["state"] == {"old": from_state, "new": to_state}
        assert log.actor == people[role]
        assert SearchOutbox.objects.filter(entity_type="question", entity_id=question.pk).exists()
    else:
        with pytest.raises(PermissionDenied):
            question_transition(viewer=viewer, question=question, to_state=to_state, **extras)
        assert footprint(question) == before
        assert question.state == from_state


@pytest.mark.parametrize("role", ["coordinator", "admin"])
@pytest.mark.parametrize(("from_state", "to_state"), DISALLOWED)
def test_steps_not_in_the_table_are_refused_and_change_nothing(
    from_state: str, to_state: str, role: str, people: dict[str, Any], hub: Hub, other_hub: Hub
) -> None:
    question = question_in(from_state, people, hub)
    before = footprint(question)
    with pytest.raises(TransitionNotAllowed) as refused:
        question_transition(
            viewer=as_viewer(people[role]),
            question=question,
            to_state=to_state,
            **valid_extras(to_state, people, other_hub),
        )
    assert (refused.value.from_state, refused.value.to_state) == (from_state, to_state)
    assert footprint(question) == before


def test_an_unknown_state_is_a_validation_error(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub)
    with pytest.raises(ValidationFailed) as refused:
        question_transition(viewer=as_viewer(people["admin"]), question=question, to_state="solved")
    assert "to_state" in refused.value.errors


def test_a_stale_instance_cannot_take_a_step_twice(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub)
    stale = Question.objects.get(pk=question.pk)
    coordinator = as_viewer(people["coordinator"])
    question_transition(viewer=coordinator, question=question, to_state=S.TRIAGED)
    # The service reads the current state from the database, not from the instance it was given.
    with pytest.raises(TransitionNotAllowed):
        question_transition(viewer=coordinator, question=stale, to_state=S.TRIAGED)
    assert QuestionEvent.objects.filter(question=question).count() == 1


# ---- who may see the question at all ---------------------------------------------------------------


@pytest.mark.parametrize("visibility", [Visibility.PRIVATE, Visibility.HUB])
def test_a_coordinator_of_another_hub_cannot_touch_a_hidden_question(
    visibility: str, people: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    from plek.atlas.models import HubMembership

    stranger = django_user_model.objects.create_user(username="elders", password="x")
    HubMembership.objects.create(hub=other_hub, user=stranger, role=HubMembership.Role.COORDINATOR)
    question = question_in(S.SUBMITTED, people, hub, visibility=visibility)
    before = footprint(question)
    with pytest.raises(PermissionDenied):
        question_transition(viewer=as_viewer(stranger), question=question, to_state=S.TRIAGED)
    assert footprint(question) == before


def test_the_handling_hubs_coordinator_triages_a_private_question(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub, visibility=Visibility.PRIVATE)
    question_transition(viewer=as_viewer(people["coordinator"]), question=question, to_state=S.TRIAGED)
    assert question.state == S.TRIAGED


# ---- triage -----------------------------------------------------------------------------------------


def test_triage_assigns_a_broker_from_the_hub(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub, broker=None)
    question_transition(
        viewer=as_viewer(people["coordinator"]),
        question=question,
        to_state=S.TRIAGED,
        broker=people["member"],
        note="Scherper geformuleerd.",
    )
    question.refresh_from_db()
    assert question.broker == people["member"]
    assert question.events.get().details == {"broker": "member"}
    # The new broker may now take the next step, the coordinator too.
    assert can_transition(as_viewer(people["member"]), question, S.MATCHING)


def test_triage_refuses_a_broker_from_outside_the_hub(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub, broker=None)
    before = footprint(question)
    with pytest.raises(ValidationFailed) as refused:
        question_transition(
            viewer=as_viewer(people["coordinator"]),
            question=question,
            to_state=S.TRIAGED,
            broker=people["outsider"],
        )
    assert "broker" in refused.value.errors
    assert footprint(question) == before


def test_extras_that_do_not_belong_to_the_step_are_refused(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub)
    before = footprint(question)
    with pytest.raises(ValidationFailed) as refused:
        question_transition(
            viewer=as_viewer(people["coordinator"]),
            question=question,
            to_state=S.DECLINED,
            note="Dubbel.",
            broker=people["member"],
        )
    assert "broker" in refused.value.errors
    assert footprint(question) == before


# ---- referral ---------------------------------------------------------------------------------------


def _refused(question: Question, viewer_user: Any, to_state: str, **extras: Any) -> dict[str, list[str]]:
    before = footprint(question)
    with pytest.raises(ValidationFailed) as refused:
        question_transition(viewer=as_viewer(viewer_user), question=question, to_state=to_state, **extras)
    assert footprint(question) == before
    return refused.value.errors


def test_referral_needs_a_handover_note_and_one_target(
    people: dict[str, Any], hub: Hub, other_hub: Hub
) -> None:
    question = question_in(S.TRIAGED, people, hub)
    coordinator = people["coordinator"]
    programme = Programme.objects.create(slug="npz", name="Nationaal Programma Zuid")
    assert "note" in _refused(question, coordinator, S.REFERRED, referred_to_hub=other_hub)
    assert "note" in _refused(question, coordinator, S.REFERRED, note="   ", referred_to_hub=other_hub)
    assert "referred_to_hub" in _refused(question, coordinator, S.REFERRED, note="Over.")
    assert "referred_to_hub" in _refused(
        question,
        coordinator,
        S.REFERRED,
        note="Over.",
        referred_to_hub=other_hub,
        referred_to_programme=programme,
    )
    assert "referred_to_hub" in _refused(question, coordinator, S.REFERRED, note="Over.", referred_to_hub=hub)
    other_hub.offers_brokering = False
    other_hub.save()
    assert "referred_to_hub" in _refused(
        question, coordinator, S.REFERRED, note="Over.", referred_to_hub=other_hub
    )


def test_referral_to_a_hub_moves_the_question_there(
    people: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    from plek.atlas.models import HubMembership

    question = question_in(S.TRIAGED, people, hub, visibility=Visibility.HUB)
    # (a hub without an active coordinator would pass the question on: see test_routing.py)
    receiver = django_user_model.objects.create_user(username="drenthe", password="x")
    HubMembership.objects.create(hub=other_hub, user=receiver, role=HubMembership.Role.COORDINATOR)
    question_transition(
        viewer=as_viewer(people["coordinator"]),
        question=question,
        to_state=S.REFERRED,
        note="Dit speelt in Drenthe.",
        referred_to_hub=other_hub,
    )
    question.refresh_from_db()
    assert (question.owner_hub, question.referred_to_hub, question.broker) == (other_hub, other_hub, None)
    # The timeline keeps names, not slugs.
    assert question.events.get().details == {"from_hub": hub.name, "hub": other_hub.name}
    # The sending hub lets go; the receiving hub's coordinator takes it into triage.
    assert not can_transition(as_viewer(people["coordinator"]), question, S.TRIAGED)
    question_transition(viewer=as_viewer(receiver), question=question, to_state=S.TRIAGED, broker=receiver)
    question.refresh_from_db()
    assert (question.state, question.broker) == (S.TRIAGED, receiver)


def test_referral_up_to_a_programme_keeps_the_hub(people: dict[str, Any], hub: Hub) -> None:
    programme = Programme.objects.create(slug="npw", name="Nationaal Programma Water")
    question = question_in(S.MATCHING, people, hub)
    question_transition(
        viewer=as_viewer(people["admin"]),
        question=question,
        to_state=S.REFERRED,
        note="Landelijke vraag.",
        referred_to_programme=programme,
    )
    question.refresh_from_db()
    assert (question.owner_hub, question.referred_to_programme) == (hub, programme)
    # The asker closes it once the programme answered, and may rate that answer.
    question_transition(viewer=as_viewer(people["asker"]), question=question, to_state=S.CLOSED, usefulness=5)
    assert Evaluation.objects.get(question=question).usefulness == 5


def test_referral_down_to_a_network_the_viewer_cannot_see_is_refused(
    people: dict[str, Any], hub: Hub, other_hub: Hub
) -> None:
    hidden = Network.objects.create(
        slug="besloten",
        name="Besloten netwerk",
        scale="local",
        visibility=Visibility.HUB,
        owner_hub=other_hub,
    )
    question = question_in(S.TRIAGED, people, hub)
    errors = _refused(question, people["coordinator"], S.REFERRED, note="Lokaal.", referred_to_network=hidden)
    assert "referred_to_network" in errors
    shown = Network.objects.create(slug="lokaal", name="Lokaal netwerk", scale="local")
    question_transition(
        viewer=as_viewer(people["coordinator"]),
        question=question,
        to_state=S.REFERRED,
        note="Lokaal.",
        referred_to_network=shown,
    )
    question.refresh_from_db()
    assert question.referred_to_network == shown


# ---- declined, merged ---------------------------------------------------------------------------------


def test_declining_needs_a_reason(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub)
    assert "note" in _refused(question, people["coordinator"], S.DECLINED)
    assert "note" in _refused(question, people["coordinator"], S.DECLINED, note="x" * 5001)


def test_merging_needs_a_target_that_is_neither_itself_nor_merged(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub)
    coordinator = people["coordinator"]
    already = QuestionFactory(state=S.MERGED)
    private = QuestionFactory(visibility=Visibility.PRIVATE)
    assert "merged_into" in _refused(question, coordinator, S.MERGED)
    assert "merged_into" in _refused(question, coordinator, S.MERGED, merged_into=question)
    assert "merged_into" in _refused(question, coordinator, S.MERGED, merged_into=already)
    assert "merged_into" in _refused(question, coordinator, S.MERGED, merged_into=private)


def test_a_merge_chain_stays_one_step(people: dict[str, Any], hub: Hub) -> None:
    coordinator = as_viewer(people["coordinator"])
    first = question_in(S.SUBMITTED, people, hub)
    second = question_in(S.SUBMITTED, people, hub)
    answered = QuestionFactory(state=S.ANSWERED)
    question_transition(viewer=coordinator, question=first, to_state=S.MERGED, merged_into=second)
    question_transition(viewer=coordinator, question=second, to_state=S.MERGED, merged_into=answered)
    first.refresh_from_db()
    assert first.merged_into == answered
    assert ChangeLog.objects.filter(object_id=first.pk, changes__has_key="merged_into").count() == 2


# ---- closing -----------------------------------------------------------------------------------------


def test_closing_needs_an_evaluation_or_a_note(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.ANSWERED, people, hub)
    assert "note" in _refused(question, people["asker"], S.CLOSED)
    assert "usefulness" in _refused(question, people["asker"], S.CLOSED, comment="Fijn!")
    for bad in (0, 6, "veel", True):
        assert "usefulness" in _refused(question, people["asker"], S.CLOSED, usefulness=bad)


def test_the_asker_closes_with_an_evaluation(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.ANSWERED, people, hub)
    question_transition(
        viewer=as_viewer(people["asker"]),
        question=question,
        to_state=S.CLOSED,
        usefulness=4,
        comment="Bruikbaar, de gemeente gaat ermee aan de slag.",
    )
    evaluation = Evaluation.objects.get(question=question)
    assert (evaluation.usefulness, evaluation.by) == (4, people["asker"])
    log = ChangeLog.objects.get(object_id=question.pk, action="update")
    assert log.changes["evaluation"] == {"old": None, "new": 4}


def test_only_the_asker_rates_the_answer(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.ANSWERED, people, hub)
    for role in ("coordinator", "admin"):
        assert "usefulness" in _refused(question, people[role], S.CLOSED, usefulness=5)
    question_transition(
        viewer=as_viewer(people["coordinator"]),
        question=question,
        to_state=S.CLOSED,
        note="Vraagsteller reageerde niet.",
    )
    assert not Evaluation.objects.exists()


def test_withdrawing_a_question_needs_a_note_not_a_rating(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub)
    assert "usefulness" in _refused(question, people["asker"], S.CLOSED, usefulness=3)
    question_transition(
        viewer=as_viewer(people["asker"]), question=question, to_state=S.CLOSED, note="Al gevonden."
    )
    assert question.events.get().note == "Al gevonden."


def test_the_asker_may_reopen_an_answer_that_did_not_help(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.ANSWERED, people, hub)
    question_transition(
        viewer=as_viewer(people["asker"]), question=question, to_state=S.MATCHING, note="Nog niet."
    )
    assert question.state == S.MATCHING


def test_the_whole_path_leaves_one_event_per_step(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub, broker=None)
    coordinator, broker, asker = (as_viewer(people[r]) for r in ("coordinator", "broker", "asker"))
    question_transition(viewer=coordinator, question=question, to_state=S.TRIAGED, broker=people["broker"])
    question_transition(viewer=broker, question=question, to_state=S.MATCHING)
    question_transition(viewer=broker, question=question, to_state=S.CONNECTED, note="Expert voorgesteld.")
    question_transition(viewer=broker, question=question, to_state=S.ANSWERED)
    question_transition(viewer=asker, question=question, to_state=S.CLOSED, usefulness=5)
    steps = list(question.events.values_list("from_state", "to_state"))
    assert steps == [
        (S.SUBMITTED, S.TRIAGED),
        (S.TRIAGED, S.MATCHING),
        (S.MATCHING, S.CONNECTED),
        (S.CONNECTED, S.ANSWERED),
        (S.ANSWERED, S.CLOSED),
    ]
    assert ChangeLog.objects.filter(object_id=question.pk).count() == 5
