"""Boundary import: GeoJSON/TopoJSON features matched to regions on their official code.

The repository carries its own boundary fixture (`reference/boundaries/`, municipalities and safety
regions of 2023, CBS/Kadaster, CC BY 4.0), so a fresh installation has a map; `plek boundaries import`
reads newer files. Regions without a shape of their own (provinces, COROP and RES regions, NOVEX
areas, custom areas, ...) get the union of the municipalities they contain."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from plek.atlas import geo
from plek.atlas.models import Region, RegionContainment

#: The committed boundary fixture (generalised from the CBS/Kadaster 2023 file, see its README).
FIXTURE = Path(__file__).resolve().parent / "reference" / "boundaries" / "nl-gm-vr-2023.topo.json"
#: Shown wherever the map is shown (CC BY 4.0 asks for it).
ATTRIBUTION = "Grenzen: CBS/Kadaster, CC BY 4.0"


@dataclass
class BoundaryReport:
    matched: int = 0
    unmatched: list[str] = field(default_factory=list)
    without_code: int = 0
    dissolved: list[str] = field(default_factory=list)


def default_boundary_file() -> Path:
    """The boundary file `plek demo` and `plek reference load` read: the setting, else the fixture."""
    configured = Path(getattr(settings, "PLEK_BOUNDARIES_FILE", "") or FIXTURE)
    return configured if configured.exists() else FIXTURE


@transaction.atomic
def boundaries_import(
    path: Path,
    *,
    code_property: str | None = None,
    tolerance: float = 0.002,
    dissolve_provinces: bool = True,
) -> BoundaryReport:
    """Set Region.geometry from a boundary file; every region without a shape of its own that contains
    municipalities (provinces, COROP and RES regions, NOVEX and custom areas) gets their union.
    Raises geo.BoundaryFileError for an unreadable file (nothing is changed)."""
    features = geo.read_boundary_file(path)
    report = BoundaryReport()
    regions = {r.code.upper(): r for r in Region.objects.all()}
    changed: list[Region] = []
    raw: dict[int, dict] = {}  # unsimplified shapes, so dissolved regions have no slivers
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
        report.dissolved = _dissolve(raw, {r.pk for r in changed}, tolerance)
    return report


def _dissolve(raw: dict[int, dict], matched: set[int], tolerance: float) -> list[str]:
    """Give every region that got no shape from the file the union of its municipalities' shapes
    (followed through containment at any depth, e.g. country > province > municipality)."""
    from plek.atlas.areas import region_graph

    kinds = dict(Region.objects.values_list("pk", "kind"))
    municipal = {pk for pk in raw if kinds.get(pk) == Region.Kind.MUNICIPALITY}
    if not municipal:
        return []
    graph = region_graph()
    parents = {
        p for p, _c in RegionContainment.objects.filter(kind="contains").values_list("parent_id", "child_id")
    }
    targets: dict[int, list[dict]] = {}
    for pid in parents:
        if pid in matched or kinds.get(pid) == Region.Kind.MUNICIPALITY:
            continue
        shapes = [raw[c] for c in graph.descendants(pid) if c in municipal]
        if shapes:
            targets[pid] = shapes
    regions = Region.objects.in_bulk(list(targets))
    dissolved = []
    for pid, shapes in targets.items():
        region = regions[pid]
        region.geometry = geo.simplify(geo.dissolve(shapes), max(tolerance, 0.0005))
        dissolved.append(region.code)
    Region.objects.bulk_update(list(regions.values()), ["geometry"], batch_size=50)
    return sorted(dissolved)


def boundaries_load_default() -> BoundaryReport:
    """Load the default boundaries (the committed fixture unless settings name another file)."""
    path = default_boundary_file()
    return boundaries_import(path, tolerance=0 if path == FIXTURE else 0.002)


def boundaries_fixture_write(source: Path, dest: Path, *, tolerance: float = 0.001) -> dict[str, int]:
    """Write a generalised copy of a TopoJSON boundary file (how the committed fixture was made)."""
    data = json.loads(Path(source).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("type") != "Topology":
        raise geo.BoundaryFileError(f"{Path(source).name}: not a TopoJSON Topology")
    out = geo.topology_simplify(data, tolerance)
    out["properties"] = {"attribution": ATTRIBUTION, "source": Path(source).name, "tolerance": tolerance}
    text = json.dumps(out, separators=(",", ":"), ensure_ascii=False)
    Path(dest).parent.mkdir(parents=True, exist_ok=True)
    Path(dest).write_text(text, encoding="utf-8")
    return {
        "points_before": sum(len(a) for a in data.get("arcs", [])),
        "points_after": sum(len(a) for a in out["arcs"]),
        "bytes": len(text.encode("utf-8")),
    }
