"""Decisions as search documents. Only decisions whose content is public are indexed: a confidential
decision has no document at all (so its content can never be found), and it drops out of the index
when it becomes confidential. Registered in plek/platform/registry.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from plek.governance.models import Decision
from plek.knowledge.search.base import SearchDoc


def build_decisions(ids: list[int]) -> list[SearchDoc]:
    docs = []
    for d in Decision.objects.filter(pk__in=ids, confidential=False).select_related(
        "proposal", "standard_version__standard"
    ):
        if d.proposal is not None and d.proposal.confidential:
            continue
        date = timezone.localdate(d.decided_at)
        docs.append(
            SearchDoc(
                key=f"decision:{d.pk}",
                type="decision",
                id=d.pk,
                slug=str(d.pk),
                title=d.subject_title,
                summary=d.text,
                body=d.reasons,
                kind=d.outcome,
                year=date.year,
                date=date,
                visibility_keys=["public"],
            )
        )
    return docs


SEARCH_BUILDERS: dict[str, tuple[Any, Callable[[list[int]], list[SearchDoc]]]] = {
    "decision": (Decision, build_decisions),
}
