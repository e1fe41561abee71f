"""Markdown to safe HTML: rendered with markdown-it (raw HTML off), then cleaned with nh3."""

from __future__ import annotations

import html as htmllib
import re

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
    return mark_safe(clean)


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
