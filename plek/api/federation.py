"""API v1 for federation: the harvest sources console and knowledge imports from a file, for the
coordinators of a hub and administrators (as the pages). Reads through `plek.federation.selectors`,
writes through `plek.federation.services` with the pages' forms; a source or job you may not manage
answers 404, as on the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, UploadedFile
from ninja.responses import Status

from plek.api import federation_schemas as fs
from plek.api.auth import viewer
from plek.api.common import API_ROOT, Operations, created, form_problem, found
from plek.api.errors import TYPE_CONFLICT, ApiError, camel_field
from plek.api.schemas import IdPath
from plek.atlas.importers import ImportFileError, max_bytes
from plek.atlas.permissions import Viewer
from plek.core.errors import PermissionDenied
from plek.federation import permissions, selectors, services
from plek.federation.forms import HarvestSourceForm
from plek.federation.importers import job_progress
from plek.federation.models import HarvestRun, HarvestSource, ImportJob

router = Router()
_op = Operations(router, tag="federation", exclude_unset=False, read_problems=(401, 403))
RUNS_SHOWN = 20


def _may_import(v: Viewer) -> None:
    if not permissions.can_import(v):
        raise PermissionDenied("import")


def run_out(run: HarvestRun) -> dict[str, Any]:
    fields = ("status", "trigger", "started_at", "finished_at", "fetched", "created", "updated")
    more = ("unchanged", "withdrawn", "refused", "error")
    return {"id": run.pk, **{f: getattr(run, f) for f in (*fields, *more)}}


def source_out(source: HarvestSource) -> dict[str, Any]:
    return {
        "id": source.pk,
        "name": source.name,
        "kind": source.kind,
        "base_url": source.base_url,
        "set_spec": source.set_spec,
        "schedule": source.schedule,
        "owner_hub": source.owner_hub.slug if source.owner_hub else None,
        "default_visibility": source.default_visibility,
        "paused": source.paused,
        "next_run_at": source.next_run_at,
    }


def source_detail(source: HarvestSource) -> dict[str, Any]:
    return {**source_out(source), "runs": [run_out(r) for r in selectors.harvest_runs_of(source, RUNS_SHOWN)]}


def source_or_404(v: Viewer, pk: int) -> HarvestSource:
    _may_import(v)
    return found(lambda: selectors.harvest_source_get(v, pk), f"There is no harvest source {pk} you manage.")


# ---- harvest sources ------------------------------------------------------------------------------------


@_op("get", "/harvest-sources", list[fs.HarvestSourceOut], "listHarvestSources", "Harvest sources you manage")
def list_sources(request: HttpRequest) -> list[dict[str, Any]]:
    """The sources of the hubs you coordinate (administrators: all), by name (their runs: each source)."""
    v = viewer(request)
    _may_import(v)
    return [source_out(s) for s in selectors.harvest_sources_for(v)]


@_op.create("/harvest-sources", fs.HarvestSourceDetail, "createHarvestSource", "Add a harvest source")
def create_source(request: HttpRequest, payload: fs.HarvestSourceIn, response: HttpResponse) -> Status:
    """For a hub you coordinate (administrators: any); `baseUrl` on a host the administrators allowed."""
    v = viewer(request)
    _may_import(v)
    form = HarvestSourceForm(payload.model_dump(), viewer=v)
    if not form.is_valid():
        raise form_problem(form)
    try:
        source = services.harvest_source_create(viewer=v, **dict(form.cleaned_data))
    except DjangoValidationError as exc:
        raise ApiError(
            422,
            "The source is not valid.",
            invalid_params={camel_field(k): " ".join(m) for k, m in exc.message_dict.items()},
        ) from None
    return created(request, response, f"{API_ROOT}/harvest-sources/{source.pk}", source_detail(source))


@_op("get", "/harvest-sources/{source}", fs.HarvestSourceDetail, "getHarvestSource", "Get a harvest source")
def get_source(request: HttpRequest, source: IdPath) -> dict[str, Any]:
    return source_detail(source_or_404(viewer(request), source))


@_op.update(
    "/harvest-sources/{source}",
    fs.HarvestSourceDetail,
    "updateHarvestSource",
    "Pause or resume a harvest source",
)
def update_source(request: HttpRequest, source: IdPath, payload: fs.HarvestSourcePatch) -> dict[str, Any]:
    v = viewer(request)
    found_source = source_or_404(v, source)
    return source_detail(services.harvest_source_pause(viewer=v, source=found_source, paused=payload.paused))


@_op(
    "post",
    "/harvest-sources/{source}/runs",
    {202: fs.HarvestRunOut},
    "runHarvestSource",
    "Harvest a source now",
)
def run_source(request: HttpRequest, source: IdPath) -> Status:
    """Queues a run for the worker (202); while one is queued or running, that one answers."""
    v = viewer(request)
    run = services.harvest_run_queue(viewer=v, source=source_or_404(v, source))
    return Status(202, run_out(run))


# ---- knowledge imports --------------------------------------------------------------------------------------


def job_out(job: ImportJob) -> dict[str, Any]:
    fields = ("name", "dry_run", "status", "total", "created", "updated", "committed", "error")
    return {
        "id": job.pk,
        **{f: getattr(job, f) for f in fields},
        "done": job_progress(job),  # while running: the count in the shared cache, as the page's bar
        "errors": [str(e) for e in job.errors or []],
        "confirmable": services.import_job_confirmable(job),
    }


@_op.upload(
    "/knowledge-imports",
    {200: fs.KnowledgeImportReportOut, 202: fs.ImportJobOut},
    "importKnowledge",
    "Import knowledge items from a file (CSV or JSON)",
)
def import_knowledge(
    request: HttpRequest,
    response: HttpResponse,
    file: File[UploadedFile],
    dry_run: bool = Form(True, alias="dryRun"),
) -> Status:
    """multipart/form-data, as the import page: `file` (UTF-8 CSV or JSON, at most
    PLEK_IMPORT_MAX_BYTES) and `dryRun` (default true: check only). A small file is done at once (200,
    its report); a large one by the worker (202, the job; `Location` its progress). Any row in error:
    422 naming `file` with the rows, nothing imported. Coordinators of a hub and administrators."""
    v = viewer(request)
    _may_import(v)
    if file.size and file.size > max_bytes():
        raise ApiError(
            422, "The file is larger than the import limit.", invalid_params={"file": "Too large."}
        )
    try:
        result = services.knowledge_import_submit(
            viewer=v, data=file.read(), name=file.name or "bestand.csv", dry_run=dry_run
        )
    except ImportFileError as exc:
        raise ApiError(422, "The file cannot be read.", invalid_params={"file": str(exc)[:2000]}) from None
    if isinstance(result, ImportJob):
        response["Location"] = request.build_absolute_uri(f"{API_ROOT}/knowledge-import-jobs/{result.pk}")
        return Status(202, job_out(result))
    if result.errors:
        reasons = " ".join(str(e) for e in result.errors[:200])
        raise ApiError(
            422, "Nothing was imported: rows in the file are wrong.", invalid_params={"file": reasons}
        )
    body = {"dry_run": result.dry_run, "committed": result.committed}
    return Status(200, {**body, "total": result.total, "created": result.created, "updated": result.updated})


def job_or_404(v: Viewer, pk: int) -> ImportJob:
    _may_import(v)
    return found(lambda: selectors.import_job_get(v, pk), f"There is no import job {pk} of yours.")


@_op("get", "/knowledge-import-jobs/{job}", fs.ImportJobOut, "getImportJob", "A knowledge import's progress")
def get_job(request: HttpRequest, job: IdPath) -> dict[str, Any]:
    """For the user who started it and administrators."""
    return job_out(job_or_404(viewer(request), job))


@_op.create(
    "/knowledge-import-jobs/{job}/confirmation",
    fs.ImportJobOut,
    "confirmImportJob",
    "Import the file of a dry run",
)
def confirm_job(request: HttpRequest, job: IdPath, response: HttpResponse) -> Status:
    """Only a dry run that finished without errors, once (else 409): a new job imports its file."""
    v = viewer(request)
    found_job = job_or_404(v, job)
    if not services.import_job_confirmable(found_job):
        raise ApiError(
            409, "This dry run cannot be confirmed (any more).", title="Not confirmable", type_=TYPE_CONFLICT
        )
    real = services.import_job_confirm(viewer=v, job=found_job)
    return created(request, response, f"{API_ROOT}/knowledge-import-jobs/{real.pk}", job_out(real))
