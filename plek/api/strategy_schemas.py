"""Request and response shapes of the strategy API (indicators, trends, studies, variants, runs)."""

from __future__ import annotations

from pydantic import Field

from plek.api.schemas import ApiModel, InputModel, PageQuery


class IndicatorOut(ApiModel):
    slug: str
    name: str
    unit: str
    direction: str = Field(description="higher | lower: which direction is good.")
    source: str
    is_synthetic: bool
    url: str


class IndicatorPage(ApiModel):
    items: list[IndicatorOut]
    page: int
    page_size: int
    total: int
    next: str | None = None


class ObservationOut(ApiModel):
    year: int
    value: float
    source: str
    note: str


class MannKendallOut(ApiModel):
    s: int
    var_s: float
    z: float
    p: float
    tau: float
    trend: str = Field(description="increasing | decreasing | none (at alpha 0.05).")


class TrendOut(ApiModel):
    region: str = Field(description="Region code.")
    region_name: str
    n: int
    slope: float | None = Field(None, description="Theil-Sen slope per year.")
    slope_low: float | None = Field(None, description="Lower limit of the 95% interval of the slope.")
    slope_high: float | None = None
    intercept: float | None = None
    mann_kendall: MannKendallOut | None = None
    target_year: int | None = None
    target_value: float | None = None
    projected: float | None = Field(None, description="Projection to the target year.")
    projected_low: float | None = None
    projected_high: float | None = None
    verdict: str = Field(description="on_track | off_track | no_target | too_short.")
    rank: int = Field(description="Place in the ranking (on track first, then slope in the good direction).")
    observations: list[ObservationOut]
    url: str


class TrendQuery(ApiModel):
    region: str | None = Field(None, max_length=40, description="Only this region (code, e.g. PV27).")


class TrendList(ApiModel):
    indicator: IndicatorOut
    results: list[TrendOut]


class StudyOut(ApiModel):
    slug: str
    name: str
    region: str
    units: int
    is_synthetic: bool
    url: str


class StudyPage(ApiModel):
    items: list[StudyOut]
    page: int
    page_size: int
    total: int
    next: str | None = None


class ClaimResult(ApiModel):
    use: str
    wanted_ha: float
    minimum_ha: float
    priority: float
    allocated_ha: float
    fulfilment_pct: float
    shortfall_ha: float


class ConflictOut(ApiModel):
    use: str
    lost_to: str
    hectares: float


class RunOut(ApiModel):
    id: int
    variant: str
    method: str
    status: str = Field(description="queued | running | done | failed | cancelled.")
    progress: float
    input_hash: str = Field(description="sha256 of the canonical inputs; the result URL uses it.")
    objective: float | None = None
    seconds: float | None = None
    error: str = ""
    claims: list[ClaimResult] = []
    conflicts: list[ConflictOut] = []
    url: str
    result_url: str | None = None


class VariantOut(ApiModel):
    slug: str
    name: str
    description: str
    changes: dict[str, object]
    latest_run: RunOut | None = None


class StudyDetail(StudyOut):
    description: str
    claims: list[dict[str, object]]
    compatibilities: list[dict[str, object]]
    variants: list[VariantOut]


class RunIn(InputModel):
    method: str = Field(
        "fast",
        description="fast (price method) | highs (exact LP).",
        json_schema_extra={"enum": ["fast", "highs"]},
    )


class StrategyPageQuery(PageQuery):
    pass


class TargetOut(ApiModel):
    id: int
    region: str = Field(description="Area code, e.g. GM0228.")
    region_name: str
    year: int
    value: float
    note: str


class TargetIn(InputModel):
    region: str = Field(
        max_length=200, description="Area code (GM0228) or its name as the area picker shows it."
    )
    year: int = Field(description="Year by which the target must be reached (1900-2100).")
    value: float
    note: str = Field(default="", max_length=500)
