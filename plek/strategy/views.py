"""Pages for indicators, trends, scenario studies, variants and results."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from plek.atlas.boundaries import ATTRIBUTION
from plek.core.numbers import fmt_number
from plek.strategy import charts, selectors
from plek.strategy.errors import Forbidden, StrategyError
from plek.strategy.models import Indicator, LandUse, SolveRun, Study
from plek.strategy.permissions import can_change, can_create, viewer_for
from plek.strategy.services import (
    observations_import,
    run_cancel,
    solve_request,
    statline_import,
    units_import,
)
from plek.strategy.trends import OFF_TRACK, ON_TRACK


def _verdict_label(verdict: str) -> str:
    return {
        ON_TRACK: _("op koers"),
        OFF_TRACK: _("niet op koers"),
        "no_target": _("geen doel"),
        "too_short": _("te korte reeks"),
    }.get(verdict, verdict)


def _indicator(request: HttpRequest, slug: str) -> tuple[Any, Indicator]:
    viewer = viewer_for(request.user)
    return viewer, selectors.indicator_get(viewer, slug)


def _study(request: HttpRequest, slug: str) -> tuple[Any, Study]:
    viewer = viewer_for(request.user)
    return viewer, selectors.study_get(viewer, slug)


def home(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    return render(
        request,
        "strategy/home.html",
        {
            "indicators": list(selectors.indicator_list(viewer)),
            "studies": list(selectors.study_list(viewer)),
            "can_create": can_create(viewer),
        },
    )


def _trend_rows(trend: Any, unit: str) -> list[tuple[str, str]]:
    def f(v: float | None, digits: int = 3) -> str:
        return "-" if v is None else fmt_number(v, digits)

    mk = trend.mann_kendall
    return [
        (_("Aantal jaren"), fmt_number(trend.n, 0)),
        (_("Theil-Sen-helling per jaar"), f"{f(trend.slope)} {unit}"),
        (_("95%-betrouwbaarheidsinterval helling"), f"{f(trend.slope_low)} - {f(trend.slope_high)}"),
        (_("Mann-Kendall S"), fmt_number(mk.s, 0) if mk else "-"),
        (_("Mann-Kendall p-waarde"), f(mk.p, 4) if mk else "-"),
        (
            _("Trend (Mann-Kendall, alfa = 0,05)"),
            {"increasing": _("stijgend"), "decreasing": _("dalend"), "none": _("geen significante trend")}[
                mk.trend
            ]
            if mk
            else "-",
        ),
        (
            _("Doel"),
            "-" if trend.target_year is None else f"{f(trend.target_value, 1)} {unit} ({trend.target_year})",
        ),
        (
            _("Projectie naar doeljaar"),
            "-"
            if trend.projected is None
            else f"{f(trend.projected, 1)} ({f(trend.projected_low, 1)} - {f(trend.projected_high, 1)})",
        ),
        (_("Oordeel"), _verdict_label(trend.verdict)),
    ]


def indicator_detail(request: HttpRequest, slug: str) -> HttpResponse:
    _viewer, ind = _indicator(request, slug)
    regions = selectors.indicator_regions(ind)
    code = request.GET.get("gebied") or (regions[0].code if regions else "")
    rows = selectors.indicator_trends(ind, region_code=code) if code else []
    if code and not rows:
        raise Http404(code)
    ctx: dict[str, Any] = {
        "indicator": ind,
        "regions": regions,
        "code": code,
        "item": rows[0] if rows else None,
    }
    if rows:
        item = rows[0]
        title = _("%(name)s in %(region)s met trendlijn en doel") % {
            "name": ind.name,
            "region": item["region"].name,
        }
        ctx["chart"] = charts.series_chart(
            [o.year for o in item["observations"]],
            [o.value for o in item["observations"]],
            item["trend"],
            ind.unit,
            title,
        )
        ctx["chart_title"] = title
        ctx["stats"] = _trend_rows(item["trend"], ind.unit)
        ctx["verdict"] = _verdict_label(item["trend"].verdict)
        ctx["cite_url"] = request.build_absolute_uri(
            reverse("strategy:indicator", args=[ind.slug]) + f"?gebied={code}"
        )
    return render(request, "strategy/indicator.html", ctx)


def indicator_compare(request: HttpRequest, slug: str) -> HttpResponse:
    _viewer, ind = _indicator(request, slug)
    ranking = selectors.trend_ranking(ind, selectors.indicator_trends(ind))
    for r in ranking:
        r["verdict_label"] = _verdict_label(r["trend"].verdict)
    title = _("%(name)s per gebied (kleine veelvouden)") % {"name": ind.name}
    years = sorted({o.year for r in ranking for o in r["observations"]})
    table = [{"region": r["region"], "values": {o.year: o.value for o in r["observations"]}} for r in ranking]
    for t in table:
        t["cells"] = [t["values"].get(y) for y in years]
    return render(
        request,
        "strategy/compare.html",
        {
            "indicator": ind,
            "ranking": ranking,
            "chart": charts.small_multiples(ranking, ind.unit, title),
            "chart_title": title,
            "years": years,
            "table": table,
        },
    )


@require_http_methods(["GET", "POST"])
def indicator_import(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not can_create(viewer):
        return render(
            request,
            "403.html",
            {"reason": _("Alleen leden van een kennishub mogen gegevens importeren.")},
            status=403,
        )
    indicators = list(selectors.indicator_list(viewer))
    ctx: dict[str, Any] = {
        "indicators": indicators,
        "errors": [],
        "field_error": "",
        "report": None,
        "indicator_slug": request.GET.get("indicator", ""),
    }
    status = 200
    if request.method == "POST":
        layout = request.POST.get("layout", "long")
        ctx["layout"] = layout
        upload = request.FILES.get("file")
        ind = next((i for i in indicators if i.slug == request.POST.get("indicator")), None)
        ctx["indicator_slug"] = ind.slug if ind else ""
        if upload is None:
            ctx["field_error"] = _("Kies een bestand.")
            status = 400
        else:
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                text = None
                ctx["field_error"] = _("Het bestand is geen UTF-8-tekst.")
                status = 400
            if text is not None:
                try:
                    if layout == "statline":
                        ctx["measure"] = request.POST.get("measure", "")[:100]
                        if ind is None:
                            raise StrategyError(
                                _("Kies de indicator voor een StatLine-bestand."), field="indicator"
                            )
                        report = statline_import(
                            viewer=viewer, text=text, indicator=ind, measure=ctx["measure"]
                        )
                    else:
                        report = observations_import(viewer=viewer, text=text, layout=layout, indicator=ind)
                except Forbidden as exc:
                    return render(request, "403.html", {"reason": exc.message}, status=403)
                except StrategyError as exc:
                    ctx["field_error"] = exc.message
                    status = 400
                else:
                    if report.errors:
                        ctx["errors"] = report.errors
                        status = 400
                    else:
                        ctx["report"] = report
    return render(request, "strategy/import.html", ctx, status=status)


def study_detail(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, study = _study(request, slug)
    variants = selectors.study_variants(study)
    return render(
        request,
        "strategy/study.html",
        {
            "study": study,
            "variants": variants,
            "claims": list(study.claims.all()),
            "compatibilities": list(study.compatibilities.all()),
            "can_change": can_change(viewer, study),
            "n_units": study.n_units,  # type: ignore[attr-defined]  # annotated by study_get
        },
    )


def _use_label(code: str) -> str:
    return str(LandUse(code).label) if code in LandUse.values else code


def _option_label(code: str) -> str:
    return " + ".join(_use_label(part) for part in code.split("+")) if code and code != "-" else "-"


def _labelled(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(c, label=_use_label(c["use"])) for c in claims]


def _outlines(study: Study, shaped: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Municipal borders around the land units (context for the map): those of the study's area
    whose bounding box meets the units' bounding box. Two queries."""
    from plek.atlas import geo
    from plek.atlas.selectors import region_municipalities_shaped

    try:
        boxes = [geo.bbox(c["geometry"]) for c in shaped]
    except (ValueError, TypeError, KeyError, IndexError):
        return []
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    out = []
    for region in region_municipalities_shaped(study.region):
        bx0, by0, bx1, by1 = geo.bbox(region.geometry)
        if bx1 < x0 or bx0 > x1 or by1 < y0 or by0 > y1:
            continue
        out.append(
            {
                "type": "Feature",
                "geometry": region.geometry,
                "properties": {"outline": True, "name": region.name},
            }
        )
    return out


def _result_context(request: HttpRequest, study: Study, run: SolveRun) -> dict[str, Any]:
    claims = _labelled(run.summary.get("claims", []))
    title = _("Vervulling per claim (%)")
    cells, transitions = selectors.change_map(study, run)
    map_title = _("Veranderkaart: toegewezen gebruik per eenheid")
    shaped = [c for c in cells if c["geometry"]]
    has_xy = not shaped and any(c["x"] is not None for c in cells)
    options = sorted({c["new"] for c in shaped})
    colour = {o: charts.PALETTE[i % len(charts.PALETTE)] for i, o in enumerate(options)}
    unit_geojson: dict[str, Any] = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": c["geometry"],
                "properties": {
                    "name": c["code"],
                    "label": _option_label(c["new"]),
                    "colour": colour[c["new"]],
                    "value": None,
                },
            }
            for c in shaped
        ],
    }
    if shaped:
        unit_geojson["features"] = _outlines(study, shaped) + unit_geojson["features"]
    for c in cells:
        c.pop("geometry", None)
    cite_url = request.build_absolute_uri(reverse("strategy:result", args=[run.input_hash]))
    return {
        "run": run,
        "claims": claims,
        "conflicts": [
            dict(c, use=_use_label(c["use"]), lost_to=_use_label(c["lost_to"]))
            for c in run.summary.get("conflicts", [])
        ],
        "chart": charts.fulfilment_chart(claims, title),
        "chart_title": title,
        "map": charts.change_map_chart(cells, map_title, "new") if has_xy else None,
        "map_title": map_title,
        "unit_map": json.dumps(unit_geojson) if shaped else None,
        "unit_map_outlines": shaped and any(f["properties"].get("outline") for f in unit_geojson["features"]),
        "attribution": ATTRIBUTION,
        "units": [dict(c, current=_use_label(c["current"]), new=_option_label(c["new"])) for c in cells],
        "transitions": [
            dict(t, current=_use_label(t["current"]), new=_option_label(t["new"])) for t in transitions
        ],
        "cite_url": cite_url,
        "cited_by": selectors.result_citations(viewer_for(request.user), run.input_hash),
        "cited_by_shown": True,
    }


def variant_detail(request: HttpRequest, slug: str, variant: str) -> HttpResponse:
    viewer, study = _study(request, slug)
    v = selectors.variant_for(study, variant)
    if v is None:
        raise Http404(variant)
    item = next(i for i in selectors.study_variants(study) if i["variant"].pk == v.pk)
    ctx: dict[str, Any] = {
        "study": study,
        "variant": v,
        "item": item,
        "can_change": can_change(viewer, study),
    }
    if item["done"] is not None:
        run = selectors.run_full(item["done"].pk)
        ctx.update(_result_context(request, study, run))
    return render(request, "strategy/variant.html", ctx)


def result(request: HttpRequest, digest: str) -> HttpResponse:
    run = selectors.run_by_hash(digest)
    if run is None:
        raise Http404(digest)
    _viewer, study = _study(request, run.variant.study.slug)
    item = {"variant": run.variant, "latest": run, "done": run}
    ctx = {"study": study, "variant": run.variant, "item": item, "can_change": False, "permalink": True}
    ctx.update(_result_context(request, study, run))
    return render(request, "strategy/variant.html", ctx)


def variants_compare(request: HttpRequest, slug: str) -> HttpResponse:
    _viewer, study = _study(request, slug)
    rows = selectors.variants_compare(study)
    for r in rows:
        r["claims"] = _labelled(r["claims"])
    uses = [c["use"] for c in rows[0]["claims"]] if rows else []
    flat = [dict(c, variant=r["variant"].name) for r in rows for c in r["claims"]]
    title = _("Vervulling per claim en variant (%)")
    table = []
    for use in uses:
        table.append(
            {"use": use, "cells": [next((c for c in r["claims"] if c["use"] == use), None) for r in rows]}
        )
    return render(
        request,
        "strategy/variants_compare.html",
        {
            "study": study,
            "rows": rows,
            "table": table,
            "chart": charts.fulfilment_chart(flat, title, by_variant=True),
            "chart_title": title,
        },
    )


@require_POST
def variant_solve(request: HttpRequest, slug: str, variant: str) -> HttpResponse:
    viewer, study = _study(request, slug)
    v = selectors.variant_for(study, variant)
    if v is None:
        raise Http404(variant)
    try:
        run = solve_request(viewer=viewer, variant=v, method=request.POST.get("method", SolveRun.Method.FAST))
    except Forbidden as exc:
        return render(request, "403.html", {"reason": exc.message}, status=403)
    except StrategyError as exc:
        return render(
            request,
            "strategy/solve_error.html",
            {"study": study, "variant": v, "message": exc.message},
            status=400,
        )
    return redirect("strategy:run", run.pk)


def _run(request: HttpRequest, pk: int) -> tuple[Any, SolveRun]:
    viewer = viewer_for(request.user)
    return viewer, selectors.run_get(viewer, pk)


def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, run = _run(request, pk)
    template = "strategy/_run.html" if request.headers.get("HX-Request") else "strategy/run.html"
    return render(
        request,
        template,
        {"run": run, "study": run.variant.study, "can_change": can_change(viewer, run.variant.study)},
    )


@require_POST
def run_cancel_view(request: HttpRequest, pk: int) -> HttpResponse:
    viewer, run = _run(request, pk)
    try:
        run_cancel(viewer=viewer, run=run)
    except Forbidden as exc:
        return render(request, "403.html", {"reason": exc.message}, status=403)
    except StrategyError:
        pass  # already finished: the run page says so
    return redirect("strategy:run", run.pk)


@require_http_methods(["GET", "POST"])
def units_import_view(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, study = _study(request, slug)
    if not can_change(viewer, study):
        return render(request, "403.html", {"reason": _("U mag deze studie niet wijzigen.")}, status=403)
    ctx: dict[str, Any] = {"study": study, "errors": [], "field_error": "", "report": None}
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        fmt = request.POST.get("format", "csv")
        if upload is None:
            ctx["field_error"] = _("Kies een bestand.")
            status = 400
        else:
            try:
                report = units_import(
                    viewer=viewer, study=study, text=upload.read().decode("utf-8-sig"), fmt=fmt
                )
            except UnicodeDecodeError:
                ctx["field_error"] = _("Het bestand is geen UTF-8-tekst.")
                status = 400
            except StrategyError as exc:
                ctx["field_error"] = exc.message
                status = 400
            else:
                if report.errors:
                    ctx["errors"] = report.errors
                    status = 400
                else:
                    ctx["report"] = report
    return render(request, "strategy/units_import.html", ctx, status=status)


# ---- authoring ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def study_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """Create (slug None) or edit a study with its claims and combined uses, in one page."""
    from plek.strategy.forms import ClaimFormSet, CompatibilityFormSet, StudyForm
    from plek.strategy.services import study_save

    if slug is None:
        viewer, study = viewer_for(request.user), Study()
        allowed = can_create(viewer)
    else:
        viewer, study = _study(request, slug)
        allowed = can_change(viewer, study)
    if not allowed:
        return render(request, "403.html", {"reason": _("U mag deze studie niet wijzigen.")}, status=403)
    data = request.POST if request.method == "POST" else None
    form = StudyForm(data, instance=study, viewer=viewer)
    claims = ClaimFormSet(data, instance=study, prefix="claims")
    compatibilities = CompatibilityFormSet(data, instance=study, prefix="compat")
    ctx: dict[str, Any] = {
        "study": study if study.pk else None,
        "form": form,
        "claims": claims,
        "compatibilities": compatibilities,
        "error": "",
    }
    status = 200
    if data is not None:
        try:
            saved = study_save(viewer=viewer, form=form, claims=claims, compatibilities=compatibilities)
        except Forbidden as exc:
            return render(request, "403.html", {"reason": exc.message}, status=403)
        except StrategyError as exc:
            ctx["error"] = exc.message
            status = 400
        else:
            return redirect("strategy:study", saved.slug)
    return render(request, "strategy/study_form.html", ctx, status=status)


@require_http_methods(["GET", "POST"])
def variant_edit(request: HttpRequest, slug: str, variant: str | None = None) -> HttpResponse:
    from plek.strategy.forms import VariantForm
    from plek.strategy.services import variant_save

    viewer, study = _study(request, slug)
    if not can_change(viewer, study):
        return render(request, "403.html", {"reason": _("U mag deze studie niet wijzigen.")}, status=403)
    instance = None
    if variant is not None:
        instance = selectors.variant_for(study, variant)
        if instance is None:
            raise Http404(variant)
    data = request.POST if request.method == "POST" else None
    form = VariantForm(data, instance=instance, study=study)
    status = 200
    if data is not None:
        try:
            saved = variant_save(viewer=viewer, study=study, form=form)
        except Forbidden as exc:
            return render(request, "403.html", {"reason": exc.message}, status=403)
        except StrategyError:
            status = 400
        else:
            return redirect("strategy:variant", study.slug, saved.slug)
    return render(
        request,
        "strategy/variant_form.html",
        {"study": study, "variant": instance, "form": form},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def indicator_new(request: HttpRequest) -> HttpResponse:
    from plek.strategy.forms import IndicatorForm
    from plek.strategy.services import indicator_save

    viewer = viewer_for(request.user)
    if not can_create(viewer):
        return render(
            request,
            "403.html",
            {"reason": _("Alleen leden van een kennishub maken indicatoren.")},
            status=403,
        )
    form = IndicatorForm(request.POST or None, viewer=viewer)
    status = 200
    if request.method == "POST":
        try:
            ind = indicator_save(viewer=viewer, form=form)
        except Forbidden as exc:
            return render(request, "403.html", {"reason": exc.message}, status=403)
        except StrategyError:
            status = 400
        else:
            return redirect(reverse("strategy:indicator_import") + f"?indicator={ind.slug}")
    return render(request, "strategy/indicator_form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def indicator_targets(request: HttpRequest, slug: str) -> HttpResponse:
    """An indicator's targets per area and year; who may change the indicator sets and removes them."""
    from plek.strategy.forms import TargetForm
    from plek.strategy.services import target_save

    viewer, ind = _indicator(request, slug)
    may_change = can_change(viewer, ind)
    form = TargetForm(request.POST or None) if may_change else None
    status = 200
    if request.method == "POST":
        if form is None:
            return render(
                request,
                "403.html",
                {"reason": _("U mag de doelen van deze indicator niet wijzigen.")},
                status=403,
            )
        try:
            target = target_save(viewer=viewer, indicator=ind, form=form)
        except Forbidden as exc:
            return render(request, "403.html", {"reason": exc.message}, status=403)
        except StrategyError:
            status = 400
        else:
            return redirect(reverse("strategy:indicator_targets", args=[ind.slug]) + f"#doel-{target.pk}")
    return render(
        request,
        "strategy/targets.html",
        {
            "indicator": ind,
            "targets": selectors.indicator_targets(ind),
            "form": form,
            "may_change": may_change,
        },
        status=status,
    )


@require_POST
def target_delete_view(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    from plek.strategy.services import target_delete

    viewer, ind = _indicator(request, slug)
    target = selectors.target_get(viewer, ind, pk)
    try:
        target_delete(viewer=viewer, target=target)
    except Forbidden as exc:
        return render(request, "403.html", {"reason": exc.message}, status=403)
    return redirect("strategy:indicator_targets", slug=ind.slug)
