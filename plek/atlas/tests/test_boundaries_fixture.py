"""The committed boundary fixture: small, complete, loaded by `plek reference load`, with every region
that contains municipalities dissolved from them."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from shapely.geometry import shape

from plek.atlas.boundaries import ATTRIBUTION, FIXTURE, boundaries_import, default_boundary_file
from plek.atlas.models import Region, RegionContainment

SOURCE = Path("/work/shared/data/boundaries/nl-vr-gm-2023.topo.json")


def test_fixture_is_small_and_credits_its_source() -> None:
    assert FIXTURE.stat().st_size < 1_000_000
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert data["type"] == "Topology"
    assert data["properties"]["attribution"] == ATTRIBUTION
    codes = [g["properties"]["code"] for g in data["objects"]["gm_features"]["geometries"]]
    assert len(codes) == 342 and len(set(codes)) == 342
    assert len(data["objects"]["vr_features"]["geometries"]) == 25


@pytest.mark.django_db
def test_reference_load_gives_a_map_out_of_the_box(ref: None, settings: Any) -> None:
    settings.PLEK_BOUNDARIES_FILE = str(FIXTURE)
    out = StringIO()
    call_command("reference", "load", stdout=out)
    assert "'boundaries': 367" in out.getvalue()
    with_shape = set(Region.objects.filter(geometry__isnull=False).values_list("code", flat=True))
    assert {"GM0363", "PV27", "VR13", "NL"} <= with_shape
    assert Region.objects.filter(kind=Region.Kind.MUNICIPALITY, geometry__isnull=True).count() == 0
    # a province is the union of its municipalities: Noord-Holland holds Amsterdam's centre
    nh = shape(Region.objects.defer(None).get(code="PV27").geometry)
    ams = shape(Region.objects.defer(None).get(code="GM0363").geometry)
    assert nh.contains(ams.representative_point())
    assert nh.area > 10 * ams.area


@pytest.mark.django_db
def test_every_region_kind_with_municipalities_is_dissolved(ref: None) -> None:
    """COROP, RES and custom areas get a shape as soon as containment says which municipalities
    they hold (whatever loaded that containment)."""
    custom = Region.objects.create(
        code="X-VALLEI", name="Gelderse Vallei", kind=Region.Kind.CUSTOM, code_system="plek"
    )
    for code in ("GM0228", "GM0203"):  # Ede, Barneveld
        RegionContainment.objects.create(parent=custom, child=Region.objects.get(code=code))
    report = boundaries_import(FIXTURE, tolerance=0)
    assert "X-VALLEI" in report.dissolved and "PV25" in report.dissolved
    vallei = shape(Region.objects.defer(None).get(code="X-VALLEI").geometry)
    ede = shape(Region.objects.defer(None).get(code="GM0228").geometry)
    assert vallei.area == pytest.approx(
        ede.area + shape(Region.objects.defer(None).get(code="GM0203").geometry).area, rel=0.02
    )


def test_default_boundary_file_falls_back_to_the_fixture(settings: Any, tmp_path: Path) -> None:
    settings.PLEK_BOUNDARIES_FILE = str(tmp_path / "missing.json")
    assert default_boundary_file() == FIXTURE


def test_generalise_command_writes_a_smaller_topology(tmp_path: Path) -> None:
    source = tmp_path / "source.topo.json"
    wiggles = [[i, (i % 2) * 2] for i in range(1, 201)]  # quantized, delta encoded: a zigzag border
    source.write_text(
        json.dumps(
            {
                "type": "Topology",
                "transform": {"scale": [0.0001, 0.0001], "translate": [5.0, 52.0]},
                "arcs": [[[0, 0], *[[1, 2 if k % 2 == 0 else -2] for k in range(200)]]],
                "objects": {"gm_features": {"type": "GeometryCollection", "geometries": []}},
            }
        )
    )
    dest = tmp_path / "out" / "fixture.topo.json"
    out = StringIO()
    call_command("boundaries", "generalise", str(source), str(dest), "--tolerance", "0.001", stdout=out)
    data = json.loads(dest.read_text())
    assert len(data["arcs"][0]) == 3 and len(wiggles) == 200  # the zigzag (0.0002 deg) is within tolerance
    assert data["properties"]["attribution"] == ATTRIBUTION
    assert "'points_before': 201, 'points_after': 3" in out.getvalue()
