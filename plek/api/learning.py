"""API v1 for area learning: trajectories, the learning agenda with its history, sessions, the
timeline, lessons (and their publication as knowledge), lessons from elsewhere and recurring
barriers.

Reads go through `plek.learning.selectors` (visibility applied in the database; something you may
not see answers 404); writes through `plek.learning.services` with the same forms as the pages, so
a refused or invalid request changes nothing (401/403, or 422 naming the property)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status

from plek.api import learning_schemas as ls
from plek.api.auth import viewer
from plek.api.common import (
    API_ROOT,
    Operations,
    created,
    deleted,
    found,
    item_ref,
    or_404,
    paginate,
    region_filter,
    region_ref,
    theme_filter,
    theme_ref,
)
from plek.api.errors import ApiError
from plek.api.schemas import IdPath
from plek.atlas.permissions import Viewer
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.forms import current_form_data
from plek.learning import permissions, selectors, services
from plek.learning.forms import QuoteForm, SessionForm, TimelineEventForm
from plek.learning.models import AgendaItem, Lesson, Trajectory

router = Router()
_op = Operations(router, tag="learning", exclude_unset=False)


# ---- lookups ------------------------------------------------------------------------------------------


def trajectory_or_404(v: Viewer, slug: str) -> Trajectory:
    trajectory = selectors.trajectory_get(viewer=v, slug=slug)
    return or_404(trajectory, f"There is no learning trajectory '{slug}' (or you may not see it).")


def item_or_404(trajectory: Trajectory, number: int) -> AgendaItem:
    return found(
        lambda: selectors.agenda_item_get(trajectory, number),
        f"There is no agenda item {number} in '{trajectory.slug}'.",
    )


def lesson_or_404(v: Viewer, slug: str) -> Lesson:
    return or_404(
        selectors.lesson_get(viewer=v, slug=slug), f"There is no lesson '{slug}' (or you may not see it)."
    )


# ---- serialisation ---------------------------------------------------------------------------------


def trajectory_out(t: Trajectory, open_items: int) -> dict[str, Any]:
    return {
        "uuid": t.uuid,
        "slug": t.slug,
        "title": t.title,
        "area_process": t.area_process,
        "goal": t.goal,
        "phase": t.phase,
        "started_on": t.started_on,
        "ended_on": t.ended_on,
        "regions": [region_ref(r) for r in t.regions.all()],
        "themes": [theme_ref(x) for x in t.themes.all()],
        "programmes": [item_ref(p) for p in t.programmes.all()],
        "owner_hub": item_ref(t.owner_hub) if t.owner_hub is not None else None,
        "facilitator": str(t.facilitator) if t.facilitator is not None else None,
        "visibility": t.visibility,
        "open_items": open_items,
    }


def trajectory_detail(v: Viewer, t: Trajectory) -> dict[str, Any]:
    out = trajectory_out(t, selectors.open_item_counts([t.pk]).get(t.pk, 0))
    out["participants"] = [
        {"name": p.name, "organisation": p.organisation, "background": p.background, "scale": p.scale}
        for p in t.participants.all()
    ]
    out["can_change"] = permissions.can_manage(v, t)
    out["can_contribute"] = permissions.can_contribute(v, t)
    return out


def row_out(row: selectors.AgendaRow) -> dict[str, Any]:
    return {
        "number": row.item.number,
        **row.values,
        "valid_from": row.valid_from,
        "opened_on": row.opened_on,
        "open_days": row.open_days,
        "long_open": row.long_open,
        "passed_on": row.passed_on is not None,
    }


def item_out(item: AgendaItem) -> dict[str, Any]:
    rows = [r for r in selectors.agenda_as_of(trajectory=item.trajectory) if r.item.pk == item.pk]
    out: dict[str, Any] = row_out(rows[0]) if rows else {"number": item.number}
    out["versions"] = [
        {**v.values(), "valid_from": v.valid_from, "note": v.note} for v in selectors.item_versions(item)
    ]
    return out


def lesson_out(lesson: Lesson) -> dict[str, Any]:
    return {
        "uuid": lesson.uuid,
        "slug": lesson.slug,
        "title": lesson.title,
        "insight": lesson.insight,
        "evidence": lesson.evidence,
        "conditions": lesson.conditions,
        "regions": [region_ref(r) for r in lesson.regions.all()],
        "themes": [theme_ref(t) for t in lesson.themes.all()],
        "scale": lesson.scale,
        "date": lesson.date,
        "trajectory": lesson.trajectory.slug if lesson.trajectory is not None else None,
        "knowledge_item": lesson.knowledge_item.slug if lesson.knowledge_item is not None else None,
        "visibility": lesson.visibility,
    }


def session_out(s: Any) -> dict[str, Any]:
    return {
        "id": s.pk,
        "kind": s.kind,
        "title": s.title,
        "date": s.date,
        "method": s.method,
        "participants": [p.name for p in s.participants.all()],
        "agenda": s.agenda,
        "notes": s.notes,
        "reflections": s.reflections,
        "outcomes": s.outcomes,
        "items_discussed": sorted(i.number for i in s.items_discussed.all()),
    }


def event_out(e: Any) -> dict[str, Any]:
    return {
        "id": e.pk,
        "date": e.date,
        "kind": e.kind,
        "title": e.title,
        "actors": e.actors,
        "significance": e.significance,
    }


# ---- trajectories --------------------------------------------------------------------------------------


def _area_theme(query: ls.TrajectoryQuery) -> selectors.AreaThemeFilters:
    return selectors.AreaThemeFilters(region=region_filter(query.region), theme=theme_filter(query.theme))


@_op(
    "get",
    "/learning-trajectories",
    ls.TrajectoryPage,
    "listLearningTrajectories",
    "List learning trajectories",
)
def list_trajectories(request: HttpRequest, query: Query[ls.TrajectoryQuery]) -> dict[str, Any]:
    """Trajectories you may see, newest first. `region` includes every region it contains, `theme`
    its sub-themes."""
    v = viewer(request)
    qs = selectors.trajectory_list(viewer=v, filters=_area_theme(query))

    def serialize(rows: list[Trajectory]) -> list[dict[str, Any]]:
        counts = selectors.open_item_counts([t.pk for t in rows])
        return [trajectory_out(t, counts.get(t.pk, 0)) for t in rows]

    return paginate(request, qs, query, serialize)


def _trajectory_data(v: Viewer, payload: Any, instance: Trajectory | None) -> dict[str, Any]:
    sent = payload.model_dump(exclude_unset=instance is not None)
    data: dict[str, Any] = {}
    if instance is not None:
        data = {
            "title": instance.title,
            "area_process": instance.area_process,
            "goal": instance.goal,
            "phase": instance.phase,
            "started_on": instance.started_on,
            "ended_on": instance.ended_on,
            "regions": [r.code for r in instance.regions.all()],
            "themes": [t.slug for t in instance.themes.all()],
            "programmes": [p.slug for p in instance.programmes.all()],
            "facilitator": instance.facilitator.get_username() if instance.facilitator else "",
            "visibility": instance.visibility,
            "owner_hub": instance.owner_hub.slug if instance.owner_hub else "",
        }
    for key, value in sent.items():
        data[key] = [] if value is None and key in ("regions", "themes", "programmes") else value
    return {k: ("" if v is None else v) for k, v in data.items()}


@_op(
    "post",
    "/learning-trajectories",
    {201: ls.TrajectoryDetail},
    "createLearningTrajectory",
    "Start a learning trajectory (hub members)",
)
def create_trajectory(request: HttpRequest, payload: ls.TrajectoryIn, response: HttpResponse) -> Status:
    """The slug is made from the title. Without `ownerHub` the trajectory belongs to your hub if you
    are a member of exactly one."""
    v = viewer(request)
    form = services.trajectory_form(viewer=v, data=_trajectory_data(v, payload, None))
    trajectory = services.trajectory_save(viewer=v, form=form, source="api")
    body = trajectory_detail(v, trajectory_or_404(v, trajectory.slug))
    return created(request, response, f"{API_ROOT}/learning-trajectories/{trajectory.slug}", body)


@_op(
    "get",
    "/learning-trajectories/{slug}",
    ls.TrajectoryDetail,
    "getLearningTrajectory",
    "Get a learning trajectory",
)
def get_trajectory(request: HttpRequest, slug: str) -> dict[str, Any]:
    v = viewer(request)
    return trajectory_detail(v, trajectory_or_404(v, slug))


@_op(
    "patch",
    "/learning-trajectories/{slug}",
    ls.TrajectoryDetail,
    "updateLearningTrajectory",
    "Change a learning trajectory",
)
def update_trajectory(request: HttpRequest, slug: str, payload: ls.TrajectoryPatch) -> dict[str, Any]:
    """Only the properties sent change. For its facilitator, author, the owning hub's coordinators and
    administrators."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    if not permissions.can_manage(v, trajectory):
        raise PermissionDenied("trajectory")
    form = services.trajectory_form(
        viewer=v, data=_trajectory_data(v, payload, trajectory), instance=trajectory
    )
    services.trajectory_save(viewer=v, form=form, source="api")
    return trajectory_detail(v, trajectory_or_404(v, slug))


@_op.delete(
    "/learning-trajectories/{slug}",
    "deleteLearningTrajectory",
    "Delete a learning trajectory (coordinators of the owning hub, administrators)",
)
def delete_trajectory(request: HttpRequest, slug: str) -> Status:
    v = viewer(request)
    services.trajectory_delete(viewer=v, trajectory=trajectory_or_404(v, slug), source="api")
    return deleted()


@_op(
    "post",
    "/learning-trajectories/{slug}/participants",
    {201: ls.TrajectoryDetail},
    "addLearningParticipant",
    "Add a participant",
)
def add_participant(
    request: HttpRequest, slug: str, payload: ls.ParticipantIn, response: HttpResponse
) -> Status:
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    data = {k: ("" if val is None else val) for k, val in payload.model_dump().items()}
    services.participant_add(viewer=v, trajectory=trajectory, data=data, source="api")
    body = trajectory_detail(v, trajectory_or_404(v, slug))
    return created(request, response, f"{API_ROOT}/learning-trajectories/{slug}", body)


# ---- the agenda ----------------------------------------------------------------------------------------


@_op(
    "get",
    "/learning-trajectories/{slug}/agenda",
    ls.AgendaOut,
    "getLearningAgenda",
    "The learning agenda as of a date",
)
def get_agenda(request: HttpRequest, slug: str, query: Query[ls.AgendaQuery]) -> dict[str, Any]:
    """Each item as it stood on `asOf` (default today); items put on the agenda later are absent."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    from django.utils import timezone

    day = query.as_of or timezone.localdate()
    rows = selectors.agenda_as_of(trajectory=trajectory, day=day)
    return {"as_of": day, "items": [row_out(r) for r in rows]}


@_op(
    "get",
    "/learning-trajectories/{slug}/agenda-changes",
    ls.AgendaChangesOut,
    "getLearningAgendaChanges",
    "What changed on the agenda between two dates",
)
def get_agenda_changes(request: HttpRequest, slug: str, query: Query[ls.ChangesQuery]) -> dict[str, Any]:
    """Every change that took effect after `from` up to and including `to`, with the old and new value
    of each property it changed. `from` after `to` answers 400."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    if query.from_ > query.to:
        raise ApiError(400, "`from` lies after `to`.", invalid_params={"from": "Must not lie after `to`."})
    changes = selectors.agenda_changes(trajectory=trajectory, start=query.from_, end=query.to)
    return {
        "from": query.from_,
        "to": query.to,
        "changes": [
            {
                "number": c.item.number,
                "valid_from": c.valid_from,
                "is_new": c.is_new,
                "changes": [{"field": f.name, "old": f.old, "new": f.new} for f in c.fields],
                "note": c.note,
            }
            for c in changes
        ],
    }


def _actions(value: Any) -> list[dict[str, Any]]:
    return [
        {"what": a["what"], "who": a.get("who") or "", "due": a["due"].isoformat() if a.get("due") else ""}
        for a in value or []
    ]


@_op(
    "post",
    "/learning-trajectories/{slug}/agenda-items",
    {201: ls.AgendaItemDetail},
    "createLearningAgendaItem",
    "Put an item on the agenda",
)
def create_item(request: HttpRequest, slug: str, payload: ls.AgendaItemIn, response: HttpResponse) -> Status:
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    data = payload.model_dump()
    data["actions"] = _actions(data["actions"])
    data = {k: ("" if val is None else val) for k, val in data.items()}
    form = services.agenda_form(trajectory=trajectory, data=data)
    item = services.agenda_item_create(viewer=v, trajectory=trajectory, form=form, source="api")
    body = item_out(item_or_404(trajectory, item.number))
    return created(
        request, response, f"{API_ROOT}/learning-trajectories/{slug}/agenda-items/{item.number}", body
    )


@_op(
    "get",
    "/learning-trajectories/{slug}/agenda-items/{number}",
    ls.AgendaItemDetail,
    "getLearningAgendaItem",
    "Get an agenda item with its versions",
)
def get_item(request: HttpRequest, slug: str, number: IdPath) -> dict[str, Any]:
    v = viewer(request)
    return item_out(item_or_404(trajectory_or_404(v, slug), number))


@_op(
    "patch",
    "/learning-trajectories/{slug}/agenda-items/{number}",
    ls.AgendaItemDetail,
    "changeLearningAgendaItem",
    "Change an agenda item (a new version)",
)
def change_item(
    request: HttpRequest, slug: str, number: IdPath, payload: ls.AgendaItemPatch
) -> dict[str, Any]:
    """The properties sent replace the current ones from `validFrom` on (default today); the earlier
    versions are kept. A status change must be allowed from the current status (else 422 naming
    `status`); a change that changes nothing answers 422."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    item = item_or_404(trajectory, number)
    sent = payload.model_dump(exclude_unset=True)
    data: dict[str, Any] = {
        "kind": item.kind,
        "text": item.text,
        "ambition": item.ambition,
        "barrier": item.barrier,
        "owner": item.owner,
        "status": item.status,
        "actions": item.actions,
        "valid_from": "",
        "note": "",
    }
    for key, value in sent.items():
        if key == "actions":
            value = _actions(value)
        data[key] = "" if value is None else value
    form = services.agenda_form(trajectory=trajectory, item=item, data=data)
    services.agenda_item_change(viewer=v, item=item, form=form, source="api")
    return item_out(item_or_404(trajectory, number))


@_op(
    "post",
    "/learning-trajectories/{slug}/agenda-items/{number}/signal",
    ls.PassedOnSignalOut,
    "passOnLearningBarrier",
    "Pass the item's barrier on to the Initiative group",
)
def pass_on(
    request: HttpRequest,
    slug: str,
    number: IdPath,
    confirm_public: bool = Query(
        False,
        alias="confirmPublic",
        description="Confirms that the barrier text of a private trajectory may become public.",
    ),
) -> dict[str, Any]:
    """Hands the systemic barrier to the Initiative group as a signal (once; again answers the same
    hand-off). An item without a barrier answers 422 naming `barrier`. Signals are public: from a
    private trajectory pass `confirmPublic=true` to confirm that the barrier text may be read by
    anyone (only that text goes, without the learning question or a link); without it 422 names
    `confirmPublic`."""
    v = viewer(request)
    item = item_or_404(trajectory_or_404(v, slug), number)
    handoff = services.barrier_pass_on(viewer=v, item=item, source="api", confirm_public=confirm_public)
    return {"signal_url": handoff.signal_url, "passed_at": handoff.passed_at}


# ---- sessions and timeline ---------------------------------------------------------------------------


@_op(
    "get",
    "/learning-trajectories/{slug}/sessions",
    list[ls.SessionOut],
    "listLearningSessions",
    "Sessions of a trajectory",
)
def list_sessions(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    return [session_out(s) for s in selectors.sessions_of(trajectory)]


@_op(
    "post",
    "/learning-trajectories/{slug}/sessions",
    {201: ls.SessionOut},
    "createLearningSession",
    "Record a session",
)
def create_session(request: HttpRequest, slug: str, payload: ls.SessionIn, response: HttpResponse) -> Status:
    """A reflection session, eye-opener workshop, intervision or community-of-practice meeting.
    `participants` are names of the trajectory's participants; `itemsDiscussed` agenda numbers."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    if not permissions.can_contribute(v, trajectory):
        raise PermissionDenied("session")
    form = SessionForm(_session_data(trajectory, payload.model_dump()), trajectory=trajectory)
    session = services.session_save(viewer=v, trajectory=trajectory, form=form, source="api")
    fresh = selectors.session_get(trajectory, session.pk)
    return created(request, response, f"{API_ROOT}/learning-trajectories/{slug}/sessions", session_out(fresh))


def _session_data(trajectory: Trajectory, data: dict[str, Any]) -> dict[str, Any]:
    """Participants by name (as the client sends them) to their ids (as the form takes them)."""
    if "participants" in data:
        names = selectors.participant_ids_by_name(trajectory)
        unknown = [n for n in data["participants"] if n not in names]
        if unknown:
            raise ValidationFailed({"participants": [f"Unknown participant: {', '.join(unknown)[:200]}."]})
        data["participants"] = [names[n] for n in data["participants"]]
    return data


@_op.update(
    "/learning-trajectories/{slug}/sessions/{session}",
    ls.SessionOut,
    "updateLearningSession",
    "Change a recorded session",
)
def update_session(
    request: HttpRequest,
    slug: str,
    session: IdPath,
    payload: ls.SessionPatch,  # type: ignore[valid-type]
) -> dict[str, Any]:
    """Those who may contribute to the trajectory (as when recording it); send only what changes."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    found = or_404(selectors.session_get(trajectory, session), f"There is no session {session} in '{slug}'.")
    data = current_form_data(SessionForm(instance=found, trajectory=trajectory))
    sent = {k: val for k, val in payload.model_dump(exclude_unset=True).items() if val is not None}  # type: ignore[attr-defined]
    data.update(_session_data(trajectory, sent))
    form = SessionForm(data, instance=found, trajectory=trajectory)
    services.session_save(viewer=v, trajectory=trajectory, form=form, source="api")
    return session_out(selectors.session_get(trajectory, session))


@_op(
    "get",
    "/learning-trajectories/{slug}/timeline-events",
    list[ls.TimelineEventOut],
    "listLearningTimelineEvents",
    "The trajectory's timeline",
)
def list_events(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    return [event_out(e) for e in selectors.timeline_events(trajectory)]


@_op(
    "post",
    "/learning-trajectories/{slug}/timeline-events",
    {201: ls.TimelineEventOut},
    "createLearningTimelineEvent",
    "Add an event to the timeline",
)
def create_event(request: HttpRequest, slug: str, payload: ls.EventIn, response: HttpResponse) -> Status:
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    form = TimelineEventForm(payload.model_dump(), trajectory=trajectory)
    event = services.event_save(viewer=v, trajectory=trajectory, form=form, source="api")
    return created(
        request, response, f"{API_ROOT}/learning-trajectories/{slug}/timeline-events", event_out(event)
    )


def quote_out(q: Any) -> dict[str, Any]:
    return {
        "id": q.pk,
        "text": q.text,
        "speaker": q.speaker,
        "commentary": q.commentary,
        "date": q.date,
        "event": q.event_id,
    }


@_op(
    "get",
    "/learning-trajectories/{slug}/quotes",
    list[ls.QuoteOut],
    "listLearningQuotes",
    "Quotes on the trajectory's timeline",
)
def list_quotes(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    trajectory = trajectory_or_404(viewer(request), slug)
    return [quote_out(q) for q in selectors.quotes_of(trajectory)]


@_op.create(
    "/learning-trajectories/{slug}/quotes",
    ls.QuoteOut,
    "createLearningQuote",
    "Add a quote to the timeline (with the historian's commentary)",
)
def create_quote(request: HttpRequest, slug: str, payload: ls.QuoteIn, response: HttpResponse) -> Status:
    """Those who may contribute to the trajectory; `event` must be an event of its timeline."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    data = {k: ("" if val is None else val) for k, val in payload.model_dump().items()}
    quote = services.quote_save(
        viewer=v, trajectory=trajectory, form=QuoteForm(data, trajectory=trajectory), source="api"
    )
    return created(request, response, f"{API_ROOT}/learning-trajectories/{slug}/quotes", quote_out(quote))


@_op.delete(
    "/learning-trajectories/{slug}/sessions/{session}",
    "deleteLearningSession",
    "Remove a session (those who manage the trajectory)",
)
def delete_session(request: HttpRequest, slug: str, session: IdPath) -> Status:
    """For the trajectory's facilitator, author, the owning hub's coordinators and administrators
    (participants: 403). The removal is kept in the change history."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    found = or_404(selectors.session_get(trajectory, session), f"There is no session {session} in '{slug}'.")
    services.session_delete(viewer=v, session=found, source="api")
    return deleted()


@_op.delete(
    "/learning-trajectories/{slug}/timeline-events/{event}",
    "deleteLearningTimelineEvent",
    "Remove an event from the timeline (those who manage the trajectory)",
)
def delete_event(request: HttpRequest, slug: str, event: IdPath) -> Status:
    """For the trajectory's facilitator, author, the owning hub's coordinators and administrators
    (participants: 403). The removal is kept in the change history."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    found = or_404(selectors.timeline_event_get(trajectory, event), f"There is no event {event} in '{slug}'.")
    services.event_delete(viewer=v, event=found, source="api")
    return deleted()


@_op(
    "get",
    "/learning-trajectories/{slug}/lessons-from-elsewhere",
    list[ls.SuggestionOut],
    "getLessonsFromElsewhere",
    "Lessons and knowledge from other areas that fit the open agenda",
)
def get_elsewhere(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    """Found by search with the open agenda items' text, excluding the trajectory's own area; each
    with the reason (shared words and themes, the other area)."""
    v = viewer(request)
    trajectory = trajectory_or_404(v, slug)
    return [
        {
            "type": s.hit.type,
            "slug": s.hit.slug,
            "title": s.hit.title,
            "items": s.items,
            "words": s.words,
            "themes": s.themes,
            "regions": s.regions,
        }
        for s in selectors.lessons_from_elsewhere(viewer=v, trajectory=trajectory)
    ]


# ---- lessons -------------------------------------------------------------------------------------------


@_op("get", "/lessons", ls.LessonPage, "listLessons", "List lessons")
def list_lessons(request: HttpRequest, query: Query[ls.TrajectoryQuery]) -> dict[str, Any]:
    v = viewer(request)
    qs = selectors.lesson_list(viewer=v, filters=_area_theme(query))
    return paginate(request, qs, query, lambda rows: [lesson_out(x) for x in rows])


@_op("post", "/lessons", {201: ls.LessonOut}, "createLesson", "Record a lesson")
def create_lesson(request: HttpRequest, payload: ls.LessonIn, response: HttpResponse) -> Status:
    """With `trajectory` the lesson belongs to that trajectory (its members may write it)."""
    v = viewer(request)
    data = payload.model_dump()
    trajectory = None
    if data.pop("trajectory"):
        trajectory = selectors.trajectory_get(viewer=v, slug=payload.trajectory or "")
        if trajectory is None:
            raise ValidationFailed({"trajectory": ["Unknown learning trajectory."]})
    data = {k: ("" if val is None else val) for k, val in data.items()}
    form = services.lesson_form(viewer=v, data=data)
    lesson = services.lesson_save(viewer=v, form=form, trajectory=trajectory, source="api")
    return created(
        request, response, f"{API_ROOT}/lessons/{lesson.slug}", lesson_out(lesson_or_404(v, lesson.slug))
    )


@_op("get", "/lessons/{slug}", ls.LessonOut, "getLesson", "Get a lesson")
def get_lesson(request: HttpRequest, slug: str) -> dict[str, Any]:
    v = viewer(request)
    return lesson_out(lesson_or_404(v, slug))


@_op.update("/lessons/{slug}", ls.LessonOut, "updateLesson", "Change a lesson")
def update_lesson(request: HttpRequest, slug: str, payload: ls.LessonPatch) -> dict[str, Any]:  # type: ignore[valid-type]
    """Those who may change it on its page: a trajectory's lesson its contributors; another lesson
    its author and the owning hub's coordinators; administrators. Send only what changes."""
    v = viewer(request)
    lesson = lesson_or_404(v, slug)
    data = current_form_data(services.lesson_form(viewer=v, instance=lesson))
    sent = payload.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
    data.update({k: val for k, val in sent.items() if val is not None})
    form = services.lesson_form(
        viewer=v, data={k: ("" if val is None else val) for k, val in data.items()}, instance=lesson
    )
    services.lesson_save(viewer=v, form=form, source="api")
    return lesson_out(lesson_or_404(v, slug))


@_op(
    "post",
    "/lessons/{slug}/publication",
    ls.LessonOut,
    "publishLesson",
    "Publish a lesson as practice knowledge",
)
def publish_lesson(request: HttpRequest, slug: str) -> dict[str, Any]:
    """Creates (or updates) a knowledge item of kind `lesson`; `knowledgeItem` names it."""
    v = viewer(request)
    lesson = lesson_or_404(v, slug)
    services.lesson_publish(viewer=v, lesson=lesson, source="api")
    return lesson_out(lesson_or_404(v, slug))


# ---- learning across areas ---------------------------------------------------------------------------


@_op(
    "get",
    "/recurring-barriers",
    list[ls.BarrierClusterOut],
    "listRecurringBarriers",
    "Barriers that recur across trajectories",
)
def list_barriers(request: HttpRequest) -> list[dict[str, Any]]:
    """Clusters of similar systemic barriers in at least two trajectories you may see."""
    v = viewer(request)
    return [
        {
            "terms": c.terms,
            "trajectories": len(c.trajectories),
            "members": [
                {
                    "trajectory": m.trajectory.slug,
                    "number": m.item.number,
                    "barrier": m.item.barrier,
                    "passed_on": getattr(m.item, "handoff", None) is not None,
                }
                for m in c.members
            ],
        }
        for c in selectors.recurring_barriers(viewer=v)
    ]
