"""Questions on the region page, the map and a programme's regional picture (registered through
plek/platform/registry.py: region sections, map measures and programme parts)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from plek.atlas.filters import linked_ids, region_in
from plek.atlas.models import Region
from plek.atlas.permissions import Viewer
from plek.atlas.picture import (
    MapMeasure,
    PictureItem,
    PictureSection,
    ProgrammePart,
    RegionScope,
    count_by_region,
    picture_items,
    region_scoped,
    region_topics_changed,
    split_rows,
)
from plek.brokering.models import Question
from plek.brokering.permissions import question_q, question_split
from plek.brokering.transitions import OPEN_STATES

Links = Question.regions.through
ANSWERED_STATES = (Question.State.ANSWERED, Question.State.CLOSED)


def _describe(q: Question) -> tuple[str, str, str]:
    return q.title, reverse("brokering:detail", args=[q.slug]), q.get_state_display()


@region_scoped
def region_sections(viewer: Viewer, scope: RegionScope, limit: int) -> list[PictureSection]:
    """Open and answered questions about the area: three queries for both sections, and for a
    signed-in viewer the part every signed-in person sees ranked once and shared (`split_rows`)."""

    def visible(states: tuple[str, ...], name: str) -> Any:
        return split_rows(
            Links.objects.filter(question__state__in=states),
            viewer,
            Question,
            "question",
            full=question_q,
            split=question_split,
            name=name,
        )

    open_best = scope.top(visible(tuple(OPEN_STATES), "open"), "question_id", limit)
    done_best = scope.top(visible(ANSWERED_STATES, "answered"), "question_id", limit)
    wanted = [eid for eid, _r in open_best.rows] + [eid for eid, _r in done_best.rows]
    objects = Question.objects.only("id", "slug", "title", "state").in_bulk(wanted)
    base = reverse("brokering:list")
    return [
        PictureSection(
            key="questions_open",
            title=_("Open kennisvragen"),
            items=picture_items(scope, open_best, objects, limit, _describe),
            total=len(open_best),
            all_url=base + "?" + urlencode({"gebied": scope.region.code}),
            empty=_("Geen open vragen."),
        ),
        PictureSection(
            key="questions_answered",
            title=_("Beantwoorde kennisvragen"),
            items=picture_items(scope, done_best, objects, limit, _describe),
            total=len(done_best),
            all_url=base + "?" + urlencode({"gebied": scope.region.code, "status": "answered"}),
            empty=_("Nog geen beantwoorde vragen."),
        ),
    ]


# ---- which region pages a write changes (the sections above read questions and their region links) --


def _regions_of(question: Question) -> None:
    """Move the scoped topic of every region page the question's current regions reach."""
    region_topics_changed(
        "brokering", Links.objects.filter(question_id=question.pk).values_list("region_id", flat=True)
    )


def _question_saved(sender: type, instance: Question, raw: bool = False, **kwargs: Any) -> None:
    if not raw:
        _regions_of(instance)


def _question_deleting(sender: type, instance: Question, **kwargs: Any) -> None:
    _regions_of(instance)


def _links_changed(
    sender: type, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if reverse:  # region.questions.add(...): the region itself
        region_topics_changed("brokering", [instance.pk])
    elif action == "pre_clear":
        _regions_of(instance)
    else:
        region_topics_changed("brokering", pk_set or ())


def connect() -> None:
    """Wire the writes that change what `region_sections` shows (BrokeringConfig.ready)."""
    from django.db.models import signals

    signals.post_save.connect(_question_saved, sender=Question, dispatch_uid="plek.brokering.regions.saved")
    signals.pre_delete.connect(
        _question_deleting, sender=Question, dispatch_uid="plek.brokering.regions.deleting"
    )
    signals.m2m_changed.connect(_links_changed, sender=Links, dispatch_uid="plek.brokering.regions.links")


def _open_values(viewer: Viewer, regions: list[Region], option: str) -> dict[int, float]:
    return count_by_region(
        regions,
        lambda ids: region_in(
            Links.objects.filter(question_q(viewer, prefix="question__"), question__state__in=OPEN_STATES),
            "region_id",
            ids,
        ).values_list("question_id", "region_id"),
    )


MAP_MEASURES = [MapMeasure("open_questions", gettext_lazy("aantal open kennisvragen"), _open_values)]


def programme_parts(viewer: Viewer, programme: Any, theme_ids: list[int]) -> list[ProgrammePart]:
    """Questions on the programme's themes, referred to it or asked by it, and those answered:
    two queries."""
    concern = Q(referred_to_programme=programme) | Q(programme=programme)
    if theme_ids:
        concern |= Q(pk__in=linked_ids(Question, "themes", theme_ids))
    questions = Question.objects.filter(question_q(viewer)).filter(concern)
    rows = list(
        Links.objects.filter(question__in=questions).values_list(
            "region_id", "question_id", "question__state"
        )
    )
    asked: dict[int, set[Any]] = {}
    answered: dict[int, set[Any]] = {}
    for rid, qid, state in rows:
        asked.setdefault(rid, set()).add(qid)
        if state in ANSWERED_STATES:
            answered.setdefault(rid, set()).add(qid)
    newest = list(questions.order_by("-submitted_at", "-id").only("id", "slug", "title", "state")[:5])
    done = list(
        questions.filter(state__in=ANSWERED_STATES)
        .order_by("-state_changed_at", "-id")
        .only("id", "slug", "title", "state")[:5]
    )
    return [
        ProgrammePart(
            key="questions",
            title=_("Kennisvragen"),
            per_region=asked,
            total=len({q for ids in asked.values() for q in ids}),
            items=[PictureItem(*_describe(q)[:2], note=_describe(q)[2]) for q in newest],
            all_url=reverse("brokering:list"),
        ),
        ProgrammePart(
            key="answers",
            title=_("Antwoorden"),
            per_region=answered,
            total=len({q for ids in answered.values() for q in ids}),
            items=[PictureItem(*_describe(q)[:2], note=_describe(q)[2]) for q in done],
        ),
    ]
