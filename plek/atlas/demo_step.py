"""The Atlas part of `plek demo`: reference set, boundaries when available, synthetic field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings

from plek.atlas.boundaries import boundaries_import
from plek.atlas.demo import SIZES, Demo
from plek.atlas.reference_data import reference_load


def demo_step(*, scale: str, seed: int, progress: Any = None, stdout: Any = None, **_: Any) -> dict[str, Any]:
    counts: dict[str, Any] = dict(reference_load())
    boundary_file = Path(settings.PLEK_BOUNDARIES_FILE)
    if boundary_file.exists():
        report = boundaries_import(boundary_file)
        counts["boundaries"] = report.matched
    elif stdout is not None:
        stdout.write("No boundary file found; the map shows its table only.")
    counts.update(Demo(scale, seed=seed, progress=progress).run())
    return counts


def demo_size(scale: str) -> int:
    return sum(SIZES[scale].values())
