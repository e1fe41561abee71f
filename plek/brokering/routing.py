"""Routing: every question has a responsible desk at every moment.

The desk of a question is a hub (`Question.owner_hub`):

1. the nearest brokering hub of its area (a hub tagged to one of its regions, else to the nearest
   region containing one — fewest containment steps, ties by name) **that has an active
   coordinator**;
2. when that hub has none, the next such hub up the scale (a province hub, say);
3. when there is none at all, when the question has no area, or when it is a national question (a
   national programme's own, or about the whole country): the **national desk**
   (`landelijk-kennisloket`), which always exists (`national_desk()` recreates it if it was removed)
   and is handled by its coordinators and the platform administrators.

Overdue questions move one level up (`services.question_escalate`, run by `plek brokering
escalate` from cron): the next desk above the current one, at last the national desk.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from plek.atlas.areas import region_graph
from plek.atlas.models import Hub, HubMembership, Region
from plek.core.outbox import search_outbox_add

NATIONAL_DESK_SLUG = "landelijk-kennisloket"


def national_desk() -> Hub:
    """The national desk; created on first use (and by `plek demo`), and then indexed like any hub
    made through the Atlas (search document and vector through the outbox)."""
    hub, created = Hub.objects.get_or_create(
        slug=NATIONAL_DESK_SLUG,
        defaults={
            "name": "Landelijk kennisloket",
            "introduction": (
                "Het landelijk kennisloket neemt vragen aan die over heel Nederland gaan, en vragen uit "
                "gebieden waar (nog) geen kennishub met een coördinator is."
            ),
            "offers_brokering": True,
            "offers_area_learning": False,
            "offers_strategy": False,
        },
    )
    if created:
        search_outbox_add("hub", hub.pk)
    if not hub.offers_brokering:
        Hub.objects.filter(pk=hub.pk).update(offers_brokering=True)
        hub.offers_brokering = True
    return hub


def is_national_desk(hub: Hub | None) -> bool:
    return hub is not None and hub.slug == NATIONAL_DESK_SLUG


def staffed_hub_ids(hub_ids: Iterable[int] | None = None) -> set[int]:
    """Hubs (of these) that have at least one active coordinator (1 query)."""
    qs: QuerySet[HubMembership] = HubMembership.objects.filter(
        role=HubMembership.Role.COORDINATOR, user__is_active=True
    )
    if hub_ids is not None:
        qs = qs.filter(hub_id__in=sorted(set(hub_ids)))
    return set(qs.values_list("hub_id", flat=True))


# How far up the scale a region kind lies: a hub's level is the (kind rank, containment steps) of the
# nearest region by which it covers the question's area.
KIND_RANK: dict[str, int] = {
    Region.Kind.MUNICIPALITY: 0,
    Region.Kind.PROVINCE: 2,
    Region.Kind.COUNTRY: 3,
}  # every other kind (RES region, water board, COROP, NOVEX, safety region, own area): 1

Level = tuple[int, int]


def hub_levels(region_ids: Iterable[int]) -> dict[int, Level]:
    """Brokering hubs that cover these regions, each with its level: the rank of the kind of region
    by which it covers the area (municipality, regional kinds, province, country) and the number of
    containment steps from the question's nearest region (0: tagged to the region itself)."""
    graph = region_graph()
    distance: dict[int, int] = {}
    for rid in region_ids:
        distance[rid] = 0
        for ancestor, path in graph.ancestors(rid).items():
            distance[ancestor] = min(distance.get(ancestor, len(path)), len(path))
    if not distance:
        return {}
    levels: dict[int, Level] = {}
    links = (
        Hub.regions.through.objects.filter(region_id__in=sorted(distance), hub__offers_brokering=True)
        .exclude(hub__slug=NATIONAL_DESK_SLUG)
        .values_list("hub_id", "region_id", "region__kind")
    )
    for hub_id, region_id, kind in links:
        level = (KIND_RANK.get(str(kind), 1), distance[region_id])
        levels[hub_id] = min(levels.get(hub_id, level), level)
    return levels


def _is_national_area(region_ids: list[int]) -> bool:
    if not region_ids:
        return True
    kinds = set(Region.objects.filter(pk__in=region_ids).values_list("kind", flat=True))
    return kinds == {Region.Kind.COUNTRY}


def desk_for_regions(
    region_ids: Iterable[int], *, above: Level | None = None, exclude: Iterable[int] = ()
) -> Hub:
    """The responsible desk for a question about these regions: the lowest staffed hub (above the
    level `above`, when given; see the module docstring), else the national desk. Never None."""
    ids = sorted(set(region_ids))
    if _is_national_area(ids):
        return national_desk()
    skip = set(exclude)
    levels = {h: lv for h, lv in hub_levels(ids).items() if (above is None or lv > above) and h not in skip}
    staffed = staffed_hub_ids(levels)
    candidates = {h: lv for h, lv in levels.items() if h in staffed}
    if not candidates:
        return national_desk()
    hubs = list(Hub.objects.filter(pk__in=sorted(candidates)).order_by("name", "pk"))
    return min(hubs, key=lambda h: candidates[h.pk])


def desk_for(*, region_ids: Iterable[int], chosen: Hub | None = None, national: bool = False) -> Hub:
    """The desk a new (or referred) question goes to: the chosen hub when it is staffed (or is the
    national desk), else the desk of the area; national questions go to the national desk."""
    if national:
        return national_desk()
    if chosen is not None and (is_national_desk(chosen) or chosen.pk in staffed_hub_ids([chosen.pk])):
        return chosen
    return desk_for_regions(region_ids, exclude=[chosen.pk] if chosen is not None else [])


def next_desk(*, current: Hub | None, region_ids: Iterable[int]) -> Hub | None:
    """One level up from the current desk (escalation): the nearest staffed hub of the area further
    up the scale than `current`, else the national desk; None when `current` is the national desk."""
    if is_national_desk(current):
        return None
    ids = sorted(set(region_ids))
    if current is None:
        return desk_for_regions(ids)
    level = hub_levels(ids).get(current.pk)
    return desk_for_regions(ids, above=level, exclude=[current.pk])
