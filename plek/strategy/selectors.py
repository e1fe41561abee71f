"""Reads of the strategy app, each with a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from plek.atlas.models import Region
from plek.strategy.models import Indicator, LandUnit, Observation, SolveRun, Study, Target, Variant
from plek.strategy.permissions import Viewer, can_view, visible_q
from plek.strategy.trends import OFF_TRACK, ON_TRACK, trend_analyse


def indicator_list(viewer: Viewer) -> QuerySet[Indicator]:
    return (
        Indicator.objects.filter(visible_q(viewer))
        .select_related("theme")
        .annotate(n_observations=Count("observations", distinct=True))
        .order_by("name")
    )


def study_list(viewer: Viewer) -> QuerySet[Study]:
    return (
        Study.objects.filter(visible_q(viewer))
        .select_related("region")
        .annotate(n_units=Count("units", distinct=True), n_variants=Count("variants", distinct=True))
        .order_by("name")
    )


def indicator_get(viewer: Viewer, slug: str) -> Indicator:
    indicator = Indicator.objects.select_related("theme").filter(slug=slug).first()
    if indicator is None or not can_view(viewer, indicator):
        raise Http404(slug)
    return indicator


def study_get(viewer: Viewer, slug: str) -> Study:
    """A study the viewer may see, with its number of land units (`n_units`), as study_list gives."""
    study = (
        Study.objects.select_related("region")
        .annotate(n_units=Count("units", distinct=True))
        .filter(slug=slug)
        .first()
    )
    if study is None or not can_view(viewer, study):
        raise Http404(slug)
    return study


def run_get(viewer: Viewer, pk: int) -> SolveRun:
    """A solve run of a study the viewer may see (without its allocation, which is large)."""
    run = SolveRun.objects.select_related("variant__study").defer("allocation").filter(pk=pk).first()
    if run is None or not can_view(viewer, run.variant.study):
        raise Http404(str(pk))
    return run


def run_full(pk: int) -> SolveRun:
    """A solve run with its allocation (the caller found it through a study it may see)."""
    return SolveRun.objects.get(pk=pk)


def indicator_regions(indicator: Indicator) -> list[Region]:
    ids = Observation.objects.filter(indicator=indicator).values("region_id").distinct()
    return list(Region.objects.filter(id__in=ids).order_by("name"))


def indicator_trends(indicator: Indicator, *, region_code: str | None = None) -> list[dict[str, Any]]:
    """One trend per region (or for one region): series, target and statistics; two queries."""
    obs = (
        Observation.objects.filter(indicator=indicator, period="")
        .select_related("region")
        .order_by("region__name", "year")
    )
    targets = Target.objects.filter(indicator=indicator).order_by("year")
    if region_code:
        obs = obs.filter(region__code=region_code)
        targets = targets.filter(region__code=region_code)
    target_by_region: dict[int, Target] = {}
    for t in targets:
        target_by_region[t.region_id] = t  # the latest target year wins
    series: dict[int, list[Observation]] = defaultdict(list)
    regions: dict[int, Region] = {}
    for o in obs:
        series[o.region_id].append(o)
        regions[o.region_id] = o.region
    out = []
    for rid, rows in series.items():
        target = target_by_region.get(rid)
        trend = trend_analyse(
            [o.year for o in rows],
            [o.value for o in rows],
            higher_is_better=indicator.higher_is_better,
            target_year=target.year if target else None,
            target_value=target.value if target else None,
        )
        out.append({"region": regions[rid], "observations": rows, "target": target, "trend": trend})
    return out


def trend_ranking(indicator: Indicator, trends: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Regions ordered from best to worst: on track first, then by the slope in the good direction."""
    sign = 1.0 if indicator.higher_is_better else -1.0
    order = {ON_TRACK: 0, OFF_TRACK: 1}
    return sorted(
        trends,
        key=lambda t: (
            order.get(t["trend"].verdict, 2),
            -(sign * (t["trend"].slope or 0.0)),
            t["region"].name,
        ),
    )


def study_variants(study: Study) -> list[dict[str, Any]]:
    """Variants with their newest run (any status) and newest finished run; two queries."""
    variants = list(study.variants.all())
    runs = SolveRun.objects.filter(variant__study=study).order_by("-created_at", "-id").defer("allocation")
    latest: dict[int, SolveRun] = {}
    done: dict[int, SolveRun] = {}
    for run in runs:
        latest.setdefault(run.variant_id, run)
        if run.status == SolveRun.Status.DONE:
            done.setdefault(run.variant_id, run)
    return [{"variant": v, "latest": latest.get(v.pk), "done": done.get(v.pk)} for v in variants]


def change_map(study: Study, run: SolveRun | None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Per unit: position, current use and the (dominant) allocated use; plus the transitions table."""
    units = LandUnit.objects.filter(study=study).values_list(
        "code", "x", "y", "current_use", "area_ha", "geometry"
    )
    allocation = run.allocation if run is not None else {}
    cells = []
    transitions: dict[tuple[str, str], float] = defaultdict(float)
    for code, x, y, current, area, geometry in units:
        parts = allocation.get(code) or []
        new = max(parts, key=lambda p: p[1])[0] if parts else "-"
        cells.append(
            {"code": code, "x": x, "y": y, "current": current, "new": new, "area": area, "geometry": geometry}
        )
        transitions[(current, new)] += area
    table = [
        {"current": a, "new": b, "hectares": round(h, 1)}
        for (a, b), h in sorted(transitions.items(), key=lambda kv: -kv[1])
    ]
    return cells, table


def run_by_hash(digest: str) -> SolveRun | None:
    return (
        SolveRun.objects.filter(input_hash=digest, status=SolveRun.Status.DONE)
        .select_related("variant__study__region")
        .order_by("created_at")
        .first()
    )


def variants_compare(study: Study) -> list[dict[str, Any]]:
    rows = []
    for item in study_variants(study):
        run = item["done"]
        if run is None:
            continue
        rows.append({"variant": item["variant"], "run": run, "claims": run.summary.get("claims", [])})
    return rows


def variant_for(study: Study, slug: str) -> Variant | None:
    return study.variants.filter(slug=slug).first()


MAX_CITATIONS = 20


def result_citations(viewer: Any, digest: str) -> list[dict[str, str]]:
    """What cites a scenario result (its stable URL /strategie/resultaten/<digest>/), as far as the
    viewer may see: knowledge items here, and whatever higher layers register in
    `hooks.citation_finders` (`fn(viewer, path) -> [{kind, title, url}]`; governance adds proposals and
    their decisions). One query per source."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from plek.core.hooks import hooks
    from plek.knowledge.models import KnowledgeItem

    path = reverse("strategy:result", args=[digest])
    items = (
        KnowledgeItem.objects.filter(visible_q(viewer))
        .filter(Q(body__contains=path) | Q(summary__contains=path))
        .only("slug", "title")
        .order_by("-id")[:MAX_CITATIONS]
    )
    out = [
        {"kind": str(_("kennisitem")), "title": i.title, "url": reverse("knowledge:detail", args=[i.slug])}
        for i in items
    ]
    for finder in hooks.citation_finders:
        out.extend(finder(viewer, path)[:MAX_CITATIONS])
    return out


# ---- reads for the API -----------------------------------------------------------------------------------


def run_count(variant: Variant) -> int:
    return SolveRun.objects.filter(variant=variant).count()


def indicator_targets(indicator: Indicator) -> list[Target]:
    """All targets of an indicator with their areas, by area name and year; one query."""
    return list(
        Target.objects.filter(indicator=indicator).select_related("region").order_by("region__name", "year")
    )


def target_get(viewer: Viewer, indicator: Indicator, pk: int) -> Target:
    """A target of a visible indicator; 404 for any other."""
    target = Target.objects.select_related("region", "indicator").filter(indicator=indicator, pk=pk).first()
    if target is None or not can_view(viewer, indicator):
        raise Http404(pk)
    return target
