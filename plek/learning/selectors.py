"""Reads of area learning, with visibility applied inside the query and a fixed number of queries.

The agenda's history: `agenda_as_of` rebuilds the agenda as it stood on a date from the versions
(for each item, the last version whose `valid_from` is on or before that date); `agenda_changes`
lists every version that took effect between two dates with what it changed."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from plek.atlas.filters import in_scope
from plek.atlas.models import Region, Theme
from plek.atlas.permissions import Viewer
from plek.knowledge import vectors
from plek.knowledge.indexing import viewer_keys
from plek.knowledge.search import get_backend
from plek.knowledge.search.analysis import field_tokens, words
from plek.knowledge.search.base import SearchHit, SearchQuery
from plek.knowledge.selectors import MAX_QUERY_CHARS, region_scope
from plek.learning.models import (
    OPEN_STATUSES,
    VERSIONED_FIELDS,
    AgendaItem,
    AgendaStatus,
    AgendaVersion,
    Lesson,
    Participant,
    Quote,
    Session,
    TimelineEvent,
    Trajectory,
)
from plek.learning.permissions import lesson_q, trajectory_q

LONG_OPEN_DAYS = 365  # an open item older than this is flagged


def trajectory_queryset(*, viewer: Viewer) -> QuerySet[Trajectory]:
    return (
        Trajectory.objects.filter(trajectory_q(viewer))
        .select_related("owner_hub", "facilitator")
        .prefetch_related("regions", "themes", "programmes", "participants")
    )


def trajectory_get(*, viewer: Viewer, slug: str) -> Trajectory | None:
    return trajectory_queryset(viewer=viewer).filter(slug=slug).first()


def lesson_queryset(*, viewer: Viewer) -> QuerySet[Lesson]:
    return (
        Lesson.objects.filter(lesson_q(viewer))
        .select_related("trajectory", "knowledge_item", "owner_hub")
        .prefetch_related("regions", "themes")
    )


def lesson_get(*, viewer: Viewer, slug: str) -> Lesson | None:
    return lesson_queryset(viewer=viewer).filter(slug=slug).first()


def sessions_of(trajectory: Trajectory) -> QuerySet[Session]:
    return Session.objects.filter(trajectory=trajectory).prefetch_related(
        "items_discussed", Prefetch("participants", queryset=Participant.objects.order_by("name"))
    )


def sessions_recent(trajectory: Trajectory, limit: int = 10) -> list[Session]:
    """The trajectory's latest sessions, newest first."""
    return list(Session.objects.filter(trajectory=trajectory).order_by("-date", "-id")[:limit])


def sessions_in_order(trajectory: Trajectory) -> list[Session]:
    """Every session of the trajectory, oldest first (the learning history)."""
    return list(Session.objects.filter(trajectory=trajectory).order_by("date", "id"))


def agenda_item_get(trajectory: Trajectory, number: int) -> AgendaItem:
    """An item of this trajectory (with its hand-off to governance, if passed on); 404 otherwise."""
    item = AgendaItem.objects.filter(trajectory=trajectory, number=number).select_related("handoff").first()
    if item is None:
        raise Http404(number)
    item.trajectory = trajectory
    return item


# ---- the agenda and its history -----------------------------------------------------------------------


@dataclass
class AgendaRow:
    item: AgendaItem
    values: dict[str, Any]
    valid_from: dt.date
    opened_on: dt.date
    open_days: int | None
    long_open: bool
    passed_on: str | None = None

    @property
    def status_label(self) -> str:
        return str(AgendaStatus(self.values["status"]).label)

    @property
    def kind_label(self) -> str:
        return str(AgendaItem.Kind(self.values["kind"]).label)


def agenda_as_of(*, trajectory: Trajectory, day: dt.date | None = None) -> list[AgendaRow]:
    """The agenda as it stood on `day` (default today): one query."""
    day = day or timezone.localdate()
    latest: dict[int, AgendaVersion] = {}
    versions = (
        AgendaVersion.objects.filter(item__trajectory=trajectory, valid_from__lte=day)
        .select_related("item", "item__handoff")
        .order_by("item__number", "valid_from", "id")
    )
    for version in versions:
        latest[version.item_id] = version
    rows = []
    for version in latest.values():
        item = version.item
        is_open = version.status in OPEN_STATUSES
        days = (day - item.opened_on).days if is_open else None
        handoff = getattr(item, "handoff", None)
        rows.append(
            AgendaRow(
                item=item,
                values=version.values(),
                valid_from=version.valid_from,
                opened_on=item.opened_on,
                open_days=days,
                long_open=days is not None and days > LONG_OPEN_DAYS,
                passed_on=handoff.signal_url if handoff is not None else None,
            )
        )
    return rows


@dataclass
class FieldChange:
    name: str
    old: Any
    new: Any


@dataclass
class AgendaChange:
    item: AgendaItem
    valid_from: dt.date
    is_new: bool
    fields: list[FieldChange]
    note: str
    by: str | None


def agenda_changes(*, trajectory: Trajectory, start: dt.date, end: dt.date) -> list[AgendaChange]:
    """Every version that took effect after `start` and on or before `end`, with the fields it
    changed against the version before it (one query)."""
    out: list[AgendaChange] = []
    previous: dict[int, AgendaVersion] = {}
    versions = (
        AgendaVersion.objects.filter(item__trajectory=trajectory, valid_from__lte=end)
        .select_related("item", "recorded_by")
        .order_by("item__number", "valid_from", "id")
    )
    for version in versions:
        before = previous.get(version.item_id)
        if version.valid_from > start:
            old = before.values() if before is not None else {}
            new = version.values()
            fields = [
                FieldChange(name, old.get(name), new[name])
                for name in VERSIONED_FIELDS
                if old.get(name) != new[name] and (before is not None or new[name])
            ]
            out.append(
                AgendaChange(
                    item=version.item,
                    valid_from=version.valid_from,
                    is_new=before is None,
                    fields=fields,
                    note=version.note,
                    by=str(version.recorded_by) if version.recorded_by is not None else None,
                )
            )
        previous[version.item_id] = version
    out.sort(key=lambda c: (c.valid_from, c.item.number))
    return out


def item_versions(item: AgendaItem) -> list[AgendaVersion]:
    return list(item.versions.select_related("recorded_by").order_by("valid_from", "id"))


# ---- lessons from elsewhere --------------------------------------------------------------------------


@dataclass
class Suggestion:
    hit: SearchHit
    score: float
    items: list[int] = field(default_factory=list)  # agenda item numbers it fits
    words: list[str] = field(default_factory=list)  # shared words (as highlighted in the hit)
    themes: list[str] = field(default_factory=list)  # shared theme labels
    regions: list[str] = field(default_factory=list)  # the other areas it comes from


def _marked(snippet: str) -> list[str]:
    out: list[str] = []
    rest = snippet
    while "<mark>" in rest:
        rest = rest.split("<mark>", 1)[1]
        word, rest = rest.split("</mark>", 1) if "</mark>" in rest else (rest, "")
        if word and word.lower() not in (w.lower() for w in out):
            out.append(word)
    return out


LESSON_MEANING = 0.4  # cosine similarity from which a lesson found by meaning alone is suggested


def lessons_from_elsewhere(*, viewer: Viewer, trajectory: Trajectory, limit: int = 8) -> list[Suggestion]:
    """Lessons and knowledge from other areas that fit the trajectory's open agenda items: one
    search per open item (at most five), excluding what is tagged only to the trajectory's own
    area (and the areas containing or inside it) and the trajectory's own lessons. Each suggestion
    says why: the words it shares, the themes it shares, the area it comes from."""
    open_items = list(
        AgendaItem.objects.filter(trajectory=trajectory, status__in=OPEN_STATUSES).order_by("number")[:5]
    )
    if not open_items:
        return []
    scope: dict[str, str] = {}
    for region in trajectory.regions.all():
        scope.update(region_scope(region))
    own_themes = {t.slug for t in trajectory.themes.all()}
    own_lessons = dict(Lesson.objects.filter(trajectory=trajectory).values_list("pk", "knowledge_item_id"))
    own_knowledge = {k for k in own_lessons.values() if k is not None}
    keys = viewer_keys(viewer)
    backend = get_backend()
    found: dict[str, Suggestion] = {}
    for item in open_items:
        text = f"{item.text} {item.barrier}"[:MAX_QUERY_CHARS]
        query = SearchQuery(
            text=text, types=["knowledge", "lesson"], viewer_keys=keys, limit=10, facets=False
        )
        hits = backend.query(query).hits
        # and by meaning: lessons worded differently from the agenda item (sentence embeddings)
        best = max((h.score for h in hits), default=1.0) or 1.0
        seen = {h.key for h in hits}
        for row, cos in vectors.nearest(vectors.query_vector(text), ["knowledge", "lesson"], keys, 10):
            if row.key not in seen and cos >= LESSON_MEANING:
                hits.append(vectors.as_hit(row, best * cos))
        for hit in hits:
            if hit.type == "lesson" and hit.id in own_lessons:
                continue
            if hit.type == "knowledge" and hit.id in own_knowledge:
                continue
            elsewhere = [c for c in hit.regions if c not in scope]
            if not elsewhere:
                continue
            shared = sorted(own_themes & set(hit.themes))
            score = hit.score * (1 + 0.5 * len(shared))
            suggestion = found.get(hit.key)
            if suggestion is None:
                suggestion = found[hit.key] = Suggestion(
                    hit=hit, score=score, themes=shared, regions=elsewhere
                )
            suggestion.score = max(suggestion.score, score)
            suggestion.items.append(item.number)
            for word in _marked(hit.snippet):
                if word.lower() not in (w.lower() for w in suggestion.words):
                    suggestion.words.append(word)
    # A published lesson is found twice (as lesson and as knowledge item): keep the knowledge item.
    lesson_ids = [s.hit.id for s in found.values() if s.hit.type == "lesson"]
    published = dict(Lesson.objects.filter(pk__in=lesson_ids).values_list("pk", "knowledge_item_id"))
    knowledge_ids = {s.hit.id for s in found.values() if s.hit.type == "knowledge"}
    result = [
        s for s in found.values() if not (s.hit.type == "lesson" and published.get(s.hit.id) in knowledge_ids)
    ]
    result.sort(key=lambda s: (-s.score, s.hit.key))
    result = result[:limit]
    names = {r.code: r.label for r in Region.objects.filter(code__in={c for s in result for c in s.regions})}
    labels = {t.slug: t.label for t in Theme.objects.filter(slug__in={t for s in result for t in s.themes})}
    for s in result:
        s.regions = [names.get(c, c) for c in s.regions][:3]
        s.themes = [labels.get(t, t) for t in s.themes]
    return result


# ---- recurring barriers across areas ----------------------------------------------------------------


@dataclass
class BarrierMember:
    item: AgendaItem
    trajectory: Trajectory
    tokens: frozenset[str]
    themes: frozenset[int]


@dataclass
class BarrierCluster:
    members: list[BarrierMember]
    terms: list[str]

    @property
    def trajectories(self) -> list[Trajectory]:
        seen: dict[int, Trajectory] = {}
        for m in self.members:
            seen.setdefault(m.trajectory.pk, m.trajectory)
        return list(seen.values())


SIMILARITY_THRESHOLD = 0.25
THEME_BONUS = 0.1


def _tokens(text: str) -> frozenset[str]:
    return frozenset(term for term, _pos in field_tokens(text))


def similarity(a: BarrierMember, b: BarrierMember) -> float:
    """Jaccard similarity of the analysed terms (stems and compound parts), plus a bonus for a
    shared theme."""
    union = a.tokens | b.tokens
    if not union:
        return 0.0
    score = len(a.tokens & b.tokens) / len(union)
    if a.themes & b.themes:
        score += THEME_BONUS
    return score


def recurring_barriers(*, viewer: Viewer, threshold: float = SIMILARITY_THRESHOLD) -> list[BarrierCluster]:
    """Clusters of similar barriers in the agendas of trajectories the viewer may see, recurring in at
    least two trajectories: single linkage over pairs at or above `threshold`. Deterministic (items
    in id order; clusters by size, then by their first item). Three queries."""
    items = list(
        AgendaItem.objects.filter(trajectory_q(viewer, prefix="trajectory__"))
        .exclude(barrier="")
        .select_related("trajectory", "trajectory__owner_hub", "handoff")
        .prefetch_related("trajectory__themes", "trajectory__regions", "trajectory__participants")
        .order_by("id")
    )
    members = [
        BarrierMember(
            item=i,
            trajectory=i.trajectory,
            tokens=_tokens(i.barrier),
            themes=frozenset(t.pk for t in i.trajectory.themes.all()),
        )
        for i in items
    ]
    parent = list(range(len(members)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i in range(len(members)):
        for j in range(i + 1, len(members)):
            if members[i].trajectory.pk == members[j].trajectory.pk:
                continue
            if similarity(members[i], members[j]) >= threshold:
                ri, rj = find(i), find(j)
                if ri != rj:
                    parent[max(ri, rj)] = min(ri, rj)
    groups: dict[int, list[BarrierMember]] = defaultdict(list)
    for index, member in enumerate(members):
        groups[find(index)].append(member)
    clusters = []
    for group in groups.values():
        if len({m.trajectory.pk for m in group}) < 2:
            continue
        counts: dict[str, int] = defaultdict(int)
        for m in group:
            for token in m.tokens:
                counts[token] += 1
        common = {t for t, n in counts.items() if n >= 2}
        clusters.append(BarrierCluster(members=group, terms=_surface(group, common)))
    clusters.sort(key=lambda c: (-len(c.members), c.members[0].item.pk))
    return clusters


def _surface(group: list[BarrierMember], common: set[str]) -> list[str]:
    """The shared terms as words people wrote (first occurrence), at most eight."""
    out: list[str] = []
    for m in group:
        for word in words(m.item.barrier):
            if len(out) >= 8:
                return out
            if len(word) > 3 and word not in out and _tokens(word) & common:
                out.append(word)
    return out


# ---- reads for the API -----------------------------------------------------------------------------------


@dataclass
class AreaThemeFilters:
    region: Region | None = None  # with every region it contains
    theme: Theme | None = None  # with its sub-themes


def trajectory_list(*, viewer: Viewer, filters: AreaThemeFilters) -> QuerySet[Trajectory]:
    """Trajectories the viewer may see, newest first."""
    qs = trajectory_queryset(viewer=viewer).order_by("-started_on", "-id")
    return in_scope(qs, region=filters.region, theme=filters.theme)


def lesson_list(*, viewer: Viewer, filters: AreaThemeFilters) -> QuerySet[Lesson]:
    return in_scope(lesson_queryset(viewer=viewer), region=filters.region, theme=filters.theme)


def open_item_counts(trajectory_ids: list[int]) -> dict[int, int]:
    """Open agenda items per trajectory (one query)."""
    rows = (
        AgendaItem.objects.filter(trajectory_id__in=trajectory_ids, status__in=OPEN_STATUSES)
        .values("trajectory_id")
        .annotate(n=Count("id"))
    )
    return {r["trajectory_id"]: r["n"] for r in rows}


def session_get(trajectory: Trajectory, pk: int) -> Session | None:
    return sessions_of(trajectory).filter(pk=pk).first()


def participant_ids_by_name(trajectory: Trajectory) -> dict[str, int]:
    """name -> id of the trajectory's participants (the API names them; the forms take ids)."""
    return dict(Participant.objects.filter(trajectory=trajectory).values_list("name", "pk"))


def timeline_events(trajectory: Trajectory) -> QuerySet[TimelineEvent]:
    return TimelineEvent.objects.filter(trajectory=trajectory)


def timeline_event_get(trajectory: Trajectory, pk: int) -> TimelineEvent | None:
    return timeline_events(trajectory).filter(pk=pk).first()


def quotes_of(trajectory: Trajectory) -> QuerySet[Quote]:
    """The quotes on a trajectory's timeline, by date."""
    return Quote.objects.filter(trajectory=trajectory)
