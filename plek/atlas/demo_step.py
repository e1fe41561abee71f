"""The Atlas part of `plek demo`: reference set, boundaries (the committed fixture), synthetic field."""

from __future__ import annotations

from typing import Any

from plek.atlas.boundaries import boundaries_load_default
from plek.atlas.demo import SIZES, Demo
from plek.atlas.reference_data import reference_load


def demo_step(*, scale: str, seed: int, progress: Any = None, stdout: Any = None, **_: Any) -> dict[str, Any]:
    counts: dict[str, Any] = dict(reference_load())
    report = boundaries_load_default()
    counts["boundaries"] = report.matched
    counts["boundaries_dissolved"] = len(report.dissolved)
    counts.update(Demo(scale, seed=seed, progress=progress).run())
    counts["budget_lines"] = demo_budgets(seed=seed)
    return counts


DEMO_BUDGET_SOURCE = "PLeK-demogegevens (fictief)"


def demo_budgets(*, seed: int) -> int:
    """Per-province budget lines for a few programmes, so the budget beside an area's busyness can
    be tried; fictitious, marked as demo and unverified (real per-region figures go in the admin)."""
    import random

    from plek.atlas.models import Programme, ProgrammeBudget, Region

    rng = random.Random(seed)  # nosec B311 # seeded demo data, not security
    programmes = list(Programme.objects.filter(slug__in=["regio-deals", "nplg", "dp"]).order_by("slug"))
    provinces = list(Region.objects.filter(kind=Region.Kind.PROVINCE).order_by("code"))
    ProgrammeBudget.objects.filter(source=DEMO_BUDGET_SOURCE).delete()
    lines = [
        ProgrammeBudget(
            programme=programme,
            year=year,
            region=province,
            amount_eur=rng.randrange(2, 60) * 1_000_000,
            description="Demo: fictieve verdeling per provincie",
            source=DEMO_BUDGET_SOURCE,
            verified=False,
            public=province.code != "PV20" or programme.slug != "dp",  # one line for administrators only
        )
        for programme in programmes
        for province in provinces
        for year in (2025, 2026)
    ]
    ProgrammeBudget.objects.bulk_create(lines)
    return len(lines)


def demo_size(scale: str) -> int:
    return sum(SIZES[scale].values())
