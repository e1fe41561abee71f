"""Pure-Python geometry helpers for region boundaries (no Django imports).

Reads GeoJSON/TopoJSON boundary files into GeoJSON Feature dicts (WGS84 lon/lat),
extracts official region codes, and dissolves, simplifies and measures geometries
with Shapely 2.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

__all__ = [
    "BoundaryFileError",
    "bbox",
    "dissolve",
    "feature_code",
    "read_boundary_file",
    "simplify",
]

Geometry = dict[str, Any]
Feature = dict[str, Any]

#: Properties tried, in order, by :func:`feature_code` when no property is given.
CODE_PROPERTIES: tuple[str, ...] = ("code", "statcode", "CODE", "id", "identificatie")

#: Decimals kept by :func:`simplify` (1e-5 degrees is roughly 1 metre).
COORDINATE_DECIMALS = 5

_PREFIXED_CODE = re.compile(r"^([A-Za-z]{2})(\d+)$")


class BoundaryFileError(ValueError):
    """A boundary file cannot be read as GeoJSON or TopoJSON."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --------------------------------------------------------------------------- reading


def read_boundary_file(path: Path) -> list[Feature]:
    """Read a GeoJSON (FeatureCollection/Feature) or TopoJSON file as GeoJSON Features.

    TopoJSON (``"type": "Topology"``) is decoded in full: every object becomes
    features whose properties gain ``_object`` (the object name). Quantized
    (delta-encoded) arcs and reversed arcs (negative indices) are supported.
    Raises :class:`BoundaryFileError` for unreadable or unsupported content.
    """
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BoundaryFileError(
            f"{path.name}: file is not UTF-8 encoded (invalid byte at position {exc.start})"
        ) from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BoundaryFileError(
            f"{path.name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from exc

    kind = data.get("type") if isinstance(data, dict) else None
    if kind == "Topology":
        return _read_topology(data, path.name)
    if kind == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise BoundaryFileError(f"{path.name}: FeatureCollection has no 'features' list")
        return [_checked_feature(f, i, path.name) for i, f in enumerate(features)]
    if kind == "Feature":
        return [_checked_feature(data, 0, path.name)]
    raise BoundaryFileError(
        f"{path.name}: unknown type {kind!r}; expected 'FeatureCollection', 'Feature' or 'Topology'"
    )


def _checked_feature(feature: Any, index: int, source: str) -> Feature:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise BoundaryFileError(f"{source}: feature {index} is not a GeoJSON Feature")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or not geometry.get("type"):
        raise BoundaryFileError(f"{source}: feature {index} has no geometry")
    result: Feature = {
        "type": "Feature",
        "properties": dict(feature.get("properties") or {}),
        "geometry": geometry,
    }
    if "id" in feature:
        result["id"] = feature["id"]
    return result


class _Topology:
    """Decoder for one TopoJSON topology (arcs resolved once, lazily)."""

    def __init__(self, data: dict[str, Any], source: str) -> None:
        self.source = source
        raw_arcs = data.get("arcs")
        if not isinstance(raw_arcs, list):
            raise BoundaryFileError(f"{source}: Topology has no 'arcs' list")
        transform = data.get("transform")
        if transform is not None:
            try:
                sx, sy = (float(v) for v in transform["scale"])
                tx, ty = (float(v) for v in transform["translate"])
            except (KeyError, TypeError, ValueError) as exc:
                raise BoundaryFileError(f"{source}: invalid Topology transform") from exc
            self.transform: tuple[float, float, float, float] | None = (sx, sy, tx, ty)
        else:
            self.transform = None
        self.arcs = [self._decode_arc(arc) for arc in raw_arcs]

    def _decode_arc(self, arc: list[list[float]]) -> list[list[float]]:
        if self.transform is None:
            return [[float(p[0]), float(p[1])] for p in arc]
        sx, sy, tx, ty = self.transform
        x = y = 0.0
        points = []
        for p in arc:  # quantized arcs are delta-encoded
            x += p[0]
            y += p[1]
            points.append([x * sx + tx, y * sy + ty])
        return points

    def _position(self, p: list[float]) -> list[float]:
        # Point positions are quantized but not delta-encoded.
        if self.transform is None:
            return [float(p[0]), float(p[1])]
        sx, sy, tx, ty = self.transform
        return [p[0] * sx + tx, p[1] * sy + ty]

    def _line(self, arc_indexes: list[int]) -> list[list[float]]:
        points: list[list[float]] = []
        for index in arc_indexes:
            try:
                arc = self.arcs[index] if index >= 0 else self.arcs[~index][::-1]
            except (IndexError, TypeError) as exc:
                raise BoundaryFileError(f"{self.source}: invalid arc index {index!r}") from exc
            if points:
                points.pop()  # the previous arc's last point is this arc's first
            points.extend(list(p) for p in arc)
        return points

    def _ring(self, arc_indexes: list[int]) -> list[list[float]]:
        ring = self._line(arc_indexes)
        if ring and ring[0] != ring[-1]:
            ring.append(list(ring[0]))
        return ring

    def geometry(self, obj: dict[str, Any]) -> Geometry | None:
        kind = obj.get("type")
        arcs = obj.get("arcs")
        if kind == "Polygon":
            return {"type": kind, "coordinates": [self._ring(r) for r in arcs or []]}
        if kind == "MultiPolygon":
            return {
                "type": kind,
                "coordinates": [[self._ring(r) for r in poly] for poly in arcs or []],
            }
        if kind == "LineString":
            return {"type": kind, "coordinates": self._line(arcs or [])}
        if kind == "MultiLineString":
            return {"type": kind, "coordinates": [self._line(a) for a in arcs or []]}
        if kind == "Point":
            return {"type": kind, "coordinates": self._position(obj["coordinates"])}
        if kind == "MultiPoint":
            return {"type": kind, "coordinates": [self._position(p) for p in obj["coordinates"]]}
        if kind == "GeometryCollection":
            parts = [self.geometry(g) for g in obj.get("geometries") or []]
            return {"type": kind, "geometries": [p for p in parts if p is not None]}
        return None  # null / missing type


def _read_topology(data: dict[str, Any], source: str) -> list[Feature]:
    objects = data.get("objects")
    if not isinstance(objects, dict):
        raise BoundaryFileError(f"{source}: Topology has no 'objects'")
    topology = _Topology(data, source)
    features: list[Feature] = []
    for name, obj in objects.items():
        members = obj.get("geometries") if obj.get("type") == "GeometryCollection" else [obj]
        for index, member in enumerate(members or []):
            geometry = topology.geometry(member)
            if geometry is None:
                raise BoundaryFileError(f"{source}: feature {index} of object {name!r} has no geometry")
            feature: Feature = {
                "type": "Feature",
                "properties": {**(member.get("properties") or {}), "_object": name},
                "geometry": geometry,
            }
            if "id" in member:
                feature["id"] = member["id"]
            features.append(feature)
    return features


# --------------------------------------------------------------------------- codes


def feature_code(feature: dict[str, Any], code_property: str | None = None) -> str | None:
    """Return the official code of a feature, or ``None``.

    Uses ``code_property`` when given, otherwise the first non-empty of
    :data:`CODE_PROPERTIES` (then the Feature's own ``id``). CBS-style codes are
    upper-cased (``gm0363`` -> ``GM0363``); TOOI water board codes (``ws`` + digits)
    are lower-cased (``ws0155``). Other values are returned stripped, unchanged.
    """
    properties = feature.get("properties") or {}
    if code_property is not None:
        candidates = [properties.get(code_property)]
    else:
        candidates = [properties.get(name) for name in CODE_PROPERTIES]
        candidates.append(feature.get("id"))
    for value in candidates:
        if value is None or isinstance(value, bool):
            continue
        code = str(value).strip()
        if not code:
            continue
        match = _PREFIXED_CODE.match(code)
        if match:
            return code.lower() if match.group(1).lower() == "ws" else code.upper()
        return code
    return None


# --------------------------------------------------------------------------- geometry


def _to_shape(geometry: Geometry) -> BaseGeometry:
    geom = shape(geometry)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    return geom


def _listify(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_listify(v) for v in value]
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    return value


def _to_geojson(geom: BaseGeometry) -> Geometry:
    result: Geometry = _listify(mapping(geom))
    return result


def dissolve(geometries: list[Geometry]) -> Geometry:
    """Union GeoJSON geometries (e.g. municipalities into a province) into one geometry."""
    if not geometries:
        raise ValueError("dissolve() needs at least one geometry")
    merged = shapely.union_all([_to_shape(g) for g in geometries])
    return _to_geojson(merged)


def _round_coordinates(value: Any, decimals: int) -> Any:
    if isinstance(value, list | tuple):
        if value and all(isinstance(v, int | float) for v in value):
            return [round(float(v), decimals) for v in value]
        return [_round_coordinates(v, decimals) for v in value]
    return value


def _round_geometry(geometry: Geometry, decimals: int) -> Geometry:
    if geometry.get("type") == "GeometryCollection":
        return {
            "type": "GeometryCollection",
            "geometries": [_round_geometry(g, decimals) for g in geometry["geometries"]],
        }
    return {
        "type": geometry["type"],
        "coordinates": _round_coordinates(geometry["coordinates"], decimals),
    }


def simplify(geometry: Geometry, tolerance: float = 0.001) -> Geometry:
    """Simplify (Douglas-Peucker, topology-preserving) and round coordinates to 5 decimals.

    Coordinates are snapped to a 1e-5 grid with Shapely's precision model, which keeps
    the output valid; parts that would collapse are kept at plain rounding instead.
    """
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    geom = _to_shape(geometry)
    simplified = shapely.simplify(geom, tolerance, preserve_topology=True)
    snapped = shapely.set_precision(simplified, 10.0**-COORDINATE_DECIMALS)
    if snapped.is_empty and not simplified.is_empty:
        snapped = simplified
    result = _to_geojson(snapped)
    if geometry.get("type") == f"Multi{result['type']}":  # keep e.g. MultiPolygon a Multi*
        result = {"type": geometry["type"], "coordinates": [result["coordinates"]]}
    return _round_geometry(result, COORDINATE_DECIMALS)


def _positions(geometry: Geometry) -> Iterator[tuple[float, float]]:
    if geometry.get("type") == "GeometryCollection":
        for member in geometry.get("geometries") or []:
            yield from _positions(member)
        return

    def walk(value: Any) -> Iterator[tuple[float, float]]:
        if value and isinstance(value[0], int | float):
            yield float(value[0]), float(value[1])
        else:
            for item in value:
                yield from walk(item)

    yield from walk(geometry.get("coordinates") or [])


def bbox(geometry: Geometry) -> tuple[float, float, float, float]:
    """Return ``(min_lon, min_lat, max_lon, max_lat)`` of a GeoJSON geometry."""
    min_x = min_y = math.inf
    max_x = max_y = -math.inf
    for x, y in _positions(geometry):
        min_x, max_x = min(min_x, x), max(max_x, x)
        min_y, max_y = min(min_y, y), max(max_y, y)
    if min_x == math.inf:
        raise ValueError("bbox() of an empty geometry")
    return (min_x, min_y, max_x, max_y)


# --------------------------------------------------------------------------- topology generalisation


def topology_simplify(
    data: dict[str, Any], tolerance: float, *, keep: tuple[str, ...] | None = None
) -> dict[str, Any]:
    """Generalise a TopoJSON topology arc by arc (Douglas-Peucker via Shapely).

    Neighbouring shapes share their arcs, so simplifying arcs rather than polygons keeps shared
    borders identical on both sides (no slivers or gaps). Each arc keeps its end points; a closed
    arc (an island) that would fall below four points keeps its original points. Quantization and
    delta encoding of the input are kept. An open arc keeps at least one point between its ends (its
    farthest from the chord), so a ring made of two arcs cannot fold into a line. `keep` names the
    objects to keep (all by default)."""
    if tolerance < 0:
        raise ValueError("tolerance must be >= 0")
    topology = _Topology(data, "topology")
    out_arcs: list[list[list[float]]] = []
    for arc in topology.arcs:
        if len(arc) > 2 and tolerance > 0:
            line = shapely.LineString(arc)
            simple = [list(p) for p in shapely.simplify(line, tolerance, preserve_topology=False).coords]
            closed = arc[0] == arc[-1]
            if not closed and len(simple) == 2:
                # keep one point off the chord, so a ring of two arcs cannot fold into a line
                chord = shapely.LineString([arc[0], arc[-1]])
                far = max(arc[1:-1], key=lambda p: chord.distance(shapely.Point(p)))
                simple = [list(arc[0]), list(far), list(arc[-1])]
            if len(simple) >= (4 if closed else 2):
                arc = simple
        out_arcs.append(arc)
    objects = {k: v for k, v in data["objects"].items() if keep is None or k in keep}
    result: dict[str, Any] = {"type": "Topology", "objects": objects}
    if topology.transform is None:
        result["arcs"] = [
            [[round(x, COORDINATE_DECIMALS), round(y, COORDINATE_DECIMALS)] for x, y in a] for a in out_arcs
        ]
        return result
    sx, sy, tx, ty = topology.transform
    encoded: list[list[list[int]]] = []
    for arc in out_arcs:
        px = py = 0
        points: list[list[int]] = []
        for x, y in arc:
            qx, qy = round((x - tx) / sx), round((y - ty) / sy)
            if points and qx == px and qy == py:
                continue  # a point that quantizes onto the previous one adds nothing
            points.append([qx - px, qy - py])
            px, py = qx, qy
        if len(points) == 1:
            points.append([0, 0])
        encoded.append(points)
    result["transform"] = {"scale": [sx, sy], "translate": [tx, ty]}
    result["arcs"] = encoded
    return result
