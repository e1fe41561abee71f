"""Area-learning pages: trajectories, the learning agenda with its history, sessions, the timeline and
printable learning history, lessons, and the national view of recurring barriers."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from plek.atlas.permissions import Viewer, viewer_for
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.knowledge.rendering import render_markdown
from plek.learning import exporters, permissions, selectors, services
from plek.learning.forms import ParticipantForm, QuoteForm, SessionForm, TimelineEventForm
from plek.learning.models import OPEN_STATUSES, AgendaItem, AgendaStatus, Lesson, Session, Trajectory


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        return max(low, min(high, int(value or default)))
    except ValueError:
        return default


def _trajectory(request: HttpRequest, slug: str) -> tuple[Viewer, Trajectory]:
    viewer = viewer_for(request.user)
    trajectory = selectors.trajectory_get(viewer=viewer, slug=slug)
    if trajectory is None:
        raise Http404(slug)
    return viewer, trajectory


def _forbidden(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "403.html", {"reason": _("U mag dit niet wijzigen.")}, status=403)


def _form_page(
    request: HttpRequest,
    form: Any,
    *,
    title: str,
    cancel: str,
    trajectory: Trajectory | None = None,
    intro: str = "",
) -> HttpResponse:
    invalid = form.is_bound and bool(form.errors)
    return render(
        request,
        "learning/form.html",
        {"form": form, "title": title, "cancel": cancel, "trajectory": trajectory, "intro": intro},
        status=422 if invalid else 200,
    )


# ---- trajectories --------------------------------------------------------------------------------------


def trajectory_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    qs = selectors.trajectory_queryset(viewer=viewer).order_by("-started_on", "-id")
    page = Paginator(qs, 25).get_page(_int(request.GET.get("pagina"), 1, 1, 100000))
    return render(request, "learning/list.html", {"page": page, "can_create": permissions.can_create(viewer)})


@require_http_methods(["GET", "POST"])
def trajectory_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    trajectory = None
    if slug:
        viewer, trajectory = _trajectory(request, slug)
    allowed = permissions.can_manage(viewer, trajectory) if trajectory else permissions.can_create(viewer)
    if not allowed:
        return _forbidden(request)
    form = services.trajectory_form(viewer=viewer, data=request.POST or None, instance=trajectory)
    if request.method == "POST":
        try:
            saved = services.trajectory_save(viewer=viewer, form=form)
        except ValidationFailed:
            pass
        else:
            messages.success(request, _("Opgeslagen."))
            return redirect("learning:detail", slug=saved.slug)
    title = _("Leertraject wijzigen") if trajectory else _("Nieuw leertraject")
    cancel = reverse("learning:detail", args=[trajectory.slug]) if trajectory else reverse("learning:list")
    return _form_page(request, form, title=title, cancel=cancel, trajectory=trajectory)


def trajectory_detail(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    rows = selectors.agenda_as_of(trajectory=trajectory)
    open_rows = [r for r in rows if r.values["status"] in OPEN_STATUSES]
    lessons = list(selectors.lesson_queryset(viewer=viewer).filter(trajectory=trajectory))
    return render(
        request,
        "learning/detail.html",
        {
            "t": trajectory,
            "open_rows": open_rows,
            "closed_count": len(rows) - len(open_rows),
            "sessions": selectors.sessions_recent(trajectory),
            "lessons": lessons,
            "elsewhere": selectors.lessons_from_elsewhere(viewer=viewer, trajectory=trajectory),
            "can_manage": permissions.can_manage(viewer, trajectory),
            "can_contribute": permissions.can_contribute(viewer, trajectory),
            "can_delete": permissions.can_delete(viewer, trajectory),
        },
    )


@require_http_methods(["GET", "POST"])
def participant_add(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    if not permissions.can_manage(viewer, trajectory):
        return _forbidden(request)
    form = ParticipantForm(request.POST or None, trajectory=trajectory)
    if request.method == "POST":
        try:
            services.participant_add(viewer=viewer, trajectory=trajectory, data=request.POST)
        except ValidationFailed:
            form.is_valid()
        else:
            messages.success(request, _("Deelnemer toegevoegd."))
            return redirect("learning:detail", slug=trajectory.slug)
    return _form_page(
        request,
        form,
        title=_("Deelnemer toevoegen"),
        cancel=reverse("learning:detail", args=[trajectory.slug]),
        trajectory=trajectory,
    )


@require_http_methods(["GET", "POST"])
def trajectory_delete(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    if not permissions.can_delete(viewer, trajectory):
        return _forbidden(request)
    if request.method == "POST":
        services.trajectory_delete(viewer=viewer, trajectory=trajectory)
        messages.success(request, _("Verwijderd."))
        return redirect("learning:list")
    return render(request, "learning/delete.html", {"t": trajectory})


# ---- the agenda ----------------------------------------------------------------------------------------


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def agenda(request: HttpRequest, slug: str) -> HttpResponse:
    """The agenda as of a date (`?op=`), and the changes between two dates (`?van=&tot=`)."""
    viewer, trajectory = _trajectory(request, slug)
    today = timezone.localdate()
    errors: list[str] = []
    as_of = _date(request.GET.get("op"))
    if request.GET.get("op") and as_of is None:
        errors.append(_("'Op datum' is geen geldige datum (JJJJ-MM-DD)."))
    day = as_of or today
    start, end = _date(request.GET.get("van")), _date(request.GET.get("tot"))
    for key, value in (("van", start), ("tot", end)):
        if request.GET.get(key) and value is None:
            errors.append(_("'%(f)s' is geen geldige datum (JJJJ-MM-DD).") % {"f": key})
    changes = None
    if start and end:
        if start > end:
            errors.append(_("De begindatum van de vergelijking ligt na de einddatum."))
        else:
            changes = selectors.agenda_changes(trajectory=trajectory, start=start, end=end)
    rows = selectors.agenda_as_of(trajectory=trajectory, day=day)
    rows.sort(key=lambda r: (r.values["status"] not in OPEN_STATUSES, r.item.number))
    return render(
        request,
        "learning/agenda.html",
        {
            "t": trajectory,
            "rows": rows,
            "day": day,
            "is_today": day == today,
            "start": start,
            "end": end,
            "changes": changes,
            "errors": errors,
            "field_labels": FIELD_LABELS,
            "status_labels": dict(AgendaStatus.choices),
            "kind_labels": dict(AgendaItem.Kind.choices),
            "can_contribute": permissions.can_contribute(viewer, trajectory),
            "long_open_days": selectors.LONG_OPEN_DAYS,
        },
        status=400 if errors else 200,
    )


FIELD_LABELS = {
    "kind": AgendaItem._meta.get_field("kind").verbose_name,
    "text": AgendaItem._meta.get_field("text").verbose_name,
    "ambition": AgendaItem._meta.get_field("ambition").verbose_name,
    "barrier": AgendaItem._meta.get_field("barrier").verbose_name,
    "owner": AgendaItem._meta.get_field("owner").verbose_name,
    "status": AgendaItem._meta.get_field("status").verbose_name,
    "actions": AgendaItem._meta.get_field("actions").verbose_name,
}


def _item(trajectory: Trajectory, number: int) -> AgendaItem:
    return selectors.agenda_item_get(trajectory, number)


@require_http_methods(["GET", "POST"])
def agenda_item_new(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    if not permissions.can_contribute(viewer, trajectory):
        return _forbidden(request)
    form = services.agenda_form(
        trajectory=trajectory, data=request.POST if request.method == "POST" else None
    )
    if request.method == "POST":
        try:
            item = services.agenda_item_create(viewer=viewer, trajectory=trajectory, form=form)
        except ValidationFailed as exc:
            for field, errs in exc.errors.items():
                if field not in form.errors:
                    form.add_error(None if field == "__all__" else field, errs)
        else:
            messages.success(request, _("Agendapunt toegevoegd."))
            return redirect("learning:agenda_item", slug=trajectory.slug, number=item.number)
    return _form_page(
        request,
        form,
        title=_("Nieuw agendapunt"),
        cancel=reverse("learning:agenda", args=[trajectory.slug]),
        trajectory=trajectory,
    )


def agenda_item(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    item = _item(trajectory, number)
    return render(
        request,
        "learning/item.html",
        {
            "t": trajectory,
            "item": item,
            "versions": selectors.item_versions(item),
            "handoff": getattr(item, "handoff", None),
            "can_contribute": permissions.can_contribute(viewer, trajectory),
            "sessions": list(item.sessions.order_by("date")),
        },
    )


@require_http_methods(["GET", "POST"])
def agenda_item_change(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    item = _item(trajectory, number)
    if not permissions.can_contribute(viewer, trajectory):
        return _forbidden(request)
    form = services.agenda_form(
        trajectory=trajectory, item=item, data=request.POST if request.method == "POST" else None
    )
    if request.method == "POST":
        try:
            services.agenda_item_change(viewer=viewer, item=item, form=form)
        except ValidationFailed as exc:
            for field, errs in exc.errors.items():
                if field not in form.errors:
                    form.add_error(None if field == "__all__" else field, errs)
        else:
            messages.success(request, _("Wijziging vastgelegd."))
            return redirect("learning:agenda_item", slug=trajectory.slug, number=item.number)
    return _form_page(
        request,
        form,
        title=_("Agendapunt %(n)s wijzigen") % {"n": item.number},
        cancel=reverse("learning:agenda_item", args=[trajectory.slug, item.number]),
        trajectory=trajectory,
        intro=_("Elke wijziging wordt bewaard; de agenda blijft te bekijken zoals hij op elke datum was."),
    )


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@require_POST
def agenda_item_pass_on(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    item = _item(trajectory, number)
    back = _next(request, reverse("learning:agenda_item", args=[trajectory.slug, item.number]))
    try:
        services.barrier_pass_on(
            viewer=viewer, item=item, confirm_public=request.POST.get("confirm_public") == "1"
        )
    except PermissionDenied:
        return _forbidden(request)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for errs in exc.errors.values() for m in errs))
        return redirect(back)
    messages.success(request, _("De belemmering is doorgegeven aan de Initiatiefgroep."))
    return redirect(back)


# ---- sessions ------------------------------------------------------------------------------------------


def _session(trajectory: Trajectory, pk: int) -> Session:
    session = selectors.sessions_of(trajectory).filter(pk=pk).first()
    if session is None:
        raise Http404(pk)
    return session


def session_detail(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    session = _session(trajectory, pk)
    return render(
        request,
        "learning/session.html",
        {
            "t": trajectory,
            "s": session,
            "notes_html": render_markdown(session.notes),
            "reflections_html": render_markdown(session.reflections),
            "outcomes_html": render_markdown(session.outcomes),
            "agenda_html": render_markdown(session.agenda),
            "can_contribute": permissions.can_contribute(viewer, trajectory),
        },
    )


@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, slug: str, pk: int | None = None) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    if not permissions.can_contribute(viewer, trajectory):
        return _forbidden(request)
    session = _session(trajectory, pk) if pk else None
    form = SessionForm(request.POST or None, instance=session, trajectory=trajectory)
    if request.method == "POST":
        try:
            saved = services.session_save(viewer=viewer, trajectory=trajectory, form=form)
        except ValidationFailed:
            pass
        else:
            messages.success(request, _("Opgeslagen."))
            return redirect("learning:session", slug=trajectory.slug, pk=saved.pk)
    return _form_page(
        request,
        form,
        title=_("Sessie wijzigen") if session else _("Nieuwe sessie"),
        cancel=reverse("learning:detail", args=[trajectory.slug]),
        trajectory=trajectory,
    )


# ---- timeline and learning history -----------------------------------------------------------------


def _timeline_context(viewer: Viewer, trajectory: Trajectory) -> dict[str, Any]:
    events = list(trajectory.events.prefetch_related("quotes"))
    loose = list(trajectory.quotes.filter(event__isnull=True))
    return {
        "t": trajectory,
        "events": events,
        "loose_quotes": loose,
        "can_contribute": permissions.can_contribute(viewer, trajectory),
    }


def timeline(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    return render(request, "learning/timeline.html", _timeline_context(viewer, trajectory))


def learning_history(request: HttpRequest, slug: str) -> HttpResponse:
    """The printable learning history: timeline with quotes beside commentary, the agenda now and
    how it changed, sessions' reflections and the lessons."""
    viewer, trajectory = _trajectory(request, slug)
    context = _timeline_context(viewer, trajectory)
    rows = selectors.agenda_as_of(trajectory=trajectory)
    context.update(
        {
            "rows": sorted(rows, key=lambda r: r.item.number),
            "changes": selectors.agenda_changes(
                trajectory=trajectory, start=dt.date.min, end=timezone.localdate()
            ),
            "sessions": selectors.sessions_in_order(trajectory),
            "lessons": list(selectors.lesson_queryset(viewer=viewer).filter(trajectory=trajectory)),
            "field_labels": FIELD_LABELS,
            "status_labels": dict(AgendaStatus.choices),
            "printed_on": timezone.localdate(),
        }
    )
    return render(request, "learning/history.html", context)


def _timeline_entry(request: HttpRequest, slug: str, form_class: Any, save: Any, title: str) -> HttpResponse:
    """Add one entry (event or quote) to a trajectory's timeline: contributors only."""
    viewer, trajectory = _trajectory(request, slug)
    if not permissions.can_contribute(viewer, trajectory):
        return _forbidden(request)
    form = form_class(request.POST or None, trajectory=trajectory)
    if request.method == "POST":
        try:
            save(viewer=viewer, trajectory=trajectory, form=form)
        except ValidationFailed:
            pass
        else:
            messages.success(request, _("Opgeslagen."))
            return redirect("learning:timeline", slug=trajectory.slug)
    return _form_page(
        request,
        form,
        title=title,
        cancel=reverse("learning:timeline", args=[trajectory.slug]),
        trajectory=trajectory,
    )


@require_http_methods(["GET", "POST"])
def event_new(request: HttpRequest, slug: str) -> HttpResponse:
    return _timeline_entry(request, slug, TimelineEventForm, services.event_save, _("Gebeurtenis toevoegen"))


@require_http_methods(["GET", "POST"])
def quote_new(request: HttpRequest, slug: str) -> HttpResponse:
    return _timeline_entry(request, slug, QuoteForm, services.quote_save, _("Citaat toevoegen"))


def export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    viewer, trajectory = _trajectory(request, slug)
    data = exporters.trajectory_data(viewer=viewer, trajectory=trajectory)
    if fmt == "json":
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
        )
    else:
        response = HttpResponse(
            exporters.trajectory_markdown(data), content_type="text/markdown; charset=utf-8"
        )
    response["Content-Disposition"] = (
        f'attachment; filename="{trajectory.slug}.{"json" if fmt == "json" else "md"}"'
    )
    return response


# ---- lessons -------------------------------------------------------------------------------------------


def lesson_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    qs = selectors.lesson_queryset(viewer=viewer)
    page = Paginator(qs, 25).get_page(_int(request.GET.get("pagina"), 1, 1, 100000))
    return render(
        request,
        "learning/lessons.html",
        {"page": page, "can_create": permissions.can_create_lesson(viewer)},
    )


def _lesson(request: HttpRequest, slug: str) -> tuple[Viewer, Lesson]:
    viewer = viewer_for(request.user)
    lesson = selectors.lesson_get(viewer=viewer, slug=slug)
    if lesson is None:
        raise Http404(slug)
    return viewer, lesson


def lesson_detail(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, lesson = _lesson(request, slug)
    return render(
        request,
        "learning/lesson.html",
        {
            "lesson": lesson,
            "can_change": permissions.can_change_lesson(viewer, lesson),
            "can_publish": permissions.can_publish_lesson(viewer, lesson),
        },
    )


@require_http_methods(["GET", "POST"])
def lesson_edit(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    lesson = trajectory = None
    if slug:
        viewer, lesson = _lesson(request, slug)
        allowed = permissions.can_change_lesson(viewer, lesson)
    else:
        source = request.GET.get("traject") or request.POST.get("traject")
        if source:
            viewer, trajectory = _trajectory(request, source)
            allowed = permissions.can_contribute(viewer, trajectory)
        else:
            allowed = permissions.can_create_lesson(viewer)
    if not allowed:
        return _forbidden(request)
    initial = None
    if trajectory is not None and request.method != "POST":
        initial = {
            "regions": [r.code for r in trajectory.regions.all()],
            "themes": [t.slug for t in trajectory.themes.all()],
            "date": timezone.localdate(),
            "visibility": trajectory.visibility,
            "owner_hub": trajectory.owner_hub.slug if trajectory.owner_hub else None,
        }
    form = services.lesson_form(viewer=viewer, data=request.POST or None, instance=lesson)
    if initial:
        form.initial.update(initial)
    if request.method == "POST":
        try:
            saved = services.lesson_save(viewer=viewer, form=form, trajectory=trajectory)
        except ValidationFailed:
            pass
        else:
            messages.success(request, _("Opgeslagen."))
            return redirect("learning:lesson", slug=saved.slug)
    cancel = (
        reverse("learning:lesson", args=[lesson.slug])
        if lesson
        else reverse("learning:detail", args=[trajectory.slug])
        if trajectory
        else reverse("learning:lessons")
    )
    return _form_page(
        request,
        form,
        title=_("Les wijzigen") if lesson else _("Nieuwe les"),
        cancel=cancel,
        trajectory=trajectory,
    )


@require_POST
def lesson_publish(request: HttpRequest, slug: str) -> HttpResponse:
    viewer, lesson = _lesson(request, slug)
    try:
        item = services.lesson_publish(viewer=viewer, lesson=lesson)
    except PermissionDenied:
        return _forbidden(request)
    except ValidationFailed as exc:
        messages.error(request, " ".join(m for errs in exc.errors.values() for m in errs))
        return redirect("learning:lesson", slug=lesson.slug)
    messages.success(request, _("Gepubliceerd in de kennisbank."))
    return redirect("knowledge:detail", slug=item.slug)


# ---- learning across areas ---------------------------------------------------------------------------


def barriers(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    clusters = selectors.recurring_barriers(viewer=viewer)
    contributes = {
        m.trajectory.pk: permissions.can_contribute(viewer, m.trajectory) for c in clusters for m in c.members
    }
    return render(request, "learning/barriers.html", {"clusters": clusters, "contributes": contributes})
