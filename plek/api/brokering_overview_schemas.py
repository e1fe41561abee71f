"""Response and query shapes of the brokering overview endpoints of API v1: the overlap clusters
("samenhang") and the question dashboards. Same conventions as plek.api.schemas: snake_case in
Python, lowerCamelCase in JSON."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from plek.api.schemas import ApiModel, ItemRef, RegionRef, ThemeRef

# ---- overlap ----------------------------------------------------------------------------------------------


class OverlapQuery(ApiModel):
    theme: str | None = Field(None, max_length=80, description="Theme slug: only clusters about this theme.")
    region: str | None = Field(
        None,
        max_length=40,
        description="Region code: only clusters with a question in this region or a region within it.",
    )


class OverlapRunOut(ApiModel):
    """One run of the overlap job."""

    id: int
    started_at: dt.datetime = Field(description="When the run started (with time zone).")
    finished_at: dt.datetime | None = Field(description="When it finished; null while it runs.")
    questions: int = Field(description="Questions compared.")
    clusters: int = Field(description="Clusters found (before hiding what a caller may not see).")


class OverlapQuestionOut(ApiModel):
    slug: str
    title: str
    state: str
    regions: list[RegionRef]
    hub: ItemRef | None = Field(description="The hub that handles the question.")
    programme: ItemRef | None = Field(description="The national programme whose question it is, if any.")
    answered: bool = Field(description="Whether the question has a published answer to reuse.")


class OverlapClusterOut(ApiModel):
    """Similar questions across hubs, regions and programmes; only the questions you may see."""

    id: int
    label: str = Field(description="E.g. \"6 vragen over zoetwatertekort in 4 regio's en 2 programma's\".")
    terms: str = Field(description="The shared words that hold the cluster together.")
    theme: ThemeRef | None
    regions: list[RegionRef]
    programmes: list[ItemRef]
    hubs: list[ItemRef]
    questions: list[OverlapQuestionOut]


class OverlapOut(ApiModel):
    run: OverlapRunOut | None = Field(description="The run these clusters come from; null before the first.")
    total: int
    items: list[OverlapClusterOut]


# ---- dashboards -------------------------------------------------------------------------------------------


class MonthCountOut(ApiModel):
    month: str = Field(description="Year and month, YYYY-MM (local time).", pattern=r"^\d{4}-\d{2}$")
    count: int


class StateCountOut(ApiModel):
    state: str
    count: int
    overdue: int = Field(description="Open and waiting longer than the hub allows.")


class ReuseOut(ApiModel):
    knowledge_items: int = Field(
        description="Times an answered question's knowledge item was accepted as a match for another question."
    )
    questions: int = Field(description="Times an answered question was accepted as an earlier question.")


class HubRowOut(ApiModel):
    hub: ItemRef | None = Field(description="Null: questions not routed to a hub yet.")
    total: int
    open: int
    overdue: int
    answered: int


class QuestionDashboardOut(ApiModel):
    """Figures over the questions you may see (private ones count only for those who may read them)."""

    hub: ItemRef | None = Field(description="The hub; null on the national dashboard.")
    total: int
    open: int
    overdue: int
    per_month: list[MonthCountOut] = Field(
        description="Submitted questions in the last 12 months, oldest first."
    )
    per_state: list[StateCountOut]
    median_days_to_first_match: float | None = Field(
        description="Median days from submission to the first accepted match; null without data."
    )
    median_days_to_answer: float | None = Field(
        description="Median days from submission to the first step to `answered`; null without data."
    )
    matched: int = Field(description="Questions with an accepted match.")
    answered: int = Field(description="Questions with a published answer.")
    answered_from_existing: int = Field(description="... of which answered from existing knowledge.")
    share_from_existing: float | None = Field(description="answeredFromExisting / answered (0-1).")
    mean_usefulness: float | None = Field(description="Mean of the askers' evaluations (1-5).")
    evaluations: int
    reuse: ReuseOut
    hubs: list[HubRowOut] = Field(description="One line per hub (national dashboard only; else empty).")
