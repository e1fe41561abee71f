"""Reads of questions. Visibility is applied inside the query (`permissions.question_q`), and each
selector does a fixed number of queries whatever the number of questions."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Case, Count, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from plek.accounts.models import User
from plek.atlas.areas import region_graph
from plek.atlas.filters import in_scope
from plek.atlas.models import Hub, Network, Programme, Region, Theme
from plek.atlas.permissions import Viewer, visible_q
from plek.brokering import transitions
from plek.brokering.models import (
    Answer,
    Evaluation,
    Introduction,
    MatchFeedback,
    ProgrammeBroker,
    Question,
    QuestionEvent,
)
from plek.brokering.permissions import handled_q, question_q
from plek.knowledge.models import KnowledgeItem

DEFAULT_OVERDUE_DAYS = 14
MAX_PAGE_SIZE = 100


def _related(qs: QuerySet[Question]) -> QuerySet[Question]:
    return qs.select_related("owner_hub", "asker", "broker", "asker_organisation").prefetch_related(
        "regions", "themes"
    )


def question_queryset(*, viewer: Viewer, select: Sequence[str] = ()) -> QuerySet[Question]:
    """Every question the viewer may see, newest first; `select`: more references joined in."""
    qs = _related(Question.objects.filter(question_q(viewer))).order_by("-submitted_at", "-id")
    return qs.select_related(*select) if select else qs


def question_page(
    *,
    viewer: Viewer,
    states: Sequence[str] | None = None,
    asked_by_me: bool = False,
    page: int = 1,
    size: int = 25,
) -> Page[Question]:
    qs = question_queryset(viewer=viewer)
    if states:
        qs = qs.filter(state__in=_checked_states(states))
    if asked_by_me:
        qs = qs.filter(asker_id=viewer.user_id) if viewer.is_authenticated else qs.none()
    return Paginator(qs, max(1, min(size, MAX_PAGE_SIZE))).get_page(page)


def question_get(*, viewer: Viewer, slug: str, related: Sequence[str] = ()) -> Question | None:
    """The question the viewer may see by its slug (None when there is none); `related`: further
    foreign keys to read in the same query (the API's references)."""
    return question_queryset(viewer=viewer).select_related(*related).filter(slug=slug).first()


@dataclass(frozen=True)
class QuestionFilters:
    """The filters of the question list (page and API): state, theme with its sub-themes, area with
    the areas inside it, handling hub, asked by the viewer."""

    state: str = ""
    theme: Theme | None = None
    region: Region | None = None
    hub: Hub | None = None
    mine: bool = False


def question_list(
    *, viewer: Viewer, filters: QuestionFilters, select: Sequence[str] = ()
) -> QuerySet[Question]:
    """The questions the viewer may see, filtered, newest first (related rows prefetched; `select`:
    more references joined in)."""
    qs = question_queryset(viewer=viewer, select=select)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.hub is not None:
        qs = qs.filter(owner_hub=filters.hub)
    qs = in_scope(qs, theme=filters.theme, region=filters.region)
    if filters.mine:
        qs = qs.filter(asker_id=viewer.user_id) if viewer.is_authenticated else qs.none()
    return qs


def question_get_or_404(*, viewer: Viewer, slug: str) -> Question:
    question = question_get(viewer=viewer, slug=slug)
    if question is None:
        raise Http404(slug)
    return question


def question_answer(*, question: Question) -> Answer | None:
    """The published answer with its knowledge item and sources, if any."""
    return (
        Answer.objects.filter(question=question)
        .select_related("knowledge_item")
        .prefetch_related("source_items", "source_people")
        .first()
    )


def question_evaluation(*, question: Question) -> Evaluation | None:
    return Evaluation.objects.filter(question=question).first()


def accepted_matches(*, question: Question) -> list[MatchFeedback]:
    """The candidates the broker accepted for this question, in the order they were accepted."""
    return list(question.match_feedback.filter(decision=MatchFeedback.Decision.ACCEPTED).order_by("at", "id"))


def broker_choices(*, question: Question) -> list[tuple[str, str]]:
    """(username, name) of the people who may be assigned as broker: the handling hub's members,
    administrators when no hub handles the question."""
    users: QuerySet[Any]
    if question.owner_hub_id is None:
        users = User.objects.filter(is_superuser=True, is_active=True)
    else:
        users = User.objects.filter(hub_memberships__hub_id=question.owner_hub_id, is_active=True).distinct()
    return [(u.get_username(), str(u)) for u in users.order_by("display_name", "username")]


def referral_targets(*, viewer: Viewer, question: Question) -> dict[str, list[Any]]:
    """What a question may be referred to: other brokering hubs, national programmes and the
    networks the viewer may see (at most 300)."""
    return {
        "hub": list(
            Hub.objects.filter(offers_brokering=True).exclude(pk=question.owner_hub_id or 0).order_by("name")
        ),
        "programme": list(Programme.objects.order_by("name")),
        "network": list(Network.objects.filter(visible_q(viewer)).order_by("name")[:300]),
    }


def referral_target(kind: str, slug: str) -> Hub | Programme | Network | None:
    """The hub, programme or network a referral names, or None."""
    model: Any = {"hub": Hub, "programme": Programme, "network": Network}[kind]
    return model.objects.filter(slug=slug).first()  # type: ignore[no-any-return]


def answers_for(question_ids: Iterable[int]) -> list[Answer]:
    """The answers of these questions with their knowledge item and question (one query)."""
    return list(
        Answer.objects.filter(question_id__in=sorted(question_ids)).select_related(
            "knowledge_item", "question"
        )
    )


def knowledge_by_ids(ids: list[int]) -> list[KnowledgeItem]:
    return list(KnowledgeItem.objects.filter(pk__in=ids))


def programme_brokers(*, programme: Any) -> list[Any]:
    """The accounts that broker for a national programme."""
    return [b.user for b in ProgrammeBroker.objects.filter(programme=programme).select_related("user")]


def question_events(*, question: Question) -> list[QuestionEvent]:
    """The question's timeline, oldest first (the caller has already checked it may see the question)."""
    return list(question.events.select_related("actor").order_by("at", "id"))


def question_age(question: Question, *, now: dt.datetime | None = None) -> dt.timedelta:
    """Time since submission: until now while the question is in play, until it ended when final."""
    end = question.state_changed_at if question.state in transitions.FINAL_STATES else now or timezone.now()
    return max(end - question.submitted_at, dt.timedelta(0))


# ---- routing ---------------------------------------------------------------------------------------


def hub_for_regions(region_ids: Iterable[int]) -> Hub | None:
    """The hub that takes a question about these regions: a brokering hub tagged to one of them or to
    the nearest region containing one (fewest containment steps; ties by hub name). None when no hub
    covers the area; administrators then route the question by hand."""
    graph = region_graph()
    distance: dict[int, int] = {}
    for rid in region_ids:
        distance[rid] = 0
        for ancestor, path in graph.ancestors(rid).items():
            distance[ancestor] = min(distance.get(ancestor, len(path)), len(path))
    if not distance:
        return None
    steps: dict[int, int] = {}
    links = Hub.regions.through.objects.filter(
        region_id__in=sorted(distance), hub__offers_brokering=True
    ).values_list("hub_id", "region_id")
    for hub_id, region_id in links:
        steps[hub_id] = min(steps.get(hub_id, distance[region_id]), distance[region_id])
    if not steps:
        return None
    hubs = list(Hub.objects.filter(pk__in=sorted(steps)).order_by("name", "pk"))
    return min(hubs, key=lambda h: steps[h.pk])


# ---- the broker's queue ----------------------------------------------------------------------------


def overdue_days(hub: Hub | None) -> int:
    """A hub's setting `overdue_days` (whole days, 1-365), else the default."""
    value: Any = (hub.preferences if hub is not None else {}).get("overdue_days", DEFAULT_OVERDUE_DAYS)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 365:
        return DEFAULT_OVERDUE_DAYS
    return value


def overdue_q(now: dt.datetime) -> Q:
    """Open questions waiting longer than their hub allows (one query reads the hubs' settings)."""
    by_days: dict[int, list[int]] = defaultdict(list)
    for hub in Hub.objects.filter(preferences__has_key="overdue_days").only("pk", "preferences"):
        days = overdue_days(hub)
        if days != DEFAULT_OVERDUE_DAYS:
            by_days[days].append(hub.pk)
    special = sorted(pk for pks in by_days.values() for pk in pks)
    late = Q(submitted_at__lt=now - dt.timedelta(days=DEFAULT_OVERDUE_DAYS)) & (
        Q(owner_hub__isnull=True) | ~Q(owner_hub_id__in=special)
    )
    for days, pks in sorted(by_days.items()):
        late |= Q(owner_hub_id__in=sorted(pks), submitted_at__lt=now - dt.timedelta(days=days))
    return Q(state__in=transitions.OPEN_STATES) & late


@dataclass
class Counts:
    """Questions per state with how many of them are overdue: THE count of the broker queue, the hub
    dashboard and the national dashboard (all three call `count_questions`), so they cannot disagree."""

    per_state: dict[str, tuple[int, int]] = field(default_factory=dict)  # state -> (questions, overdue)
    answered: int = 0  # with a published answer (only filled by count_questions_by_hub)

    @property
    def total(self) -> int:
        return sum(n for n, _ in self.per_state.values())

    @property
    def open(self) -> int:
        return sum(self.per_state.get(s, (0, 0))[0] for s in transitions.OPEN_STATES)

    @property
    def overdue(self) -> int:
        return sum(late for _, late in self.per_state.values())


def count_questions(qs: QuerySet[Question], *, late: Q) -> Counts:
    """Count these questions per state, with overdue (`late`, from `overdue_q`); 1 query."""
    counts = Counts()
    for state, n, n_late in (
        qs.order_by().values_list("state").annotate(n=Count("pk"), late=Count("pk", filter=late))
    ):
        counts.per_state[state] = (n, n_late)
    return counts


def count_questions_by_hub(qs: QuerySet[Question], *, late: Q) -> dict[int | None, Counts]:
    """`count_questions` per handling hub (desk); 1 query."""
    out: dict[int | None, Counts] = {}
    for hub_id, state, n, n_late, answered in (
        qs.order_by()
        .values_list("owner_hub", "state")
        .annotate(n=Count("pk"), late=Count("pk", filter=late), answered=Count("answer"))
    ):
        counts = out.setdefault(hub_id, Counts())
        counts.per_state[state] = (n, n_late)
        counts.answered += answered
    return out


@dataclass(frozen=True)
class QueueEntry:
    question: Question
    age: dt.timedelta  # since submission
    overdue: bool  # open and waiting longer than the hub's overdue_days
    past_deadline: bool  # the asker's wanted_by date has passed and the question is still open


@dataclass
class BrokerQueue:
    entries: list[QueueEntry]
    total: int  # matching the filters, over all pages
    counts: dict[str, int] = field(default_factory=dict)  # per state (ignoring the state filter)
    overdue: dict[str, int] = field(default_factory=dict)  # overdue per state
    page: int = 1
    size: int = 25


QUEUE_STATES: tuple[str, ...] = (*transitions.OPEN_STATES, Question.State.ANSWERED)


def broker_queue(
    *,
    viewer: Viewer,
    states: Sequence[str] | None = None,
    mine: bool = False,
    overdue_only: bool = False,
    hub: Hub | None = None,
    now: dt.datetime | None = None,
    page: int = 1,
    size: int = 25,
    select: Sequence[str] = (),
) -> BrokerQueue:
    """The questions the viewer works on — those of the hubs they coordinate and those assigned to
    them (administrators: all) — oldest first. `mine`: only those assigned to the viewer; `select`:
    more references joined in (the API's)."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    page = max(1, page)
    scope = handled_q(viewer)
    if scope is None:
        return BrokerQueue(entries=[], total=0, page=page, size=size)
    wanted = _checked_states(states) if states else list(QUEUE_STATES)
    now = now or timezone.now()
    late = overdue_q(now)
    qs = Question.objects.filter(scope, question_q(viewer))
    if mine:
        qs = qs.filter(broker_id=viewer.user_id)
    if hub is not None:
        qs = qs.filter(owner_hub=hub)
    counted = count_questions(qs, late=late)
    counts = {state: n for state, (n, _) in counted.per_state.items()}
    overdue = {state: n_late for state, (_, n_late) in counted.per_state.items()}
    total = sum((overdue if overdue_only else counts).get(s, 0) for s in wanted)
    rows = qs.filter(state__in=wanted)
    if overdue_only:
        rows = rows.filter(late)
    rows = _related(
        rows.annotate(
            is_overdue=Case(When(late, then=Value(True)), default=False, output_field=BooleanField())
        )
    ).order_by("submitted_at", "id")
    if select:
        rows = rows.select_related(*select)
    rows = rows[(page - 1) * size : page * size]
    today = timezone.localdate(now)
    open_states = set(transitions.OPEN_STATES)
    entries = [
        QueueEntry(
            question=q,
            age=question_age(q, now=now),
            overdue=bool(q.is_overdue),  # type: ignore[attr-defined]
            past_deadline=q.state in open_states and q.wanted_by is not None and q.wanted_by < today,
        )
        for q in rows
    ]
    return BrokerQueue(entries=entries, total=total, counts=counts, overdue=overdue, page=page, size=size)


def _checked_states(states: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(states))
    unknown = [s for s in wanted if s not in Question.State.values]
    if unknown:
        raise ValueError(f"unknown state(s): {', '.join(unknown)}")
    return wanted


@dataclass
class IntroductionView:
    """An introduction as the viewer may see it: contact details only with consent."""

    introduction: Introduction
    name: str
    contact: str | None  # the introduced side's e-mail, for the asker and the brokers, once accepted
    asker_contact: str | None  # the asker's e-mail, for the introduced side (never through this view)


def introductions_for(*, viewer: Viewer, question: Question) -> list[IntroductionView]:
    """The question's introductions for someone who may see the question: the asker and those who
    broker it see all of them, with the introduced side's e-mail once that side accepted; others see
    none (an introduction is between the people involved)."""
    from plek.brokering import permissions as perms

    roles = perms.question_roles(viewer, question)
    if not roles:
        return []
    out = []
    for intro in question.introductions.select_related("person", "network").order_by("created_at", "id"):
        target = intro.person or intro.network
        contact = None
        if intro.status == Introduction.Status.ACCEPTED and intro.person is not None:
            contact = intro.person.email or None
        out.append(
            IntroductionView(introduction=intro, name=str(target), contact=contact, asker_contact=None)
        )
    return out


def asker_contact_for_introduction(intro: Introduction) -> str | None:
    """What the introduced person sees of the asker after accepting: the asker's e-mail only if the
    asker agreed to share it at intake."""
    question = intro.question
    if intro.status != Introduction.Status.ACCEPTED or not question.share_contact or question.asker is None:
        return None
    return question.asker.email or None


# ---- a national programme's inbox -------------------------------------------------------------------


def programme_questions(*, viewer: Viewer, programme: Any, open_only: bool = False) -> list[Question]:
    """Questions referred to this programme that the viewer may see, oldest first (2 queries)."""
    qs = Question.objects.filter(question_q(viewer), referred_to_programme=programme)
    if open_only:
        qs = qs.filter(state=Question.State.REFERRED)
    return list(_related(qs).order_by("submitted_at", "id"))


# ---- reads for the API -----------------------------------------------------------------------------------


def answered_question_ids(question_ids: Iterable[int]) -> set[int]:
    """Which of these questions have a published answer (one query)."""
    return set(
        Answer.objects.filter(question_id__in=sorted(set(question_ids))).values_list("question_id", flat=True)
    )


def broker_by_username(username: str) -> Any:
    """The account with this username, or None (a broker to assign; the service checks who may be one)."""
    return get_user_model()._default_manager.filter(username=username).first()
