"""Reads from the knowledge base and the one search over everything."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from plek.atlas.areas import region_relations
from plek.atlas.filters import in_scope
from plek.atlas.models import Region, Theme
from plek.atlas.permissions import Viewer, visible_q
from plek.core.models import SearchOutbox, SearchVector, WorkerHeartbeat
from plek.knowledge import embedruns
from plek.knowledge import vectors as embedding_vectors
from plek.knowledge.indexing import viewer_keys
from plek.knowledge.models import Attachment, EmbedRun, KnowledgeItem
from plek.knowledge.search import get_backend
from plek.knowledge.search.base import SearchHit, SearchQuery, SearchResult

SEARCH_TYPES = (
    "knowledge",
    "person",
    "organisation",
    "network",
    "hub",
    "programme",
    "question",
    "trajectory",
    "lesson",
    "decision",
)
MAX_QUERY_CHARS = 500


def knowledge_queryset(*, viewer: Viewer) -> QuerySet[KnowledgeItem]:
    return (
        KnowledgeItem.objects.filter(visible_q(viewer))
        .prefetch_related("themes", "regions")
        .order_by("-date", "-id")
    )


def knowledge_visible_by_id(*, viewer: Viewer, ids: list[int]) -> dict[int, KnowledgeItem]:
    """The items of these ids the viewer may see, by id, in one query (the search index is kept in
    step after each commit; the database has the last word on visibility)."""
    return KnowledgeItem.objects.filter(visible_q(viewer)).in_bulk(ids)


def knowledge_get(*, viewer: Viewer, slug: str) -> KnowledgeItem | None:
    item = (
        KnowledgeItem.objects.filter(visible_q(viewer), slug=slug)
        .prefetch_related(
            "themes", "regions", "author_people", "author_organisations", "attachments", "provenances"
        )
        .first()
    )
    return item


def knowledge_get_or_404(*, viewer: Viewer, slug: str) -> KnowledgeItem:
    item = knowledge_get(viewer=viewer, slug=slug)
    if item is None:
        raise Http404(slug)
    return item


def attachment_get(*, item: KnowledgeItem, pk: int) -> Attachment:
    """One of the item's attachments (the caller has checked it may see the item)."""
    attachment = Attachment.objects.filter(item=item, pk=pk).first()
    if attachment is None:
        raise Http404(pk)
    return attachment


def attachment_latest(*, item: KnowledgeItem) -> Attachment:
    """The item's most recently added attachment."""
    return Attachment.objects.filter(item=item).latest("pk")


@dataclass
class SearchParams:
    q: str = ""
    type: str | None = None
    theme: Theme | None = None
    region: Region | None = None
    scale: str | None = None
    kind: str | None = None
    year: int | None = None
    language: str | None = None
    sort: str = "relevance"
    page: int = 1
    size: int = 20


@dataclass
class Search:
    result: SearchResult
    params: SearchParams
    scope: dict[str, str] = field(default_factory=dict)  # region code -> "direct" | "broader" | "narrower"
    regions: dict[str, Region] = field(default_factory=dict)
    themes: dict[str, Theme] = field(default_factory=dict)

    def reach(self, hit: SearchHit) -> str | None:
        """How a hit relates to the region filter: direct, broader (tagged to a containing region)
        or narrower (tagged to a contained region)."""
        if not self.scope:
            return None
        order = {"direct": 0, "narrower": 1, "broader": 2}
        found = [self.scope[c] for c in hit.regions if c in self.scope]
        return min(found, key=order.__getitem__) if found else None


def region_scope(region: Region) -> dict[str, str]:
    """Region code -> how it relates to the area: "direct", "broader" or "narrower" (two queries)."""
    return region_relations([region]).relation


# The "all" tab on relevance lists knowledge first, then the other things people wrote (questions,
# trajectories, lessons, decisions), then directory entries (people, organisations, networks, hubs,
# programmes): a topical query is after knowledge, a directory entry it merely mentions comes later.
# Only a directory entry whose name is exactly the query comes first (someone looking it up).
RANK_TIERS: tuple[tuple[str, ...], ...] = (
    ("knowledge",),
    ("question", "trajectory", "lesson", "decision"),
    ("person", "organisation", "network", "hub", "programme"),
)
# A question whose answer is published is found as that answer (a knowledge item of the same title)
# in the "all" tab; the questions tab still lists it.
ANSWER_KIND = "answered_question"


def _theme_named(text: str) -> Theme | None:
    """The theme whose name (Dutch or English) is exactly the query, if any."""
    text = " ".join(text.split())
    if not text or len(text) > 120:
        return None
    return Theme.objects.filter(Q(label_nl__iexact=text) | Q(label_en__iexact=text)).first()


def _tiered(query: SearchQuery, text: str) -> SearchResult:
    """The "all" tab on relevance: facets over everything, hits tier by tier (one backend query for
    the facets and one per tier, whatever the page). A query that names a theme and finds no
    knowledge item with all its words lists the knowledge tagged with that theme instead."""
    backend = get_backend()
    overall = backend.query(replace(query, offset=0, limit=1, snippets=False))
    hits: list[SearchHit] = []
    seen = 0
    relaxed = False
    estimated = overall.estimated
    theme = _theme_named(text) if query.themes is None else None
    for i, types in enumerate(RANK_TIERS):
        tier = replace(query, types=list(types), facets=False)
        start = max(0, query.offset - seen)
        room = max(1, query.limit - len(hits))
        part = backend.query(replace(tier, offset=start, limit=room))
        if i == 0 and theme is not None and (part.total == 0 or part.relaxed):
            part = backend.query(replace(tier, text="", themes=[theme.slug], offset=start, limit=room))
        relaxed = relaxed or part.relaxed
        estimated = estimated or part.estimated
        if query.offset < seen + part.total and len(hits) < query.limit:
            hits.extend(part.hits[: query.limit - len(hits)])
        seen += part.total
    exact = text.strip().lower()
    if query.offset == 0 and exact:
        named = [h for h in hits if h.type in RANK_TIERS[-1] and h.title.strip().lower() == exact]
        if not named:
            look = backend.query(replace(query, types=list(RANK_TIERS[-1]), offset=0, limit=1, facets=False))
            named = [h for h in look.hits if h.title.strip().lower() == exact]
        if named:
            hits = [named[0], *[h for h in hits if h.key != named[0].key]][: query.limit]
    return SearchResult(hits=hits, total=seen, facets=overall.facets, relaxed=relaxed, estimated=estimated)


def _one_hit_per_thing(result: SearchResult) -> SearchResult:
    """Leave out a question when its published answer (same title) is among the hits."""
    answers = {
        h.title.strip().lower() for h in result.hits if h.type == "knowledge" and h.kind == ANSWER_KIND
    }
    if not answers:
        return result
    kept = [h for h in result.hits if not (h.type == "question" and h.title.strip().lower() in answers)]
    dropped = len(result.hits) - len(kept)
    return replace(result, hits=kept, total=max(0, result.total - dropped))


def search(*, viewer: Viewer, params: SearchParams, themes: dict[str, Theme] | None = None) -> Search:
    """One search. `themes` (every theme by slug, `atlas.selectors.themes_by_slug`) saves a query
    when the caller has already loaded them to check a theme filter."""
    scope = region_scope(params.region) if params.region else {}
    query = SearchQuery(
        text=(params.q or "")[:MAX_QUERY_CHARS],
        types=[params.type] if params.type else None,
        themes=[params.theme.slug] if params.theme else None,
        regions=sorted(scope) if scope else None,
        scale=params.scale or None,
        kind=params.kind or None,
        year=params.year,
        language=params.language or None,
        viewer_keys=viewer_keys(viewer),
        sort=params.sort if params.sort in ("relevance", "date") else "relevance",
        offset=(max(1, params.page) - 1) * params.size,
        limit=params.size,
        facets=True,
    )
    if params.type is None and query.sort == "relevance" and query.text.strip():
        result = _one_hit_per_thing(_tiered(query, query.text))
    elif params.type is None:
        result = _one_hit_per_thing(get_backend().query(query))
    else:
        result = get_backend().query(query)
    codes = set(scope)
    for values in result.facets.get("region", []):
        codes.add(values.value)
    for hit in result.hits:
        codes.update(hit.regions)
    return Search(
        result=result,
        params=params,
        scope=scope,
        regions={r.code: r for r in Region.objects.filter(code__in=codes).defer("geometry", "description")},
        themes=themes if themes is not None else {t.slug: t for t in Theme.objects.all()},
    )


def related_items(*, viewer: Viewer, item: KnowledgeItem, limit: int = 5) -> list[SearchHit]:
    q = SearchQuery(types=["knowledge"], viewer_keys=viewer_keys(viewer), limit=limit, facets=False)
    return get_backend().more_like_this(f"knowledge:{item.pk}", q, limit=limit)


@dataclass
class WhoKnows:
    hit: SearchHit
    reasons: list[str]


def who_knows(*, viewer: Viewer, text: str, region: Region | None, limit: int = 10) -> list[WhoKnows]:
    """People and networks that know about `text` in (or around) `region`, with a reason for each."""
    from django.utils.translation import gettext as _

    out: list[WhoKnows] = []
    scope = region_scope(region) if region else {}
    names = dict(Region.objects.filter(code__in=list(scope)).values_list("code", "name")) if scope else {}
    for kind in ("person", "network"):
        q = SearchQuery(
            text=text[:MAX_QUERY_CHARS],
            types=[kind],
            regions=sorted(scope) or None,
            viewer_keys=viewer_keys(viewer),
            limit=limit,
            facets=False,
        )
        for hit in get_backend().query(q).hits:
            reasons = []
            matched = [c for c in hit.regions if c in scope]
            if matched:
                code = matched[0]
                how = scope[code]
                label = names.get(code, code)
                reasons.append(
                    {
                        "direct": _("werkt in %(r)s"),
                        "broader": _("werkt in %(r)s, waar dit gebied in ligt"),
                        "narrower": _("werkt in %(r)s, binnen dit gebied"),
                    }[how]
                    % {"r": label}
                )
            if hit.snippet and "<mark>" in hit.snippet:
                reasons.append(_("noemt de zoekwoorden in expertise of werk"))
            out.append(WhoKnows(hit=hit, reasons=reasons))
    return out


def items_for_list(*, viewer: Viewer, page: int = 1, size: int = 25) -> Any:
    from django.core.paginator import Paginator

    return Paginator(knowledge_queryset(viewer=viewer), max(1, min(size, 100))).get_page(page)


# ---- reads for the API -----------------------------------------------------------------------------------


def knowledge_by_slug(slug: str) -> KnowledgeItem | None:
    """An item by slug whatever its visibility: for a service that checks who may cite it."""
    return KnowledgeItem.objects.filter(slug=slug).first()


# What one item's representation needs, loaded with one query per relation whatever the page size.
def _item_prefetch() -> tuple[Any, ...]:
    return (
        "themes",
        Prefetch("regions", queryset=Region.objects.defer("geometry")),
        "author_people",
        "author_organisations",
        "provenances",
        Prefetch("attachments", queryset=Attachment.objects.defer("text")),
    )


def knowledge_find(*, viewer: Viewer, slug: str, full: bool = True) -> KnowledgeItem | None:
    """The item with this slug if the viewer may see it: with everything its full representation
    shows (`full`), or bare (for a write that reads it again afterwards)."""
    qs = (
        knowledge_full_queryset(viewer=viewer)
        if full
        else knowledge_queryset(viewer=viewer).prefetch_related(None)
    )
    return qs.filter(slug=slug).first()


def knowledge_full_queryset(*, viewer: Viewer) -> QuerySet[KnowledgeItem]:
    """The items the viewer may see, with everything their full representation shows."""
    return (
        knowledge_queryset(viewer=viewer)
        .prefetch_related(None)
        .select_related("owner_hub")
        .prefetch_related(*_item_prefetch())
    )


@dataclass
class KnowledgeFilters:
    theme: Theme | None = None  # with its sub-themes
    region: Region | None = None  # with every region it contains
    kind: str = ""
    category: str = ""
    scale: str = ""
    language: str = ""
    year: int | None = None


def knowledge_list(*, viewer: Viewer, filters: KnowledgeFilters) -> QuerySet[KnowledgeItem]:
    """Items the viewer may see, newest first, filtered, with what their representation shows."""
    qs = in_scope(knowledge_full_queryset(viewer=viewer), region=filters.region, theme=filters.theme)
    for name in ("kind", "category", "scale", "language"):
        value = getattr(filters, name)
        if value:
            qs = qs.filter(**{name: value})
    if filters.year is not None:
        qs = qs.filter(date__year=filters.year)
    return qs


# ---- the search index and its vectors (administrators) ---------------------------------------------


@dataclass(frozen=True)
class EmbedRunView:
    """A run as the page and the API show it: a running run whose worker stopped beating counts as
    interrupted; percent done, and the time left at the current rate while it runs."""

    run: EmbedRun
    status: str
    percent: int
    eta_seconds: int | None  # running with a known rate: the documents left at that rate

    @property
    def active(self) -> bool:
        """Waiting or running: polled, and "Stoppen" is offered."""
        return self.status in EmbedRun.ACTIVE

    @property
    def eta_minutes(self) -> int | None:
        return None if self.eta_seconds is None else max(1, math.ceil(self.eta_seconds / 60))

    @property
    def status_label(self) -> str:
        return str(EmbedRun.Status(self.status).label)


def embed_run_view(run: EmbedRun) -> EmbedRunView:
    """The shown status and figures of one run (no query)."""
    status = EmbedRun.Status.INTERRUPTED if embedruns.is_stale(run) else run.status
    percent = min(100, run.done * 100 // run.total) if run.total else 0
    eta: int | None = None
    if status == EmbedRun.Status.RUNNING and run.rate and run.total > run.done:
        eta = max(1, math.ceil((run.total - run.done) / run.rate))
    return EmbedRunView(run=run, status=str(status), percent=percent, eta_seconds=eta)


@dataclass(frozen=True)
class EmbedOverview:
    """What the vectors page shows: the index, the stored vectors and the latest run's progress."""

    documents: int  # in the search index
    vectors: int  # documents with a stored vector
    pending: int  # outbox rows the worker has not applied yet
    enabled: bool  # PLEK_EMBEDDINGS
    latest: EmbedRunView | None  # the latest run, as shown
    no_worker: bool  # tasks go through the database queue, but no worker has been seen lately

    @property
    def run(self) -> EmbedRun | None:
        return self.latest.run if self.latest is not None else None

    @property
    def status(self) -> str:
        return self.latest.status if self.latest is not None else ""

    @property
    def status_label(self) -> str:
        return self.latest.status_label if self.latest is not None else ""

    @property
    def active(self) -> bool:
        return self.latest is not None and self.latest.active

    @property
    def percent(self) -> int:
        return self.latest.percent if self.latest is not None else 0

    @property
    def eta_minutes(self) -> int | None:
        return self.latest.eta_minutes if self.latest is not None else None


def embed_run_latest() -> EmbedRun | None:
    return EmbedRun.objects.select_related("requested_by").order_by("-created_at", "-id").first()


def embed_overview() -> EmbedOverview:
    """The figures of the vectors page and `GET /search-vectors`, in a fixed number of queries (the
    page is polled every second)."""
    run = embed_run_latest()
    latest = embed_run_view(run) if run is not None else None
    no_worker = False
    if (
        latest is not None
        and latest.status == EmbedRun.Status.QUEUED
        and settings.TASKS["default"]["BACKEND"].endswith("DatabaseBackend")
    ):
        cutoff = timezone.now() - embedruns.stale_after()
        no_worker = not WorkerHeartbeat.objects.filter(seen_at__gte=cutoff).exists()
    return EmbedOverview(
        documents=get_backend().count(),
        vectors=SearchVector.objects.count(),
        pending=SearchOutbox.objects.count(),
        enabled=embedding_vectors.enabled(),
        latest=latest,
        no_worker=no_worker,
    )
