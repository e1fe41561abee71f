"""Markdown to safe HTML: rendered with markdown-it (raw HTML off), then cleaned with nh3."""

from __future__ import annotations

import html as htmllib
import re
from typing import Any

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}


def render_markdown(text: str) -> SafeString:
    html = _md.render(text or "")
    # Headings in an item start at level 2: the page has its own h1.
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # nosec B308 B703 # output of the nh3 sanitiser above


def schema_org_jsonld(item: Any, url: str) -> str:
    """schema.org JSON-LD for a public knowledge page, safe to put inside a <script> element."""
    import json

    from django.utils.safestring import mark_safe

    kinds = {"dataset": "Dataset", "report": "Report", "publication": "ScholarlyArticle"}
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": kinds.get(item.kind, "CreativeWork"),
        "@id": url,
        "url": url,
        "name": item.title,
        "inLanguage": item.language,
        "keywords": [t.label_nl for t in item.themes.all()],
        "spatialCoverage": [
            {"@type": "Place", "name": r.name, "identifier": r.code} for r in item.regions.all()
        ],
        "dateModified": item.updated_at.isoformat(),
    }
    if item.summary:
        data["description"] = item.summary
    if item.date:
        data["datePublished"] = item.date.isoformat()
    if item.licence:
        data["license"] = item.licence
    if item.doi:
        data["identifier"] = f"https://doi.org/{item.doi}"
    if item.owner_hub_id and item.owner_hub is not None:
        data["publisher"] = {"@type": "Organization", "name": item.owner_hub.name}
    sources = [p for p in item.provenances.all() if p.deleted_at is None]
    if sources:
        data["isBasedOn"] = [p.original_url or p.original_identifier for p in sources]
    text = json.dumps(data, ensure_ascii=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return mark_safe(text)  # nosec B308 B703 # json.dumps output with <, > and & escaped


_MARKUP_HINT = re.compile(r"[*_`#>\[\]|~]|^\s*([-+]|\d+\.)\s", re.MULTILINE)


def markdown_to_text(text: str) -> str:
    """Markdown as the plain text a reader sees (for search snippets and indexing): no asterisks,
    hashes, link targets or table pipes. Text without any Markdown sign is returned as it is."""
    if not text or not _MARKUP_HINT.search(text):
        return text or ""
    html = _md.render(text)
    plain = nh3.clean(html, tags=set(), clean_content_tags={"script", "style"})
    plain = htmllib.unescape(plain)
    return re.sub(r"\n{3,}", "\n\n", plain).strip()
