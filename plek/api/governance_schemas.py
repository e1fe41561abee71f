"""Request and response shapes of the governance endpoints of API v1 (signals, proposals, meetings,
standards, the decision log). Same conventions as plek.api.schemas: snake_case in Python,
lowerCamelCase in JSON; forms and services check the rules (422 naming the property), a step not in
a workflow's transition table answers 409."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field

from plek.accounts.models import BodyMembership
from plek.api.schemas import (
    ApiModel,
    Codes,
    Id,
    InputModel,
    IsoDate,
    PageQuery,
    RegionRef,
    ThemeRef,
    choice,
    patch_model,
)
from plek.governance.models import (
    Decision,
    Evidence,
    Follow,
    FollowUpAction,
    Proposal,
    Signal,
    StandardVersion,
)

SIGNAL_STATES = Signal.State.values
PROPOSAL_STATES = Proposal.State.values
VERSION_STATES = StandardVersion.State.values
OUTCOMES = Decision.Outcome.values


class SignalEventOut(ApiModel):
    from_state: str = Field(description="Empty when the event is not a state change.")
    to_state: str = Field(description="Empty when the event is not a state change.")
    summary: str
    note: str
    at: dt.datetime


class SourceOut(ApiModel):
    type: str = Field(description="The source model, e.g. learning.barrier or brokering.question.")
    id: int
    url: str


class SignalOut(ApiModel):
    id: int
    kind: str = choice(Signal.Kind.values)
    title: str
    description: str
    scale: str
    regions: list[RegionRef]
    themes: list[ThemeRef]
    state: str = choice(SIGNAL_STATES)
    close_reason: str
    merged_into: int | None = Field(description="Id of the signal this duplicate was merged into.")
    source: SourceOut | None = Field(description="Where it was passed on from; null when raised directly.")
    support_count: int
    created_at: dt.datetime
    url: str = Field(description="The signal's page.")
    transitions: list[str] = Field(description="The steps you may take now.")


class SupportOut(ApiModel):
    supporter: str | None = Field(description="Display name; null for anonymous callers.")
    comment: str
    at: dt.datetime


class SignalDetail(SignalOut):
    supports: list[SupportOut]
    events: list[SignalEventOut]


class SignalPage(ApiModel):
    items: list[SignalOut]
    page: int
    page_size: int
    total: int
    next: str | None


class SignalQuery(PageQuery):
    state: Literal[tuple(SIGNAL_STATES)] | None = None  # type: ignore[valid-type]
    kind: Literal[tuple(Signal.Kind.values)] | None = None  # type: ignore[valid-type]


class SignalIn(InputModel):
    kind: str = choice(Signal.Kind.values, "obstacle or solution.")
    title: str
    description: str
    scale: str = choice(["", "local", "regional", "national"], "Scale level; may be empty.", default="")
    regions: Codes = Field(default_factory=list, description="Region codes.")
    themes: Codes = Field(default_factory=list, description="Theme slugs.")


class SupportIn(InputModel):
    comment: str = Field("", description="Optional comment with your support.")


class SignalTransitionIn(InputModel):
    to: str = choice(SIGNAL_STATES, "The state to move to.")
    note: str = Field("", description="Required for closed (the reason).")
    merged_into: Id | None = Field(None, description="closed: id of the signal this one duplicates.")
    proposal: Id | None = Field(None, description="bundled: id of the proposal.")


class DecisionOut(ApiModel):
    id: int
    decided_at: dt.datetime
    confidential: bool
    confidential_reason: str
    outcome: str | None = Field(description="Null when confidential (only that a decision was taken shows).")
    subject: str | None = Field(
        description="Title of the proposal or standard version; null when confidential."
    )
    subject_url: str | None
    text: str | None
    reasons: str | None
    meeting: str | None = Field(description="Title of the meeting it was taken in.")
    url: str


class DecisionPage(ApiModel):
    items: list[DecisionOut]
    page: int
    page_size: int
    total: int
    next: str | None


class EvidenceOut(ApiModel):
    kind: str
    title: str
    url: str


class ActionOut(ApiModel):
    id: int
    description: str
    owner: str
    due_date: IsoDate
    progress: int
    status: str


class ProposalOut(ApiModel):
    id: int
    confidential: bool
    confidential_reason: str
    title: str | None = Field(description="Null when confidential and you are not a member of a body.")
    state: str = choice(PROPOSAL_STATES)
    meeting: int | None = Field(description="Id of the meeting whose agenda it is on.")
    url: str
    transitions: list[str]


class ProposalDetail(ProposalOut):
    rationale: str | None
    expected_effect: str | None
    decision_requested: str | None
    signals: list[int]
    evidence: list[EvidenceOut]
    decisions: list[DecisionOut]
    actions: list[ActionOut]


class ProposalPage(ApiModel):
    items: list[ProposalOut]
    page: int
    page_size: int
    total: int
    next: str | None


class ProposalQuery(PageQuery):
    state: Literal[tuple(PROPOSAL_STATES)] | None = None  # type: ignore[valid-type]


class ProposalTransitionIn(InputModel):
    to: str = choice(PROPOSAL_STATES, "The state to move to.")
    note: str = Field("", description="Required for closed.")
    meeting: Id | None = Field(None, description="scheduled: id of a Steering group meeting.")
    outcome: str | None = choice(OUTCOMES, "decided: the outcome.", default=None)
    decision_text: str | None = Field(None, description="decided: the decision text.")
    reasons: str | None = Field(None, description="decided: the reasons (required unless adopted).")
    confidential: bool | None = Field(None, description="decided: mark the decision confidential.")
    confidential_reason: str | None = Field(None, description="decided: why it is confidential.")


class MeetingOut(ApiModel):
    id: int
    body: str
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    url: str
    ical: str = Field(description="URL of the meeting as iCalendar.")


class MeetingPage(ApiModel):
    items: list[MeetingOut]
    page: int
    page_size: int
    total: int
    next: str | None


class VersionOut(ApiModel):
    number: int
    state: str = choice(VERSION_STATES)
    change_summary: str
    consultation_closes_on: IsoDate | None
    comment_count: int


class StandardOut(ApiModel):
    slug: str
    title: str
    summary: str
    versions: list[VersionOut]
    url: str


class StandardPage(ApiModel):
    items: list[StandardOut]
    page: int
    page_size: int
    total: int
    next: str | None


class VersionTransitionIn(InputModel):
    to: str = choice(VERSION_STATES, "The state to move to.")
    note: str = ""
    closes_on: IsoDate | None = Field(None, description="consultation: when it closes.")
    decision_text: str | None = Field(None, description="adopted: the decision text.")
    reasons: str | None = Field(None, description="adopted: the reasons.")
    meeting: Id | None = Field(None, description="adopted: id of the Steering group meeting.")


# ---- evidence, follow-up actions, consultation comments, self-assessments, follows ----------------------


class EvidenceIn(InputModel):
    kind: str = choice(
        Evidence.Kind.values, "knowledge (cite `knowledgeItem`) or scenario | learning | other (`url`)."
    )
    knowledge_item: str | None = Field(
        None, max_length=200, description="Slug of a knowledge item you may see."
    )
    url: str | None = Field(None, max_length=500, description="https://… or a path on this platform.")
    title: str | None = Field(None, max_length=300, description="Defaults to the knowledge item's title.")


class ActionIn(InputModel):
    description: str = Field(max_length=500)
    owner: str = Field(max_length=200, description="Who carries it out (a name).")
    due_date: IsoDate


class ActionPatch(InputModel):
    """Send only what changes; `done` sets the progress to 100."""

    progress: int | None = Field(None, ge=0, le=100, description="Percentage done.")
    status: str | None = choice(FollowUpAction.Status.values, default=None)


class CommentIn(InputModel):
    section: str = Field(max_length=200, description="Key of a section of the version's text.")
    text: str = Field(max_length=10_000)


class CommentOut(ApiModel):
    id: int
    section: str
    text: str
    at: dt.datetime


class AssessmentAnswerIn(InputModel):
    met: bool
    evidence: str = Field("", max_length=10_000, description="Required when met.")


class SelfAssessmentIn(InputModel):
    hub: str = Field(max_length=200, description="Slug of the hub assessed (its coordinators).")
    answers: list[AssessmentAnswerIn] = Field(
        max_length=200, description="One answer per line of the adopted version's checklist, in order."
    )


class AssessmentItemOut(ApiModel):
    criterion: str
    met: bool
    evidence: str


class SelfAssessmentOut(ApiModel):
    hub: str
    version: int = Field(description="Number of the adopted version assessed.")
    items: list[AssessmentItemOut]
    met_count: int
    total_count: int
    at: dt.datetime


FollowTarget = Literal["signal", "proposal", "standard"]


class FollowIn(InputModel):
    frequency: str = choice(Follow.Frequency.values, "How often the digest e-mail comes.", default="weekly")


class FollowOut(ApiModel):
    target: str
    id: int
    frequency: str


# ---- writing proposals, meetings and standards (the pages' forms check the rules: 422) ----------------


class ProposalIn(InputModel):
    """A draft agenda proposal (Initiative group members); the signals are bundled into it."""

    title: str
    rationale: str
    expected_effect: str
    decision_requested: str
    signals: list[Id] = Field(
        default_factory=list, max_length=200, description="Ids of new or reviewed signals to bundle."
    )
    confidential: bool = False
    confidential_reason: str = Field("", description="Required when confidential.")


class ProposalEditIn(InputModel):
    title: str
    rationale: str
    expected_effect: str
    decision_requested: str
    confidential: bool
    confidential_reason: str = Field(description="Required when confidential.")


ProposalPatch = patch_model(ProposalEditIn, "ProposalPatch")


class MeetingIn(InputModel):
    body: str = choice(BodyMembership.Body.values, "The body that meets.")
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime = Field(description="Not before `startsAt`.")
    location: str = ""


class MeetingDetail(MeetingOut):
    minutes: str = Field(description="The minutes (Markdown); empty until recorded.")


class MinutesIn(InputModel):
    minutes: str = Field(description="Markdown.")


class StandardIn(InputModel):
    """A new standard with its first version as a draft."""

    title: str
    summary: str
    body: str = Field(description="The text (Markdown; `##` headings are its sections).")
    checklist: str = Field(description="The criteria, one per line (1 to 50).")
    change_summary: str = ""


class VersionIn(InputModel):
    body: str = Field(description="The text (Markdown; `##` headings are its sections).")
    checklist: str = Field(description="The criteria, one per line (1 to 50).")
    change_summary: str = Field("", description="What changed since the last version.")
