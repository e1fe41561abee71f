"""Region pages for anonymous visitors depend on the questions *of their own area* only
(plek/brokering/regions.py, `freshness.region_topic`): a question asked, moved, closed or deleted
throws away the cached pages of the regions that show it — the region itself, the regions containing
it and those within it — and leaves every other region's page in the cache."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from plek.atlas.models import Hub, Region, RegionContainment
from plek.atlas.picture import regions_reached
from plek.atlas.selectors import region_graph
from plek.brokering.models import Question
from plek.brokering.services import question_form, question_submit
from plek.brokering.tests.factories import as_viewer
from plek.core import freshness

# Real commits: the generations move in on_commit callbacks.
pytestmark = pytest.mark.django_db(transaction=True)

FORM = {
    "title": "Wie meet de bodemdaling onder de dijk?",
    "text": "We zien scheuren in de dijkwoningen. Wie heeft meetgegevens van de bodemdaling hier?",
    "regions": ["GM0363"],
    "themes": ["waterberging"],
    "answer_kind": "expert",
    "asker_role": "practice",
    "visibility": "public",
}
TITLE = FORM["title"]


def _warm(visitor: Client, *codes: str) -> None:
    for code in codes:
        visitor.get(f"/gebieden/{code}/")
        assert visitor.get(f"/gebieden/{code}/")["X-PLeK-Cache"] == "hit", code


def _ask(user: Any, **changes: Any) -> Question:
    viewer = as_viewer(user)
    return question_submit(viewer=viewer, form=question_form(viewer=viewer, data={**FORM, **changes}))


def test_a_question_moves_the_pages_of_its_area_and_no_others(
    shared_cache: None, cast: dict[str, Any]
) -> None:
    visitor = Client()
    _warm(visitor, "GM0363", "PV27", "NL", "PV26", "GM0344")
    _ask(cast["outsider"])  # Amsterdam, in Noord-Holland, in the Netherlands
    for code in ("GM0363", "PV27", "NL"):
        page = visitor.get(f"/gebieden/{code}/")
        assert page["X-PLeK-Cache"] == "miss", code
        assert TITLE in page.content.decode(), code
    for code in ("PV26", "GM0344"):  # Utrecht: not this question's area
        page = visitor.get(f"/gebieden/{code}/")
        assert page["X-PLeK-Cache"] == "hit", code
        assert TITLE not in page.content.decode()


def test_moving_closing_or_deleting_a_question_moves_the_pages_it_left(
    shared_cache: None, cast: dict[str, Any]
) -> None:
    question = _ask(cast["outsider"])
    visitor = Client()
    _warm(visitor, "GM0363", "GM0344", "PV26")
    with transaction.atomic():
        question.regions.set([Region.objects.get(code="GM0344")])
    amsterdam, utrecht = visitor.get("/gebieden/GM0363/"), visitor.get("/gebieden/GM0344/")
    assert amsterdam["X-PLeK-Cache"] == utrecht["X-PLeK-Cache"] == "miss"
    assert TITLE not in amsterdam.content.decode() and TITLE in utrecht.content.decode()
    assert TITLE in visitor.get("/gebieden/PV26/").content.decode()

    _warm(visitor, "GM0344", "GM0363")
    Question.objects.filter(pk=question.pk).get().save(update_fields=["title"])  # any save of it
    assert visitor.get("/gebieden/GM0344/")["X-PLeK-Cache"] == "miss"
    assert visitor.get("/gebieden/GM0363/")["X-PLeK-Cache"] == "hit"

    question.visibility = "hub"  # no longer public: gone for anonymous visitors at once
    question.save()
    assert TITLE not in visitor.get("/gebieden/GM0344/").content.decode()

    question.visibility = "public"
    question.save()
    _warm(visitor, "GM0344")
    with transaction.atomic():
        question.regions.clear()
    assert TITLE not in visitor.get("/gebieden/GM0344/").content.decode()

    question.regions.add(Region.objects.get(code="GM0344"))
    _warm(visitor, "GM0344")
    Question.objects.get(pk=question.pk).delete()
    page = visitor.get("/gebieden/GM0344/")
    assert page["X-PLeK-Cache"] == "miss" and TITLE not in page.content.decode()


def test_asking_moves_the_scoped_generation_of_the_region_on_commit(
    shared_cache: None, cast: dict[str, Any]
) -> None:
    visitor = Client()
    visitor.get("/gebieden/GM0363/")
    topic = freshness.region_topic("brokering", Region.objects.get(code="GM0363").pk)
    (before,) = freshness.generations(topic)
    _ask(cast["outsider"])
    (after,) = freshness.generations(topic)
    assert before != after
    assert TITLE in visitor.get("/gebieden/GM0363/").content.decode()


def test_the_regions_a_link_reaches_are_the_region_those_containing_it_and_those_within(
    ref: None,
) -> None:
    ids = {r.code: r.pk for r in Region.objects.filter(code__in=["GM0363", "PV27", "NL", "PV26"])}
    reached = regions_reached([ids["GM0363"]])
    assert {ids["GM0363"], ids["PV27"], ids["NL"]} <= reached and ids["PV26"] not in reached
    province = regions_reached([ids["PV27"]])
    assert ids["GM0363"] in province and ids["NL"] in province and ids["PV26"] not in province
    assert regions_reached([]) == set()


def test_the_region_graph_memo_follows_committed_changes_and_a_transaction_sees_its_own(
    shared_cache: None, hub: Hub
) -> None:
    amsterdam, utrecht = Region.objects.get(code="GM0363"), Region.objects.get(code="PV26")
    assert utrecht.pk not in region_graph().ancestors(amsterdam.pk)
    assert region_graph() is region_graph()  # memoised while atlas does not move
    with transaction.atomic():
        RegionContainment.objects.create(parent=utrecht, child=amsterdam, kind="contains")
        assert utrecht.pk in region_graph().ancestors(amsterdam.pk)  # its own write, uncommitted
    assert utrecht.pk in region_graph().ancestors(amsterdam.pk)  # committed: every process
    RegionContainment.objects.filter(parent=utrecht, child=amsterdam).delete()
    assert utrecht.pk not in region_graph().ancestors(amsterdam.pk)


def test_the_question_list_and_the_map_are_cached_for_visitors_and_move_on_with_a_question(
    shared_cache: None, cast: dict[str, Any]
) -> None:
    visitor = Client()
    for url in ("/vragen/", "/kaart/?maat=open_questions"):
        assert visitor.get(url).status_code == 200
        assert visitor.get(url)["X-PLeK-Cache"] == "hit", url
    _ask(cast["outsider"])
    listed = visitor.get("/vragen/")
    assert listed["X-PLeK-Cache"] == "miss" and TITLE in listed.content.decode()
    assert visitor.get("/kaart/?maat=open_questions")["X-PLeK-Cache"] == "miss"
    # The filter form asks through htmx: never from the cache.
    assert "X-PLeK-Cache" not in Client().get("/vragen/", HTTP_HX_REQUEST="true")
