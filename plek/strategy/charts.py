"""Vega-Lite specifications; each chart on a page also has a table with the same numbers."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from plek.strategy.trends import Trend

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
PALETTE = [
    "#01689b",
    "#a4000f",
    "#39870c",
    "#ca005d",
    "#673327",
    "#e17000",
    "#42145f",
    "#007bc7",
    "#8fcae7",
    "#275937",
    "#f9e11e",
    "#76d2b6",
    "#5a5a5a",
    "#94710a",
]


def series_chart(
    years: list[int], values: list[float], trend: Trend, unit: str, title: str
) -> dict[str, Any]:
    points = [{"year": y, "value": v, "kind": _("waarneming")} for y, v in zip(years, values, strict=True)]
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": points},
            "mark": {"type": "line", "point": True, "color": PALETTE[0]},
            "encoding": {
                "x": {
                    "field": "year",
                    "type": "quantitative",
                    "title": _("jaar"),
                    "axis": {"format": "d", "labelOverlap": "greedy", "tickMinStep": 1},
                },
                "y": {"field": "value", "type": "quantitative", "title": unit, "scale": {"zero": False}},
                "tooltip": [{"field": "year", "title": _("jaar")}, {"field": "value", "title": unit}],
            },
        }
    ]
    if trend.slope is not None and trend.intercept is not None:
        end = trend.target_year or trend.last_year or years[-1]
        line = [{"year": y, "value": trend.intercept + trend.slope * y} for y in (years[0], end)]
        layers.append(
            {
                "data": {"values": line},
                "mark": {"type": "line", "strokeDash": [6, 4], "color": "#5a5a5a"},
                "encoding": {
                    "x": {"field": "year", "type": "quantitative"},
                    "y": {"field": "value", "type": "quantitative"},
                },
            }
        )
    if trend.target_year is not None and trend.target_value is not None:
        layers.append(
            {
                "data": {"values": [{"year": trend.target_year, "value": trend.target_value}]},
                "mark": {
                    "type": "point",
                    "shape": "diamond",
                    "size": 160,
                    "filled": True,
                    "color": PALETTE[1],
                },
                "encoding": {
                    "x": {"field": "year", "type": "quantitative"},
                    "y": {"field": "value", "type": "quantitative"},
                },
            }
        )
        if trend.projected_low is not None and trend.projected_high is not None:
            layers.append(
                {
                    "data": {
                        "values": [
                            {
                                "year": trend.target_year,
                                "low": trend.projected_low,
                                "high": trend.projected_high,
                            }
                        ]
                    },
                    "mark": {"type": "rule", "strokeWidth": 3, "color": "#5a5a5a"},
                    "encoding": {
                        "x": {"field": "year", "type": "quantitative"},
                        "y": {"field": "low", "type": "quantitative"},
                        "y2": {"field": "high"},
                    },
                }
            )
    return {"$schema": SCHEMA, "description": title, "width": "container", "height": 280, "layer": layers}


def small_multiples(rows: list[dict[str, Any]], unit: str, title: str) -> dict[str, Any]:
    values = [
        {"region": r["region"].name, "year": o.year, "value": o.value}
        for r in rows
        for o in r["observations"]
    ]
    return {
        "$schema": SCHEMA,
        "description": title,
        "data": {"values": values},
        "facet": {"field": "region", "type": "nominal", "title": None},
        "columns": 4,
        "spec": {
            "width": 180,
            "height": 110,
            "mark": {"type": "line", "color": PALETTE[0]},
            "encoding": {
                "x": {
                    "field": "year",
                    "type": "quantitative",
                    "title": None,
                    "axis": {"format": "d", "tickCount": 3},
                },
                "y": {"field": "value", "type": "quantitative", "title": unit, "scale": {"zero": False}},
            },
        },
        "resolve": {"scale": {"y": "shared"}},
    }


def fulfilment_chart(rows: list[dict[str, Any]], title: str, *, by_variant: bool = False) -> dict[str, Any]:
    """Fulfilment % per claim; with by_variant the rows carry a 'variant' and bars are grouped."""
    enc: dict[str, Any] = {
        "y": {"field": "label", "type": "nominal", "title": _("claim")},
        "x": {
            "field": "fulfilment_pct",
            "type": "quantitative",
            "title": _("vervuld (%)"),
            "scale": {"domain": [0, 100]},
        },
        "tooltip": [{"field": "label", "title": _("claim")}, {"field": "fulfilment_pct", "title": "%"}],
    }
    if by_variant:
        enc["yOffset"] = {"field": "variant", "type": "nominal"}
        enc["color"] = {
            "field": "variant",
            "type": "nominal",
            "title": _("variant"),
            "scale": {"range": PALETTE},
        }
    else:
        enc["color"] = {"value": PALETTE[0]}
    return {
        "$schema": SCHEMA,
        "description": title,
        "width": "container",
        "height": {"step": 14 if by_variant else 24},
        "data": {"values": rows},
        "mark": "bar",
        "encoding": enc,
    }


def change_map_chart(cells: list[dict[str, Any]], title: str, field: str) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": title,
        "width": 360,
        "height": 360,
        "data": {"values": cells},
        "mark": {"type": "rect"},
        "encoding": {
            "x": {"field": "x", "type": "ordinal", "axis": None},
            "y": {"field": "y", "type": "ordinal", "axis": None},
            "color": {"field": field, "type": "nominal", "title": _("gebruik"), "scale": {"range": PALETTE}},
            "tooltip": [
                {"field": "code", "title": _("eenheid")},
                {"field": "current", "title": _("huidig")},
                {"field": "new", "title": _("toegewezen")},
            ],
        },
        "config": {"view": {"stroke": None}},
    }
