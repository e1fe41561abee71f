"""Boundary import: GeoJSON/TopoJSON features matched to regions on their official code."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from plek.atlas import geo
from plek.atlas.models import Region, RegionContainment


@dataclass
class BoundaryReport:
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)
    without_code: int = 0
    dissolved: list[str] = field(default_factory=list)


@transaction.atomic
def boundaries_import(
    path: Path, *, code_property: str | None = None, tolerance: float = 0.002, dissolve_provinces: bool = True
) -> BoundaryReport:
    """Set Region.geometry from a boundary file; provinces without a shape get the union of their
    municipalities. Raises geo.BoundaryFileError for an unreadable file (nothing is changed)."""
    features = geo.read_boundary_file(path)
    report = BoundaryReport()
    regions = {r.code.upper(): r for r in Region.objects.all()}
    changed: list[Region] = []
    raw: dict[int, dict] = {}  # unsimplified shapes, so dissolved provinces have no slivers
    for feature in features:
        code = geo.feature_code(feature, code_property)
        if not code:
            report.without_code += 1
            continue
        region = regions.get(code.upper())
        if region is None:
            report.unmatched.append(code)
            continue
        raw[region.pk] = feature["geometry"]
        region.geometry = geo.simplify(feature["geometry"], tolerance)
        changed.append(region)
        report.matched += 1
    Region.objects.bulk_update(changed, ["geometry"], batch_size=200)
    if dissolve_provinces:
        shapes = {r.pk: raw[r.pk] for r in changed if r.kind == Region.Kind.MUNICIPALITY}
        links = RegionContainment.objects.filter(
            kind="contains", parent__kind=Region.Kind.PROVINCE, child_id__in=list(shapes)
        ).values_list("parent_id", "child_id")
        per_province: dict[int, list[dict]] = {}
        for parent, child in links:
            per_province.setdefault(parent, []).append(shapes[child])
        provinces = Region.objects.in_bulk(list(per_province))
        for pid, geoms in per_province.items():
            province = provinces[pid]
            province.geometry = geo.simplify(geo.dissolve(geoms), tolerance)
            report.dissolved.append(province.code)
        Region.objects.bulk_update(list(provinces.values()), ["geometry"], batch_size=50)
    return report
