"""An area's and a programme's whole picture, assembled from every app without breaking the layer rule.

The region page, the map and the programme page live in the Atlas (a lower layer); knowledge,
questions, learning, strategy and governance live above it. Each higher app contributes through a
hook in `plek.core.hooks`, filled by `plek/platform/registry.py`:

- `hooks.region_sections`: callables `(viewer, scope, limit) -> list[PictureSection]`, sections of the
  region page (what touches the area directly, via a containing area, or within it);
- `hooks.map_measures`: `MapMeasure`s, choropleth measures of the map;
- `hooks.programme_parts`: callables `(viewer, programme, theme_ids) -> list[ProgrammePart]`, what concerns
  a national programme across all regions.

Every contribution applies visibility inside its queries (hidden things are never shown nor counted)
and does a fixed number of queries whatever the data size."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import (
    BigIntegerField,
    Count,
    ExpressionWrapper,
    F,
    Min,
    Model,
    Q,
    QuerySet,
    Window,
)
from django.utils.translation import get_language

from plek.atlas.areas import region_graph
from plek.atlas.filters import theme_tree_ids
from plek.atlas.models import Region
from plek.atlas.permissions import Viewer
from plek.core.freshness import (
    REGIONS,
    committed_generation,
    region_topic,
    remember,
    topic_of,
    topics_changed,
)
from plek.core.hooks import hooks
from plek.core.lookups import Ids, TierRank

# ---- the scope of a region: itself, what contains it (up) and what it contains (down) -----------


_REGION_ID_SPAN = 10_000_000
WIDE_SCOPE = 200  # regions in a scope from which `RegionScope.top` looks at direct links first  # region ids stay below this; the rank is tier/depth * span + region id


@dataclass
class Ranked:
    """What `RegionScope.top` found: the total and the closest (entity, region) pairs."""

    total: int
    rows: list[tuple[Any, int]]

    def __len__(self) -> int:
        return self.total


@dataclass(frozen=True)
class SharedRows:
    """Link rows split for a signed-in viewer (`plek.atlas.permissions.level_split`): `common`, what
    every signed-in person sees, is ranked once and kept in the shared cache under `key` at the
    generations of `topics` (the apps whose tables the rows read); `extra`, what only this viewer
    sees beyond it, is ranked for them. `RegionScope.top` merges the two: they are disjoint, so the
    totals add up and the closest of the union are the closest of both lists."""

    common: QuerySet[Any]
    extra: QuerySet[Any]
    key: str
    topics: tuple[str, ...]


VisibilityFilter = Callable[..., Q]  # (viewer, *, prefix="") -> Q
VisibilitySplit = Callable[..., "tuple[Q, Q] | None"]  # (viewer, *, prefix="") -> (common, extra) | None


def split_rows(
    links: QuerySet[Any],
    viewer: Viewer,
    model: type[Model],
    fk: str,
    *,
    full: VisibilityFilter,
    split: VisibilitySplit,
    name: str = "",
) -> QuerySet[Any] | SharedRows:
    """The link rows (`links`, whose `fk` points at `model`) the viewer may see, for `RegionScope.top`:
    filtered by `full(viewer, prefix=fk + "__")`, or — when `split` splits the viewer's visibility
    (a signed-in viewer, not an administrator) — as `SharedRows`. The extra part is selected through
    `model`'s own table, where the database finds the few rows by their owner indexes instead of
    joining every link row. `name` tells splits of one model apart in the shared cache: links
    filtered beyond visibility (a state, a kind) need a `name` of their own, since the shared part is
    cached per model, link field, region and limit."""
    parts = split(viewer)
    if parts is None:
        return links.filter(full(viewer, prefix=f"{fk}__"))
    common = split(viewer, prefix=f"{fk}__")
    if common is None:  # pragma: no cover - the same viewer splits with and without a prefix
        raise RuntimeError("visibility split depends on the prefix")
    extra = model._default_manager.filter(parts[1]).order_by().values("pk")
    topic = topic_of(model)
    return SharedRows(
        common=links.filter(common[0]),
        extra=links.filter(**{f"{fk}_id__in": extra}),
        key=f"{model._meta.label_lower}:{fk}:{name}",
        # the shared rows are (entity, region) pairs: they depend on the scopes (REGIONS), not on
        # names or on atlas's people and memberships; atlas's own entities move with atlas itself
        topics=(topic, REGIONS) if topic and topic != "atlas" else ("atlas",),
    )


@dataclass
class RegionScope:
    region: Region
    ancestors: dict[int, list[int]]
    descendants: dict[int, list[int]]
    regions: dict[int, Region]

    @property
    def ids(self) -> list[int]:
        return [self.region.pk, *self.ancestors, *self.descendants]

    def rank(self, region_id: int) -> tuple[int, int, int]:
        """Direct first, then via the nearest containing region, then within (nearest first)."""
        if region_id == self.region.pk:
            return (0, 0, region_id)
        if region_id in self.ancestors:
            return (1, len(self.ancestors[region_id]), region_id)
        return (2, len(self.descendants.get(region_id, ())), region_id)

    def best(self, rows: Iterable[tuple[Any, int]]) -> dict[Any, tuple[int, int, int]]:
        """For (entity, region) link rows: each entity's closest link."""
        best: dict[Any, tuple[int, int, int]] = {}
        for entity_id, region_id in rows:
            rank = self.rank(region_id)
            if entity_id not in best or rank < best[entity_id]:
                best[entity_id] = rank
        return best

    def top(
        self, links: QuerySet[Any] | SharedRows, entity: str, limit: int, region_field: str = "region_id"
    ) -> Ranked:
        """The same ranking as `best` + `chosen`, done by the database: the number of distinct
        entities linked to the scope, and the `limit` closest with the region linking them. Two
        queries whatever the number of links (a country's scope holds every region); with
        `SharedRows`, the common part comes from the shared cache and only the viewer's extra rows
        are ranked (two more queries when the common part is not cached yet)."""
        if isinstance(links, SharedRows):
            shared = links
            common = remember(
                f"top:{shared.key}:{entity}:{region_field}:{self.region.pk}:{limit}",
                shared.topics,
                lambda: self._top(shared.common, entity, limit, region_field),
            )
            extra = self._top(shared.extra, entity, limit, region_field, few=True)
            merged = sorted([*common.rows, *extra.rows], key=lambda row: (self.rank(row[1]), row[0]))
            return Ranked(total=common.total + extra.total, rows=merged[:limit])
        return self._top(links, entity, limit, region_field)

    def _top(
        self, links: QuerySet[Any], entity: str, limit: int, region_field: str, few: bool = False
    ) -> Ranked:
        groups: list[tuple[int, Ids]] = [(0, Ids([self.region.pk]))]
        for tier, paths in ((1, self.ancestors), (2, self.descendants)):
            by_depth: dict[int, list[int]] = defaultdict(list)
            for rid, path in paths.items():
                by_depth[len(path)].append(rid)
            groups += [(tier * 1000 + depth, Ids(ids)) for depth, ids in sorted(by_depth.items())]
        rank = TierRank(region_field, groups, default=3000, span=_REGION_ID_SPAN)
        if few and "__" not in region_field and connections[links.db].vendor == "sqlite":
            # `few`: the links of a few entities (a viewer's own): SQLite should find them from the
            # entities, not from every link of the scope's regions (a province: 15 ms instead of 1).
            plain = ExpressionWrapper(F(region_field) + 0, output_field=BigIntegerField())
            scoped = links.alias(_scope_region=plain).filter(_scope_region__ids_in=Ids(self.ids))
        else:
            scoped = links.filter(**{f"{region_field}__ids_in": Ids(self.ids)})
        ranked = scoped.values(entity).annotate(best=Min(rank)).order_by("best", entity)
        if limit < 1:
            return Ranked(total=scoped.values(entity).distinct().count(), rows=[])
        if len(self.ids) >= WIDE_SCOPE and not few:
            total = scoped.values(entity).distinct().count()
            if total >= limit:
                # A country-wide scope: ranking every link takes long, and the closest are usually
                # the entities linked to the region itself — those with the lowest ids when there
                # are enough.
                direct = list(
                    links.filter(**{region_field: self.region.pk})
                    .values_list(entity, flat=True)
                    .distinct()
                    .order_by(entity)[:limit]
                )
                if len(direct) >= limit:
                    return Ranked(total=total, rows=[(eid, self.region.pk) for eid in direct])
            rows = list(ranked.values_list(entity, "best")[:limit])
        else:
            # One query: the window counts the distinct entities (one row each after grouping)
            # before the limit applies.
            counted = ranked.annotate(_total=Window(Count("*"))).values_list(entity, "best", "_total")
            found = list(counted[:limit])
            total = found[0][2] if found else 0
            rows = [(eid, best) for eid, best, _t in found]
        return Ranked(total=total, rows=[(eid, int(best) % _REGION_ID_SPAN) for eid, best in rows])

    def chosen(self, best: dict[Any, tuple[int, int, int]] | Ranked, limit: int) -> list[tuple[Any, int]]:
        """The `limit` closest entities with the region that links them (stable order)."""
        if isinstance(best, Ranked):
            return best.rows[:limit]
        ordered = sorted(best.items(), key=lambda kv: (kv[1][0], kv[1][1], kv[0]))[:limit]
        return [(eid, rank[2]) for eid, rank in ordered]

    def how(self, region_id: int) -> tuple[str, list[Region]]:
        if region_id == self.region.pk:
            return "direct", []
        if region_id in self.ancestors:
            return "via", [self.regions[i] for i in self.ancestors[region_id] if i in self.regions]
        return "within", [self.regions[i] for i in self.descendants.get(region_id, ()) if i in self.regions]


_regions_memo: tuple[int, dict[int, Region]] | None = None


def _regions(ids: list[int]) -> dict[int, Region]:
    """Regions by id without their shapes: from a per-process memo of all regions while atlas's
    generation stands (a country's scope holds every region: 6 ms to load each time), else one
    query. The memo's objects are shared between requests: read them, never change them."""
    global _regions_memo
    generation = committed_generation("atlas")
    if generation is None:
        return Region.objects.defer("geometry").in_bulk(ids)
    memo = _regions_memo
    if memo is None or memo[0] != generation:
        memo = _regions_memo = (generation, Region.objects.defer("geometry").in_bulk())
    return {i: memo[1][i] for i in ids if i in memo[1]}


def region_scope(region: Region) -> RegionScope:
    """At most two queries: the containment graph and the regions it reaches (without shapes),
    each kept per process while atlas's generation stands."""
    graph = region_graph()
    ancestors = graph.ancestors(region.pk)
    descendants = graph.descendants(region.pk)
    regions = _regions([region.pk, *ancestors, *descendants])
    return RegionScope(region=region, ancestors=ancestors, descendants=descendants, regions=regions)


@dataclass
class PictureItem:
    label: str
    url: str
    how: str = "direct"  # "direct" | "via" | "within"
    through: list[Region] = field(default_factory=list)
    note: str = ""  # e.g. a state or a trend verdict

    @property
    def via(self) -> Region | None:
        return self.through[-1] if self.through else None


@dataclass
class PictureSection:
    key: str
    title: str
    items: list[PictureItem]
    total: int
    all_url: str = ""  # "alle … bekijken"
    empty: str = ""


def picture_items(
    scope: RegionScope,
    best: dict[Any, tuple[int, int, int]] | Ranked,
    objects: dict[Any, Any],
    limit: int,
    describe: Callable[[Any], tuple[str, str, str]],
) -> list[PictureItem]:
    """Items for the chosen entities; `describe(obj)` gives (label, url, note)."""
    items = []
    for eid, rid in scope.chosen(best, limit):
        obj = objects.get(eid)
        if obj is None:
            continue
        label, url, note = describe(obj)
        how, through = scope.how(rid)
        items.append(PictureItem(label=label, url=url, how=how, through=through, note=note))
    return items


def region_sections(*, viewer: Viewer, scope: RegionScope, limit: int = 8) -> list[PictureSection]:
    """The sections higher apps contribute to the region page, in the order of `hooks.region_sections`.

    What a visitor sees is kept in the shared cache per section, under the generations of the
    contributing app and of atlas (`plek.core.freshness`): a write to that app moves them on. A
    signed-in viewer's sections are kept under their own key (`viewer_key`): what they may see
    depends on their hubs and on what they wrote themselves; their hub memberships are atlas rows.
    A contributor marked `@region_scoped` depends on its app's topic *for this region* instead: the
    app moves that on only for the regions a write reaches (`region_topics_changed`), so a question
    asked in Twente does not throw away the picture of Zeeland."""
    out: list[PictureSection] = []
    for contribute in hooks.region_sections:
        who = getattr(contribute, "viewer_key", viewer_key)(viewer)
        app = contribute.__module__.split(".")[1]
        key = f"picture:{contribute.__module__}:{scope.region.pk}:{limit}:{get_language()}{who}"

        def compute(c: Any = contribute) -> list[PictureSection]:
            return list(c(viewer, scope, limit))

        timeout = MEMBER_PICTURE_SECONDS if who else 3600
        if getattr(contribute, "region_scoped", False):
            topics = (region_topic(app, scope.region.pk), "atlas")
            out.extend(remember(key, topics, compute, timeout=timeout, absorbs=(app,)))
        else:
            out.extend(remember(key, (app, "atlas"), compute, timeout=timeout))
    return out


SectionFunc = Callable[[Viewer, RegionScope, int], list[PictureSection]]

MEMBER_PICTURE_SECONDS = 900  # a signed-in viewer's cached sections: one key per person, kept short


def viewer_key(viewer: Viewer) -> str:
    """The part of a cache key that separates what viewers may see: empty for anonymous visitors
    (they all see the same), the person (and their hubs and role) for a signed-in viewer."""
    if not viewer.is_authenticated:
        return ""
    hubs = ",".join(str(h) for h in sorted(viewer.hub_ids))
    coordinates = ",".join(str(h) for h in sorted(viewer.coordinator_hub_ids))
    return f":u{viewer.user_id}:{'a' if viewer.is_admin else ''}:{hubs}:{coordinates}"


def keyed_by(key: Callable[[Viewer], str]) -> Callable[[SectionFunc], SectionFunc]:
    """Mark a region-section contributor whose sections depend on less of the viewer than
    `viewer_key` separates: `key(viewer)` tells apart the viewers who may see different things ("" for
    those who see what anonymous visitors see), so they share one cached copy."""

    def mark(contribute: SectionFunc) -> SectionFunc:
        contribute.viewer_key = key  # type: ignore[attr-defined]
        return contribute

    return mark


def region_scoped(contribute: SectionFunc) -> SectionFunc:
    """Mark a region-section contributor whose app calls `region_topics_changed` for every write
    that can change what the contributor shows an anonymous visitor."""
    contribute.region_scoped = True  # type: ignore[attr-defined]
    return contribute


def regions_reached(region_ids: Iterable[int]) -> set[int]:
    """The regions whose page shows something linked to these regions: each region itself, the
    regions containing it and those it contains (the page of P shows links to P's scope, and R is in
    P's scope exactly when P is R, contains R or lies within R)."""
    ids = set(region_ids)
    if not ids:
        return ids
    graph = region_graph()
    out = set(ids)
    for rid in ids:
        out.update(graph.ancestors(rid))
        out.update(graph.descendants(rid))
    return out


def region_topics_changed(app: str, region_ids: Iterable[int]) -> None:
    """Move `app`'s scoped topic on for every region page these regions' links reach (on commit)."""
    reached = regions_reached(region_ids)
    if reached:
        topics_changed(*(region_topic(app, rid) for rid in sorted(reached)))


# ---- map measures ------------------------------------------------------------------------------------


@dataclass
class MapMeasure:
    """A choropleth measure. `values(viewer, regions, option)` returns {region id: value} for the
    regions shown; `options(viewer)` lists choices (e.g. which indicator) when the measure has any."""

    key: str
    label: Any
    values: Callable[[Viewer, list[Region], str], dict[int, float]]
    options: Callable[[Viewer], list[tuple[str, str]]] | None = None
    caption: Any = ""


def map_measures() -> dict[str, MapMeasure]:
    from plek.atlas.selectors import ATLAS_MAP_MEASURES

    out = {m.key: m for m in ATLAS_MAP_MEASURES}
    for m in hooks.map_measures:
        out[m.key] = m
    return out


def count_by_region(
    regions: list[Region], links: Callable[[list[int]], Iterable[tuple[Any, int]]]
) -> dict[int, float]:
    """Distinct entities per shown region, counting links to the region or any region within it.
    `links(region_ids)` returns the (entity, region) link rows for those regions (one query); with
    the containment graph, two queries."""
    graph = region_graph()
    member_of: dict[int, list[int]] = defaultdict(list)
    for r in regions:
        member_of[r.pk].append(r.pk)
        for d in graph.descendants(r.pk):
            member_of[d].append(r.pk)
    seen: dict[int, set[Any]] = defaultdict(set)
    for eid, rid in links(sorted(member_of)):
        for target in member_of.get(rid, ()):
            seen[target].add(eid)
    return {r.pk: float(len(seen.get(r.pk, ()))) for r in regions}


def split_counts(
    regions: list[Region],
    links: QuerySet[Any],
    viewer: Viewer,
    model: type[Model],
    fk: str,
    *,
    full: VisibilityFilter,
    split: VisibilitySplit,
    name: str = "",
) -> dict[int, float]:
    """`count_by_region` of the link rows (`links`, whose `fk` points at `model`) the viewer may see.
    For a signed-in viewer (not an administrator) the counts of what every signed-in person sees are
    kept in the shared cache and only the viewer's own extra rows are counted for them; the parts are
    disjoint, so the counts add up (as `split_rows` for the region page)."""
    from plek.atlas.filters import region_in

    def counted(rows: QuerySet[Any]) -> dict[int, float]:
        return count_by_region(
            regions, lambda ids: region_in(rows, "region_id", ids).values_list(f"{fk}_id", "region_id")
        )

    rows = split_rows(links, viewer, model, fk, full=full, split=split, name=name)
    if not isinstance(rows, SharedRows):
        return counted(rows)
    shared = rows
    shown = ",".join(str(r.pk) for r in sorted(regions, key=lambda r: r.pk))
    digest = hashlib.sha1(shown.encode(), usedforsecurity=False).hexdigest()[:16]  # the same on every node
    common = remember(f"counts:{shared.key}:{digest}", shared.topics, lambda: counted(shared.common))
    extra = counted(shared.extra)
    return {r.pk: common.get(r.pk, 0.0) + extra.get(r.pk, 0.0) for r in regions}


# ---- a national programme's regional picture ------------------------------------------------------


@dataclass
class ProgrammePart:
    """One kind of thing (questions, lessons, ...) concerning a programme: counts per region the
    things are tagged with, the total, and the newest few as links."""

    key: str
    title: str
    per_region: dict[int, set[Any]]  # region id -> ids of the things tagged with it
    total: int
    items: list[PictureItem] = field(default_factory=list)
    all_url: str = ""


def programme_theme_ids(programme: Any) -> list[int]:
    """The programme's themes with their sub-themes (two queries)."""
    return theme_tree_ids(programme.themes.values_list("id", flat=True))


def programme_parts(*, viewer: Viewer, programme: Any) -> list[ProgrammePart]:
    """What higher apps contribute (`hooks.programme_parts`): callables
    `(viewer, programme, theme_ids) -> list[ProgrammePart]`."""
    theme_ids: list[list[int]] = []  # read once, and only when a part is not cached
    out: list[ProgrammePart] = []
    who = viewer_key(viewer)
    for contribute in hooks.programme_parts:
        app = contribute.__module__.split(".")[1]
        key = f"programme:{contribute.__module__}:{programme.pk}:{get_language()}{who}"

        def compute(c: Any = contribute) -> list[ProgrammePart]:
            if not theme_ids:
                theme_ids.append(programme_theme_ids(programme))
            return list(c(viewer, programme, theme_ids[0]))

        # kept as the region sections are: per person for a signed-in viewer, under the generations
        # of the contributing app and of atlas (the programme, its themes, memberships)
        out.extend(remember(key, (app, "atlas"), compute, timeout=MEMBER_PICTURE_SECONDS if who else 3600))
    return out


def programme_picture(*, viewer: Viewer, programme: Any) -> dict[str, Any]:
    """The programme's picture across regions: each part's things rolled up to provinces (a thing
    tagged with a municipality counts for its province; national things count as "landelijk")."""
    parts = programme_parts(viewer=viewer, programme=programme)
    graph = region_graph()
    provinces = list(
        Region.objects.filter(kind=Region.Kind.PROVINCE)
        .order_by("name")
        .defer(None)
        .only("id", "code", "name", "name_en", "kind", "geometry")
    )
    province_ids = {p.pk for p in provinces}
    tagged = {rid for part in parts for rid in part.per_region}
    to_province: dict[int, set[int]] = {}
    for rid in tagged:
        if rid in province_ids:
            to_province[rid] = {rid}
            continue
        below = set(graph.descendants(rid))
        if below & province_ids:
            to_province[rid] = set()  # the country, or an area larger than a province: national
            continue
        ups = set(graph.ancestors(rid)) & province_ids
        if not ups:
            # an area across provinces (a RES region, a water board): each province it reaches
            for d in below:
                ups |= set(graph.ancestors(d)) & province_ids
        to_province[rid] = ups
    rows: list[dict[str, Any]] = []
    national: dict[str, set[Any]] = {part.key: set() for part in parts}
    counts: dict[int, dict[str, set[Any]]] = {p.pk: {part.key: set() for part in parts} for p in provinces}
    for part in parts:
        for rid, things in part.per_region.items():
            targets = to_province.get(rid) or set()
            if not targets:
                national[part.key] |= things
            for pid in targets:
                counts[pid][part.key] |= things
    for p in provinces:
        values = {key: len(things) for key, things in counts[p.pk].items()}
        rows.append({"region": p, "values": values, "total": sum(values.values())})
    return {
        "parts": parts,
        "rows": rows,
        "national": {key: len(things) for key, things in national.items()},
        "national_total": sum(len(t) for t in national.values()),
        "max_total": max((r["total"] for r in rows), default=0),
    }
