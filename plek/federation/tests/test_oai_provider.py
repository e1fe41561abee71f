"""PLeK's OAI-PMH 2.0 endpoint, checked element by element as the specification requires
(no package ships the OAI-PMH XML schema; the richer `plek` format is validated with its own XSD)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from lxml import etree

from plek.atlas.models import Region, Theme
from plek.federation.models import OaiTombstone
from plek.knowledge.models import KnowledgeItem, KnowledgeProvenance

NS = {
    "o": "http://www.openarchives.org/OAI/2.0/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/",
    "p": "urn:plek:kennis:1.0",
}
STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def oai(client: Client, **params: str) -> Any:
    response = client.get("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    # Every response: OAI-PMH root, responseDate in UTC seconds, request with the base URL.
    assert root.tag == "{http://www.openarchives.org/OAI/2.0/}OAI-PMH"
    assert STAMP.match(root.findtext("o:responseDate", namespaces=NS))
    assert root.findtext("o:request", namespaces=NS) == "http://testserver/oai"
    return root


def error_code(root: Any) -> str | None:
    node = root.find("o:error", NS)
    return None if node is None else node.get("code")


def make(title: str, **kw: Any) -> KnowledgeItem:
    themes = kw.pop("themes", [])
    item = KnowledgeItem.objects.create(
        title=title,
        slug=re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
        kind=kw.pop("kind", "publication"),
        category="research",
        **kw,
    )
    if themes:
        item.themes.set(Theme.objects.filter(slug__in=themes))
    return item


@pytest.fixture
def items(hub: Any) -> dict[str, KnowledgeItem]:
    out = {
        "public": make(
            "Waterberging in de Zaanstreek",
            owner_hub=hub,
            themes=["water-bodem"],
            summary="Boeren bergen water",
            doi="10.1234/zaan",
        ),
        "members": make("Alleen voor leden", visibility="members", owner_hub=hub),
        "hub": make("Alleen voor de hub", visibility="hub", owner_hub=hub),
        "private": make("Privé notitie", visibility="private"),
        "case": make("Energie op de dijk", kind="case", themes=["energie"]),
    }
    out["public"].regions.set([Region.objects.get(code="PV27")])
    KnowledgeProvenance.objects.create(
        item=out["public"],
        source_key="harvest:1",
        source_name="eDepot Test",
        original_identifier="oai:edepot.example:42",
        original_url="https://edepot.example/42",
        licence="CC BY 4.0",
        harvested_at=timezone.now(),
        last_seen=timezone.now(),
    )
    return out


def test_identify(client: Client, items: dict) -> None:
    root = oai(client, verb="Identify")
    assert error_code(root) is None
    body = root.find("o:Identify", NS)
    names = [etree.QName(c).localname for c in body]
    assert names[:8] == [
        "repositoryName",
        "baseURL",
        "protocolVersion",
        "adminEmail",
        "earliestDatestamp",
        "deletedRecord",
        "granularity",
        "description",
    ]
    assert body.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert body.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert body.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert STAMP.match(body.findtext("o:earliestDatestamp", namespaces=NS))
    assert root.find("o:request", NS).get("verb") == "Identify"


def test_list_metadata_formats_and_sets(client: Client, items: dict) -> None:
    root = oai(client, verb="ListMetadataFormats")
    prefixes = [n.text for n in root.iterfind(".//o:metadataPrefix", NS)]
    assert prefixes == ["oai_dc", "plek"]
    root = oai(client, verb="ListSets")
    specs = [n.text for n in root.iterfind(".//o:setSpec", NS)]
    assert {"hub", "theme", "kind", "hub:kennishub-test", "theme:water-bodem", "theme:energie"} <= set(specs)
    assert "kind:publication" in specs and "kind:case" in specs
    for spec in specs:
        assert re.fullmatch(r"([A-Za-z0-9\-_\.!~\*'\(\)])+(:[A-Za-z0-9\-_\.!~\*'\(\)]+)*", spec)


def test_list_records_exposes_only_public_items_in_oai_dc(client: Client, items: dict) -> None:
    root = oai(client, verb="ListRecords", metadataPrefix="oai_dc")
    titles = sorted(n.text for n in root.iterfind(".//dc:title", NS))
    assert titles == ["Energie op de dijk", "Waterberging in de Zaanstreek"]
    text = etree.tostring(root).decode()
    for hidden in ("Alleen voor leden", "Alleen voor de hub", "Privé notitie"):
        assert hidden not in text
    record = next(r for r in root.iterfind(".//o:record", NS) if "Zaanstreek" in etree.tostring(r).decode())
    header = record.find("o:header", NS)
    assert header.findtext("o:identifier", namespaces=NS) == f"oai:plek.localhost:{items['public'].uuid}"
    assert STAMP.match(header.findtext("o:datestamp", namespaces=NS))
    assert [s.text for s in header.iterfind("o:setSpec", NS)] == [
        "hub:kennishub-test",
        "kind:publication",
        "theme:water-bodem",
    ]
    dc = record.find("o:metadata/oai_dc:dc", NS)
    assert dc.findtext("dc:subject", namespaces=NS) == "Water en bodem"
    identifiers = [n.text for n in dc.iterfind("dc:identifier", NS)]
    assert "https://doi.org/10.1234/zaan" in identifiers
    assert "http://testserver/kennis/waterberging-in-de-zaanstreek/" in identifiers
    assert dc.findtext("dc:source", namespaces=NS) == "https://edepot.example/42"
    # the root has no resumption token for a complete one-page list
    assert root.find(".//o:resumptionToken", NS) is None


def test_plek_format_validates_against_its_schema(client: Client, items: dict) -> None:
    root = oai(
        client,
        verb="GetRecord",
        metadataPrefix="plek",
        identifier=f"oai:plek.localhost:{items['public'].uuid}",
    )
    schema = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "schemas" / "plek-kennis.xsd")))
    kennis = root.find(".//p:kennis", NS)
    schema.assertValid(etree.ElementTree(kennis))
    assert kennis.findtext("p:kind", namespaces=NS) == "publication"
    assert kennis.find("p:theme", NS).get("slug") == "water-bodem"
    assert kennis.find("p:region", NS).get("code") == "PV27"
    assert kennis.find("p:hub", NS).get("slug") == "kennishub-test"
    prov = kennis.find("p:provenance", NS)
    assert prov.text == "oai:edepot.example:42" and prov.get("source") == "eDepot Test"
    assert client.get("/oai/plek-kennis.xsd").status_code == 200


def test_get_record_of_a_hidden_item_does_not_exist(client: Client, items: dict) -> None:
    for key in ("members", "hub", "private"):
        root = oai(
            client,
            verb="GetRecord",
            metadataPrefix="oai_dc",
            identifier=f"oai:plek.localhost:{items[key].uuid}",
        )
        assert error_code(root) == "idDoesNotExist"


def test_resumption_tokens_page_through_everything(client: Client, items: dict, settings: Any) -> None:
    settings.PLEK_OAI_PAGE_SIZE = 2
    for i in range(3):
        make(f"Extra item {i}")
    seen: list[str] = []
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    cursors = []
    while True:
        seen += [n.text for n in root.iterfind(".//o:header/o:identifier", NS)]
        token = root.find(".//o:resumptionToken", NS)
        assert token.get("completeListSize") == "5"
        cursors.append(token.get("cursor"))
        if not token.text:
            break
        assert STAMP.match(token.get("expirationDate"))
        root = oai(client, verb="ListIdentifiers", resumptionToken=token.text)
    assert len(seen) == len(set(seen)) == 5
    assert cursors == ["0", "2", "4"]


def test_deleted_and_hidden_items_become_persistent_deleted_records(client: Client, items: dict) -> None:
    uuid_public, uuid_case = items["public"].uuid, items["case"].uuid
    items["public"].delete()
    items["case"].visibility = "members"
    items["case"].save()
    items["private"].delete()  # never exposed: no tombstone
    assert OaiTombstone.objects.count() == 2
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    headers = root.findall(".//o:header", NS)
    assert {h.findtext("o:identifier", namespaces=NS) for h in headers} == {
        f"oai:plek.localhost:{uuid_public}",
        f"oai:plek.localhost:{uuid_case}",
    }
    assert all(h.get("status") == "deleted" for h in headers)
    root = oai(
        client, verb="GetRecord", metadataPrefix="oai_dc", identifier=f"oai:plek.localhost:{uuid_public}"
    )
    assert root.find(".//o:record/o:header", NS).get("status") == "deleted"
    assert root.find(".//o:record/o:metadata", NS) is None
    # the set filter also applies to deleted records
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="hub:kennishub-test")
    assert [h.findtext("o:identifier", namespaces=NS) for h in root.findall(".//o:header", NS)] == [
        f"oai:plek.localhost:{uuid_public}"
    ]
    # public again: the tombstone goes
    items["case"].visibility = "public"
    items["case"].save()
    assert not OaiTombstone.objects.filter(item_uuid=uuid_case).exists()


def test_set_and_date_filters(client: Client, items: dict) -> None:
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="kind:case")
    assert len(root.findall(".//o:header", NS)) == 1
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="theme:water-bodem")
    assert len(root.findall(".//o:header", NS)) == 1
    tomorrow = (timezone.now() + dt.timedelta(days=1)).date().isoformat()
    root = oai(client, verb="ListRecords", metadataPrefix="oai_dc", **{"from": tomorrow})
    assert error_code(root) == "noRecordsMatch"
    root = oai(client, verb="ListRecords", metadataPrefix="oai_dc", until="2001-01-01")
    assert error_code(root) == "noRecordsMatch"


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        ({"verb": "Dance"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc"}, "cannotDisseminateFormat"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "color": "red"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "from": "gisteren"}, "badArgument"),
        (
            {
                "verb": "ListRecords",
                "metadataPrefix": "oai_dc",
                "from": "2024-01-01",
                "until": "2024-01-01T00:00:00Z",
            },
            "badArgument",
        ),
        ({"verb": "ListRecords", "metadataPrefix": "oai_dc", "set": "kleur:rood"}, "badArgument"),
        ({"verb": "ListRecords", "resumptionToken": "rommel"}, "badResumptionToken"),
        ({"verb": "ListRecords", "resumptionToken": "x", "metadataPrefix": "oai_dc"}, "badArgument"),
        ({"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:elders:1"}, "idDoesNotExist"),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:plek.localhost:nope"},
            "idDoesNotExist",
        ),
        ({"verb": "ListMetadataFormats", "identifier": "oai:plek.localhost:nope"}, "idDoesNotExist"),
        ({"verb": "ListSets", "resumptionToken": "x"}, "badResumptionToken"),
    ],
)
def test_errors_follow_the_specification(client: Client, items: dict, params: dict, code: str) -> None:
    root = oai(client, **params)
    assert error_code(root) == code
    request = root.find("o:request", NS)
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}  # the spec: no attributes on request for these errors
    assert root.find("o:ListRecords", NS) is None


def test_repeated_argument_is_bad(client: Client, items: dict) -> None:
    response = client.get("/oai?verb=Identify&verb=Identify")
    assert error_code(etree.fromstring(response.content)) == "badVerb"
    response = client.get("/oai?verb=ListRecords&metadataPrefix=oai_dc&metadataPrefix=plek")
    assert error_code(etree.fromstring(response.content)) == "badArgument"


def test_expired_token_is_refused(client: Client, items: dict, settings: Any) -> None:
    settings.PLEK_OAI_PAGE_SIZE = 1
    root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = root.find(".//o:resumptionToken", NS).text
    from plek.federation import provider

    original = provider.TOKEN_TTL
    provider.TOKEN_TTL = dt.timedelta(seconds=-1)
    try:
        root = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
        expired = root.find(".//o:resumptionToken", NS).text
    finally:
        provider.TOKEN_TTL = original
    assert error_code(oai(client, verb="ListIdentifiers", resumptionToken=expired)) == "badResumptionToken"
    assert error_code(oai(client, verb="ListIdentifiers", resumptionToken=token)) is None


def test_post_is_accepted(client: Client, items: dict) -> None:
    response = client.post("/oai", {"verb": "Identify"})
    assert error_code(etree.fromstring(response.content)) is None


def test_list_records_query_count_is_fixed(
    client: Client, items: dict, settings: Any, django_assert_max_num_queries: Any
) -> None:
    settings.PLEK_OAI_PAGE_SIZE = 50
    for i in range(30):
        make(f"Meer {i}", themes=["energie"])
    with django_assert_max_num_queries(12):
        oai(client, verb="ListRecords", metadataPrefix="plek")
