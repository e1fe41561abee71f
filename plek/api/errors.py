"""RFC 9457 problem details for every error the API answers.

Each handler turns one kind of exception into an `application/problem+json` response with
`type`, `title`, `status`, `detail`, `instance` and, for invalid input, `invalidParams`
(one `{name, reason}` per field, names in the lowerCamelCase the client sent)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError
from django.db.models import ProtectedError
from django.http import Http404, HttpRequest, HttpResponse
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from pydantic.alias_generators import to_camel

from plek.brokering.errors import TransitionNotAllowed
from plek.core.errors import NotFound, PermissionDenied, ValidationFailed
from plek.knowledge.search.base import SearchError

if TYPE_CHECKING:
    from ninja import NinjaAPI

logger = logging.getLogger("plek.api")

PROBLEM_CONTENT_TYPE = "application/problem+json"

# Problem types (RFC 9457 §3.1.1). Plain HTTP errors use "about:blank" with the status phrase as title.
TYPE_BLANK = "about:blank"
TYPE_INVALID_PARAMS = "urn:plek:problem:invalid-parameters"
TYPE_MALFORMED_BODY = "urn:plek:problem:malformed-body"
TYPE_VALIDATION = "urn:plek:problem:validation-failed"
TYPE_CONFLICT = "urn:plek:problem:conflict"

WWW_AUTHENTICATE = 'Bearer realm="PLeK API"'


class ApiError(Exception):
    """Raised by handlers for a 4xx answer: `ApiError(400, "…", invalid_params={"theme": "…"})`."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        type_: str = TYPE_BLANK,
        invalid_params: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.detail = detail
        self.title = title
        self.type = TYPE_INVALID_PARAMS if invalid_params and type_ == TYPE_BLANK else type_
        self.invalid_params = invalid_params or {}
        super().__init__(detail)


def camel_field(name: str) -> str:
    """Form/pydantic field name as the client sees it (`owner_hub` -> `ownerHub`)."""
    return name if name.startswith("_") else to_camel(name)


def problem(
    request: HttpRequest | None,
    status: int,
    detail: str,
    *,
    title: str | None = None,
    type_: str = TYPE_BLANK,
    invalid_params: Iterable[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.path
    params = [{"name": name, "reason": reason} for name, reason in invalid_params]
    if params:
        body["invalidParams"] = params
    response = HttpResponse(
        json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False),
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )
    for key, value in (headers or {}).items():
        response[key] = value
    return response


def is_problem(response: HttpResponse) -> bool:
    return str(response.get("Content-Type", "")).startswith(PROBLEM_CONTENT_TYPE)


# ---- handlers -----------------------------------------------------------------------------------


def _loc_name(loc: tuple[Any, ...]) -> str:
    """ninja error location -> parameter name: ("query", "pageSize") -> "pageSize";
    ("body", "payload", "regions", 0) -> "regions.0"; ("body", "payload") -> "body"."""
    parts = list(loc)
    source = parts.pop(0) if parts else "body"
    if source == "body" and parts:
        parts.pop(0)  # the handler's argument name, not part of the document
    if not parts:
        return str(source)
    return ".".join(str(p) for p in parts)


def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    params = []
    for err in exc.errors:
        msg = str(err.get("msg", "invalid"))
        if err.get("type") == "extra_forbidden":
            msg = "Unknown property."
        params.append((_loc_name(tuple(err.get("loc", ()))), msg))
    return problem(
        request,
        400,
        "The request has invalid parameters; see invalidParams.",
        title="Invalid parameters",
        type_=TYPE_INVALID_PARAMS,
        invalid_params=params,
    )


def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    if status == 401 or isinstance(exc, AuthenticationError):
        detail = str(exc)
        if detail in ("", "Unauthorized"):
            detail = "Authentication required: send 'Authorization: Bearer <token>' or sign in."
        return problem(request, 401, detail, headers={"WWW-Authenticate": WWW_AUTHENTICATE})
    if status == 400 and str(exc).startswith("Cannot parse request body"):
        return problem(
            request,
            400,
            "The request body is not valid JSON.",
            title="Malformed request body",
            type_=TYPE_MALFORMED_BODY,
            invalid_params=[("body", "Malformed JSON.")],
        )
    return problem(request, status, str(exc))


def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return problem(
        request,
        exc.status,
        exc.detail,
        title=exc.title,
        type_=exc.type,
        invalid_params=exc.invalid_params.items(),
    )


def on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    detail = str(exc) if isinstance(exc, NotFound) and str(exc) else "The resource does not exist."
    return problem(request, 404, detail)


def on_permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    user = getattr(request, "auth", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return problem(
            request,
            401,
            "Authentication required: send 'Authorization: Bearer <token>' or sign in.",
            headers={"WWW-Authenticate": WWW_AUTHENTICATE},
        )
    return problem(request, 403, "You are not allowed to do this.")


def on_validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    params = []
    for field, messages in exc.errors.items():
        name = "body" if field == "__all__" else camel_field(field)
        for message in messages:
            params.append((name, message))
    return problem(
        request,
        422,
        "The request is well-formed but its content is invalid; see invalidParams.",
        title="Validation failed",
        type_=TYPE_VALIDATION,
        invalid_params=params,
    )


def on_protected(request: HttpRequest, exc: ProtectedError) -> HttpResponse:
    return problem(
        request,
        409,
        "Other records still refer to this one; remove or change those first.",
        type_=TYPE_CONFLICT,
    )


def on_integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
    logger.info("API write conflict at %s: %s", request.path, exc)
    return problem(
        request,
        409,
        "The change conflicts with an existing record (for example a duplicate).",
        type_=TYPE_CONFLICT,
    )


def on_transition_not_allowed(request: HttpRequest, exc: TransitionNotAllowed) -> HttpResponse:
    from plek.brokering.transitions import TRANSITIONS

    possible = ", ".join(TRANSITIONS.get(exc.from_state or "", {})) or "none (this state is final)"
    return problem(
        request,
        409,
        f"A question in state '{exc.from_state}' cannot move to '{exc.to_state}'; possible: {possible}.",
        title="Transition not allowed",
        type_=TYPE_CONFLICT,
        invalid_params=[("to", f"Not a step from '{exc.from_state}'.")],
    )


def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem(request, 413, "The request body is too large.")


def on_search_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Search backend failed in %s %s", request.method, request.path)
    return problem(request, 503, "Search is temporarily unavailable; try again shortly.")


def on_overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
    # A safety net: the schemas bound every integer, so this means one was missed.
    logger.warning("Integer overflow in API request %s %s: %s", request.method, request.path, exc)
    return problem(request, 400, "A number in the request is out of range.", type_=TYPE_INVALID_PARAMS)


def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("Unhandled error in API request %s %s", request.method, request.path)
    return problem(request, 500, "An unexpected error occurred; it has been logged.")


HANDLERS: list[tuple[type[Exception], Any]] = [
    (Exception, on_unexpected),
    (NinjaValidationError, on_validation_error),
    (HttpError, on_http_error),
    (ApiError, on_api_error),
    (Http404, on_not_found),
    (NotFound, on_not_found),
    (PermissionDenied, on_permission_denied),
    (DjangoPermissionDenied, on_permission_denied),
    (ValidationFailed, on_validation_failed),
    (ProtectedError, on_protected),
    (IntegrityError, on_integrity_error),
    (TransitionNotAllowed, on_transition_not_allowed),
    (RequestDataTooBig, on_too_big),
    (SearchError, on_search_unavailable),
    (OverflowError, on_overflow),
]


def install(api: NinjaAPI) -> None:
    """Register the problem-details handlers on a NinjaAPI (replacing ninja's defaults)."""
    for exc_class, handler in HANDLERS:
        api.add_exception_handler(exc_class, handler)
