"""Request and response shapes of the brokering endpoints of API v1 (knowledge questions).

Same conventions as plek.api.schemas: snake_case in Python, lowerCamelCase in JSON; input models
check JSON types (400), the question form and `services.question_transition` check the rules
(422 naming the property)."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from pydantic import Field

from plek.api.schemas import (
    VIS,
    VISIBILITY_HELP,
    ApiModel,
    Codes,
    Id,
    InputModel,
    Int32,
    IsoDate,
    ItemRef,
    PageQuery,
    RegionRef,
    ThemeRef,
    choice,
)
from plek.brokering.models import Question
from plek.core.models import Visibility

STATES = Question.State.values
ANSWER_KINDS = Question.AnswerKind.values
ASKER_ROLES = Question.AskerRole.values
STATE_HELP = " | ".join(STATES)

StateLiteral = Literal[tuple(STATES)]  # type: ignore[valid-type]

# ---- responses ---------------------------------------------------------------------------------------


class ReferredTo(ApiModel):
    hub: str | None = Field(description="Slug of the hub it was referred to.")
    programme: str | None = Field(description="Slug of the national programme it was referred to.")
    network: str | None = Field(description="Slug of the network it was referred to.")


class QuestionEventOut(ApiModel):
    from_state: str | None = Field(description="Null for the submission.")
    to_state: str
    actor: str | None = Field(
        description="Display name of who took the step; null when unknown or when it is the asker "
        "and you do not handle the question."
    )
    at: dt.datetime = Field(description="When (with time zone).")
    note: str = Field(description="Handover note, reason or comment; may be empty.")
    details: dict[str, str] = Field(
        description="Public identifiers of what the step set (broker, hub, programme, network, mergedInto)."
    )


class EvaluationOut(ApiModel):
    usefulness: int = Field(description="1-5, by the asker.")
    comment: str
    at: dt.datetime


class QuestionOut(ApiModel):
    """A knowledge question and where it stands in the brokering workflow."""

    uuid: UUID
    slug: str
    title: str
    text: str
    context: str
    regions: list[RegionRef]
    themes: list[ThemeRef]
    answer_kind: str = Field(description=" | ".join(ANSWER_KINDS))
    wanted_by: IsoDate | None = Field(description="The asker's deadline, if any.")
    asker: str | None = Field(
        description="Display name of the asker; only for the asker and those handling the question."
    )
    asker_role: str = Field(description=" | ".join(ASKER_ROLES))
    asker_organisation: ItemRef | None = Field(description="Null when none, or when you may not see it.")
    state: str = Field(description=STATE_HELP)
    submitted_at: dt.datetime
    state_changed_at: dt.datetime
    owner_hub: ItemRef | None = Field(description="The hub that handles the question.")
    broker: str | None = Field(description="Display name of the assigned knowledge broker.")
    visibility: str = Field(description=VISIBILITY_HELP)
    merged_into: str | None = Field(description="Slug of the question it was merged into.")
    referred_to: ReferredTo
    transitions: list[str] = Field(description="The states you may move the question to now.")


class AnswerOut(ApiModel):
    text: str = Field(description="The synthesis (Markdown).")
    knowledge_item: str | None = Field(
        description="Slug of the published knowledge item (kind answeredQuestion)."
    )
    source_items: list[ItemRef] = Field(description="Knowledge items it draws on (those you may see).")
    source_people: list[ItemRef] = Field(description="People it draws on (those you may see).")
    from_existing: bool = Field(description="Answered from existing knowledge, without introductions.")
    published_at: dt.datetime


class QuestionDetail(QuestionOut):
    events: list[QuestionEventOut] = Field(description="The timeline, oldest first.")
    evaluation: EvaluationOut | None = Field(description="The asker's evaluation, once closed with one.")
    answer: AnswerOut | None = Field(description="The published answer, once there is one.")
    programme: ItemRef | None = Field(description="The national programme whose own question this is.")


class CandidateOut(ApiModel):
    kind: str = Field(description="knowledge | person | network | hub | organisation | question")
    id: int
    slug: str
    title: str
    url: str = Field(description="Path of its page.")
    score: float = Field(description="0-1; higher is a better match.")
    reasons: list[str] = Field(description="Why it matches, in the request's language.")
    snippet: str = Field(description="HTML-safe text with <mark> around matched words.")
    state: str = Field(description="For earlier questions: their state (answered when it has an answer).")
    decision: str = Field(description="accepted when the broker accepted it; empty otherwise.")


class MatchFeedbackOut(ApiModel):
    kind: str
    target_id: int
    title: str
    decision: str = Field(description="accepted | rejected")
    score: float = Field(description="The score it had when judged.")
    rank: int = Field(description="Its position within its kind when judged (0: not among the first 50).")
    reason: str
    actor: str | None
    at: dt.datetime


class MatchesOut(ApiModel):
    items: list[CandidateOut] = Field(description="Knowledge items.")
    people: list[CandidateOut]
    groups: list[CandidateOut] = Field(description="Networks, hubs and organisations.")
    questions: list[CandidateOut] = Field(description="Earlier questions, answered ones scoring higher.")
    accepted: list[MatchFeedbackOut] = Field(description="Candidates the broker accepted.")


class SuggestionsOut(ApiModel):
    themes: list[ThemeRef] = Field(description="Themes suggested from the text.")
    questions: list[CandidateOut] = Field(description="Similar earlier questions, answered ones first.")


class IntroductionOut(ApiModel):
    id: int
    name: str = Field(description="The person or network introduced.")
    kind: str = Field(description="person | network")
    status: str = Field(description="pending | accepted | declined")
    contact: str | None = Field(
        description="E-mail of the person introduced, once they accepted; null before that."
    )
    message: str
    response_note: str
    created_at: dt.datetime
    responded_at: dt.datetime | None


class IntroductionResponseOut(ApiModel):
    status: str = Field(description="accepted | declined")
    question: str = Field(description="Title of the question.")
    asker_contact: str | None = Field(
        description="The asker's e-mail, after accepting and only if the asker agreed to share it."
    )


class QuestionPage(ApiModel):
    """One page of questions."""

    items: list[QuestionOut]
    page: int
    page_size: int
    total: int = Field(description="Number of questions on all pages.")
    next: str | None = Field(description="URL of the next page; null on the last page.")


class QueueEntryOut(ApiModel):
    question: QuestionOut
    age_days: int = Field(description="Whole days since submission (until it ended, when final).")
    overdue: bool = Field(description="Open and waiting longer than the hub allows.")
    past_deadline: bool = Field(description="Still open after the asker's wantedBy date.")


class QueuePage(ApiModel):
    """One page of the broker queue, oldest first, with counts per state."""

    items: list[QueueEntryOut]
    page: int
    page_size: int
    total: int = Field(description="Entries matching the filters on all pages.")
    next: str | None
    counts: dict[str, int] = Field(description="Questions per state in your queue (ignoring `state`).")
    overdue_counts: dict[str, int] = Field(description="Overdue questions per state.")


# ---- query parameters --------------------------------------------------------------------------------


class QuestionQuery(PageQuery):
    state: StateLiteral | None = None  # type: ignore[valid-type]
    hub: str | None = Field(None, max_length=80, description="Slug of the handling hub.")
    region: str | None = Field(
        None, max_length=40, description="Region code; includes every region it contains."
    )
    theme: str | None = Field(None, max_length=80, description="Theme slug; includes its sub-themes.")


class QueueQuery(PageQuery):
    state: StateLiteral | None = Field(  # type: ignore[valid-type]
        None, description="Only this state (default: the open states and answered)."
    )
    overdue: bool = Field(False, description="Only overdue questions.")
    mine: bool = Field(False, description="Only questions assigned to you as broker.")
    hub: str | None = Field(None, max_length=80, description="Slug of the handling hub.")


# ---- request bodies ---------------------------------------------------------------------------------


class QuestionIn(InputModel):
    title: str
    text: str = Field(description="What you want to know (at most 10,000 characters).")
    context: str = ""
    regions: Codes = Field(description="Region codes the question is about (at least one).")
    themes: Codes = Field(default_factory=list, description="Theme slugs.")
    answer_kind: str = choice(ANSWER_KINDS, default=Question.AnswerKind.DOCUMENTS)
    wanted_by: IsoDate | None = Field(None, description="Answer wanted before (today or later).")
    asker_role: str = choice(ASKER_ROLES)
    asker_organisation: str | None = Field(None, description="Slug of your organisation.")
    visibility: str = choice(VIS, VISIBILITY_HELP, Visibility.PUBLIC)
    owner_hub: str | None = Field(
        None, description="Slug of a hub that takes questions; empty: the hub of the area."
    )
    programme: str | None = Field(
        None, description="Slug of a national programme whose own question this is (coordinators only)."
    )
    share_contact: bool = Field(
        False, description="People the hub introduces you to may see your e-mail after they accept."
    )


class SuggestionsQuery(ApiModel):
    text: str = Field(
        max_length=20_000,
        description="The question as typed so far (long text: use `POST /question-suggestions`, "
        "since a URL may hold only about 4,000 characters).",
    )
    regions: str = Field("", max_length=500, description="Comma-separated region codes.")


class SuggestionsIn(InputModel):
    """The same as the query of `GET /question-suggestions`, as a body: for text too long for a URL."""

    text: str = Field(max_length=20_000, description="The question as typed so far.")
    regions: list[str] = Field(default_factory=list, max_length=25, description="Region codes (at most 25).")


class MatchFeedbackIn(InputModel):
    kind: str = choice(
        ["knowledge", "person", "network", "hub", "organisation", "question"], "Candidate kind."
    )
    target_id: Id = Field(description="The candidate's id.")
    decision: str = choice(["accepted", "rejected"], "accepted | rejected")


class IntroductionIn(InputModel):
    person: str | None = Field(None, description="Slug of the person to introduce (or network).")
    network: str | None = Field(None, description="Slug of the network to introduce (or person).")
    organisation: str | None = Field(
        None, description="Slug of an organisation that matched: its contact person is introduced."
    )
    message: str = Field(description="Why you introduce them (sent in the e-mail).")


class IntroductionResponseIn(InputModel):
    accept: bool
    note: str = ""


class AnswerIn(InputModel):
    text: str = Field(description="The synthesis (Markdown).")
    source_items: list[str] = Field(default_factory=list, description="Slugs of knowledge items.")
    source_people: list[str] = Field(default_factory=list, description="Slugs of people.")


class TransitionIn(InputModel):
    to: str = choice(STATES, "The state to move to.")
    note: str = Field("", description="Required for referred (handover) and declined (reason).")
    broker: str | None = Field(None, description="triaged: username of a member of the handling hub.")
    referred_to_hub: str | None = Field(None, description="referred: slug of another hub.")
    referred_to_programme: str | None = Field(None, description="referred: slug of a national programme.")
    referred_to_network: str | None = Field(None, description="referred: slug of a network.")
    merged_into: str | None = Field(None, description="merged: slug of the question it duplicates.")
    usefulness: Int32 | None = Field(None, description="closed (asker): how useful the answer was, 1-5.")
    comment: str | None = Field(None, description="closed (asker): a comment with the rating.")
