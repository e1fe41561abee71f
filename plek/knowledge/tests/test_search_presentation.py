"""How the search page reads: plain text in snippets, knowledge ahead of directory entries for
topical queries (measured on the demo data, queries chosen by a rule), every label in English."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.test import Client

from plek.atlas.demo import Demo
from plek.atlas.models import Theme
from plek.atlas.permissions import viewer_for
from plek.knowledge.demo import demo_step as knowledge_demo_step
from plek.knowledge.indexing import reindex
from plek.knowledge.models import KnowledgeItem
from plek.knowledge.selectors import SearchParams, search

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(ref: None) -> None:
    Demo("small", seed=2026).run()
    knowledge_demo_step(scale="small", seed=2026, items=300)


def _topical_queries(n: int = 20) -> list[str]:
    """The rule: the themes most often tagged on the demo's knowledge items, by name (what people type
    for a topic), then the words most frequent in the items' titles (six letters or more, not the
    name of an area), until there are n."""
    from plek.atlas.models import Region

    counts: Counter[int] = Counter(
        KnowledgeItem.themes.through.objects.values_list("theme_id", flat=True)  # type: ignore[attr-defined]
    )
    labels = dict(Theme.objects.values_list("id", "label_nl"))
    queries = [labels[tid] for tid, _n in counts.most_common(n)]
    places = {
        w.lower() for name in Region.objects.values_list("name", flat=True) for w in re.findall(r"\w+", name)
    }
    words: Counter[str] = Counter(
        w.lower()
        for title in KnowledgeItem.objects.values_list("title", flat=True)
        for w in re.findall(r"[^\W\d_]{6,}", title)
        if w.lower() not in places
    )
    taken = {q.lower() for q in queries}
    for word, _n in words.most_common():
        if len(queries) == n:
            break
        if word not in taken and not any(word in q.lower() for q in queries):
            queries.append(word)
            taken.add(word)
    return queries


def test_knowledge_comes_first_for_the_most_common_topical_queries(
    demo: None, django_user_model: Any
) -> None:
    anonymous = viewer_for(None)
    queries = _topical_queries()
    assert len(queries) == 20
    firsts = {}
    for q in queries:
        found = search(viewer=anonymous, params=SearchParams(q=q))
        assert found.result.hits, q
        firsts[q] = found.result.hits[0].type
        # the page is still one ranking: knowledge, then other writing, then the directory
        order = {"knowledge": 0, "question": 1, "trajectory": 1, "lesson": 1, "decision": 1}
        ranks = [order.get(h.type, 2) for h in found.result.hits]
        assert ranks == sorted(ranks), (q, ranks)
    assert all(t == "knowledge" for t in firsts.values()), firsts


def test_tiers_page_through_every_hit_once(demo: None) -> None:
    anonymous = viewer_for(None)
    q = _topical_queries(1)[0]
    first = search(viewer=anonymous, params=SearchParams(q=q, size=10))
    total = first.result.total
    keys: list[str] = []
    for page in range(1, min(40, total // 10 + 2) + 1):
        keys += [
            h.key for h in search(viewer=anonymous, params=SearchParams(q=q, size=10, page=page)).result.hits
        ]
    assert len(keys) == len(set(keys)) == min(total, 400)


def test_a_directory_entry_named_exactly_comes_first(demo: None) -> None:
    from plek.atlas.models import Organisation

    org = Organisation.objects.order_by("id").first()
    assert org is not None
    found = search(viewer=viewer_for(None), params=SearchParams(q=org.name))
    assert found.result.hits[0].key == f"organisation:{org.pk}"


def test_snippets_show_text_not_markdown(ref: None) -> None:
    KnowledgeItem.objects.create(
        slug="wadi-handreiking",
        title="Handreiking wadi's",
        summary="Een **praktische** handreiking.",
        body="## Aanpak\n\nLeg een *wadi* aan volgens [de richtlijn](https://example.org/r) en `check` het.",
        kind="method",
        language="nl",
        visibility="public",
    )
    reindex()
    found = search(viewer=viewer_for(None), params=SearchParams(q="richtlijn"))
    snippet = found.result.hits[0].snippet
    assert "<mark>richtlijn</mark>" in snippet
    assert not re.search(r"\*|##|\]\(|`|https://", snippet), snippet


def test_tabs_and_facets_in_english(ref: None) -> None:
    KnowledgeItem.objects.create(
        slug="water-nl",
        title="Water vasthouden",
        summary="water",
        kind="method",
        language="nl",
        visibility="public",
    )
    reindex()
    page = Client().get("/zoeken/", {"q": "water", "lang": "en"}).content.decode()
    tabs = re.search(r'<ul class="plek-tabs">(.*?)</ul>', page, re.S)
    assert tabs is not None
    labels = re.findall(r">([^<>]+)</a>", tabs.group(1))
    assert labels[:2] == ["All", "Knowledge"], labels
    for dutch in ("Alles", "Kennis<", "Kennishouders", "Organisaties", "Netwerken", ">Nederlands<"):
        assert dutch not in tabs.group(1) + page.split('class="plek-facets"')[1].split("</aside>")[0], dutch
    assert ">Dutch</a>" in page
