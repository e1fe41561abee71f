"""Learning trajectories and lessons on the region page, and lessons and barriers in a programme's
regional picture (registered through plek/platform/registry.py: region sections and programme parts)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from plek.atlas.filters import linked_ids
from plek.atlas.permissions import Viewer
from plek.atlas.picture import (
    PictureItem,
    PictureSection,
    ProgrammePart,
    RegionScope,
    picture_items,
    split_rows,
)
from plek.learning.models import AgendaItem, Lesson, Trajectory
from plek.learning.permissions import lesson_q, lesson_split, trajectory_q, trajectory_split


def _trajectory(t: Trajectory) -> tuple[str, str, str]:
    return t.title, reverse("learning:detail", args=[t.slug]), t.get_phase_display()


def _lesson(lesson: Lesson) -> tuple[str, str, str]:
    return lesson.title, reverse("learning:lesson", args=[lesson.slug]), ""


def region_sections(viewer: Viewer, scope: RegionScope, limit: int) -> list[PictureSection]:
    """Trajectories and lessons concerning the area: four queries, and for a signed-in viewer the
    part every signed-in person sees ranked once and shared (`split_rows`)."""
    search = reverse("knowledge:search")
    t_rows = split_rows(
        Trajectory.regions.through.objects.all(),
        viewer,
        Trajectory,
        "trajectory",
        full=trajectory_q,
        split=trajectory_split,
    )
    t_best = scope.top(t_rows, "trajectory_id", limit)
    trajectories = Trajectory.objects.only("id", "slug", "title", "phase").in_bulk(
        [eid for eid, _r in scope.chosen(t_best, limit)]
    )
    l_rows = split_rows(
        Lesson.regions.through.objects.all(), viewer, Lesson, "lesson", full=lesson_q, split=lesson_split
    )
    l_best = scope.top(l_rows, "lesson_id", limit)
    lessons = Lesson.objects.only("id", "slug", "title").in_bulk(
        [eid for eid, _r in scope.chosen(l_best, limit)]
    )
    return [
        PictureSection(
            key="trajectories",
            title=_("Leertrajecten"),
            items=picture_items(scope, t_best, trajectories, limit, _trajectory),
            total=len(t_best),
            all_url=search + "?" + urlencode({"type": "trajectory", "region": scope.region.code}),
            empty=_("Nog geen leertrajecten."),
        ),
        PictureSection(
            key="lessons",
            title=_("Lessen"),
            items=picture_items(scope, l_best, lessons, limit, _lesson),
            total=len(l_best),
            all_url=search + "?" + urlencode({"type": "lesson", "region": scope.region.code}),
            empty=_("Nog geen lessen."),
        ),
    ]


def programme_parts(viewer: Viewer, programme: Any, theme_ids: list[int]) -> list[ProgrammePart]:
    """Lessons and system barriers from trajectories working with the programme or on its themes:
    four queries."""
    t_concern = Q(programmes=programme)
    if theme_ids:
        t_concern |= Q(pk__in=linked_ids(Trajectory, "themes", theme_ids))
    trajectory_ids = Trajectory.objects.filter(trajectory_q(viewer)).filter(t_concern).values("pk")
    l_concern = Q(trajectory_id__in=trajectory_ids)
    if theme_ids:
        l_concern |= Q(pk__in=linked_ids(Lesson, "themes", theme_ids))
    lessons = Lesson.objects.filter(lesson_q(viewer)).filter(l_concern)
    per_lesson: dict[int, set[Any]] = {}
    for rid, lid in Lesson.regions.through.objects.filter(lesson__in=lessons).values_list(
        "region_id", "lesson_id"
    ):
        per_lesson.setdefault(rid, set()).add(lid)
    newest = list(lessons.order_by("-date", "-id").only("id", "slug", "title")[:5])
    barriers = AgendaItem.objects.filter(trajectory_id__in=trajectory_ids).exclude(barrier="")
    barrier_rows = list(
        barriers.order_by("-changed_on", "-pk").values_list(
            "pk", "barrier", "trajectory_id", "trajectory__slug", "trajectory__title"
        )
    )
    per_barrier: dict[int, set[Any]] = {}
    by_trajectory: dict[int, list[int]] = {}
    for item_id, _text, trajectory_id, _slug, _title in barrier_rows:
        by_trajectory.setdefault(trajectory_id, []).append(item_id)
    for rid, tid in Trajectory.regions.through.objects.filter(
        trajectory_id__in=list(by_trajectory)
    ).values_list("region_id", "trajectory_id"):
        per_barrier.setdefault(rid, set()).update(by_trajectory[tid])
    return [
        ProgrammePart(
            key="lessons",
            title=_("Lessen"),
            per_region=per_lesson,
            total=len({x for ids in per_lesson.values() for x in ids}),
            items=[PictureItem(*_lesson(x)[:2]) for x in newest],
        ),
        ProgrammePart(
            key="barriers",
            title=_("Systeembelemmeringen"),
            per_region=per_barrier,
            total=len(barrier_rows),
            items=[
                PictureItem(text[:120], reverse("learning:detail", args=[slug]), note=title)
                for _pk, text, _tid, slug, title in barrier_rows[:5]
            ],
            all_url=reverse("learning:barriers"),
        ),
    ]
