"""The search interface every backend implements, and the values that cross it.

The search package is a library: it knows nothing of Django models. The knowledge app turns rows into
:class:`SearchDoc` values (see ``plek.knowledge.indexing``) and asks questions with :class:`SearchQuery`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

FACET_KEYS = ("type", "theme", "region", "scale", "kind", "year", "language")
FACET_LIMIT = 100  # values per facet, most frequent first (ties by value)


class SearchError(Exception):
    """The search backend cannot be used (misconfigured, unreachable)."""


@dataclass
class SearchDoc:
    key: str  # "knowledge:123", "person:45", ...
    type: str  # knowledge | person | organisation | network | hub | programme
    id: int
    slug: str
    title: str
    summary: str = ""
    body: str = ""
    themes: list[str] = field(default_factory=list)  # theme slugs, ancestors included by the caller
    regions: list[str] = field(default_factory=list)  # region codes the thing is tagged to
    scale: str = ""  # local | regional | national
    kind: str = ""
    year: int | None = None
    language: str = "nl"
    date: datetime.date | None = None
    visibility_keys: list[str] = field(
        default_factory=lambda: ["public"]
    )  # "public", "members", "hub:3", "user:7"


@dataclass
class SearchQuery:
    text: str = ""
    types: list[str] | None = None
    themes: list[str] | None = None  # match any
    regions: list[str] | None = None  # match any (the caller expands to containing + contained regions)
    scale: str | None = None
    kind: str | None = None
    year: int | None = None
    language: str | None = None
    viewer_keys: list[str] | None = field(default_factory=lambda: ["public"])  # None = administrator
    sort: str = "relevance"  # or "date" (newest first)
    # "all": documents with every word (OR-ed only when none has them all); "any": any word, ranked
    # by BM25 at once (matching a whole question text against the collection).
    match: str = "all"
    # False: hits carry their summary and body in `texts` instead of a snippet, for callers that
    # rank many hits and show few (make snippets for those with query.snippet).
    snippets: bool = True
    # False: `total` is the number of hits returned, not of all matches (lets the engine skip
    # documents that cannot reach the top; for callers that only rank, like matching).
    count: bool = True
    # With match="any": use only the this many most informative words (rarest in the collection;
    # words no document has are dropped). None: all words. Backends that cannot tell use all.
    max_terms: int | None = None
    # True (with snippets False): each hit carries only its key, type, id and score, and says so
    # (`SearchHit.light`), where the backend can tell them without reading the stored document; for
    # callers that hold the rest in memory (matching: the vector rows) and fetch what they lack with
    # `SearchBackend.documents`. Backends that cannot tell return whole hits.
    light: bool = False
    offset: int = 0
    limit: int = 20
    facets: bool = True


@dataclass
class SearchHit:
    key: str
    type: str
    id: int
    slug: str
    title: str
    score: float
    snippet: str  # HTML-safe: escaped text with <mark>…</mark> around matched words
    regions: list[str]
    themes: list[str]
    date: datetime.date | None
    kind: str
    scale: str
    texts: tuple[str, str] = ("", "")  # (summary, body) when the query asked for no snippets
    light: bool = False  # only key, type, id and score are set (the query asked for light hits)


@dataclass
class FacetCount:
    value: str
    count: int


@dataclass
class SearchResult:
    hits: list[SearchHit]
    total: int
    facets: dict[str, list[FacetCount]]  # keys: type, theme, region, scale, kind, year, language
    relaxed: bool = False  # True when no document had all words and the words were OR-ed instead
    # True when total and facet counts are estimates (the PostgreSQL backend beyond its sample size)
    estimated: bool = False


@runtime_checkable
class SearchBackend(Protocol):
    name: str

    def index(self, docs: Iterable[SearchDoc]) -> None: ...  # upsert by key

    def delete(self, keys: Iterable[str]) -> None: ...

    def query(self, q: SearchQuery) -> SearchResult: ...

    def more_like_this(self, key: str, q: SearchQuery, limit: int = 5) -> list[SearchHit]: ...

    # Whole hits (no snippet: summary and body in `texts`, score 0) of these documents that the viewer
    # may see, in the order of `keys`; those not in the index are left out.
    def documents(self, keys: Sequence[str], viewer_keys: list[str] | None) -> list[SearchHit]: ...

    def clear(self) -> None: ...

    def count(self) -> int: ...

    def healthy(self) -> bool: ...

    def size_bytes(self) -> int: ...

    def fingerprints(self) -> dict[str, str]: ...  # key -> doc_fingerprint, for `plek search verify`


def doc_fingerprint(title: str, visibility_keys: Iterable[str] | None) -> str:
    """What `plek search verify` compares between the index and the database: the title and who may
    find the document (the fields a stale or half-applied change would show up in)."""
    import hashlib

    raw = (title or "") + "\x1f" + "\x1e".join(clean_list(visibility_keys))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:16]


def clean_list(values: Iterable[str] | None) -> list[str]:
    """Distinct non-empty strings, sorted (multi-valued fields count each value once)."""
    return sorted({v for v in values or () if v})


MAX_LIMIT = 1000  # hits per page at most
MAX_OFFSET = 10_000  # deeper pages are empty (the total is still counted)


def page_bounds(q: SearchQuery) -> tuple[int, int]:
    """(offset, limit) made safe: no negatives, at most MAX_LIMIT hits, nothing past MAX_OFFSET."""
    offset = max(0, int(q.offset or 0))
    limit = max(0, min(int(q.limit or 0), MAX_LIMIT))
    if offset > MAX_OFFSET:
        return 0, 0
    return offset, limit


def sort_facets(counts: dict[str, dict[str, int]]) -> dict[str, list[FacetCount]]:
    out: dict[str, list[FacetCount]] = {}
    for key in FACET_KEYS:
        values = counts.get(key, {})
        ranked = sorted(
            ((v, c) for v, c in values.items() if v != "" and c > 0), key=lambda vc: (-vc[1], vc[0])
        )
        out[key] = [FacetCount(v, c) for v, c in ranked[:FACET_LIMIT]]
    return out


def empty_facets() -> dict[str, list[FacetCount]]:
    return {key: [] for key in FACET_KEYS}
