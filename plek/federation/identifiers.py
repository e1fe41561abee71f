"""Identifiers of works (DOI, handle, URL) in one normal form, for de-duplication.

Imports and harvests store identifiers normalised; lookups also try the common written forms
(`https://doi.org/…`, `doi:…`) so items typed in by hand are found too."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from django.db.models import Q

_DOI_PREFIXES = ("https://doi.org/", "http://doi.org/", "https://dx.doi.org/", "http://dx.doi.org/", "doi:")
_HANDLE_PREFIXES = ("https://hdl.handle.net/", "http://hdl.handle.net/", "hdl:", "info:hdl/")
_DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")


def normalise_doi(value: str) -> str:
    text = (value or "").strip()
    lower = text.lower()
    for prefix in _DOI_PREFIXES:
        if lower.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.strip().lower()
    return text if _DOI_RE.match(text) else ""


def normalise_handle(value: str) -> str:
    text = (value or "").strip()
    lower = text.lower()
    for prefix in _HANDLE_PREFIXES:
        if lower.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.strip()
    return text if re.match(r"^[\w.\-]+/\S+$", text) else ""


def normalise_url(value: str) -> str:
    text = (value or "").strip()
    if not text.lower().startswith(("http://", "https://")):
        return ""
    parts = urlsplit(text)
    path = parts.path.rstrip("/") or ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def identifier_q(doi: str = "", handle: str = "", url: str = "") -> Q | None:
    """A filter matching items carrying any of these identifiers (None without identifiers)."""
    q = Q()
    found = False
    if doi:
        q |= Q(doi__in=[doi, f"https://doi.org/{doi}", f"doi:{doi}"])
        found = True
    if handle:
        q |= Q(handle__in=[handle, f"https://hdl.handle.net/{handle}", f"hdl:{handle}"])
        found = True
    if url:
        q |= Q(url__in=[url, f"{url}/"])
        found = True
    return q if found else None


def identifiers_of(values: dict[str, object]) -> tuple[str, str, str]:
    return (
        normalise_doi(str(values.get("doi") or "")),
        normalise_handle(str(values.get("handle") or "")),
        normalise_url(str(values.get("url") or "")),
    )
