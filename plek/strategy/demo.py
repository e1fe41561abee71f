"""Demo data: synthetic indicator series for the twelve provinces and a generated scenario study.
Everything is marked is_synthetic=True and says so in its name or description."""

from __future__ import annotations

from typing import Any

import numpy as np
from django.db import transaction

from plek.atlas.models import Region
from plek.core.models import Visibility
from plek.strategy.models import (
    Compatibility,
    Indicator,
    LandClaim,
    LandUnit,
    LandUse,
    Observation,
    Study,
    Target,
    Variant,
)
from plek.strategy.puzzle.generator import generate

SYNTHETIC_SOURCE = "PLeK demodata (synthetisch, geen echte cijfers)"

# slug, name, unit, direction, base, yearly change, noise, target factor for 2030
INDICATORS = [
    (
        "woningvoorraad",
        "Woningvoorraad (synthetisch)",
        "woningen per 1.000 inwoners",
        "higher",
        430.0,
        1.8,
        1.5,
        1.06,
    ),
    ("co2-uitstoot", "CO₂-uitstoot (synthetisch)", "kiloton per jaar", "lower", 9000.0, -160.0, 150.0, 0.55),
    (
        "natuurnetwerk",
        "Gerealiseerd natuurnetwerk (synthetisch)",
        "% van de opgave",
        "higher",
        55.0,
        1.7,
        1.2,
        1.6,
    ),
    ("zonnestroom", "Opgesteld vermogen zonnestroom (synthetisch)", "MW", "higher", 40.0, 55.0, 25.0, 1.9),
]
YEARS = list(range(2010, 2025))
STUDY_SLUG = "ruimtepuzzel-demo"


def strategy_demo(*, seed: int = 7) -> dict[str, int]:
    rng = np.random.default_rng(seed)
    provinces = list(Region.objects.filter(kind=Region.Kind.PROVINCE).order_by("code"))
    made = {"indicators": 0, "observations": 0, "targets": 0, "land_units": 0}
    with transaction.atomic():
        for slug, name, unit, direction, base, step, noise, _factor in INDICATORS:
            ind, created = Indicator.objects.update_or_create(
                slug=slug,
                defaults={
                    "name": name,
                    "unit": unit,
                    "direction": direction,
                    "source": SYNTHETIC_SOURCE,
                    "description": "Synthetische reeks voor de demonstratie; geen echte cijfers.",
                    "is_synthetic": True,
                    "visibility": Visibility.PUBLIC,
                },
            )
            made["indicators"] += int(created)
            obs, targets = [], []
            for region in provinces:
                scale = 0.6 + 0.8 * rng.random()
                slope = step * (0.3 + 1.2 * rng.random())
                values = [base * scale + slope * (y - YEARS[0]) + rng.normal(0, noise) for y in YEARS]
                obs += [
                    Observation(
                        indicator=ind,
                        region=region,
                        year=y,
                        value=round(v, 2),
                        source=SYNTHETIC_SOURCE,
                        note="synthetisch",
                    )
                    for y, v in zip(YEARS, values, strict=True)
                ]
                # The target asks for the current pace times 0.6-1.4, so some provinces are on
                # track and some are not.
                ambition = 0.6 + 0.8 * rng.random()
                goal = values[-1] + (2030 - YEARS[-1]) * slope * ambition
                targets.append(
                    Target(
                        indicator=ind, region=region, year=2030, value=round(goal, 2), note="synthetisch doel"
                    )
                )
            Observation.objects.filter(indicator=ind).delete()
            Target.objects.filter(indicator=ind).delete()
            Observation.objects.bulk_create(obs)
            Target.objects.bulk_create(targets)
            made["observations"] += len(obs)
            made["targets"] += len(targets)
        made["land_units"] = study_demo(seed=seed)
    return made


#: The demo grid lies in the Gelderse Vallei (around Ede and Barneveld); cells of 500 x 500 m.
GRID_ORIGIN = (5.45, 51.98)  # south-west corner, WGS84 lon/lat
CELL_DEG = (0.0073, 0.0045)  # about 500 m east-west and north-south at this latitude


def _cell(col: int, row: int, side: int) -> dict[str, object]:
    """The square of one grid cell as a GeoJSON polygon (row 0 at the top, as in the grid chart)."""
    lon0 = GRID_ORIGIN[0] + col * CELL_DEG[0]
    lat0 = GRID_ORIGIN[1] + (side - 1 - row) * CELL_DEG[1]
    lon1, lat1 = lon0 + CELL_DEG[0], lat0 + CELL_DEG[1]
    ring = [[lon0, lat0], [lon1, lat0], [lon1, lat1], [lon0, lat1], [lon0, lat0]]
    return {"type": "Polygon", "coordinates": [[[round(x, 5), round(y, 5)] for x, y in ring]]}


def study_demo(*, seed: int = 7, side: int = 40, slug: str = STUDY_SLUG) -> int:
    """A generated 40 x 40 grid study in Gelderland with three variants."""
    region = (
        Region.objects.filter(code="PV25").first() or Region.objects.filter(kind=Region.Kind.PROVINCE).first()
    )
    if region is None:
        return 0
    problem = generate(side * side, 8, seed=seed, fill=1.4)
    uses = problem.claim_codes
    Study.objects.filter(slug=slug).delete()
    study = Study.objects.create(
        slug=slug,
        name="Ruimtepuzzel Gelderse Vallei (synthetisch)",
        region=region,
        is_synthetic=True,
        description="Gegenereerde demostudie: 1.600 cellen van ongeveer 25 ha met synthetische geschiktheid. "
        "Geen echte gegevens.",
    )
    suit = problem.suitability
    units = []
    for i, _code in enumerate(problem.unit_codes):
        if problem.excluded[i].any():
            current = LandUse.WATER
        elif suit[i, uses.index("wonen")] > 0.85:
            current = LandUse.HOUSING
        elif suit[i, uses.index("natuur")] > 0.8:
            current = LandUse.NATURE
        else:
            current = LandUse.AGRICULTURE
        units.append(
            LandUnit(
                study=study,
                code=f"C{i // side:02d}-{i % side:02d}",
                area_ha=float(problem.area[i]),
                current_use=current,
                suitability={u: float(suit[i, j]) for j, u in enumerate(uses)},
                excluded=[u for j, u in enumerate(uses) if problem.excluded[i, j]],
                x=float(i % side),
                y=float(i // side),
                geometry=_cell(i % side, i // side, side),
            )
        )
    LandUnit.objects.bulk_create(units)
    LandClaim.objects.bulk_create(
        [
            LandClaim(
                study=study, land_use=c.code, wanted_ha=c.wanted, minimum_ha=c.minimum, priority=c.priority
            )
            for c in problem.claims
        ]
    )
    Compatibility.objects.bulk_create(
        [Compatibility(study=study, use_a=p.a, use_b=p.b, fraction=p.fraction) for p in problem.pairs]
    )
    housing = next(c for c in problem.claims if c.code == "wonen")
    usable = float(problem.area @ problem.allowed()[:, uses.index("wonen")])
    more_housing = round(min(housing.wanted * 1.4, 0.95 * usable), 1)
    Variant.objects.bulk_create(
        [
            Variant(study=study, slug="basis", name="Basis", description="De claims zoals ingediend."),
            Variant(
                study=study,
                slug="meer-wonen",
                name="Meer woningen",
                description="Woningbouw vraagt 40% meer grond en krijgt voorrang.",
                changes={"claims": {"wonen": {"wanted_ha": more_housing, "priority": 6}}},
            ),
            Variant(
                study=study,
                slug="water-sturend",
                name="Water en bodem sturend",
                description="Geen woningen of bedrijven op huidig water- en natuurland; waterberging weegt zwaarder.",
                changes={
                    "claims": {"water": {"priority": 6}},
                    "exclude": {"wonen": ["water", "natuur"], "bedrijven": ["water", "natuur"]},
                },
            ),
        ]
    )
    return len(units)


def demo_step(*, scale: str = "small", seed: int = 7, progress: Any = None, **_: Any) -> dict[str, int]:
    return strategy_demo(seed=seed)
