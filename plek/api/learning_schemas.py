"""Request and response shapes of the area-learning endpoints of API v1.

Same conventions as plek.api.schemas: snake_case in Python, lowerCamelCase in JSON; input models
check JSON types (400), the learning forms and services check the rules (422 naming the property)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from pydantic import Field

from plek.api.schemas import (
    VIS,
    VISIBILITY_HELP,
    ApiModel,
    Codes,
    Id,
    InputModel,
    IsoDate,
    ItemRef,
    PageQuery,
    RegionRef,
    ThemeRef,
    choice,
    patch_model,
)
from plek.core.models import Scale, Visibility
from plek.learning.models import AgendaItem, AgendaStatus, Background, Session, TimelineEvent, Trajectory

PHASES = Trajectory.Phase.values
STATUSES = AgendaStatus.values
ITEM_KINDS = AgendaItem.Kind.values
SESSION_KINDS = Session.Kind.values
EVENT_KINDS = TimelineEvent.Kind.values
BACKGROUNDS = Background.values
SCALES = Scale.values

# ---- responses ---------------------------------------------------------------------------------------


class ParticipantOut(ApiModel):
    name: str
    organisation: str
    background: str = Field(description=" | ".join(BACKGROUNDS))
    scale: str


class Action(ApiModel):
    what: str
    who: str = ""
    due: IsoDate | None = Field(None, description="By when (a date), or null.")


class TrajectoryOut(ApiModel):
    """A learning trajectory tied to an area process."""

    uuid: UUID
    slug: str
    title: str
    area_process: str
    goal: str
    phase: str = Field(description=" | ".join(PHASES))
    started_on: IsoDate
    ended_on: IsoDate | None
    regions: list[RegionRef]
    themes: list[ThemeRef]
    programmes: list[ItemRef]
    owner_hub: ItemRef | None
    facilitator: str | None = Field(description="Display name of the reflexive monitor.")
    visibility: str = Field(description=VISIBILITY_HELP + " (private: the trajectory's members)")
    open_items: int = Field(description="Agenda items that are new, active or reformulated.")


class TrajectoryDetail(TrajectoryOut):
    participants: list[ParticipantOut]
    can_change: bool = Field(description="Whether you may change the trajectory itself.")
    can_contribute: bool = Field(description="Whether you may add to its agenda, sessions and timeline.")


class TrajectoryPage(ApiModel):
    items: list[TrajectoryOut]
    page: int
    page_size: int
    total: int
    next: str | None


class AgendaItemOut(ApiModel):
    """An agenda item as it stood on a date (`validFrom`: the date that state took effect)."""

    number: int
    kind: str = Field(description=" | ".join(ITEM_KINDS))
    text: str
    ambition: str
    barrier: str
    owner: str
    status: str = Field(description=" | ".join(STATUSES))
    actions: list[Action]
    valid_from: IsoDate = Field(description="Since when this state holds.")
    opened_on: IsoDate = Field(description="When the item was put on the agenda.")
    open_days: int | None = Field(description="Days on the agenda while open; null when solved or dropped.")
    long_open: bool = Field(description="Open longer than a year.")
    passed_on: bool = Field(description="Its barrier was passed on to the Initiative group.")


class AgendaVersionOut(ApiModel):
    valid_from: IsoDate
    kind: str
    text: str
    ambition: str
    barrier: str
    owner: str
    status: str
    actions: list[Action]
    note: str


class AgendaItemDetail(AgendaItemOut):
    versions: list[AgendaVersionOut] = Field(description="Every version, oldest first.")


class AgendaOut(ApiModel):
    as_of: IsoDate
    items: list[AgendaItemOut]


class FieldChangeOut(ApiModel):
    field: str = Field(description="kind | text | ambition | barrier | owner | status | actions")
    old: Any = Field(description="The value before (null for a new item).")
    new: Any


class AgendaChangeOut(ApiModel):
    number: int
    valid_from: IsoDate
    is_new: bool = Field(description="The item was put on the agenda.")
    changes: list[FieldChangeOut]
    note: str


class AgendaChangesOut(ApiModel):
    from_: IsoDate = Field(alias="from")
    to: IsoDate
    changes: list[AgendaChangeOut] = Field(
        description="In date order; each version that took effect in the window."
    )


class SessionOut(ApiModel):
    id: int
    kind: str = Field(description=" | ".join(SESSION_KINDS))
    title: str
    date: IsoDate
    method: str
    participants: list[str]
    agenda: str
    notes: str = Field(description="Markdown.")
    reflections: str
    outcomes: str
    items_discussed: list[int] = Field(description="Numbers of the agenda items discussed.")


class TimelineEventOut(ApiModel):
    id: int
    date: IsoDate
    kind: str = Field(description=" | ".join(EVENT_KINDS))
    title: str
    actors: str
    significance: str


class LessonOut(ApiModel):
    uuid: UUID
    slug: str
    title: str
    insight: str
    evidence: str
    conditions: str
    regions: list[RegionRef]
    themes: list[ThemeRef]
    scale: str
    date: IsoDate
    trajectory: str | None = Field(description="Slug of the trajectory it comes from.")
    knowledge_item: str | None = Field(description="Slug of the knowledge item it was published as.")
    visibility: str


class LessonPage(ApiModel):
    items: list[LessonOut]
    page: int
    page_size: int
    total: int
    next: str | None


class SuggestionOut(ApiModel):
    type: str = Field(description="knowledge | lesson")
    slug: str
    title: str
    items: list[int] = Field(description="The open agenda items it fits.")
    words: list[str] = Field(description="Words it shares with them.")
    themes: list[str] = Field(description="Themes it shares with the trajectory.")
    regions: list[str] = Field(description="The other areas it comes from.")


class BarrierMemberOut(ApiModel):
    trajectory: str
    number: int
    barrier: str
    passed_on: bool


class BarrierClusterOut(ApiModel):
    terms: list[str] = Field(description="Words the barriers share.")
    trajectories: int
    members: list[BarrierMemberOut]


class PassedOnSignalOut(ApiModel):
    signal_url: str = Field(
        description="Page of the signal at the Initiative group; empty while kept locally."
    )
    passed_at: dt.datetime


# ---- query parameters --------------------------------------------------------------------------------


class TrajectoryQuery(PageQuery):
    region: str | None = Field(
        None, max_length=40, description="Region code; includes every region it contains."
    )
    theme: str | None = Field(None, max_length=80, description="Theme slug; includes its sub-themes.")


class AgendaQuery(ApiModel):
    as_of: IsoDate | None = Field(None, description="The agenda as it stood on this date (default today).")


class ChangesQuery(ApiModel):
    from_: IsoDate = Field(alias="from", description="Changes that took effect after this date …")
    to: IsoDate = Field(description="… up to and including this date.")


# ---- request bodies ---------------------------------------------------------------------------------


class TrajectoryIn(InputModel):
    title: str
    area_process: str
    goal: str
    phase: str = choice(PHASES, default=Trajectory.Phase.EXPLORATION)
    started_on: IsoDate
    ended_on: IsoDate | None = None
    regions: Codes = Field(description="Region codes (at least one).")
    themes: Codes = Field(default_factory=list)
    programmes: Codes = Field(default_factory=list, description="Programme slugs.")
    facilitator: str | None = Field(None, description="Username of the reflexive monitor.")
    visibility: str = choice(VIS, VISIBILITY_HELP, Visibility.PUBLIC)
    owner_hub: str | None = Field(None, description="Hub slug.")


class TrajectoryPatch(InputModel):
    title: str | None = None
    area_process: str | None = None
    goal: str | None = None
    phase: str | None = choice(PHASES, default=None)
    started_on: IsoDate | None = None
    ended_on: IsoDate | None = None
    regions: Codes | None = None
    themes: Codes | None = None
    programmes: Codes | None = None
    facilitator: str | None = None
    visibility: str | None = choice(VIS, default=None)
    owner_hub: str | None = None


class ParticipantIn(InputModel):
    name: str
    organisation: str = ""
    background: str = choice(BACKGROUNDS)
    scale: str = choice(SCALES, default=Scale.REGIONAL)
    user: str | None = Field(None, description="Username; with an account the participant is a member.")


class AgendaItemIn(InputModel):
    kind: str = choice(ITEM_KINDS, default=AgendaItem.Kind.QUESTION)
    text: str = Field(description='The learning question or challenge ("How can we … while …?").')
    ambition: str = ""
    barrier: str = ""
    owner: str = ""
    status: str = choice(["new", "active"], default=AgendaStatus.NEW)
    actions: list[Action] = Field(default_factory=list)
    valid_from: IsoDate | None = Field(None, description="Since when (default today; not in the future).")
    note: str = ""


class AgendaItemPatch(InputModel):
    """A change: the properties sent replace the current ones from `validFrom` on."""

    kind: str | None = choice(ITEM_KINDS, default=None)
    text: str | None = None
    ambition: str | None = None
    barrier: str | None = None
    owner: str | None = None
    status: str | None = choice(STATUSES, default=None)
    actions: list[Action] | None = None
    valid_from: IsoDate | None = Field(
        None, description="When the change takes effect (default today; not before the previous change)."
    )
    note: str = ""


class SessionIn(InputModel):
    kind: str = choice(SESSION_KINDS)
    title: str
    date: IsoDate
    method: str = ""
    participants: list[str] = Field(
        default_factory=list, description="Names of participants of the trajectory."
    )
    agenda: str = ""
    notes: str = ""
    reflections: str = ""
    outcomes: str = ""
    items_discussed: list[Id] = Field(default_factory=list, description="Agenda item numbers.")


class EventIn(InputModel):
    date: IsoDate
    kind: str = choice(EVENT_KINDS)
    title: str
    actors: str = ""
    significance: str = ""


class LessonIn(InputModel):
    title: str
    insight: str
    evidence: str = ""
    conditions: str = ""
    regions: Codes
    themes: Codes = Field(default_factory=list)
    scale: str = choice(SCALES, default=Scale.REGIONAL)
    date: IsoDate
    trajectory: str | None = Field(None, description="Slug of the trajectory the lesson comes from.")
    visibility: str = choice(VIS, VISIBILITY_HELP, Visibility.PUBLIC)
    owner_hub: str | None = None


# ---- changing sessions and lessons, quotes on the timeline -------------------------------------------

SessionPatch = patch_model(SessionIn, "SessionPatch")
LessonPatch = patch_model(LessonIn, "LessonPatch", exclude=("trajectory",))


class QuoteIn(InputModel):
    text: str = Field(description="What was said.")
    speaker: str = Field("", description="Who said it; empty keeps the quote anonymous.")
    commentary: str = Field("", description="The learning historian's commentary beside it.")
    date: IsoDate | None = None
    event: Id | None = Field(None, description="Id of the timeline event it belongs to.")


class QuoteOut(ApiModel):
    id: int
    text: str
    speaker: str
    commentary: str
    date: IsoDate | None
    event: int | None = Field(description="Id of the timeline event it belongs to.")
