"""Harvesting: fetch pages from a source, map each record, save it through the knowledge service.

Each page is one transaction and each record a savepoint inside it, so a bad record is refused on
its own (with its reason in the run's report) and nothing is half-saved. After every page the
source's resume state (an OAI resumption token, a CKAN offset) is stored, so a run that stops — a
page cap, a timeout, a crash — is continued by the next one. A complete run moves the source's
high-water mark (`harvested_until`), which the next run passes as OAI `from=` or CKAN
`metadata_modified` filter: harvesting is incremental.

The same work reached through two sources is one item with two provenance rows (found by the
source's identifier, then DOI, handle or URL). Fields edited here after harvesting
(`KnowledgeItem.local_fields`) are never overwritten; the report says which were kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import feedparser
from django.db import transaction
from django.utils import timezone
from lxml import etree
from sickle import Sickle
from sickle.models import Record

from plek.atlas.importers import import_viewer
from plek.atlas.models import Region, Theme
from plek.atlas.permissions import Viewer
from plek.core.errors import ValidationFailed
from plek.federation.fetch import FetchError, fetch
from plek.federation.identifiers import identifier_q
from plek.federation.mapping import (
    PLEK_NS,
    Mapped,
    from_ckan,
    from_feed_entry,
    from_oai_dc,
    from_plek,
    parse_date,
)
from plek.federation.models import HarvestRun, HarvestSource
from plek.knowledge.models import KnowledgeItem, KnowledgeProvenance
from plek.knowledge.services import HARVESTED_FIELDS, knowledge_form, knowledge_save

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
MAX_PROBLEMS = 200
MAX_NOTES = 100
MAX_RECORD_BYTES = 1024 * 1024
OAI_PAGE_SIZE_HINT = 100


class HarvestError(Exception):
    """The run cannot go on (the message is shown in its report)."""


def _strict_parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=True)


def parse_xml(content: bytes, what: str, notes: list[str]) -> Any:
    """Well-formed XML or HarvestError; a page in Windows-1252 that claims UTF-8 is read as such, noted."""
    try:
        return etree.fromstring(content, parser=_strict_parser())
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if "UTF-8" in message or "Input is not proper" in message or "character encoding" in message:
            try:
                text = content.decode("cp1252")
                text = text.replace('encoding="UTF-8"', "").replace("encoding='UTF-8'", "")
                text = text.replace('encoding="utf-8"', "")
                root = etree.fromstring(text.encode("utf-8"), parser=_strict_parser())
                notes.append(f"{what} was not valid UTF-8; read as Windows-1252")
                return root
            except (UnicodeDecodeError, etree.XMLSyntaxError):
                pass
        raise HarvestError(f"{what} is not well-formed XML: {exc}") from None


@dataclass
class Page:
    records: list[Mapped]
    refused: list[tuple[str, str]] = field(default_factory=list)  # (id, reason) found while parsing
    resume: dict[str, Any] | None = None  # state to continue after this page; None = finished


# ---- sources ---------------------------------------------------------------------------------------------


class GuardedSickle(Sickle):
    """sickle with every request going through the guarded `fetch`."""

    def _request(self, kwargs: dict[str, str]) -> Any:
        return fetch(self.endpoint, params=kwargs, accept="text/xml, application/xml")


def oai_pages(source: HarvestSource, notes: list[str], *, resume: dict[str, Any]) -> Iterator[Page]:
    prefix = "plek" if source.kind == HarvestSource.Kind.PLEK else "oai_dc"
    sickle = GuardedSickle(source.base_url, max_retries=0)
    params: dict[str, str]
    if resume.get("token"):
        params = {"verb": "ListRecords", "resumptionToken": resume["token"]}
    else:
        params = {"verb": "ListRecords", "metadataPrefix": prefix}
        if source.set_spec:
            params["set"] = source.set_spec
        if source.harvested_until:
            params["from"] = source.harvested_until.astimezone(dt.UTC).date().isoformat()
    page_no = 0
    while True:
        page_no += 1
        response = sickle.harvest(**params)
        root = parse_xml(response.http_response.content, f"page {page_no}", notes)
        error = root.find(f"{{{OAI_NS}}}error")
        if error is not None:
            code = error.get("code")
            if code == "noRecordsMatch":
                return
            if code == "badResumptionToken" and "resumptionToken" in params:
                notes.append("the resumption token had expired; the list was started again")
                params = {"verb": "ListRecords", "metadataPrefix": prefix}
                if source.set_spec:
                    params["set"] = source.set_spec
                if source.harvested_until:
                    params["from"] = source.harvested_until.astimezone(dt.UTC).date().isoformat()
                continue
            raise HarvestError(f"the source answered with OAI-PMH error {code}: {(error.text or '').strip()}")
        body = root.find(f"{{{OAI_NS}}}ListRecords")
        if body is None:
            raise HarvestError(f"page {page_no} is not an OAI-PMH ListRecords answer")
        page = Page(records=[])
        for element in body.iterfind(f"{{{OAI_NS}}}record"):
            size = len(etree.tostring(element))
            header = element.find(f"{{{OAI_NS}}}header")
            ident = header.findtext(f"{{{OAI_NS}}}identifier", default="") if header is not None else ""
            if size > MAX_RECORD_BYTES:
                page.refused.append((ident, f"the record is {size / 1048576:.1f} MB; the limit is 1 MB"))
                continue
            try:
                record = Record(element)
                if record.deleted:
                    page.records.append(Mapped(original_id=ident, deleted=True))
                    continue
                if prefix == "plek":
                    kennis = element.find(f".//{{{PLEK_NS}}}kennis")
                    if kennis is None:
                        page.refused.append((ident, "no PLeK metadata in the record"))
                        continue
                    mapped = from_plek(ident, kennis)
                else:
                    mapped = from_oai_dc(ident, record.metadata or {})
            except Exception as exc:
                page.refused.append((ident, f"cannot be read ({exc})"))
                continue
            mapped.datestamp = record.header.datestamp or ""
            mapped.size = size
            page.records.append(mapped)
        token = body.find(f"{{{OAI_NS}}}resumptionToken")
        if token is not None and (token.text or "").strip():
            params = {"verb": "ListRecords", "resumptionToken": token.text.strip()}
            page.resume = {"token": token.text.strip()}
            yield page
        else:
            yield page
            return


def feed_pages(source: HarvestSource, notes: list[str], *, resume: dict[str, Any]) -> Iterator[Page]:
    response = fetch(source.base_url, accept="application/atom+xml, application/rss+xml, application/xml")
    parsed = feedparser.parse(response.content)
    if parsed.bozo and not parsed.entries:
        raise HarvestError(f"the feed cannot be read: {parsed.bozo_exception}")
    if parsed.bozo:
        notes.append(
            f"the feed is not entirely well-formed ({parsed.bozo_exception}); read what could be read"
        )
    yield Page(records=[from_feed_entry(e) for e in parsed.entries])


def ckan_pages(source: HarvestSource, notes: list[str], *, resume: dict[str, Any]) -> Iterator[Page]:
    rows = 100
    start = int(resume.get("start", 0))
    base = source.base_url.rstrip("/")
    while True:
        params = {"rows": str(rows), "start": str(start), "sort": "metadata_modified asc"}
        filters = [source.set_spec] if source.set_spec else []
        if source.harvested_until:
            filters.append(
                f"metadata_modified:[{source.harvested_until.astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ} TO *]"
            )
        if filters:
            params["fq"] = " AND ".join(filters)
        response = fetch(f"{base}/api/3/action/package_search", params=params, accept="application/json")
        try:
            data = response.json()
            result = data["result"]
            packages = result["results"]
            count = int(result["count"])
        except (ValueError, KeyError, TypeError) as exc:
            raise HarvestError(f"the CKAN answer is not a package_search result ({exc})") from None
        start += len(packages)
        more = bool(packages) and start < count
        yield Page(records=[from_ckan(p, base) for p in packages], resume={"start": start} if more else None)
        if not more:
            return


def dcat_pages(source: HarvestSource, notes: list[str], *, resume: dict[str, Any]) -> Iterator[Page]:
    import rdflib
    from rdflib.namespace import DCAT, DCTERMS, RDF

    response = fetch(
        source.base_url, accept="text/turtle, application/ld+json, application/rdf+xml;q=0.9, */*;q=0.5"
    )
    ctype = response.headers.get("Content-Type", "").split(";")[0].strip().lower()
    fmt = {
        "text/turtle": "turtle",
        "application/x-turtle": "turtle",
        "application/ld+json": "json-ld",
        "application/json": "json-ld",
        "application/rdf+xml": "xml",
        "application/xml": "xml",
        "text/xml": "xml",
    }.get(ctype)
    if fmt is None:
        url = source.base_url.lower()
        fmt = "turtle" if url.endswith(".ttl") else "json-ld" if url.endswith((".jsonld", ".json")) else "xml"
    graph = rdflib.Graph()
    try:
        graph.parse(data=response.content, format=fmt, publicID=source.base_url)
    except Exception as exc:
        raise HarvestError(f"the catalogue cannot be read as {fmt}: {str(exc)[:300]}") from None
    records: list[Mapped] = []
    refused: list[tuple[str, str]] = []
    for dataset in graph.subjects(RDF.type, DCAT.Dataset):
        ident = str(graph.value(dataset, DCTERMS.identifier) or dataset)

        def one(pred: Any, node: Any = dataset) -> str:
            values = list(graph.objects(node, pred))
            dutch = [v for v in values if getattr(v, "language", None) in ("nl", None)]
            chosen = dutch or values
            return str(chosen[0]) if chosen else ""

        m = Mapped(original_id=ident, kind="dataset")
        from plek.federation.mapping import language_of, normalise_url, plain

        m.title = plain(one(DCTERMS.title), 300)
        m.summary = plain(one(DCTERMS.description), 2000)
        m.subjects = sorted({plain(str(k), 100) for k in graph.objects(dataset, DCAT.keyword)})
        m.date = parse_date(one(DCTERMS.issued))
        m.datestamp = one(DCTERMS.modified)
        m.licence = plain(one(DCTERMS.license).rsplit("/", 1)[-1], 100) if one(DCTERMS.license) else ""
        landing = one(DCAT.landingPage)
        m.url = normalise_url(landing) or (
            normalise_url(str(dataset)) if isinstance(dataset, rdflib.URIRef) else ""
        )
        m.original_url = landing or (str(dataset) if isinstance(dataset, rdflib.URIRef) else "")
        lang = one(DCTERMS.language)
        m.language = language_of(lang.rsplit("/", 1)[-1]) if lang else "nl"
        if source.harvested_until and m.datestamp:
            modified = parse_date(m.datestamp)
            if modified and modified < source.harvested_until.date().isoformat():
                continue  # unchanged since the last complete run
        records.append(m)
    if not records and not list(graph.subjects(RDF.type, DCAT.Catalog)) and not refused:
        raise HarvestError("the document holds no dcat:Catalog or dcat:Dataset")
    yield Page(records=records, refused=refused)


PAGERS: dict[str, Callable[..., Iterator[Page]]] = {
    HarvestSource.Kind.OAI: oai_pages,
    HarvestSource.Kind.PLEK: oai_pages,
    HarvestSource.Kind.FEED: feed_pages,
    HarvestSource.Kind.CKAN: ckan_pages,
    HarvestSource.Kind.DCAT: dcat_pages,
}


# ---- saving ----------------------------------------------------------------------------------------------


@dataclass
class Context:
    source: HarvestSource
    viewer: Viewer
    now: dt.datetime
    themes: dict[str, str]  # lower-case label or slug -> slug
    rules: dict[str, str]  # lower-case keyword -> theme slug
    default_themes: list[str]
    default_regions: list[str]
    known_regions: set[str]
    source_name: str


def context_for(source: HarvestSource) -> Context:
    themes: dict[str, str] = {}
    for slug, nl, en in Theme.objects.values_list("slug", "label_nl", "label_en"):
        themes[slug.lower()] = slug
        themes[nl.lower()] = slug
        if en:
            themes[en.lower()] = slug
    rules = {
        str(k).strip().lower(): str(v) for k, v in (source.mapping_rules or {}).items() if str(k).strip()
    }
    return Context(
        source=source,
        viewer=import_viewer(),
        now=timezone.now(),
        themes=themes,
        rules=rules,
        default_themes=list(source.default_themes.values_list("slug", flat=True)),
        default_regions=list(source.default_regions.values_list("code", flat=True)),
        known_regions=set(),
        source_name=source.name,
    )


def themes_for(ctx: Context, mapped: Mapped) -> list[str]:
    slugs = [s for s in mapped.themes if s in ctx.themes.values()]
    for subject in mapped.subjects:
        low = subject.lower()
        if low in ctx.themes:
            slugs.append(ctx.themes[low])
        for keyword, slug in ctx.rules.items():
            if keyword in low and slug in ctx.themes.values():
                slugs.append(slug)
    return sorted(set(slugs) | set(ctx.default_themes))


@dataclass
class Outcome:
    action: str  # created | updated | unchanged | withdrawn | refused | skipped
    reason: str = ""
    kept: list[str] = field(default_factory=list)
    item: KnowledgeItem | None = None


def _find(ctx: Context, mapped: Mapped) -> tuple[KnowledgeItem | None, KnowledgeProvenance | None]:
    prov = (
        KnowledgeProvenance.objects.select_related("item")
        .filter(source_key=ctx.source.source_key, original_identifier=mapped.original_id)
        .first()
    )
    if prov is not None:
        return prov.item, prov
    q = identifier_q(doi=mapped.doi, handle=mapped.handle, url=mapped.url)
    if q is not None:
        return KnowledgeItem.objects.filter(q).order_by("pk").first(), None
    return None, None


def _withdraw(ctx: Context, mapped: Mapped) -> Outcome:
    prov = (
        KnowledgeProvenance.objects.select_related("item")
        .filter(source_key=ctx.source.source_key, original_identifier=mapped.original_id)
        .first()
    )
    if prov is None or prov.deleted_at is not None:
        return Outcome("skipped")
    prov.deleted_at = ctx.now
    prov.last_seen = ctx.now
    prov.save(update_fields=["deleted_at", "last_seen"])
    item = prov.item
    others = item.provenances.filter(deleted_at__isnull=True).exclude(pk=prov.pk).exists()
    if others or item.provenance != KnowledgeItem.Provenance.HARVESTED:
        return Outcome("withdrawn", reason="one of its sources withdrew it; the item stays", item=item)
    from plek.core.history import history_record
    from plek.core.outbox import search_outbox_add

    old = item.visibility
    item.visibility = "private"
    item.withdrawn_at = ctx.now
    item.save(update_fields=["visibility", "withdrawn_at", "updated_at"])
    history_record(
        instance=item,
        action="update",
        actor=None,
        changes={
            "visibility": {"old": old, "new": "private"},
            "withdrawn_at": {"old": None, "new": ctx.now.isoformat()},
        },
        source="harvest",
    )
    search_outbox_add("knowledge", item.pk)
    return Outcome("withdrawn", item=item)


def save_record(ctx: Context, mapped: Mapped) -> Outcome:
    """Create, update or withdraw the item for one record (call inside a transaction)."""
    if not mapped.original_id:
        return Outcome("refused", "the record has no identifier")
    if mapped.deleted:
        return _withdraw(ctx, mapped)
    if not mapped.title:
        return Outcome("refused", "the record has no title")
    item, prov = _find(ctx, mapped)
    fingerprint = mapped.fingerprint()
    if (
        item is not None
        and prov is not None
        and prov.fingerprint == fingerprint
        and prov.deleted_at is None
        and item.withdrawn_at is None
    ):
        KnowledgeProvenance.objects.filter(pk=prov.pk).update(last_seen=ctx.now)
        return Outcome("unchanged", item=item)
    creating = item is None
    item = item or KnowledgeItem(provenance=KnowledgeItem.Provenance.HARVESTED)
    form_fields = knowledge_form(viewer=ctx.viewer, instance=item).fields
    from plek.federation.importers import _current

    data = _current(dict(form_fields), item)
    regions = [c for c in mapped.regions if c in _regions(ctx, mapped.regions)] + ctx.default_regions
    wanted: dict[str, Any] = {
        "title": mapped.title,
        "kind": mapped.kind if mapped.kind in KnowledgeItem.Kind.values else "publication",
        "summary": mapped.summary,
        "body": mapped.body,
        "language": mapped.language if mapped.language in KnowledgeItem.Language.values else "nl",
        "date": mapped.date,
        "themes": themes_for(ctx, mapped),
        "regions": sorted(set(regions)),
        "doi": mapped.doi,
        "handle": mapped.handle,
        "url": mapped.url,
        "licence": mapped.licence,
    }
    kept: list[str] = []
    if creating:
        wanted.update(
            visibility=ctx.source.default_visibility,
            owner_hub=ctx.source.owner_hub.slug if ctx.source.owner_hub else "",
            provenance=KnowledgeItem.Provenance.HARVESTED,
            source_name=mapped.source_label or ctx.source_name,
            source_identifier=mapped.original_id[:300],
        )
    elif item.provenance != KnowledgeItem.Provenance.HARVESTED or (
        prov is None and item.provenances.exists()
    ):
        # A second source of an existing work (or a work made here): add provenance, fill only blanks.
        wanted = {k: v for k, v in wanted.items() if not data.get(k) and v}
        if "themes" in data:
            wanted["themes"] = sorted(set(data["themes"]) | set(themes_for(ctx, mapped)))
    for name in list(wanted):
        if name in item.local_fields and name in HARVESTED_FIELDS:
            if data.get(name) != wanted[name]:
                kept.append(name)
            wanted.pop(name)
    if item.withdrawn_at is not None and item.provenance == KnowledgeItem.Provenance.HARVESTED:
        wanted["visibility"] = ctx.source.default_visibility  # back at the source: visible again
    data.update(wanted)
    form = knowledge_form(viewer=ctx.viewer, data=data, instance=item)
    try:
        with transaction.atomic():
            saved = knowledge_save(viewer=ctx.viewer, form=form, source="harvest")
            if saved.withdrawn_at is not None:
                saved.withdrawn_at = None
                KnowledgeItem.objects.filter(pk=saved.pk).update(withdrawn_at=None)
            KnowledgeProvenance.objects.update_or_create(
                source_key=ctx.source.source_key,
                original_identifier=mapped.original_id[:500],
                defaults={
                    "item": saved,
                    "source_name": (mapped.source_label or ctx.source_name)[:200],
                    "original_url": mapped.original_url[:1000],
                    "licence": mapped.licence[:200],
                    "datestamp": _stamp(mapped.datestamp),
                    "harvested_at": ctx.now,
                    "last_seen": ctx.now,
                    "deleted_at": None,
                    "fingerprint": fingerprint,
                },
            )
    except ValidationFailed as exc:
        reasons = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        return Outcome("refused", reasons[:500])
    return Outcome("created" if creating else "updated", kept=kept, item=saved)


def _regions(ctx: Context, codes: list[str]) -> set[str]:
    unknown = [c for c in codes if c not in ctx.known_regions]
    if unknown:
        ctx.known_regions |= set(Region.objects.filter(code__in=unknown).values_list("code", flat=True))
    return ctx.known_regions


def _stamp(text: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


# ---- a run ----------------------------------------------------------------------------------------------


def _note(run: HarvestRun, text: str) -> None:
    if len(run.notes) < MAX_NOTES:
        run.notes.append(text)


def _refuse(run: HarvestRun, ident: str, reason: str) -> None:
    run.refused += 1
    if len(run.problems) < MAX_PROBLEMS:
        run.problems.append({"id": ident[:300], "reason": reason})


def execute(run: HarvestRun, *, progress: Callable[[HarvestRun], Any] | None = None) -> HarvestRun:
    """Carry out a queued run; always leaves a finished report (never raises for a bad source)."""
    source = run.source
    run.status = HarvestRun.Status.RUNNING
    run.started_at = timezone.now()
    run.save(update_fields=["status", "started_at"])
    ctx = context_for(source)
    notes: list[str] = []
    complete = False
    try:
        pager = PAGERS[source.kind](source, notes, resume=dict(source.resume_state or {}))
        for page in pager:
            run.pages += 1
            with transaction.atomic():
                for ident, reason in page.refused:
                    run.fetched += 1
                    _refuse(run, ident, reason)
                for mapped in page.records:
                    run.fetched += 1
                    try:
                        with transaction.atomic():
                            outcome = save_record(ctx, mapped)
                    except Exception as exc:
                        outcome = Outcome("refused", f"could not be saved ({str(exc)[:200]})")
                    if outcome.action == "refused":
                        _refuse(run, mapped.original_id, outcome.reason)
                    elif outcome.action in ("created", "updated", "unchanged", "withdrawn"):
                        setattr(run, outcome.action, getattr(run, outcome.action) + 1)
                    if outcome.kept:
                        _note(run, f"{mapped.original_id}: kept the local edit of {', '.join(outcome.kept)}")
                source.resume_state = page.resume or {}
                HarvestSource.objects.filter(pk=source.pk).update(resume_state=source.resume_state)
                run.save()
            if progress is not None:
                progress(run)
            if page.resume is None:
                complete = True
                break
            if run.pages >= source.page_cap:
                _note(run, f"stopped at the page cap ({source.page_cap} pages); the next run continues")
                break
        else:
            complete = True
    except (FetchError, HarvestError) as exc:
        run.error = str(exc)
    for text in notes:
        _note(run, text)
    run.finished_at = timezone.now()
    if complete:
        source.harvested_until = run.started_at
        source.resume_state = {}
        HarvestSource.objects.filter(pk=source.pk).update(harvested_until=run.started_at, resume_state={})
    if run.error:
        run.status = HarvestRun.Status.FAILED if run.fetched == 0 else HarvestRun.Status.PARTIAL
    elif run.refused or not complete:
        run.status = HarvestRun.Status.PARTIAL
    else:
        run.status = HarvestRun.Status.DONE
    run.save()
    return run


def preview(source: HarvestSource, limit: int = 5) -> tuple[list[dict[str, Any]], list[str], str]:
    """Fetch the first records and show how they would be mapped, without saving anything."""
    ctx = context_for(source)
    notes: list[str] = []
    rows: list[dict[str, Any]] = []
    try:
        for page in PAGERS[source.kind](source, notes, resume={}):
            for ident, reason in page.refused:
                rows.append({"id": ident, "refused": reason})
            for mapped in page.records:
                if len(rows) >= limit:
                    break
                item, _prov = _find(ctx, mapped) if not mapped.deleted else (None, None)
                rows.append(
                    {
                        "id": mapped.original_id,
                        "deleted": mapped.deleted,
                        "title": mapped.title,
                        "kind": mapped.kind,
                        "date": mapped.date,
                        "themes": themes_for(ctx, mapped),
                        "doi": mapped.doi,
                        "url": mapped.url or mapped.original_url,
                        "would": "withdraw" if mapped.deleted else ("update" if item else "create"),
                        "refused": "" if mapped.title or mapped.deleted else "the record has no title",
                    }
                )
            break  # the first page is enough
    except (FetchError, HarvestError) as exc:
        return rows[:limit], notes, str(exc)
    return rows[:limit], notes, ""
