"""The toolkit every API module builds on: how an operation is declared, errors as problems,
pagination, references to regions, themes and items, and the region and theme filters.

Rules of `plek/api/`: a module here is an adapter. It reads through its app's selectors (never a
model's manager; `tests/test_layering.py` fails on one), writes through its app's services, and
turns the domain's answers into JSON and problem+json. The Atlas endpoints live in `atlas.py`, the
shared request/response models in `schemas.py`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlencode

from django import forms
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Router
from ninja.responses import Status

from plek.api.auth import READ_AUTH, WRITE_AUTH
from plek.api.errors import TYPE_VALIDATION, ApiError, camel_field
from plek.api.openapi import _problem_response
from plek.api.schemas import PageQuery
from plek.atlas import selectors as atlas_selectors
from plek.atlas.models import Region, Theme
from plek.core.errors import ValidationFailed
from plek.core.selectors import page_rows

API_ROOT = "/api/v1"
# URL names of operations that take multipart/form-data (file uploads); the router lets those through.
UPLOAD_URL_PREFIX = "upload-"
T = TypeVar("T")

# ---- declaring operations ------------------------------------------------------------------------


class Operations:
    """Declares the operations of one router with the house defaults: reads with READ_AUTH (open,
    more for signed-in callers), writes with WRITE_AUTH, JSON in lowerCamelCase, one tag.

        op = Operations(router, tag="governance")

        @op("get", "/governance/signals", SignalPage, "listSignals", "List signals")
        @op.create("/governance/signals", SignalDetail, "createSignal", "Raise a signal")

    `exclude_unset` leaves out of a response what the handler did not set (optional groups such as
    a person's hidden contact details); modules whose responses always carry every property say
    `exclude_unset=False`. The OpenAPI document declares a write's 401/403 by itself; a read that
    refuses some callers names those statuses (`problems=(403,)`, or `read_problems` for all reads
    of the router)."""

    def __init__(
        self,
        router: Router,
        *,
        tag: str = "",
        exclude_unset: bool = True,
        read_problems: tuple[int, ...] = (),
    ) -> None:
        self.router = router
        self.tag = tag
        self.exclude_unset = exclude_unset
        self.read_problems = read_problems

    def __call__(
        self,
        method: str,
        path: str,
        response: Any,
        operation_id: str,
        summary: str,
        tag: str | None = None,
        *,
        auth: Any = None,
        problems: tuple[int, ...] = (),
    ) -> Callable[..., Any]:
        register = getattr(self.router, method)
        options: dict[str, Any] = {"exclude_unset": True} if self.exclude_unset else {}
        statuses = (*self.read_problems, *problems) if method == "get" else problems
        if statuses:
            options["openapi_extra"] = {"responses": {s: _problem_response(s) for s in statuses}}
        return register(  # type: ignore[no-any-return]
            path,
            response=response,
            auth=auth if auth is not None else (READ_AUTH if method == "get" else WRITE_AUTH),
            operation_id=operation_id,
            summary=summary,
            tags=[tag or self.tag],
            by_alias=True,
            **options,
        )

    def read(self, path: str, response: Any, operation_id: str, summary: str, tag: str | None = None) -> Any:
        return self("get", path, response, operation_id, summary, tag)

    def create(
        self, path: str, response: Any, operation_id: str, summary: str, tag: str | None = None
    ) -> Any:
        """POST answering 201 with the created resource and its `Location` (see `created`)."""
        return self("post", path, {201: response}, operation_id, summary, tag)

    def update(
        self, path: str, response: Any, operation_id: str, summary: str, tag: str | None = None
    ) -> Any:
        return self("patch", path, response, operation_id, summary, tag)

    def upload(
        self, path: str, response: Any, operation_id: str, summary: str, tag: str | None = None
    ) -> Any:
        """POST taking multipart/form-data (`File[UploadedFile]` and `Form[...]` parameters) on a
        path of its own; every other write takes JSON only."""
        options: dict[str, Any] = {"exclude_unset": True} if self.exclude_unset else {}
        return self.router.post(
            path,
            response=response,
            auth=WRITE_AUTH,
            operation_id=operation_id,
            summary=summary,
            tags=[tag or self.tag],
            by_alias=True,
            url_name=f"{UPLOAD_URL_PREFIX}{operation_id}",
            **options,
        )

    def delete(self, path: str, operation_id: str, summary: str, tag: str | None = None) -> Any:
        """DELETE answering 204 without a body."""
        return self("delete", path, {204: None}, operation_id, summary, tag)


def created(request: HttpRequest, response: HttpResponse, location: str, body: Any) -> Status:
    """A 201 answer with the absolute URL of what was created in `Location`."""
    response["Location"] = request.build_absolute_uri(location)
    return Status(201, body)


def deleted() -> Status:
    return Status(204, None)


# ---- errors ----------------------------------------------------------------------------------------

# Service/form field -> the property the client sent, where they differ by more than the casing.
CLIENT_NAMES = {"to_state": "to"}


def validation_problem(exc: ValidationFailed, client_names: dict[str, str] | None = None) -> ApiError:
    """A service's ValidationFailed as a 422 problem naming each property as the client sent it
    (one reason per property; `__all__` becomes `body`)."""
    names = {**CLIENT_NAMES, **(client_names or {})}
    params: dict[str, str] = {}
    for field, messages in exc.errors.items():
        name = "body" if field == "__all__" else names.get(field, camel_field(field))
        params[name] = " ".join(messages)
    return ApiError(
        422,
        "The request is well-formed but its content is invalid; see invalidParams.",
        title="Validation failed",
        type_=TYPE_VALIDATION,
        invalid_params=params,
    )


def form_problem(form: forms.BaseForm) -> ApiError:
    """A page form's errors (it was checked before a service that takes cleaned values) as a 422."""
    return validation_problem(ValidationFailed({k: [str(m) for m in v] for k, v in form.errors.items()}))


def or_404(obj: T | None, detail: str) -> T:
    """The object a lookup found, or a 404 problem with `detail`."""
    if obj is None:
        raise ApiError(404, detail)
    return obj


def found(get: Callable[[], T], detail: str) -> T:
    """What a selector's getter returns; its Http404 as a 404 problem with `detail` (the error
    handler would answer a bare Http404 with a generic 404 problem)."""
    try:
        return get()
    except Http404:
        raise ApiError(404, detail) from None


# ---- pagination ------------------------------------------------------------------------------------


def next_page_url(request: HttpRequest, page: int, size: int, total: int) -> str | None:
    """The URL of the page after `page` (same query, page and pageSize set), or None on the last."""
    if page * size >= total:
        return None
    params = request.GET.copy()
    params["page"] = str(page + 1)
    params["pageSize"] = str(size)
    return request.build_absolute_uri(f"{request.path}?{urlencode(sorted(params.items()))}")


def paginate(
    request: HttpRequest,
    qs: QuerySet[Any],
    query: PageQuery,
    serialize: Callable[[list[Any]], list[dict[str, Any]]],
) -> dict[str, Any]:
    """One page: a count query, the page query, and the querysets' fixed prefetches."""
    size, page = query.page_size, query.page
    rows, total = page_rows(qs, page, size)
    return {
        "items": serialize(rows),
        "page": page,
        "page_size": size,
        "total": total,
        "next": next_page_url(request, page, size, total),
    }


# ---- references --------------------------------------------------------------------------------------


def region_ref(region: Region) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, "kind": region.kind}


def theme_ref(theme: Theme) -> dict[str, Any]:
    return {"slug": theme.slug, "label": theme.label}


def item_ref(obj: Any) -> dict[str, Any]:
    return {"slug": obj.slug, "name": obj.name}


# ---- filters in query parameters -----------------------------------------------------------------------


def region_filter(code: str | None, param: str = "region") -> Region | None:
    """The region a `?region=` names (None when absent); an unknown code is a 400 naming `param`."""
    if not code:
        return None
    region = atlas_selectors.region_get(code)
    if region is None:
        raise ApiError(400, f"Unknown region code '{code}'.", invalid_params={param: "Unknown region code."})
    return region


def theme_filter(slug: str | None, param: str = "theme") -> Theme | None:
    """The theme a `?theme=` names (None when absent); an unknown slug is a 400 naming `param`."""
    if not slug:
        return None
    theme = atlas_selectors.theme_get(slug)
    if theme is None:
        raise ApiError(400, f"Unknown theme '{slug}'.", invalid_params={param: "Unknown theme slug."})
    return theme
