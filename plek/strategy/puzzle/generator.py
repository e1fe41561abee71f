"""Seeded synthetic studies: a grid of cells with smooth suitability maps, for the demo and the bench."""

from __future__ import annotations

import math

import numpy as np

from plek.strategy.puzzle.model import Claim, Pair, Problem

LAND_USES = [
    "wonen",
    "water",
    "natuur",
    "energie",
    "landbouw",
    "bedrijven",
    "bos",
    "recreatie",
    "infra",
    "klimaat",
]
DEFAULT_PAIRS = [
    ("water", "natuur", 1.0),
    ("energie", "natuur", 0.3),
    ("wonen", "klimaat", 0.5),
    ("recreatie", "bos", 1.0),
]


def generate(
    units: int, claims: int = 10, *, seed: int = 0, cell_ha: float = 25.0, fill: float = 0.8
) -> Problem:
    """`units` grid cells, `claims` claims (at most 10) that together want about `fill` of the land.

    Suitability is a sum of a few smooth bumps per land use, so neighbouring cells look alike and the
    change map shows regions rather than noise; flood plains (low cells) exclude housing and industry."""
    rng = np.random.default_rng(seed)
    claims = max(1, min(claims, len(LAND_USES)))
    uses = LAND_USES[:claims]
    side = math.ceil(math.sqrt(units))
    idx = np.arange(units)
    col, row = (idx % side) / side, (idx // side) / side
    suit = np.empty((units, claims))
    for j in range(claims):
        acc = np.zeros(units)
        for _ in range(3):
            cx, cy, w = rng.random(), rng.random(), 0.15 + 0.35 * rng.random()
            acc += np.exp(-((col - cx) ** 2 + (row - cy) ** 2) / (2 * w * w))
        acc += 0.15 * rng.random(units)
        suit[:, j] = np.round(np.clip(acc / acc.max(), 0.0, 1.0), 3)
    height = np.sin(3 * col + 1) * np.cos(2 * row) + 0.2 * rng.standard_normal(units)
    flood = height < -0.45
    excluded = np.zeros((units, claims), dtype=bool)
    for name in ("wonen", "bedrijven"):
        if name in uses:
            excluded[:, uses.index(name)] = flood
    area = np.round(cell_ha * (0.9 + 0.2 * rng.random(units)), 2)
    total = float(area.sum())
    shares = rng.dirichlet(np.ones(claims) * 2.0) * fill * total
    usable = area @ ((~excluded) & (suit > 0))
    cl = []
    for j, use in enumerate(uses):
        wanted = float(np.round(min(shares[j], 0.9 * usable[j]), 1))
        cl.append(
            Claim(
                code=use,
                wanted=wanted,
                minimum=float(np.round(0.5 * wanted, 1)),
                priority=float(1 + rng.integers(0, 5)),
            )
        )
    pairs = [Pair(a, b, f) for a, b, f in DEFAULT_PAIRS if a in uses and b in uses]
    current = [f"cel-{i:07d}" for i in range(units)]
    return Problem(unit_codes=current, area=area, suitability=suit, excluded=excluded, claims=cl, pairs=pairs)
