"""Harvesting from fake sources on loopback (allowed through the allow-list): OAI-PMH incremental with
resumption tokens and deletes, feeds, DCAT, CKAN, provenance, duplicates, local edits, bad sources."""

from __future__ import annotations

from typing import Any

import pytest

from plek.atlas.models import Theme
from plek.federation.fetch import FetchError, check_url, fetch
from plek.federation.harvest import execute, preview
from plek.federation.models import AllowedHost, HarvestRun, HarvestSource
from plek.federation.tests.fake_sources import dc_record
from plek.knowledge.models import KnowledgeItem, KnowledgeProvenance
from plek.knowledge.services import knowledge_form, knowledge_save


def source(fake: Any, path: str, kind: str = "oai", **kw: Any) -> HarvestSource:
    return HarvestSource.objects.create(
        name=kw.pop("name", "eDepot Test"), kind=kind, base_url=fake.url + path, **kw
    )


def run(src: HarvestSource) -> HarvestRun:
    src.refresh_from_db()
    return execute(HarvestRun.objects.create(source=src))


def test_oai_harvest_incremental_with_tokens_deletes_and_provenance(fake: Any, hub: Any) -> None:
    fake.state.oai_pages = [
        [
            dc_record(
                "oai:edepot.test:1",
                "Waterberging in veenweidegebieden",
                subjects=("waterbeheer", "bodemdaling"),
                doi="10.5555/veen.1",
            ),
            dc_record("oai:edepot.test:2", "Stikstofdepositie rond de Veluwe", subjects=("stikstof",)),
        ],
        [dc_record("oai:edepot.test:3", None), dc_record("oai:edepot.test:4", "Woningbouw in krimpregio's")],
    ]
    src = source(fake, "/oai", owner_hub=hub, mapping_rules={"waterbeheer": "water-bodem"})
    src.default_themes.set([Theme.objects.get(slug="klimaatadaptatie")])
    first = run(src)
    assert (first.status, first.pages, first.fetched, first.created, first.refused) == ("partial", 2, 4, 3, 1)
    assert first.problems == [{"id": "oai:edepot.test:3", "reason": "the record has no title"}]
    item = KnowledgeItem.objects.get(doi="10.5555/veen.1")
    assert item.provenance == "harvested" and item.kind == "report" and item.owner_hub == hub
    assert sorted(item.themes.values_list("slug", flat=True)) == [
        "bodemdaling",
        "klimaatadaptatie",
        "water-bodem",
    ]
    prov = item.provenances.get()
    assert (prov.source_name, prov.original_identifier) == ("eDepot Test", "oai:edepot.test:1")
    assert prov.original_url == "https://edepot.test/publicaties/1" and prov.licence == "CC BY 4.0"
    assert prov.harvested_at and prov.last_seen
    assert fake.state.from_seen == [None]
    # next run: incremental (from=), one edited, one deleted, one unchanged
    fake.state.oai_pages = [
        [
            dc_record(
                "oai:edepot.test:1",
                "Waterberging in veenweidegebieden",
                subjects=("waterbeheer", "bodemdaling"),
                doi="10.5555/veen.1",
            ),
            dc_record(
                "oai:edepot.test:2",
                "Stikstofdepositie rond de Veluwe (herziene uitgave)",
                subjects=("stikstof",),
            ),
            dc_record("oai:edepot.test:4", None, deleted=True),
        ]
    ]
    second = run(src)
    assert fake.state.from_seen[1] is not None
    assert (second.status, second.unchanged, second.updated, second.withdrawn) == ("done", 1, 1, 1)
    assert KnowledgeItem.objects.get(source_identifier="oai:edepot.test:2").title.endswith(
        "(herziene uitgave)"
    )
    gone = KnowledgeItem.objects.get(source_identifier="oai:edepot.test:4")
    assert gone.withdrawn_at is not None and gone.visibility == "private"
    assert gone.provenances.get().deleted_at is not None


def test_same_work_through_two_sources_is_one_item_with_two_provenances(fake: Any, hub: Any) -> None:
    fake.state.oai_pages = [[dc_record("oai:edepot.test:1", "Zoet water in de delta", doi="10.5555/delta")]]
    run(source(fake, "/oai", name="eDepot Test"))
    fake.state.oai_pages = [[dc_record("oai:andere.test:99", "Zoet water in de delta", doi="10.5555/DELTA")]]
    second = run(source(fake, "/oai", name="Andere repository"))
    assert second.updated == 1 and second.created == 0
    item = KnowledgeItem.objects.get()
    assert sorted(item.provenances.values_list("source_name", flat=True)) == [
        "Andere repository",
        "eDepot Test",
    ]


def test_local_edit_is_never_overwritten_and_the_report_says_so(fake: Any, hub: Any) -> None:
    fake.state.oai_pages = [[dc_record("oai:edepot.test:1", "Hittestress in steden")]]
    src = source(fake, "/oai")
    run(src)
    item = KnowledgeItem.objects.get()
    from plek.atlas.importers import import_viewer

    data = {
        **knowledge_form(viewer=import_viewer(), instance=item).initial,
        "title": "Hittestress in Nederlandse steden",
    }
    data = {k: v for k, v in data.items() if v is not None}
    data["themes"], data["regions"], data["author_people"], data["author_organisations"] = [], [], [], []
    data["owner_hub"] = ""
    data["date"] = str(item.date)
    knowledge_save(
        viewer=import_viewer(), form=knowledge_form(viewer=import_viewer(), data=data, instance=item)
    )
    item.refresh_from_db()
    assert item.local_fields == ["title"]
    fake.state.oai_pages = [
        [dc_record("oai:edepot.test:1", "Hittestress in steden (2e druk)", extra=" Nieuw.")]
    ]
    again = run(src)
    item.refresh_from_db()
    assert item.title == "Hittestress in Nederlandse steden"
    assert item.summary.endswith("Nieuw.")
    assert again.notes == ["oai:edepot.test:1: kept the local edit of title"]


def test_feeds_dcat_and_ckan(fake: Any, hub: Any) -> None:
    rss = run(source(fake, "/feed.rss", kind="feed", name="Ruimte voor de Rivier"))
    assert rss.created == 2
    item = KnowledgeItem.objects.get(title="Dijkversterking bij Gorinchem gestart")
    assert item.summary == "De dijk wordt versterkt."
    assert item.provenances.get().original_identifier == "https://programma.test/nieuws/dijk-gorinchem"
    assert run(HarvestSource.objects.get(name="Ruimte voor de Rivier")).unchanged == 2
    atom = run(source(fake, "/feed.atom", kind="feed", name="NPLG"))
    assert atom.created == 1
    assert (
        KnowledgeItem.objects.get(title="Handreiking gebiedsprogramma stikstof")
        .themes.filter(slug="stikstof")
        .exists()
    )
    ttl = run(source(fake, "/catalogus.ttl", kind="dcat", name="Provincie data"))
    assert ttl.created == 2, ttl.error
    ds = KnowledgeItem.objects.get(title="Grondwaterstanden Groene Hart")
    assert ds.kind == "dataset" and ds.url == "https://data.test/dataset/grondwater/info"
    jsonld = run(source(fake, "/catalogus.jsonld", kind="dcat", name="Provincie data (JSON-LD)"))
    assert jsonld.updated == 2  # the same datasets, found by URL: a second provenance
    ckan = run(source(fake, "/ckan", kind="ckan", name="CKAN Test"))
    assert (ckan.created, ckan.pages) == (3, 2)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/malformed", "page 1 is not well-formed XML"),
        ("/status?code=404", "HTTP 404"),
        ("/status?code=500", "HTTP 500"),
        ("/wait-long", "asks to wait 3600 seconds"),
        ("/slow", "within 1 seconds"),
        ("/loop", "redirect loop"),
        ("/to-metadata", "internal address 169.254.169.254"),
    ],
)
def test_bad_sources_get_a_clear_report_and_save_nothing(
    fake: Any, hub: Any, settings: Any, path: str, message: str
) -> None:
    if path == "/slow":
        settings.PLEK_HARVEST_TIMEOUT = 1
    bad = run(source(fake, path))
    assert bad.status == "failed"
    assert message in bad.error
    assert bad.finished_at is not None
    assert not KnowledgeItem.objects.exists()


def test_retry_after_is_honoured(fake: Any, hub: Any) -> None:
    done = run(source(fake, "/retry"))
    assert done.status == "done" and done.created == 1
    assert fake.state.retry_hits == 2


def test_wrong_encoding_is_read_and_noted(fake: Any, hub: Any) -> None:
    done = run(source(fake, "/latin1"))
    assert done.created == 1
    assert KnowledgeItem.objects.get().title == "Café in Friesland: één onderzoek"
    assert "page 1 was not valid UTF-8; read as Windows-1252" in done.notes


def test_ten_megabyte_record_is_refused_alone(fake: Any, hub: Any, settings: Any) -> None:
    settings.PLEK_HARVEST_TIMEOUT = 20  # 10 MB on a busy machine
    big = "x" * (10 * 1024 * 1024)
    fake.state.oai_pages = [
        [dc_record("oai:edepot.test:big", "Groot", extra=big), dc_record("oai:edepot.test:ok", "Klein")]
    ]
    done = run(source(fake, "/oai"))
    assert (done.created, done.refused, done.error) == (1, 1, "")
    assert "10.0 MB" in done.problems[0]["reason"]


def test_endless_source_stops_at_the_page_cap_and_resumes(fake: Any, hub: Any) -> None:
    src = source(fake, "/endless", page_cap=3)
    first = run(src)
    assert first.pages == 3 and first.created == 3 and first.status == "partial"
    assert "page cap" in first.notes[0]
    src.refresh_from_db()
    assert src.resume_state == {"token": "page-3"} and src.harvested_until is None
    second = run(src)
    assert second.created == 3
    assert KnowledgeItem.objects.filter(title="Eindeloos 5").exists()


def test_expired_resumption_token_restarts_the_list(fake: Any, hub: Any) -> None:
    done = run(source(fake, "/expired"))
    assert "the resumption token had expired; the list was started again" in done.notes
    assert KnowledgeItem.objects.filter(title="Eerste").count() == 1


def test_preview_shows_the_mapping_and_saves_nothing(fake: Any, hub: Any) -> None:
    fake.state.oai_pages = [
        [dc_record(f"oai:edepot.test:{i}", f"Rapport {i}", subjects=("stikstof",)) for i in range(8)]
    ]
    rows, _notes, error = preview(source(fake, "/oai"))
    assert error == "" and len(rows) == 5
    assert (
        rows[0]["title"] == "Rapport 0" and rows[0]["themes"] == ["stikstof"] and rows[0]["would"] == "create"
    )
    assert not KnowledgeItem.objects.exists() and not KnowledgeProvenance.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/",
        "http://10.0.0.5/oai",
        "http://192.168.1.1/",
        "http://172.16.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[fd00::1]/",
        "http://100.64.0.1/",
        "ftp://example.org/",
        "file:///etc/passwd",
    ],
)
def test_internal_addresses_are_refused_without_the_allow_list(db: Any, url: str) -> None:
    with pytest.raises(FetchError):
        check_url(url)


def test_allow_list_lets_an_admin_allowed_host_through(db: Any) -> None:
    AllowedHost.objects.create(host="127.0.0.1")
    check_url("http://127.0.0.1:9/")  # no error
    with pytest.raises(FetchError, match="cannot connect"):
        fetch("http://127.0.0.1:9/")
