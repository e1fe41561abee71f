"""Tests for plek.atlas.geo on small hand-made GeoJSON/TopoJSON fixtures (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape

from plek.atlas.geo import (
    BoundaryFileError,
    bbox,
    dissolve,
    feature_code,
    read_boundary_file,
    simplify,
)

# Two adjacent unit squares in quantized space, sharing arc 0 (the edge x=2):
#
#   (0,2) +-----+-----+ (4,2)        A = arcs [0, 1]   (arc 0 forwards)
#         |  A  |  B  |              B = arcs [2, ~0]  (arc 0 reversed)
#   (0,0) +-----+-----+ (4,0)        outline = arcs [1, 2]
#
# transform: lon = 4 + 0.5 * x, lat = 52 + 0.25 * y  (exact in binary floating point)
TOPOLOGY: dict[str, Any] = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.25], "translate": [4.0, 52.0]},
    "arcs": [
        [[2, 0], [0, 2]],  # (2,0) -> (2,2)
        [[2, 2], [-2, 0], [0, -2], [2, 0]],  # (2,2) -> (0,2) -> (0,0) -> (2,0)
        [[2, 0], [2, 0], [0, 2], [-2, 0]],  # (2,0) -> (4,0) -> (4,2) -> (2,2)
    ],
    "objects": {
        "gm_features": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "properties": {"code": "GM0001"}},
                {
                    "type": "MultiPolygon",
                    "arcs": [[[2, -1]]],
                    "properties": {"code": "gm0002", "name": "Bé"},
                    "id": "b",
                },
            ],
        },
        "nl_features": {
            "type": "GeometryCollection",
            "geometries": [{"type": "MultiPolygon", "arcs": [[[1, 2]]]}],
        },
    },
}

SQUARE_A = [[5.0, 52.0], [5.0, 52.5], [4.0, 52.5], [4.0, 52.0], [5.0, 52.0]]
SQUARE_B = [[5.0, 52.0], [6.0, 52.0], [6.0, 52.5], [5.0, 52.5], [5.0, 52.0]]


def _write(tmp_path: Path, data: Any, name: str = "boundaries.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _polygon(ring: list[list[float]]) -> dict[str, Any]:
    return {"type": "Polygon", "coordinates": [ring]}


def _square(x: float, y: float, size: float = 1.0) -> dict[str, Any]:
    return _polygon([[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]])


# --------------------------------------------------------------------------- TopoJSON


def test_topojson_decodes_all_objects_with_object_name(tmp_path: Path) -> None:
    features = read_boundary_file(_write(tmp_path, TOPOLOGY, "nl.topo.json"))

    assert [f["properties"]["_object"] for f in features] == [
        "gm_features",
        "gm_features",
        "nl_features",
    ]
    assert all(f["type"] == "Feature" for f in features)
    assert features[0]["properties"] == {"code": "GM0001", "_object": "gm_features"}
    assert features[1]["properties"]["name"] == "Bé"
    assert features[1]["id"] == "b"


def test_topojson_dequantizes_delta_encoded_arcs(tmp_path: Path) -> None:
    a, b, _ = read_boundary_file(_write(tmp_path, TOPOLOGY))

    assert a["geometry"] == {"type": "Polygon", "coordinates": [SQUARE_A]}
    assert b["geometry"]["type"] == "MultiPolygon"
    assert b["geometry"]["coordinates"] == [[SQUARE_B]]


def test_topojson_negative_index_reverses_shared_arc(tmp_path: Path) -> None:
    a, b, _ = read_boundary_file(_write(tmp_path, TOPOLOGY))
    ring_a = a["geometry"]["coordinates"][0]
    ring_b = b["geometry"]["coordinates"][0][0]

    shared_forwards = ring_a[:2]  # arc 0 as used by A
    shared_backwards = ring_b[-2:]  # ~0 = arc 0 reversed, as used by B
    assert shared_forwards == [[5.0, 52.0], [5.0, 52.5]]
    assert shared_backwards == shared_forwards[::-1]
    # Arc junctions are not duplicated and rings are closed.
    assert len(ring_a) == 5 and ring_a[0] == ring_a[-1]
    assert len(ring_b) == 5 and ring_b[0] == ring_b[-1]
    assert shape(a["geometry"]).is_valid and shape(b["geometry"]).is_valid


def test_topojson_outline_from_two_arcs(tmp_path: Path) -> None:
    *_, outline = read_boundary_file(_write(tmp_path, TOPOLOGY))

    assert outline["properties"] == {"_object": "nl_features"}
    assert shape(outline["geometry"]).area == pytest.approx(2 * 0.5)
    assert bbox(outline["geometry"]) == (4.0, 52.0, 6.0, 52.5)


def test_topojson_without_transform_uses_absolute_coordinates(tmp_path: Path) -> None:
    topology = {
        "type": "Topology",
        "arcs": [[[4.0, 52.0], [5.0, 52.0], [5.0, 53.0], [4.0, 53.0], [4.0, 52.0]]],
        "objects": {
            "single": {"type": "Polygon", "arcs": [[0]], "properties": {"code": "ws0155"}},
            "reversed": {
                "type": "GeometryCollection",
                "geometries": [{"type": "Polygon", "arcs": [[-1]]}],
            },
        },
    }
    single, reversed_ = read_boundary_file(_write(tmp_path, topology))

    assert single["properties"] == {"code": "ws0155", "_object": "single"}
    assert single["geometry"]["coordinates"] == [topology["arcs"][0]]
    assert reversed_["geometry"]["coordinates"] == [topology["arcs"][0][::-1]]


def test_topojson_feature_without_geometry_names_object_and_index(tmp_path: Path) -> None:
    topology = json.loads(json.dumps(TOPOLOGY))
    topology["objects"]["gm_features"]["geometries"].append({"type": None, "properties": {"code": "GM0003"}})
    with pytest.raises(BoundaryFileError, match=r"feature 2 of object 'gm_features' has no geometry"):
        read_boundary_file(_write(tmp_path, topology))


def test_topojson_invalid_arc_index(tmp_path: Path) -> None:
    topology = json.loads(json.dumps(TOPOLOGY))
    topology["objects"]["gm_features"]["geometries"][0]["arcs"] = [[0, 7]]
    with pytest.raises(BoundaryFileError, match="invalid arc index 7"):
        read_boundary_file(_write(tmp_path, topology))


# --------------------------------------------------------------------------- GeoJSON


def test_geojson_feature_collection(tmp_path: Path) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": 1,
                "properties": {"statcode": "PV27"},
                "geometry": _square(5, 52),
            },
            {"type": "Feature", "properties": None, "geometry": _square(6, 52)},
        ],
    }
    features = read_boundary_file(_write(tmp_path, collection, "pv.geojson"))

    assert len(features) == 2
    assert features[0]["properties"] == {"statcode": "PV27"}
    assert features[0]["id"] == 1
    assert features[0]["geometry"] == _square(5, 52)
    assert features[1]["properties"] == {}


def test_geojson_single_feature(tmp_path: Path) -> None:
    feature = {"type": "Feature", "properties": {"code": "NL"}, "geometry": _square(4, 51)}
    assert read_boundary_file(_write(tmp_path, feature)) == [feature]


# --------------------------------------------------------------------------- errors


def test_error_not_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(BoundaryFileError, match=r"broken\.json: not valid JSON"):
        read_boundary_file(path)


def test_error_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"type": "Feature", "properties": {"name": "Súdwest-Fryslân"}}'.encode("latin-1"))
    with pytest.raises(BoundaryFileError, match="not UTF-8"):
        read_boundary_file(path)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    feature = {
        "type": "Feature",
        "properties": {"name": "Súdwest-Fryslân"},
        "geometry": _square(5, 53),
    }
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(feature, ensure_ascii=False).encode("utf-8"))
    assert read_boundary_file(path)[0]["properties"]["name"] == "Súdwest-Fryslân"


@pytest.mark.parametrize(
    ("data", "shown"),
    [({"type": "Geometry"}, "'Geometry'"), ([1, 2, 3], "None"), ({"features": []}, "None")],
)
def test_error_unknown_type(tmp_path: Path, data: Any, shown: str) -> None:
    with pytest.raises(BoundaryFileError, match=f"unknown type {shown}"):
        read_boundary_file(_write(tmp_path, data))


@pytest.mark.parametrize("geometry", [None, {}, "missing"])
def test_error_feature_without_geometry_names_index(tmp_path: Path, geometry: Any) -> None:
    bad: dict[str, Any] = {"type": "Feature", "properties": {"code": "GM0002"}}
    if geometry != "missing":
        bad["geometry"] = geometry
    collection = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {}, "geometry": _square(5, 52)}, bad],
    }
    with pytest.raises(BoundaryFileError, match="feature 1 has no geometry") as excinfo:
        read_boundary_file(_write(tmp_path, collection))
    assert excinfo.value.message.startswith("boundaries.json: ")


# --------------------------------------------------------------------------- codes


@pytest.mark.parametrize(
    ("properties", "expected"),
    [
        ({"code": "gm0363"}, "GM0363"),
        ({"code": " GM0363 "}, "GM0363"),
        ({"statcode": "pv27"}, "PV27"),
        ({"CODE": "vr13"}, "VR13"),
        ({"id": "gm0014"}, "GM0014"),
        ({"identificatie": "GM0599"}, "GM0599"),
        ({"code": "ws0155"}, "ws0155"),
        ({"code": "WS0155"}, "ws0155"),
        ({"code": "", "statcode": "GM0344"}, "GM0344"),
        ({"statcode": "GM0344", "code": "gm0363"}, "GM0363"),  # `code` comes first
        ({"code": "NL-UT"}, "NL-UT"),
        ({"id": 363}, "363"),
        ({"name": "Amsterdam"}, None),
        ({}, None),
    ],
)
def test_feature_code_defaults(properties: dict[str, Any], expected: str | None) -> None:
    assert feature_code({"type": "Feature", "properties": properties}) == expected


def test_feature_code_explicit_property() -> None:
    feature = {"type": "Feature", "properties": {"code": "GM0001", "gmcode": "gm0363"}}
    assert feature_code(feature, "gmcode") == "GM0363"
    assert feature_code(feature, "wscode") is None  # no silent fallback to `code`


def test_feature_code_falls_back_to_feature_id() -> None:
    assert feature_code({"type": "Feature", "id": "gm0363", "properties": None}) == "GM0363"


# --------------------------------------------------------------------------- dissolve


def test_dissolve_adjacent_squares_area_is_sum(tmp_path: Path) -> None:
    a, b, outline = read_boundary_file(_write(tmp_path, TOPOLOGY))
    merged = dissolve([a["geometry"], b["geometry"]])

    merged_shape = shape(merged)
    assert merged["type"] == "Polygon"  # shared edge dissolved away
    assert merged_shape.is_valid
    assert merged_shape.area == pytest.approx(shape(a["geometry"]).area + shape(b["geometry"]).area)
    assert merged_shape.equals(shape(outline["geometry"]))
    assert bbox(merged) == (4.0, 52.0, 6.0, 52.5)
    json.dumps(merged)  # plain JSON-serialisable lists


def test_dissolve_disjoint_gives_multipolygon() -> None:
    merged = dissolve([_square(4, 52), _square(7, 52)])
    assert merged["type"] == "MultiPolygon"
    assert shape(merged).area == pytest.approx(2.0)


def test_dissolve_overlap_counts_once() -> None:
    merged = dissolve([_square(4, 52, 2), _square(5, 53, 2)])
    assert shape(merged).area == pytest.approx(4 + 4 - 1)


def test_dissolve_repairs_invalid_input() -> None:
    bowtie = _polygon([[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]])
    merged = dissolve([bowtie])
    assert shape(merged).is_valid
    assert shape(merged).area == pytest.approx(2.0)


def test_dissolve_requires_geometries() -> None:
    with pytest.raises(ValueError, match="at least one"):
        dissolve([])


# --------------------------------------------------------------------------- simplify


def _decimals(value: float) -> int:
    text = repr(value)
    return len(text.split(".")[1]) if "." in text else 0


def test_simplify_removes_small_wiggles_and_rounds() -> None:
    # A 1x1 square whose bottom edge has many tiny (< tolerance) wiggles.
    bottom = [[4 + i / 50, 52 + (0.0002 if i % 2 else 0.0)] for i in range(51)]
    ring = [*bottom, [5.0, 53.0], [4.0, 53.0], [4.0, 52.0]]
    ring = [[x + 0.1234567891, y + 0.1234567891] for x, y in ring]
    result = simplify(_polygon(ring), tolerance=0.001)

    coords = result["coordinates"][0]
    assert result["type"] == "Polygon"
    assert len(coords) == 5
    assert shape(result).is_valid
    assert all(_decimals(c) <= 5 for point in coords for c in point)
    assert [4.12346, 52.12346] in coords
    assert shape(result).area == pytest.approx(1.0, abs=1e-3)


def test_simplify_preserves_topology_of_holes() -> None:
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[4, 4], [4, 6], [6, 6], [6, 4], [4, 4]]
    result = simplify({"type": "Polygon", "coordinates": [outer, hole]}, tolerance=5)
    assert len(result["coordinates"]) == 2  # hole kept, not collapsed into the shell
    assert shape(result).is_valid


def test_simplify_zero_tolerance_only_rounds() -> None:
    ring = [[4.123456789, 52.0], [5.0, 52.0], [5.0, 52.987654321], [4.123456789, 52.0]]
    result = simplify(_polygon(ring), tolerance=0)
    assert sorted(map(tuple, result["coordinates"][0][:-1])) == [
        (4.12346, 52.0),
        (5.0, 52.0),
        (5.0, 52.98765),
    ]


def test_simplify_multipolygon_from_topology(tmp_path: Path) -> None:
    _, b, _ = read_boundary_file(_write(tmp_path, TOPOLOGY))
    result = simplify(b["geometry"])
    assert result["type"] == "MultiPolygon"
    assert shape(result).equals(shape(b["geometry"]))


def test_simplify_rejects_negative_tolerance() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        simplify(_square(4, 52), tolerance=-1)


# --------------------------------------------------------------------------- bbox


def test_bbox_polygon_and_multipolygon() -> None:
    assert bbox(_square(4, 52, 2)) == (4.0, 52.0, 6.0, 54.0)
    multi = {
        "type": "MultiPolygon",
        "coordinates": [_square(4, 52)["coordinates"], _square(6.5, 50.75)["coordinates"]],
    }
    assert bbox(multi) == (4.0, 50.75, 7.5, 53.0)


def test_bbox_point_and_collection() -> None:
    assert bbox({"type": "Point", "coordinates": [5.1, 52.1]}) == (5.1, 52.1, 5.1, 52.1)
    collection = {
        "type": "GeometryCollection",
        "geometries": [{"type": "Point", "coordinates": [3.5, 53.4]}, _square(5, 51)],
    }
    assert bbox(collection) == (3.5, 51.0, 6.0, 53.4)


def test_bbox_empty_geometry() -> None:
    with pytest.raises(ValueError, match="empty"):
        bbox({"type": "Polygon", "coordinates": []})


# ---- topology generalisation (how the committed boundary fixture is made) ----------------------------


def test_topology_simplify_keeps_shared_arcs_and_end_points() -> None:
    from plek.atlas.geo import topology_simplify

    wiggly = {
        "type": "Topology",
        "arcs": [
            [[0.0, 0.0], [1.0, 0.001], [2.0, -0.001], [3.0, 0.0]],  # a shared border with tiny wiggles
            [[3.0, 0.0], [3.0, 3.0], [0.0, 3.0], [0.0, 0.0]],
            [[3.0, 0.0], [3.0, -3.0], [0.0, -3.0], [0.0, 0.0]],
        ],
        "objects": {
            "gm_features": {
                "type": "GeometryCollection",
                "geometries": [
                    {"type": "Polygon", "arcs": [[0, 1]], "properties": {"code": "GM0001"}},
                    {"type": "Polygon", "arcs": [[0, 2]], "properties": {"code": "GM0002"}},
                ],
            },
            "other": {"type": "GeometryCollection", "geometries": []},
        },
    }
    out = topology_simplify(wiggly, 0.01, keep=("gm_features",))
    assert out["arcs"][0] == [[0.0, 0.0], [1.0, 0.001], [3.0, 0.0]]  # ends kept, one point off the chord
    assert out["arcs"][1] == wiggly["arcs"][1]  # nothing to remove
    assert list(out["objects"]) == ["gm_features"]
    # both polygons still use the same (simplified) border, so they meet without gap or overlap
    a = shape({"type": "Polygon", "coordinates": [out["arcs"][0] + out["arcs"][1][1:]]})
    b = shape({"type": "Polygon", "coordinates": [out["arcs"][0] + out["arcs"][2][1:]]})
    assert a.is_valid and b.is_valid
    assert a.intersection(b).area == 0 and a.touches(b)


def test_topology_simplify_keeps_quantization_and_never_folds_a_ring(tmp_path: Path) -> None:
    from plek.atlas.geo import topology_simplify

    for tolerance, same_area in ((0.01, True), (10.0, False)):
        out = topology_simplify(TOPOLOGY, tolerance)
        assert out["transform"] == TOPOLOGY["transform"]
        path = tmp_path / f"out-{tolerance}.json"
        path.write_text(json.dumps(out))
        before = {
            f["properties"]["code"]: shape(f["geometry"]).area
            for f in read_boundary_file_for(TOPOLOGY, tmp_path)
        }
        after = {
            f["properties"]["code"]: shape(f["geometry"])
            for f in read_boundary_file(path)
            if "code" in f["properties"]
        }
        for code, geom in after.items():
            assert geom.is_valid and geom.area > 0, (tolerance, code)  # even a coarse tolerance keeps a ring
            assert (geom.area == before[code]) is same_area
    with pytest.raises(ValueError):
        topology_simplify(TOPOLOGY, -1)


def read_boundary_file_for(data: dict[str, Any], tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "in.json"
    path.write_text(json.dumps(data))
    return [f for f in read_boundary_file(path) if "code" in f["properties"]]
