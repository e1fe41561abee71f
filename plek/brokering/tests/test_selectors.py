"""Reading questions: who sees which, the broker's queue with its overdue flag, bounded queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plek.atlas.models import Hub, HubMembership, Region, Theme
from plek.brokering import selectors
from plek.brokering.models import Question
from plek.brokering.permissions import question_visible
from plek.brokering.tests.factories import ROLES, QuestionFactory, as_viewer
from plek.core.models import Visibility

pytestmark = pytest.mark.django_db

S = Question.State

# Who sees a question of each visibility, handled by `hub`, asked by "asker", brokered by "broker".
SEES = {
    Visibility.PUBLIC: set(ROLES),
    Visibility.MEMBERS: set(ROLES) - {"anonymous"},
    Visibility.HUB: {"member", "coordinator", "admin", "asker", "broker"},
    Visibility.PRIVATE: {"coordinator", "admin", "asker", "broker"},
}


@pytest.mark.parametrize("visibility", list(SEES))
def test_who_sees_a_question(visibility: str, people: dict[str, Any], hub: Hub) -> None:
    question = QuestionFactory(
        visibility=visibility, asker=people["asker"], broker=people["broker"], owner_hub=hub
    )
    for role in ROLES:
        viewer = as_viewer(people[role])
        listed = question in selectors.question_queryset(viewer=viewer)
        fetched = selectors.question_get(viewer=viewer, slug=question.slug) is not None
        expected = role in SEES[visibility]
        assert (listed, fetched, question_visible(viewer, question)) == (expected,) * 3, role


def test_a_private_question_stays_hidden_from_other_hubs(
    people: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    stranger = django_user_model.objects.create_user(username="elders", password="x")
    HubMembership.objects.create(hub=other_hub, user=stranger, role=HubMembership.Role.COORDINATOR)
    question = QuestionFactory(visibility=Visibility.PRIVATE, asker=people["asker"], owner_hub=hub)
    viewer = as_viewer(stranger)
    assert question not in selectors.question_queryset(viewer=viewer)
    assert selectors.broker_queue(viewer=viewer).total == 0
    assert question in selectors.question_queryset(viewer=as_viewer(people["asker"]))


def test_the_asker_always_sees_their_own_questions(people: dict[str, Any], hub: Hub) -> None:
    mine = QuestionFactory(visibility=Visibility.PRIVATE, asker=people["asker"], created_by=None)
    QuestionFactory(visibility=Visibility.PUBLIC)
    page = selectors.question_page(viewer=as_viewer(people["asker"]), asked_by_me=True)
    assert list(page.object_list) == [mine]
    assert list(selectors.question_page(viewer=as_viewer(None), asked_by_me=True).object_list) == []


def test_question_page_filters_by_state(people: dict[str, Any], hub: Hub) -> None:
    answered = QuestionFactory(state=S.ANSWERED)
    QuestionFactory(state=S.SUBMITTED)
    page = selectors.question_page(viewer=as_viewer(None), states=[S.ANSWERED])
    assert list(page.object_list) == [answered]
    with pytest.raises(ValueError, match="unknown state"):
        selectors.question_page(viewer=as_viewer(None), states=["solved"])


# ---- the broker's queue ---------------------------------------------------------------------------------


def _aged(days: float, **kwargs: Any) -> Question:
    return QuestionFactory(submitted_at=timezone.now() - dt.timedelta(days=days), **kwargs)


def test_the_queue_holds_what_the_viewer_handles(people: dict[str, Any], hub: Hub, other_hub: Hub) -> None:
    ours = _aged(1, owner_hub=hub)
    assigned = _aged(2, owner_hub=hub, broker=people["broker"], state=S.MATCHING)
    _aged(3, owner_hub=other_hub)
    _aged(4, owner_hub=hub, state=S.CLOSED)
    coordinator = selectors.broker_queue(viewer=as_viewer(people["coordinator"]))
    assert [e.question for e in coordinator.entries] == [assigned, ours]  # oldest first
    assert coordinator.total == 2
    assert coordinator.counts == {S.SUBMITTED: 1, S.MATCHING: 1, S.CLOSED: 1}
    broker = selectors.broker_queue(viewer=as_viewer(people["broker"]))
    assert [e.question for e in broker.entries] == [assigned]
    mine = selectors.broker_queue(viewer=as_viewer(people["coordinator"]), mine=True)
    assert mine.entries == [] and mine.total == 0
    assert selectors.broker_queue(viewer=as_viewer(people["admin"])).total == 3
    for role in ("anonymous", "outsider", "member", "asker"):
        assert selectors.broker_queue(viewer=as_viewer(people[role])).total == 0, role
    only = selectors.broker_queue(viewer=as_viewer(people["coordinator"]), states=[S.CLOSED])
    assert only.total == 1 and only.entries[0].question.state == S.CLOSED


def test_overdue_follows_the_hubs_setting(people: dict[str, Any], hub: Hub, other_hub: Hub) -> None:
    hub.preferences = {"overdue_days": 3}
    hub.save()
    late_here = _aged(5, owner_hub=hub)
    fresh_here = _aged(2, owner_hub=hub)
    answered_here = _aged(30, owner_hub=hub, state=S.ANSWERED)  # waits for the asker, not the hub
    on_time_there = _aged(5, owner_hub=other_hub)  # default: 14 days
    late_there = _aged(15, owner_hub=other_hub, state=S.REFERRED)
    late_nowhere = _aged(20, owner_hub=None)
    queue = selectors.broker_queue(viewer=as_viewer(people["admin"]))
    flags = {e.question: e.overdue for e in queue.entries}
    assert flags == {
        late_here: True,
        fresh_here: False,
        answered_here: False,
        on_time_there: False,
        late_there: True,
        late_nowhere: True,
    }
    late = selectors.broker_queue(viewer=as_viewer(people["admin"]), overdue_only=True)
    assert {e.question for e in late.entries} == {late_here, late_there, late_nowhere}
    assert late.total == 3
    assert late.overdue == {S.SUBMITTED: 2, S.REFERRED: 1, S.ANSWERED: 0}
    hub_only = selectors.broker_queue(viewer=as_viewer(people["admin"]), hub=hub, overdue_only=True)
    assert [e.question for e in hub_only.entries] == [late_here]


@pytest.mark.parametrize("setting", [0, -1, "7", True, 10_000, None])
def test_a_nonsense_overdue_setting_falls_back_to_the_default(setting: Any, hub: Hub) -> None:
    hub.preferences = {"overdue_days": setting}
    assert selectors.overdue_days(hub) == selectors.DEFAULT_OVERDUE_DAYS


def test_time_since_submission_and_past_deadline(people: dict[str, Any], hub: Hub) -> None:
    now = timezone.now()
    question = _aged(3, owner_hub=hub, wanted_by=timezone.localdate() - dt.timedelta(days=1), state=S.TRIAGED)
    entry = selectors.broker_queue(viewer=as_viewer(people["coordinator"]), now=now).entries[0]
    assert entry.question == question and entry.past_deadline
    assert dt.timedelta(days=2, hours=23) < entry.age <= dt.timedelta(days=3, minutes=1)
    # A final question's age stops when it ended.
    question.state, question.state_changed_at = S.CLOSED, question.submitted_at + dt.timedelta(days=1)
    assert selectors.question_age(question) == dt.timedelta(days=1)


@pytest.mark.parametrize("role", ["anonymous", "outsider", "coordinator", "admin"])
def test_lists_take_a_fixed_number_of_queries(role: str, people: dict[str, Any], hub: Hub) -> None:
    regions = list(Region.objects.filter(code__in=["GM0363", "PV27"]))
    themes = list(Theme.objects.filter(slug__in=["waterberging", "stikstof"]))
    other = Hub.objects.create(slug="derde", name="Derde hub", preferences={"overdue_days": 5})
    viewer = as_viewer(people[role])
    counts = []
    made = 0
    for size in (5, 30):
        while made < size:
            _aged(
                made,
                owner_hub=hub if made % 3 else other,
                asker=people["asker"],
                broker=people["broker"] if made % 2 else None,
                visibility=[Visibility.PUBLIC, Visibility.PRIVATE, Visibility.HUB][made % 3],
                regions=regions,
                themes=themes,
            )
            made += 1
        with CaptureQueriesContext(connection) as ctx:
            rows = list(selectors.question_page(viewer=viewer, size=100).object_list)
            for q in rows:
                (
                    q.owner_hub,
                    q.asker,
                    q.broker,
                    q.asker_organisation,
                    list(q.regions.all()),
                    list(q.themes.all()),
                )
            queue = selectors.broker_queue(viewer=viewer, size=100)
            for entry in queue.entries:
                (
                    entry.question.owner_hub,
                    list(entry.question.regions.all()),
                    list(entry.question.themes.all()),
                )
        counts.append(len(ctx.captured_queries))
        if role in ("coordinator", "admin"):
            assert queue.entries
    assert counts[0] == counts[1], counts


# ---- routing -----------------------------------------------------------------------------------------------


def test_the_nearest_hub_takes_the_question(ref: None, hub: Hub) -> None:
    amsterdam = Region.objects.get(code="GM0363")
    city_hub = Hub.objects.create(slug="amsterdam", name="Zz Amsterdamse hub")
    city_hub.regions.set([amsterdam])
    assert selectors.hub_for_regions([amsterdam.pk]) == city_hub  # closer than the province's hub
    haarlem = Region.objects.get(code="GM0392")
    assert selectors.hub_for_regions([haarlem.pk]) == hub
    assert selectors.hub_for_regions([]) is None
