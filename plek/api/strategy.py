"""API v1 for strategy (see plek/strategy/): indicators and their trends, scenario studies,
variants and solve runs. Reads call the same selectors as the pages; writes (starting and
cancelling a solve) the same services, so the permission rules are the pages' rules."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from ninja import File, Form, Query, Router, UploadedFile
from ninja.responses import Status

from plek.api import strategy_schemas as ss
from plek.api.auth import viewer
from plek.api.common import (
    API_ROOT,
    Operations,
    created,
    deleted,
    paginate,
    validation_problem,
)
from plek.api.errors import ApiError, camel_field
from plek.api.schemas import IdPath
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.forms import current_form_data
from plek.strategy import selectors
from plek.strategy.errors import StrategyError
from plek.strategy.forms import ClaimFormSet, CompatibilityFormSet, IndicatorForm, StudyForm, VariantForm
from plek.strategy.models import Indicator, SolveRun, Study, Target, Variant
from plek.strategy.permissions import Viewer, can_create
from plek.strategy.services import (
    ImportReport,
    indicator_save,
    observations_import,
    run_cancel,
    solve_request,
    statline_import,
    study_save,
    units_import,
    variant_save,
)

router = Router()
_op = Operations(router, tag="strategy", exclude_unset=False)


def _problem(exc: StrategyError) -> ApiError:
    if exc.status == 403:
        return ApiError(403, exc.message, title="Forbidden")
    if exc.status == 409:
        return ApiError(409, exc.message, title="Conflict")
    name = camel_field(exc.field) if exc.field else "body"
    return ApiError(422, exc.message, title="Validation failed", invalid_params={name: exc.message})


def _form_problem(exc: StrategyError, errors: dict[str, list[str]]) -> ApiError:
    """A form the service refused, as a 422 naming each property at fault (as the client sent it);
    a refusal (403) or a conflict (409) as it is."""
    if exc.status != 400 or not errors:
        return _problem(exc)
    return validation_problem(ValidationFailed(errors), {name: name for name in errors})


def _named(errors: Any, prefix: str = "", names: dict[str, str] | None = None) -> dict[str, list[str]]:
    """A form's errors under the client's names: `__all__` as the prefix (or `body`), a field as
    `<prefix>.<camelName>`."""
    out: dict[str, list[str]] = {}
    for field, messages in errors.items():
        if field == "__all__":
            name = prefix or "body"
        else:
            client = (names or {}).get(field, camel_field(field))
            name = f"{prefix}.{client}" if prefix else client
        out.setdefault(name, []).extend(str(m) for m in messages)
    return out


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
    try:
        return selectors.indicator_get(v, slug)
    except Http404:
        raise ApiError(404, f"No indicator '{slug}'.", title="Not found") from None


def _study_or_404(v: Viewer, slug: str) -> Study:
    try:
        return selectors.study_get(v, slug)
    except Http404:
        raise ApiError(404, f"No study '{slug}'.", title="Not found") from None


@_op("get", "/indicators", ss.IndicatorPage, "listIndicators", "List indicators")
def list_indicators(request: HttpRequest, query: Query[ss.StrategyPageQuery]) -> dict[str, Any]:
    qs = selectors.indicator_list(viewer(request))
    return paginate(request, qs, query, lambda rows: [_indicator_out(i) for i in rows])


@_op.create("/indicators", ss.IndicatorOut, "createIndicator", "Define an indicator")
def create_indicator(request: HttpRequest, payload: ss.IndicatorIn, response: HttpResponse) -> Status:
    """Members of a knowledge hub (as on the page); its observations come by import
    (`importIndicatorObservations`)."""
    v = viewer(request)
    data = {k: ("" if val is None else val) for k, val in payload.model_dump().items()}
    form = IndicatorForm(data, viewer=v)
    try:
        ind = indicator_save(viewer=v, form=form)
    except StrategyError as exc:
        raise _form_problem(exc, _named(form.errors)) from None
    return created(request, response, f"{API_ROOT}/indicators/{ind.slug}", _indicator_out(ind))


def _text(upload: UploadedFile) -> str:
    """An uploaded file as text (UTF-8, with or without BOM), as the pages read it."""
    try:
        return upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ApiError(
            422, "The file is not UTF-8 text.", invalid_params={"file": "Not UTF-8 text."}
        ) from None


def _report(report: ImportReport) -> dict[str, Any]:
    """An import's report; with any line in error nothing was saved: 422 naming `file`, one reason
    with every line's error (as the page lists them)."""
    if report.errors:
        reasons = " ".join(report.errors[:200])
        raise ApiError(
            422, "Nothing was imported: lines in the file are wrong.", invalid_params={"file": reasons}
        )
    return {"created": report.created, "updated": report.updated}


@_op.upload(
    "/indicator-observation-imports",
    ss.StrategyImportReportOut,
    "importIndicatorObservations",
    "Import observations and targets of indicators (CSV or StatLine JSON)",
)
def import_observations(
    request: HttpRequest,
    file: File[UploadedFile],
    layout: Form[ss.ImportLayout] = "long",
    indicator: Form[str] = "",
    measure: Form[str] = "",
) -> dict[str, Any]:
    """multipart/form-data, as the import page. `layout`: long (indicator,region,year,value[,source]
    [,note][,kind]), wide (region, then one column per year; needs `indicator`) or statline (CBS
    OData JSON; needs `indicator` and the `measure` to take). All or nothing: any line in error
    answers 422 naming `file` and saves nothing. Members of a knowledge hub, into indicators they
    may change."""
    v = viewer(request)
    if not can_create(v):
        raise PermissionDenied("indicator")
    ind = None
    if indicator:
        try:
            ind = selectors.indicator_get(v, indicator)
        except Http404:
            raise ApiError(
                422, f"No indicator '{indicator}'.", invalid_params={"indicator": "Unknown indicator."}
            ) from None
    text = _text(file)
    try:
        if layout == "statline":
            if ind is None:
                raise StrategyError("Choose the indicator for a StatLine file.", field="indicator")
            report = statline_import(viewer=v, text=text, indicator=ind, measure=measure[:100])
        else:
            report = observations_import(viewer=v, text=text, layout=layout, indicator=ind)
    except StrategyError as exc:
        raise _problem(exc) from None
    return _report(report)


@_op("get", "/indicators/{slug}", ss.IndicatorOut, "getIndicator", "Get an indicator")
def get_indicator(request: HttpRequest, slug: str) -> dict[str, Any]:
    return _indicator_out(_indicator_or_404(viewer(request), slug))


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
        "units": s.n_units,  # type: ignore[attr-defined]  # annotated by study_list / study_get
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


def _variant_out(v: Variant, run: SolveRun | None) -> dict[str, Any]:
    return {
        "slug": v.slug,
        "name": v.name,
        "description": v.description,
        "changes": v.changes,
        "latest_run": _run_out(run, v.slug) if run else None,
    }


def _study_detail(study: Study) -> dict[str, Any]:
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
        "variants": [
            _variant_out(item["variant"], item["latest"]) for item in selectors.study_variants(study)
        ],
    }


@_op("get", "/studies/{slug}", ss.StudyDetail, "getStudy", "Get a scenario study with its variants")
def get_study(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Claims, compatibility table and variants, each variant with its latest run (results per claim)."""
    return _study_detail(_study_or_404(viewer(request), slug))


# ---- authoring studies and variants ----------------------------------------------------------------------

CLAIM_NAMES = {"land_use": "use"}
ROW_FIELDS = ("land_use", "wanted_ha", "minimum_ha", "priority", "use_a", "use_b", "fraction")


def _formset_data(
    prefix: str, existing: list[Any], rows: list[dict[str, Any]] | None, key: Callable[[dict[str, Any]], Any]
) -> dict[str, Any]:
    """Inline formset data that leaves the study with exactly `rows` (None: as it is). A row whose key
    matches a saved one changes it; a saved one without a row is deleted; other rows are added."""
    saved = [{f: getattr(o, f) for f in ROW_FIELDS if hasattr(o, f)} for o in existing]
    pending = list(saved if rows is None else rows)
    forms: list[dict[str, Any]] = []
    for obj, values in zip(existing, saved, strict=True):
        match = next((i for i, row in enumerate(pending) if key(row) == key(values)), None)
        row = pending.pop(match) if match is not None else {**values, "DELETE": "on"}
        forms.append({"id": obj.pk, **row})
    forms.extend(pending)  # new rows (a second row for the same use too: the form refuses it)
    data: dict[str, Any] = {}
    for i, form in enumerate(forms):
        data.update({f"{prefix}-{i}-{k}": ("" if val is None else val) for k, val in form.items()})
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": len(forms),
            f"{prefix}-INITIAL_FORMS": len(existing),
            f"{prefix}-MIN_NUM_FORMS": 0,
            f"{prefix}-MAX_NUM_FORMS": 1000,
        }
    )
    return data


def _formset_errors(formset: Any, prefix: str, names: dict[str, str] | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if not formset.is_bound:
        return out
    for i, errors in enumerate(formset.errors):
        out.update(_named(errors, f"{prefix}.{i}", names))
    if formset.non_form_errors():
        out[prefix] = list(formset.non_form_errors())
    return out


def _save_study(v: Viewer, study: Study, sent: dict[str, Any]) -> Study:
    """The page's study form and its two formsets, filled from what was sent (a PATCH: over the
    current values), saved by the page's service."""
    data = current_form_data(StudyForm(instance=study, viewer=v)) if study.pk else {}
    data.update({k: val for k, val in sent.items() if k not in ("claims", "compatibilities")})
    data = {k: ("" if val is None else val) for k, val in data.items()}
    claims_rows = sent.get("claims")
    if claims_rows is not None:
        claims_rows = [
            {
                "land_use": c["use"],
                "wanted_ha": c["wanted_ha"],
                "minimum_ha": c["minimum_ha"],
                "priority": c["priority"],
            }
            for c in claims_rows
        ]
    existing_claims = list(study.claims.all()) if study.pk else []
    existing_compat = list(study.compatibilities.all()) if study.pk else []
    data.update(_formset_data("claims", existing_claims, claims_rows, lambda r: r["land_use"]))
    data.update(
        _formset_data(
            "compat", existing_compat, sent.get("compatibilities"), lambda r: (r["use_a"], r["use_b"])
        )
    )
    form = StudyForm(data, instance=study, viewer=v)
    claims = ClaimFormSet(data, instance=study, prefix="claims")
    compatibilities = CompatibilityFormSet(data, instance=study, prefix="compat")
    try:
        return study_save(viewer=v, form=form, claims=claims, compatibilities=compatibilities)
    except StrategyError as exc:
        errors = {
            **_named(form.errors),
            **_formset_errors(claims, "claims", CLAIM_NAMES),
            **_formset_errors(compatibilities, "compatibilities"),
        }
        if exc.field and exc.field != "form":
            errors.setdefault(camel_field(exc.field), []).append(exc.message)
        raise _form_problem(exc, errors) from None


@_op.create("/studies", ss.StudyDetail, "createStudy", "Set up a scenario study")
def create_study(request: HttpRequest, payload: ss.StudyIn, response: HttpResponse) -> Status:
    """Members of a knowledge hub. Claims (one per land use) and combined uses come with it; the
    land units by import (`importStudyUnits`)."""
    v = viewer(request)
    study = _save_study(v, Study(), payload.model_dump())
    return created(
        request, response, f"{API_ROOT}/studies/{study.slug}", _study_detail(_study_or_404(v, study.slug))
    )


@_op.update("/studies/{slug}", ss.StudyDetail, "updateStudy", "Change a scenario study")
def update_study(request: HttpRequest, slug: str, payload: ss.StudyPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    """Those who may change it (as on the page). `claims` and `compatibilities`, when sent, are the
    whole new list (a claim is matched by its use); send only what changes."""
    v = viewer(request)
    study = _study_or_404(v, slug)
    sent = payload.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
    for rows in ("claims", "compatibilities"):  # a row sent is whole: its defaults count
        if sent.get(rows) is not None:
            sent[rows] = [row.model_dump() for row in getattr(payload, rows)]
    _save_study(v, study, {k: val for k, val in sent.items() if val is not None})
    return _study_detail(_study_or_404(v, slug))


def _variant_data(variant: Variant | None, sent: dict[str, Any]) -> dict[str, Any]:
    """The variant form's data: name and description, per claimed use its changes and exclusions."""
    changes = (variant.changes or {}) if variant is not None else {}
    data: dict[str, Any] = {"name": variant.name, "description": variant.description} if variant else {}
    claims = changes.get("claims", {}) or {}
    exclude = changes.get("exclude", {}) or {}
    data.update({k: val for k, val in sent.items() if k in ("name", "description")})
    if "claims" in sent:
        claims = {
            use: {k: val for k, val in c.items() if val is not None} for use, c in sent["claims"].items()
        }
    if "exclude" in sent:
        exclude = sent["exclude"]
    for use, change in claims.items():
        for key, value in change.items():
            data[f"{key}__{use}"] = value
    for use, uses in exclude.items():
        data[f"exclude__{use}"] = uses
    return data


def _save_variant(v: Viewer, study: Study, variant: Variant | None, sent: dict[str, Any]) -> Variant:
    form = VariantForm(_variant_data(variant, sent), instance=variant, study=study)
    claimed = {c.land_use for c in form.claims}
    unknown = {f"{group}.{use}": ["Not a land use claimed in this study."]
               for group in ("claims", "exclude") for use in sent.get(group) or {} if use not in claimed}  # fmt: skip
    if unknown:
        raise validation_problem(ValidationFailed(unknown), {k: k for k in unknown})
    try:
        return variant_save(viewer=v, study=study, form=form)
    except StrategyError as exc:
        errors = _named({f: m for f, m in form.errors.items() if "__" not in f.strip("_")})
        for field, messages in form.errors.items():
            key, _sep, use = field.partition("__")
            if use and key:
                name = f"exclude.{use}" if key == "exclude" else f"claims.{use}.{camel_field(key)}"
                errors[name] = [str(m) for m in messages]
        raise _form_problem(exc, errors) from None


@_op.upload(
    "/studies/{slug}/unit-imports",
    ss.StrategyImportReportOut,
    "importStudyUnits",
    "Replace the land units of a scenario study (CSV or GeoJSON)",
)
def import_units(
    request: HttpRequest, slug: str, file: File[UploadedFile], format: Form[ss.UnitsFormat] = "csv"
) -> dict[str, Any]:
    """multipart/form-data, as the study's import page. CSV columns: code, area_ha, current_use,
    suit_<use> (0-1, one per land use), excluded (uses separated by ';'), optional x, y; GeoJSON: the
    same as feature properties. All or nothing (422 naming `file`). Those who may change the study."""
    v = viewer(request)
    study = _study_or_404(v, slug)
    text = _text(file)
    try:
        return _report(units_import(viewer=v, study=study, text=text, fmt=format))
    except StrategyError as exc:
        raise _problem(exc) from None


def _variant_or_404(study: Study, slug: str) -> Variant:
    var = selectors.variant_for(study, slug)
    if var is None:
        raise ApiError(404, f"No variant '{slug}'.", title="Not found")
    return var


@_op.create("/studies/{slug}/variants", ss.VariantOut, "createVariant", "Add a variant to a scenario study")
def create_variant(request: HttpRequest, slug: str, payload: ss.VariantIn, response: HttpResponse) -> Status:
    """Those who may change the study. Per claimed use: a new `wantedHa`, `minimumHa` or `priority`
    (left out: as in the study), and the current uses it may not come on (`exclude`)."""
    v = viewer(request)
    study = _study_or_404(v, slug)
    var = _save_variant(v, study, None, payload.model_dump())
    return created(request, response, f"{API_ROOT}/studies/{slug}", _variant_out(var, None))


@_op.update("/studies/{slug}/variants/{variant}", ss.VariantOut, "updateVariant", "Change a variant")
def update_variant(request: HttpRequest, slug: str, variant: str, payload: ss.VariantPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    """Those who may change the study; `claims` and `exclude`, when sent, replace the variant's."""
    v = viewer(request)
    study = _study_or_404(v, slug)
    found = _variant_or_404(study, variant)
    sent = payload.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
    saved = _save_variant(v, study, found, {k: val for k, val in sent.items() if val is not None})
    latest = next((i["latest"] for i in selectors.study_variants(study) if i["variant"].pk == saved.pk), None)
    return _variant_out(saved, latest)


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
    var = _variant_or_404(study, variant)
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
    try:
        return selectors.run_get(v, pk)
    except Http404:
        raise ApiError(404, f"No run {pk}.", title="Not found") from None


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
