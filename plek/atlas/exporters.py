"""Export of the Atlas as one JSON document or as JSON-LD (schema.org) — `plek export`.

What is exported depends on the viewer: by default the anonymous public, so only public things
appear, and people only with the field groups they made public (every person goes through
`selectors.person_view`). Relations appear only when both ends are visible to the viewer; a
relation to a person also needs that person's affiliation to be visible.

Rows are read in keyset batches (`pk > last`, `batch_size` at a time) with their related rows
prefetched, and written as they are read, so memory stays bounded and each batch costs a fixed
number of queries whatever the size of the Atlas.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import IO, Any
from urllib.parse import quote

from django.conf import settings
from django.db.models import Model, Prefetch, QuerySet
from django.utils import timezone

from plek.atlas.models import (
    Hub,
    Network,
    NetworkMember,
    Organisation,
    Person,
    Programme,
    Region,
    RegionContainment,
    Relation,
    Theme,
)
from plek.atlas.permissions import ANONYMOUS, Viewer, can_view, person_group_visible, visible_q
from plek.atlas.selectors import person_view

FORMATS = ("json", "jsonld")
DEFAULT_BATCH_SIZE = 500
FORMAT_VERSION = 1

Item = dict[str, Any]

# Reading everything, as a platform administrator. (Not `is_authenticated`: there is no user, and the
# person-group check compares account ids with the viewer's user.)
ADMIN_READER = Viewer(user=None, is_authenticated=False, is_admin=True)


def export_viewer(include_private: bool) -> Viewer:
    return ADMIN_READER if include_private else ANONYMOUS


# ---- reading in batches --------------------------------------------------------------------------


def batched(qs: QuerySet[Any], size: int) -> Iterator[list[Any]]:
    """Rows of `qs` in primary-key order, `size` at a time (keyset pagination, prefetches per batch)."""
    last: Any = None
    while True:
        page = qs if last is None else qs.filter(pk__gt=last)
        rows = list(page.order_by("pk")[:size])
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = rows[-1]["pk"] if isinstance(rows[-1], dict) else rows[-1].pk


def _codes(objs: Any) -> list[str]:
    return [o.code for o in objs.all()]


def _slugs(objs: Any) -> list[str]:
    return [o.slug for o in objs.all()]


def _ident(obj: Model) -> str:
    return obj.code if isinstance(obj, Region) else obj.slug  # type: ignore[attr-defined,no-any-return]


def _owner(obj: Any) -> str | None:
    return obj.owner_hub.slug if obj.owner_hub_id else None


def _regions_prefetch() -> Prefetch:
    return Prefetch("regions", queryset=Region.objects.only("id", "code"))


def _themes_prefetch() -> Prefetch:
    return Prefetch("themes", queryset=Theme.objects.only("id", "slug"))


@dataclass(frozen=True)
class Section:
    name: str  # key in the JSON export ("people")
    kind: str  # entity kind ("person")
    queryset: Callable[[Viewer], QuerySet[Any]]
    items: Callable[[Viewer, list[Any]], list[Item]]
    jsonld: Callable[[Item], Item] | None = None  # sections of higher layers bring their own mapping


# regions


def _region_qs(viewer: Viewer) -> QuerySet[Any]:
    links = RegionContainment.objects.select_related("parent").only("kind", "child", "parent", "parent__code")
    return Region.objects.defer("geometry").prefetch_related(Prefetch("parent_links", queryset=links))


def _region_items(viewer: Viewer, rows: list[Region]) -> list[Item]:
    out = []
    for r in rows:
        links = list(r.parent_links.all())  # type: ignore[attr-defined]
        out.append(
            {
                "code": r.code,
                "code_system": r.code_system,
                "code_verified": r.code_verified,
                "name": r.name,
                "name_en": r.name_en,
                "kind": r.kind,
                "scale": r.scale,
                "valid_from": r.valid_from,
                "valid_until": r.valid_until,
                "description": r.description,
                "parents": sorted(
                    lk.parent.code for lk in links if lk.kind == RegionContainment.Kind.CONTAINS
                ),
                "overlaps": sorted(
                    lk.parent.code for lk in links if lk.kind == RegionContainment.Kind.OVERLAPS
                ),
            }
        )
    return out


# themes


def _theme_qs(viewer: Viewer) -> QuerySet[Any]:
    return Theme.objects.select_related("parent")


def _theme_items(viewer: Viewer, rows: list[Theme]) -> list[Item]:
    return [
        {
            "slug": t.slug,
            "parent": t.parent.slug if t.parent_id else None,  # type: ignore[union-attr]
            "label_nl": t.label_nl,
            "label_en": t.label_en,
            "description": t.description,
            "position": t.position,
        }
        for t in rows
    ]


# organisations


def _organisation_qs(viewer: Viewer) -> QuerySet[Any]:
    return (
        Organisation.objects.filter(visible_q(viewer))
        .select_related("owner_hub")
        .prefetch_related(_regions_prefetch(), _themes_prefetch())
    )


def _organisation_items(viewer: Viewer, rows: list[Organisation]) -> list[Item]:
    return [
        {
            "slug": o.slug,
            "name": o.name,
            "kind": o.kind,
            "description": o.description,
            "website": o.website,
            "regions": _codes(o.regions),
            "themes": _slugs(o.themes),
            "visibility": o.visibility,
            "owner_hub": _owner(o),
        }
        for o in rows
    ]


# people: only through person_view


# Related rows are prefetched unfiltered (with the columns the permission predicates read) and
# filtered in Python with those same predicates: a visibility filter inside the prefetch makes
# SQLite scan every organisation per batch.
OWNED_COLUMNS = ("id", "slug", "visibility", "owner_hub_id", "created_by_id")
PERSON_COLUMNS = (*OWNED_COLUMNS, "account_id", "affiliation_visibility")


def _person_shows_affiliation(viewer: Viewer, person: Any) -> bool:
    """A link to a person (network membership, relation) says who they work with."""
    return can_view(viewer, person) and person_group_visible(viewer, person, "affiliation")


def _person_qs(viewer: Viewer) -> QuerySet[Any]:
    organisations = Organisation.objects.only(*OWNED_COLUMNS)
    return (
        Person.objects.filter(visible_q(viewer))
        .select_related("owner_hub")
        .prefetch_related(
            Prefetch("organisations", queryset=organisations), _regions_prefetch(), _themes_prefetch()
        )
    )


PERSON_VISIBILITY_FIELDS = (
    "visibility",
    "contact_visibility",
    "affiliation_visibility",
    "expertise_visibility",
    "regions_visibility",
)


def _person_items(viewer: Viewer, rows: list[Person]) -> list[Item]:
    out = []
    for p in rows:
        view = person_view(viewer, p)
        item: Item = {"slug": view["slug"], "name": view["name"]}
        for names in Person.FIELD_GROUPS.values():
            for name in names:
                if name not in view:
                    continue
                value = view[name]
                if name == "organisations":
                    value = [o for o in value if can_view(viewer, o)]
                item[name] = (
                    [_ident(o) for o in value] if name in ("organisations", "themes", "regions") else value
                )
        item["hidden"] = list(view["hidden"])
        if viewer.is_admin:  # the settings themselves, for an administrator's full export
            for name in PERSON_VISIBILITY_FIELDS:
                item[name] = getattr(p, name)
            item["owner_hub"] = _owner(p)
        out.append(item)
    return out


# networks


def _network_qs(viewer: Viewer) -> QuerySet[Any]:
    members = NetworkMember.objects.select_related("person", "organisation").only(
        "network",
        "role",
        "person",
        "organisation",
        *(f"person__{c}" for c in PERSON_COLUMNS),
        *(f"organisation__{c}" for c in OWNED_COLUMNS),
    )
    return (
        Network.objects.filter(visible_q(viewer))
        .select_related("owner_hub", "parent")
        .prefetch_related(
            _regions_prefetch(),
            _themes_prefetch(),
            Prefetch("programmes", queryset=Programme.objects.only("id", "slug")),
            Prefetch("linked", queryset=Network.objects.only(*OWNED_COLUMNS)),
            Prefetch("member_links", queryset=members),
        )
    )


def _network_items(viewer: Viewer, rows: list[Network]) -> list[Item]:
    out = []
    for n in rows:
        parent = n.parent if n.parent_id and can_view(viewer, n.parent) else None  # type: ignore[arg-type]
        members = []
        for m in sorted(n.member_links.all(), key=lambda m: m.pk):  # type: ignore[attr-defined]
            person, organisation = m.person, m.organisation
            if person is not None and _person_shows_affiliation(viewer, person):
                members.append({"person": person.slug, "role": m.role})
            elif organisation is not None and can_view(viewer, organisation):
                members.append({"organisation": organisation.slug, "role": m.role})
        linked = [o.slug for o in n.linked.all() if can_view(viewer, o)]
        out.append(
            {
                "slug": n.slug,
                "name": n.name,
                "kind": n.kind,
                "scale": n.scale,
                "description": n.description,
                "website": n.website,
                "regions": _codes(n.regions),
                "themes": _slugs(n.themes),
                "parent": parent.slug if parent else None,
                "programmes": _slugs(n.programmes),
                "linked": linked,
                "members": members,
                "visibility": n.visibility,
                "owner_hub": _owner(n),
            }
        )
    return out


# hubs


def _hub_qs(viewer: Viewer) -> QuerySet[Any]:
    return Hub.objects.prefetch_related(_regions_prefetch(), _themes_prefetch())


def _hub_items(viewer: Viewer, rows: list[Hub]) -> list[Item]:
    return [
        {
            "slug": h.slug,
            "name": h.name,
            "introduction": h.introduction,
            "website": h.website,
            "regions": _codes(h.regions),
            "themes": _slugs(h.themes),
            "offers_brokering": h.offers_brokering,
            "offers_area_learning": h.offers_area_learning,
            "offers_strategy": h.offers_strategy,
        }
        for h in rows
    ]


# programmes


def _programme_qs(viewer: Viewer) -> QuerySet[Any]:
    return Programme.objects.prefetch_related(
        _regions_prefetch(), _themes_prefetch(), "milestones", "status_history"
    )


def _programme_items(viewer: Viewer, rows: list[Programme]) -> list[Item]:
    out = []
    for p in rows:
        out.append(
            {
                "slug": p.slug,
                "abbr": p.abbr,
                "name": p.name,
                "description": p.description,
                "lead_ministry": p.lead_ministry,
                "partners": p.partners,
                "start_year": p.start_year,
                "start_note": p.start_note,
                "horizon_year": p.horizon_year,
                "horizon_note": p.horizon_note,
                "knowledge_programme": p.knowledge_programme,
                "status": p.status,
                "scale": p.scale,
                "source_url": p.source_url,
                "verification": p.verification,
                "verification_note": p.verification_note,
                "regions": _codes(p.regions),
                "themes": _slugs(p.themes),
                "milestones": [
                    {
                        "date": m.date,
                        "date_precision": m.date_precision,
                        "kind": m.kind,
                        "label": m.label,
                        "verified": m.verified,
                    }
                    for m in p.milestones.all()  # type: ignore[attr-defined]
                ],
                "status_history": [
                    {"status": s.status, "date": s.date, "date_precision": s.date_precision, "note": s.note}
                    for s in p.status_history.all()  # type: ignore[attr-defined]
                ],
            }
        )
    return out


# relations: both ends must be visible


def _endpoint_idents(viewer: Viewer, kind: str, ids: list[int]) -> dict[int, str]:
    """Public identifiers of the given entities that the viewer may see (one query).

    Rows are read as plain values and checked with the same predicates as model instances."""
    if kind == "region":
        return dict(Region.objects.filter(pk__in=ids).values_list("pk", "code"))
    if kind in ("hub", "programme"):
        return dict(
            (Hub if kind == "hub" else Programme).objects.filter(pk__in=ids).values_list("pk", "slug")
        )
    if kind == "person":
        people = Person.objects.filter(pk__in=ids).values(*PERSON_COLUMNS)
        return {p["id"]: p["slug"] for p in people if _person_shows_affiliation(viewer, SimpleNamespace(**p))}
    model = Organisation if kind == "organisation" else Network
    rows = model.objects.filter(pk__in=ids).values(*OWNED_COLUMNS)
    return {o["id"]: o["slug"] for o in rows if can_view(viewer, SimpleNamespace(**o))}  # type: ignore[arg-type]


RELATION_COLUMNS = (
    "pk",
    "kind",
    "source_type",
    "source_id",
    "target_type",
    "target_id",
    "valid_from",
    "valid_until",
    "source_note",
    "visibility",
    "owner_hub__slug",
)


def _relation_qs(viewer: Viewer) -> QuerySet[Any]:
    # Plain rows rather than model instances: relations are the largest table by far.
    return Relation.objects.filter(visible_q(viewer)).values(*RELATION_COLUMNS)


def _relation_items(viewer: Viewer, rows: list[dict[str, Any]]) -> list[Item]:
    wanted: dict[str, set[int]] = defaultdict(set)
    for r in rows:
        wanted[r["source_type"]].add(r["source_id"])
        wanted[r["target_type"]].add(r["target_id"])
    idents: dict[str, dict[int, str]] = {}
    for kind in sorted(wanted):  # at most one query per entity kind
        if kind not in Relation.EntityType.values:
            continue
        idents[kind] = _endpoint_idents(viewer, kind, sorted(wanted[kind]))
    out = []
    for r in rows:
        source = idents.get(r["source_type"], {}).get(r["source_id"])
        target = idents.get(r["target_type"], {}).get(r["target_id"])
        if source is None or target is None:
            continue
        out.append(
            {
                "kind": r["kind"],
                "source_type": r["source_type"],
                "source": source,
                "target_type": r["target_type"],
                "target": target,
                "valid_from": r["valid_from"],
                "valid_until": r["valid_until"],
                "source_note": r["source_note"],
                "visibility": r["visibility"],
                "owner_hub": r["owner_hub__slug"],
            }
        )
    return out


SECTIONS: tuple[Section, ...] = (
    Section("regions", "region", _region_qs, _region_items),
    Section("themes", "theme", _theme_qs, _theme_items),
    Section("organisations", "organisation", _organisation_qs, _organisation_items),
    Section("people", "person", _person_qs, _person_items),
    Section("networks", "network", _network_qs, _network_items),
    Section("hubs", "hub", _hub_qs, _hub_items),
    Section("programmes", "programme", _programme_qs, _programme_items),
    Section("relations", "relation", _relation_qs, _relation_items),
)


def all_sections() -> tuple[Section, ...]:
    """The Atlas sections plus those of higher layers (`hooks.export_sections`, e.g. the knowledge
    base; registered in plek/platform/registry.py)."""
    from plek.core.hooks import hooks

    return SECTIONS + tuple(hooks.export_sections)


def section_counts(viewer: Viewer) -> dict[str, int]:
    """Rows per section before the per-row checks (for progress bars)."""
    return {s.name: s.queryset(viewer).count() for s in all_sections()}


# ---- JSON-LD (schema.org) ----------------------------------------------------------------------------

PATHS = {
    "region": "gebieden",
    "organisation": "organisaties",
    "person": "kennishouders",
    "network": "netwerken",
    "hub": "kennishubs",
    "programme": "programmas",
    "theme": "themas",
}
PLEK_NS = "urn:plek:atlas:"

CONTEXT: dict[str, Any] = {
    "@vocab": "https://schema.org/",
    "schema": "https://schema.org/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "plek": PLEK_NS,
    "broader": {"@id": "skos:broader", "@type": "@id"},
    "codeSystem": "plek:codeSystem",
    "codeVerified": "plek:codeVerified",
    "regionKind": "plek:regionKind",
    "organisationKind": "plek:organisationKind",
    "networkKind": "plek:networkKind",
    "knowledgeKind": "plek:knowledgeKind",
    "scale": "plek:scale",
    "visibility": "plek:visibility",
    "managedByHub": {"@id": "plek:managedByHub", "@type": "@id"},
    "linkedNetwork": {"@id": "plek:linkedNetwork", "@type": "@id"},
    "programme": {"@id": "plek:programme", "@type": "@id"},
    "offers": "plek:offers",
    "status": "plek:status",
    "statusHistory": {"@id": "plek:statusHistory", "@container": "@list"},
    "StatusChange": "plek:StatusChange",
    "datePrecision": "plek:datePrecision",
    "verified": "plek:verified",
    "verification": "plek:verification",
    "horizonYear": "plek:horizonYear",
    "milestoneKind": "plek:milestoneKind",
    "Relation": "plek:Relation",
    "relationKind": "plek:relationKind",
    "relationSource": {"@id": "plek:relationSource", "@type": "@id"},
    "relationTarget": {"@id": "plek:relationTarget", "@type": "@id"},
}


def site_base() -> str:
    return str(getattr(settings, "SITE_URL", "")).rstrip("/")


def entity_iri(kind: str, ident: str) -> str:
    """The public address of an Atlas entity (its page on this site)."""
    return f"{site_base()}/{PATHS[kind]}/{quote(ident, safe='')}/"


def _refs(kind: str, idents: list[str]) -> list[dict[str, str]]:
    return [{"@id": entity_iri(kind, i)} for i in idents]


def _clean(node: Item) -> Item:
    """Drop empty values: JSON-LD says nothing rather than 'empty'."""
    return {k: v for k, v in node.items() if v not in (None, "", [], {})}


def _ld_region(i: Item) -> Item:
    official = i["code_system"] in (Region.CodeSystem.CBS, Region.CodeSystem.TOOI, Region.CodeSystem.ISO)
    return _clean(
        {
            "@id": entity_iri("region", i["code"]),
            "@type": "AdministrativeArea" if official else "Place",
            "identifier": i["code"],
            "codeSystem": i["code_system"],
            "codeVerified": i["code_verified"],
            "name": i["name"],
            "alternateName": i["name_en"],
            "regionKind": i["kind"],
            "scale": i["scale"],
            "description": i["description"],
            "validFrom": i["valid_from"],
            "validThrough": i["valid_until"],
            "containedInPlace": _refs("region", i["parents"]),
            "geoOverlaps": _refs("region", i["overlaps"]),
        }
    )


def _ld_theme(i: Item) -> Item:
    return _clean(
        {
            "@id": entity_iri("theme", i["slug"]),
            "@type": "DefinedTerm",
            "termCode": i["slug"],
            "name": [
                {"@value": i["label_nl"], "@language": "nl"},
                {"@value": i["label_en"], "@language": "en"},
            ],
            "description": i["description"],
            "inDefinedTermSet": {"@id": f"{site_base()}/{PATHS['theme']}"},
            "broader": entity_iri("theme", i["parent"]) if i["parent"] else None,
        }
    )


def _owned(i: Item) -> Item:
    return {
        "visibility": i.get("visibility"),
        "managedByHub": entity_iri("hub", i["owner_hub"]) if i.get("owner_hub") else None,
    }


def _ld_organisation(i: Item) -> Item:
    return _clean(
        {
            "@id": entity_iri("organisation", i["slug"]),
            "@type": "Organization",
            "identifier": i["slug"],
            "name": i["name"],
            "organisationKind": i["kind"],
            "description": i["description"],
            "url": i["website"],
            "areaServed": _refs("region", i["regions"]),
            "knowsAbout": _refs("theme", i["themes"]),
            **_owned(i),
        }
    )


def _ld_person(i: Item) -> Item:
    # Built from the person_view output only: hidden groups are simply absent from `i`.
    return _clean(
        {
            "@id": entity_iri("person", i["slug"]),
            "@type": "Person",
            "identifier": i["slug"],
            "name": i["name"],
            "email": i.get("email"),
            "telephone": i.get("phone"),
            "jobTitle": i.get("role"),
            "worksFor": _refs("organisation", i.get("organisations", [])),
            "description": i.get("expertise"),
            "knowsAbout": _refs("theme", i.get("themes", [])),
            "knowledgeKind": i.get("knowledge_kinds"),
            "workLocation": _refs("region", i.get("regions", [])),
            **_owned(i),
        }
    )


def _ld_network(i: Item) -> Item:
    members = [
        {
            "@type": "OrganizationRole",
            "roleName": m["role"],
            "member": {
                "@id": entity_iri("person", m["person"])
                if "person" in m
                else entity_iri("organisation", m["organisation"])
            },
        }
        for m in i["members"]
    ]
    return _clean(
        {
            "@id": entity_iri("network", i["slug"]),
            "@type": "Organization",
            "additionalType": f"{PLEK_NS}Network",
            "identifier": i["slug"],
            "name": i["name"],
            "networkKind": i["kind"],
            "scale": i["scale"],
            "description": i["description"],
            "url": i["website"],
            "areaServed": _refs("region", i["regions"]),
            "knowsAbout": _refs("theme", i["themes"]),
            "parentOrganization": {"@id": entity_iri("network", i["parent"])} if i["parent"] else None,
            "programme": [entity_iri("programme", s) for s in i["programmes"]],
            "linkedNetwork": [entity_iri("network", s) for s in i["linked"]],
            "member": members,
            **_owned(i),
        }
    )


def _ld_hub(i: Item) -> Item:
    offers = [k for k in ("brokering", "area_learning", "strategy") if i[f"offers_{k}"]]
    return _clean(
        {
            "@id": entity_iri("hub", i["slug"]),
            "@type": "Organization",
            "additionalType": f"{PLEK_NS}KnowledgeHub",
            "identifier": i["slug"],
            "name": i["name"],
            "description": i["introduction"],
            "url": i["website"],
            "areaServed": _refs("region", i["regions"]),
            "knowsAbout": _refs("theme", i["themes"]),
            "offers": offers,
        }
    )


def _ld_programme(i: Item) -> Item:
    return _clean(
        {
            "@id": entity_iri("programme", i["slug"]),
            "@type": "Project",
            "additionalType": f"{PLEK_NS}NationalProgramme",
            "identifier": i["slug"],
            "name": i["name"],
            "alternateName": i["abbr"],
            "description": i["description"],
            "funder": {"@type": "GovernmentOrganization", "name": i["lead_ministry"]}
            if i["lead_ministry"]
            else None,
            "foundingDate": str(i["start_year"]) if i["start_year"] else None,
            "horizonYear": i["horizon_year"],
            "status": i["status"],
            "scale": i["scale"],
            "url": i["source_url"],
            "verification": i["verification"],
            "areaServed": _refs("region", i["regions"]),
            "knowsAbout": _refs("theme", i["themes"]),
            "event": [
                _clean(
                    {
                        "@type": "Event",
                        "name": m["label"],
                        "startDate": m["date"],
                        "datePrecision": m["date_precision"],
                        "milestoneKind": m["kind"],
                        "verified": m["verified"],
                    }
                )
                for m in i["milestones"]
            ],
            "statusHistory": [
                _clean(
                    {
                        "@type": "StatusChange",
                        "status": s["status"],
                        "startDate": s["date"],
                        "datePrecision": s["date_precision"],
                        "description": s["note"],
                    }
                )
                for s in i["status_history"]
            ],
        }
    )


def _ld_relation(i: Item) -> Item:
    return _clean(
        {
            "@type": "Relation",
            "relationKind": i["kind"],
            "relationSource": entity_iri(i["source_type"], i["source"]),
            "relationTarget": entity_iri(i["target_type"], i["target"]),
            "startDate": i["valid_from"],
            "endDate": i["valid_until"],
            "description": i["source_note"],
            **_owned(i),
        }
    )


JSONLD: dict[str, Callable[[Item], Item]] = {
    "region": _ld_region,
    "theme": _ld_theme,
    "organisation": _ld_organisation,
    "person": _ld_person,
    "network": _ld_network,
    "hub": _ld_hub,
    "programme": _ld_programme,
    "relation": _ld_relation,
}


# ---- writing ----------------------------------------------------------------------------------------------


def _default(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    raise TypeError(f"cannot export {type(value).__name__}")


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_default)


def export_atlas(
    out: IO[str],
    *,
    viewer: Viewer = ANONYMOUS,
    fmt: str = "json",
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[str, int], Any] | None = None,
) -> dict[str, int]:
    """Write the Atlas to `out` as the viewer may see it; returns the number of items per section."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    now = timezone.now().replace(microsecond=0)
    audience = "all" if viewer.is_admin else "public"
    counts: dict[str, int] = {}
    if fmt == "json":
        meta = {
            "format": "plek-atlas",
            "version": FORMAT_VERSION,
            "generated_at": now,
            "audience": audience,
            "site": getattr(settings, "SITE_URL", ""),
        }
        out.write('{\n"meta": ' + _dump(meta))
    else:
        dataset = {
            "@id": f"{site_base()}/#atlas",
            "@type": "Dataset",
            "name": "PLeK Atlas",
            "dateModified": now,
            "inLanguage": "nl",
            "description": "Regions, themes, organisations, knowledge holders, networks, hubs, national "
            f"programmes and relations ({'full export' if viewer.is_admin else 'public information only'}).",
        }
        out.write('{\n"@context": ' + _dump(CONTEXT) + ',\n"@graph": [\n' + _dump(dataset))
    for section in all_sections():
        if fmt == "json":
            out.write(f',\n"{section.name}": [')
        n = 0
        for rows in batched(section.queryset(viewer), batch_size):
            items = section.items(viewer, rows)
            chunk = []
            for item in items:
                node = item if fmt == "json" else (section.jsonld or JSONLD[section.kind])(item)
                chunk.append(("\n" if fmt == "json" and n == 0 else ",\n") + _dump(node))
                n += 1
            out.write("".join(chunk))
            if progress is not None:
                progress(section.name, len(rows))
        counts[section.name] = n
        if fmt == "json":
            out.write("\n]")
    if fmt == "json":
        out.write(',\n"counts": ' + _dump(counts) + "\n}\n")
    else:
        out.write("\n]\n}\n")
    return counts
