"""Knowledge on the region page, the map and a programme's regional picture (registered through
plek/platform/registry.py: region sections, map measures and programme parts)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plek.atlas.filters import linked_ids
from plek.atlas.models import Region
from plek.atlas.permissions import Viewer, visible_q, visible_split
from plek.atlas.picture import (
    MapMeasure,
    PictureItem,
    PictureSection,
    ProgrammePart,
    RegionScope,
    picture_items,
    split_counts,
    split_rows,
)
from plek.knowledge.models import KnowledgeItem

Links = KnowledgeItem.regions.through


def _describe(item: KnowledgeItem) -> tuple[str, str, str]:
    return item.title, reverse("knowledge:detail", args=[item.slug]), item.get_kind_display()


def region_sections(viewer: Viewer, scope: RegionScope, limit: int) -> list[PictureSection]:
    """Knowledge about the area: three queries."""
    rows = split_rows(
        Links.objects.all(), viewer, KnowledgeItem, "knowledgeitem", full=visible_q, split=visible_split
    )
    best = scope.top(rows, "knowledgeitem_id", limit)
    chosen = [eid for eid, _rid in scope.chosen(best, limit)]
    objects = KnowledgeItem.objects.only("id", "slug", "title", "kind").in_bulk(chosen)
    return [
        PictureSection(
            key="knowledge",
            title=_("Kennis"),
            items=picture_items(scope, best, objects, limit, _describe),
            total=len(best),
            all_url=reverse("knowledge:search")
            + "?"
            + urlencode({"type": "knowledge", "region": scope.region.code}),
            empty=_("Nog geen kennis over dit gebied."),
        )
    ]


def _knowledge_values(viewer: Viewer, regions: list[Region], option: str) -> dict[int, float]:
    return split_counts(
        regions,
        Links.objects.all(),
        viewer,
        KnowledgeItem,
        "knowledgeitem",
        full=visible_q,
        split=visible_split,
    )


MAP_MEASURES = [MapMeasure("knowledge", gettext_lazy("aantal kennisitems"), _knowledge_values)]


def programme_parts(viewer: Viewer, programme: Any, theme_ids: list[int]) -> list[ProgrammePart]:
    """Knowledge on the programme's themes (with sub-themes): three queries."""
    items = KnowledgeItem.objects.filter(
        visible_q(viewer), pk__in=linked_ids(KnowledgeItem, "themes", theme_ids)
    )
    rows = Links.objects.filter(knowledgeitem__in=items).values_list("region_id", "knowledgeitem_id")
    per_region: dict[int, set[Any]] = {}
    for rid, iid in rows:
        per_region.setdefault(rid, set()).add(iid)
    newest = list(items.order_by("-date", "-id").only("id", "slug", "title", "kind")[:5])
    return [
        ProgrammePart(
            key="knowledge",
            title=_("Kennis"),
            per_region=per_region,
            total=items.count(),
            items=[PictureItem(*_describe(i)[:2], note=_describe(i)[2]) for i in newest],
        )
    ]
