"""The versioned API, mounted at /api/v1/ by config/urls.py.

Every response under /api/v1/ (operations, errors, unknown routes, wrong methods, the OpenAPI
document) carries `API-Version`; every error is an RFC 9457 problem (see plek.api.errors)."""

from __future__ import annotations

import functools
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import URLPattern, URLResolver, re_path
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from plek.api import errors, openapi, ratelimit
from plek.api.atlas import router as atlas_router
from plek.api.brokering import router as brokering_router
from plek.api.common import UPLOAD_URL_PREFIX
from plek.api.governance import router as governance_router
from plek.api.knowledge import router as knowledge_router
from plek.api.learning import router as learning_router
from plek.api.openapi import API_PREFIX, API_VERSION
from plek.api.strategy import router as strategy_router

DESCRIPTION = """\
PLeK as JSON: the Atlas — regions at every scale, themes, organisations, knowledge holders, networks,
knowledge hubs, national programmes and the relations between them — and the knowledge base with one
Dutch full-text search over all of it (`/search`, with facets).

* **Authentication.** Reads are open; what you see depends on who you are. Writes need an API
  token (`Authorization: Bearer <token>`, made on your account page) or a signed-in browser
  session plus its CSRF token (`X-CSRFToken`). A bad token answers 401.
* **Lists** are paged: `?page=1&pageSize=25` (at most 100); the answer carries `items`, `page`,
  `pageSize`, `total` and `next` (the next page's URL, or null).
* **Errors** are RFC 9457 `application/problem+json` with `type`, `title`, `status`, `detail`
  and, for invalid input, `invalidParams` naming each field.
* **Versions.** Every response carries `API-Version` (semver). Breaking changes get a new major
  version in the path (`/api/v2`).
"""


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _not_json(request: HttpRequest, *, uploads: bool = False) -> bool:
    """A write that sends a body in anything but JSON (ninja would parse `text/plain` as JSON);
    an upload operation (`Operations.upload`) takes multipart/form-data as well."""
    if request.method not in BODY_METHODS:
        return False
    content_type = request.content_type or ""
    if content_type == "application/json" or content_type.endswith("+json"):
        return False
    if uploads and content_type == "multipart/form-data":
        return False
    try:
        body = request.body  # read (and kept) first, so the view can still read it after a form parse
    except Exception:  # too large to read: the view answers 413
        return False
    if not body.strip():
        return False
    if content_type in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # An empty form is no body (what some clients send on a bodiless POST); a filled one is.
        return bool(request.POST) or bool(request.FILES)
    return True


def _answer(
    view: Any, request: HttpRequest, *args: Any, uploads: bool = False, **kwargs: Any
) -> HttpResponse:
    verdict = ratelimit.rate_check(request)
    if not verdict.allowed:
        return errors.problem(
            request,
            429,
            f"Too many requests: at most {verdict.limit} per window for this caller; "
            f"try again in {verdict.retry_after} seconds.",
            headers={"Retry-After": str(verdict.retry_after)},
        )
    if _not_json(request, uploads=uploads):
        return errors.problem(
            request,
            415,
            "Send the request body as JSON with 'Content-Type: application/json'.",
            invalid_params=[("body", f"Unsupported content type: {request.content_type or 'none'}.")],
            headers={"Accept-Post": "application/json", "Accept-Patch": "application/json"},
        )
    head = request.method == "HEAD"
    if head:  # HEAD is GET without the body (RFC 9110 §9.3.2)
        request.method = "GET"
    try:
        response = view(request, *args, **kwargs)
    except Http404:
        response = errors.problem(request, 404, "There is no such resource in API v1.")
    finally:
        if head:
            request.method = "HEAD"
    if head and not getattr(response, "streaming", False):
        response["Content-Length"] = str(len(response.content))
        response.content = b""
    return response


def versioned(view: Any, *, uploads: bool = False) -> Any:
    """Wrap a URL view: API-Version on every answer, problems for 404/405 from outside ninja,
    request budgets (429), 415 for bodies that are not JSON, and HEAD wherever GET is."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = _answer(view, request, *args, uploads=uploads, **kwargs)
        if response.status_code == 405 and not errors.is_problem(response):
            allow = response.get("Allow", "")
            if "GET" in allow and "HEAD" not in allow:
                allow = f"{allow}, HEAD"
            response = errors.problem(
                request,
                405,
                f"{request.method} is not allowed here; allowed: {allow}.",
                headers={"Allow": allow},
            )
        response["API-Version"] = API_VERSION
        return response

    return wrapper


def unknown_route(request: HttpRequest, rest: str = "") -> HttpResponse:
    detail = "There is no such resource in API v1."
    if request.path.endswith("/") and request.path.rstrip("/") != API_PREFIX:
        detail += " Paths have no trailing slash."
    return errors.problem(request, 404, detail)


class PlekAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        # Paths relative to the server URL (which carries /api/v1), completed for the NLGov rules.
        schema = super().get_openapi_schema(path_prefix="", path_params=path_params)
        completed = openapi.complete(dict(schema))
        schema.clear()
        schema.update(completed)
        return schema

    def _get_urls(self) -> list[URLPattern | URLResolver]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                if pattern.name == "api-root":
                    pattern.callback = index
                uploads = (pattern.name or "").startswith(UPLOAD_URL_PREFIX)
                pattern.callback = versioned(pattern.callback, uploads=uploads)
        catch_all = versioned(unknown_route)
        catch_all.csrf_exempt = True  # a POST to an unknown path answers 404, not a CSRF page
        urls.append(re_path(r"^(?P<rest>.*)$", catch_all, name="unknown-route"))
        return urls


def index(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    """GET /api/v1/ — where the documentation is."""
    base = request.build_absolute_uri(API_PREFIX)
    return JsonResponse({"version": API_VERSION, "openapi": f"{base}/openapi.json", "docs": f"{base}/docs"})


api = PlekAPI(
    title="PLeK API",
    version=API_VERSION,
    description=DESCRIPTION,
    urls_namespace="api",
)
errors.install(api)
api.add_router("", atlas_router)
api.add_router("", knowledge_router)
api.add_router("", brokering_router)
api.add_router("", "plek.api.brokering_overview.router")
api.add_router("", strategy_router)
api.add_router("", learning_router)
api.add_router("", governance_router)
api.add_router("", "plek.api.federation.router")
api.add_router("", "plek.api.notifications.router")
api.add_router("", "plek.api.invitations.router")
