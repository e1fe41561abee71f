"""The anonymous page cache (plek/core/pagecache.py) and the generations behind it
(plek/core/freshness.py): cached pages are served, and never after a change that shows on them has
committed — through a page, the search index, a region's picture — nor to someone signed in."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client

from plek.atlas.models import Hub, Region
from plek.core import freshness
from plek.core.models import ChangeLog
from plek.knowledge.tests.test_views import FORM, client_for

# Real commits: the generations move in on_commit callbacks, one per transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def _new_item(client: Client, capture: Any, title: str, **extra: Any) -> str:
    with capture(execute=True):
        response = client.post("/kennis/nieuw/", {**FORM, "title": title, **extra})
    assert response.status_code == 302, response.content[:2000]
    return response["Location"]


def test_a_generation_moves_when_the_write_commits_not_before(shared_cache: None, hub: Hub) -> None:
    before = freshness.generations("atlas", "knowledge")
    with transaction.atomic():
        Hub.objects.create(slug="nieuw", name="Nieuwe hub")
        Hub.objects.create(slug="nieuw-2", name="Nog een hub")
        assert freshness.generations("atlas", "knowledge") == before  # not committed yet
        assert len(connection.run_on_commit) == 1  # one callback however many rows
    after = freshness.generations("atlas", "knowledge")
    assert after[0] != before[0] and after[1] == before[1]


def test_pinned_generations_are_read_once_and_follow_the_blocks_own_bumps(
    shared_cache: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Within `pinned()` a topic's generation is read from the shared cache once: another process's
    bump is not seen until the block ends, one made within the block at once; outside, every call
    reads again."""
    from django.core.cache import cache

    reads: list[list[str]] = []

    class Counting:
        def get_many(self, keys: list[str]) -> dict[str, Any]:
            reads.append(list(keys))
            return cache.get_many(keys)

        def __getattr__(self, name: str) -> Any:
            return getattr(cache, name)

    monkeypatch.setattr(freshness, "cache", Counting())
    start = freshness.generations("knowledge", "atlas")
    with freshness.pinned():
        assert freshness.generations("knowledge", "atlas") == start
        cache.set(freshness.PREFIX + "knowledge", 12345, timeout=None)  # another process's bump
        with freshness.pinned():  # a nested block shares the outer one's
            assert freshness.generations("knowledge") == (start[0],)
        assert freshness.generations("atlas", "knowledge") == (start[1], start[0])
        fresh = freshness.generations("learning")
        freshness.bump(["atlas"])
        moved = freshness.generations("atlas")
        assert moved != (start[1],) and moved == (cache.get(freshness.PREFIX + "atlas"),)
        assert freshness.generations("learning") == fresh
    assert reads == [
        [freshness.PREFIX + t for t in topics] for topics in (("knowledge", "atlas"),) * 2 + (("learning",),)
    ]
    assert freshness.generations("knowledge") == (12345,)  # the block over: read again, every time
    assert freshness.generations("knowledge") == (12345,) and len(reads) == 5


def test_a_rolled_back_write_moves_nothing_and_the_next_write_still_does(
    shared_cache: None, hub: Hub
) -> None:
    before = freshness.generations("atlas")
    with pytest.raises(RuntimeError), transaction.atomic():
        Hub.objects.create(slug="weg", name="Teruggedraaid")
        raise RuntimeError
    assert freshness.generations("atlas") == before
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic():
            Hub.objects.create(slug="weg-2", name="Teruggedraaid binnen")
            raise RuntimeError
        Hub.objects.create(slug="blijft", name="Blijft")
    assert freshness.generations("atlas") != before


def test_a_rolled_back_write_leaves_the_memos_usable(shared_cache: None, hub: Hub) -> None:
    """A per-process memo keyed on the committed generation is skipped while this transaction has
    written its topic, and used again once a rollback dropped that write (seen failing: a test after
    one that rolled back an atlas write found the regions' memo never used)."""
    assert freshness.committed_generation("atlas") is not None
    with transaction.atomic():
        Hub.objects.create(slug="open", name="Nog niet vastgelegd")
        assert freshness.committed_generation("atlas") is None  # its own write: no memo
    with pytest.raises(RuntimeError), transaction.atomic():
        Hub.objects.create(slug="weg", name="Teruggedraaid")
        raise RuntimeError
    assert freshness.committed_generation("atlas") == freshness.generations("atlas")[0]
    with transaction.atomic():  # and inside a later transaction that has not written atlas
        assert freshness.committed_generation("atlas") == freshness.generations("atlas")[0]


def test_bookkeeping_rows_move_no_generation(shared_cache: None, hub: Hub) -> None:
    before = freshness.generations(*freshness.all_topics())
    with transaction.atomic():
        ChangeLog.objects.create(
            content_type=ContentType.objects.get_for_model(Hub),
            object_id=hub.pk,
            object_repr="x",
            action="update",
        )
    assert freshness.generations(*freshness.all_topics()) == before


def test_an_anonymous_page_is_served_from_the_cache_until_an_edit_commits(
    shared_cache: None, cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    url = _new_item(client_for(cast["member"]), django_capture_on_commit_callbacks, "Peilbuizen in het veen")
    visitor = Client()
    first = visitor.get(url)
    assert first["X-PLeK-Cache"] == "miss" and "Peilbuizen in het veen" in first.content.decode()
    second = visitor.get(url)
    assert second["X-PLeK-Cache"] == "hit" and "Peilbuizen in het veen" in second.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        edited = client_for(cast["member"]).post(
            url + "bewerken/", {**FORM, "title": "Peilbuizen in het laagveen"}
        )
    assert edited.status_code == 302
    third = visitor.get(url)
    assert third["X-PLeK-Cache"] == "miss"
    assert "Peilbuizen in het laagveen" in third.content.decode()


def test_signed_in_people_never_get_a_cached_page(
    shared_cache: None, cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    url = _new_item(client_for(cast["member"]), django_capture_on_commit_callbacks, "Dijkversterking")
    Client().get(url)
    assert Client().get(url)["X-PLeK-Cache"] == "hit"
    for role in ("outsider", "member", "coordinator", "admin"):
        response = client_for(cast[role]).get(url)
        assert response.status_code == 200
        assert "X-PLeK-Cache" not in response
    assert "X-PLeK-Cache" not in Client().get(url, headers={"HX-Request": "true"})


def test_a_cached_page_gives_each_visitor_their_own_working_csrf_token(shared_cache: None, ref: None) -> None:
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    assert first.get("/")["X-PLeK-Cache"] == "miss"
    page = second.get("/")
    assert page["X-PLeK-Cache"] == "hit"
    html = page.content.decode()
    assert "plek-csrf-placeholder" not in html
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert tokens, "the home page has a form with a CSRF token (the language switch)"
    switched = second.post(
        "/i18n/setlang/", {"language": "en", "next": "/", "csrfmiddlewaretoken": tokens[0]}
    )
    assert switched.status_code == 302  # not 403: the token fits this visitor's cookie
    english = second.get("/")
    assert english.headers.get("Content-Language", "en").startswith("en")
    assert english["X-PLeK-Cache"] == "miss"  # the English page is another page


def test_a_region_page_shows_new_knowledge_of_a_municipality_within_it_at_once(
    shared_cache: None, cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    Region.objects.get(code="PV27")
    visitor = Client()
    visitor.get("/gebieden/PV27/")
    assert visitor.get("/gebieden/PV27/")["X-PLeK-Cache"] == "hit"
    _new_item(client_for(cast["member"]), django_capture_on_commit_callbacks, "Wadi bij de sporthal")
    page = visitor.get("/gebieden/PV27/")
    assert page["X-PLeK-Cache"] == "miss"
    assert "Wadi bij de sporthal" in page.content.decode()


def test_a_cached_search_page_moves_on_when_the_index_does(
    shared_cache: None, cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    visitor = Client()
    assert "Grondwaterbuffer" not in visitor.get("/zoeken/?q=grondwaterbuffer").content.decode()
    assert visitor.get("/zoeken/?q=grondwaterbuffer")["X-PLeK-Cache"] == "hit"
    _new_item(client_for(cast["member"]), django_capture_on_commit_callbacks, "Grondwaterbuffer in de duinen")
    page = visitor.get("/zoeken/?q=grondwaterbuffer")
    assert "Grondwaterbuffer in de duinen" in page.content.decode()


def test_indexing_one_kind_leaves_searches_of_another_kind_cached(shared_cache: None) -> None:
    knowledge_only = freshness.index_topics(["knowledge"])
    before = freshness.generations(*knowledge_only)
    freshness.bump(freshness.index_changed_topics({"question"}))
    assert freshness.generations(*knowledge_only) == before
    everything = freshness.index_topics(None)
    before = freshness.generations(*everything)
    freshness.bump(freshness.index_changed_topics({"question"}))
    assert freshness.generations(*everything) != before
    freshness.bump(freshness.index_changed_topics({"a-kind-nobody-listed"}))
    assert freshness.generations(*knowledge_only) != before[:2]


def test_a_per_process_cache_turns_the_page_cache_off(settings: Any, ref: None) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    Client().get("/")
    assert "X-PLeK-Cache" not in Client().get("/")


def test_a_search_page_renders_again_only_when_what_it_found_changed(
    shared_cache: None, cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """The index moving on throws the page away (`X-PLeK-Cache: miss`), the query runs again, but
    the template renders again only when the hits, totals or facets differ (`rendered_for`)."""
    from django.test.signals import template_rendered

    rendered: list[str] = []

    def on_render(sender: Any, template: Any, **kwargs: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(on_render)
    try:
        visitor = Client()
        _new_item(
            client_for(cast["member"]), django_capture_on_commit_callbacks, "Brakwaterlens in de polder"
        )
        first = visitor.get("/zoeken/?q=brakwaterlens")
        assert first["X-PLeK-Cache"] == "miss" and "Brakwaterlens in de polder" in first.content.decode()
        assert "knowledge/search.html" in rendered
        rendered.clear()
        # Something the query does not find: a new render of the page, not of its template.
        _new_item(client_for(cast["member"]), django_capture_on_commit_callbacks, "Zonneweide langs de A7")
        second = visitor.get("/zoeken/?q=brakwaterlens")
        assert second["X-PLeK-Cache"] == "miss"
        assert "knowledge/search.html" not in rendered
        html = second.content.decode()
        assert "Brakwaterlens in de polder" in html and "Zonneweide" not in html
        assert "plek-csrf-placeholder" not in html and "plek-nonce-placeholder" not in html
        assert visitor.get("/zoeken/?q=brakwaterlens")["X-PLeK-Cache"] == "hit"
        # Something it finds: the template renders and the page shows it.
        _new_item(client_for(cast["member"]), django_capture_on_commit_callbacks, "Brakwaterlens bij de dijk")
        third = visitor.get("/zoeken/?q=brakwaterlens")
        assert "knowledge/search.html" in rendered
        assert "Brakwaterlens bij de dijk" in third.content.decode()
    finally:
        template_rendered.disconnect(on_render)


def _picture_queries(client: Client, path: str) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx)


def test_a_signed_in_viewers_region_picture_is_their_own_and_moves_on_with_their_writes(
    shared_cache: None, cast: dict[str, Any], hub: Hub, django_capture_on_commit_callbacks: Any
) -> None:
    """Signed-in viewers' region sections are cached per person (`picture.viewer_key`): a second
    visit reads them from the cache; a hub-only item shows at once to the hub's member and never to
    an outsider, whose own cached picture was made before; joining the hub shows it at once."""
    member, outsider = client_for(cast["member"]), client_for(cast["outsider"])
    path = "/gebieden/PV27/"
    first = _picture_queries(member, path)
    again = _picture_queries(member, path)
    assert again < first - 10, (first, again)  # the sections came from the cache
    outsider.get(path)
    _new_item(member, django_capture_on_commit_callbacks, "Peilbeheer voor de hub", visibility="hub")
    assert "Peilbeheer voor de hub" in member.get(path).content.decode()
    assert "Peilbeheer voor de hub" not in outsider.get(path).content.decode()
    assert "Peilbeheer voor de hub" not in Client().get(path).content.decode()
    from plek.atlas.models import HubMembership

    HubMembership.objects.create(hub=hub, user=cast["outsider"], role=HubMembership.Role.MEMBER)
    assert "Peilbeheer voor de hub" in client_for(cast["outsider"]).get(path).content.decode()


def test_a_signed_in_viewers_map_counts_are_their_own_and_move_on_with_writes(
    shared_cache: None, cast: dict[str, Any], hub: Hub, django_capture_on_commit_callbacks: Any
) -> None:
    """Map measures are cached per person too: counted once, read from the cache after, counted again
    when knowledge is written; a hub-only item counts for the hub's member, not for an outsider."""
    from django.test.utils import CaptureQueriesContext

    from plek.atlas.permissions import viewer_for
    from plek.atlas.selectors import map_measure

    def count(user: Any) -> float:
        rows = map_measure(viewer=viewer_for(user), region_kind="province", measure="knowledge")
        return next(r["value"] for r in rows if r["region"].code == "PV27")

    member, outsider = count(cast["member"]), count(cast["outsider"])
    with CaptureQueriesContext(connection) as ctx:
        assert count(cast["member"]) == member
    assert not any("knowledge_knowledgeitem_regions" in q["sql"] for q in ctx.captured_queries)
    _new_item(
        client_for(cast["member"]), django_capture_on_commit_callbacks, "Dijkversterking", visibility="hub"
    )
    assert count(cast["member"]) == member + 1
    assert count(cast["outsider"]) == outsider
