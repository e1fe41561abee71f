"""The agenda's history: as of any date, and the difference between two dates (acceptance 1)."""

from __future__ import annotations

import datetime as dt

import pytest

from plek.learning import selectors
from plek.learning.models import AgendaVersion, Trajectory
from plek.learning.tests.conftest import add_item, change_item

D = dt.date
pytestmark = pytest.mark.django_db


def _three_changes(trajectory: Trajectory):  # type: ignore[no-untyped-def]
    item = add_item(trajectory, text="Hoe kunnen we water vasthouden?", day=D(2024, 2, 1))
    change_item(item, day=D(2024, 4, 1), status="active")
    change_item(item, day=D(2024, 7, 1), text="Hoe kunnen we water vasthouden terwijl de bodem daalt?")
    change_item(item, day=D(2024, 10, 1), status="reformulated", text="Hoe houden we water vast in veen?")
    return item


def _state(trajectory: Trajectory, day: dt.date) -> list[tuple[int, str, str]]:
    return [
        (r.item.number, r.values["text"], r.values["status"])
        for r in selectors.agenda_as_of(trajectory=trajectory, day=day)
    ]


def test_the_agenda_as_of_each_date_shows_the_text_and_status_of_that_date(trajectory: Trajectory) -> None:
    _three_changes(trajectory)
    assert _state(trajectory, D(2024, 1, 31)) == []
    assert _state(trajectory, D(2024, 2, 1)) == [(1, "Hoe kunnen we water vasthouden?", "new")]
    assert _state(trajectory, D(2024, 3, 31)) == [(1, "Hoe kunnen we water vasthouden?", "new")]
    assert _state(trajectory, D(2024, 4, 1)) == [(1, "Hoe kunnen we water vasthouden?", "active")]
    assert _state(trajectory, D(2024, 8, 15)) == [
        (1, "Hoe kunnen we water vasthouden terwijl de bodem daalt?", "active")
    ]
    assert _state(trajectory, D(2025, 1, 1)) == [(1, "Hoe houden we water vast in veen?", "reformulated")]


def test_the_difference_between_two_dates_lists_exactly_the_changes_in_between(
    trajectory: Trajectory,
) -> None:
    item = _three_changes(trajectory)
    other = add_item(trajectory, text="Hoe delen we kennis?", day=D(2024, 5, 1))
    changes = selectors.agenda_changes(trajectory=trajectory, start=D(2024, 3, 1), end=D(2024, 7, 1))
    summary = [
        (c.item.number, c.valid_from, c.is_new, {f.name: (f.old, f.new) for f in c.fields}) for c in changes
    ]
    assert summary == [
        (item.number, D(2024, 4, 1), False, {"status": ("new", "active")}),
        (
            other.number,
            D(2024, 5, 1),
            True,
            {"kind": (None, "question"), "text": (None, "Hoe delen we kennis?"), "status": (None, "new")},
        ),
        (
            item.number,
            D(2024, 7, 1),
            False,
            {
                "text": (
                    "Hoe kunnen we water vasthouden?",
                    "Hoe kunnen we water vasthouden terwijl de bodem daalt?",
                )
            },
        ),
    ]
    # The start date itself is excluded, the end date included.
    assert [
        c.valid_from
        for c in selectors.agenda_changes(trajectory=trajectory, start=D(2024, 4, 1), end=D(2024, 10, 1))
    ] == [
        D(2024, 5, 1),
        D(2024, 7, 1),
        D(2024, 10, 1),
    ]
    assert selectors.agenda_changes(trajectory=trajectory, start=D(2024, 10, 1), end=D(2025, 1, 1)) == []


def test_every_change_is_kept_as_a_version(trajectory: Trajectory) -> None:
    item = _three_changes(trajectory)
    versions = list(
        AgendaVersion.objects.filter(item=item).order_by("valid_from").values_list("valid_from", "status")
    )
    assert versions == [
        (D(2024, 2, 1), "new"),
        (D(2024, 4, 1), "active"),
        (D(2024, 7, 1), "active"),
        (D(2024, 10, 1), "reformulated"),
    ]
    item.refresh_from_db()
    assert (item.status, item.changed_on, item.opened_on) == ("reformulated", D(2024, 10, 1), D(2024, 2, 1))


def test_items_open_longer_than_a_year_are_flagged(trajectory: Trajectory) -> None:
    old = add_item(trajectory, text="Oud punt", day=D(2024, 1, 15))
    add_item(trajectory, text="Nieuw punt", day=D(2024, 12, 1))
    solved = add_item(trajectory, text="Opgelost punt", day=D(2024, 1, 20))
    change_item(solved, day=D(2024, 3, 1), status="solved")
    rows = {r.values["text"]: r for r in selectors.agenda_as_of(trajectory=trajectory, day=D(2025, 2, 1))}
    assert rows["Oud punt"].long_open and rows["Oud punt"].open_days == 383
    assert not rows["Nieuw punt"].long_open
    assert not rows["Opgelost punt"].long_open and rows["Opgelost punt"].open_days is None
    assert old.number == 1


def test_the_agenda_as_of_a_date_takes_one_query(trajectory: Trajectory, django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    for n in range(5):
        item = add_item(trajectory, text=f"Punt {n}", day=D(2024, 2, 1))
        change_item(item, day=D(2024, 3, 1), status="active")
    with django_assert_num_queries(1):
        rows = selectors.agenda_as_of(trajectory=trajectory, day=D(2024, 6, 1))
    assert len(rows) == 5
    with django_assert_num_queries(1):
        assert (
            len(selectors.agenda_changes(trajectory=trajectory, start=D(2024, 1, 1), end=D(2024, 6, 1))) == 10
        )
