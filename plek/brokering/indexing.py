"""Questions as search documents (for finding similar earlier questions, and later matching).

The knowledge app's indexer applies the outbox rows that `services` writes ("question", pk); it cannot
import this module itself (brokering sits above knowledge in the layer rule), so SEARCH_BUILDERS is
registered in plek/platform/registry.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone

from plek.brokering.models import Answer, Question
from plek.knowledge.indexing import theme_ancestors, visibility_keys
from plek.knowledge.search.base import SearchDoc

ANSWER_KEPT = (Question.State.ANSWERED, Question.State.CLOSED)


def question_keys(question: Question) -> list[str]:
    """Who may find the question: its visibility level, plus the asker and the assigned broker (who
    always see it). Hub coordinators find private questions of their hub through the queue, not search."""
    keys = visibility_keys(
        question.visibility, hub_id=question.owner_hub_id, owner_user_id=question.created_by_id
    )
    people = {f"user:{uid}" for uid in (question.asker_id, question.broker_id) if uid is not None}
    keys = [k for k in keys if k != "admin-only"] + sorted(people - set(keys))
    return keys or ["admin-only"]


def build_questions(ids: list[int]) -> list[SearchDoc]:
    """Search documents for a batch of questions (four queries whatever the batch size). `kind` holds
    the state, so a search can put answered questions first or leave merged ones out."""
    themes = theme_ancestors()
    docs = []
    answered = set(Answer.objects.filter(question_id__in=ids).values_list("question_id", flat=True))
    for q in Question.objects.filter(pk__in=ids).prefetch_related("themes", "regions"):
        submitted = timezone.localdate(q.submitted_at)
        docs.append(
            SearchDoc(
                key=f"question:{q.pk}",
                type="question",
                id=q.pk,
                slug=q.slug,
                title=q.title,
                summary=q.text,
                body=q.context,
                themes=themes(t.pk for t in q.themes.all()),
                regions=sorted(r.code for r in q.regions.all()),
                # the state, except that a question with a published answer is "answered" for good
                # (also once closed), so searches and matching can put answers first
                kind="answered" if q.pk in answered and q.state in ANSWER_KEPT else q.state,
                year=submitted.year,
                date=submitted,
                visibility_keys=question_keys(q),
            )
        )
    return docs


# For plek.knowledge.indexing.BUILDERS: entity type -> (model, builder).
SEARCH_BUILDERS: dict[str, tuple[Any, Callable[[list[int]], list[SearchDoc]]]] = {
    "question": (Question, build_questions),
}
