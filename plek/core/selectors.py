"""Reads shared by every app's selectors and the API."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet


def page_rows(qs: QuerySet[Any], page: int, size: int) -> tuple[list[Any], int]:
    """One page of a queryset and the total: a count query, then the page query (none past the end),
    with the queryset's own joins and prefetches."""
    total = qs.count()
    start = (max(1, page) - 1) * size
    return (list(qs[start : start + size]) if start < total else []), total
