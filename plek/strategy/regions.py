"""Indicators (with their trend verdicts) and scenario studies on the region page, and indicators on
the map (registered through plek/platform/registry.py: region sections and map measures)."""

from __future__ import annotations

from collections import defaultdict

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plek.atlas.models import Region
from plek.atlas.permissions import Viewer, visible_q, visible_split
from plek.atlas.picture import MapMeasure, PictureItem, PictureSection, RegionScope, split_rows
from plek.strategy.models import Indicator, Observation, Study, Target
from plek.strategy.trends import trend_analyse


def verdict_label(verdict: str) -> str:
    from plek.strategy.views import _verdict_label

    return _verdict_label(verdict)


def region_sections(viewer: Viewer, scope: RegionScope, limit: int) -> list[PictureSection]:
    """Indicators measured for the area (or, failing that, for the nearest area it lies in or that
    lies within it) with their trend verdict, and scenario studies: five queries."""
    pairs = split_rows(
        Observation.objects.all(), viewer, Indicator, "indicator", full=visible_q, split=visible_split
    )
    best = scope.top(pairs, "indicator_id", limit)
    chosen = scope.chosen(best, limit)
    indicators = Indicator.objects.in_bulk([i for i, _r in chosen])
    wanted = {(i, r) for i, r in chosen}
    series: dict[tuple[int, int], list[tuple[int, float]]] = defaultdict(list)
    for ind, rid, year, value in (
        Observation.objects.filter(
            indicator_id__in=[i for i, _r in chosen], region_id__in={r for _i, r in chosen}
        )
        .order_by("year")
        .values_list("indicator_id", "region_id", "year", "value")
    ):
        if (ind, rid) in wanted:
            series[(ind, rid)].append((year, value))
    targets: dict[tuple[int, int], Target] = {}
    for t in Target.objects.filter(
        indicator_id__in=[i for i, _r in chosen], region_id__in={r for _i, r in chosen}
    ).order_by("year"):
        targets[(t.indicator_id, t.region_id)] = t  # the latest target year wins
    items = []
    for ind_id, rid in chosen:
        indicator = indicators.get(ind_id)
        if indicator is None:
            continue
        points = series.get((ind_id, rid), [])
        target = targets.get((ind_id, rid))
        trend = trend_analyse(
            [y for y, _v in points],
            [v for _y, v in points],
            higher_is_better=indicator.higher_is_better,
            target_year=target.year if target else None,
            target_value=target.value if target else None,
        )
        how, through = scope.how(rid)
        code = scope.regions[rid].code if rid in scope.regions else scope.region.code
        items.append(
            PictureItem(
                label=indicator.name,
                url=reverse("strategy:indicator", args=[indicator.slug]) + f"?gebied={code}",
                how=how,
                through=through,
                note=verdict_label(trend.verdict),
            )
        )
    studies = list(
        Study.objects.filter(visible_q(viewer), region_id__in=scope.ids).only(
            "id", "slug", "name", "region_id"
        )
    )
    study_best = scope.best((s.pk, s.region_id) for s in studies)
    by_id = {s.pk: s for s in studies}
    study_items = []
    for sid, rid in scope.chosen(study_best, limit):
        how, through = scope.how(rid)
        study_items.append(
            PictureItem(
                label=by_id[sid].name,
                url=reverse("strategy:study", args=[by_id[sid].slug]),
                how=how,
                through=through,
            )
        )
    home = reverse("strategy:home")
    return [
        PictureSection(
            key="indicators",
            title=_("Indicatoren"),
            items=items,
            total=len(best),
            all_url=home,
            empty=_("Nog geen indicatoren voor dit gebied."),
        ),
        PictureSection(
            key="studies",
            title=_("Scenariostudies"),
            items=study_items,
            total=len(study_best),
            all_url=home,
            empty=_("Nog geen scenariostudies."),
        ),
    ]


def _indicator_options(viewer: Viewer) -> list[tuple[str, str]]:
    return [
        (slug, f"{name} ({unit})")
        for slug, name, unit in Indicator.objects.filter(visible_q(viewer))
        .order_by("name")
        .values_list("slug", "name", "unit")
    ]


def _indicator_values(viewer: Viewer, regions: list[Region], option: str) -> dict[int, float]:
    """The latest observed value of the chosen indicator in each region (none where not measured)."""
    indicator = Indicator.objects.filter(visible_q(viewer), slug=option).first()
    if indicator is None:
        return {}
    out: dict[int, float] = {}
    for rid, value in (
        Observation.objects.filter(indicator=indicator, region_id__in=[r.pk for r in regions])
        .order_by("year")
        .values_list("region_id", "value")
    ):
        out[rid] = value  # the latest year wins
    return out


MAP_MEASURES = [
    MapMeasure(
        "indicator",
        gettext_lazy("indicator: laatst gemeten waarde"),
        _indicator_values,
        options=_indicator_options,
        caption=gettext_lazy("per gebied (alleen waar gemeten)"),
    )
]
