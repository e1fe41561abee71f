"""The DCAT-AP catalogue of PLeK's public knowledge (Turtle and JSON-LD), and the sitemap."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from django.urls import reverse
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, XSD

from plek.federation.provider import _prefetched, exposed_items

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
EU_LANG = "http://publications.europa.eu/resource/authority/language/"
LANG_CODES = {"nl": "NLD", "en": "ENG", "fy": "FRY", "de": "DEU"}
MAX_DATASETS = 5000


def catalogue_graph(site_url: str, catalogue_url: str) -> Graph:
    g = Graph()
    g.bind("dcat", DCAT)
    g.bind("dct", DCTERMS)
    g.bind("foaf", FOAF)
    g.bind("vcard", VCARD)
    cat = URIRef(catalogue_url)
    publisher = URIRef(site_url)
    g.add((cat, RDF.type, DCAT.Catalog))
    g.add((cat, DCTERMS.title, Literal("PLeK — openbare kennis", lang="nl")))
    g.add((cat, DCTERMS.title, Literal("PLeK — public knowledge", lang="en")))
    g.add((cat, DCTERMS.description, Literal("Openbare kennis van de regionale kennishubs.", lang="nl")))
    g.add((cat, DCTERMS.publisher, publisher))
    g.add((cat, FOAF.homepage, URIRef(site_url)))
    g.add((publisher, RDF.type, FOAF.Agent))
    g.add((publisher, FOAF.name, Literal("PLeK")))
    items = _prefetched(exposed_items()).order_by("-updated_at", "-id")[:MAX_DATASETS]
    for item in items:
        page = urljoin(site_url, reverse("knowledge:detail", args=[item.slug]))
        ds = URIRef(page)
        g.add((cat, DCAT.dataset, ds))
        g.add((ds, RDF.type, DCAT.Dataset))
        g.add((ds, DCTERMS.identifier, Literal(str(item.uuid))))
        g.add((ds, DCTERMS.title, Literal(item.title, lang=item.language)))
        g.add((ds, DCTERMS.description, Literal(item.summary or item.title, lang=item.language)))
        g.add((ds, DCAT.landingPage, ds))
        g.add((ds, DCTERMS.modified, Literal(item.updated_at.isoformat(), datatype=XSD.dateTime)))
        if item.date:
            g.add((ds, DCTERMS.issued, Literal(item.date.isoformat(), datatype=XSD.date)))
        g.add((ds, DCTERMS.language, URIRef(EU_LANG + LANG_CODES.get(item.language, "NLD"))))
        for theme in item.themes.all():
            g.add((ds, DCAT.keyword, Literal(theme.label_nl, lang="nl")))
        for region in item.regions.all():
            g.add((ds, DCTERMS.spatial, Literal(f"{region.name} ({region.code})")))
        if item.owner_hub is not None:
            hub = URIRef(urljoin(site_url, f"/kennishubs/{item.owner_hub.slug}/"))
            g.add((ds, DCTERMS.publisher, hub))
            g.add((hub, RDF.type, FOAF.Agent))
            g.add((hub, FOAF.name, Literal(item.owner_hub.name)))
        else:
            g.add((ds, DCTERMS.publisher, publisher))
        if item.doi:
            g.add((ds, DCTERMS.identifier, Literal(f"https://doi.org/{item.doi}")))
        if item.licence:
            g.add((ds, DCTERMS.license, Literal(item.licence)))
        contact = URIRef(page + "#contact")
        g.add((ds, DCAT.contactPoint, contact))
        g.add((contact, RDF.type, VCARD.Organization))
        g.add((contact, VCARD.fn, Literal(item.owner_hub.name if item.owner_hub else "PLeK")))
        if item.url:
            dist = URIRef(page + "#bron")
            g.add((ds, DCAT.distribution, dist))
            g.add((dist, RDF.type, DCAT.Distribution))
            g.add((dist, DCAT.accessURL, URIRef(item.url)))
    return g


def sitemap_urls(site_url: str) -> list[tuple[str, Any]]:
    rows = exposed_items().order_by("-updated_at").values_list("slug", "updated_at")[:45000]
    urls: list[tuple[str, Any]] = [(urljoin(site_url, reverse("knowledge:list")), None)]
    urls += [(urljoin(site_url, reverse("knowledge:detail", args=[slug])), when) for slug, when in rows]
    return urls
