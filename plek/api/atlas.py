"""API v1 for the Atlas: regions, themes, organisations, people, networks, hubs, programmes,
relations, the region overview and busyness, and the network graph.

Reads go through `plek.atlas.selectors` (visibility-filtered, a fixed number of queries per
request); writes through `plek.atlas.services.entity_form` + `entity_save` / `entity_delete`,
the same validation and permission path the pages use. People are only ever serialised through
`selectors.person_view`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django import forms
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from plek.accounts.selectors import user_find
from plek.api import atlas_schemas as s
from plek.api.auth import viewer
from plek.api.common import (
    API_ROOT,
    Operations,
    created,
    deleted,
    form_problem,
    found,
    item_ref,
    or_404,
    paginate,
    region_filter,
    region_ref,
    theme_filter,
    theme_ref,
)
from plek.api.errors import ApiError
from plek.api.schemas import IdPath, InputModel
from plek.atlas import permissions, selectors, services
from plek.atlas.forms import ConsentRecordForm, CustomAreaForm
from plek.atlas.models import Hub, Network, Organisation, Person, Programme, Region, Relation, Theme
from plek.atlas.permissions import Viewer
from plek.core.errors import PermissionDenied
from plek.core.forms import current_form_data

router = Router()
op = Operations(router)
read, create, update, delete = op.read, op.create, op.update, op.delete

# ---- lookups ----------------------------------------------------------------------------------------

# Per kind: what a list or detail loads along with the rows (on top of entity_queryset's prefetch).
SELECT: dict[str, tuple[str, ...]] = {
    "organisation": ("owner_hub",),
    "network": ("owner_hub", "parent"),
    "person": (),
    "hub": (),
    "programme": (),
}
PREFETCH: dict[str, tuple[str, ...]] = {
    "organisation": ("regions", "themes"),
    "network": ("regions", "themes", "programmes"),
    "person": ("regions", "themes", "organisations"),
    "hub": ("regions", "themes"),
    "programme": ("regions", "themes", "milestones", "status_history"),
}
LIST_EXTRA_PREFETCH: dict[str, tuple[str, ...]] = {
    "network": ("programmes",),
    "hub": ("regions",),
    "programme": ("status_history",),
}


def region_or_404(code: str) -> Region:
    return or_404(selectors.region_get(code), f"There is no region with code '{code}'.")


def entity_or_404(kind: str, slug: str, v: Viewer, *, prefetch: bool = True) -> Any:
    """One hub, programme, organisation, network or person by slug, if the viewer may see it."""
    detail = f"There is no {kind} '{slug}' (or you may not see it)."
    related = PREFETCH[kind] if prefetch else ()
    return found(
        lambda: selectors.entity_get(kind, slug, viewer=v, select=SELECT[kind], prefetch=related), detail
    )


def theme_or_404(slug: str) -> Theme:
    return or_404(selectors.theme_get(slug), f"There is no theme '{slug}'.")


def relation_or_404(relation_id: int, v: Viewer) -> Relation:
    relation = selectors.relation_get(viewer=v, pk=relation_id)
    return or_404(relation, f"There is no relation {relation_id} (or you may not see it).")


# ---- serialisation ------------------------------------------------------------------------------


def region_out(region: Region, parents: Iterable[Region] | None = None) -> dict[str, Any]:
    if parents is None:
        parents = selectors.region_parents(region)
    return {
        "code": region.code,
        "code_system": region.code_system,
        "code_verified": region.code_verified,
        "verification_note": region.verification_note,
        "name": region.name,
        "name_en": region.name_en,
        "kind": region.kind,
        "scale": region.scale,
        "valid_from": region.valid_from,
        "valid_until": region.valid_until,
        "description": region.description,
        "parents": [region_ref(p) for p in parents],
    }


def region_detail(region: Region) -> dict[str, Any]:
    return {**region_out(region), "geometry": region.geometry}


def theme_out(theme: Theme) -> dict[str, Any]:
    return {
        "slug": theme.slug,
        "label": theme.label,
        "label_nl": theme.label_nl,
        "label_en": theme.label_en,
        "description": theme.description,
        "parent": theme.parent.slug if theme.parent_id else None,  # type: ignore[union-attr]
        "position": theme.position,
    }


def _owner_hub(obj: Any) -> str | None:
    return obj.owner_hub.slug if obj.owner_hub_id else None


def organisation_out(v: Viewer, org: Organisation) -> dict[str, Any]:
    return {
        "slug": org.slug,
        "name": org.name,
        "kind": org.kind,
        "description": org.description,
        "website": org.website,
        "regions": [region_ref(r) for r in org.regions.all()],
        "themes": [theme_ref(t) for t in org.themes.all()],
        "visibility": org.visibility,
        "owner_hub": _owner_hub(org),
        "updated_at": org.updated_at,
    }


PERSON_PLAIN_FIELDS = ("email", "phone", "role", "expertise", "knowledge_kinds")


def person_out(v: Viewer, person: Person) -> dict[str, Any]:
    """Only what `selectors.person_view` lets through; hidden groups stay absent."""
    view = selectors.person_view(v, person)
    out: dict[str, Any] = {"slug": view["slug"], "name": view["name"], "hidden": view["hidden"]}
    for name in PERSON_PLAIN_FIELDS:
        if name in view:
            out[name] = view[name]
    if "organisations" in view:
        out["organisations"] = [item_ref(o) for o in view["organisations"] if permissions.can_view(v, o)]
    if "themes" in view:
        out["themes"] = [theme_ref(t) for t in view["themes"]]
    if "regions" in view:
        out["regions"] = [region_ref(r) for r in view["regions"]]
    return out


def network_out(v: Viewer, net: Network) -> dict[str, Any]:
    parent = net.parent if net.parent_id else None
    return {
        "slug": net.slug,
        "name": net.name,
        "kind": net.kind,
        "scale": net.scale,
        "description": net.description,
        "website": net.website,
        "regions": [region_ref(r) for r in net.regions.all()],
        "themes": [theme_ref(t) for t in net.themes.all()],
        "parent": parent.slug if parent is not None and permissions.can_view(v, parent) else None,
        "programmes": [item_ref(p) for p in net.programmes.all()],
        "visibility": net.visibility,
        "owner_hub": _owner_hub(net),
        "updated_at": net.updated_at,
    }


def hub_out(v: Viewer, hub: Hub) -> dict[str, Any]:
    return {
        "slug": hub.slug,
        "name": hub.name,
        "introduction": hub.introduction,
        "website": hub.website,
        "regions": [region_ref(r) for r in hub.regions.all()],
        "themes": [theme_ref(t) for t in hub.themes.all()],
        "offers_brokering": hub.offers_brokering,
        "offers_area_learning": hub.offers_area_learning,
        "offers_strategy": hub.offers_strategy,
        "updated_at": hub.updated_at,
    }


def programme_out(v: Viewer, prog: Programme) -> dict[str, Any]:
    return {
        "slug": prog.slug,
        "abbr": prog.abbr,
        "name": prog.name,
        "description": prog.description,
        "lead_ministry": prog.lead_ministry,
        "partners": prog.partners,
        "start_year": prog.start_year,
        "start_note": prog.start_note,
        "horizon_year": prog.horizon_year,
        "horizon_note": prog.horizon_note,
        "knowledge_programme": prog.knowledge_programme,
        "status": prog.status,
        "scale": prog.scale,
        "source_url": prog.source_url,
        "verification": prog.verification,
        "verification_note": prog.verification_note,
        "regions": [region_ref(r) for r in prog.regions.all()],
        "themes": [theme_ref(t) for t in prog.themes.all()],
        "milestones": [
            {
                "date": m.date,
                "date_precision": m.date_precision,
                "kind": m.kind,
                "label": m.label,
                "verified": m.verified,
            }
            for m in prog.milestones.all()
        ],
        "status_history": [
            {"status": c.status, "date": c.date, "date_precision": c.date_precision, "note": c.note}
            for c in prog.status_history.all()
        ],
        "updated_at": prog.updated_at,
    }


SERIALIZERS: dict[str, Callable[[Viewer, Any], dict[str, Any]]] = {
    "organisation": organisation_out,
    "person": person_out,
    "network": network_out,
    "hub": hub_out,
    "programme": programme_out,
}


def _identifier(kind: str, obj: Any) -> str:
    return str(obj.code if kind == "region" else obj.slug)


def relations_out(v: Viewer, relations: list[Relation]) -> list[dict[str, Any]]:
    """Serialise relations, loading their ends with one query per entity type on the page."""
    wanted: dict[str, set[int]] = defaultdict(set)
    for rel in relations:
        wanted[rel.source_type].add(rel.source_id)
        wanted[rel.target_type].add(rel.target_id)
    loaded = {kind: selectors.entities_by_pk(kind, ids) for kind, ids in wanted.items()}

    def end(kind: str, pk: int) -> dict[str, Any]:
        obj = loaded.get(kind, {}).get(pk)
        if obj is None or not permissions.can_view(v, obj):
            return {"type": kind, "identifier": None, "name": None}
        return {"type": kind, "identifier": _identifier(kind, obj), "name": obj.name}

    return [
        {
            "id": rel.pk,
            "kind": rel.kind,
            "source": end(rel.source_type, rel.source_id),
            "target": end(rel.target_type, rel.target_id),
            "valid_from": rel.valid_from,
            "valid_until": rel.valid_until,
            "source_note": rel.source_note,
            "visibility": rel.visibility,
            "owner_hub": _owner_hub(rel),
        }
        for rel in relations
    ]


def entity_list(
    request: HttpRequest, kind: str, query: s.EntityQuery, *, scale: str = "", kind_filter: str = ""
) -> dict[str, Any]:
    v = viewer(request)
    filters = selectors.ListFilters(
        q=query.q or "",
        theme=theme_filter(query.theme),
        region=region_filter(query.region),
        scale=scale,
        kind=kind_filter,
    )
    qs = selectors.entity_queryset(
        kind, viewer=v, filters=filters, select=SELECT[kind], prefetch_more=LIST_EXTRA_PREFETCH.get(kind, ())
    )
    serialize = SERIALIZERS[kind]
    return paginate(request, qs, query, lambda rows: [serialize(v, o) for o in rows])


# ---- writes -----------------------------------------------------------------------------------------


def _form_value(kind: str, instance: Model) -> Callable[[str, forms.Field], Any]:
    """Where an Atlas form field's current value is not the plain model value: a region's parents
    (containment links) and a relation's ends (type + id -> region code or slug)."""

    def value(name: str, field: forms.Field) -> Any:
        if kind == "region" and name == "parents":
            return [r.code for r in selectors.region_parents_and_children(instance)[0]]  # type: ignore[arg-type]
        if kind == "relation" and name in ("source", "target"):
            end_kind, pk = getattr(instance, f"{name}_type"), getattr(instance, f"{name}_id")
            obj = selectors.entities_by_pk(end_kind, [pk]).get(pk) if pk is not None else None
            return _identifier(end_kind, obj) if obj is not None else None
        return NotImplemented

    return value


def save(request: HttpRequest, kind: str, payload: InputModel, instance: Model | None = None) -> Any:
    """Create (instance=None) or change an entity through the shared form + service."""
    v = viewer(request)
    blank = services.entity_form(kind, viewer=v, instance=instance)
    data = current_form_data(blank, _form_value(kind, blank.instance))
    for name, value in payload.model_dump(exclude_unset=True).items():
        if value is None and isinstance(blank.fields.get(name), forms.ModelMultipleChoiceField):
            value = []
        data[name] = value
    form = services.entity_form(kind, viewer=v, data=data, instance=instance)
    return services.entity_save(viewer=v, kind=kind, form=form, source="api")


# ==== regions ==============================================================================================


@read("/regions", s.RegionPage, "listRegions", "List regions", "regions")
def list_regions(request: HttpRequest, query: Query[s.RegionQuery]) -> dict[str, Any]:
    """Regions at every scale, with their official codes. `parent` keeps the regions contained
    (at any depth) in the given region, e.g. `?parent=PV27&kind=municipality`."""
    filters = selectors.RegionFilters(
        q=query.q or "",
        kind=query.kind or "",
        scale=query.scale or "",
        parent=region_filter(query.parent, "parent"),
    )
    qs = selectors.region_list(filters=filters)
    return paginate(request, qs, query, lambda rows: [region_out(r) for r in rows])


@read("/regions/{code}", s.RegionDetail, "getRegion", "Get a region", "regions")
def get_region(request: HttpRequest, code: str) -> dict[str, Any]:
    return region_detail(region_or_404(code))


@read("/regions/{code}/overview", s.RegionOverview, "getRegionOverview", "What touches a region", "regions")
def get_region_overview(request: HttpRequest, code: str, query: Query[s.OverviewQuery]) -> dict[str, Any]:
    """What the region page shows: the regions containing, contained in and overlapping this one,
    and per section (hubs, programmes, networks, organisations, people) the items linked to the
    region directly, via a region containing it, or within a region it contains, with the path."""
    v = viewer(request)
    region = region_or_404(code)
    overview = selectors.region_overview(
        viewer=v,
        region=region,
        limit=query.limit,
        picture=False,
        people_prefetch=("organisations", "themes", "regions"),
    )
    sections = overview["sections"]

    def touch(t: selectors.Touch) -> dict[str, Any]:
        return {"how": t.how, "via": [region_ref(r) for r in t.through]}

    fields: dict[str, Callable[[Any], dict[str, Any]]] = {
        "hubs": lambda o: item_ref(o),
        "programmes": lambda o: {**item_ref(o), "abbr": o.abbr, "status": o.status},
        "networks": lambda o: {**item_ref(o), "kind": o.kind, "scale": o.scale},
        "organisations": lambda o: {**item_ref(o), "kind": o.kind},
        "people": lambda o: person_out(v, o),
    }
    return {
        "region": region_out(region, overview["contained_in"]),
        "contained_in": [region_ref(r) for r in overview["contained_in"]],
        "contains": [region_ref(r) for r in overview["contains"]],
        "overlaps": [region_ref(r) for r in overview["overlaps"]],
        "sections": {
            name: {
                "items": [{**fields[name](t.obj), **touch(t)} for t in section.items],
                "total": section.total,
            }
            for name, section in sections.items()
        },
    }


@read("/regions/{code}/busyness", s.Busyness, "getRegionBusyness", "Milestones per quarter", "regions")
def get_region_busyness(request: HttpRequest, code: str, query: Query[s.BusynessQuery]) -> dict[str, Any]:
    """Milestones of the programmes touching the region (directly, via a containing region or in a
    contained region) from `start` for `months` months, with counts per quarter."""
    region = region_or_404(code)
    data = selectors.region_busyness(region=region, start=query.start, months=query.months)
    return {
        "region": region_ref(region),
        "start": data["start"],
        "end": data["end"],
        "months": data["months"],
        "milestones": [
            {
                "date": row["milestone"].date,
                "date_precision": row["milestone"].date_precision,
                "kind": row["milestone"].kind,
                "label": row["milestone"].label,
                "verified": row["milestone"].verified,
                "quarter": row["quarter"],
                "programme": item_ref(row["milestone"].programme),
                "via": region_ref(row["via"]) if row["via"] is not None else None,
            }
            for row in data["milestones"]
        ],
        "quarters": data["quarters"],
        "peak": data["peak"],
        "programme_count": data["programme_count"],
    }


@create("/regions", s.RegionDetail, "createRegion", "Create a region (administrators)", "regions")
def create_region(request: HttpRequest, payload: s.RegionIn, response: HttpResponse) -> Status:
    region = save(request, "region", payload)
    return created(request, response, f"{API_ROOT}/regions/{region.code}", region_detail(region))


@update("/regions/{code}", s.RegionDetail, "updateRegion", "Change a region (administrators)", "regions")
def update_region(request: HttpRequest, code: str, payload: s.RegionPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    region = save(request, "region", payload, region_or_404(code))
    return region_detail(region)


@create(
    "/custom-areas", s.RegionDetail, "createCustomArea", "Compose an own area from municipalities", "regions"
)
def create_custom_area(request: HttpRequest, payload: s.CustomAreaIn, response: HttpResponse) -> Status:
    """Coordinators of a knowledge hub (and administrators), as on the page. The area contains its
    municipalities; a province holding all of them contains the area. `Location` is the new region."""
    v = viewer(request)
    if not permissions.can_create_custom_area(v):
        raise PermissionDenied("region")
    form = CustomAreaForm(payload.model_dump())
    if not form.is_valid():
        raise form_problem(form)
    area = services.custom_area_create(
        viewer=v,
        name=form.cleaned_data["name"],
        name_en=form.cleaned_data["name_en"],
        description=form.cleaned_data["description"],
        municipalities=list(form.cleaned_data["municipalities"]),
    )
    return created(
        request, response, f"{API_ROOT}/regions/{area.code}", region_detail(region_or_404(area.code))
    )


@delete("/regions/{code}", "deleteRegion", "Delete a region (administrators)", "regions")
def delete_region(request: HttpRequest, code: str) -> Status:
    services.entity_delete(viewer=viewer(request), kind="region", instance=region_or_404(code), source="api")
    return deleted()


# ==== themes =================================================================================================


@read("/themes", s.ThemePage, "listThemes", "List themes", "themes")
def list_themes(request: HttpRequest, query: Query[s.ThemeQuery]) -> dict[str, Any]:
    """Themes (tasks and transitions), in their display order. `parent` keeps its sub-themes."""
    qs = selectors.theme_list(filters=selectors.ThemeFilters(parent=theme_filter(query.parent, "parent")))
    return paginate(request, qs, query, lambda rows: [theme_out(t) for t in rows])


@read("/themes/{slug}", s.ThemeOut, "getTheme", "Get a theme", "themes")
def get_theme(request: HttpRequest, slug: str) -> dict[str, Any]:
    return theme_out(theme_or_404(slug))


@create("/themes", s.ThemeOut, "createTheme", "Create a theme (administrators)", "themes")
def create_theme(request: HttpRequest, payload: s.ThemeIn, response: HttpResponse) -> Status:
    theme = save(request, "theme", payload)
    return created(request, response, f"{API_ROOT}/themes/{theme.slug}", theme_out(theme_or_404(theme.slug)))


@update("/themes/{slug}", s.ThemeOut, "updateTheme", "Change a theme (administrators)", "themes")
def update_theme(request: HttpRequest, slug: str, payload: s.ThemePatch) -> dict[str, Any]:  # type: ignore[valid-type]
    theme = save(request, "theme", payload, theme_or_404(slug))
    return theme_out(theme_or_404(theme.slug))


@delete("/themes/{slug}", "deleteTheme", "Delete a theme (administrators)", "themes")
def delete_theme(request: HttpRequest, slug: str) -> Status:
    services.entity_delete(viewer=viewer(request), kind="theme", instance=theme_or_404(slug), source="api")
    return deleted()


# ==== organisations, people, networks, hubs, programmes ===================================================
# The five share one shape; they are written out so each has its own typed schema and operationId.


def _detail(request: HttpRequest, kind: str, slug: str) -> dict[str, Any]:
    v = viewer(request)
    return SERIALIZERS[kind](v, entity_or_404(kind, slug, v))


def _create(
    request: HttpRequest, response: HttpResponse, kind: str, plural: str, payload: InputModel
) -> Status:
    obj = save(request, kind, payload)
    return created(request, response, f"{API_ROOT}/{plural}/{obj.slug}", _detail(request, kind, obj.slug))


def _update(request: HttpRequest, kind: str, slug: str, payload: InputModel) -> dict[str, Any]:
    v = viewer(request)
    obj = save(request, kind, payload, entity_or_404(kind, slug, v, prefetch=False))
    return _detail(request, kind, obj.slug)


def _delete(request: HttpRequest, kind: str, slug: str) -> Status:
    v = viewer(request)
    services.entity_delete(
        viewer=v, kind=kind, instance=entity_or_404(kind, slug, v, prefetch=False), source="api"
    )
    return deleted()


@read("/organisations", s.OrganisationPage, "listOrganisations", "List organisations", "organisations")
def list_organisations(request: HttpRequest, query: Query[s.OrganisationQuery]) -> dict[str, Any]:
    return entity_list(request, "organisation", query, kind_filter=query.kind or "")


@read("/organisations/{slug}", s.OrganisationOut, "getOrganisation", "Get an organisation", "organisations")
def get_organisation(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _detail(request, "organisation", slug)


@create("/organisations", s.OrganisationOut, "createOrganisation", "Create an organisation", "organisations")
def create_organisation(request: HttpRequest, payload: s.OrganisationIn, response: HttpResponse) -> Status:
    return _create(request, response, "organisation", "organisations", payload)


@update(
    "/organisations/{slug}",
    s.OrganisationOut,
    "updateOrganisation",
    "Change an organisation",
    "organisations",
)
def update_organisation(request: HttpRequest, slug: str, payload: s.OrganisationPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    return _update(request, "organisation", slug, payload)


@delete("/organisations/{slug}", "deleteOrganisation", "Delete an organisation", "organisations")
def delete_organisation(request: HttpRequest, slug: str) -> Status:
    return _delete(request, "organisation", slug)


@read("/people", s.PersonPage, "listPeople", "List knowledge holders", "people")
def list_people(request: HttpRequest, query: Query[s.PersonQuery]) -> dict[str, Any]:
    """Knowledge holders. Each field group a person keeps from you is absent and named in `hidden`."""
    return entity_list(request, "person", query, kind_filter=query.kind or "")


@read("/people/{slug}", s.PersonOut, "getPerson", "Get a knowledge holder", "people")
def get_person(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _detail(request, "person", slug)


@create("/people", s.PersonOut, "createPerson", "Create a knowledge holder", "people")
def create_person(request: HttpRequest, payload: s.PersonIn, response: HttpResponse) -> Status:
    return _create(request, response, "person", "people", payload)


@update("/people/{slug}", s.PersonOut, "updatePerson", "Change a knowledge holder", "people")
def update_person(request: HttpRequest, slug: str, payload: s.PersonPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    return _update(request, "person", slug, payload)


@delete("/people/{slug}", "deletePerson", "Delete a knowledge holder", "people")
def delete_person(request: HttpRequest, slug: str) -> Status:
    return _delete(request, "person", slug)


def _consent_out(person: Person) -> dict[str, Any]:
    return {
        "consent_at": person.consent_at,
        "basis": person.consent_basis,
        "groups": list(person.consent_groups or []),
        "recorded_by": person.consent_recorded_by.get_username() if person.consent_recorded_by else None,
    }


def _person_for_consent(v: Viewer, slug: str) -> Person:
    """A profile whose consent the caller records (the page's predicate); who may not see it is told
    it does not exist, who may see it that they may not."""
    detail = f"There is no person '{slug}' (or you may not see it)."
    person = found(lambda: selectors.person_for_consent(slug), detail)
    if not permissions.can_record_consent(v, person):
        if not permissions.can_view(v, person):
            raise ApiError(404, detail)
        raise PermissionDenied("person")
    return person


@op(
    "get",
    "/people/{slug}/consent",
    s.ConsentOut,
    "getPersonConsent",
    "The consent recorded for a knowledge holder (its hub's coordinators)",
    "people",
    problems=(401, 403),
)
def get_person_consent(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _consent_out(_person_for_consent(viewer(request), slug))


@op(
    "put",
    "/people/{slug}/consent",
    s.ConsentOut,
    "recordPersonConsent",
    "Record the consent a knowledge holder gave outside the platform (its hub's coordinators)",
    "people",
)
def record_person_consent(request: HttpRequest, slug: str, payload: s.ConsentIn) -> dict[str, Any]:
    """When (`givenOn`, not in the future), how (`basis`: form, email, paper, verbal) and for which
    field groups (`groups`; empty: all). The profile then shows at the visibility asked for."""
    v = viewer(request)
    person = _person_for_consent(v, slug)
    form = ConsentRecordForm(payload.model_dump())
    if not form.is_valid():
        raise form_problem(form)
    services.person_consent_record(
        viewer=v,
        person=person,
        given_on=form.cleaned_data["given_on"],
        basis=form.cleaned_data["basis"],
        groups=form.cleaned_data["groups"],
        source="api",
    )
    return _consent_out(selectors.person_for_consent(slug))


@read("/networks", s.NetworkPage, "listNetworks", "List networks", "networks")
def list_networks(request: HttpRequest, query: Query[s.NetworkQuery]) -> dict[str, Any]:
    return entity_list(request, "network", query, scale=query.scale or "", kind_filter=query.kind or "")


@read("/networks/{slug}", s.NetworkOut, "getNetwork", "Get a network", "networks")
def get_network(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _detail(request, "network", slug)


@create("/networks", s.NetworkOut, "createNetwork", "Create a network", "networks")
def create_network(request: HttpRequest, payload: s.NetworkIn, response: HttpResponse) -> Status:
    return _create(request, response, "network", "networks", payload)


@update("/networks/{slug}", s.NetworkOut, "updateNetwork", "Change a network", "networks")
def update_network(request: HttpRequest, slug: str, payload: s.NetworkPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    return _update(request, "network", slug, payload)


@delete("/networks/{slug}", "deleteNetwork", "Delete a network", "networks")
def delete_network(request: HttpRequest, slug: str) -> Status:
    return _delete(request, "network", slug)


@read("/hubs", s.HubPage, "listHubs", "List knowledge hubs", "hubs")
def list_hubs(request: HttpRequest, query: Query[s.HubQuery]) -> dict[str, Any]:
    return entity_list(request, "hub", query)


@read("/hubs/{slug}", s.HubOut, "getHub", "Get a knowledge hub", "hubs")
def get_hub(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _detail(request, "hub", slug)


@create("/hubs", s.HubOut, "createHub", "Create a knowledge hub (administrators)", "hubs")
def create_hub(request: HttpRequest, payload: s.HubIn, response: HttpResponse) -> Status:
    return _create(request, response, "hub", "hubs", payload)


@update("/hubs/{slug}", s.HubOut, "updateHub", "Change a knowledge hub (its coordinators)", "hubs")
def update_hub(request: HttpRequest, slug: str, payload: s.HubPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    return _update(request, "hub", slug, payload)


@delete("/hubs/{slug}", "deleteHub", "Delete a knowledge hub (administrators)", "hubs")
def delete_hub(request: HttpRequest, slug: str) -> Status:
    return _delete(request, "hub", slug)


# ---- a hub's members (its coordinators and administrators) ---------------------------------------------


def _hub_for_members(v: Viewer, slug: str) -> Hub:
    """The hub whose members the caller keeps (the page's predicate); 404 when there is none."""
    hub = found(lambda: selectors.hub_get(slug), f"There is no hub '{slug}'.")
    if not permissions.can_change(v, hub, "hub"):
        raise PermissionDenied("hub")
    return hub


def _member_account(who: str) -> Any:
    return or_404(user_find(who), f"There is no account with username or e-mail address '{who}'.")


def _members(hub: Hub) -> list[dict[str, Any]]:
    return [{"username": m.user.get_username(), "role": m.role} for m in selectors.hub_members(hub)]


@op(
    "get",
    "/hubs/{slug}/members",
    list[s.HubMemberOut],
    "listHubMembers",
    "A hub's members and their roles (its coordinators)",
    "hubs",
    problems=(401, 403),
)
def list_hub_members(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    return _members(_hub_for_members(viewer(request), slug))


@op(
    "put",
    "/hubs/{slug}/members/{user}",
    list[s.HubMemberOut],
    "setHubMember",
    "Add a member to a hub or change their role (its coordinators)",
    "hubs",
)
def set_hub_member(
    request: HttpRequest, slug: str, user: str, payload: s.HubMemberIn
) -> list[dict[str, Any]]:
    """`user`: a username or e-mail address. A hub keeps at least one coordinator (else 422 naming
    `role`). Answers the hub's members."""
    v = viewer(request)
    hub = _hub_for_members(v, slug)
    services.hub_membership_set(viewer=v, hub=hub, user=_member_account(user), role=payload.role)
    return _members(hub)


@delete(
    "/hubs/{slug}/members/{user}", "removeHubMember", "Remove a member from a hub (its coordinators)", "hubs"
)
def remove_hub_member(request: HttpRequest, slug: str, user: str) -> Status:
    """A hub keeps at least one coordinator (else 422 naming `role`)."""
    v = viewer(request)
    hub = _hub_for_members(v, slug)
    services.hub_membership_set(viewer=v, hub=hub, user=_member_account(user), role=None)
    return deleted()


@read("/programmes", s.ProgrammePage, "listProgrammes", "List national programmes", "programmes")
def list_programmes(request: HttpRequest, query: Query[s.ProgrammeQuery]) -> dict[str, Any]:
    """National programmes with their milestones and status history."""
    return entity_list(request, "programme", query, scale=query.scale or "", kind_filter=query.status or "")


@read("/programmes/{slug}", s.ProgrammeOut, "getProgramme", "Get a national programme", "programmes")
def get_programme(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _detail(request, "programme", slug)


@read(
    "/programmes/{slug}/budget",
    s.ProgrammeBudgetOut,
    "getProgrammeBudget",
    "A national programme's budget (total, per year, per region), each line with its source",
    "programmes",
)
def get_programme_budget(request: HttpRequest, slug: str) -> dict[str, Any]:
    v = viewer(request)
    prog = entity_or_404("programme", slug, v, prefetch=False)
    data = selectors.programme_budget(viewer=v, programme=prog)
    return {
        "programme": item_ref(prog),
        "lines": [
            {
                "year": b.year,
                "region": region_ref(b.region) if b.region is not None else None,
                "amount_eur": int(b.amount_eur),
                "description": b.description,
                "source": b.source,
                "source_url": b.source_url,
                "verified": b.verified,
                "public": b.public,
            }
            for b in data["lines"]
        ],
    }


@create("/programmes", s.ProgrammeOut, "createProgramme", "Create a programme (administrators)", "programmes")
def create_programme(request: HttpRequest, payload: s.ProgrammeIn, response: HttpResponse) -> Status:
    return _create(request, response, "programme", "programmes", payload)


@update(
    "/programmes/{slug}",
    s.ProgrammeOut,
    "updateProgramme",
    "Change a programme (administrators)",
    "programmes",
)
def update_programme(request: HttpRequest, slug: str, payload: s.ProgrammePatch) -> dict[str, Any]:  # type: ignore[valid-type]
    return _update(request, "programme", slug, payload)


@delete("/programmes/{slug}", "deleteProgramme", "Delete a programme (administrators)", "programmes")
def delete_programme(request: HttpRequest, slug: str) -> Status:
    return _delete(request, "programme", slug)


# ==== relations ================================================================================================


@read("/relations", s.RelationPage, "listRelations", "List relations", "relations")
def list_relations(request: HttpRequest, query: Query[s.RelationQuery]) -> dict[str, Any]:
    """Typed, dated links between Atlas entities. An end you may not see has a null identifier."""
    v = viewer(request)
    filters = selectors.RelationFilters(
        kind=query.kind or "", source_type=query.source_type or "", target_type=query.target_type or ""
    )
    return paginate(
        request,
        selectors.relation_list(viewer=v, filters=filters),
        query,
        lambda rows: relations_out(v, rows),
    )


@read("/relations/{id}", s.RelationOut, "getRelation", "Get a relation", "relations")
def get_relation(request: HttpRequest, id: IdPath) -> dict[str, Any]:
    v = viewer(request)
    return relations_out(v, [relation_or_404(id, v)])[0]


@create("/relations", s.RelationOut, "createRelation", "Create a relation", "relations")
def create_relation(request: HttpRequest, payload: s.RelationIn, response: HttpResponse) -> Status:
    v = viewer(request)
    relation = save(request, "relation", payload)
    body = relations_out(v, [relation_or_404(relation.pk, v)])[0]
    return created(request, response, f"{API_ROOT}/relations/{relation.pk}", body)


@update("/relations/{id}", s.RelationOut, "updateRelation", "Change a relation", "relations")
def update_relation(request: HttpRequest, id: IdPath, payload: s.RelationPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    v = viewer(request)
    relation = save(request, "relation", payload, relation_or_404(id, v))
    return relations_out(v, [relation_or_404(relation.pk, v)])[0]


@delete("/relations/{id}", "deleteRelation", "Delete a relation", "relations")
def delete_relation(request: HttpRequest, id: IdPath) -> Status:
    v = viewer(request)
    services.entity_delete(viewer=v, kind="relation", instance=relation_or_404(id, v), source="api")
    return deleted()


# ==== graph ==========================================================================================================


@read("/graph", s.Graph, "getGraph", "The network of hubs, networks, organisations and programmes", "graph")
def get_graph(request: HttpRequest, query: Query[s.GraphQuery]) -> dict[str, Any]:
    """Nodes with degree and betweenness, and the edges between them (people are left out).
    Large graphs are cut to the best-connected nodes (`truncated`)."""
    v = viewer(request)
    return selectors.graph_data(
        viewer=v,
        theme=theme_filter(query.theme),
        scale=query.scale or "",
        region=region_filter(query.region),
    )
