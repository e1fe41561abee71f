"""PLeK as an OAI-PMH 2.0 data provider (`/oai`).

All six verbs; `oai_dc` and the richer `plek` format (kind, themes, regions, language, scale,
identifiers, owning hub and provenance); sets per hub (`hub:<slug>`), theme (`theme:<slug>`) and kind
(`kind:<kind>`); signed resumption tokens with an expiry; persistent deleted records
(`OaiTombstone`). Only what an anonymous visitor may see is exposed: public items that are not
withdrawn. Datestamps have seconds granularity (UTC)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.core import signing
from django.db.models import Max, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from plek.atlas.models import Hub, Theme
from plek.core.models import Visibility
from plek.federation.models import OaiTombstone
from plek.knowledge.models import KnowledgeItem

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
OAI_SCHEMA = "http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
OAI_DC_NS = "http://www.openarchives.org/OAI/2.0/oai_dc/"
OAI_DC_SCHEMA = "http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
DC_NS = "http://purl.org/dc/elements/1.1/"
PLEK_NS = "urn:plek:kennis:1.0"
ID_NS = "http://www.openarchives.org/OAI/2.0/oai-identifier"

FORMATS = {
    "oai_dc": (OAI_DC_SCHEMA, OAI_DC_NS),
    "plek": ("plek-kennis.xsd", PLEK_NS),  # schema relative to the endpoint
}
VERBS = {
    "Identify": (set(), set()),
    "ListMetadataFormats": (set(), {"identifier"}),
    "ListSets": (set(), set()),
    "ListIdentifiers": ({"metadataPrefix"}, {"from", "until", "set"}),
    "ListRecords": ({"metadataPrefix"}, {"from", "until", "set"}),
    "GetRecord": ({"identifier", "metadataPrefix"}, set()),
}
TOKEN_SALT = "plek.federation.oai"  # noqa: S105  # nosec B105 # a signing namespace, not a secret
TOKEN_TTL = dt.timedelta(hours=24)
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


class OaiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def page_size() -> int:
    return int(getattr(settings, "PLEK_OAI_PAGE_SIZE", 100))


def namespace_id() -> str:
    return str(getattr(settings, "PLEK_OAI_NAMESPACE", "plek.localhost"))


def oai_identifier(item_uuid: Any) -> str:
    return f"oai:{namespace_id()}:{item_uuid}"


def uuid_of(identifier: str) -> str | None:
    prefix = f"oai:{namespace_id()}:"
    if not identifier.startswith(prefix):
        return None
    return identifier[len(prefix) :]


def stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(value: str, *, until: bool = False) -> tuple[dt.datetime, str]:
    """A from/until argument: (datetime, granularity); OaiError badArgument when malformed."""
    try:
        if len(value) == 10:
            day = dt.date.fromisoformat(value)
            moment = dt.datetime.combine(day, dt.time.max if until else dt.time.min, tzinfo=dt.UTC)
            return moment.replace(microsecond=999999 if until else 0), "day"
        if len(value) == 20 and value.endswith("Z") and value[10] == "T":
            moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
            return (moment.replace(microsecond=999999) if until else moment), "seconds"
    except ValueError:
        pass
    raise OaiError("badArgument", f"'{value}' is not a UTC datestamp (YYYY-MM-DD or YYYY-MM-DDThh:mm:ssZ).")


# ---- what is exposed -----------------------------------------------------------------------------------


def exposed_items() -> QuerySet[KnowledgeItem]:
    return KnowledgeItem.objects.filter(visibility=Visibility.PUBLIC, withdrawn_at__isnull=True)


def _set_q(spec: str) -> tuple[Q, str]:
    """(filter on items, substring of tombstone set_specs) for a setSpec; badArgument if unknown."""
    if spec in ("hub", "theme", "kind"):
        if spec == "hub":
            return Q(owner_hub__isnull=False), " hub:"
        if spec == "theme":
            return Q(themes__isnull=False), " theme:"
        return Q(), " kind:"
    family, _sep, value = spec.partition(":")
    if family == "hub" and value:
        return Q(owner_hub__slug=value), f" {spec} "
    if family == "theme" and value:
        return Q(themes__slug=value), f" {spec} "
    if family == "kind" and value in KnowledgeItem.Kind.values:
        return Q(kind=value), f" {spec} "
    raise OaiError("badArgument", f"Unknown set '{spec}'; ListSets names the sets.")


@dataclass
class ListState:
    prefix: str
    set: str = ""
    start: str = ""  # from, as given
    until: str = ""
    phase: str = "items"  # items, then deleted
    after: int = 0  # last primary key sent in this phase
    cursor: int = 0
    total: int = -1


def _token(state: ListState) -> tuple[str, dt.datetime]:
    expires = timezone.now() + TOKEN_TTL
    data = state.__dict__ | {"exp": expires.timestamp()}
    return signing.dumps(data, salt=TOKEN_SALT, compress=True), expires


def _untoken(token: str) -> ListState:
    try:
        data = signing.loads(token, salt=TOKEN_SALT)
    except signing.BadSignature:
        raise OaiError("badResumptionToken", "The resumptionToken is not valid.") from None
    if not isinstance(data, dict) or float(data.pop("exp", 0)) < timezone.now().timestamp():
        raise OaiError("badResumptionToken", "The resumptionToken has expired; start the list again.")
    try:
        return ListState(**data)
    except TypeError:
        raise OaiError("badResumptionToken", "The resumptionToken is not valid.") from None


def _window(state: ListState) -> tuple[dt.datetime | None, dt.datetime | None]:
    start = parse_stamp(state.start)[0] if state.start else None
    end = parse_stamp(state.until, until=True)[0] if state.until else None
    return start, end


def _items_q(state: ListState) -> QuerySet[KnowledgeItem]:
    qs = exposed_items()
    start, end = _window(state)
    if start:
        qs = qs.filter(updated_at__gte=start)
    if end:
        qs = qs.filter(updated_at__lte=end)
    if state.set:
        q, _text = _set_q(state.set)
        qs = qs.filter(q).distinct() if state.set.startswith("theme") else qs.filter(q)
    return qs


def _deleted_q(state: ListState) -> QuerySet[OaiTombstone]:
    qs = OaiTombstone.objects.all()
    start, end = _window(state)
    if start:
        qs = qs.filter(datestamp__gte=start)
    if end:
        qs = qs.filter(datestamp__lte=end)
    if state.set:
        _q, text = _set_q(state.set)
        qs = qs.filter(set_specs__contains=text)
    return qs


# ---- the XML ---------------------------------------------------------------------------------------------


def _el(parent: Any, tag: str, text: Any = None, **attrs: str | None) -> Any:
    node = etree.SubElement(parent, tag, {k: v for k, v in attrs.items() if v is not None})
    if text is not None:
        node.text = _xml_text(str(text))
    return node


def _xml_text(text: str) -> str:
    """Drop the characters XML 1.0 cannot carry (control characters other than tab and newlines)."""
    return "".join(ch for ch in text if ch in "\t\n\r" or (ord(ch) >= 0x20 and ch not in "\ufffe\uffff"))


def _envelope(base_url: str, args: dict[str, str], with_args: bool) -> tuple[Any, Any]:
    root = etree.Element(f"{{{OAI_NS}}}OAI-PMH", nsmap={None: OAI_NS, "xsi": XSI_NS})
    root.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_NS} {OAI_SCHEMA}")
    _el(root, f"{{{OAI_NS}}}responseDate", stamp(timezone.now()))
    request = _el(root, f"{{{OAI_NS}}}request", base_url)
    if with_args:
        for key, value in args.items():
            request.set(key, value)
    return root, request


def _prefetched(qs: QuerySet[KnowledgeItem]) -> QuerySet[KnowledgeItem]:
    return qs.select_related("owner_hub").prefetch_related(
        "themes", "regions", "author_people", "author_organisations", "provenances"
    )


class Provider:
    def __init__(self, base_url: str, site_url: str) -> None:
        self.base_url = base_url
        self.site_url = site_url

    # -- dispatch --

    def respond(self, params: dict[str, list[str]]) -> bytes:
        args = {k: v[0] for k, v in params.items()}
        verb = args.get("verb", "")
        try:
            if any(len(v) > 1 for v in params.values()):
                raise OaiError(
                    "badVerb" if len(params.get("verb", [])) > 1 else "badArgument",
                    "An argument is repeated.",
                )
            if verb not in VERBS:
                raise OaiError("badVerb", f"'{verb}' is not an OAI-PMH verb." if verb else "No verb given.")
            self._check_args(verb, args)
            root, _request = _envelope(self.base_url, args, with_args=True)
            body = _el(root, f"{{{OAI_NS}}}{verb}")
            getattr(self, f"_{verb}")(body, args)
            if len(body) == 0 and verb not in ("Identify",):
                raise OaiError("noRecordsMatch", "No records match.")
        except OaiError as exc:
            root, _request = _envelope(
                self.base_url, args, with_args=exc.code not in ("badVerb", "badArgument")
            )
            if exc.code not in ("badVerb", "badArgument") and verb in VERBS:
                _request.set("verb", verb)
            _el(root, f"{{{OAI_NS}}}error", exc.message, code=exc.code)
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))

    def _check_args(self, verb: str, args: dict[str, str]) -> None:
        required, optional = VERBS[verb]
        given = set(args) - {"verb"}
        if "resumptionToken" in given and verb in ("ListIdentifiers", "ListRecords", "ListSets"):
            if given != {"resumptionToken"}:
                raise OaiError("badArgument", "resumptionToken is an exclusive argument.")
            return
        unknown = given - required - optional
        if unknown:
            raise OaiError("badArgument", f"Illegal argument: {', '.join(sorted(unknown))}.")
        missing = required - given
        if missing:
            raise OaiError("badArgument", f"Missing argument: {', '.join(sorted(missing))}.")
        if "metadataPrefix" in args and args["metadataPrefix"] not in FORMATS:
            raise OaiError(
                "cannotDisseminateFormat", f"'{args['metadataPrefix']}' is not offered; use oai_dc or plek."
            )
        if "from" in args and "until" in args:
            start, g1 = parse_stamp(args["from"])
            end, g2 = parse_stamp(args["until"], until=True)
            if g1 != g2:
                raise OaiError("badArgument", "from and until have different granularities.")
            if start > end:
                raise OaiError("badArgument", "from is later than until.")
        else:
            for key in ("from", "until"):
                if key in args:
                    parse_stamp(args[key], until=key == "until")
        if "set" in args:
            _set_q(args["set"])

    # -- verbs --

    def _Identify(self, body: Any, args: dict[str, str]) -> None:
        _el(body, f"{{{OAI_NS}}}repositoryName", getattr(settings, "PLEK_OAI_REPOSITORY_NAME", "PLeK"))
        _el(body, f"{{{OAI_NS}}}baseURL", self.base_url)
        _el(body, f"{{{OAI_NS}}}protocolVersion", "2.0")
        _el(body, f"{{{OAI_NS}}}adminEmail", getattr(settings, "API_CONTACT_EMAIL", "api@plek.localhost"))
        first = exposed_items().aggregate(m=Min("updated_at"))["m"]
        dead = OaiTombstone.objects.aggregate(m=Min("datestamp"))["m"]
        earliest = min([d for d in (first, dead) if d] or [EARLIEST])
        _el(body, f"{{{OAI_NS}}}earliestDatestamp", stamp(earliest))
        _el(body, f"{{{OAI_NS}}}deletedRecord", "persistent")
        _el(body, f"{{{OAI_NS}}}granularity", "YYYY-MM-DDThh:mm:ssZ")
        description = _el(body, f"{{{OAI_NS}}}description")
        ident = etree.SubElement(
            description, f"{{{ID_NS}}}oai-identifier", nsmap={None: ID_NS, "xsi": XSI_NS}
        )
        ident.set(
            f"{{{XSI_NS}}}schemaLocation", f"{ID_NS} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
        )
        _el(ident, f"{{{ID_NS}}}scheme", "oai")
        _el(ident, f"{{{ID_NS}}}repositoryIdentifier", namespace_id())
        _el(ident, f"{{{ID_NS}}}delimiter", ":")
        _el(ident, f"{{{ID_NS}}}sampleIdentifier", oai_identifier("4f8e2a3c-0000-4000-8000-000000000001"))

    def _ListMetadataFormats(self, body: Any, args: dict[str, str]) -> None:
        if "identifier" in args:
            self._find(args["identifier"])
        for prefix, (schema, ns) in FORMATS.items():
            fmt = _el(body, f"{{{OAI_NS}}}metadataFormat")
            _el(fmt, f"{{{OAI_NS}}}metadataPrefix", prefix)
            _el(fmt, f"{{{OAI_NS}}}schema", urljoin(self.base_url.rstrip("/") + "/", schema))
            _el(fmt, f"{{{OAI_NS}}}metadataNamespace", ns)

    def _ListSets(self, body: Any, args: dict[str, str]) -> None:
        if "resumptionToken" in args:
            raise OaiError("badResumptionToken", "ListSets is complete in one response.")
        items = exposed_items()
        sets: list[tuple[str, str]] = [
            ("hub", "Kennishubs"),
            ("theme", "Thema's"),
            ("kind", "Soorten kennis"),
        ]
        hub_ids = set(items.exclude(owner_hub=None).values_list("owner_hub_id", flat=True).distinct())
        sets += [(f"hub:{h.slug}", h.name) for h in Hub.objects.filter(pk__in=hub_ids).order_by("slug")]
        theme_ids = set(items.values_list("themes", flat=True).distinct()) - {None}
        sets += [
            (f"theme:{t.slug}", t.label_nl) for t in Theme.objects.filter(pk__in=theme_ids).order_by("slug")
        ]
        labels = dict(KnowledgeItem.Kind.choices)
        kinds = sorted(set(items.values_list("kind", flat=True).distinct()))
        sets += [(f"kind:{k}", str(labels.get(k, k))) for k in kinds]
        for spec, name in sets:
            node = _el(body, f"{{{OAI_NS}}}set")
            _el(node, f"{{{OAI_NS}}}setSpec", spec)
            _el(node, f"{{{OAI_NS}}}setName", name)

    def _GetRecord(self, body: Any, args: dict[str, str]) -> None:
        item, tomb = self._find(args["identifier"])
        if item is not None:
            self._record(body, item, args["metadataPrefix"], full=True)
        elif tomb is not None:
            self._deleted(body, tomb, full=True)

    def _ListIdentifiers(self, body: Any, args: dict[str, str]) -> None:
        self._list(body, args, full=False)

    def _ListRecords(self, body: Any, args: dict[str, str]) -> None:
        self._list(body, args, full=True)

    # -- helpers --

    def _find(self, identifier: str) -> tuple[KnowledgeItem | None, OaiTombstone | None]:
        key = uuid_of(identifier)
        if key:
            try:
                item = _prefetched(exposed_items()).filter(uuid=key).first()
                if item is not None:
                    return item, None
                tomb = OaiTombstone.objects.filter(item_uuid=key).first()
                if tomb is not None:
                    return None, tomb
            except Exception:  # noqa: S110  # nosec B110 # a malformed UUID is simply not found
                pass
        raise OaiError("idDoesNotExist", f"'{identifier[:200]}' is not known here.")

    def _list(self, body: Any, args: dict[str, str], *, full: bool) -> None:
        if "resumptionToken" in args:
            state = _untoken(args["resumptionToken"])
        else:
            state = ListState(
                prefix=args["metadataPrefix"],
                set=args.get("set", ""),
                start=args.get("from", ""),
                until=args.get("until", ""),
            )
            state.total = _items_q(state).count() + _deleted_q(state).count()
        size = page_size()
        sent = 0
        if state.phase == "items":
            page = list(_prefetched(_items_q(state)).filter(pk__gt=state.after).order_by("pk")[: size + 1])
            more_items = len(page) > size
            page = page[:size]
            for item in page:
                if full:
                    self._record(body, item, state.prefix, full=True)
                else:
                    self._header(body, item)
            sent = len(page)
            if page:
                state.after = page[-1].pk
            if not more_items:
                state.phase, state.after = "deleted", 0
        finished = False
        if state.phase == "deleted":
            room = size - sent
            tombs = list(_deleted_q(state).filter(pk__gt=state.after).order_by("pk")[: room + 1])
            more = len(tombs) > room
            tombs = tombs[:room]
            for tomb in tombs:
                self._deleted(body, tomb, full=full)
            sent += len(tombs)
            if tombs:
                state.after = tombs[-1].pk
            finished = not more
        if state.cursor == 0 and finished and sent:
            state.cursor += sent
            return  # a complete list in one response: no resumptionToken
        if len(body) == 0:
            return
        node = _el(body, f"{{{OAI_NS}}}resumptionToken")
        node.set("cursor", str(state.cursor))
        node.set("completeListSize", str(state.total))
        state.cursor += sent
        if not finished:
            token, expires = _token(state)
            node.text = token
            node.set("expirationDate", stamp(expires))

    def _header(self, parent: Any, item: KnowledgeItem) -> Any:
        header = _el(parent, f"{{{OAI_NS}}}header")
        _el(header, f"{{{OAI_NS}}}identifier", oai_identifier(item.uuid))
        _el(header, f"{{{OAI_NS}}}datestamp", stamp(item.updated_at))
        specs = [f"kind:{item.kind}"]
        if item.owner_hub is not None:
            specs.insert(0, f"hub:{item.owner_hub.slug}")
        specs += [f"theme:{t.slug}" for t in item.themes.all()]
        for spec in specs:
            _el(header, f"{{{OAI_NS}}}setSpec", spec)
        return header

    def _deleted(self, parent: Any, tomb: OaiTombstone, *, full: bool) -> None:
        holder = _el(parent, f"{{{OAI_NS}}}record") if full else parent
        header = _el(holder, f"{{{OAI_NS}}}header", status="deleted")
        _el(header, f"{{{OAI_NS}}}identifier", oai_identifier(tomb.item_uuid))
        _el(header, f"{{{OAI_NS}}}datestamp", stamp(tomb.datestamp))
        for spec in tomb.set_specs.split():
            _el(header, f"{{{OAI_NS}}}setSpec", spec)

    def _record(self, parent: Any, item: KnowledgeItem, prefix: str, *, full: bool) -> None:
        record = _el(parent, f"{{{OAI_NS}}}record")
        self._header(record, item)
        metadata = _el(record, f"{{{OAI_NS}}}metadata")
        if prefix == "oai_dc":
            self._oai_dc(metadata, item)
        else:
            self._plek(metadata, item)

    def page_url(self, item: KnowledgeItem) -> str:
        return urljoin(self.site_url, reverse("knowledge:detail", args=[item.slug]))

    def _oai_dc(self, parent: Any, item: KnowledgeItem) -> None:
        dc = etree.SubElement(
            parent, f"{{{OAI_DC_NS}}}dc", nsmap={"oai_dc": OAI_DC_NS, "dc": DC_NS, "xsi": XSI_NS}
        )
        dc.set(f"{{{XSI_NS}}}schemaLocation", f"{OAI_DC_NS} {OAI_DC_SCHEMA}")
        _el(dc, f"{{{DC_NS}}}title", item.title)
        for person in item.author_people.all():
            _el(dc, f"{{{DC_NS}}}creator", person.name)
        for org in item.author_organisations.all():
            _el(dc, f"{{{DC_NS}}}creator", org.name)
        for theme in item.themes.all():
            _el(dc, f"{{{DC_NS}}}subject", theme.label_nl)
        if item.summary:
            _el(dc, f"{{{DC_NS}}}description", item.summary)
        if item.owner_hub is not None:
            _el(dc, f"{{{DC_NS}}}publisher", item.owner_hub.name)
        if item.date:
            _el(dc, f"{{{DC_NS}}}date", item.date.isoformat())
        _el(dc, f"{{{DC_NS}}}type", item.get_kind_display())
        _el(dc, f"{{{DC_NS}}}identifier", self.page_url(item))
        if item.doi:
            _el(dc, f"{{{DC_NS}}}identifier", f"https://doi.org/{item.doi}")
        if item.handle:
            _el(dc, f"{{{DC_NS}}}identifier", f"https://hdl.handle.net/{item.handle}")
        if item.url:
            _el(dc, f"{{{DC_NS}}}relation", item.url)
        for prov in item.provenances.all():
            if prov.deleted_at is None and prov.original_url:
                _el(dc, f"{{{DC_NS}}}source", prov.original_url)
        _el(dc, f"{{{DC_NS}}}language", item.language)
        for region in item.regions.all():
            _el(dc, f"{{{DC_NS}}}coverage", region.name)
        if item.licence:
            _el(dc, f"{{{DC_NS}}}rights", item.licence)

    def _plek(self, parent: Any, item: KnowledgeItem) -> None:
        root = etree.SubElement(parent, f"{{{PLEK_NS}}}kennis", nsmap={"plek": PLEK_NS})
        p = f"{{{PLEK_NS}}}"
        _el(root, p + "title", item.title)
        _el(root, p + "kind", item.kind)
        _el(root, p + "category", item.category)
        _el(root, p + "language", item.language)
        _el(root, p + "scale", item.scale)
        if item.date:
            _el(root, p + "date", item.date.isoformat())
        if item.summary:
            _el(root, p + "summary", item.summary)
        if item.body:
            _el(root, p + "body", item.body)
        for theme in item.themes.all():
            _el(root, p + "theme", theme.label_nl, slug=theme.slug)
        for region in item.regions.all():
            _el(root, p + "region", region.name, code=region.code)
        for person in item.author_people.all():
            _el(root, p + "author", person.name)
        for org in item.author_organisations.all():
            _el(root, p + "author", org.name)
        for name in ("doi", "handle", "url", "licence"):
            value = getattr(item, name)
            if value:
                _el(root, p + name, value)
        if item.owner_hub is not None:
            _el(root, p + "hub", item.owner_hub.name, slug=item.owner_hub.slug)
        _el(root, p + "page", self.page_url(item))
        for prov in item.provenances.all():
            if prov.deleted_at is not None:
                continue
            _el(
                root,
                p + "provenance",
                prov.original_identifier,
                source=prov.source_name,
                url=prov.original_url or None,
                licence=prov.licence or None,
                harvestedAt=stamp(prov.harvested_at),
            )


def latest_change() -> dt.datetime | None:
    return exposed_items().aggregate(m=Max("updated_at"))["m"]
