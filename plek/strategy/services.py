"""Writes of the strategy app: imports, solves and cancelling. Every write checks permission here,
validates everything before saving anything (an import is all or nothing) and leaves a history row."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from plek.atlas.models import Region
from plek.core.history import history_record
from plek.strategy.errors import Forbidden, StrategyError
from plek.strategy.models import Indicator, LandUnit, LandUse, Observation, SolveRun, Study, Target, Variant
from plek.strategy.permissions import Viewer, can_change, can_create
from plek.strategy.puzzle.model import PuzzleError
from plek.strategy.solving import solve_execute as solve_execute
from plek.strategy.solving import study_problem
from plek.strategy.tasks import solve_run

USES = {c.value for c in LandUse}
MAX_ERRORS = 50


# ---- indicators -----------------------------------------------------------------------------------


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _number(text: str) -> float:
    value = (
        float(text.strip().replace(",", ".")) if re.fullmatch(r"\s*-?\d+([.,]\d+)?\s*", text) else math.nan
    )
    if not math.isfinite(value):
        raise ValueError(text)
    return value


YEAR = re.compile(r"^(\d{4})(JJ00)?$")  # 2021 or StatLine's 2021JJ00


def observations_import(
    *, viewer: Viewer, text: str, layout: str, indicator: Indicator | None = None, source: str = ""
) -> ImportReport:
    """Import observations (and targets) from CSV.

    long:  indicator,region,year,value[,source][,note][,kind]  (kind "target" makes a target)
    wide:  region,<year>,<year>,...  (StatLine-like, years as 2021 or 2021JJ00; one indicator)
    Every line is checked first; with any error nothing is saved and the report lists the lines."""
    report = ImportReport()
    if layout not in ("long", "wide"):
        raise StrategyError(_("Onbekend formaat."), field="layout")
    if layout == "wide" and indicator is None:
        raise StrategyError(_("Kies de indicator voor een breed bestand."), field="indicator")
    sample = text[:2048]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    rows = list(csv.reader(io.StringIO(text), dialect))
    if len(rows) < 2:
        raise StrategyError(_("Het bestand heeft geen regels onder de kop."), field="file")
    head = [h.strip().lower() for h in rows[0]]
    regions = {r.code.upper(): r for r in Region.objects.only("id", "code")}
    indicators = {i.slug: i for i in Indicator.objects.all()}
    parsed: list[tuple[str, Indicator, Region, int, float, str, str]] = []

    def err(line: int, message: str) -> None:
        if len(report.errors) < MAX_ERRORS:
            report.errors.append(_("regel %(line)s: %(message)s") % {"line": line, "message": message})

    if layout == "long":
        need = ["indicator", "region", "year", "value"]
        missing = [n for n in need if n not in head]
        if missing:
            raise StrategyError(_("Kolommen ontbreken: %s") % ", ".join(missing), field="file")
        col = {n: head.index(n) for n in head}
        for i, row in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in row):
                continue
            cell = {n: (row[j].strip() if j < len(row) else "") for n, j in col.items()}
            ind = indicators.get(cell["indicator"])
            region = regions.get(cell["region"].upper())
            kind = cell.get("kind", "") or "observation"
            if ind is None:
                err(i, _("onbekende indicator '%s'") % cell["indicator"])
                continue
            if region is None:
                err(i, _("onbekende gebiedscode '%s'") % cell["region"])
                continue
            if not re.fullmatch(r"\d{4}", cell["year"]):
                err(i, _("jaar '%s' is geen jaartal") % cell["year"])
                continue
            try:
                value = _number(cell["value"])
            except ValueError:
                err(i, _("waarde '%s' is geen getal") % cell["value"])
                continue
            if kind not in ("observation", "target"):
                err(i, _("soort '%s' is geen observation of target") % kind)
                continue
            parsed.append(
                (
                    kind,
                    ind,
                    region,
                    int(cell["year"]),
                    value,
                    cell.get("source", "") or source,
                    cell.get("note", ""),
                )
            )
    else:
        assert indicator is not None  # nosec B101 # type narrowing: the form requires it
        if head[0] not in ("region", "gebied", "regioaanduiding", "regio's", "regios"):
            raise StrategyError(_("De eerste kolom moet de gebiedscode zijn (kop 'region')."), field="file")
        years: list[int | None] = []
        for h in rows[0][1:]:
            m = YEAR.match(h.strip())
            years.append(int(m.group(1)) if m else None)
        if not any(years):
            raise StrategyError(_("Geen jaarkolommen gevonden (zoals 2021 of 2021JJ00)."), field="file")
        for i, row in enumerate(rows[1:], start=2):
            if not any(c.strip() for c in row):
                continue
            region = regions.get(row[0].strip().upper())
            if region is None:
                err(i, _("onbekende gebiedscode '%s'") % row[0].strip())
                continue
            for year, raw in zip(years, row[1:], strict=False):
                if year is None or raw.strip() in ("", ".", "-"):
                    continue  # StatLine marks missing values with "."
                try:
                    value = _number(raw)
                except ValueError:
                    err(i, _("waarde '%(v)s' voor %(y)s is geen getal") % {"v": raw.strip(), "y": year})
                    continue
                parsed.append(("observation", indicator, region, year, value, source, ""))
    touched = {ind for _k, ind, *_ in parsed}
    for ind in touched:
        if not can_change(viewer, ind):
            raise Forbidden(_("U mag gegevens van indicator %s niet wijzigen.") % ind.slug)
    if report.errors:
        return report
    with transaction.atomic():
        for kind, ind, region, year, value, src, note in parsed:
            if kind == "target":
                _target, created = Target.objects.update_or_create(
                    indicator=ind, region=region, year=year, defaults={"value": value, "note": note}
                )
            else:
                _observation, created = Observation.objects.update_or_create(
                    indicator=ind,
                    region=region,
                    year=year,
                    period="",
                    defaults={"value": value, "source": src, "note": note},
                )
            if created:
                report.created += 1
            else:
                report.updated += 1
        for ind in touched:
            history_record(
                instance=ind,
                action="import",
                actor=viewer.user,
                changes={"rows": {"old": None, "new": report.created + report.updated}},
            )
    return report


# ---- CBS StatLine (OData JSON) ----------------------------------------------------------------------

STATLINE_PERIOD = re.compile(r"^(\d{4})(JJ00|KW0[1-4]|MM(?:0[1-9]|1[0-2]))$")
STATLINE_REGION = re.compile(r"^[A-Z]{2}[0-9]{2,4}$")  # GM0363, PV27, NL01, CR33, WB05
STATLINE_OK = ("", "None", None)  # ValueAttribute of a plain value; others: Missing, Impossible, ...
STATLINE_MAX_ROWS = 200_000
STATLINE_ALIASES = {"NL01": "NL", "NL00": "NL"}  # StatLine's code for the whole country


def statline_period(code: str) -> tuple[int, str]:
    """'2024JJ00' -> (2024, ''); '2024KW01' -> (2024, 'KW01'); '2024MM03' -> (2024, 'MM03')."""
    m = STATLINE_PERIOD.match(code.strip())
    if not m:
        raise ValueError(code)
    return int(m.group(1)), ("" if m.group(2) == "JJ00" else m.group(2))


def _statline_key(row: dict[str, Any], names: tuple[str, ...], pattern: re.Pattern[str]) -> str | None:
    for name in names:
        if name in row:
            return name
    for key, value in row.items():
        if isinstance(value, str) and pattern.match(value.strip()):
            return key
    return None


def statline_import(
    *, viewer: Viewer, text: str, indicator: Indicator, measure: str = "", source: str = ""
) -> ImportReport:
    """Import one measure of a CBS StatLine table from its OData JSON, all or nothing.

    Two shapes are read: the OData v4 `Observations` (one row per value: Measure, Value,
    ValueAttribute and the dimensions such as RegioS and Perioden) and the `TypedDataSet` (one row per
    region and period, one column per measure). Periods: 2024JJ00 (year), 2024KW01 (quarter),
    2024MM01 (month). Region codes are CBS codes (GM0363, PV27, NL01; spaces around them are dropped).
    Values StatLine marks as missing, impossible or confidential are skipped, not errors."""
    report = ImportReport()
    if not can_change(viewer, indicator):
        raise Forbidden(_("U mag gegevens van indicator %s niet wijzigen.") % indicator.slug)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise StrategyError(_("Het bestand is geen geldige JSON: %s") % exc, field="file") from exc
    rows = doc.get("value") if isinstance(doc, dict) else doc
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise StrategyError(
            _("Geen StatLine-gegevens gevonden: verwacht een lijst 'value' met waarnemingen."), field="file"
        )
    if len(rows) > STATLINE_MAX_ROWS:
        raise StrategyError(
            _("Meer dan %s waarnemingen: splits het bestand.") % STATLINE_MAX_ROWS, field="file"
        )
    first = rows[0]
    observations_shape = "Measure" in first and "Value" in first
    region_key = _statline_key(first, ("RegioS", "Regio", "WijkenEnBuurten", "Gemeenten"), STATLINE_REGION)
    period_key = _statline_key(first, ("Perioden", "Periode"), STATLINE_PERIOD)
    if region_key is None:
        raise StrategyError(_("Geen gebiedskolom gevonden (zoals RegioS met GM0363)."), field="file")
    if period_key is None:
        raise StrategyError(_("Geen periodekolom gevonden (zoals Perioden met 2024JJ00)."), field="file")
    measure = measure.strip()
    if observations_shape:
        found = sorted({str(r.get("Measure", "")).strip() for r in rows} - {""})
        if not measure:
            if len(found) != 1:
                raise StrategyError(
                    _("Het bestand heeft meer dan één maat; kies er een: %s") % ", ".join(found[:20]),
                    field="measure",
                )
            measure = found[0]
        elif measure not in found:
            raise StrategyError(
                _("Maat '%(m)s' komt niet voor; wel: %(found)s")
                % {"m": measure, "found": ", ".join(found[:20])},
                field="measure",
            )
    else:
        skip = {region_key, period_key, "ID", "Id"}
        found = sorted(k for k in first if k not in skip)
        if not measure:
            if len(found) != 1:
                raise StrategyError(
                    _("Het bestand heeft meer dan één maat; kies er een: %s") % ", ".join(found[:20]),
                    field="measure",
                )
            measure = found[0]
        elif measure not in found:
            raise StrategyError(
                _("Maat '%(m)s' komt niet voor; wel: %(found)s")
                % {"m": measure, "found": ", ".join(found[:20])},
                field="measure",
            )
    regions = {r.code.upper(): r for r in Region.objects.only("id", "code")}
    parsed: dict[tuple[int, int, str], tuple[Region, int, str, float]] = {}

    def err(n: int, message: str) -> None:
        if len(report.errors) < MAX_ERRORS:
            report.errors.append(_("waarneming %(n)s: %(message)s") % {"n": n, "message": message})

    for n, row in enumerate(rows, start=1):
        if observations_shape:
            if str(row.get("Measure", "")).strip() != measure:
                continue
            if row.get("ValueAttribute") not in STATLINE_OK:
                continue  # StatLine: missing, impossible or confidential
            raw = row.get("Value")
        else:
            raw = row.get(measure)
        code = str(row.get(region_key) or "").strip().upper()
        region = regions.get(STATLINE_ALIASES.get(code, code))
        if region is None:
            err(n, _("onbekende gebiedscode '%s'") % code)
            continue
        try:
            year, period = statline_period(str(row.get(period_key) or ""))
        except ValueError:
            err(
                n,
                _("periode '%s' is geen jaar, kwartaal of maand (zoals 2024JJ00, 2024KW01, 2024MM01)")
                % row.get(period_key),
            )
            continue
        if raw is None or raw == "" or raw == ".":
            continue  # no value published
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            err(n, _("waarde '%s' is geen getal") % raw)
            continue
        try:
            value = float(raw) if not isinstance(raw, str) else _number(raw)
        except ValueError:
            err(n, _("waarde '%s' is geen getal") % raw)
            continue
        if not math.isfinite(value):
            err(n, _("waarde '%s' is geen getal") % raw)
            continue
        key = (region.pk, year, period)
        if key in parsed:
            err(
                n,
                _("dubbele waarneming voor %(code)s in %(period)s")
                % {"code": code, "period": row.get(period_key)},
            )
            continue
        parsed[key] = (region, year, period, value)
    if report.errors:
        return report
    if not parsed:
        raise StrategyError(_("Het bestand bevat geen waarden voor maat '%s'.") % measure, field="file")
    src = source or _("CBS StatLine, maat %s") % measure
    existing = {
        (o.region_id, o.year, o.period): o
        for o in Observation.objects.filter(indicator=indicator, region_id__in={k[0] for k in parsed})
    }
    with transaction.atomic():
        new, changed = [], []
        for key, (region, year, period, value) in parsed.items():
            old = existing.get(key)
            if old is None:
                new.append(
                    Observation(
                        indicator=indicator, region=region, year=year, period=period, value=value, source=src
                    )
                )
            else:
                old.value, old.source = value, src
                changed.append(old)
        Observation.objects.bulk_create(new, batch_size=2000)
        Observation.objects.bulk_update(changed, ["value", "source"], batch_size=2000)
        report.created, report.updated = len(new), len(changed)
        history_record(
            instance=indicator,
            action="import",
            actor=viewer.user,
            changes={"statline": {"old": None, "new": {"measure": measure, "rows": len(parsed)}}},
        )
    return report


# ---- land units -------------------------------------------------------------------------------------


def units_import(*, viewer: Viewer, study: Study, text: str, fmt: str) -> ImportReport:
    """Replace the land units of a study from CSV or GeoJSON.

    CSV columns: code, area_ha, current_use, suit_<use> (0-1, one per land use), excluded (uses
    separated by ';'), optional x, y. GeoJSON: the same as feature properties, the geometry kept."""
    if not can_change(viewer, study):
        raise Forbidden()
    report = ImportReport()
    records: list[tuple[int, dict[str, Any], Any]] = []
    if fmt == "csv":
        reader = csv.DictReader(io.StringIO(text))
        if not reader.fieldnames or "code" not in reader.fieldnames:
            raise StrategyError(_("Kolom 'code' ontbreekt."), field="file")
        for i, row in enumerate(reader, start=2):
            records.append((i, {k.strip(): (v or "").strip() for k, v in row.items() if k}, None))
    elif fmt == "geojson":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise StrategyError(_("Geen geldige GeoJSON: %s") % exc, field="file") from exc
        feats = data.get("features") if isinstance(data, dict) else None
        if not isinstance(feats, list):
            raise StrategyError(_("GeoJSON zonder 'features'."), field="file")
        for i, f in enumerate(feats, start=1):
            props = f.get("properties") if isinstance(f, dict) else None
            if not isinstance(props, dict):
                report.errors.append(_("object %s: geen properties") % i)
                continue
            records.append((i, {k: "" if v is None else str(v) for k, v in props.items()}, f.get("geometry")))
    else:
        raise StrategyError(_("Onbekend formaat."), field="format")
    units: list[LandUnit] = []
    seen: set[str] = set()
    label = _("regel") if fmt == "csv" else _("object")
    for i, rec, geom in records:
        where = f"{label} {i}"
        code = rec.get("code", "")
        problems = []
        if not code:
            problems.append(_("code ontbreekt"))
        elif code in seen:
            problems.append(_("code %s komt twee keer voor") % code)
        seen.add(code)
        try:
            area = _number(rec.get("area_ha", ""))
            if area <= 0:
                problems.append(_("oppervlakte moet groter dan nul zijn"))
        except ValueError:
            area = 0.0
            problems.append(_("oppervlakte '%s' is geen getal") % rec.get("area_ha", ""))
        current = rec.get("current_use", "")
        if current not in USES:
            problems.append(_("onbekend huidig gebruik '%s'") % current)
        suit: dict[str, float] = {}
        for key, value in rec.items():
            if key.startswith("suit_") and value != "":
                use = key[5:]
                if use not in USES:
                    problems.append(_("onbekend landgebruik '%s'") % use)
                    continue
                try:
                    s = _number(value)
                except ValueError:
                    problems.append(_("geschiktheid %(u)s '%(v)s' is geen getal") % {"u": use, "v": value})
                    continue
                if not 0 <= s <= 1:
                    problems.append(_("geschiktheid %s moet tussen 0 en 1 liggen") % use)
                suit[use] = s
        excluded = [e.strip() for e in rec.get("excluded", "").split(";") if e.strip()]
        for e in excluded:
            if e not in USES:
                problems.append(_("onbekend uitgesloten gebruik '%s'") % e)
        xy: list[float | None] = []
        for k in ("x", "y"):
            try:
                xy.append(_number(rec[k]) if rec.get(k) else None)
            except ValueError:
                problems.append(_("%s is geen getal") % k)
                xy.append(None)
        if geom is not None and xy == [None, None]:
            xy = list(_centroid(geom))
        if problems:
            if len(report.errors) < MAX_ERRORS:
                report.errors.append(f"{where}: " + "; ".join(problems))
            continue
        units.append(
            LandUnit(
                study=study,
                code=code,
                area_ha=area,
                current_use=current,
                suitability=suit,
                excluded=excluded,
                x=xy[0],
                y=xy[1],
                geometry=geom,
            )
        )
    if not units and not report.errors:
        report.errors.append(_("Het bestand bevat geen grondeenheden."))
    if report.errors:
        return report
    with transaction.atomic():
        study.units.all().delete()
        LandUnit.objects.bulk_create(units, batch_size=2000)
        report.created = len(units)
        history_record(
            instance=study,
            action="import",
            actor=viewer.user,
            changes={"units": {"old": None, "new": len(units)}},
        )
    return report


def _centroid(geom: Any) -> tuple[float | None, float | None]:
    pts: list[list[float]] = []

    def walk(c: Any) -> None:
        if isinstance(c, list) and c and isinstance(c[0], (int, float)):
            pts.append([float(c[0]), float(c[1])])
        elif isinstance(c, list):
            for item in c:
                walk(item)

    walk(geom.get("coordinates") if isinstance(geom, dict) else None)
    if not pts:
        return None, None
    arr = np.array(pts)
    return float(arr[:, 0].mean()), float(arr[:, 1].mean())


# ---- studies and solves --------------------------------------------------------------------------


def solve_request(*, viewer: Viewer, variant: Variant, method: str = SolveRun.Method.FAST) -> SolveRun:
    """Start (or reuse) a solve. Same inputs and method give the stored result of the earlier run."""
    study = variant.study
    if not can_change(viewer, study):
        raise Forbidden(_("U mag voor deze studie geen berekening starten."))
    if method not in SolveRun.Method.values:
        raise StrategyError(_("Onbekende methode."), field="method")
    try:
        problem = study_problem(variant)
        problem.validate()
    except PuzzleError as exc:
        raise StrategyError(exc.message, field=exc.field) from exc
    digest = problem.input_hash()
    done = SolveRun.objects.filter(
        input_hash=digest, method=method, status=SolveRun.Status.DONE, variant=variant
    ).first()
    if done is not None:
        return done
    active = SolveRun.objects.filter(
        variant=variant,
        input_hash=digest,
        method=method,
        status__in=[SolveRun.Status.QUEUED, SolveRun.Status.RUNNING],
    ).first()
    if active is not None:
        return active
    with transaction.atomic():
        run = SolveRun.objects.create(
            variant=variant, input_hash=digest, method=method, requested_by=viewer.user
        )
        history_record(
            instance=study,
            action="solve",
            actor=viewer.user,
            changes={"variant": {"old": None, "new": variant.slug}},
        )
        run_id = run.pk
        transaction.on_commit(lambda: solve_run.enqueue(run_id))
    return run


def run_cancel(*, viewer: Viewer, run: SolveRun) -> SolveRun:
    if not can_change(viewer, run.variant.study):
        raise Forbidden(_("U mag deze berekening niet annuleren."))
    if run.status not in (SolveRun.Status.QUEUED, SolveRun.Status.RUNNING):
        raise StrategyError(_("Deze berekening is al afgerond."), field="status", status=409)
    with transaction.atomic():
        SolveRun.objects.filter(pk=run.pk).update(cancel_requested=True)
        if run.status == SolveRun.Status.QUEUED:
            SolveRun.objects.filter(pk=run.pk).update(status=SolveRun.Status.CANCELLED)
        history_record(instance=run.variant.study, action="cancel", actor=viewer.user)
    run.refresh_from_db()
    return run


def _form_errors(*forms_: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for f in forms_:
        if hasattr(f, "forms"):  # a formset
            for i, sub in enumerate(f.forms):
                for name, errs in sub.errors.items():
                    errors[f"{f.prefix}-{i}-{name}"] = [str(e) for e in errs]
            for e in f.non_form_errors():
                errors.setdefault(f.prefix, []).append(str(e))
        else:
            for name, errs in f.errors.items():
                errors[name] = [str(e) for e in errs]
    return errors


def study_save(*, viewer: Viewer, form: Any, claims: Any, compatibilities: Any) -> Study:
    """Create or update a study with its claims and combined uses, all or nothing."""
    from plek.atlas.services import unique_slug

    study: Study = form.instance
    creating = study.pk is None
    if creating and not can_create(viewer):
        raise Forbidden(_("Alleen leden van een kennishub maken scenariostudies."))
    if not creating and not can_change(viewer, study):
        raise Forbidden(_("U mag deze studie niet wijzigen."))
    valid = form.is_valid()
    claims.instance = compatibilities.instance = study
    valid = claims.is_valid() and valid
    valid = compatibilities.is_valid() and valid
    if valid:
        uses = [
            f.cleaned_data["land_use"]
            for f in claims.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("land_use")
        ]
        if len(uses) != len(set(uses)):
            raise StrategyError(_("Elk landgebruik heeft hoogstens één claim."), field="claims")
        pairs = [
            (f.cleaned_data["use_a"], f.cleaned_data["use_b"])
            for f in compatibilities.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and f.cleaned_data.get("use_a")
        ]
        if len(pairs) != len(set(pairs)):
            raise StrategyError(_("Elke combinatie staat er hoogstens één keer in."), field="compatibilities")
    if not valid:
        raise StrategyError(
            _("Controleer de gemarkeerde velden."),
            field="form",
            errors=_form_errors(form, claims, compatibilities),
        )
    with transaction.atomic():
        obj: Study = form.save(commit=False)
        if creating:
            obj.slug = unique_slug(Study, obj.name, max_length=70)
            obj.created_by = viewer.user
            if obj.owner_hub_id is None and len(viewer.hub_ids) == 1:
                obj.owner_hub_id = next(iter(viewer.hub_ids))
        obj.save()
        claims.instance = compatibilities.instance = obj
        claims.save()
        compatibilities.save()
        history_record(
            instance=obj,
            action="create" if creating else "update",
            actor=viewer.user,
            changes={
                "claims": {"old": None, "new": sorted(obj.claims.values_list("land_use", flat=True))},
                "compatibilities": {"old": None, "new": obj.compatibilities.count()},
            },
        )
    return obj


def variant_save(*, viewer: Viewer, study: Study, form: Any) -> Variant:
    """Create or update a variant of a study from its form (name, description, claim changes, exclusions)."""
    from plek.atlas.services import unique_slug

    if not can_change(viewer, study):
        raise Forbidden(_("U mag deze studie niet wijzigen."))
    if not form.is_valid():
        raise StrategyError(_("Controleer de gemarkeerde velden."), field="form")
    with transaction.atomic():
        variant: Variant = form.save(commit=False)
        creating = variant.pk is None
        variant.study = study
        variant.changes = form.changes()
        if creating:
            base = unique_slug(Variant, variant.name, max_length=70)
            slug, n = base, 2
            while Variant.objects.filter(study=study, slug=slug).exists():
                slug, n = f"{base}-{n}", n + 1
            variant.slug = slug
        variant.save()
        history_record(
            instance=study,
            action="variant",
            actor=viewer.user,
            changes={"variant": {"old": None, "new": {"slug": variant.slug, "changes": variant.changes}}},
        )
    return variant


def indicator_save(*, viewer: Viewer, form: Any) -> Indicator:
    """Create or update an indicator from its form; observations and targets come by import."""
    from plek.atlas.services import unique_slug

    indicator: Indicator = form.instance
    creating = indicator.pk is None
    if creating and not can_create(viewer):
        raise Forbidden(_("Alleen leden van een kennishub maken indicatoren."))
    if not creating and not can_change(viewer, indicator):
        raise Forbidden(_("U mag deze indicator niet wijzigen."))
    if not form.is_valid():
        raise StrategyError(_("Controleer de gemarkeerde velden."), field="form")
    with transaction.atomic():
        obj: Indicator = form.save(commit=False)
        if creating:
            obj.slug = unique_slug(Indicator, obj.name, max_length=70)
            obj.created_by = viewer.user
            if obj.owner_hub_id is None and len(viewer.hub_ids) == 1:
                obj.owner_hub_id = next(iter(viewer.hub_ids))
        obj.save()
        history_record(instance=obj, action="create" if creating else "update", actor=viewer.user)
    return obj


def target_save(*, viewer: Viewer, indicator: Indicator, form: Any) -> Target:
    """Set an indicator's target for an area and year from its form; one already set for that area and
    year is replaced (its old value stays in the history)."""
    if not can_change(viewer, indicator):
        raise Forbidden(_("U mag de doelen van deze indicator niet wijzigen."))
    if not form.is_valid():
        errors = {name: [str(m) for m in messages] for name, messages in form.errors.items()}
        raise StrategyError(_("Controleer de gemarkeerde velden."), field="form", errors=errors)
    data = form.cleaned_data
    with transaction.atomic():
        old = (
            Target.objects.select_for_update()
            .filter(indicator=indicator, region=data["region"], year=data["year"])
            .first()
        )
        target, _created = Target.objects.update_or_create(
            indicator=indicator,
            region=data["region"],
            year=data["year"],
            defaults={"value": data["value"], "note": data.get("note") or ""},
        )
        changes: dict[str, Any] = {
            "target": {"old": None, "new": f"{target.region.code} {target.year}: {target.value:g}"}
        }
        if old is not None:
            changes["target"]["old"] = f"{old.region.code} {old.year}: {old.value:g}"
        history_record(instance=indicator, action="update", actor=viewer.user, changes=changes)
    return target


def target_delete(*, viewer: Viewer, target: Target) -> None:
    indicator = target.indicator
    if not can_change(viewer, indicator):
        raise Forbidden(_("U mag de doelen van deze indicator niet wijzigen."))
    with transaction.atomic():
        label = f"{target.region.code} {target.year}: {target.value:g}"
        target.delete()
        history_record(
            instance=indicator,
            action="update",
            actor=viewer.user,
            changes={"target": {"old": label, "new": None}},
        )
