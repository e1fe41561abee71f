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

import copy
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import feedparser
from django import forms
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from lxml import etree
from sickle import Sickle
from sickle.models import Record

from plek.atlas.forms import OwnedForm
from plek.atlas.importers import import_viewer
from plek.atlas.models import Region, Theme
from plek.atlas.permissions import Viewer
from plek.core.errors import PermissionDenied, ValidationFailed
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
from plek.knowledge import permissions as knowledge_permissions
from plek.knowledge.forms import KnowledgeForm
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
    # For saving a page at once: the objects the form's choice fields validate against, fetched once
    # (themes, the owner hub) or once per page for the codes the page names (regions).
    theme_objects: dict[str, Theme] = field(default_factory=dict)
    region_objects: dict[str, Region] = field(default_factory=dict)
    missing_regions: set[str] = field(default_factory=set)
    form_class: type[KnowledgeForm] | None = None
    blank: dict[str, Any] = field(default_factory=dict)


def context_for(source: HarvestSource) -> Context:
    themes: dict[str, str] = {}
    theme_objects: dict[str, Theme] = {}
    for theme in Theme.objects.all():
        slug, nl, en = theme.slug, theme.label_nl, theme.label_en
        theme_objects[slug] = theme
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
        theme_objects=theme_objects,
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
    wanted = _wanted(ctx, mapped, _regions(ctx, mapped.regions), creating=creating)
    kept: list[str] = []
    if not creating and (
        item.provenance != KnowledgeItem.Provenance.HARVESTED or (prov is None and item.provenances.exists())
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
                defaults={"item": saved, **_provenance_values(ctx, mapped, fingerprint)},
            )
    except ValidationFailed as exc:
        reasons = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.errors.items())
        return Outcome("refused", reasons[:500])
    return Outcome("created" if creating else "updated", kept=kept, item=saved)


def _wanted(ctx: Context, mapped: Mapped, known_regions: Any, *, creating: bool) -> dict[str, Any]:
    """The form values a record asks for (for a new item also visibility, hub and provenance)."""
    regions = [c for c in mapped.regions if c in known_regions] + ctx.default_regions
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
    if creating:
        wanted.update(
            visibility=ctx.source.default_visibility,
            owner_hub=ctx.source.owner_hub.slug if ctx.source.owner_hub else "",
            provenance=KnowledgeItem.Provenance.HARVESTED,
            source_name=mapped.source_label or ctx.source_name,
            source_identifier=mapped.original_id[:300],
        )
    return wanted


def _provenance_values(ctx: Context, mapped: Mapped, fingerprint: str) -> dict[str, Any]:
    return {
        "source_name": (mapped.source_label or ctx.source_name)[:200],
        "original_url": mapped.original_url[:1000],
        "licence": mapped.licence[:200],
        "datestamp": _stamp(mapped.datestamp),
        "harvested_at": ctx.now,
        "last_seen": ctx.now,
        "deleted_at": None,
        "fingerprint": fingerprint,
    }


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


# ---- saving a page at once ------------------------------------------------------------------------------
#
# The per-record path above costs some sixteen queries a record. A harvested page is saved in a
# handful instead: its identifiers are de-duplicated in two queries, every new record is validated
# by the same `KnowledgeForm` as the pages and API (its choice fields check against themes, regions
# and the hub fetched once), and the valid ones are written with bulk_create — items, their
# many-to-many links, first versions, provenance, history and search outbox rows — in one savepoint.
# Records of existing items (updates, second sources, a return after withdrawal), withdrawals and
# repeats within the page take the per-record path, each in its own savepoint, as before.

LOOKUP_CHUNK = 500


class _SharedFields(dict):  # type: ignore[type-arg]
    """The fields of one run's forms, prepared once: `copy.deepcopy`, which every form applies to its
    class's fields, hands back these same fields instead of copying twenty-odd fields per record.
    Validation reads fields and never changes them, so sharing them between forms is safe."""

    def __deepcopy__(self, memo: dict[int, Any]) -> _SharedFields:
        return self


def _check_against(field_: forms.ModelMultipleChoiceField, objects: dict[str, Any]) -> None:
    """Let a multiple-choice field validate against objects fetched beforehand, with its own messages."""

    def check(value: Any) -> list[Any]:
        try:
            wanted = list(dict.fromkeys(str(v) for v in value))
        except TypeError:
            raise ValidationError(field_.error_messages["invalid_list"], code="invalid_list") from None
        found = []
        for key in wanted:
            obj = objects.get(key)
            if obj is None:
                raise ValidationError(
                    field_.error_messages["invalid_choice"], code="invalid_choice", params={"value": key}
                )
            found.append(obj)
        return found

    field_._check_values = check  # type: ignore[attr-defined]


def _page_form_class(ctx: Context) -> type[KnowledgeForm]:
    """`KnowledgeForm`, unchanged in its rules, with its choice fields checking against ctx's objects."""
    if ctx.form_class is None:
        fields = _SharedFields(copy.deepcopy(KnowledgeForm.base_fields))
        _check_against(fields["themes"], ctx.theme_objects)
        _check_against(fields["regions"], ctx.region_objects)
        hub = ctx.source.owner_hub
        if hub is not None:
            hub_field = fields["owner_hub"]
            by_slug = {hub.slug: hub}
            original = hub_field.to_python

            def hub_to_python(value: Any) -> Any:
                if value in hub_field.empty_values:
                    return None
                return by_slug.get(str(value)) or original(value)

            hub_field.to_python = hub_to_python  # type: ignore[method-assign]
        attrs: dict[str, Any] = {"__module__": __name__}
        if hub is not None:

            def _get_validation_exclusions(self: KnowledgeForm) -> set[str]:
                # The hub field has found the hub (fetched once); the model's own check would ask the
                # database again whether it exists, once per record.
                exclude: set[str] = KnowledgeForm._get_validation_exclusions(self)  # type: ignore[attr-defined]
                if self.cleaned_data.get("owner_hub") is hub:
                    exclude.add("owner_hub")
                return exclude

            attrs["_get_validation_exclusions"] = _get_validation_exclusions
        form_class = type("PageKnowledgeForm", (KnowledgeForm,), attrs)
        form_class.base_fields = fields  # type: ignore[attr-defined]
        # KnowledgeForm.__init__ limits the author fields to what the viewer may see; the viewer is the
        # same for the whole run, so that is done once, here, on the shared fields — later forms of
        # the run only bind their data.
        form_class(data={}, viewer=ctx.viewer)

        def bind_only(self: KnowledgeForm, *args: Any, **kwargs: Any) -> None:
            OwnedForm.__init__(self, *args, **kwargs)

        form_class.__init__ = bind_only  # type: ignore[method-assign,misc]
        ctx.form_class = form_class
        from plek.federation.importers import _current

        ctx.blank = _current(dict(fields), KnowledgeItem(provenance=KnowledgeItem.Provenance.HARVESTED))
    return ctx.form_class


def _load_regions(ctx: Context, records: list[Mapped]) -> None:
    """Fetch the regions a page names (and the defaults) that are not known yet, in one query."""
    codes = {c for m in records for c in m.regions} | set(ctx.default_regions)
    unknown = sorted(codes - set(ctx.region_objects) - ctx.missing_regions)
    for start in range(0, len(unknown), LOOKUP_CHUNK):
        chunk = unknown[start : start + LOOKUP_CHUNK]
        found = {r.code: r for r in Region.objects.filter(code__in=chunk).defer("geometry", "description")}
        ctx.region_objects.update(found)
        ctx.known_regions |= set(found)
        ctx.missing_regions |= set(chunk) - set(found)


def _provenances(ctx: Context, ids: list[str]) -> dict[str, KnowledgeProvenance]:
    found: dict[str, KnowledgeProvenance] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        rows = KnowledgeProvenance.objects.select_related("item").filter(
            source_key=ctx.source.source_key, original_identifier__in=ids[start : start + LOOKUP_CHUNK]
        )
        found.update((p.original_identifier, p) for p in rows)
    return found


def _keys(mapped: Mapped) -> set[str]:
    keys = {f"id:{mapped.original_id}"}
    if mapped.doi:
        keys.add(f"doi:{mapped.doi}")
    if mapped.handle:
        keys.add(f"handle:{mapped.handle}")
    if mapped.url:
        keys.add(f"url:{mapped.url}")
    return keys


def _known_works(records: list[Mapped]) -> set[str]:
    """The identifier keys (see `_keys`) of these records that an existing item carries, in one query
    per chunk — in the written forms `identifier_q` accepts."""
    known: set[str] = set()
    for start in range(0, len(records), LOOKUP_CHUNK):
        chunk = records[start : start + LOOKUP_CHUNK]
        dois = {m.doi for m in chunk if m.doi}
        handles = {m.handle for m in chunk if m.handle}
        urls = {m.url for m in chunk if m.url}
        q = Q(pk__in=[])
        if dois:
            q |= Q(doi__in=sorted(dois | {f"https://doi.org/{d}" for d in dois} | {f"doi:{d}" for d in dois}))
        if handles:
            q |= Q(
                handle__in=sorted(
                    handles | {f"https://hdl.handle.net/{h}" for h in handles} | {f"hdl:{h}" for h in handles}
                )
            )
        if urls:
            q |= Q(url__in=sorted(urls | {f"{u}/" for u in urls}))
        if not (dois or handles or urls):
            continue
        for doi, handle, url in KnowledgeItem.objects.filter(q).values_list("doi", "handle", "url"):
            for d in (doi, doi.removeprefix("https://doi.org/"), doi.removeprefix("doi:")):
                if d in dois:
                    known.add(f"doi:{d}")
            for h in (handle, handle.removeprefix("https://hdl.handle.net/"), handle.removeprefix("hdl:")):
                if h in handles:
                    known.add(f"handle:{h}")
            for u in (url, url.removesuffix("/")):
                if u in urls:
                    known.add(f"url:{u}")
    return known


def _page_slugs(items: list[KnowledgeItem]) -> None:
    """Unique slugs for new items, as `unique_slug` gives them (a title's slug, else the first free
    `-2`, `-3`, …), avoiding this page's new slugs too: one query for the plain slugs, and one for the
    numbered slugs of all the titles that clash."""
    bases = [slugify(item.title)[:110].strip("-") or "item" for item in items]
    taken: set[str] = set()
    for start in range(0, len(bases), LOOKUP_CHUNK):
        chunk = bases[start : start + LOOKUP_CHUNK]
        taken |= set(KnowledgeItem.objects.filter(slug__in=chunk).values_list("slug", flat=True))
    seen: set[str] = set()
    clashing: set[str] = set()
    for base in bases:
        if base in taken or base in seen:
            clashing.add(base)
        seen.add(base)
    ordered = sorted(clashing)
    for start in range(0, len(ordered), 100):
        q = Q(pk__in=[])
        for base in ordered[start : start + 100]:
            q |= Q(slug__startswith=f"{base}-")
        taken |= set(KnowledgeItem.objects.filter(q).values_list("slug", flat=True))
    for item, base in zip(items, bases, strict=True):
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        item.slug = slug
        taken.add(slug)


M2M_FIELDS = ("themes", "regions", "author_people", "author_organisations")


def _write_new(ctx: Context, valid: list[tuple[Mapped, KnowledgeForm]]) -> list[KnowledgeItem]:
    """Write the page's valid new records at once (call inside a savepoint)."""
    from plek.core.history import diff, history_record_many, snapshot
    from plek.core.outbox import search_outbox_add_many
    from plek.knowledge.models import KnowledgeVersion
    from plek.knowledge.services import TRACKED

    user = ctx.viewer.user if ctx.viewer.is_authenticated else None
    items: list[KnowledgeItem] = []
    for _mapped, form in valid:
        item: KnowledgeItem = form.save(commit=False)
        item.category = KnowledgeItem.CATEGORY_OF[item.kind]
        item.created_by = user
        if item.owner_hub_id is None and len(ctx.viewer.hub_ids) == 1:
            item.owner_hub_id = next(iter(ctx.viewer.hub_ids))
        items.append(item)
    _page_slugs(items)
    KnowledgeItem.objects.bulk_create(items)
    if any(item.pk is None for item in items):  # a database that cannot return the new keys
        for item in items:
            item.pk = KnowledgeItem.objects.only("pk").get(uuid=item.uuid).pk
    links: dict[str, list[Any]] = {name: [] for name in M2M_FIELDS}
    history: list[tuple[KnowledgeItem, str, dict[str, Any]]] = []
    versions: list[KnowledgeVersion] = []
    provenances: list[KnowledgeProvenance] = []
    for item, (mapped, form) in zip(items, valid, strict=True):
        related: dict[str, list[Any]] = {}
        for name in M2M_FIELDS:
            model_field: Any = KnowledgeItem._meta.get_field(name)
            value = form.cleaned_data.get(name)
            # An empty choice is `queryset.none()`: never run it (its visibility filter is not free).
            empty = value is None or (isinstance(value, QuerySet) and value.query.is_empty())
            objects = [] if empty or value is None else list(value)
            related[name] = objects
            through = model_field.remote_field.through  # type: ignore[union-attr]
            links[name] += [
                through(**{model_field.m2m_column_name(): item.pk, model_field.m2m_reverse_name(): obj.pk})
                for obj in objects
            ]
        versions.append(
            KnowledgeVersion(
                item=item,
                version=item.version,
                title=item.title,
                summary=item.summary,
                body=item.body,
                changed_by=user,
            )
        )
        history.append((item, "create", diff({}, snapshot(item, TRACKED, related=related))))
        provenances.append(
            KnowledgeProvenance(
                item=item,
                source_key=ctx.source.source_key,
                original_identifier=mapped.original_id[:500],
                **_provenance_values(ctx, mapped, mapped.fingerprint()),
            )
        )
    for name, rows in links.items():
        if rows:
            KnowledgeItem._meta.get_field(name).remote_field.through.objects.bulk_create(rows)  # type: ignore[union-attr]
    KnowledgeVersion.objects.bulk_create(versions)
    KnowledgeProvenance.objects.bulk_create(provenances)
    history_record_many(model=KnowledgeItem, rows=history, source="harvest")
    search_outbox_add_many("knowledge", [item.pk for item in items])
    return items


def _reasons(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())[:500]


def _one_by_one(ctx: Context, mapped: Mapped) -> Outcome:
    try:
        with transaction.atomic():
            return save_record(ctx, mapped)
    except Exception as exc:
        return Outcome("refused", f"could not be saved ({str(exc)[:200]})")


def save_page(ctx: Context, records: list[Mapped]) -> list[Outcome]:
    """Save one page of records (call inside the page's transaction); one outcome per record, in order.
    The number of queries does not grow with the number of new or unchanged records on the page."""
    outcomes: list[Outcome | None] = [None] * len(records)
    single: list[int] = []  # saved one by one, after the page's new records
    candidates: list[int] = []
    for i, mapped in enumerate(records):
        if not mapped.original_id:
            outcomes[i] = Outcome("refused", "the record has no identifier")
        elif mapped.deleted:
            single.append(i)
        elif not mapped.title:
            outcomes[i] = Outcome("refused", "the record has no title")
        else:
            candidates.append(i)
    provs = _provenances(ctx, list(dict.fromkeys(records[i].original_id for i in candidates)))
    known = _known_works([records[i] for i in candidates if records[i].original_id not in provs])
    new: list[int] = []
    claimed: set[str] = set()
    touched: list[int] = []
    for i in candidates:
        mapped = records[i]
        prov = provs.get(mapped.original_id)
        if prov is not None:
            if (
                prov.fingerprint == mapped.fingerprint()
                and prov.deleted_at is None
                and prov.item.withdrawn_at is None
                and f"id:{mapped.original_id}" not in claimed
            ):
                touched.append(prov.pk)
                outcomes[i] = Outcome("unchanged", item=prov.item)
            else:
                single.append(i)
            claimed.add(f"id:{mapped.original_id}")
            continue
        keys = _keys(mapped)
        if keys & known or keys & claimed:
            single.append(i)  # an existing work, or a repeat within the page: found once written
        else:
            new.append(i)
        claimed |= keys
    if touched:
        KnowledgeProvenance.objects.filter(pk__in=touched).update(last_seen=ctx.now)
    if new:
        if not knowledge_permissions.can_create(ctx.viewer):
            raise PermissionDenied("knowledge")
        _load_regions(ctx, [records[i] for i in new])
        form_class = _page_form_class(ctx)
        valid: list[tuple[int, KnowledgeForm]] = []
        for i in new:
            mapped = records[i]
            data = dict(ctx.blank)
            data.update(_wanted(ctx, mapped, ctx.region_objects, creating=True))
            form = form_class(
                data=data,
                instance=KnowledgeItem(provenance=KnowledgeItem.Provenance.HARVESTED),
                viewer=ctx.viewer,
            )
            if form.is_valid():
                valid.append((i, form))
            else:
                errors = {f: [str(e) for e in errs] for f, errs in form.errors.items()}
                outcomes[i] = Outcome("refused", _reasons(errors))
        if valid:
            try:
                with transaction.atomic():
                    items = _write_new(ctx, [(records[i], form) for i, form in valid])
            except DatabaseError:
                single.extend(i for i, _form in valid)  # rolled back: each on its own, with its reason
            else:
                for (i, _form), item in zip(valid, items, strict=True):
                    outcomes[i] = Outcome("created", item=item)
    for i in sorted(single):
        outcomes[i] = _one_by_one(ctx, records[i])
    return [o if o is not None else Outcome("skipped") for o in outcomes]


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
                for mapped, outcome in zip(page.records, save_page(ctx, page.records), strict=True):
                    run.fetched += 1
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
