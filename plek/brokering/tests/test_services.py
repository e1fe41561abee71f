"""Asking a question: who may, what is checked, what is recorded, where it goes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from plek.atlas.models import Hub, HubMembership, Organisation
from plek.brokering import routing
from plek.brokering.models import Question, QuestionEvent
from plek.brokering.services import question_form, question_submit
from plek.brokering.tests.factories import ROLES, as_viewer
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.models import ChangeLog, SearchOutbox, Visibility

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Hoe houden we regenwater vast in de wijk?",
    "text": "Onze straten lopen onder bij iedere hoosbui. Wie heeft ervaring met wadi's in oude wijken?",
    "context": "Bewonersinitiatief in Amsterdam-Noord.",
    "regions": ["GM0363"],
    "themes": ["waterberging", "klimaatadaptatie"],
    "answer_kind": "expert",
    "asker_role": "practice",
    "visibility": "public",
}


def state() -> tuple[int, ...]:
    return (
        Question.objects.count(),
        QuestionEvent.objects.count(),
        ChangeLog.objects.count(),
        SearchOutbox.objects.count(),
    )


def submit(user: Any, data: dict[str, Any]) -> Question:
    viewer = as_viewer(user)
    return question_submit(viewer=viewer, form=question_form(viewer=viewer, data=data))


@pytest.mark.parametrize("role", ROLES)
def test_anyone_signed_in_may_ask(role: str, people: dict[str, Any], hub: Hub) -> None:
    before = state()
    if role == "anonymous":
        with pytest.raises(PermissionDenied):
            submit(people[role], FORM)
        assert state() == before
        return
    question = submit(people[role], FORM)
    assert (question.asker, question.created_by) == (people[role], people[role])
    assert question.state == Question.State.SUBMITTED
    assert question.slug.startswith("hoe-houden-we-regenwater")
    assert sorted(r.code for r in question.regions.all()) == ["GM0363"]
    assert sorted(t.slug for t in question.themes.all()) == ["klimaatadaptatie", "waterberging"]
    event = question.events.get()
    assert (event.from_state, event.to_state, event.actor) == (None, Question.State.SUBMITTED, people[role])
    log = ChangeLog.objects.get(object_id=question.pk)
    assert log.action == "create" and log.actor == people[role]
    assert log.changes["title"]["new"] == FORM["title"]
    assert SearchOutbox.objects.filter(entity_type="question", entity_id=question.pk).count() == 1


def _staff(hub: Hub, django_user_model: Any) -> None:
    user = django_user_model.objects.create_user(username=f"coord-{hub.slug}", password="x")
    HubMembership.objects.create(hub=hub, user=user, role=HubMembership.Role.COORDINATOR)


def test_a_question_goes_to_the_hub_of_its_area(
    people: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    _staff(other_hub, django_user_model)
    # Amsterdam lies in Noord-Holland (PV27), the test hub's region.
    assert submit(people["outsider"], FORM).owner_hub == hub
    # Assen lies in Drenthe (PV22), the other hub's region.
    assert submit(people["outsider"], dict(FORM, regions=["GM0106"])).owner_hub == other_hub


def test_the_asker_may_choose_a_hub(
    people: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    # A chosen hub without an active coordinator passes the question on (see test_routing.py).
    assert submit(people["outsider"], dict(FORM, owner_hub=other_hub.slug)).owner_hub == hub
    _staff(other_hub, django_user_model)
    question = submit(people["outsider"], dict(FORM, owner_hub=other_hub.slug))
    assert question.owner_hub == other_hub


def test_a_question_outside_every_hubs_area_goes_to_the_national_desk(
    people: dict[str, Any], hub: Hub
) -> None:
    question = submit(people["outsider"], dict(FORM, regions=["GM0106"]))  # Drenthe: no hub here
    assert routing.is_national_desk(question.owner_hub)
    # ... so even "only the hub's members" has a hub to mean.
    hidden = submit(people["outsider"], dict(FORM, regions=["GM0106"], visibility=Visibility.HUB))
    assert routing.is_national_desk(hidden.owner_hub)


def test_a_hub_that_does_not_broker_gets_no_questions(people: dict[str, Any], hub: Hub) -> None:
    hub.offers_brokering = False
    hub.save()
    assert routing.is_national_desk(submit(people["outsider"], FORM).owner_hub)
    with pytest.raises(ValidationFailed) as refused:
        submit(people["outsider"], dict(FORM, owner_hub=hub.slug))
    assert "owner_hub" in refused.value.errors


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n  "}, "text"),
        ({"text": "water " * 3334}, "text"),  # 20,004 characters
        ({"text": "x" * 10_001}, "text"),
        ({"title": ""}, "title"),
        ({"title": "t" * 301}, "title"),
        ({"regions": []}, "regions"),
        ({"regions": ["GM9999"]}, "regions"),
        ({"regions": ["GM0363", "nergens"]}, "regions"),
        ({"themes": ["geen-thema"]}, "themes"),
        ({"wanted_by": "2020-01-01"}, "wanted_by"),
        ({"wanted_by": "morgen"}, "wanted_by"),
        ({"answer_kind": "miracle"}, "answer_kind"),
        ({"asker_role": ""}, "asker_role"),
        ({"visibility": "world"}, "visibility"),
        ({"owner_hub": "geen-hub"}, "owner_hub"),
        ({"asker_organisation": "onbekend"}, "asker_organisation"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(
    change: dict[str, Any], field: str, people: dict[str, Any], hub: Hub
) -> None:
    before = state()
    with pytest.raises(ValidationFailed) as refused:
        submit(people["outsider"], dict(FORM, **change))
    assert field in refused.value.errors
    assert all(refused.value.errors[field])
    assert state() == before


def test_the_longest_question_and_todays_deadline_are_accepted(people: dict[str, Any], hub: Hub) -> None:
    today = timezone.localdate()
    question = submit(people["outsider"], dict(FORM, text="x" * 10_000, wanted_by=today.isoformat()))
    assert len(question.text) == 10_000 and question.wanted_by == today
    assert submit(people["outsider"], dict(FORM, wanted_by=(today + dt.timedelta(days=30)).isoformat()))


def test_only_visible_organisations_can_be_named(people: dict[str, Any], hub: Hub, other_hub: Hub) -> None:
    hidden = Organisation.objects.create(
        slug="besloten-bv", name="Besloten BV", kind="company", visibility=Visibility.HUB, owner_hub=other_hub
    )
    with pytest.raises(ValidationFailed) as refused:
        submit(people["outsider"], dict(FORM, asker_organisation=hidden.slug))
    assert "asker_organisation" in refused.value.errors
    shown = Organisation.objects.create(slug="gemeente-a", name="Gemeente A", kind="municipality")
    assert submit(people["outsider"], dict(FORM, asker_organisation=shown.slug)).asker_organisation == shown


@pytest.mark.parametrize("role", ["outsider", "member", "coordinator", "admin"])
def test_only_coordinators_register_a_programmes_question(
    role: str, people: dict[str, Any], hub: Hub
) -> None:
    from plek.atlas.tests.factories import ProgrammeFactory
    from plek.core.errors import ValidationFailed

    programme = ProgrammeFactory(slug="water-bodem-sturend")
    data = {**FORM, "programme": programme.slug, "share_contact": "on"}
    before = state()
    if role in ("coordinator", "admin"):
        question = submit(people[role], data)
        assert question.programme == programme and question.share_contact
    else:
        with pytest.raises(ValidationFailed) as exc:
            submit(people[role], data)
        assert "programme" in exc.value.errors
        assert state() == before
