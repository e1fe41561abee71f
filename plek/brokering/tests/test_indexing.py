"""Questions as search documents: only those allowed to see a question can find it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plek.atlas.models import Hub, Region, Theme
from plek.brokering.indexing import SEARCH_BUILDERS, build_questions
from plek.brokering.models import Question
from plek.brokering.tests.factories import ROLES, QuestionFactory, as_viewer
from plek.core.models import Visibility
from plek.knowledge.indexing import viewer_keys
from plek.knowledge.search import get_backend
from plek.knowledge.search.base import SearchQuery

pytestmark = pytest.mark.django_db


def test_a_question_document_carries_its_text_tags_and_state(ref: None) -> None:
    question = QuestionFactory(
        title="Zoutindringing bij de inlaat",
        text="Hoe gaan andere waterschappen om met verzilting?",
        context="Droge zomers.",
        state=Question.State.ANSWERED,
        regions=[Region.objects.get(code="GM0363")],
        themes=[Theme.objects.get(slug="waterberging")],
    )
    (doc,) = build_questions([question.pk])
    assert (doc.key, doc.type, doc.slug, doc.kind) == (
        f"question:{question.pk}",
        "question",
        question.slug,
        "answered",
    )
    assert doc.summary == question.text and doc.body == "Droge zomers."
    assert doc.regions == ["GM0363"]
    assert "waterberging" in doc.themes and "water-bodem" in doc.themes  # with the parent theme
    assert doc.visibility_keys == ["public", f"user:{question.asker_id}"]
    assert SEARCH_BUILDERS["question"] == (Question, build_questions)


def test_building_takes_a_fixed_number_of_queries(ref: None) -> None:
    regions = [Region.objects.get(code="GM0363")]
    ids = [QuestionFactory(regions=regions).pk for _ in range(30)]
    counts = []
    for batch in (ids[:5], ids):
        with CaptureQueriesContext(connection) as ctx:
            assert len(build_questions(batch)) == len(batch)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("visibility", [Visibility.PRIVATE, Visibility.HUB, Visibility.PUBLIC])
def test_only_those_allowed_find_a_question(visibility: str, people: dict[str, Any], hub: Hub) -> None:
    question = QuestionFactory(
        title="Verzilting van de polder",
        text="Wie weet hoe boeren omgaan met verzilting?",
        visibility=visibility,
        asker=people["asker"],
        broker=people["broker"],
        owner_hub=hub,
    )
    backend = get_backend()
    backend.index(build_questions([question.pk]))
    finds = {
        Visibility.PUBLIC: set(ROLES),
        Visibility.HUB: {"member", "coordinator", "admin", "asker", "broker"},
        # Hub coordinators reach private questions through their queue, not through search.
        Visibility.PRIVATE: {"admin", "asker", "broker"},
    }[visibility]
    for role in ROLES:
        query = SearchQuery(
            text="verzilting", types=["question"], viewer_keys=viewer_keys(as_viewer(people[role]))
        )
        found = [hit.id for hit in backend.query(query).hits]
        assert (found == [question.pk]) is (role in finds), role
