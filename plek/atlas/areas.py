"""How regions relate: the one place that walks the containment graph.

Regions are linked by `RegionContainment` rows: *contains* (a province contains its municipalities,
the country its provinces) and *overlaps* (a RES region overlaps the provinces it crosses). Every app
that asks "which areas does this area include?" or "how does that area relate to this one?" asks here:

- `region_graph()` reads the containment edges (one query; ≈1,100 edges) for walking up and down;
- `region_scope_ids(region)` is the area with every area it contains (the filter "area with its
  sub-areas" of lists, search and the API);
- `region_relations(regions)` says for each region near the given ones how it relates to them —
  the same area (*direct*), one that contains it (*broader*), one inside it (*narrower*) and,
  if asked, one overlapping a containing area (*overlap*) — with the chosen area it relates through
  and a readable name. Search marks hits with it; matching weighs candidates with it.

No cycles are expected in the containment graph; the walks visit each region once regardless.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from plek.atlas.models import Region, RegionContainment
from plek.core.freshness import REGIONS, committed_generation

# nearest first; "country" only with `country_apart`: the whole country, containing every area
RELATION_ORDER = ("direct", "broader", "narrower", "overlap", "country")


@dataclass
class RegionGraph:
    up: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    down: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))

    def _walk(self, start: int, edges: dict[int, list[int]]) -> dict[int, list[int]]:
        """Breadth-first: each reachable region with the shortest path to it (start excluded)."""
        paths: dict[int, list[int]] = {}
        queue: deque[tuple[int, list[int]]] = deque([(start, [])])
        seen = {start}
        while queue:
            node, path = queue.popleft()
            for nxt in edges.get(node, ()):
                if nxt not in seen:
                    seen.add(nxt)
                    paths[nxt] = [*path, nxt]
                    queue.append((nxt, paths[nxt]))
        return paths

    def ancestors(self, region_id: int) -> dict[int, list[int]]:
        return self._walk(region_id, self.up)

    def descendants(self, region_id: int) -> dict[int, list[int]]:
        return self._walk(region_id, self.down)


_graph_memo: tuple[int, RegionGraph] | None = None


def region_graph() -> RegionGraph:
    """The containment edges (not overlaps): one query, or none while atlas's generation has not
    moved since this process last read it (the graph is read-only for its users)."""
    global _graph_memo
    generation = committed_generation(REGIONS)  # moved by writes to regions and containment only
    memo = _graph_memo
    if generation is not None and memo is not None and memo[0] == generation:
        return memo[1]
    graph = RegionGraph()
    for parent, child in RegionContainment.objects.filter(kind=RegionContainment.Kind.CONTAINS).values_list(
        "parent_id", "child_id"
    ):
        graph.up[child].append(parent)
        graph.down[parent].append(child)
    if generation is not None:
        _graph_memo = (generation, graph)
    return graph


def region_scope_ids(region: Region, graph: RegionGraph | None = None) -> list[int]:
    """The region and every region it contains (a filter on a province includes its municipalities)."""
    graph = graph or region_graph()
    return [region.pk, *graph.descendants(region.pk)]


@dataclass
class RegionRelations:
    """How region codes relate to the chosen areas, and the names to explain it with."""

    relation: dict[str, str]  # code -> direct | broader | narrower | overlap (| country)
    via: dict[str, str]  # code -> name (with kind) of the chosen area it relates to
    names: dict[str, str]  # code -> name with kind, e.g. "provincie Noord-Holland"

    def best(self, codes: Iterable[str]) -> str | None:
        """Of these codes, the one nearest the chosen areas (ties by code)."""
        found = [c for c in codes if c in self.relation]
        if not found:
            return None
        return min(found, key=lambda c: (RELATION_ORDER.index(self.relation[c]), c))


def region_relations(
    regions: Sequence[Region],
    *,
    overlaps: bool = False,
    country_apart: bool = False,
    graph: RegionGraph | None = None,
) -> RegionRelations:
    """The chosen areas, those containing them, those inside them and (with `overlaps`) those
    overlapping a chosen or containing area, nearest relation first: a region that is both broader
    than one chosen area and inside another counts as broader. Two queries (three with `overlaps`)
    plus the graph when none is given.

    `country_apart` (matching): a chosen country is no area preference (it would favour every
    regional item over national ones) and is left out; the country containing a chosen area relates
    as *country* rather than *broader* (a national document fits, but less than a regional one)."""
    graph = graph or region_graph()
    if country_apart:
        regions = [r for r in regions if r.kind != Region.Kind.COUNTRY]
    rel: dict[int, str] = {}
    via: dict[int, int] = {}
    for region in regions:
        rel[region.pk] = "direct"
        via[region.pk] = region.pk
    for region in regions:
        for up in graph.ancestors(region.pk):
            if up not in rel or RELATION_ORDER.index(rel[up]) > 1:
                rel[up], via[up] = "broader", region.pk
        for down in graph.descendants(region.pk):
            if down not in rel:
                rel[down], via[down] = "narrower", region.pk
    if overlaps:
        broader = [i for i, r in rel.items() if r in ("direct", "broader")]
        for parent, child in RegionContainment.objects.filter(
            kind=RegionContainment.Kind.OVERLAPS, parent_id__in=broader
        ).values_list("parent_id", "child_id"):
            for other, anchor in ((child, parent), (parent, child)):
                if other not in rel:
                    rel[other], via[other] = "overlap", anchor
        for parent, child in RegionContainment.objects.filter(
            kind=RegionContainment.Kind.OVERLAPS, child_id__in=broader
        ).values_list("parent_id", "child_id"):
            if parent not in rel:
                rel[parent], via[parent] = "overlap", child
    kinds = dict(Region.Kind.choices)
    code_of: dict[int, str] = {}
    names: dict[str, str] = {}
    relation: dict[str, str] = {}
    for pk, code, name, kind in Region.objects.filter(pk__in=list(rel)).values_list(
        "pk", "code", "name", "kind"
    ):
        code_of[pk] = code
        names[code] = f"{kinds.get(kind, '')} {name}"
        relation[code] = rel[pk]
        if country_apart and kind == Region.Kind.COUNTRY and rel[pk] == "broader":
            relation[code] = "country"
    via_names = {code_of[pk]: names.get(code_of.get(via[pk], ""), "") for pk in rel if pk in code_of}
    return RegionRelations(relation=relation, via=via_names, names=names)
