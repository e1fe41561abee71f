"""Figures of the brokering dashboards: one hub's (`/kennishubs/<slug>/vragen/dashboard/`) and the
national one over all hubs (`/vragen/dashboard/`). Pages and API call the same selector.

Who sees what:

* A hub's dashboard is for the hub's members and coordinators and for administrators
  (`can_see_hub_dashboard`); the national dashboard for everyone signed in
  (`can_see_national_dashboard`). Anonymous visitors see neither.
* **Every figure counts only the questions the viewer may see** (`permissions.question_q`, applied
  inside each query). A private question therefore never shows up, not even as a number, for
  someone who may not read it: administrators count all questions, a hub's coordinators all of
  their hub's, a plain member all but the private ones (and hub-only ones of other hubs) unless
  they asked or broker them. We chose this over "count everything, show no titles" because small
  counts leak (a hub with one private question on a sensitive subject) and because the figures then
  always agree with the question lists the same person sees. Dashboards show no titles at all.

Each selector runs a fixed number of queries whatever the number of questions: the per-question
timings (to compute medians, which SQLite cannot) come back as one row of three timestamps each.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Avg,
    Count,
    FloatField,
    Func,
    Min,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from plek.atlas.models import Hub
from plek.atlas.permissions import Viewer
from plek.brokering import transitions
from plek.brokering.models import Answer, MatchFeedback, Question, QuestionEvent
from plek.brokering.permissions import can_run_overlap as can_run_overlap
from plek.brokering.permissions import can_see_hub_dashboard as can_see_hub_dashboard
from plek.brokering.permissions import can_see_national_dashboard as can_see_national_dashboard
from plek.brokering.permissions import question_q
from plek.brokering.selectors import count_questions, count_questions_by_hub, overdue_q

MONTHS = 12
S = Question.State


class DaysBetween(Func):
    """Days (a float) from the first datetime to the second, computed by the database: converting
    tens of thousands of datetimes in Python would cost more than the queries themselves."""

    arity = 2
    output_field = FloatField()
    # PostgreSQL (the SQL standard interval arithmetic); SQLite below. Rendered as end - start.
    template = "(CAST(EXTRACT(EPOCH FROM (%(expressions)s)) AS double precision) / 86400.0)"
    arg_joiner = " - "

    def __init__(self, start: str, end: str) -> None:
        super().__init__(end, start)  # rendered as end - start

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="(julianday(%(expressions)s))",
            arg_joiner=") - julianday(",
            **extra,
        )


# ---- who may see: the predicates live in permissions.py (re-exported for callers of this module) ------

# ---- shapes -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCount:
    month: dt.date  # the first day of the month (local time)
    count: int


@dataclass(frozen=True)
class StateCount:
    state: str
    label: str
    count: int
    overdue: int  # open and waiting longer than the hub allows (0 for states that cannot be overdue)


@dataclass(frozen=True)
class HubRow:
    """One hub's line on the national dashboard (hub None: questions no hub has taken yet)."""

    hub: Hub | None
    total: int
    open: int
    overdue: int
    answered: int  # has a published answer


@dataclass
class Dashboard:
    hub: Hub | None  # None for the national dashboard
    total: int
    months: list[MonthCount]
    states: list[StateCount]
    open: int
    overdue: int
    median_days_to_first_match: float | None  # submission -> first accepted match
    median_days_to_answer: float | None  # submission -> first `answered` step
    matched: int  # questions with an accepted match (the median's sample)
    answered: int  # questions with a published answer
    answered_from_existing: int  # ... of which answered from existing knowledge
    mean_usefulness: float | None  # the askers' evaluations, 1-5
    evaluations: int
    reused_items: int  # accepted matches on knowledge items made from these questions' answers
    reused_questions: int  # accepted matches on these questions as "earlier question"
    hubs: list[HubRow] = field(default_factory=list)  # national dashboard only

    @property
    def share_from_existing(self) -> float | None:
        """Share (0..1) of the answered questions that were answered from existing knowledge."""
        return self.answered_from_existing / self.answered if self.answered else None

    @property
    def reused(self) -> int:
        return self.reused_items + self.reused_questions

    @property
    def peak_month(self) -> int:
        return max((m.count for m in self.months), default=0)


# ---- selectors ----------------------------------------------------------------------------------------


def hub_dashboard(*, viewer: Viewer, hub: Hub, now: dt.datetime | None = None) -> Dashboard:
    """The figures of one hub: the questions it handles (`owner_hub`) that the viewer may see.
    The caller checks `can_see_hub_dashboard` first."""
    now = now or timezone.now()
    scope = Question.objects.filter(question_q(viewer), owner_hub=hub)
    return _dashboard(viewer=viewer, scope=scope, hub=hub, now=now, late=overdue_q(now))


def national_dashboard(*, viewer: Viewer, now: dt.datetime | None = None) -> Dashboard:
    """The figures over all hubs (and questions not yet routed to a hub) that the viewer may see,
    with one line per hub. The caller checks `can_see_national_dashboard` first."""
    now = now or timezone.now()
    late = overdue_q(now)  # 1 query (the hubs' overdue settings)
    scope = Question.objects.filter(question_q(viewer))
    board = _dashboard(viewer=viewer, scope=scope, hub=None, now=now, late=late)
    board.hubs = _hub_rows(scope, late=late)
    return board


def month_starts(now: dt.datetime, months: int = MONTHS) -> list[dt.date]:
    """The first days of the last `months` months, oldest first, the current month last."""
    today = timezone.localdate(now)
    year, month = today.year, today.month
    out: list[dt.date] = []
    for _ in range(months):
        out.append(dt.date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _dashboard(
    *, viewer: Viewer, scope: QuerySet[Question], hub: Hub | None, now: dt.datetime, late: Q
) -> Dashboard:

    # By state, with overdue (1 query).
    per_state = count_questions(scope, late=late).per_state  # the queue's own count
    states = [
        StateCount(
            state=value,
            label=str(label),
            count=per_state.get(value, (0, 0))[0],
            overdue=per_state.get(value, (0, 0))[1],
        )
        for value, label in S.choices
    ]
    open_states = set(transitions.OPEN_STATES)

    # Questions per month, last 12 months (1 query).
    starts = month_starts(now)
    first = timezone.make_aware(dt.datetime.combine(starts[0], dt.time.min))
    by_month: dict[dt.date, int] = {}
    for month, n in (
        scope.filter(submitted_at__gte=first)
        .annotate(month=TruncMonth("submitted_at"))
        .order_by()
        .values_list("month")
        .annotate(n=Count("pk"))
    ):
        day = timezone.localdate(month) if isinstance(month, dt.datetime) else month
        by_month[day.replace(day=1)] = by_month.get(day.replace(day=1), 0) + n

    # Timings (2 queries, one row per question that got matched or answered; days computed by the
    # database, medians here because SQLite has no median).
    to_match = _days_to_first(MatchFeedback.objects.filter(decision=MatchFeedback.Decision.ACCEPTED), scope)
    to_answer = _days_to_first(QuestionEvent.objects.filter(to_state=S.ANSWERED), scope)

    # Answers and evaluations (1 query).
    figures = scope.order_by().aggregate(
        answered=Count("answer"),
        from_existing=Count("answer", filter=Q(answer__from_existing=True)),
        evaluations=Count("evaluation"),
        usefulness=Avg("evaluation__usefulness"),
    )

    reused_items, reused_questions = _reuse(viewer, scope)  # 1 query

    return Dashboard(
        hub=hub,
        total=sum(s.count for s in states),
        months=[MonthCount(month=m, count=by_month.get(m, 0)) for m in starts],
        states=states,
        open=sum(s.count for s in states if s.state in open_states),
        overdue=sum(s.overdue for s in states),
        median_days_to_first_match=_median(to_match),
        median_days_to_answer=_median(to_answer),
        matched=len(to_match),
        answered=figures["answered"],
        answered_from_existing=figures["from_existing"],
        mean_usefulness=round(figures["usefulness"], 1) if figures["usefulness"] is not None else None,
        evaluations=figures["evaluations"],
        reused_items=reused_items,
        reused_questions=reused_questions,
    )


def _reuse(viewer: Viewer, scope: QuerySet[Question]) -> tuple[int, int]:
    """How often the answers of the questions in scope were accepted as candidates for other
    questions: as a knowledge item (the answer's published item) or as an "earlier question". Only
    acceptances on questions the viewer may see count."""
    items = Answer.objects.filter(question__in=scope.values("pk"), knowledge_item__isnull=False).values(
        "knowledge_item_id"
    )
    counts = (
        MatchFeedback.objects.filter(
            decision=MatchFeedback.Decision.ACCEPTED,
            question__in=Question.objects.filter(question_q(viewer)).values("pk"),
        )
        .filter(
            Q(kind=MatchFeedback.Kind.KNOWLEDGE, target_id__in=items)
            | Q(kind=MatchFeedback.Kind.QUESTION, target_id__in=scope.values("pk"))
        )
        .aggregate(
            items=Count("pk", filter=Q(kind=MatchFeedback.Kind.KNOWLEDGE)),
            questions=Count("pk", filter=Q(kind=MatchFeedback.Kind.QUESTION)),
        )
    )
    return counts["items"], counts["questions"]


def _hub_rows(scope: QuerySet[Question], *, late: Q) -> list[HubRow]:
    """One line per hub with visible questions (1 query for the counts, 1 for the hubs)."""
    rows = count_questions_by_hub(scope, late=late)
    hubs = Hub.objects.in_bulk([h for h in rows if h is not None])
    out = [
        HubRow(
            hub=hubs.get(hub_id) if hub_id is not None else None,
            total=c.total,
            open=c.open,
            overdue=c.overdue,
            answered=c.answered,
        )
        for hub_id, c in rows.items()
    ]
    return sorted(out, key=lambda r: (r.hub is None, r.hub.name.casefold() if r.hub else ""))


def _days_to_first(rows: QuerySet[Any], scope: QuerySet[Question]) -> list[float]:
    """Per question in scope: days from submission to the earliest of `rows` (rows with `question`
    and `at`), for the questions that have one."""
    days = (
        rows.filter(question__in=scope.values("pk"))
        .order_by()
        .values("question_id")
        .annotate(first=Min("at"), submitted=Min("question__submitted_at"))
        .annotate(days=DaysBetween("submitted", "first"))
        .values_list("days", flat=True)
    )
    return [max(float(d), 0.0) for d in days if d is not None]


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return round(statistics.median(values), 1) if values else None


def as_json(board: Dashboard) -> dict[str, Any]:
    """The dashboard as the API serves it (snake_case; the schema turns it into lowerCamelCase)."""
    return {
        "hub": {"slug": board.hub.slug, "name": board.hub.name} if board.hub is not None else None,
        "total": board.total,
        "open": board.open,
        "overdue": board.overdue,
        "per_month": [{"month": m.month.strftime("%Y-%m"), "count": m.count} for m in board.months],
        "per_state": [{"state": s.state, "count": s.count, "overdue": s.overdue} for s in board.states],
        "median_days_to_first_match": board.median_days_to_first_match,
        "median_days_to_answer": board.median_days_to_answer,
        "matched": board.matched,
        "answered": board.answered,
        "answered_from_existing": board.answered_from_existing,
        "share_from_existing": (
            round(board.share_from_existing, 3) if board.share_from_existing is not None else None
        ),
        "mean_usefulness": board.mean_usefulness,
        "evaluations": board.evaluations,
        "reuse": {"knowledge_items": board.reused_items, "questions": board.reused_questions},
        "hubs": [
            {
                "hub": {"slug": r.hub.slug, "name": r.hub.name} if r.hub is not None else None,
                "total": r.total,
                "open": r.open,
                "overdue": r.overdue,
                "answered": r.answered,
            }
            for r in board.hubs
        ],
    }
