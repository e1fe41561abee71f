"""The DCAT-AP catalogue (Turtle and JSON-LD, parsed with rdflib, mandatory properties present) and
the sitemap: public knowledge only."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from lxml import etree
from rdflib import RDF, Graph
from rdflib.namespace import DCAT, DCTERMS, FOAF

from plek.federation.tests.test_oai_provider import make


@pytest.fixture
def items(hub: Any) -> None:
    make(
        "Openbare dataset grondwater",
        kind="dataset",
        owner_hub=hub,
        summary="Peilbuizen",
        themes=["water-bodem"],
    )
    make("Openbaar rapport", kind="report")
    make("Ledenrapport", visibility="members")
    make("Privé", visibility="private")


@pytest.mark.parametrize(
    ("path", "fmt"), [("/dcat/catalogus.ttl", "turtle"), ("/dcat/catalogus.jsonld", "json-ld")]
)
def test_dcat_ap_catalogue_has_the_mandatory_properties(
    client: Client, items: None, path: str, fmt: str
) -> None:
    response = client.get(path)
    assert response.status_code == 200
    g = Graph().parse(data=response.content, format=fmt)
    catalogues = list(g.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogues) == 1
    cat = catalogues[0]
    # DCAT-AP mandatory for a Catalogue: title, description, publisher, dataset
    for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.publisher):
        assert g.value(cat, prop) is not None, prop
    datasets = list(g.objects(cat, DCAT.dataset))
    assert len(datasets) == 2
    titles = {str(g.value(d, DCTERMS.title)) for d in datasets}
    assert titles == {"Openbare dataset grondwater", "Openbaar rapport"}
    for ds in datasets:
        assert (ds, RDF.type, DCAT.Dataset) in g
        # DCAT-AP mandatory for a Dataset: title and description; recommended: publisher, contact point
        assert g.value(ds, DCTERMS.description) is not None
        publisher = g.value(ds, DCTERMS.publisher)
        assert publisher is not None and g.value(publisher, FOAF.name) is not None
        assert g.value(ds, DCAT.contactPoint) is not None
        assert g.value(ds, DCTERMS.modified) is not None
    assert g.value(cat, DCTERMS.publisher) is not None


def test_sitemap_lists_public_pages_only(client: Client, items: None) -> None:
    root = etree.fromstring(client.get("/sitemap.xml").content)
    locs = [n.text for n in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "http://testserver/kennis/openbare-dataset-grondwater/" in locs
    assert "http://testserver/kennis/openbaar-rapport/" in locs
    assert not any("ledenrapport" in u or "priv" in u for u in locs)
