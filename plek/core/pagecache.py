"""Whole pages for anonymous visitors, from the shared cache, never stale after a commit.

Which pages: the URL names in `settings.PLEK_ANONYMOUS_PAGES` (public reading pages), for a GET by a
visitor who is not signed in, has no message waiting and is not an htmx request.

Freshness without declaring anything: while a page renders, every SQL statement it runs is looked at
and the PLeK apps whose tables it reads become the page's *topics* (`plek.core.freshness`), together
with the topics of values it took from the cache (`freshness.remember`) or of a search index
(`freshness.depends_on`). The page is stored under the generations those topics had *before* it was
rendered; a write to any of those apps that commits moves a generation on, and the next visitor gets a
fresh render. A write that commits while a page renders leaves that render unreachable.

Per visitor, a cached page still gets its own CSRF token and CSP nonce: both are stored as placeholders
and filled in for each response.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import get_language

from plek.core import freshness

CSRF_PLACEHOLDER = "plek-csrf-placeholder-7f3a9c"
NONCE_PLACEHOLDER = "plek-nonce-placeholder-7f3a9c"
TIMEOUT = 3600  # seconds; the key also holds the date, so nothing dated ("over 3 dagen") outlives its day
_QUOTED = re.compile(r'"([A-Za-z0-9_]+)"')
_tables: dict[str, str] | None = None


def table_topics() -> dict[str, str]:
    """Database table → topic, for every model (and many-to-many table) of PLeK's apps."""
    global _tables
    if _tables is None:
        found: dict[str, str] = {}
        for model in apps.get_models(include_auto_created=True):
            topic = freshness.topic_of(model)
            if topic is not None:
                found[model._meta.db_table] = topic
        _tables = found
    return _tables


class _Tracker:
    """Adds the topic of each table a statement names to the topics being tracked at that moment
    (`freshness.tracking`: the page's, or a remembered value's while it is computed)."""

    def __init__(self) -> None:
        self.topics: set[str] = set()
        self.tables = table_topics()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        topics = freshness.tracking.get()
        if topics is not None:
            for name in _QUOTED.findall(sql):
                topic = self.tables.get(name)
                if topic is not None:
                    topics.add(topic)
        return execute(sql, params, many, context)


def csrf_placeholder(request: HttpRequest) -> dict[str, Any]:
    """Context processor (after Django's own): a page rendered for the cache carries a placeholder
    where the CSRF token goes, filled in per response."""
    if getattr(request, "_plek_page_render", False):
        return {"csrf_token": CSRF_PLACEHOLDER}
    return {}


def _eligible(request: HttpRequest) -> bool:
    if request.method != "GET" or not freshness.enabled():
        return False
    match = request.resolver_match
    if match is None or match.view_name not in getattr(settings, "PLEK_ANONYMOUS_PAGES", ()):
        return False
    if request.headers.get("HX-Request") or "messages" in request.COOKIES:
        return False
    user = getattr(request, "user", None)
    if user is None or user.is_authenticated:
        return False
    session = getattr(request, "session", None)
    return not (session is not None and session.get("_messages"))


def _keys(request: HttpRequest) -> tuple[str, str]:
    digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()[:40]
    base = f"plek:page:{get_language()}:{timezone.localdate().isoformat()}:{digest}"
    return base + ":topics", base


def _fill(request: HttpRequest, content: bytes) -> bytes:
    if CSRF_PLACEHOLDER.encode() in content:
        content = content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
    if NONCE_PLACEHOLDER.encode() in content:
        content = content.replace(NONCE_PLACEHOLDER.encode(), str(request.csp_nonce).encode())  # type: ignore[attr-defined]
    return content


class AnonymousPageCacheMiddleware:
    """After authentication and messages, inside the CSRF and CSP middleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., HttpResponse], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not _eligible(request):
            return None
        topics_key, page_base = _keys(request)
        topics = cache.get(topics_key)
        if topics:
            gens = freshness.generations(*topics)
            stored = cache.get(page_base + ":" + _tag(topics, gens))
            if stored is not None:
                status, headers, content = stored
                response = HttpResponse(_fill(request, content), status=status)
                for name, value in headers:
                    response[name] = value
                response["X-PLeK-Cache"] = "hit"
                return response
        return self._render(request, view, args, kwargs, topics_key, page_base)

    def _render(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: Any,
        kwargs: Any,
        topics_key: str,
        page_base: str,
    ) -> HttpResponse:
        before = dict(
            zip(freshness.all_topics(), freshness.generations(*freshness.all_topics()), strict=True)
        )
        tracker = _Tracker()
        seen: dict[str, int] = {}
        request._plek_page_render = True  # type: ignore[attr-defined]
        token = freshness.tracking.set(tracker.topics)
        seen_token = freshness.observed.set(seen)
        try:
            with connections["default"].execute_wrapper(tracker):
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
        finally:
            freshness.tracking.reset(token)
            freshness.observed.reset(seen_token)
            request._plek_page_render = False  # type: ignore[attr-defined]
        # A scoped topic's generation is the one `remember` read before computing what it guards.
        before.update((topic, gen) for topic, gen in seen.items() if topic not in before)
        content_type = response.get("Content-Type", "")
        storable = (
            response.status_code == 200
            and not response.streaming
            and content_type.startswith("text/html")
            and not response.cookies
            and "no-store" not in response.get("Cache-Control", "")
            and tracker.topics <= set(before)
        )
        content = response.content if not response.streaming else b""
        if storable:
            nonce = getattr(request, "_csp_nonce", None)
            stored_content = content.replace(nonce.encode(), NONCE_PLACEHOLDER.encode()) if nonce else content
            topics = tuple(sorted(tracker.topics))
            gens = tuple(before[t] for t in topics)
            headers = [(k, v) for k, v in response.headers.items() if k.lower() not in ("set-cookie", "vary")]
            cache.set_many(
                {
                    topics_key: topics,
                    page_base + ":" + _tag(topics, gens): (response.status_code, headers, stored_content),
                },
                timeout=TIMEOUT,
            )
            response["X-PLeK-Cache"] = "miss"
        if not response.streaming and (
            CSRF_PLACEHOLDER.encode() in content or NONCE_PLACEHOLDER.encode() in content
        ):
            response.content = _fill(request, content)
        return response


def rendered_for(
    request: HttpRequest, parts: Any, topics: tuple[str, ...], render: Callable[[], HttpResponse]
) -> HttpResponse:
    """While a page renders for the anonymous page cache: the HTML rendered before from the same
    `parts` (everything the template shows that does not come from the tables of `topics`, e.g. a
    search's hits, totals and facets), rendered only when those parts are new.

    The page cache throws a search page away each time the index moves on; most of those moves do
    not change what one query finds (a question about water does not change a search for stikstof),
    and then the query runs again but the template does not. Outside such a render: `render()`."""
    if not getattr(request, "_plek_page_render", False):
        return render()
    digest = hashlib.sha256(
        repr((request.get_full_path(), get_language(), timezone.localdate().isoformat(), parts)).encode()
    ).hexdigest()

    def html() -> tuple[int, bytes]:
        response = render()
        content = response.content
        nonce = getattr(request, "_csp_nonce", None)
        if nonce:
            content = content.replace(str(nonce).encode(), NONCE_PLACEHOLDER.encode())
        return response.status_code, content

    status, content = freshness.remember(f"html:{digest}", topics, html)
    return HttpResponse(content, status=status)


def _tag(topics: tuple[str, ...], gens: tuple[int, ...]) -> str:
    return hashlib.sha256(repr((topics, gens)).encode()).hexdigest()[:32]
