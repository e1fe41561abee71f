"""One filter for "this area with the areas it contains" and "this theme with its sub-themes".

Every list that takes an area or a theme (Atlas lists, knowledge, questions, trajectories, lessons,
signals, the API and the pages alike) filters through here, so an area filter on a province always
includes its municipalities and a theme filter always includes the sub-themes.

The filters are subqueries on the many-to-many link table (`pk IN (SELECT item_id FROM link WHERE
theme_id IN …)`) rather than joins: no DISTINCT is needed, so a page count stays a plain COUNT. With
both filters the theme becomes an EXISTS on the same table, so the database walks the area's links
(usually the narrower set) and checks each row's themes through the index.

`theme_scope_ids` is one query (the theme tree); `region_scope_ids` one (the containment graph,
`plek.atlas.areas`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import connections
from django.db.models import BigIntegerField, Exists, ExpressionWrapper, F, Model, OuterRef, QuerySet

from plek.atlas.areas import RegionGraph, region_scope_ids
from plek.atlas.models import Region, Theme
from plek.core.lookups import Ids

M = TypeVar("M", bound=Model)


# From this many regions on, SQLite's planner probes the (item, region) index once per listed region
# for every item — a country's 355 regions over 100,000 items took 2.5 s. Written as an expression
# (`region_id + 0`) the list is a plain check on each link row: 120 ms. Measured on the national demo.
LONG_REGION_LIST = 100


def region_in(qs: QuerySet[Any], field: str, ids: list[int]) -> QuerySet[Any]:
    """`qs.filter(<field>__in=ids)` for link rows, planned well on SQLite for long lists too."""
    if len(ids) >= LONG_REGION_LIST and connections[qs.db].vendor == "sqlite":
        plain = ExpressionWrapper(F(field) + 0, output_field=BigIntegerField())
        return qs.alias(_region_listed=plain).filter(_region_listed__ids_in=Ids(ids))
    return qs.filter(**{f"{field}__ids_in": Ids(ids)})


def theme_tree_ids(roots: Iterable[int]) -> list[int]:
    """The given themes with every sub-theme below them, roots first (one query)."""
    children: dict[int, list[int]] = defaultdict(list)
    for tid, parent in Theme.objects.values_list("id", "parent_id"):
        if parent:
            children[parent].append(tid)
    out: list[int] = []
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        tid = stack.pop()
        if tid in seen:
            continue
        seen.add(tid)
        out.append(tid)
        stack.extend(children.get(tid, ()))
    return out


def theme_scope_ids(theme: Theme) -> list[int]:
    """The theme and its sub-themes."""
    return theme_tree_ids([theme.pk])


def links(model: type[Model], field: str, target_ids: Iterable[int]) -> QuerySet[Any]:
    """The rows of `model.<field>`'s link table that point at `target_ids`."""
    m2m: Any = model._meta.get_field(field)
    through = m2m.remote_field.through
    return through._default_manager.filter(**{f"{m2m.m2m_reverse_field_name()}_id__in": list(target_ids)})


def _source(model: type[Model], field: str) -> str:
    m2m: Any = model._meta.get_field(field)
    return f"{m2m.m2m_field_name()}_id"


def linked_ids(model: type[Model], field: str, target_ids: Iterable[int]) -> QuerySet[Any]:
    """A subquery of the ids of `model` rows linked through `field` to any of `target_ids`."""
    return links(model, field, target_ids).values(_source(model, field))


def in_scope(
    qs: QuerySet[M],
    *,
    theme: Theme | None = None,
    region: Region | None = None,
    themes: str = "themes",
    regions: str = "regions",
    graph: RegionGraph | None = None,
) -> QuerySet[M]:
    """Rows tagged with the theme or one of its sub-themes and with the area or one inside it
    (either filter may be left out). `themes`/`regions` name the many-to-many fields."""
    model = qs.model
    if theme is not None:
        theme_links = links(model, themes, theme_scope_ids(theme))
        if region is not None:
            qs = qs.filter(Exists(theme_links.filter(**{_source(model, themes): OuterRef("pk")})))
        else:
            qs = qs.filter(pk__in=theme_links.values(_source(model, themes)))
    if region is not None:
        qs = qs.filter(pk__in=linked_ids(model, regions, region_scope_ids(region, graph)))
    return qs
