"""Reads from the Atlas. Each selector does a fixed number of queries whatever the result size."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Model,
    Prefetch,
    Q,
    QuerySet,
    TextField,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Cast
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import get_language, gettext_lazy

from plek.atlas.areas import RegionGraph as RegionGraph
from plek.atlas.areas import region_graph as region_graph
from plek.atlas.areas import region_scope_ids as region_scope_ids
from plek.atlas.filters import in_scope, region_in
from plek.atlas.filters import theme_scope_ids as theme_scope_ids
from plek.atlas.models import (
    Hub,
    HubMembership,
    Invitation,
    Milestone,
    Network,
    Organisation,
    Person,
    Programme,
    ProgrammeBudget,
    Region,
    RegionContainment,
    Relation,
    Theme,
)
from plek.atlas.permissions import (
    Viewer,
    can_view,
    person_group_q,
    person_group_split,
    person_group_visible,
    visible_q,
    visible_split,
)
from plek.atlas.picture import (
    MEMBER_PICTURE_SECONDS,
    MapMeasure,
    RegionScope,
    count_by_region,
    map_measures,
    region_scope,
    region_sections,
    split_rows,
    viewer_key,
)
from plek.core.freshness import remember

# ---- regions: containment across scale levels ------------------------------------------------


def region_get(code: str) -> Region | None:
    return Region.objects.filter(code__iexact=code).first()


def region_by_code_or_name(value: str) -> Region | None:
    """The region with this code, else the one with exactly this name (lowest code first)."""
    return region_get(value) or Region.objects.filter(name__iexact=value).order_by("code").first()


def region_parents_and_children(region: Region) -> tuple[list[Region], list[Region], list[Region]]:
    """Regions directly containing this one, directly contained, and overlapping."""
    links = list(
        RegionContainment.objects.filter(Q(child=region) | Q(parent=region))
        .select_related("parent", "child")
        .defer("parent__geometry", "child__geometry")  # shown as links; shapes are large
    )
    up = sorted(
        (lk.parent for lk in links if lk.child_id == region.pk and lk.kind == "contains"), key=_region_sort
    )
    down = sorted(
        (lk.child for lk in links if lk.parent_id == region.pk and lk.kind == "contains"), key=_region_sort
    )
    overlap = sorted(
        (lk.parent if lk.child_id == region.pk else lk.child for lk in links if lk.kind == "overlaps"),
        key=_region_sort,
    )
    return up, down, overlap


KIND_ORDER = {k: i for i, k in enumerate(Region.Kind.values)}


def _region_sort(r: Region) -> tuple[int, str]:
    return (KIND_ORDER.get(r.kind, 99), r.name)


# ---- what touches a region ----------------------------------------------------------------------


@dataclass
class Touch:
    """An entity that touches a region, and how: directly, via a containing region, or within."""

    obj: Any
    how: str  # "direct" | "via" | "within"
    through: list[Region] = field(default_factory=list)

    @property
    def via(self) -> Region | None:
        return self.through[-1] if self.through else None


@dataclass
class Section:
    items: list[Touch]
    total: int


SECTION_MODELS: dict[str, type[Model]] = {
    "hubs": Hub,
    "programmes": Programme,
    "networks": Network,
    "organisations": Organisation,
    "people": Person,
}


def _through_filter(name: str, viewer: Viewer) -> Q:
    model = SECTION_MODELS[name]
    fk = model._meta.model_name
    if name == "people":
        return person_group_q(viewer, "regions", prefix=f"{fk}__")
    if name in ("networks", "organisations"):
        return visible_q(viewer, prefix=f"{fk}__")
    return Q()


def _visible_links(name: str, viewer: Viewer, through: Any) -> Any:
    """The section's link rows the viewer may see; for a signed-in viewer split into what all
    signed-in people see (ranked once, shared) and their own extra (`picture.split_rows`)."""
    model = SECTION_MODELS[name]
    fk = str(model._meta.model_name)
    if name == "people":
        return split_rows(
            through.objects.all(),
            viewer,
            model,
            fk,
            full=lambda v, prefix="": person_group_q(v, "regions", prefix=prefix),
            split=lambda v, prefix="": person_group_split(v, "regions", prefix=prefix),
            name="regions",
        )
    if name in ("networks", "organisations"):
        return split_rows(through.objects.all(), viewer, model, fk, full=visible_q, split=visible_split)
    return through.objects.filter(_through_filter(name, viewer))


def region_touches(
    *,
    viewer: Viewer,
    region: Region,
    limit: int = 12,
    sections: tuple[str, ...] | None = None,
    scope: RegionScope | None = None,
) -> dict[str, Section]:
    scope = scope or region_scope(region)
    result: dict[str, Section] = {}
    for name in sections or tuple(SECTION_MODELS):
        model = SECTION_MODELS[name]
        fk = f"{model._meta.model_name}_id"
        through = model.regions.through  # type: ignore[attr-defined]
        best = scope.top(_visible_links(name, viewer, through), fk, limit)
        chosen = scope.chosen(best, limit)
        objects = model._default_manager.in_bulk([eid for eid, _ in chosen])
        items = []
        for eid, rid in chosen:
            if eid not in objects:
                continue
            how, through_regions = scope.how(rid)
            items.append(Touch(objects[eid], how, through_regions))
        result[name] = Section(items=items, total=len(best))
    return result


def region_overview(
    *,
    viewer: Viewer,
    region: Region,
    limit: int = 12,
    picture: bool = True,
    people_prefetch: Sequence[str] = (),
) -> dict[str, Any]:
    """Everything the region page shows: its place among regions, the Atlas sections and the
    sections higher apps contribute (knowledge, questions, learning, indicators, studies, signals,
    decisions). A fixed number of queries whatever the data size. `people_prefetch`: relations of the
    people section's people to read along (the API's; one query each)."""
    up, down, overlap = region_parents_and_children(region)
    scope = region_scope(region)
    sections = remember(
        f"touches:{region.pk}:{limit}:{get_language()}{viewer_key(viewer)}",
        ("atlas",),
        lambda: region_touches(viewer=viewer, region=region, limit=limit, scope=scope),
        timeout=MEMBER_PICTURE_SECONDS if viewer.is_authenticated else 3600,
    )
    if people_prefetch:
        prefetch_related_objects([t.obj for t in sections["people"].items], *people_prefetch)
    return {
        "region": region,
        "contained_in": up,
        "contains": down,
        "overlaps": overlap,
        "sections": sections,
        "picture": region_sections(viewer=viewer, scope=scope, limit=limit) if picture else [],
    }


# ---- busyness (drukte) ----------------------------------------------------------------------------


def quarter_of(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def region_busyness(*, region: Region, start: dt.date | None = None, months: int = 24) -> dict[str, Any]:
    """Milestones of all programmes touching the region (directly, via a containing region, or in a
    contained region) between start and start + months, with counts per quarter."""
    start = start or timezone.localdate()
    months = max(1, min(months, 120))
    end_month = start.month - 1 + months
    end_year = start.year + end_month // 12
    # The period ends at the calendar's end at the latest (a start in 9999 must not reach year 10000).
    end = dt.date(end_year, end_month % 12 + 1, 1) if end_year <= dt.MAXYEAR else dt.date.max
    graph = region_graph()
    ancestors, descendants = graph.ancestors(region.pk), graph.descendants(region.pk)
    all_ids = [region.pk, *ancestors, *descendants]
    via_rows = Programme.regions.through.objects.filter(region_id__in=all_ids).values_list(
        "programme_id", "region_id"
    )
    programme_region: dict[int, int] = {}
    for pid, rid in via_rows:
        if pid not in programme_region or rid == region.pk:
            programme_region[pid] = rid
    milestones = list(
        Milestone.objects.filter(programme_id__in=list(programme_region), date__gte=start, date__lt=end)
        .select_related("programme")
        .order_by("date", "programme__name")
    )
    regions = Region.objects.defer("geometry").in_bulk(set(programme_region.values()))
    quarters: list[str] = []
    cursor = dt.date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
    while cursor < end:
        quarters.append(quarter_of(cursor))
        m = cursor.month + 3
        if cursor.year + (m - 1) // 12 > dt.MAXYEAR:
            break
        cursor = dt.date(cursor.year + (m - 1) // 12, (m - 1) % 12 + 1, 1)
    counts = dict.fromkeys(quarters, 0)
    rows = []
    for ms in milestones:
        q = quarter_of(ms.date)
        counts[q] = counts.get(q, 0) + 1
        rid = programme_region[ms.programme_id]
        rows.append({"milestone": ms, "quarter": q, "via": None if rid == region.pk else regions.get(rid)})
    peak = max(counts.values(), default=0)
    return {
        "region": region,
        "start": start,
        "end": end,
        "months": months,
        "milestones": rows,
        "quarters": [
            {"quarter": q, "count": c, "busy": peak > 0 and c == peak and c > 1} for q, c in counts.items()
        ],
        "peak": peak,
        "programme_count": len(programme_region),
        "programme_ids": list(programme_region),
    }


# ---- lists ----------------------------------------------------------------------------------------


@dataclass
class ListFilters:
    q: str = ""
    theme: Theme | None = None
    region: Region | None = None
    scale: str = ""
    kind: str = ""


LIST_MODELS: dict[str, type[Model]] = {
    "organisation": Organisation,
    "person": Person,
    "network": Network,
    "hub": Hub,
    "programme": Programme,
}


def entity_queryset(
    kind: str,
    *,
    viewer: Viewer,
    filters: ListFilters | None = None,
    select: Sequence[str] = (),
    prefetch_more: Sequence[str] = (),
) -> QuerySet[Any]:
    """The visible, filtered rows of one Atlas entity kind, with related data prefetched. `select`:
    relations to join; `prefetch_more`: relations to prefetch besides themes, regions and the kind's own
    (what an API list shows)."""
    filters = filters or ListFilters()
    model = LIST_MODELS[kind]
    qs: QuerySet[Any] = model._default_manager.all()
    if kind in ("organisation", "network", "person"):
        qs = qs.filter(visible_q(viewer))
    if filters.q:
        qs = qs.filter(name__icontains=filters.q.strip())
    # the area with the areas inside it, the theme with its sub-themes (plek.atlas.filters)
    qs = in_scope(qs, theme=filters.theme, region=filters.region)
    if kind == "person" and filters.theme is not None:
        qs = qs.filter(person_group_q(viewer, "expertise"))
    if kind == "person" and filters.region is not None:
        qs = qs.filter(person_group_q(viewer, "regions"))
    if filters.scale and hasattr(model, "scale"):
        qs = qs.filter(scale=filters.scale)
    if filters.kind:
        if kind == "person":
            qs = _with_knowledge_kind(qs, filters.kind)
        elif hasattr(model, "kind"):
            qs = qs.filter(kind=filters.kind)
        elif kind == "programme":
            qs = qs.filter(status=filters.kind)
    prefetch = ["themes", "regions"]
    if kind == "person":
        prefetch.append("organisations")
    if kind == "programme":
        prefetch.append("milestones")
    if select:
        qs = qs.select_related(*select)
    return qs.prefetch_related(*prefetch, *prefetch_more).order_by("name", "pk")


def _with_knowledge_kind(qs: QuerySet[Any], kind: str) -> QuerySet[Any]:
    """People whose `knowledge_kinds` list holds `kind`. PostgreSQL has JSON containment; SQLite
    has no JSON `contains` lookup, so there the list's JSON text is searched for the quoted value
    (kinds are fixed slugs without quotes, so `"practice"` cannot match inside another value)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return qs.filter(knowledge_kinds__contains=[kind])
    return qs.alias(knowledge_kinds_text=Cast("knowledge_kinds", TextField())).filter(
        knowledge_kinds_text__contains=json.dumps(kind)
    )


def entity_page(
    kind: str, *, viewer: Viewer, filters: ListFilters | None = None, page: int = 1, size: int = 25
) -> Any:
    size = max(1, min(size, 100))
    paginator = Paginator(entity_queryset(kind, viewer=viewer, filters=filters), size)
    return paginator.get_page(page)


def entity_by_identifier(kind: str, ident: str) -> Any:
    """Look up an Atlas entity by its public identifier (region code, slug)."""
    if kind == "region":
        return region_get(ident)
    model = LIST_MODELS.get(kind)
    if model is None:
        return None
    return model._default_manager.filter(slug=ident).first()


def entity_get(
    kind: str, slug: str, *, viewer: Viewer, select: Sequence[str] = (), prefetch: Sequence[str] = ()
) -> Any:
    """An Atlas entity (hub, network, organisation, person, programme) the viewer may see (people also
    their own record); 404 otherwise. `select`: relations to join; `prefetch`: many-valued relations
    to read along (one query each)."""
    model = LIST_MODELS.get(kind)
    obj = (
        model._default_manager.select_related(*select).filter(slug=slug).first()
        if model is not None
        else None
    )
    if obj is None or not can_view(viewer, obj):
        raise Http404(slug)
    if prefetch:
        prefetch_related_objects([obj], *prefetch)
    return obj


def entity_by_pk(kind: str, pk: int) -> Any:
    """An Atlas entity by its id (a candidate the broker chose), or None."""
    model = LIST_MODELS.get(kind)
    return model._default_manager.filter(pk=pk).first() if model is not None else None


# ---- lookups by public identifier (filters, forms, pickers) --------------------------------------


def theme_list(*, filters: ThemeFilters | None = None) -> QuerySet[Theme]:
    """Themes in their display order (filter and picker choices, the API's list); `filters.parent`
    keeps its direct sub-themes."""
    qs = Theme.objects.select_related("parent").order_by("position", "label_nl", "pk")
    if filters is not None and filters.parent is not None:
        qs = qs.filter(parent=filters.parent)
    return qs


def theme_find(slug: str) -> Theme | None:
    """The theme with this slug, or None (an unknown filter value is the caller's message)."""
    return Theme.objects.filter(slug=slug).first() if slug else None


def hub_list() -> QuerySet[Hub]:
    return Hub.objects.order_by("name")


def hub_find(slug: str) -> Hub | None:
    return Hub.objects.filter(slug=slug).first() if slug else None


def hub_members(hub: Hub) -> QuerySet[HubMembership]:
    """A hub's memberships with their accounts, by role and username."""
    return hub.memberships.select_related("user").order_by("role", "user__username")


def hub_get(slug: str) -> Hub:
    hub = hub_find(slug)
    if hub is None:
        raise Http404(slug)
    return hub


def programme_list() -> QuerySet[Programme]:
    return Programme.objects.order_by("name")


def programme_get(slug: str) -> Programme:
    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        raise Http404(slug)
    return programme


def person_get(slug: str) -> Person:
    """A person by slug, whatever their visibility: for pages whose service checks who may act."""
    person = Person.objects.filter(slug=slug).first()
    if person is None:
        raise Http404(slug)
    return person


def people_by_ids(ids: list[int]) -> list[Person]:
    return list(Person.objects.filter(pk__in=ids))


def regions_of_kind(kind: str) -> QuerySet[Region]:
    return Region.objects.filter(kind=kind).order_by("name")


def regions_by_code(codes: list[str]) -> list[Region]:
    """The regions with these codes, by name (no query for no codes)."""
    return list(Region.objects.filter(code__in=codes).order_by("name")) if codes else []


def region_municipalities_shaped(region: Region) -> QuerySet[Region]:
    """The municipalities inside the region that have a shape (borders drawn around a study's area)."""
    return (
        Region.objects.filter(
            pk__in=region_scope_ids(region), geometry__isnull=False, kind=Region.Kind.MUNICIPALITY
        )
        .exclude(pk=region.pk)
        .defer(None)
        .only("code", "name", "kind", "geometry")
    )


# ---- consent and invitations ----------------------------------------------------------------------


def person_for_consent(slug: str) -> Person:
    """A profile for the consent form, whatever its visibility (the form checks who may record)."""
    person = Person.objects.select_related("owner_hub", "consent_recorded_by").filter(slug=slug).first()
    if person is None:
        raise Http404(slug)
    return person


def people_without_consent(*, viewer: Viewer, limit: int) -> list[Person]:
    """Profiles without consent: of the hubs the viewer coordinates, all of them for administrators."""
    people = Person.objects.filter(consent_at__isnull=True).select_related("owner_hub").order_by("name", "pk")
    if not viewer.is_admin:
        people = people.filter(owner_hub_id__in=sorted(viewer.coordinator_hub_ids))
    return list(people[:limit])


def invitation_hubs(*, viewer: Viewer) -> list[Hub]:
    """The hubs the viewer may invite people to: those they coordinate, all for administrators."""
    hubs = Hub.objects.order_by("name")
    if not viewer.is_admin:
        hubs = hubs.filter(pk__in=sorted(viewer.coordinator_hub_ids))
    return list(hubs)


def invitations_sent(*, viewer: Viewer) -> QuerySet[Invitation]:
    """Invitations the viewer sent (administrators: all), with hub and the account that accepted."""
    sent = Invitation.objects.select_related("hub", "accepted_by")
    if not viewer.is_admin:
        sent = sent.filter(created_by_id=viewer.user_id)
    return sent


# ---- people, with only what they allowed -------------------------------------------------------


def person_view(viewer: Viewer, person: Person) -> dict[str, Any]:
    """A person as the viewer may see them: hidden field groups are left out entirely.

    Pages, API, exports and the graph all go through this one function. Related objects are read
    from prefetched data where the caller prefetched them."""
    data: dict[str, Any] = {"slug": person.slug, "name": person.name, "hidden": []}
    for group, names in Person.FIELD_GROUPS.items():
        if not person_group_visible(viewer, person, group):
            data["hidden"].append(group)
            continue
        for name in names:
            value = getattr(person, name)
            if hasattr(value, "all"):
                value = list(value.all())
            data[name] = value
    return data


def person_related(viewer: Viewer, person: Person) -> dict[str, Any]:
    """Networks a person belongs to (visible ones)."""
    networks = list(
        Network.objects.filter(visible_q(viewer), member_links__person=person)
        .distinct()
        .order_by("name")[:50]
    )
    return {"networks": networks}


# ---- home and counts -----------------------------------------------------------------------------


def home_overview(viewer: Viewer) -> dict[str, Any]:
    provinces = list(Region.objects.filter(kind=Region.Kind.PROVINCE).order_by("name"))
    themes = list(Theme.objects.filter(parent__isnull=True).order_by("position", "label_nl"))
    hubs = list(Hub.objects.order_by("name")[:24])
    programmes = list(Programme.objects.exclude(status=Programme.Status.STOPPED).order_by("name")[:40])
    counts = {
        "organisations": Organisation.objects.filter(visible_q(viewer)).count(),
        "people": Person.objects.filter(visible_q(viewer)).count(),
        "networks": Network.objects.filter(visible_q(viewer)).count(),
        "hubs": Hub.objects.count(),
        "programmes": Programme.objects.count(),
        "regions": Region.objects.count(),
    }
    return {
        "provinces": provinces,
        "themes": themes,
        "hubs": hubs,
        "programmes": programmes,
        "counts": counts,
    }


# ---- map measures ----------------------------------------------------------------------------------

BUSYNESS_MONTHS = 12


def _atlas_count(name: str) -> Any:
    def values(viewer: Viewer, regions: list[Region], option: str) -> dict[int, float]:
        model = SECTION_MODELS[name]
        fk = f"{model._meta.model_name}_id"
        through = model.regions.through  # type: ignore[attr-defined]
        return count_by_region(
            regions,
            lambda ids: region_in(
                through.objects.filter(_through_filter(name, viewer)), "region_id", ids
            ).values_list(fk, "region_id"),
        )

    return values


def busyness_values(viewer: Viewer, regions: list[Region], option: str) -> dict[int, float]:
    """Milestones in the coming year of the programmes reaching each region (directly, via a
    containing region or within it), as on the busyness page. Three queries."""
    graph = region_graph()
    start = timezone.localdate()
    end = dt.date(start.year + 1, start.month, 1)
    per_programme = dict(
        Milestone.objects.filter(date__gte=start, date__lt=end)
        .values_list("programme_id")
        .annotate(n=Count("pk"))
        .values_list("programme_id", "n")
    )
    by_region: dict[int, set[int]] = defaultdict(set)
    for pid, rid in Programme.regions.through.objects.values_list("programme_id", "region_id"):
        by_region[rid].add(pid)
    out: dict[int, float] = {}
    for r in regions:
        reach = {r.pk, *graph.ancestors(r.pk), *graph.descendants(r.pk)}
        programmes: set[int] = set()
        for rid in reach:
            programmes |= by_region.get(rid, set())
        out[r.pk] = float(sum(per_programme.get(pid, 0) for pid in programmes))
    return out


ATLAS_MAP_MEASURES = [
    MapMeasure("busyness", gettext_lazy("drukte: mijlpalen van programma's komend jaar"), busyness_values),
    MapMeasure("networks", gettext_lazy("aantal netwerken"), _atlas_count("networks")),
    MapMeasure("programmes", gettext_lazy("aantal nationale programma's"), _atlas_count("programmes")),
    MapMeasure("people", gettext_lazy("aantal kennishouders"), _atlas_count("people")),
    MapMeasure("organisations", gettext_lazy("aantal organisaties"), _atlas_count("organisations")),
    MapMeasure("hubs", gettext_lazy("aantal kennishubs"), _atlas_count("hubs")),
]
MAP_MEASURES = tuple(m.key for m in ATLAS_MAP_MEASURES)


def map_measure(*, viewer: Viewer, region_kind: str, measure: str, option: str = "") -> list[dict[str, Any]]:
    """For each region of a kind: the measure's value (counts include what lies within the region).
    Measures are the Atlas's own and those higher apps register (hooks.map_measures, plek/platform/registry.py).
    The values are kept in the shared cache under the generations of the measure's app and of atlas,
    per person for a signed-in viewer (counting a country's knowledge links takes about a second)."""
    measures = map_measures()
    if measure not in measures:
        raise ValueError(measure)
    regions = list(
        Region.objects.filter(kind=region_kind)
        .order_by("name")
        .defer(None)
        .only("id", "code", "name", "name_en", "kind", "geometry")
    )
    chosen = measures[measure]
    app = chosen.values.__module__.split(".")[1]  # plek.<app>.…: the app whose writes move it on
    values = remember(
        f"map:{measure}:{region_kind}:{option}{viewer_key(viewer)}",
        (app, "atlas"),
        lambda: chosen.values(viewer, regions, option),
        timeout=MEMBER_PICTURE_SECONDS if viewer.is_authenticated else 3600,
    )
    return [{"region": r, "value": values.get(r.pk)} for r in regions]


# ---- graph --------------------------------------------------------------------------------------------

GRAPH_MAX_NODES = 250
#: The default, focused view: a readable number of nodes, the rest grouped per kind.
GRAPH_FOCUS_NODES = 60


def graph_data(
    *,
    viewer: Viewer,
    theme: Theme | None = None,
    scale: str = "",
    region: Region | None = None,
    max_nodes: int = GRAPH_MAX_NODES,
    focus: Hub | None = None,
    group: bool = False,
) -> dict[str, Any]:
    """Hubs, networks, organisations and programmes with their relations. People are left out:
    the graph shows the field, not individuals.

    With `focus` (a hub) the graph is the hub's neighbourhood: what lies in its areas, nearest to the
    hub first (by steps along the edges, then by connections). With `group`, the nodes beyond
    `max_nodes` are not dropped silently but shown as one group node per kind ("+ 40 organisaties")."""
    if focus is not None and region is None:
        focus_regions = list(focus.regions.all())
        region_ids: list[int] | None = None
        if focus_regions:
            graph_ = region_graph()
            region_ids = sorted({i for r in focus_regions for i in region_scope_ids(r, graph_)})
    else:
        region_ids = region_scope_ids(region) if region else None
    theme_ids = theme_scope_ids(theme) if theme else None
    nodes: dict[tuple[str, int], dict[str, Any]] = {}
    specs: list[tuple[str, type[Model]]] = [
        ("hub", Hub),
        ("network", Network),
        ("organisation", Organisation),
        ("programme", Programme),
    ]
    total = 0
    for kind, model in specs:
        qs: QuerySet[Any] = model._default_manager.all()
        if kind in ("network", "organisation"):
            qs = qs.filter(visible_q(viewer))
        if region_ids is not None:
            qs = qs.filter(regions__in=region_ids)
        if theme_ids is not None:
            qs = qs.filter(themes__in=theme_ids)
        if scale and kind in ("network", "programme"):
            qs = qs.filter(scale=scale)
        if focus is not None and kind == "hub":
            qs = qs | model._default_manager.filter(pk=focus.pk)
        qs = qs.distinct()
        for pk, slug, name in qs.values_list("pk", "slug", "name")[: max_nodes * 4]:
            nodes[(kind, pk)] = {"id": f"{kind}:{slug}", "kind": kind, "label": name, "slug": slug}
        total += qs.count() if len(nodes) >= max_nodes * 4 else 0
    total = max(total, len(nodes))
    # Nodes by position (insertion order); edges as pairs of positions, in the order they are found.
    keys = list(nodes)
    position: dict[str, dict[int, int]] = {}
    for i, (kind, pk) in enumerate(keys):
        position.setdefault(kind, {})[pk] = i
    nowhere: dict[int, int] = {}
    edges: list[tuple[int, int, str]] = []
    if position:
        rel_q = Q()
        for kind, at in position.items():
            rel_q |= Q(source_type=kind, source_id__in=list(at))
        for s_type, s_id, t_type, t_id, rel_kind in Relation.objects.filter(
            rel_q & visible_q(viewer)
        ).values_list("source_type", "source_id", "target_type", "target_id", "kind"):
            src_at = position.get(s_type, nowhere).get(s_id)
            dst_at = position.get(t_type, nowhere).get(t_id)
            if src_at is not None and dst_at is not None:
                edges.append((src_at, dst_at, rel_kind))
        networks = position.get("network", nowhere)
        programmes = position.get("programme", nowhere)
        organisations = position.get("organisation", nowhere)
        net_ids = list(networks)
        if net_ids:
            for nid, parent in Network.objects.filter(pk__in=net_ids, parent__isnull=False).values_list(
                "pk", "parent_id"
            ):
                if parent in networks:
                    edges.append((networks[nid], networks[parent], "part_of"))
            for nid, pid in Network.programmes.through.objects.filter(network_id__in=net_ids).values_list(
                "network_id", "programme_id"
            ):
                if pid in programmes:
                    edges.append((networks[nid], programmes[pid], "works_with"))
            for nid, oid in Network.objects.filter(
                pk__in=net_ids, member_links__organisation__isnull=False
            ).values_list("pk", "member_links__organisation_id"):
                if oid in organisations:
                    edges.append((organisations[oid], networks[nid], "member_of"))
    # Nodes are positions 0..n-1, added in insertion order (the order decides which sources a sampled
    # betweenness walks, so the figures are stable); a repeated edge is one edge, a self-loop counts
    # twice towards the degree. Cut to the best-connected nodes when the graph is too large.
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(range(len(keys)))
    graph.add_edges_from((i, j) for i, j, _kind in edges)
    truncated = len(keys) > max_nodes
    groups: dict[str, int] = {}
    alone_nodes: list[dict[str, Any]]
    focus_at = position.get("hub", {}).get(focus.pk) if focus is not None else None
    if truncated:
        distance = nx.single_source_shortest_path_length(graph, focus_at) if focus_at is not None else {}
        far = len(keys) + 1
        ranked = sorted(graph, key=lambda i: (distance.get(i, far), -graph.degree(i), keys[i]))
        if group:
            for i in ranked[max_nodes:]:
                groups[keys[i][0]] = groups.get(keys[i][0], 0) + 1
        graph.remove_nodes_from(ranked[max_nodes:])
    if group:  # nodes without any connection are grouped too: they only clutter a readable view
        alone = [i for i in graph if graph.degree(i) == 0 and i != focus_at]
        for i in alone:
            groups[keys[i][0]] = groups.get(keys[i][0], 0) + 1
        graph.remove_nodes_from(alone)
        alone_nodes = [nodes[keys[i]] for i in alone]
    else:
        alone_nodes = []
    order = list(graph)
    size = len(order)
    # Shortest-path betweenness, normalised; sampled from 100 sources on a large graph.
    k = min(size, 100) if size > 150 else None
    centrality = nx.betweenness_centrality(graph, k=k, seed=7) if size > 2 else {}
    out_nodes = []
    for i in order:
        degree = graph.degree(i)
        node = dict(nodes[keys[i]])
        node["degree"] = degree
        node["betweenness"] = round(centrality.get(i, 0.0), 4)
        node["isolated"] = degree == 0
        out_nodes.append(node)
    out_nodes.sort(key=lambda n: (-n["betweenness"], n["label"]))
    ids = [nodes[key]["id"] for key in keys]
    shown = [False] * len(keys)
    for i in order:
        shown[i] = True
    out_edges = [
        {"source": ids[i], "target": ids[j], "kind": kind} for i, j, kind in edges if shown[i] and shown[j]
    ]
    for kind, count in sorted(groups.items()):
        node_id = f"group:{kind}"
        out_nodes.append(
            {
                "id": node_id,
                "kind": "group",
                "group_of": kind,
                "count": count,
                "label": f"+ {count}",
                "slug": "",
                "degree": 0,
                "betweenness": 0.0,
                "isolated": False,
            }
        )
        if focus_at is not None:
            out_edges.append({"source": ids[focus_at], "target": node_id, "kind": "group"})
    return {
        "nodes": out_nodes,
        "edges": out_edges,
        "truncated": truncated,
        "total_nodes": total,
        "max_nodes": max_nodes,
        "groups": groups,
        "alone": alone_nodes,
        "focus": ids[focus_at] if focus_at is not None else None,
    }


def counts_by(model: type[Model], field_name: str) -> dict[str, int]:
    return dict(
        model._default_manager.values_list(field_name).annotate(n=Count("pk")).values_list(field_name, "n")
    )


def entity_related(kind: str, obj: Any, viewer: Viewer) -> dict[str, Any]:
    """What a detail page shows beside the entity itself (fixed number of queries)."""
    out: dict[str, Any] = {"themes": list(obj.themes.all())}
    if hasattr(obj, "regions"):
        out["regions"] = list(obj.regions.order_by("kind", "name"))
    if kind == "network":
        links = list(obj.member_links.select_related("person", "organisation"))
        out["member_orgs"] = [lk for lk in links if lk.organisation_id and _visible(viewer, lk.organisation)]
        out["member_people"] = [lk for lk in links if lk.person_id and _visible(viewer, lk.person)]
        out["programmes_list"] = list(obj.programmes.all())
        out["subnetworks"] = list(obj.subnetworks.filter(visible_q(viewer)))
    elif kind == "organisation":
        out["people_list"] = list(
            obj.people.filter(person_group_q(viewer, "affiliation")).order_by("name")[:50]
        )
        out["networks_list"] = list(
            Network.objects.filter(visible_q(viewer), member_links__organisation=obj).distinct()[:50]
        )
    elif kind == "hub":
        out["coordinators"] = list(
            obj.memberships.filter(role="coordinator").select_related("user").order_by("user__username")
        )
        out["member_count"] = obj.memberships.count()
        region_ids: list[int] = []
        graph = region_graph()
        for r in out["regions"]:
            region_ids.extend(region_scope_ids(r, graph))
        out["networks_list"] = list(
            Network.objects.filter(visible_q(viewer), regions__in=region_ids).distinct().order_by("name")[:30]
        )
    elif kind == "programme":
        out["milestones"] = list(obj.milestones.all())
        out["status_history"] = list(obj.status_history.all())
        out["networks_list"] = list(obj.networks.filter(visible_q(viewer))[:50])
    return out


def _visible(viewer: Viewer, obj: Any) -> bool:
    from plek.atlas.permissions import can_view

    return can_view(viewer, obj)


# ---- programme budgets ---------------------------------------------------------------------------


def budget_q(viewer: Viewer) -> Q:
    """Budget lines that are not public are for administrators only."""
    return Q() if viewer.is_admin else Q(public=True)


def programme_budget(*, viewer: Viewer, programme: Programme) -> dict[str, Any]:
    """A programme's money: whole-programme lines, lines per year and per region; one query."""
    lines = list(
        ProgrammeBudget.objects.filter(budget_q(viewer), programme=programme)
        .select_related("region")
        .defer("region__geometry")
        .order_by("year", "region__name", "id")
    )
    return {
        "lines": lines,
        "total": [b for b in lines if b.year is None and b.region_id is None],
        "per_year": [b for b in lines if b.year is not None and b.region_id is None],
        "per_region": [b for b in lines if b.region_id is not None],
    }


def busyness_budgets(*, viewer: Viewer, region: Region, programme_ids: list[int]) -> list[dict[str, Any]]:
    """Beside an area's busyness: the money of the programmes reaching it, and what of it is meant
    for this area (or an area it lies in or contains); one query plus the containment graph."""
    graph = region_graph()
    near = {region.pk, *graph.ancestors(region.pk), *graph.descendants(region.pk)}
    lines = list(
        ProgrammeBudget.objects.filter(budget_q(viewer), programme_id__in=programme_ids)
        .select_related("programme", "region")
        .defer("region__geometry")
        .order_by("programme__name", "year", "id")
    )
    out: dict[int, dict[str, Any]] = {}
    for b in lines:
        if b.region_id is not None and b.region_id not in near:
            continue
        row = out.setdefault(b.programme_id, {"programme": b.programme, "lines": []})
        row["lines"].append(b)
    return list(out.values())


# ---- the area picker: suggestions and resolving typed text --------------------------------------

SUGGEST_LIMIT = 12
_CODE_IN_PARENS = re.compile(r"\(([A-Za-z0-9_-]{2,40})\)\s*$")


def _kind_labels() -> dict[str, str]:
    """'provincie' / 'province' -> 'province', in both languages."""
    labels: dict[str, str] = {}
    for lang in ("nl", "en"):
        with translation.override(lang):
            for value, label in Region.Kind.choices:
                labels[str(label).lower()] = value
    return labels


def _parse_area_text(text: str) -> tuple[str, str | None, str | None]:
    """'gemeente Utrecht (GM0344)' -> ('Utrecht', 'GM0344', 'municipality'); 'Utrecht (province)' ->
    ('Utrecht', None, 'province'); 'GM0363' -> ('GM0363', None, None)."""
    text = " ".join(text.split())[:200]
    code = kind = None
    labels = _kind_labels()
    match = _CODE_IN_PARENS.search(text)
    if match:
        inner = match.group(1)
        if inner.lower() in labels:
            kind = labels[inner.lower()]
        else:
            code = inner
        text = text[: match.start()].strip()
    tail = re.search(r"\(([^()]+)\)\s*$", text)
    if tail and tail.group(1).lower() in labels:  # "Utrecht (province)" after a code was taken off
        kind = kind or labels[tail.group(1).lower()]
        text = text[: tail.start()].strip()
    lowered = text.lower()
    for label in sorted(labels, key=len, reverse=True):
        if lowered.startswith(label + " ") and len(text) > len(label) + 1:
            kind = kind or labels[label]
            text = text[len(label) + 1 :].strip()
            break
    return text, code, kind


def region_suggest(text: str, *, limit: int = SUGGEST_LIMIT, kinds: list[str] | None = None) -> list[Region]:
    """Areas of every kind whose name (Dutch or English) or code matches what was typed; one query.

    Exact code first, then names equal to the text, names that start with it, names that contain
    it; within each, municipalities, provinces and own areas before other kinds, then by name. A
    kind word in the text ("waterschap ...", "RES-regio ...") narrows to that kind."""
    bare, code, kind = _parse_area_text(text)
    if not bare and not code:
        return []
    limit = max(1, min(limit, 50))
    q = Q(name__icontains=bare) | Q(name_en__icontains=bare) | Q(code__istartswith=bare) if bare else Q()
    if code:
        q = q | Q(code__iexact=code) if bare else Q(code__iexact=code)
    qs = Region.objects.filter(q)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if kind:
        qs = qs.filter(kind=kind)
    kind_rank = Case(
        When(kind=Region.Kind.MUNICIPALITY, then=Value(0)),
        When(kind=Region.Kind.PROVINCE, then=Value(1)),
        When(kind=Region.Kind.CUSTOM, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    rank = Case(
        When(code__iexact=code or bare, then=Value(0)),
        When(Q(name__iexact=bare) | Q(name_en__iexact=bare), then=Value(1)),
        When(Q(name__istartswith=bare) | Q(name_en__istartswith=bare), then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return list(
        qs.annotate(rank=rank, kind_rank=kind_rank)
        .only("id", "code", "name", "name_en", "kind")
        .order_by("rank", "kind_rank", "name", "code")[:limit]
    )


def region_resolve(text: str) -> Region | None:
    """The one area meant by typed text: "gemeente Utrecht (GM0344)", "RES-regio Foodvalley", a code
    or a name. Only a whole name or code counts (the best: municipality before province before other
    kinds); a partial name resolves to nothing, so the form can say so."""
    bare, code, kind = _parse_area_text(text)
    if code:
        found = Region.objects.filter(code__iexact=code).first()
        if found is not None:
            return found
    if not bare:
        return None
    best = region_suggest(f"{bare} ({kind})" if kind else bare, limit=1)
    if not best:
        return None
    region = best[0]
    whole = {region.code.lower(), region.name.lower(), region.name_en.lower()}
    typed = _CODE_IN_PARENS.sub("", " ".join(text.split())).strip().lower()
    return region if bare.lower() in whole or typed in whole else None


def region_from_filter(text: str) -> Region | None:
    """A filter's area: a code (GM0363) or what the area picker filled in ("gemeente Utrecht (GM0344)")."""
    text = text.strip()[:200]
    return (region_get(text) if len(text) <= 40 else None) or region_resolve(text)


# ---- reads for the API: one getter or list per resource (lists take one filters object) ----------


def region_parent_links() -> Prefetch[Any]:
    """Prefetch of the regions directly containing each region, as `containing_links`."""
    return Prefetch(
        "parent_links",
        queryset=RegionContainment.objects.filter(kind=RegionContainment.Kind.CONTAINS)
        .select_related("parent")
        .defer("parent__geometry"),
        to_attr="containing_links",
    )


def region_parents(region: Region) -> list[Region]:
    """The regions directly containing `region` (prefetched with `region_parent_links`, or one query)."""
    links = getattr(region, "containing_links", None)
    if links is None:
        prefetch_related_objects([region], region_parent_links())
        links = region.containing_links  # type: ignore[attr-defined]
    return sorted((lk.parent for lk in links), key=_region_sort)


@dataclass
class RegionFilters:
    q: str = ""
    kind: str = ""
    scale: str = ""
    parent: Region | None = None  # only regions it contains, at any depth


def region_list(*, filters: RegionFilters) -> QuerySet[Region]:
    qs = Region.objects.defer("geometry").prefetch_related(region_parent_links()).order_by("name", "code")
    if filters.q:
        text = filters.q.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(name_en__icontains=text) | Q(code__iexact=text))
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.scale:
        qs = qs.filter(scale=filters.scale)
    if filters.parent is not None:
        qs = qs.filter(pk__in=region_scope_ids(filters.parent)[1:])
    return qs


def theme_get(slug: str) -> Theme | None:
    return Theme.objects.select_related("parent").filter(slug=slug).first()


def themes_by_slug() -> dict[str, Theme]:
    """Every theme by slug (one query): a theme filter and the labels of results from the same rows."""
    return {t.slug: t for t in Theme.objects.select_related("parent")}


@dataclass
class ThemeFilters:
    parent: Theme | None = None  # only its direct sub-themes


def entity_visible(viewer: Viewer, kind: str, obj: Any) -> bool:
    """Whether the viewer may see this Atlas entity; people also see their own record."""
    if kind == "person" and viewer.is_authenticated and obj.account_id == viewer.user_id:
        return True  # one's own record, whatever its visibility
    return can_view(viewer, obj)


ENTITY_MODELS: dict[str, type[Model]] = {"region": Region, **LIST_MODELS}


def entities_by_pk(kind: str, ids: Iterable[int]) -> dict[int, Any]:
    """Atlas entities of one kind by primary key (regions without their shapes); {} for other kinds."""
    model = ENTITY_MODELS.get(kind)
    if model is None:
        return {}
    qs = model._default_manager.all()
    if kind == "region":
        qs = qs.defer("geometry")
    return qs.in_bulk(sorted(set(ids)))


def relation_get(*, viewer: Viewer, pk: int) -> Relation | None:
    return Relation.objects.filter(visible_q(viewer), pk=pk).select_related("owner_hub").first()


@dataclass
class RelationFilters:
    kind: str = ""
    source_type: str = ""
    target_type: str = ""


def relation_list(*, viewer: Viewer, filters: RelationFilters) -> QuerySet[Relation]:
    qs = Relation.objects.filter(visible_q(viewer)).select_related("owner_hub").order_by("pk")
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.source_type:
        qs = qs.filter(source_type=filters.source_type)
    if filters.target_type:
        qs = qs.filter(target_type=filters.target_type)
    return qs


def invitation_list(*, viewer: Viewer) -> QuerySet[Invitation]:
    """The invitations the viewer sent (administrators: all), newest first."""
    qs = Invitation.objects.select_related("hub").order_by("-created_at", "-id")
    if viewer.is_admin:
        return qs
    return qs.filter(created_by_id=viewer.user_id) if viewer.is_authenticated else qs.none()


def invitation_get(*, viewer: Viewer, pk: int) -> Invitation | None:
    return invitation_list(viewer=viewer).filter(pk=pk).first()
