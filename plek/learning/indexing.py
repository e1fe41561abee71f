"""Trajectories and lessons as search documents (registered in plek/platform/registry.py,
since learning sits above knowledge in the layer rule).

Who may find them follows `plek.learning.permissions`: a trajectory's visibility level plus its
members (author, facilitator, participants with an account); a lesson is found by whoever may see
both the lesson and its trajectory, so a private trajectory never leaks through its lessons."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plek.core.models import Visibility
from plek.knowledge.indexing import LEVEL_ORDER, theme_ancestors, visibility_keys
from plek.knowledge.search.base import SearchDoc
from plek.learning.models import OPEN_STATUSES, Lesson, Trajectory


def _member_keys(trajectory: Trajectory) -> set[str]:
    users = {p.user_id for p in trajectory.participants.all() if p.user_id is not None}
    users |= {u for u in (trajectory.facilitator_id, trajectory.created_by_id) if u is not None}
    return {f"user:{u}" for u in users}


def trajectory_keys(trajectory: Trajectory) -> list[str]:
    keys = visibility_keys(
        trajectory.visibility, hub_id=trajectory.owner_hub_id, owner_user_id=trajectory.created_by_id
    )
    out = sorted((set(keys) - {"admin-only"}) | _member_keys(trajectory))
    return out or ["admin-only"]


def lesson_keys(lesson: Lesson) -> list[str]:
    trajectory = lesson.trajectory
    if trajectory is None:
        return visibility_keys(
            lesson.visibility, hub_id=lesson.owner_hub_id, owner_user_id=lesson.created_by_id
        )
    lesson_level = LEVEL_ORDER[Visibility(lesson.visibility)]
    trajectory_level = LEVEL_ORDER[Visibility(trajectory.visibility)]
    if trajectory_level >= lesson_level:
        keys = set(trajectory_keys(trajectory))
    else:
        keys = set(
            visibility_keys(lesson.visibility, hub_id=lesson.owner_hub_id, owner_user_id=lesson.created_by_id)
        ) | _member_keys(trajectory)
    keys.discard("admin-only")
    return sorted(keys) or ["admin-only"]


def build_trajectories(ids: list[int]) -> list[SearchDoc]:
    themes = theme_ancestors()
    docs = []
    rows = Trajectory.objects.filter(pk__in=ids).prefetch_related(
        "themes", "regions", "participants", "agenda_items", "sessions"
    )
    for t in rows:
        agenda = [f"{i.text}\n{i.barrier}" for i in t.agenda_items.all() if i.status in OPEN_STATUSES]
        docs.append(
            SearchDoc(
                key=f"trajectory:{t.pk}",
                type="trajectory",
                id=t.pk,
                slug=t.slug,
                title=t.title,
                summary=t.goal,
                body="\n".join([t.area_process, *agenda, *(s.title for s in t.sessions.all())]),
                themes=themes(x.pk for x in t.themes.all()),
                regions=sorted(r.code for r in t.regions.all()),
                scale="regional",
                kind=t.phase,
                year=t.started_on.year,
                date=t.started_on,
                visibility_keys=trajectory_keys(t),
            )
        )
    return docs


def build_lessons(ids: list[int]) -> list[SearchDoc]:
    themes = theme_ancestors()
    docs = []
    rows = (
        Lesson.objects.filter(pk__in=ids)
        .select_related("trajectory")
        .prefetch_related("themes", "regions", "trajectory__participants")
    )
    for lesson in rows:
        docs.append(
            SearchDoc(
                key=f"lesson:{lesson.pk}",
                type="lesson",
                id=lesson.pk,
                slug=lesson.slug,
                title=lesson.title,
                summary=lesson.insight,
                body=f"{lesson.evidence}\n{lesson.conditions}",
                themes=themes(x.pk for x in lesson.themes.all()),
                regions=sorted(r.code for r in lesson.regions.all()),
                scale=lesson.scale,
                kind="lesson",
                year=lesson.date.year,
                date=lesson.date,
                visibility_keys=lesson_keys(lesson),
            )
        )
    return docs


# For plek.knowledge.indexing.builders(): entity type -> (model, builder).
SEARCH_BUILDERS: dict[str, tuple[Any, Callable[[list[int]], list[SearchDoc]]]] = {
    "trajectory": (Trajectory, build_trajectories),
    "lesson": (Lesson, build_lessons),
}
