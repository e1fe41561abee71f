"""Template filters of governance: sanitised Markdown."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from plek.governance import selectors
from plek.knowledge.rendering import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return render_markdown(text or "")


@register.filter
def get_item_gov(mapping: dict[object, object], key: object) -> object:
    return mapping.get(key) if isinstance(mapping, dict) else None


@register.filter
def event_summary(summary: str) -> str:
    return selectors.summary_text(summary)
