"""API v1 for strategy (see plek/strategy/): indicators and their trends, scenario studies,
variants and solve runs. Reads call the same selectors as the pages; writes (starting and
cancelling a solve) the same services, so the permission rules are the pages' rules."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Query, Router
from ninja.responses import Status

from plek.api import strategy_schemas as ss
from plek.api.auth import viewer
from plek.api.common import API_ROOT, Operations, created, deleted, paginate
from plek.api.errors import ApiError, camel_field
from plek.api.schemas import IdPath
from plek.strategy import selectors
from plek.strategy.errors import StrategyError
from plek.strategy.models import Indicator, SolveRun, Study, Target
from plek.strategy.permissions import Viewer
from plek.strategy.services import run_cancel, solve_request

router = Router()
_op = Operations(router, tag="strategy", exclude_unset=False)


def _problem(exc: StrategyError) -> ApiError:
    if exc.status == 403:
        return ApiError(403, exc.message, title="Forbidden")
    if exc.status == 409:
        return ApiError(409, exc.message, title="Conflict")
    name = camel_field(exc.field) if exc.field else "body"
    return ApiError(422, exc.message, title="Validation failed", invalid_params={name: exc.message})


def _indicator_out(ind: Indicator) -> dict[str, Any]:
    return {
        "slug": ind.slug,
        "name": ind.name,
        "unit": ind.unit,
        "direction": ind.direction,
        "source": ind.source,
        "is_synthetic": ind.is_synthetic,
        "url": reverse("strategy:indicator", args=[ind.slug]),
    }


def _indicator_or_404(v: Viewer, slug: str) -> Indicator:
    ind = selectors.indicator_get_or_none(viewer=v, slug=slug)
    if ind is None:
        raise ApiError(404, f"No indicator '{slug}'.", title="Not found")
    return ind


def _study_or_404(v: Viewer, slug: str) -> Study:
    study = selectors.study_get_or_none(viewer=v, slug=slug)
    if study is None:
        raise ApiError(404, f"No study '{slug}'.", title="Not found")
    return study


@_op("get", "/indicators", ss.IndicatorPage, "listIndicators", "List indicators")
def list_indicators(request: HttpRequest, query: Query[ss.StrategyPageQuery]) -> dict[str, Any]:
    qs = selectors.indicator_list(viewer(request))
    return paginate(request, qs, query, lambda rows: [_indicator_out(i) for i in rows])


@_op(
    "get",
    "/indicators/{slug}/trends",
    ss.TrendList,
    "listIndicatorTrends",
    "Trends of an indicator per region",
)
def indicator_trends(request: HttpRequest, slug: str, query: Query[ss.TrendQuery]) -> dict[str, Any]:
    """Theil-Sen slope with 95% interval, Mann-Kendall test, projection to the target year and the
    verdict, for every region with observations (or `region`), in ranking order."""
    ind = _indicator_or_404(viewer(request), slug)
    trends = selectors.trend_ranking(ind, selectors.indicator_trends(ind, region_code=query.region))
    results = []
    for rank, item in enumerate(trends, start=1):
        t = item["trend"]
        d = t.as_dict()
        d.pop("first_year"), d.pop("last_year"), d.pop("last_value")
        results.append(
            {
                **d,
                "region": item["region"].code,
                "region_name": item["region"].name,
                "rank": rank,
                "observations": [
                    {"year": o.year, "value": o.value, "source": o.source, "note": o.note}
                    for o in item["observations"]
                ],
                "url": reverse("strategy:indicator", args=[ind.slug]) + f"?gebied={item['region'].code}",
            }
        )
    return {"indicator": _indicator_out(ind), "results": results}


def _study_out(s: Study) -> dict[str, Any]:
    return {
        "slug": s.slug,
        "name": s.name,
        "region": s.region.code,
        "units": getattr(s, "n_units", None) or s.units.count(),
        "is_synthetic": s.is_synthetic,
        "url": reverse("strategy:study", args=[s.slug]),
    }


@_op("get", "/studies", ss.StudyPage, "listStudies", "List scenario studies")
def list_studies(request: HttpRequest, query: Query[ss.StrategyPageQuery]) -> dict[str, Any]:
    qs = selectors.study_list(viewer(request))
    return paginate(request, qs, query, lambda rows: [_study_out(s) for s in rows])


def _run_out(run: SolveRun, variant_slug: str) -> dict[str, Any]:
    summary = run.summary or {}
    return {
        "id": run.pk,
        "variant": variant_slug,
        "method": run.method,
        "status": run.status,
        "progress": run.progress,
        "input_hash": run.input_hash,
        "objective": run.objective,
        "seconds": run.seconds,
        "error": run.error,
        "claims": summary.get("claims", []),
        "conflicts": summary.get("conflicts", []),
        "url": f"{API_ROOT}/runs/{run.pk}",
        "result_url": reverse("strategy:result", args=[run.input_hash])
        if run.status == SolveRun.Status.DONE
        else None,
    }


@_op("get", "/studies/{slug}", ss.StudyDetail, "getStudy", "Get a scenario study with its variants")
def get_study(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Claims, compatibility table and variants, each variant with its latest run (results per claim)."""
    study = _study_or_404(viewer(request), slug)
    variants = []
    for item in selectors.study_variants(study):
        v, run = item["variant"], item["latest"]
        variants.append(
            {
                "slug": v.slug,
                "name": v.name,
                "description": v.description,
                "changes": v.changes,
                "latest_run": _run_out(run, v.slug) if run else None,
            }
        )
    return {
        **_study_out(study),
        "description": study.description,
        "claims": [
            {"use": c.land_use, "wantedHa": c.wanted_ha, "minimumHa": c.minimum_ha, "priority": c.priority}
            for c in study.claims.all()
        ],
        "compatibilities": [
            {"useA": p.use_a, "useB": p.use_b, "fraction": p.fraction} for p in study.compatibilities.all()
        ],
        "variants": variants,
    }


@_op(
    "post",
    "/studies/{slug}/variants/{variant}/runs",
    {201: ss.RunOut, 200: ss.RunOut},
    "createRun",
    "Solve a variant",
)
def create_run(
    request: HttpRequest, slug: str, variant: str, payload: ss.RunIn, response: HttpResponse
) -> Any:
    """Start a solve (in the background with a worker). Inputs are hashed: when the same inputs were
    solved before with the same method, that run is answered (200) instead of a new one (201).
    Impossible inputs answer 422 naming the field (e.g. a claim larger than all suitable land)."""
    v = viewer(request)
    study = _study_or_404(v, slug)
    var = selectors.variant_for(study, variant)
    if var is None:
        raise ApiError(404, f"No variant '{variant}'.", title="Not found")
    before = selectors.run_count(var)
    try:
        run = solve_request(viewer=v, variant=var, method=payload.method)
    except StrategyError as exc:
        raise _problem(exc) from None
    run.refresh_from_db()
    body = _run_out(run, var.slug)
    if selectors.run_count(var) == before:
        return Status(200, body)
    return created(request, response, f"{API_ROOT}/runs/{run.pk}", body)


def _run_or_404(v: Viewer, pk: int) -> SolveRun:
    run = selectors.run_get_or_none(viewer=v, pk=pk)
    if run is None:
        raise ApiError(404, f"No run {pk}.", title="Not found")
    return run


@_op("get", "/runs/{run}", ss.RunOut, "getRun", "Get a solve run (progress and results)")
def get_run(request: HttpRequest, run: IdPath) -> dict[str, Any]:
    found = _run_or_404(viewer(request), run)
    return _run_out(found, found.variant.slug)


@_op("post", "/runs/{run}/cancel", ss.RunOut, "cancelRun", "Cancel a queued or running solve")
def cancel_run(request: HttpRequest, run: IdPath) -> dict[str, Any]:
    """409 when the run has already finished."""
    v = viewer(request)
    found = _run_or_404(v, run)
    try:
        found = run_cancel(viewer=v, run=found)
    except StrategyError as exc:
        raise _problem(exc) from None
    return _run_out(found, found.variant.slug)


def _target_out(t: Target) -> dict[str, Any]:
    return {
        "id": t.pk,
        "region": t.region.code,
        "region_name": t.region.name,
        "year": t.year,
        "value": t.value,
        "note": t.note,
    }


@_op(
    "get", "/indicators/{slug}/targets", list[ss.TargetOut], "listIndicatorTargets", "Targets of an indicator"
)
def list_targets(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    ind = selectors.indicator_get(viewer(request), slug)
    return [_target_out(t) for t in selectors.indicator_targets(ind)]


@_op(
    "post",
    "/indicators/{slug}/targets",
    {201: ss.TargetOut},
    "setIndicatorTarget",
    "Set the target of an area for a year",
)
def set_target(request: HttpRequest, slug: str, payload: ss.TargetIn, response: HttpResponse) -> Status:
    """For those who may change the indicator. A target for the same area and year is replaced."""
    from plek.strategy.forms import TargetForm
    from plek.strategy.services import target_save

    v = viewer(request)
    ind = selectors.indicator_get(v, slug)
    target = target_save(viewer=v, indicator=ind, form=TargetForm(data=payload.model_dump()))
    return created(
        request, response, f"{API_ROOT}/indicators/{slug}/targets/{target.pk}", _target_out(target)
    )


@_op("get", "/indicators/{slug}/targets/{target}", ss.TargetOut, "getIndicatorTarget", "One target")
def get_target(request: HttpRequest, slug: str, target: IdPath) -> dict[str, Any]:
    v = viewer(request)
    return _target_out(selectors.target_get(v, selectors.indicator_get(v, slug), target))


@_op.delete("/indicators/{slug}/targets/{target}", "deleteIndicatorTarget", "Remove a target")
def delete_target(request: HttpRequest, slug: str, target: IdPath) -> Status:
    from plek.strategy.services import target_delete

    v = viewer(request)
    found = selectors.target_get(v, selectors.indicator_get(v, slug), target)
    target_delete(viewer=v, target=found)
    return deleted()
