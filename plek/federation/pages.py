"""Pages for coordinators and administrators: harvest sources (add, test, run now, pause, history)
and the knowledge import page (upload, dry-run report, confirm)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from plek.atlas.importers import ImportFileError, max_bytes
from plek.atlas.permissions import Viewer, viewer_for
from plek.core.errors import PermissionDenied
from plek.federation import permissions, selectors, services
from plek.federation.forms import HarvestSourceForm, ImportForm
from plek.federation.harvest import preview
from plek.federation.importers import job_progress
from plek.federation.models import HarvestSource, ImportJob


@require_http_methods(["GET", "POST"])
def source_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    if not permissions.can_import(viewer):
        return render(request, "403.html", status=403)
    form = HarvestSourceForm(request.POST or None, viewer=viewer)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            source = services.harvest_source_create(viewer=viewer, **data)
        except PermissionDenied:
            return render(request, "403.html", status=403)
        messages.success(request, _("Bron toegevoegd."))
        return redirect("federation:source", pk=source.pk)
    return render(
        request,
        "federation/sources.html",
        {"sources": selectors.harvest_sources_for(viewer), "form": form},
        status=422 if form.is_bound and form.errors else 200,
    )


def _source(request: HttpRequest, pk: int) -> tuple[object, HarvestSource]:
    viewer = viewer_for(request.user)
    return viewer, selectors.harvest_source_get(viewer, pk)


def source_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    _viewer, source = _source(request, pk)
    rows = notes = error = None
    if request.GET.get("test"):
        rows, notes, error = preview(source)
    return render(
        request,
        "federation/source.html",
        {"source": source, "runs": source.runs.all()[:50], "rows": rows, "notes": notes, "error": error},
    )


@require_POST
def source_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer, source = _source(request, pk)
    if action == "run":
        services.harvest_run_queue(viewer=viewer, source=source)  # type: ignore[arg-type]
        messages.success(request, _("De run staat in de wachtrij."))
    elif action in ("pause", "resume"):
        services.harvest_source_pause(viewer=viewer, source=source, paused=action == "pause")  # type: ignore[arg-type]
        messages.success(request, _("Gepauzeerd.") if action == "pause" else _("Hervat."))
    else:
        raise Http404(action)
    return redirect("federation:source", pk=source.pk)


@require_http_methods(["GET", "POST"])
def knowledge_import(request: HttpRequest) -> HttpResponse:
    """Upload → dry-run report; "confirm" imports the same file (kept in the session, bounded)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer = viewer_for(request.user)
    if not permissions.can_import(viewer):
        return render(request, "403.html", status=403)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    file_error = ""
    confirm = request.POST.get("confirm") == "1"
    if request.method == "POST":
        upload: UploadedFile | None = request.FILES.get("file")
        data: bytes | None = None
        name = ""
        if confirm and "knowledge_import" in request.session:
            stored = request.session.pop("knowledge_import")
            data, name = stored["data"].encode("utf-8"), stored["name"]
        elif upload is not None:
            if upload.size and upload.size > max_bytes():
                file_error = _("Het bestand is groter dan de limiet.")
            else:
                data, name = upload.read(), upload.name or "bestand.csv"
        else:
            file_error = _("Kies een bestand.")
        if data is not None:
            try:
                result = services.knowledge_import_submit(
                    viewer=viewer, data=data, name=name, dry_run=not confirm
                )
            except ImportFileError as exc:
                file_error = str(exc)
            else:
                if isinstance(result, ImportJob):
                    # A large file: the worker checks (or imports) it; its page shows the progress.
                    return redirect("federation:import_job", pk=result.pk)
                report = result
                if not confirm and not report.errors:
                    request.session["knowledge_import"] = {"data": data.decode("utf-8-sig"), "name": name}
    return render(
        request,
        "federation/import.html",
        {"form": form, "report": report, "file_error": file_error, "confirmed": confirm},
        status=422 if file_error or (report and report.errors) else 200,
    )


def _job(request: HttpRequest, pk: int) -> tuple[Viewer, ImportJob]:
    """The import job, for the user who started it or an administrator (others: 404)."""
    viewer = viewer_for(request.user)
    return viewer, selectors.import_job_get(viewer, pk)


def _job_context(job: ImportJob) -> dict[str, object]:
    done = job_progress(job)
    percent = round(100 * done / job.total) if job.total else (100 if job.finished else 0)
    return {"job": job, "done": done, "percent": percent}


def import_job(request: HttpRequest, pk: int) -> HttpResponse:
    """A large import's page: a progress bar while the worker runs it, then the report."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    _viewer, job = _job(request, pk)
    return render(request, "federation/import_job.html", _job_context(job))


def import_job_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress part of the job page, polled by htmx every second until the job is finished."""
    if not request.user.is_authenticated:
        return HttpResponse(status=403)
    _viewer, job = _job(request, pk)
    return render(request, "federation/_import_progress.html", _job_context(job))


@require_POST
def import_job_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """Import the file of a dry run that found no errors (a new job, with its own progress)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    viewer, job = _job(request, pk)
    if not services.import_job_confirmable(job):
        messages.error(request, _("Deze proefimport kan niet (meer) worden bevestigd."))
        return redirect("federation:import_job", pk=job.pk)
    real = services.import_job_confirm(viewer=viewer, job=job)  # confirmed once: the next is refused
    return redirect("federation:import_job", pk=real.pk)
