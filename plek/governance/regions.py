"""Signals and decisions on the region page, and signals in a programme's regional picture
(registered through plek/platform/registry.py: region sections and programme parts).

Signals are public (the Initiative group's intake is open to all). A decision concerns an area
through the signals its proposal bundles; confidential decisions, and decisions on confidential
proposals, are left out for everyone outside the bodies, so their subjects never show."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from plek.atlas.filters import linked_ids
from plek.atlas.permissions import Viewer
from plek.atlas.picture import (
    PictureItem,
    PictureSection,
    ProgrammePart,
    RegionScope,
    keyed_by,
    picture_items,
)
from plek.governance.models import Decision, Signal
from plek.governance.permissions import is_body_member

SignalRegions = Signal.regions.through


def _signal(s: Signal) -> tuple[str, str, str]:
    return (
        s.title,
        reverse("governance:signal", args=[s.pk]),
        f"{s.get_kind_display()}, {s.get_state_display()}",
    )


def _decisions_q(viewer: Viewer) -> Q:
    if is_body_member(viewer):
        return Q()
    return Q(confidential=False) & (Q(proposal__isnull=True) | Q(proposal__confidential=False))


def _who(viewer: Viewer) -> str:
    """Signals are public and decisions differ only for the bodies' members: everyone else sees what
    an anonymous visitor sees."""
    return ":bodies" if is_body_member(viewer) else ""


@keyed_by(_who)
def region_sections(viewer: Viewer, scope: RegionScope, limit: int) -> list[PictureSection]:
    """Signals and decisions concerning the area: six queries (seven with the body membership);
    one cached copy for the bodies' members and one for everyone else."""
    s_best = scope.top(SignalRegions.objects.all(), "signal_id", limit)
    signals = Signal.objects.only("id", "title", "kind", "state").in_bulk(
        [e for e, _r in scope.chosen(s_best, limit)]
    )
    d_best = scope.top(
        Decision.objects.filter(_decisions_q(viewer)), "pk", limit, region_field="proposal__signals__regions"
    )
    decisions = Decision.objects.select_related("proposal").in_bulk(
        [e for e, _r in scope.chosen(d_best, limit)]
    )

    def _decision(d: Decision) -> tuple[str, str, str]:
        title = d.proposal.title if d.proposal_id else str(d)  # type: ignore[union-attr]
        return title, reverse("governance:decision", args=[d.pk]), d.get_outcome_display()

    return [
        PictureSection(
            key="signals",
            title=_("Signalen"),
            items=picture_items(scope, s_best, signals, limit, _signal),
            total=len(s_best),
            all_url=reverse("governance:signals"),
            empty=_("Geen signalen over dit gebied."),
        ),
        PictureSection(
            key="decisions",
            title=_("Besluiten"),
            items=picture_items(scope, d_best, decisions, limit, _decision),
            total=len(d_best),
            all_url=reverse("governance:decisions"),
            empty=_("Geen besluiten over dit gebied."),
        ),
    ]


def programme_parts(viewer: Viewer, programme: Any, theme_ids: list[int]) -> list[ProgrammePart]:
    """Signals on the programme's themes: three queries."""
    if not theme_ids:
        return [ProgrammePart(key="signals", title=_("Signalen"), per_region={}, total=0)]
    signal_ids = linked_ids(Signal, "themes", theme_ids)
    signals = Signal.objects.filter(pk__in=signal_ids)
    per_region: dict[int, set[Any]] = {}
    for rid, sid in SignalRegions.objects.filter(signal_id__in=signal_ids).values_list(
        "region_id", "signal_id"
    ):
        per_region.setdefault(rid, set()).add(sid)
    newest = list(signals.order_by("-created_at", "-id").only("id", "title", "kind", "state")[:5])
    return [
        ProgrammePart(
            key="signals",
            title=_("Signalen"),
            per_region=per_region,
            total=signals.count(),
            items=[PictureItem(*_signal(s)[:2], note=_signal(s)[2]) for s in newest],
            all_url=reverse("governance:signals"),
        )
    ]
