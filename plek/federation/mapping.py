"""Turning what sources send (oai_dc, PLeK's richer format, feed entries, DCAT datasets, CKAN
packages) into one shape, `Mapped`, that the harvester saves."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import nh3

from plek.federation.identifiers import normalise_doi, normalise_handle, normalise_url

PLEK_NS = "urn:plek:kennis:1.0"
KIND_WORDS = {
    "report": "report",
    "rapport": "report",
    "dataset": "dataset",
    "data": "dataset",
    "article": "publication",
    "artikel": "publication",
    "publication": "publication",
    "publicatie": "publication",
    "book": "publication",
    "boek": "publication",
    "thesis": "publication",
    "proefschrift": "publication",
    "policy": "policy_document",
    "beleid": "policy_document",
    "nieuws": "story",
    "news": "story",
}
LANGUAGES = {
    "nl": "nl",
    "nld": "nl",
    "dut": "nl",
    "en": "en",
    "eng": "en",
    "fy": "fy",
    "fry": "fy",
    "de": "de",
    "deu": "de",
    "ger": "de",
}


@dataclass
class Mapped:
    original_id: str
    deleted: bool = False
    title: str = ""
    summary: str = ""
    body: str = ""
    kind: str = "publication"
    language: str = "nl"
    date: str = ""
    subjects: list[str] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)  # slugs given by the source (PLeK instances)
    regions: list[str] = field(default_factory=list)  # codes given by the source
    doi: str = ""
    handle: str = ""
    url: str = ""
    licence: str = ""
    original_url: str = ""
    datestamp: str = ""
    source_label: str = ""  # e.g. "Kennishub Zaanstreek" for a PLeK instance's hub
    size: int = 0

    def fingerprint(self) -> str:
        data = asdict(self)
        data.pop("datestamp", None)
        data.pop("size", None)
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def plain(text: str | None, limit: int | None = None) -> str:
    """Text without markup or control characters."""
    cleaned = (
        nh3.clean(text or "", tags=set()).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    )
    cleaned = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", cleaned)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return cleaned[:limit] if limit else cleaned


def parse_date(value: str | None) -> str:
    text = (value or "").strip()
    m = re.match(r"^(\d{4})(?:-(\d\d)(?:-(\d\d))?)?", text)
    if not m:
        return ""
    year, month, day = int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1)
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return ""


def kind_of(words: list[str], default: str = "publication") -> str:
    for word in words:
        low = word.lower()
        for key, kind in KIND_WORDS.items():
            if key in low:
                return kind
    return default


def language_of(value: str | None) -> str:
    return LANGUAGES.get(
        (value or "").strip().lower()[:3].rstrip("-_"), LANGUAGES.get((value or "").strip().lower()[:2], "nl")
    )


def _identifiers(values: list[str], mapped: Mapped) -> None:
    for value in values:
        value = (value or "").strip()
        if not mapped.doi and (doi := normalise_doi(value)):
            mapped.doi = doi
        elif "hdl.handle.net" in value or value.startswith("hdl:"):
            mapped.handle = mapped.handle or normalise_handle(value)
        elif not mapped.url and (url := normalise_url(value)):
            mapped.url = url


def from_oai_dc(identifier: str, metadata: dict[str, list[str]]) -> Mapped:
    m = Mapped(original_id=identifier)
    m.title = plain((metadata.get("title") or [""])[0], 300)
    m.summary = plain(" ".join(metadata.get("description") or []), 2000)
    m.subjects = [plain(s, 100) for s in metadata.get("subject") or [] if plain(s)]
    m.kind = kind_of(metadata.get("type") or [])
    m.language = language_of((metadata.get("language") or ["nl"])[0])
    m.date = next((d for d in map(parse_date, metadata.get("date") or []) if d), "")
    _identifiers(metadata.get("identifier") or [], m)
    m.original_url = m.url or (f"https://doi.org/{m.doi}" if m.doi else "")
    m.licence = plain((metadata.get("rights") or [""])[0], 100)
    return m


def from_plek(identifier: str, element: Any) -> Mapped:
    """PLeK's richer format: kind, themes and regions carried over as they are."""
    p = f"{{{PLEK_NS}}}"

    def text(tag: str) -> str:
        node = element.find(p + tag)
        return (node.text or "").strip() if node is not None else ""

    m = Mapped(original_id=identifier)
    m.title = plain(text("title"), 300)
    m.summary = text("summary")[:2000]
    m.body = text("body")
    m.kind = text("kind") or "publication"
    m.language = text("language") or "nl"
    m.date = parse_date(text("date"))
    m.themes = [n.get("slug") for n in element.iterfind(p + "theme") if n.get("slug")]
    m.subjects = [(n.text or "").strip() for n in element.iterfind(p + "theme")]
    m.regions = [n.get("code") for n in element.iterfind(p + "region") if n.get("code")]
    m.doi = normalise_doi(text("doi"))
    m.handle = normalise_handle(text("handle"))
    m.url = normalise_url(text("url"))
    m.licence = text("licence")[:100]
    m.original_url = text("page")
    hub = element.find(p + "hub")
    if hub is not None and hub.text:
        m.source_label = hub.text.strip()
    return m


def from_feed_entry(entry: Any) -> Mapped:
    link = entry.get("link") or ""
    m = Mapped(original_id=str(entry.get("id") or link))
    m.title = plain(entry.get("title"), 300)
    m.summary = plain(entry.get("summary"), 2000)
    m.subjects = [plain(t.get("term"), 100) for t in entry.get("tags") or [] if t.get("term")]
    m.kind = "story"
    when = entry.get("published_parsed") or entry.get("updated_parsed")
    if when:
        m.date = dt.date(when.tm_year, when.tm_mon, when.tm_mday).isoformat()
    m.url = normalise_url(link)
    m.original_url = link
    m.language = language_of(entry.get("language") or "nl")
    m.licence = plain(entry.get("rights"), 100)
    m.datestamp = str(entry.get("updated") or entry.get("published") or "")
    return m


def from_ckan(package: dict[str, Any], base_url: str) -> Mapped:
    m = Mapped(original_id=str(package.get("id") or package.get("name") or ""))
    m.title = plain(package.get("title") or package.get("name"), 300)
    m.summary = plain(package.get("notes"), 2000)
    m.subjects = [plain(t.get("display_name") or t.get("name"), 100) for t in package.get("tags") or []]
    m.kind = "dataset"
    m.date = parse_date(package.get("metadata_created"))
    m.datestamp = str(package.get("metadata_modified") or "")
    m.licence = plain(package.get("license_title") or package.get("license_id"), 100)
    page = f"{base_url.rstrip('/')}/dataset/{package.get('name')}" if package.get("name") else ""
    m.url = normalise_url(package.get("url") or "") or normalise_url(page)
    m.original_url = page or m.url
    m.language = language_of(package.get("language") or "nl")
    return m
