"""Standard clients read PLeK: sickle harvests the OAI-PMH endpoint completely through its resumption
tokens; feedparser reads the knowledge feed."""

from __future__ import annotations

from typing import Any

import feedparser
import pytest
import requests
from sickle import Sickle

from plek.federation.tests.test_oai_provider import make


@pytest.mark.django_db(transaction=True)
def test_sickle_harvests_everything_through_resumption_tokens(
    live_server: Any, hub: Any, settings: Any
) -> None:
    settings.PLEK_OAI_PAGE_SIZE = 7
    for i in range(23):
        make(f"Publicatie {i:02d} over waterberging", owner_hub=hub, themes=["water-bodem"])
    make("Verborgen", visibility="members")
    hidden = make("Teruggetrokken")
    hidden.delete()
    sickle = Sickle(f"{live_server.url}/oai")
    identify = sickle.Identify()
    assert identify.protocolVersion == "2.0"
    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    live = [r for r in records if not r.deleted]
    assert len(live) == 23
    assert len({r.header.identifier for r in records}) == 24
    assert sum(r.deleted for r in records) == 1
    assert sorted(r.metadata["title"][0] for r in live)[0] == "Publicatie 00 over waterberging"
    assert all(r.metadata["subject"] == ["Water en bodem"] for r in live)
    headers = list(sickle.ListIdentifiers(metadataPrefix="plek", set="hub:kennishub-test"))
    assert len(headers) == 23
    formats = [f.metadataPrefix for f in sickle.ListMetadataFormats()]
    assert formats == ["oai_dc", "plek"]
    sets = {s.setSpec for s in sickle.ListSets()}
    assert "theme:water-bodem" in sets


@pytest.mark.django_db(transaction=True)
def test_feedparser_reads_the_knowledge_feed(live_server: Any, hub: Any) -> None:
    make("Kennis over stikstof", summary="Over <b>stikstof</b> & natuur", themes=["stikstof"])
    make("Geheim", visibility="private")
    body = requests.get(f"{live_server.url}/kennis/feed/", timeout=10).content
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.title
    titles = [e.title for e in feed.entries]
    assert titles == ["Kennis over stikstof"]
    assert feed.entries[0].link.endswith("/kennis/kennis-over-stikstof/")
