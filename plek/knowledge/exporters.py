"""The knowledge base as a section of `plek export` (visible items only, as the viewer may see them)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from plek.atlas.exporters import Section, entity_iri, site_base
from plek.atlas.models import Organisation, Person
from plek.atlas.permissions import Viewer, can_view, visible_q
from plek.knowledge.models import KnowledgeItem


def _queryset(viewer: Viewer) -> QuerySet[Any]:
    return (
        KnowledgeItem.objects.filter(visible_q(viewer))
        .select_related("owner_hub")
        .prefetch_related(
            "themes",
            "regions",
            Prefetch("author_people", queryset=Person.objects.all()),
            Prefetch("author_organisations", queryset=Organisation.objects.all()),
        )
        .order_by("pk")
    )


def _items(viewer: Viewer, rows: list[KnowledgeItem]) -> list[dict[str, Any]]:
    out = []
    for item in rows:
        out.append(
            {
                "uuid": str(item.uuid),
                "slug": item.slug,
                "kind": item.kind,
                "category": item.category,
                "title": item.title,
                "summary": item.summary,
                "body": item.body,
                "language": item.language,
                "date": item.date.isoformat() if item.date else None,
                "themes": sorted(t.slug for t in item.themes.all()),
                "regions": sorted(r.code for r in item.regions.all()),
                "scale": item.scale,
                "authors": {
                    "people": sorted(p.slug for p in item.author_people.all() if can_view(viewer, p)),
                    "organisations": sorted(
                        o.slug for o in item.author_organisations.all() if can_view(viewer, o)
                    ),
                },
                "identifiers": {"doi": item.doi, "handle": item.handle, "isbn": item.isbn, "url": item.url},
                "licence": item.licence,
                "visibility": item.visibility,
                "provenance": {
                    "kind": item.provenance,
                    "source_name": item.source_name,
                    "source_identifier": item.source_identifier,
                },
                "version": item.version,
                "owner_hub": item.owner_hub.slug if item.owner_hub else None,
            }
        )
    return out


def _jsonld(i: dict[str, Any]) -> dict[str, Any]:
    node = {
        "@id": f"{site_base()}/kennis/{i['slug']}/",
        "@type": "Dataset"
        if i["kind"] == "dataset"
        else ("Report" if i["kind"] == "report" else "CreativeWork"),
        "identifier": i["uuid"],
        "name": i["title"],
        "abstract": i["summary"],
        "text": i["body"],
        "inLanguage": i["language"],
        "datePublished": i["date"],
        "license": i["licence"],
        "knowledgeKind": i["kind"],
        "scale": i["scale"],
        "about": [{"@id": f"{site_base()}/themas/{t}/"} for t in i["themes"]],
        "spatialCoverage": [{"@id": entity_iri("region", c)} for c in i["regions"]],
        "author": [{"@id": entity_iri("person", s)} for s in i["authors"]["people"]]
        + [{"@id": entity_iri("organisation", s)} for s in i["authors"]["organisations"]],
        "sameAs": [
            u
            for u in (
                f"https://doi.org/{i['identifiers']['doi']}" if i["identifiers"]["doi"] else "",
                i["identifiers"]["url"],
            )
            if u
        ],
        "isBasedOn": i["provenance"]["source_identifier"] or None,
        "version": i["version"],
    }
    return {k: v for k, v in node.items() if v not in (None, "", [], {})}


KNOWLEDGE_SECTION = Section("knowledge", "knowledge", _queryset, _items, _jsonld)
