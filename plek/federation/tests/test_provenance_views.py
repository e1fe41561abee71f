"""Provenance on the item page and in the API; schema.org JSON-LD on public knowledge pages."""

from __future__ import annotations

import json
import re
from typing import Any

from django.test import Client
from django.utils import timezone

from plek.federation.tests.test_oai_provider import make
from plek.knowledge.models import KnowledgeProvenance


def _prov(item: Any, name: str, ident: str, **kw: Any) -> KnowledgeProvenance:
    now = timezone.now()
    return KnowledgeProvenance.objects.create(
        item=item,
        source_key=f"harvest:{name}",
        source_name=name,
        original_identifier=ident,
        original_url=f"https://bron.test/{ident}",
        licence="CC BY 4.0",
        harvested_at=now,
        last_seen=now,
        **kw,
    )


def test_item_page_shows_every_source_and_local_fields(client: Client, hub: Any) -> None:
    item = make(
        "Veenweide en water", provenance="harvested", source_name="Kennishub Groene Hart", summary="<b>x</b>"
    )
    item.local_fields = ["title"]
    item.save()
    _prov(item, "Kennishub Groene Hart", "oai:hub:1")
    _prov(item, "eDepot Test", "oai:edepot:7")
    html = client.get(f"/kennis/{item.slug}/").content.decode()
    assert "uit Kennishub Groene Hart" in html and "uit eDepot Test" in html
    assert 'href="https://bron.test/oai:edepot:7"' in html
    assert "Hier gewijzigd" in html
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(match.group(1))
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "ScholarlyArticle" and data["name"] == "Veenweide en water"
    assert data["description"] == "<b>x</b>"  # escaped inside the script, intact as JSON
    assert "<b>" not in match.group(1)
    assert sorted(data["isBasedOn"]) == ["https://bron.test/oai:edepot:7", "https://bron.test/oai:hub:1"]


def test_api_carries_the_provenance_rows(client: Client, hub: Any) -> None:
    item = make("Data over bodemdaling", provenance="harvested", source_name="CKAN Test", kind="dataset")
    _prov(item, "CKAN Test", "c0ffee", deleted_at=timezone.now())
    body = client.get(f"/api/v1/knowledge/{item.slug}").json()
    prov = body["provenance"]
    assert prov["kind"] == "harvested"
    assert prov["sources"][0]["sourceName"] == "CKAN Test"
    assert prov["sources"][0]["originalIdentifier"] == "c0ffee"
    assert prov["sources"][0]["withdrawnAt"] is not None
    assert prov["localFields"] == []


def test_non_public_page_has_no_jsonld(client: Client, hub: Any, cast: Any) -> None:
    item = make("Voor leden", visibility="members")
    client.force_login(cast["member"])
    html = client.get(f"/kennis/{item.slug}/").content.decode()
    assert "application/ld+json" not in html
