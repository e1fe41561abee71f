"""API v1 for the knowledge base and the search over everything.

Reads go through `plek.knowledge.selectors` (visibility-filtered in the database; search results
filtered in the index by the caller's visibility keys, so totals and facet counts only count
what the caller may see); writes through `plek.knowledge.services.knowledge_form` +
`knowledge_save` / `knowledge_delete`, the same validation and permission path the pages use.

The search index's vectors (administrators, the twin of the page /zoeken/vectoren/): the overview
from `selectors.embed_overview`, start and stop through `services.embed_run_request` /
`embed_run_cancel`, which check `permissions.can_manage_search` before they change anything."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Query, Router, UploadedFile
from ninja.responses import Status

from plek.api import knowledge_schemas as ks
from plek.api.auth import viewer
from plek.api.common import (
    API_ROOT,
    Operations,
    created,
    deleted,
    found,
    item_ref,
    next_page_url,
    or_404,
    paginate,
    region_filter,
    region_ref,
    theme_filter,
    theme_ref,
    validation_problem,
)
from plek.api.errors import TYPE_CONFLICT, ApiError, camel_field
from plek.api.schemas import IdPath, InputModel
from plek.atlas import permissions
from plek.atlas import selectors as atlas_selectors
from plek.atlas.permissions import Viewer
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.forms import current_form_data
from plek.knowledge import permissions as knowledge_permissions
from plek.knowledge import selectors, services
from plek.knowledge.models import KnowledgeItem
from plek.knowledge.rendering import render_markdown
from plek.knowledge.search.base import FACET_KEYS, SearchHit

router = Router()

TAG_KNOWLEDGE = "knowledge"
TAG_SEARCH = "search"


_op = Operations(router)


# ---- lookups ------------------------------------------------------------------------------------------


def item_or_404(v: Viewer, slug: str, *, prefetch: bool = True) -> KnowledgeItem:
    return or_404(
        selectors.knowledge_find(viewer=v, slug=slug, full=prefetch),
        f"There is no knowledge item '{slug}' (or you may not see it).",
    )


# ---- serialisation ---------------------------------------------------------------------------------

# Where each kind of search result lives in the API.
API_PATHS = {
    "knowledge": "knowledge",
    "person": "people",
    "organisation": "organisations",
    "network": "networks",
    "hub": "hubs",
    "programme": "programmes",
    "question": "questions",
    "trajectory": "learning-trajectories",
    "lesson": "lessons",
    "decision": "governance/decisions",
}


def api_url(request: HttpRequest, type_: str, slug: str) -> str:
    return request.build_absolute_uri(f"{API_ROOT}/{API_PATHS.get(type_, type_)}/{slug}")


def attachment_out(request: HttpRequest, item: KnowledgeItem, a: Any) -> dict[str, Any]:
    return {
        "id": a.pk,
        "name": a.original_name,
        "content_type": a.content_type,
        "size": a.size,
        "url": request.build_absolute_uri(reverse("knowledge:attachment", args=[item.slug, a.pk])),
    }


def knowledge_out(request: HttpRequest, v: Viewer, item: KnowledgeItem) -> dict[str, Any]:
    return {
        "uuid": item.uuid,
        "slug": item.slug,
        "kind": item.kind,
        "category": item.category,
        "title": item.title,
        "summary": item.summary,
        "body": item.body,
        "body_html": str(render_markdown(item.body)),
        "language": item.language,
        "date": item.date,
        "authors": {
            "people": [
                item_ref(p)
                for p in item.author_people.all()
                if atlas_selectors.entity_visible(v, "person", p)
            ],
            "organisations": [
                item_ref(o) for o in item.author_organisations.all() if permissions.can_view(v, o)
            ],
        },
        "themes": [theme_ref(t) for t in item.themes.all()],
        "regions": [region_ref(r) for r in item.regions.all()],
        "scale": item.scale,
        "identifiers": {"doi": item.doi, "handle": item.handle, "isbn": item.isbn, "url": item.url},
        "licence": item.licence,
        "visibility": item.visibility,
        "owner_hub": item.owner_hub.slug if item.owner_hub is not None else None,
        "provenance": {
            "kind": item.provenance,
            "source_name": item.source_name,
            "source_identifier": item.source_identifier,
            "local_fields": list(item.local_fields),
            "withdrawn_at": item.withdrawn_at,
            "sources": [
                {
                    "source_name": p.source_name,
                    "original_identifier": p.original_identifier,
                    "original_url": p.original_url,
                    "licence": p.licence,
                    "harvested_at": p.harvested_at,
                    "last_seen": p.last_seen,
                    "withdrawn_at": p.deleted_at,
                }
                for p in item.provenances.all()
            ],
        },
        "version": item.version,
        "attachments": [attachment_out(request, item, a) for a in item.attachments.all()],
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


# ---- writes ------------------------------------------------------------------------------------------

# Nested JSON objects -> the knowledge form's flat fields.
NESTED: dict[str, dict[str, str]] = {
    "authors": {"people": "author_people", "organisations": "author_organisations"},
    "identifiers": {"doi": "doi", "handle": "handle", "isbn": "isbn", "url": "url"},
    "provenance": {
        "kind": "provenance",
        "source_name": "source_name",
        "source_identifier": "source_identifier",
    },
}
# Form field -> the name the client sent (for invalidParams).
CLIENT_NAMES = {
    form_field: f"{group}.{camel_field(sub)}"
    for group, subs in NESTED.items()
    for sub, form_field in subs.items()
}


def form_values(payload: InputModel) -> dict[str, Any]:
    """What the client sent, as knowledge form fields (unsent properties are left out)."""
    out: dict[str, Any] = {}
    for name, value in payload.model_dump(exclude_unset=True).items():
        if name in NESTED:
            for sub, sub_value in (value or {}).items():
                out[NESTED[name][sub]] = sub_value
        else:
            out[name] = value
    return out


def save(request: HttpRequest, payload: InputModel, instance: KnowledgeItem | None = None) -> KnowledgeItem:
    """Create (instance=None) or change an item through the shared form + service. A change starts
    from the item's current values, so a PATCH changes only what it sends."""
    v = viewer(request)
    data = current_form_data(services.knowledge_form(viewer=v, instance=instance))
    data.update(form_values(payload))
    form = services.knowledge_form(viewer=v, data=data, instance=instance)
    try:
        return services.knowledge_save(viewer=v, form=form, source="api")
    except ValidationFailed as exc:
        raise validation_problem(exc, CLIENT_NAMES) from None


def _detail(request: HttpRequest, slug: str) -> dict[str, Any]:
    v = viewer(request)
    return knowledge_out(request, v, item_or_404(v, slug))


# ==== knowledge ==========================================================================================


@_op("get", "/knowledge", ks.KnowledgePage, "listKnowledge", "List knowledge items", TAG_KNOWLEDGE)
def list_knowledge(request: HttpRequest, query: Query[ks.KnowledgeQuery]) -> dict[str, Any]:
    """Knowledge items you may see, newest first. `theme` includes its sub-themes, `region` every
    region it contains; `year` is the year of the item's date."""
    v = viewer(request)
    filters = selectors.KnowledgeFilters(
        theme=theme_filter(query.theme),
        region=region_filter(query.region),
        kind=query.kind or "",
        category=query.category or "",
        scale=query.scale or "",
        language=query.language or "",
        year=query.year,
    )
    qs = selectors.knowledge_list(viewer=v, filters=filters)
    return paginate(request, qs, query, lambda rows: [knowledge_out(request, v, i) for i in rows])


@_op("get", "/knowledge/{slug}", ks.KnowledgeOut, "getKnowledge", "Get a knowledge item", TAG_KNOWLEDGE)
def get_knowledge(request: HttpRequest, slug: str) -> dict[str, Any]:
    """One item. `body` is the Markdown source, `bodyHtml` the sanitised rendering."""
    return _detail(request, slug)


@_op(
    "post",
    "/knowledge",
    {201: ks.KnowledgeOut},
    "createKnowledge",
    "Create a knowledge item (hub members)",
    TAG_KNOWLEDGE,
)
def create_knowledge(request: HttpRequest, payload: ks.KnowledgeIn, response: HttpResponse) -> Status:
    """The slug is made from the title; the category follows from `kind`. Without `ownerHub` the
    item belongs to your hub when you are a member of exactly one."""
    item = save(request, payload)
    return created(request, response, f"{API_ROOT}/knowledge/{item.slug}", _detail(request, item.slug))


@_op(
    "patch",
    "/knowledge/{slug}",
    ks.KnowledgeOut,
    "updateKnowledge",
    "Change a knowledge item (its author, coordinators of the owning hub)",
    TAG_KNOWLEDGE,
)
def update_knowledge(request: HttpRequest, slug: str, payload: ks.KnowledgePatch) -> dict[str, Any]:  # type: ignore[valid-type]
    """Send only what changes, also inside `authors`, `identifiers` and `provenance`. A change of
    title, summary or body raises `version`."""
    v = viewer(request)
    item = save(request, payload, item_or_404(v, slug, prefetch=False))
    return _detail(request, item.slug)


@_op.upload(
    "/knowledge/{slug}/attachments",
    {201: ks.AttachmentOut},
    "uploadKnowledgeAttachment",
    "Attach a file to a knowledge item (its author, coordinators of the owning hub)",
    TAG_KNOWLEDGE,
)
def upload_attachment(
    request: HttpRequest, slug: str, file: File[UploadedFile], response: HttpResponse
) -> Status:
    """multipart/form-data with `file`, as on the item's edit page and with the same checks: PDF,
    DOCX, ODT, CSV or an image whose name fits its content, at most PLEK_UPLOAD_MAX_BYTES (25 MB by
    default), no zip bomb (else 422 naming `file`). Its text is extracted for search afterwards."""
    v = viewer(request)
    item = item_or_404(v, slug, prefetch=False)
    form = services.knowledge_form(
        viewer=v, data=current_form_data(services.knowledge_form(viewer=v, instance=item)), instance=item
    )
    try:
        services.knowledge_save(viewer=v, form=form, upload=file, source="api")
    except ValidationFailed as exc:
        raise validation_problem(exc, CLIENT_NAMES) from None
    attachment = selectors.attachment_latest(item=item)
    location = reverse("knowledge:attachment", args=[item.slug, attachment.pk])
    return created(request, response, location, attachment_out(request, item, attachment))


@_op.delete(
    "/knowledge/{slug}/attachments/{attachment}",
    "deleteKnowledgeAttachment",
    "Remove an attachment (its author, coordinators of the owning hub)",
    TAG_KNOWLEDGE,
)
def delete_attachment(request: HttpRequest, slug: str, attachment: IdPath) -> Status:
    v = viewer(request)
    item = item_or_404(v, slug, prefetch=False)
    found_attachment = found(
        lambda: selectors.attachment_get(item=item, pk=attachment),
        f"Item '{slug}' has no attachment {attachment}.",
    )
    services.attachment_delete(viewer=v, attachment=found_attachment)
    return deleted()


@_op(
    "delete",
    "/knowledge/{slug}",
    {204: None},
    "deleteKnowledge",
    "Delete a knowledge item (coordinators of the owning hub)",
    TAG_KNOWLEDGE,
)
def delete_knowledge(request: HttpRequest, slug: str) -> Status:
    v = viewer(request)
    services.knowledge_delete(viewer=v, item=item_or_404(v, slug, prefetch=False), source="api")
    return deleted()


@_op(
    "get",
    "/knowledge/{slug}/related",
    ks.RelatedItems,
    "listRelatedKnowledge",
    "Knowledge items like this one",
    TAG_KNOWLEDGE,
)
def list_related_knowledge(request: HttpRequest, slug: str, query: Query[ks.RelatedQuery]) -> dict[str, Any]:
    """Items sharing the most telling words and themes with this one, most alike first; only
    items you may see."""
    v = viewer(request)
    item = item_or_404(v, slug, prefetch=False)
    hits = selectors.related_items(viewer=v, item=item, limit=query.limit)
    ids = [h.id for h in hits if h.type == "knowledge"]
    rows = selectors.knowledge_visible_by_id(viewer=v, ids=ids)
    return {
        "items": [
            {
                "slug": row.slug,
                "title": row.title,
                "kind": row.kind,
                "category": row.category,
                "summary": row.summary,
                "date": row.date,
                "score": h.score,
                "url": api_url(request, "knowledge", row.slug),
            }
            for h in hits
            if (row := rows.get(h.id)) is not None and row.pk != item.pk
        ]
    }


# ==== search ===============================================================================================


def _hit_out(request: HttpRequest, found: selectors.Search, hit: SearchHit) -> dict[str, Any]:
    return {
        "type": hit.type,
        "slug": hit.slug,
        "title": hit.title,
        "snippet": hit.snippet,
        "score": hit.score,
        "date": hit.date,
        "kind": hit.kind,
        "scale": hit.scale,
        "regions": [region_ref(found.regions[c]) for c in hit.regions if c in found.regions],
        "themes": [theme_ref(found.themes[t]) for t in hit.themes if t in found.themes],
        "reach": found.reach(hit),
        "url": api_url(request, hit.type, hit.slug),
    }


def _facet_label(found: selectors.Search, key: str, value: str) -> str | None:
    if key == "theme" and value in found.themes:
        return str(found.themes[value].label)
    if key == "region" and value in found.regions:
        return found.regions[value].name
    return None


@_op("get", "/search", ks.SearchResults, "search", "Search everything", TAG_SEARCH)
def search(request: HttpRequest, query: Query[ks.SearchQueryParams]) -> dict[str, Any]:
    """One search over knowledge, knowledge holders, organisations, networks, hubs and programmes.
    Only what you may see is found, counted in `total` and in the facets. Words match in any form
    (Dutch stemming); when nothing has all the words, anything with some of them is found and
    `relaxed` is true. A `q` longer than 500 characters answers 400."""
    v = viewer(request)
    # All themes in one query: it checks the filter and labels the results and facets.
    themes = atlas_selectors.themes_by_slug()
    theme = themes.get(query.theme) if query.theme else None
    if query.theme and theme is None:
        raise ApiError(
            400, f"Unknown theme '{query.theme}'.", invalid_params={"theme": "Unknown theme slug."}
        )
    params = selectors.SearchParams(
        q=query.q,
        type=query.type,
        theme=theme,
        region=region_filter(query.region),
        scale=query.scale,
        kind=query.kind or None,
        year=query.year,
        language=query.language,
        sort=query.sort,
        page=query.page,
        size=query.page_size,
    )
    found = selectors.search(viewer=v, params=params, themes=themes)
    result = found.result
    next_url = None
    if query.page < ks.MAX_SEARCH_PAGE:
        next_url = next_page_url(request, query.page, query.page_size, result.total)
    return {
        "items": [_hit_out(request, found, hit) for hit in result.hits],
        "total": result.total,
        "total_estimated": result.estimated,
        "page": query.page,
        "page_size": query.page_size,
        "next": next_url,
        "relaxed": result.relaxed,
        "facets": {
            key: [
                {"value": fc.value, "count": fc.count, "label": _facet_label(found, key, fc.value)}
                for fc in result.facets.get(key, [])
            ]
            for key in FACET_KEYS
        },
    }


# ==== the search index and its vectors (administrators) =============================================

SEARCH_VECTORS = f"{API_ROOT}/search-vectors"


def embed_run_out(shown: selectors.EmbedRunView) -> dict[str, Any]:
    run = shown.run
    return {
        "id": run.pk,
        "mode": run.mode,
        "status": shown.status,
        "status_label": shown.status_label,
        "active": shown.active,
        "stage": run.stage or None,
        "kind": run.kind or None,
        "done": run.done,
        "total": run.total,
        "percent": shown.percent,
        "rate": run.rate,
        "eta_seconds": shown.eta_seconds,
        "embedded": run.embedded,
        "cancel_requested": run.cancel_requested,
        "error": run.error,
        "requested_by": run.requested_by.get_username() if run.requested_by is not None else None,
        "created_at": run.created_at,
        "started_at": run.started_at,
        "heartbeat_at": run.heartbeat_at,
        "finished_at": run.finished_at,
    }


@_op(
    "get",
    "/search-vectors",
    ks.SearchVectorsOut,
    "getSearchVectors",
    "The search index's vectors and the latest embedding run (admins)",
    TAG_SEARCH,
    problems=(403,),
)
def get_search_vectors(request: HttpRequest) -> dict[str, Any]:
    """What the page /zoeken/vectoren/ shows: documents in the search index, those with a stored
    vector, changes waiting in the outbox, and the latest run's progress (done of total, rate, time
    left, heartbeat). Poll it while `run.active` is true. A fixed number of queries."""
    if not knowledge_permissions.can_manage_search(viewer(request)):
        raise PermissionDenied("search")  # 401 for anonymous callers, else 403
    overview = selectors.embed_overview()
    return {
        "documents": overview.documents,
        "vectors": overview.vectors,
        "pending": overview.pending,
        "enabled": overview.enabled,
        "no_worker": overview.no_worker,
        "run": embed_run_out(overview.latest) if overview.latest is not None else None,
    }


@_op(
    "post",
    "/search-vectors/runs",
    {202: ks.EmbedRunOut, 200: ks.EmbedRunOut},
    "startEmbedRun",
    "Bring every vector up to date in the worker (admins)",
    TAG_SEARCH,
)
def start_embed_run(request: HttpRequest, response: HttpResponse) -> Status:
    """Queues a run for the worker: 202 with the new run (`Location`: the overview, to follow its
    progress). One run at a time: while one waits or runs, that one answers (200) and nothing new is
    queued. With vectors off (PLEK_EMBEDDINGS=0) 422 naming `embeddings`."""
    run, started = services.embed_run_request(viewer=viewer(request))
    body = embed_run_out(selectors.embed_run_view(run))
    if not started:
        return Status(200, body)
    response["Location"] = request.build_absolute_uri(SEARCH_VECTORS)
    return Status(202, body)


@_op(
    "post",
    "/search-vectors/runs/active/cancel",
    ks.EmbedRunOut,
    "cancelEmbedRun",
    "Stop the embedding run that waits or runs (admins)",
    TAG_SEARCH,
)
def cancel_embed_run(request: HttpRequest) -> dict[str, Any]:
    """A waiting run stops at once (`cancelled`); a running one gets `cancelRequested` and stops
    between two batches of documents (the vectors it stored stay). 409 when no run waits or runs."""
    run = services.embed_run_cancel(viewer=viewer(request))
    if run is None:
        raise ApiError(409, _("Er loopt geen run."), title="Conflict", type_=TYPE_CONFLICT)
    return embed_run_out(selectors.embed_run_view(run))
