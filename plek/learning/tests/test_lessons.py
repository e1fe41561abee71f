"""Lessons: publishing as practice knowledge that search finds, and lessons from elsewhere with the
reason (acceptance 2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from plek.atlas.permissions import Viewer
from plek.core.errors import PermissionDenied
from plek.knowledge import selectors as knowledge_selectors
from plek.knowledge.indexing import outbox_apply
from plek.knowledge.models import KnowledgeItem
from plek.learning import selectors, services
from plek.learning.models import Lesson, Trajectory
from plek.learning.tests.conftest import ADMIN, add_item, make_trajectory

pytestmark = pytest.mark.django_db


def make_lesson(
    trajectory: Trajectory | None,
    *,
    title: str = "Een gebiedsfonds doorbreekt verkokerde budgetten",
    regions: tuple[str, ...] = ("PV30",),
    themes: tuple[str, ...] = ("stikstof",),
    visibility: str = "public",
    viewer: Viewer = ADMIN,
) -> Lesson:
    form = services.lesson_form(
        viewer=viewer,
        data={
            "title": title,
            "insight": "Geld uit verschillende programma's in één gebiedsfonds maakt gebiedsgerichte "
            "financiering van maatregelen mogelijk.",
            "evidence": "Twee reflectiesessies.",
            "conditions": "Met een trekker die over programmagrenzen heen beslist.",
            "regions": list(regions),
            "themes": list(themes),
            "scale": "regional",
            "date": "2024-09-01",
            "visibility": visibility,
        },
    )
    return services.lesson_save(viewer=viewer, form=form, trajectory=trajectory)


def test_publishing_a_lesson_creates_a_knowledge_item_that_search_finds(hub: Any) -> None:
    peel = make_trajectory(title="Stikstof in De Peel", regions=("PV30",), themes=("stikstof",), hub=hub)
    lesson = make_lesson(peel)
    item = services.lesson_publish(viewer=ADMIN, lesson=lesson)
    assert item.kind == KnowledgeItem.Kind.LESSON and item.category == "practice"
    assert item.title == lesson.title
    assert "gebiedsfonds" in item.body and "Stikstof in De Peel" in item.body
    assert sorted(r.code for r in item.regions.all()) == ["PV30"]
    lesson.refresh_from_db()
    assert lesson.knowledge_item_id == item.pk
    outbox_apply()  # what the worker does after commit
    found = knowledge_selectors.search(
        viewer=Viewer(), params=knowledge_selectors.SearchParams(q="gebiedsfonds", type="knowledge")
    )
    assert [h.slug for h in found.result.hits] == [item.slug]
    # Publishing again updates the same item.
    again = services.lesson_publish(viewer=ADMIN, lesson=lesson)
    assert again.pk == item.pk and KnowledgeItem.objects.count() == 1


def test_a_published_lesson_is_never_more_open_than_its_trajectory(hub: Any) -> None:
    closed = make_trajectory(title="Besloten traject", visibility="private", hub=hub)
    lesson = make_lesson(closed, visibility="public")
    item = services.lesson_publish(viewer=ADMIN, lesson=lesson)
    assert item.visibility == "private"
    outbox_apply()
    found = knowledge_selectors.search(
        viewer=Viewer(), params=knowledge_selectors.SearchParams(q="gebiedsfonds")
    )
    assert found.result.total == 0


def test_publishing_needs_the_right_to_change_the_lesson_and_write_knowledge(
    viewers: dict[str, Viewer], trajectory: Trajectory
) -> None:
    lesson = make_lesson(trajectory)
    for role in ("anonymous", "outsider", "member"):
        with pytest.raises(PermissionDenied):
            services.lesson_publish(viewer=viewers[role], lesson=lesson)
    assert KnowledgeItem.objects.count() == 0
    assert Lesson.objects.get(pk=lesson.pk).knowledge_item_id is None
    services.lesson_publish(viewer=viewers["coordinator"], lesson=lesson)
    assert KnowledgeItem.objects.count() == 1


def test_a_trajectory_shows_a_matching_lesson_from_another_region_with_the_reason(hub: Any) -> None:
    kop = make_trajectory(
        title="Zoetwater in de Kop", regions=("PV27",), themes=("water-bodem", "stikstof"), hub=hub
    )
    add_item(
        kop,
        text="Hoe financieren we maatregelen voor water en natuur samen?",
        barrier="Verkokerde budgetten per programma maken gebiedsgerichte financiering onmogelijk.",
        day=dt.date(2024, 2, 1),
    )
    peel = make_trajectory(title="Stikstof in De Peel", regions=("PV30",), themes=("stikstof",))
    published = make_lesson(peel)
    item = services.lesson_publish(viewer=ADMIN, lesson=published)
    # A lesson tagged to the trajectory's own province (or a municipality in it) is not "elsewhere".
    make_lesson(None, title="Gebiedsfonds in Amsterdam", regions=("GM0363",))
    outbox_apply()
    suggestions = selectors.lessons_from_elsewhere(viewer=Viewer(), trajectory=kop)
    assert [(s.hit.type, s.hit.slug) for s in suggestions] == [("knowledge", item.slug)]
    reason = suggestions[0]
    assert reason.items == [1]
    assert "gebiedsfonds" not in [w.lower() for w in reason.words]  # words come from the agenda item
    assert "financiering" in {w.lower() for w in reason.words}
    assert reason.themes == ["Stikstof"]
    assert reason.regions == ["provincie Noord-Brabant"]


def test_an_unpublished_lesson_from_elsewhere_is_suggested_too_but_not_a_hidden_one(
    hub: Any, viewers: dict[str, Viewer]
) -> None:
    kop = make_trajectory(title="Zoetwater in de Kop", regions=("PV27",), hub=hub)
    add_item(kop, text="Hoe delen we netcapaciteit tussen bedrijven?", day=dt.date(2024, 2, 1))
    open_lesson = make_lesson(None, title="Netcapaciteit delen via een energiehub", regions=("PV25",))
    make_lesson(None, title="Netcapaciteit delen in het geheim", regions=("PV25",), visibility="private")
    outbox_apply()
    found = selectors.lessons_from_elsewhere(viewer=viewers["outsider"], trajectory=kop)
    assert [(s.hit.type, s.hit.slug) for s in found] == [("lesson", open_lesson.slug)]
    assert len(selectors.lessons_from_elsewhere(viewer=viewers["admin"], trajectory=kop)) == 2
