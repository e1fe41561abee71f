"""Saving a harvested page at once: a bounded number of queries per page, the same validation as the
form, and everything the per-record path writes (links, versions, provenance, history, outbox)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from plek.atlas.models import Hub, Theme
from plek.core.models import ChangeLog, SearchOutbox
from plek.federation.harvest import context_for, save_page
from plek.federation.mapping import Mapped
from plek.federation.models import HarvestSource
from plek.knowledge.models import KnowledgeItem, KnowledgeProvenance


def record(i: int, prefix: str = "oai:batch.test", **kw: Any) -> Mapped:
    values: dict[str, Any] = {
        "original_id": f"{prefix}:{i}",
        "title": f"Onderzoek {i} naar waterbeheer",
        "summary": f"Samenvatting {i}.",
        "kind": "report",
        "date": "2024-05-01",
        "subjects": ["waterbeheer"],
        "regions": ["GM0363", "PV27"],
        "doi": f"10.5555/{prefix.split(':')[1]}.{i}",
        "original_url": f"https://batch.test/{i}",
        "licence": "CC BY 4.0",
        "datestamp": "2026-11-30",
    }
    values.update(kw)
    return Mapped(**values)


def make_source(hub: Hub, name: str = "Batchbron") -> HarvestSource:
    source = HarvestSource.objects.create(
        name=name,
        kind="oai",
        base_url="https://batch.test/oai",
        owner_hub=hub,
        mapping_rules={"waterbeheer": "water-bodem"},
    )
    source.default_themes.set([Theme.objects.get(slug="klimaatadaptatie")])
    return source


captured_large: Any = None


def queries_for(source: HarvestSource, records: list[Mapped]) -> tuple[int, list[str]]:
    global captured_large
    ctx = context_for(source)
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        outcomes = save_page(ctx, records)
    captured_large = captured
    return len(captured), [o.action for o in outcomes]


def test_query_count_per_page_does_not_grow_with_the_records_on_it(hub: Hub) -> None:
    small_source, large_source = make_source(hub, "Klein"), make_source(hub, "Groot")
    # Warm what a process caches once (content types), and give the sources titles that do not clash
    # (a clash costs one query for the numbered slugs, whatever the number of clashing titles).
    ContentType.objects.get_for_model(KnowledgeItem)
    small, small_actions = queries_for(
        small_source, [record(i, "oai:klein.test", title=f"Klein onderzoek {i}") for i in range(3)]
    )
    large, large_actions = queries_for(
        large_source, [record(i, "oai:groot.test", title=f"Groot onderzoek {i}") for i in range(30)]
    )
    assert small_actions == ["created"] * 3 and large_actions == ["created"] * 30
    assert large == small, "\n".join(q["sql"][:150] for q in captured_large.captured_queries)
    assert large <= 25
    # the same pages again: every record unchanged, two queries (and the savepoint) whatever the page holds
    small, small_actions = queries_for(
        small_source, [record(i, "oai:klein.test", title=f"Klein onderzoek {i}") for i in range(3)]
    )
    large, large_actions = queries_for(
        large_source, [record(i, "oai:groot.test", title=f"Groot onderzoek {i}") for i in range(30)]
    )
    assert small_actions == ["unchanged"] * 3 and large_actions == ["unchanged"] * 30
    assert small == large <= 4


def test_batch_writes_what_the_service_writes(hub: Hub, django_capture_on_commit_callbacks: Any) -> None:
    from plek.core.freshness import generations

    connection._plek_pending_topics = None  # type: ignore[attr-defined]  # the fixtures' writes: done
    before = generations("knowledge")
    with django_capture_on_commit_callbacks(execute=True):  # the test's transaction "commits" here
        source = make_source(hub)
        ctx = context_for(source)
        with transaction.atomic():
            outcomes = save_page(ctx, [record(1), record(2)])
    # bulk writes send no model signal: the page cache's "knowledge" generation still moves on commit
    assert generations("knowledge") != before
    assert [o.action for o in outcomes] == ["created", "created"]
    item = KnowledgeItem.objects.get(doi="10.5555/batch.test.1")
    assert (item.provenance, item.category, item.owner_hub, item.version) == ("harvested", "research", hub, 1)
    assert item.slug == "onderzoek-1-naar-waterbeheer"
    assert (item.source_name, item.source_identifier) == ("Batchbron", "oai:batch.test:1")
    assert sorted(item.themes.values_list("slug", flat=True)) == ["klimaatadaptatie", "water-bodem"]
    assert sorted(item.regions.values_list("code", flat=True)) == ["GM0363", "PV27"]
    assert item.versions.get().title == "Onderzoek 1 naar waterbeheer"
    prov = item.provenances.get()
    assert (prov.source_key, prov.original_identifier, prov.original_url, prov.licence) == (
        source.source_key,
        "oai:batch.test:1",
        "https://batch.test/1",
        "CC BY 4.0",
    )
    assert prov.harvested_at == prov.last_seen == ctx.now and prov.fingerprint == record(1).fingerprint()
    assert prov.datestamp is not None and prov.deleted_at is None
    log = ChangeLog.objects.get(
        content_type=ContentType.objects.get_for_model(KnowledgeItem), object_id=item.pk
    )
    assert (log.action, log.source) == ("create", "harvest")
    assert log.changes["title"] == {"old": None, "new": "Onderzoek 1 naar waterbeheer"}
    assert len(log.changes["themes"]["new"]) == 2 and len(log.changes["regions"]["new"]) == 2
    # the outbox rows were written (and, after commit, applied to the index: the item is findable)
    from plek.atlas.permissions import viewer_for
    from plek.knowledge.selectors import SearchParams, search

    assert not SearchOutbox.objects.filter(entity_type="knowledge", entity_id=item.pk).exists()
    found = search(viewer=viewer_for(None), params=SearchParams(q="Onderzoek waterbeheer")).result.hits
    assert {"Onderzoek 1 naar waterbeheer", "Onderzoek 2 naar waterbeheer"} <= {h.title for h in found}


def test_refused_record_does_not_break_the_page_and_repeats_are_one_item(hub: Hub) -> None:
    source = make_source(hub)
    existing = KnowledgeItem.objects.create(
        slug="onderzoek-5-naar-waterbeheer", title="Ander werk", kind="report", category="research"
    )
    page = [
        record(1),
        record(2, date="2024-13-45"),  # not a date: the form refuses it
        record(3, regions=["GEEN-GEBIED", "GM0363"]),  # an unknown region is left out, not refused
        record(4, original_id="oai:batch.test:4a", doi="10.5555/batch.test.1"),  # same work as 1
        record(5),  # its plain slug is taken
        record(6, title=""),
    ]
    with transaction.atomic():
        outcomes = save_page(context_for(source), page)
    actions = [(o.action, o.reason.split(":")[0]) for o in outcomes]
    assert actions == [
        ("created", ""),
        ("refused", "date"),
        ("created", ""),
        ("updated", ""),
        ("created", ""),
        ("refused", "the record has no title"),
    ]
    assert not KnowledgeItem.objects.filter(source_identifier="oai:batch.test:2").exists()
    assert not KnowledgeProvenance.objects.filter(original_identifier="oai:batch.test:2").exists()
    one = KnowledgeItem.objects.get(doi="10.5555/batch.test.1")
    assert sorted(one.provenances.values_list("original_identifier", flat=True)) == [
        "oai:batch.test:1",
        "oai:batch.test:4a",
    ]
    three = KnowledgeItem.objects.get(source_identifier="oai:batch.test:3")
    assert list(three.regions.values_list("code", flat=True)) == ["GM0363"]
    assert (
        KnowledgeItem.objects.get(source_identifier="oai:batch.test:5").slug
        == "onderzoek-5-naar-waterbeheer-2"
    )
    existing.refresh_from_db()
    assert existing.title == "Ander werk"
