"""The brokering part of `plek demo`: the judged evaluation corpus (experts, reports, earlier answered
questions; synthetic) and a set of questions in every stage of the workflow, then the overlap job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from plek.atlas.models import Region, Theme
from plek.brokering import evalset
from plek.brokering.models import Question, QuestionEvent
from plek.brokering.overlap import overlap_run
from plek.brokering.selectors import hub_for_regions
from plek.core.models import Visibility
from plek.core.outbox import search_outbox_add

S = Question.State
# The path each demo question has taken so far (the last state is where it stands).
PATHS = [
    [S.SUBMITTED],
    [S.SUBMITTED, S.TRIAGED],
    [S.SUBMITTED, S.TRIAGED, S.MATCHING],
    [S.SUBMITTED, S.TRIAGED, S.MATCHING, S.CONNECTED],
]


@transaction.atomic
def demo_questions(count: int = 16) -> int:
    if Question.objects.filter(is_synthetic=True, slug__startswith="demo-").exists():
        return 0
    users = get_user_model().objects
    asker = users.filter(username="buitenstaander").first()
    broker = users.filter(username="coordinator").first()
    rows = evalset.questions()[:count]
    codes = {c for row in rows for c in row.get("regions", [])}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes).defer("geometry", "description")}
    themes = {t.slug: t for t in Theme.objects.all()}
    now = timezone.now()
    for n, row in enumerate(rows):
        path = PATHS[n % len(PATHS)]
        asked = now - dt.timedelta(days=3 + 2 * n)
        qregions = [regions[c] for c in row.get("regions", []) if c in regions]
        q = Question.objects.create(
            slug=f"demo-{row['id']}",
            title=row["title"],
            text=row["text"],
            context=row.get("context", ""),
            asker=asker,
            created_by=asker,
            asker_role=row.get("asker_role", "practice"),
            state=path[-1],
            submitted_at=asked,
            state_changed_at=asked + dt.timedelta(days=len(path) - 1),
            visibility=Visibility.PUBLIC if n % 5 else Visibility.MEMBERS,
            owner_hub=hub_for_regions(r.pk for r in qregions),
            broker=broker if len(path) > 1 else None,
            share_contact=n % 2 == 0,
            is_synthetic=True,
        )
        q.regions.set(qregions)
        q.themes.set([themes[s] for s in row.get("themes", []) if s in themes])
        previous = None
        for step, state in enumerate(path):
            QuestionEvent.objects.create(
                question=q,
                from_state=previous,
                to_state=state,
                actor=asker if state == S.SUBMITTED else broker,
                at=asked + dt.timedelta(days=step),
            )
            previous = state
        search_outbox_add("question", q.pk)
    return len(rows)


def demo_step(*, scale: str, seed: int, progress: Any = None, **_: Any) -> dict[str, int]:
    loaded = evalset.load_corpus()
    made = demo_questions()
    run = overlap_run()
    return {
        "evaluation_items": loaded["items"],
        "evaluation_people": loaded["people"],
        "answered_questions": loaded["questions"],
        "open_questions": made,
        "overlap_clusters": run.clusters,
    }
