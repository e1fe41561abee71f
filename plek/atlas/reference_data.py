"""Loads the official reference set (regions, themes, national programmes) into the Atlas.

Idempotent: rows are matched on their code or slug, so running it again updates in place."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from plek.atlas.models import (
    Milestone,
    Programme,
    ProgrammeBudget,
    ProgrammeStatusChange,
    Region,
    RegionContainment,
    Theme,
)
from plek.core.models import Scale

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

# slug, parent slug, Dutch label, English label
THEMES: list[tuple[str, str | None, str, str]] = [
    ("wonen", None, "Wonen", "Housing"),
    ("woningbouw", "wonen", "Woningbouw", "Housing construction"),
    ("wonen-en-zorg", "wonen", "Wonen en zorg", "Housing and care"),
    ("water-bodem", None, "Water en bodem", "Water and soil"),
    ("waterberging", "water-bodem", "Waterberging", "Water storage"),
    ("bodemdaling", "water-bodem", "Bodemdaling en veenweide", "Land subsidence and peat meadows"),
    ("waterkwaliteit", "water-bodem", "Waterkwaliteit", "Water quality"),
    ("klimaatadaptatie", None, "Klimaatadaptatie", "Climate adaptation"),
    ("hitte-droogte", "klimaatadaptatie", "Hitte en droogte", "Heat and drought"),
    ("biodiversiteit-natuur", None, "Biodiversiteit en natuur", "Biodiversity and nature"),
    ("stikstof", None, "Stikstof", "Nitrogen"),
    ("energie", None, "Duurzaam energiesysteem", "Sustainable energy system"),
    ("wind-zon", "energie", "Wind en zon op land", "Onshore wind and solar"),
    ("warmtetransitie", "energie", "Warmtetransitie", "Heat transition"),
    ("netcongestie", "energie", "Netcongestie", "Grid congestion"),
    ("circulaire-landbouw", None, "Circulaire landbouw", "Circular agriculture"),
    ("circulaire-economie", None, "Circulaire economie", "Circular economy"),
    ("duurzame-industrie", None, "Duurzame industrie", "Sustainable industry"),
    ("leefbaarheid", None, "Leefbaarheid en brede welvaart", "Liveability and broad prosperity"),
    ("bereikbaarheid", None, "Bereikbaarheid", "Accessibility and mobility"),
    ("economie", None, "Regionale economie", "Regional economy"),
    ("landschap", None, "Landschap en ruimtelijke kwaliteit", "Landscape and spatial quality"),
    ("defensie", None, "Defensie en ruimte", "Defence and space"),
    # How regions work rather than what about: a third of real knowledge questions (issue 15).
    ("samenwerking-governance", None, "Samenwerking en governance", "Collaboration and governance"),
    ("uitvoeringskracht", None, "Uitvoeringskracht", "Capacity to deliver"),
    ("kennis-leren", None, "Kennis en leren", "Knowledge and learning"),
    ("financiering", None, "Financiering en verdienmodellen", "Funding and business models"),
    ("participatie", None, "Participatie", "Participation"),
]


def _read(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _verified(text: str) -> bool:
    low = text.lower()
    return not (low.strip() == "no" or low.startswith("no ") or "unverified" in low or "verify" in low)


@transaction.atomic
def themes_load() -> int:
    for position, (slug, parent_slug, nl, en) in enumerate(THEMES):
        parent = Theme.objects.get(slug=parent_slug) if parent_slug else None
        Theme.objects.update_or_create(
            slug=slug, defaults={"label_nl": nl, "label_en": en, "parent": parent, "position": position}
        )
    return len(THEMES)


def _region(code: str, **values: Any) -> Region:
    region, _ = Region.objects.update_or_create(code=code, defaults=values)
    return region


def _contain(
    parent: Region, child: Region, *, verified: bool = True, kind: str = "contains", source: str = ""
) -> None:
    RegionContainment.objects.update_or_create(
        parent=parent, child=child, defaults={"verified": verified, "kind": kind, "source": source}
    )


@transaction.atomic
def regions_load() -> dict[str, int]:
    cbs, tooi, plek = Region.CodeSystem.CBS, Region.CodeSystem.TOOI, Region.CodeSystem.PLEK
    nl = _region(
        "NL",
        name="Nederland",
        name_en="the Netherlands",
        kind=Region.Kind.COUNTRY,
        scale=Scale.NATIONAL,
        code_system=Region.CodeSystem.ISO,
    )
    provinces: dict[str, Region] = {}
    by_name: dict[str, Region] = {}
    for row in _read("provinces.csv"):
        p = _region(
            row["cbs_code"],
            name=row["name"],
            name_en=row["name_en"],
            kind=Region.Kind.PROVINCE,
            scale=Scale.REGIONAL,
            code_system=cbs,
        )
        provinces[p.code] = p
        by_name[row["name"]] = p
        _contain(nl, p, source="CBS")
    by_name["Friesland"] = by_name["Fryslân"]
    safety: dict[str, Region] = {}
    for row in _read("veiligheidsregios.csv"):
        vr = _region(
            row["vr_code"],
            name=row["name"],
            kind=Region.Kind.SAFETY_REGION,
            scale=Scale.REGIONAL,
            code_system=cbs,
        )
        safety[vr.code] = vr
    municipalities: dict[str, Region] = {}
    for row in _read("municipalities_2025.csv"):
        m = _region(
            row["gm_code"],
            name=row["name"],
            kind=Region.Kind.MUNICIPALITY,
            scale=Scale.LOCAL,
            code_system=cbs,
            valid_from=dt.date(2023, 1, 1),
        )
        municipalities[m.code] = m
        _contain(provinces[row["province_code"]], m, source="CBS")
        if row.get("veiligheidsregio_code") in safety:
            _contain(safety[row["veiligheidsregio_code"]], m, source="CBS")
    for row in _read("waterschappen.csv"):
        ws = _region(
            row["tooi_code"],
            name=row["name"],
            kind=Region.Kind.WATER_BOARD,
            scale=Scale.REGIONAL,
            code_system=tooi,
            code_verified="corroborated" in row["code_verification"],
            verification_note=row["code_verification"][:300],
        )
        for pname in filter(None, (s.strip() for s in row["provinces_indicative_unverified"].split(";"))):
            if pname in by_name:
                _contain(by_name[pname], ws, kind="overlaps", verified=False, source="indicatief")
    res: dict[str, Region] = {}
    for row in _read("res_regions.csv"):
        code = row["cbs_es_code_if_verified"].strip() or "RES-" + slugify(row["name"]).upper()
        r = _region(
            code,
            name=row["name"],
            kind=Region.Kind.RES_REGION,
            scale=Scale.REGIONAL,
            code_system=cbs if code.startswith("ES") else plek,
            code_verified=code.startswith("ES"),
            verification_note=row["note"][:300],
        )
        res[row["name"]] = r
        for pname in filter(None, (s.strip() for s in row["provinces"].split(";"))):
            if pname in by_name:
                _contain(by_name[pname], r, kind="overlaps", verified=False, source="RES-indeling 2020")
    for row in _read("res_memberships.csv"):
        _contain(
            res[row["res_region"]],
            municipalities[row["gm_code"]],
            verified=row["verified"] == "yes",
            source=row["source"][:300],
        )
    for row in _read("novex_areas.csv"):
        n = _region(
            f"NOVEX{int(row['nr']):02d}",
            name=row["name"],
            kind=Region.Kind.NOVEX_AREA,
            scale=Scale.REGIONAL,
            code_system=plek,
            code_verified=False,
            verification_note="Geen officiële code; nummering van PLeK",
        )
        for pname in filter(None, (s.strip() for s in row["provinces_indicative"].split(";"))):
            if pname in by_name:
                _contain(by_name[pname], n, kind="overlaps", verified=False, source="indicatief")
    corop: dict[str, Region] = {}
    for row in _read("corop_regions.csv"):
        corop[row["cr_code"]] = _region(
            row["cr_code"],
            name=row["name"],
            kind=Region.Kind.COROP_REGION,
            scale=Scale.REGIONAL,
            code_system=cbs,
            code_verified=row["verified_in_cbs_excerpt"].strip().lower().startswith("yes"),
            verification_note=row["verified_in_cbs_excerpt"][:300],
        )
    # Every municipality's COROP region (CBS "Gebieden in Nederland", 2024 edition) and RES region
    # (a 2020 third-party list checked against public pages for 13 of 30 regions: unverified); see
    # reference/README.md. A membership res_memberships.csv states keeps its own verification.
    stated = {(row["res_region"], row["gm_code"]) for row in _read("res_memberships.csv")}
    for row in _read("municipality_regions.csv"):
        if row["gm_code"] not in municipalities:
            continue
        m = municipalities[row["gm_code"]]
        if row["corop_code"] in corop:
            _contain(corop[row["corop_code"]], m, source="CBS Gebieden in Nederland 2024 (COROP)")
        if row["res_region"] in res and (row["res_region"], row["gm_code"]) not in stated:
            _contain(
                res[row["res_region"]],
                m,
                verified=False,
                source="RES-indeling 2020 (lijst van derden, niet geverifieerd)",
            )
    return {
        "provinces": len(provinces),
        "municipalities": len(municipalities),
        "safety_regions": len(safety),
        "res_regions": len(res),
    }


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@transaction.atomic
def programmes_load() -> int:
    path = REFERENCE_DIR / "programmes.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    themes = {t.slug: t for t in Theme.objects.all()}
    kinds_regions: dict[str, list[Region]] = {}
    for row in rows:
        programme, _ = Programme.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "abbr": row.get("abbr", ""),
                "name": row["name"],
                "description": row.get("description", ""),
                "lead_ministry": row.get("lead_ministry", "")[:100],
                "partners": row.get("partners", ""),
                "start_year": row.get("start_year"),
                "start_note": (row.get("start_note") or "")[:300],
                "horizon_year": row.get("horizon_year"),
                "horizon_note": (row.get("horizon_note") or "")[:300],
                "knowledge_programme": row.get("knowledge_programme", ""),
                "status": row.get("status", "active"),
                "scale": row.get("scale", "national"),
                "source_url": row.get("source_url", "")[:500],
                "verification": row.get("verification", "verified"),
                "verification_note": (row.get("verification_note") or "")[:300],
            },
        )
        programme.themes.set([themes[s] for s in row.get("themes", []) if s in themes])
        regions: list[Region] = []
        for kind in row.get("region_kinds", []):
            if kind not in kinds_regions:
                kinds_regions[kind] = list(Region.objects.filter(kind=kind))
            # Municipal programmes reach every municipality; that is the same as the country.
            regions.extend(kinds_regions[kind] if kind != "municipality" else [])
        if not regions or "country" in row.get("region_kinds", []):
            regions.extend(Region.objects.filter(code="NL"))
        programme.regions.set(regions)
        programme.milestones.all().delete()
        Milestone.objects.bulk_create(
            Milestone(
                programme=programme,
                date=dt.date.fromisoformat(m["date"]),
                date_precision=m.get("date_precision", "day"),
                kind=m["kind"],
                label=m["label"][:300],
                verified=bool(m.get("verified", True)),
            )
            for m in row.get("milestones", [])
            if _DATE.match(m.get("date", ""))
        )
        programme.status_history.all().delete()
        ProgrammeStatusChange.objects.bulk_create(
            ProgrammeStatusChange(
                programme=programme,
                status=s["status"],
                date=dt.date.fromisoformat(s["date"]),
                date_precision=s.get("date_precision", "day"),
                note=s.get("note", "")[:500],
            )
            for s in row.get("status_history", [])
            if _DATE.match(s.get("date", ""))
        )
        for b in row.get("budgets", []):  # whole-country lines with their source; kept on reload
            ProgrammeBudget.objects.update_or_create(
                programme=programme,
                year=b.get("year"),
                region=None,
                description=b.get("description", "")[:300],
                defaults={
                    "amount_eur": b["amount_eur"],
                    "source": b["source"][:300],
                    "source_url": b.get("source_url", "")[:500],
                    "verified": bool(b.get("verified", False)),
                    "public": True,
                },
            )
    return len(rows)


def reference_load() -> dict[str, int]:
    counts = {"themes": themes_load()}
    counts.update(regions_load())
    if (REFERENCE_DIR / "programmes.json").exists():
        counts["programmes"] = programmes_load()
    return counts
