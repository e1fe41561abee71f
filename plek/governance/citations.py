"""Proposals (and their decisions) that cite a page of a lower layer by URL, e.g. a scenario result.
Registered in plek/platform/registry.py, so strategy can list them without importing governance."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from plek.governance.models import Decision, Evidence
from plek.governance.selectors import proposal_queryset

MAX = 20


def url_citations(viewer: Any, path: str) -> list[dict[str, str]]:
    """Visible proposals with evidence linking to `path`, and the decisions taken on them; two queries."""
    proposals = list(
        proposal_queryset(viewer)
        .filter(pk__in=Evidence.objects.filter(url__contains=path).values("proposal_id"))
        .order_by("-id")[:MAX]
    )
    out = [
        {"kind": str(_("voorstel")), "title": p.title, "url": reverse("governance:proposal", args=[p.pk])}
        for p in proposals
    ]
    decisions = (
        Decision.objects.filter(proposal__in=proposals).select_related("proposal").order_by("-decided_at")
    )
    for d in decisions[:MAX]:
        out.append(
            {
                "kind": str(_("besluit")),
                "title": d.proposal.title if d.proposal else str(d),
                "url": reverse("governance:decision", args=[d.pk]),
            }
        )
    return out
