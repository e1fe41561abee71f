"""Writes of area learning: permission check, validation, change, history row, search outbox — all in
one transaction. Pages, API and the demo call these."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from plek.atlas.permissions import Viewer
from plek.atlas.services import unique_slug
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.handoff import SignalHandoff, pass_on_signal
from plek.core.history import diff, history_record, snapshot
from plek.core.models import Visibility
from plek.core.outbox import search_outbox_add
from plek.knowledge import services as knowledge_services
from plek.knowledge.models import KnowledgeItem
from plek.learning import permissions
from plek.learning.forms import (
    AgendaItemForm,
    LessonForm,
    ParticipantForm,
    QuoteForm,
    SessionForm,
    TimelineEventForm,
    TrajectoryForm,
)
from plek.learning.models import (
    VERSIONED_FIELDS,
    AgendaItem,
    AgendaStatus,
    AgendaVersion,
    BarrierHandoff,
    Lesson,
    Participant,
    Quote,
    Session,
    TimelineEvent,
    Trajectory,
)

logger = logging.getLogger(__name__)

S = AgendaStatus
# The one table of an agenda item's allowed status changes (staying in the same status is always
# allowed: the text, actions or owner change). A solved or dropped item can be taken up again.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    S.NEW: frozenset({S.ACTIVE, S.SOLVED, S.DROPPED, S.REFORMULATED}),
    S.ACTIVE: frozenset({S.SOLVED, S.DROPPED, S.REFORMULATED}),
    S.REFORMULATED: frozenset({S.ACTIVE, S.SOLVED, S.DROPPED}),
    S.SOLVED: frozenset({S.ACTIVE}),
    S.DROPPED: frozenset({S.ACTIVE}),
}


def _errors(form: Any) -> ValidationFailed:
    return ValidationFailed({f: [str(e) for e in errs] for f, errs in form.errors.items()})


def _user(viewer: Viewer) -> Any:
    return viewer.user if viewer.is_authenticated else None


# ---- trajectories ----------------------------------------------------------------------------------

TRAJECTORY_TRACKED = list(TrajectoryForm.Meta.fields)


def trajectory_form(
    *, viewer: Viewer, data: Any = None, instance: Trajectory | None = None
) -> TrajectoryForm:
    return TrajectoryForm(data=data, instance=instance, viewer=viewer)


@transaction.atomic
def trajectory_save(*, viewer: Viewer, form: TrajectoryForm, source: str = "web") -> Trajectory:
    instance = form.instance
    creating = instance.pk is None
    if creating and not permissions.can_create(viewer):
        raise PermissionDenied("trajectory")
    if not creating and not permissions.can_manage(viewer, instance):
        raise PermissionDenied("trajectory")
    if not form.is_valid():
        raise _errors(form)
    before = {} if creating else snapshot(Trajectory.objects.get(pk=instance.pk), TRAJECTORY_TRACKED)
    trajectory: Trajectory = form.save(commit=False)
    if creating:
        trajectory.slug = unique_slug(Trajectory, trajectory.title)
        trajectory.created_by = _user(viewer)
        if trajectory.owner_hub_id is None and len(viewer.hub_ids) == 1:
            trajectory.owner_hub_id = next(iter(viewer.hub_ids))
    trajectory.save()
    form.save_m2m()
    history_record(
        instance=trajectory,
        action="create" if creating else "update",
        actor=_user(viewer),
        changes=diff(before, snapshot(trajectory, TRAJECTORY_TRACKED)),
        source=source,
    )
    _reindex(trajectory)
    return trajectory


def _reindex(trajectory: Trajectory) -> None:
    search_outbox_add("trajectory", trajectory.pk)
    for lesson_id in Lesson.objects.filter(trajectory=trajectory).values_list("pk", flat=True):
        search_outbox_add("lesson", lesson_id)


@transaction.atomic
def trajectory_delete(*, viewer: Viewer, trajectory: Trajectory, source: str = "web") -> None:
    if not permissions.can_delete(viewer, trajectory):
        raise PermissionDenied("trajectory")
    history_record(instance=trajectory, action="delete", actor=_user(viewer), source=source)
    search_outbox_add("trajectory", trajectory.pk, "delete")
    for lesson_id in Lesson.objects.filter(trajectory=trajectory).values_list("pk", flat=True):
        search_outbox_add("lesson", lesson_id)
    trajectory.delete()


# ---- participants ------------------------------------------------------------------------------------


@transaction.atomic
def participant_add(*, viewer: Viewer, trajectory: Trajectory, data: Any, source: str = "web") -> Participant:
    if not permissions.can_manage(viewer, trajectory):
        raise PermissionDenied("trajectory")
    form = ParticipantForm(data=data, trajectory=trajectory)
    if not form.is_valid():
        raise _errors(form)
    participant: Participant = form.save(commit=False)
    participant.trajectory = trajectory
    participant.save()
    history_record(
        instance=trajectory,
        action="update",
        actor=_user(viewer),
        changes={"participants": {"old": None, "new": participant.name}},
        source=source,
    )
    _reindex(trajectory)  # members are search keys of a private trajectory
    return participant


@transaction.atomic
def participant_remove(*, viewer: Viewer, participant: Participant, source: str = "web") -> None:
    trajectory = participant.trajectory
    if not permissions.can_manage(viewer, trajectory):
        raise PermissionDenied("trajectory")
    history_record(
        instance=trajectory,
        action="update",
        actor=_user(viewer),
        changes={"participants": {"old": participant.name, "new": None}},
        source=source,
    )
    participant.delete()
    _reindex(trajectory)


# ---- the learning agenda ------------------------------------------------------------------------------


def agenda_form(
    *, trajectory: Trajectory, data: Any = None, item: AgendaItem | None = None
) -> AgendaItemForm:
    return (
        AgendaItemForm(data, trajectory=trajectory, item=item)
        if data is not None
        else AgendaItemForm(trajectory=trajectory, item=item)
    )


def _apply(item: AgendaItem, values: dict[str, Any]) -> None:
    for name in VERSIONED_FIELDS:
        setattr(item, name, values[name])


@transaction.atomic
def agenda_item_create(
    *, viewer: Viewer, trajectory: Trajectory, form: AgendaItemForm, source: str = "web"
) -> AgendaItem:
    if not permissions.can_contribute(viewer, trajectory):
        raise PermissionDenied("agenda")
    if not form.is_valid():
        raise _errors(form)
    data = form.cleaned_data
    if data["status"] not in (S.NEW, S.ACTIVE):
        raise ValidationFailed({"status": [str(_("Een nieuw agendapunt is nieuw of actief."))]})
    # Lock the trajectory row so two writers do not take the same number.
    Trajectory.objects.select_for_update().filter(pk=trajectory.pk).first()
    number = (AgendaItem.objects.filter(trajectory=trajectory).aggregate(m=Max("number"))["m"] or 0) + 1
    item = AgendaItem(
        trajectory=trajectory, number=number, opened_on=data["valid_from"], changed_on=data["valid_from"]
    )
    _apply(item, data)
    item.save()
    AgendaVersion.objects.create(
        item=item,
        valid_from=data["valid_from"],
        note=data.get("note", ""),
        recorded_by=_user(viewer),
        **{name: data[name] for name in VERSIONED_FIELDS},
    )
    history_record(
        instance=item,
        action="create",
        actor=_user(viewer),
        changes={name: {"old": None, "new": data[name]} for name in VERSIONED_FIELDS if data[name]},
        source=source,
    )
    search_outbox_add("trajectory", trajectory.pk)
    return item


@transaction.atomic
def agenda_item_change(
    *, viewer: Viewer, item: AgendaItem, form: AgendaItemForm, source: str = "web"
) -> AgendaItem:
    """A new version of the item from `valid_from` on. A status change must be in STATUS_TRANSITIONS;
    a change that changes nothing is refused (it would be an empty line in the history)."""
    if not permissions.can_contribute(viewer, item.trajectory):
        raise PermissionDenied("agenda")
    if not form.is_valid():
        raise _errors(form)
    data = form.cleaned_data
    before = {name: getattr(item, name) for name in VERSIONED_FIELDS}
    if data["status"] != item.status and data["status"] not in STATUS_TRANSITIONS[item.status]:
        raise ValidationFailed(
            {
                "status": [
                    str(_("Van '%(a)s' kan een agendapunt niet naar '%(b)s'."))
                    % {"a": AgendaStatus(item.status).label, "b": AgendaStatus(data["status"]).label}
                ]
            }
        )
    after = {name: data[name] for name in VERSIONED_FIELDS}
    changes = diff(before, after)
    if not changes:
        raise ValidationFailed({"__all__": [str(_("Er is niets gewijzigd."))]})
    AgendaVersion.objects.create(
        item=item,
        valid_from=data["valid_from"],
        note=data.get("note", ""),
        recorded_by=_user(viewer),
        **after,
    )
    _apply(item, after)
    item.changed_on = data["valid_from"]
    item.save()
    changes["valid_from"] = {"old": None, "new": data["valid_from"].isoformat()}
    history_record(instance=item, action="update", actor=_user(viewer), changes=changes, source=source)
    search_outbox_add("trajectory", item.trajectory_id)
    return item


def public_signal_warning() -> str:
    return _(
        "Dit leertraject is besloten. Een signaal aan de Initiatiefgroep is voor iedereen te lezen: alleen "
        "de tekst van de belemmering gaat mee, zonder leervraag, titel of link naar het traject. Bevestig "
        "dat deze tekst openbaar mag."
    )


@transaction.atomic
def barrier_pass_on(
    *, viewer: Viewer, item: AgendaItem, source: str = "web", confirm_public: bool = False
) -> BarrierHandoff:
    """Pass the item's systemic barrier on to the Initiative group as a signal (idempotent).

    Signals are public. From a private trajectory the contributor must confirm (`confirm_public`)
    that the barrier text may be read by anyone, and only that text goes: not the learning question,
    not the trajectory's slug or link, not its regions or themes."""
    trajectory = item.trajectory
    if not permissions.can_contribute(viewer, trajectory):
        raise PermissionDenied("agenda")
    existing = BarrierHandoff.objects.filter(item=item).first()
    if existing is not None:
        return existing
    if not item.barrier.strip():
        raise ValidationFailed({"barrier": [_("Dit agendapunt noemt geen belemmering.")]})
    private = trajectory.visibility != Visibility.PUBLIC
    if private and not confirm_public:
        raise ValidationFailed({"confirm_public": [public_signal_warning()]})
    if private:
        handoff = SignalHandoff(
            kind="obstacle",
            title=item.barrier.strip().splitlines()[0][:200],
            description=item.barrier,
            source_type="learning.agendaitem",
            source_id=item.pk,
            source_url="",
        )
    else:
        handoff = SignalHandoff(
            kind="obstacle",
            title=item.barrier.strip().splitlines()[0][:200],
            description=f"{item.barrier}\n\nLeervraag: {item.text}",
            source_type="learning.agendaitem",
            source_id=item.pk,
            source_url=reverse("learning:agenda_item", args=[trajectory.slug, item.number]),
            region_ids=tuple(sorted(r.pk for r in trajectory.regions.all())),
            theme_ids=tuple(sorted(t.pk for t in trajectory.themes.all())),
            extra={"trajectory": trajectory.slug, "number": item.number},
        )
    try:
        url = pass_on_signal(user=_user(viewer), handoff=handoff)
    except ImportError:
        # The governance app (the sink) is not installed yet: keep the hand-off here; governance
        # can pick up every BarrierHandoff without a signal_url later.
        logger.warning("No signal sink registered; barrier %s kept locally", item.pk)
        url = ""
    row = BarrierHandoff.objects.create(item=item, signal_url=str(url or "")[:500], passed_by=_user(viewer))
    history_record(
        instance=item,
        action="update",
        actor=_user(viewer),
        changes={"passed_on": {"old": None, "new": row.signal_url}},
        source=source,
    )
    return row


# ---- sessions, timeline, quotes -----------------------------------------------------------------------


def _save_child(*, viewer: Viewer, trajectory: Trajectory, form: Any, source: str, kind: str) -> Any:
    if not permissions.can_contribute(viewer, trajectory):
        raise PermissionDenied(kind)
    if not form.is_valid():
        raise _errors(form)
    creating = form.instance.pk is None
    fields = list(form.Meta.fields)
    before = {} if creating else snapshot(type(form.instance).objects.get(pk=form.instance.pk), fields)
    obj = form.save(commit=False)
    obj.trajectory = trajectory
    obj.save()
    form.save_m2m()
    history_record(
        instance=obj,
        action="create" if creating else "update",
        actor=_user(viewer),
        changes=diff(before, snapshot(obj, fields)),
        source=source,
    )
    return obj


@transaction.atomic
def session_save(
    *, viewer: Viewer, trajectory: Trajectory, form: SessionForm, source: str = "web"
) -> Session:
    session: Session = _save_child(
        viewer=viewer, trajectory=trajectory, form=form, source=source, kind="session"
    )
    search_outbox_add("trajectory", trajectory.pk)
    return session


@transaction.atomic
def event_save(
    *, viewer: Viewer, trajectory: Trajectory, form: TimelineEventForm, source: str = "web"
) -> TimelineEvent:
    event: TimelineEvent = _save_child(
        viewer=viewer, trajectory=trajectory, form=form, source=source, kind="event"
    )
    return event


@transaction.atomic
def quote_save(*, viewer: Viewer, trajectory: Trajectory, form: QuoteForm, source: str = "web") -> Quote:
    quote: Quote = _save_child(viewer=viewer, trajectory=trajectory, form=form, source=source, kind="quote")
    return quote


# ---- lessons -------------------------------------------------------------------------------------------

LESSON_TRACKED = list(LessonForm.Meta.fields)


def lesson_form(*, viewer: Viewer, data: Any = None, instance: Lesson | None = None) -> LessonForm:
    return LessonForm(data=data, instance=instance, viewer=viewer)


@transaction.atomic
def lesson_save(
    *, viewer: Viewer, form: LessonForm, trajectory: Trajectory | None = None, source: str = "web"
) -> Lesson:
    instance = form.instance
    creating = instance.pk is None
    if creating:
        allowed = (
            permissions.can_contribute(viewer, trajectory)
            if trajectory is not None
            else permissions.can_create_lesson(viewer)
        )
    else:
        allowed = permissions.can_change_lesson(viewer, instance)
    if not allowed:
        raise PermissionDenied("lesson")
    if not form.is_valid():
        raise _errors(form)
    before = {} if creating else snapshot(Lesson.objects.get(pk=instance.pk), LESSON_TRACKED)
    lesson: Lesson = form.save(commit=False)
    if creating:
        lesson.slug = unique_slug(Lesson, lesson.title)
        lesson.created_by = _user(viewer)
        lesson.trajectory = trajectory
        if lesson.owner_hub_id is None:
            lesson.owner_hub_id = trajectory.owner_hub_id if trajectory is not None else None
        if lesson.owner_hub_id is None and len(viewer.hub_ids) == 1:
            lesson.owner_hub_id = next(iter(viewer.hub_ids))
    lesson.save()
    form.save_m2m()
    history_record(
        instance=lesson,
        action="create" if creating else "update",
        actor=_user(viewer),
        changes=diff(before, snapshot(lesson, LESSON_TRACKED)),
        source=source,
    )
    search_outbox_add("lesson", lesson.pk)
    return lesson


def lesson_markdown(lesson: Lesson) -> str:
    parts = [lesson.insight.strip()]
    if lesson.evidence.strip():
        parts += ["## Onderbouwing", lesson.evidence.strip()]
    if lesson.conditions.strip():
        parts += ["## Geldt als", lesson.conditions.strip()]
    if lesson.trajectory_id is not None:
        parts.append(f"*Uit het leertraject: {lesson.trajectory.title}*")  # type: ignore[union-attr]
    return "\n\n".join(parts)


@transaction.atomic
def lesson_publish(*, viewer: Viewer, lesson: Lesson, source: str = "web") -> KnowledgeItem:
    """Publish the lesson as practice knowledge: a knowledge item of kind "lesson", written through
    the knowledge service (so it is versioned, logged and indexed for search). Publishing again
    updates that item. The item is never more open than the trajectory the lesson comes from."""
    if not permissions.can_publish_lesson(viewer, lesson):
        raise PermissionDenied("lesson")
    visibility = lesson.visibility
    if lesson.trajectory_id is not None:
        from plek.knowledge.indexing import LEVEL_ORDER

        t_level = lesson.trajectory.visibility  # type: ignore[union-attr]
        if LEVEL_ORDER[t_level] > LEVEL_ORDER[visibility]:  # type: ignore[index]
            visibility = t_level
    data = {
        "title": lesson.title,
        "kind": KnowledgeItem.Kind.LESSON,
        "summary": lesson.insight[:1000],
        "body": lesson_markdown(lesson),
        "language": "nl",
        "date": lesson.date.isoformat(),
        "themes": [t.slug for t in lesson.themes.all()],
        "regions": [r.code for r in lesson.regions.all()],
        "scale": lesson.scale,
        "provenance": KnowledgeItem.Provenance.MADE_HERE,
        "visibility": visibility,
        "owner_hub": lesson.owner_hub.slug if lesson.owner_hub is not None else "",
    }
    form = knowledge_services.knowledge_form(viewer=viewer, data=data, instance=lesson.knowledge_item)
    item = knowledge_services.knowledge_save(viewer=viewer, form=form, source=source)
    if lesson.knowledge_item_id != item.pk:
        lesson.knowledge_item = item
        lesson.save(update_fields=["knowledge_item", "updated_at"])
        history_record(
            instance=lesson,
            action="update",
            actor=_user(viewer),
            changes={"knowledge_item": {"old": None, "new": item.slug}},
            source=source,
        )
    return item


def today() -> Any:
    return timezone.localdate()


# ---- removing sessions and timeline events ---------------------------------------------------------


def _delete_child(*, viewer: Viewer, obj: Any, source: str, kind: str) -> None:
    """Remove a session or timeline event: for those who manage the trajectory (its facilitator,
    author, the owning hub's coordinators, administrators); participants record, they do not remove."""
    if not permissions.can_manage(viewer, obj.trajectory):
        raise PermissionDenied(kind)
    history_record(instance=obj, action="delete", actor=_user(viewer), source=source)
    obj.delete()


@transaction.atomic
def session_delete(*, viewer: Viewer, session: Session, source: str = "web") -> None:
    trajectory = session.trajectory
    _delete_child(viewer=viewer, obj=session, source=source, kind="session")
    search_outbox_add("trajectory", trajectory.pk)


@transaction.atomic
def event_delete(*, viewer: Viewer, event: TimelineEvent, source: str = "web") -> None:
    _delete_child(viewer=viewer, obj=event, source=source, kind="event")
