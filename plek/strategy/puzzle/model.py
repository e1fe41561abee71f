"""One allocation problem as arrays, its validation and its canonical hash.

The linear program (both solvers solve exactly this):

    variables  x[u, o] >= 0   hectares of unit u given to use option o
               unmet[c] >= 0  hectares by which claim c falls short of its minimum
    maximise   sum r[u, o] x[u, o] - penalty * sum unmet[c]
    subject to sum_o x[u, o] <= area[u]                                  (each unit's area)
               sum_u sum_o g[o, c] x[u, o] <= wanted[c]                  (no more than wanted)
               sum_u sum_o g[o, c] x[u, o] + unmet[c] >= minimum[c]      (shortfall is penalised)
               x[u, o] = 0 where a use of option o is excluded or unsuitable on u

A use option is one claim on its own (g = 1 for that claim) or a compatible combination from the
compatibility table: one hectare of pair (a, b, f) counts one hectare for claim a and f hectares for
claim b (e.g. water storage with nature f = 1, solar on nature f = 0.3). The value of a hectare is
r[u, o] = sum_c g[o, c] * priority[c] * suitability[u, c]. Writing combined use as options keeps one
capacity row per unit, which is what makes the price method in `fast.py` exact."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


def _nl(value: float) -> str:
    """Whole hectares with Dutch thousands dots (these messages are Dutch): 12.500."""
    return f"{value:,.0f}".replace(",", ".")


class PuzzleError(ValueError):
    """An impossible or malformed input; `field` names what is wrong, `message` says it in words."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class Claim:
    code: str
    wanted: float
    minimum: float
    priority: float


@dataclass
class Pair:
    """Combined use: a hectare for claim `a` also counts `fraction` hectare for claim `b`."""

    a: str
    b: str
    fraction: float


@dataclass
class Problem:
    unit_codes: list[str]
    area: FloatArray  # (U,)
    suitability: FloatArray  # (U, C), in [0, 1]
    excluded: BoolArray  # (U, C)
    claims: list[Claim]
    pairs: list[Pair] = field(default_factory=list)
    penalty: float | None = None

    # ---- derived -------------------------------------------------------------------------------

    @property
    def n_units(self) -> int:
        return int(self.area.shape[0])

    @property
    def claim_codes(self) -> list[str]:
        return [c.code for c in self.claims]

    @property
    def wanted(self) -> FloatArray:
        return np.array([c.wanted for c in self.claims], dtype=np.float64)

    @property
    def minimum(self) -> FloatArray:
        return np.array([c.minimum for c in self.claims], dtype=np.float64)

    @property
    def priority(self) -> FloatArray:
        return np.array([c.priority for c in self.claims], dtype=np.float64)

    @property
    def penalty_per_ha(self) -> float:
        """Cost of one hectare short of a minimum; by default ten times the best value a hectare can
        earn, so meeting minimums comes first."""
        if self.penalty is not None:
            return float(self.penalty)
        best = float(np.max(self.priority, initial=0.0)) * (1.0 + sum(p.fraction for p in self.pairs))
        return 10.0 * max(best, 1.0)

    def option_matrix(self) -> FloatArray:
        """g[o, c]: hectares counted for claim c per hectare of option o (claims first, then pairs)."""
        index = {c: i for i, c in enumerate(self.claim_codes)}
        n_claims = len(self.claims)
        g = np.zeros((n_claims + len(self.pairs), n_claims))
        g[np.arange(n_claims), np.arange(n_claims)] = 1.0
        for k, p in enumerate(self.pairs):
            g[n_claims + k, index[p.a]] = 1.0
            g[n_claims + k, index[p.b]] = p.fraction
        return g

    def option_labels(self) -> list[str]:
        return self.claim_codes + [f"{p.a}+{p.b}" for p in self.pairs]

    def allowed(self) -> BoolArray:
        """(U, C): the claim may use the unit (not excluded, suitability above zero)."""
        return (~self.excluded) & (self.suitability > 0)

    def option_values(self) -> tuple[FloatArray, BoolArray, FloatArray]:
        """r (U, O) value per hectare, allowed (U, O), g (O, C)."""
        g = self.option_matrix()
        allowed_c = self.allowed()
        r = (self.suitability * self.priority[None, :]) @ g.T
        # An option is allowed where every claim it serves is allowed.
        uses = g > 0
        blocked = (~allowed_c).astype(np.float32) @ uses.T.astype(np.float32)
        return r, blocked < 0.5, g

    # ---- validation ----------------------------------------------------------------------------

    def validate(self) -> None:
        """Raise PuzzleError for any input the model cannot take; the message names the culprit."""
        codes = self.claim_codes
        if not self.claims:
            raise PuzzleError("claims", "Er is geen enkele ruimteclaim.")
        if len(set(codes)) != len(codes):
            raise PuzzleError("claims", "Twee claims hebben hetzelfde landgebruik.")
        u = self.n_units
        if u == 0:
            raise PuzzleError("units", "De studie heeft geen grondeenheden.")
        if self.suitability.shape != (u, len(codes)) or self.excluded.shape != (u, len(codes)):
            raise PuzzleError("units", "Geschiktheid en uitsluitingen passen niet bij de claims.")
        if not np.all(np.isfinite(self.area)):
            raise PuzzleError("area_ha", "Een oppervlakte is geen getal.")
        bad = np.flatnonzero(self.area <= 0)
        if bad.size:
            raise PuzzleError(
                "area_ha",
                f"Grondeenheid {self.unit_codes[bad[0]]} heeft een oppervlakte van {self.area[bad[0]]:g} ha; "
                "die moet groter dan nul zijn.",
            )
        s = self.suitability
        if not np.all(np.isfinite(s)) or np.any(s < 0) or np.any(s > 1):
            row = int(np.flatnonzero(~(np.isfinite(s) & (s >= 0) & (s <= 1)).all(axis=1))[0])
            raise PuzzleError(
                "suitability", f"Grondeenheid {self.unit_codes[row]} heeft een geschiktheid buiten 0-1."
            )
        allowed = self.allowed()
        dead = np.flatnonzero(~allowed.any(axis=1))
        if dead.size:
            raise PuzzleError(
                "excluded",
                f"Grondeenheid {self.unit_codes[dead[0]]} is voor elk landgebruik uitgesloten of ongeschikt"
                f"{' (en nog ' + str(dead.size - 1) + ' andere)' if dead.size > 1 else ''}.",
            )
        usable = self.area @ allowed
        for i, c in enumerate(self.claims):
            for name, value in (("wanted", c.wanted), ("minimum", c.minimum), ("priority", c.priority)):
                if not np.isfinite(value) or value < 0:
                    raise PuzzleError(name, f"Claim {c.code}: {name} moet een getal van nul of meer zijn.")
            if c.minimum > c.wanted:
                raise PuzzleError("minimum", f"Claim {c.code}: het minimum is groter dan het gevraagde.")
            if c.wanted > usable[i] * (1 + 1e-12):
                raise PuzzleError(
                    "wanted",
                    f"Claim {c.code} vraagt {_nl(c.wanted)} ha, maar er is maar {_nl(usable[i])} ha geschikte "
                    "grond voor.",
                )
        for p in self.pairs:
            if p.a not in codes or p.b not in codes or p.a == p.b:
                raise PuzzleError("compatibility", f"Combinatie {p.a}+{p.b} noemt een onbekende claim.")
            if not (0 < p.fraction <= 1):
                raise PuzzleError(
                    "compatibility", f"Combinatie {p.a}+{p.b}: de fractie moet in (0, 1] liggen."
                )
        if self.penalty is not None and not (np.isfinite(self.penalty) and self.penalty >= 0):
            raise PuzzleError("penalty", "De boete per tekort-hectare moet nul of meer zijn.")

    # ---- hashing -------------------------------------------------------------------------------

    def input_hash(self) -> str:
        """sha256 of a canonical serialisation: same inputs, same hash, same result."""
        h = hashlib.sha256()
        head: dict[str, Any] = {
            "claims": [
                [c.code, repr(float(c.wanted)), repr(float(c.minimum)), repr(float(c.priority))]
                for c in self.claims
            ],
            "pairs": [[p.a, p.b, repr(float(p.fraction))] for p in self.pairs],
            "penalty": repr(self.penalty_per_ha),
            "units": self.n_units,
        }
        h.update(json.dumps(head, sort_keys=True).encode())
        h.update("\x1f".join(self.unit_codes).encode())
        h.update(np.ascontiguousarray(self.area, dtype="<f8").tobytes())
        h.update(np.ascontiguousarray(self.suitability, dtype="<f8").tobytes())
        h.update(np.ascontiguousarray(self.excluded, dtype="?").tobytes())
        return h.hexdigest()


@dataclass
class Allocation:
    """A solution: hectares per unit and option, with the totals derived from it."""

    x: FloatArray  # (U, O)
    objective: float
    method: str
    seconds: float = 0.0
    rounds: int = 0
    free_units: int = 0

    def claim_totals(self, g: FloatArray) -> FloatArray:
        return np.asarray(self.x.sum(axis=0) @ g, dtype=np.float64)


def objective_of(problem: Problem, x: FloatArray) -> float:
    r, _, g = problem.option_values()
    totals = x.sum(axis=0) @ g
    unmet = np.maximum(problem.minimum - totals, 0.0)
    return float(np.sum(r * x) - problem.penalty_per_ha * unmet.sum())


def check_feasible(problem: Problem, x: FloatArray, tol: float = 1e-6) -> list[str]:
    """Every constraint of the model, as a list of violations (empty when feasible)."""
    _r, allowed, g = problem.option_values()
    errors = []
    if np.any(x < -tol):
        errors.append("negative hectares")
    if np.any(np.abs(x[~allowed]) > tol):
        errors.append("allocation on excluded or unsuitable land")
    if np.any(x.sum(axis=1) > problem.area * (1 + tol) + tol):
        errors.append("unit area exceeded")
    totals = x.sum(axis=0) @ g
    if np.any(totals > problem.wanted * (1 + tol) + tol):
        errors.append("claim exceeded")
    return errors
