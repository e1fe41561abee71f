"""Completes ninja's OpenAPI document for the NLGov REST API Design Rules: the `API-Version`
header on every 2xx response, RFC 9457 problem responses declared per operation (ninja does not
declare its 400/401/403/404/422 answers itself), optional authentication on reads, a `servers`
entry with the major version, and `info.contact`."""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings

from plek.api.schemas import InvalidParam, Problem

API_VERSION = "1.0.0"
API_PREFIX = "/api/v1"

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

PROBLEM_DESCRIPTIONS = {
    400: "Invalid parameters or malformed request body (invalidParams names each one).",
    401: "No valid credentials: sign in or send 'Authorization: Bearer <token>'.",
    403: "Signed in, but not allowed to do this (or the CSRF token is missing).",
    404: "The resource does not exist, or you may not see it.",
    409: "The change conflicts with existing data or state (a duplicate, something still referred to, "
    "or a workflow step that is not allowed from the current state).",
    422: "The content is invalid (invalidParams names each field and why).",
}


def contact() -> dict[str, str]:
    site = str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return {
        "name": str(getattr(settings, "API_CONTACT_NAME", "PLeK platform team")),
        "email": str(getattr(settings, "API_CONTACT_EMAIL", "api@plek.localhost")),
        "url": str(getattr(settings, "API_CONTACT_URL", f"{site}{API_PREFIX}/docs")),
    }


def server_url() -> str:
    """Absolute https URL when the site runs on https (production), else relative to the host."""
    site = str(getattr(settings, "SITE_URL", "")).rstrip("/")
    return f"{site}{API_PREFIX}" if site.startswith("https://") else API_PREFIX


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": PROBLEM_DESCRIPTIONS[status],
        "headers": {"API-Version": {"$ref": "#/components/headers/API-Version"}},
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


RESTRICTED_READS = ("/queue",)


def _problem_statuses(method: str, path: str, operation: dict[str, Any]) -> list[int]:
    has_path_params = "{" in path
    # Every operation can answer 400 (bad parameters) and 401 (a bad token is refused, not ignored).
    statuses = [400, 401]
    # Reads that are for particular roles only (the broker queue) can refuse as well.
    if method != "get" or path.rstrip("/").endswith(RESTRICTED_READS):
        statuses.append(403)
    if has_path_params:
        statuses.append(404)
    if method in ("post", "patch", "delete"):
        statuses.append(409)
    if method in ("post", "patch"):
        statuses.append(422)
    return statuses


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    schema = copy.deepcopy(schema)
    schema["info"]["contact"] = contact()
    schema["servers"] = [{"url": server_url(), "description": "PLeK API, major version 1"}]
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for model in (Problem, InvalidParam):
        definition = model.model_json_schema(by_alias=True, ref_template="#/components/schemas/{model}")
        definition.pop("$defs", None)
        schemas[model.__name__] = definition
    schemas["Problem"]["required"] = ["type", "title", "status", "detail"]
    components["headers"] = {
        "API-Version": {
            "description": "The full version (semver) of the API that answered.",
            "required": True,
            "schema": {"type": "string", "example": API_VERSION},
        },
        "Location": {
            "description": "The URL of the created resource.",
            "schema": {"type": "string", "format": "uri"},
        },
    }
    for path, item in schema.get("paths", {}).items():
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for code, response in list(responses.items()):
                if str(code).startswith(("2", "3")):
                    response.setdefault("headers", {})["API-Version"] = {
                        "$ref": "#/components/headers/API-Version"
                    }
                    if str(code) == "201":
                        response["headers"]["Location"] = {"$ref": "#/components/headers/Location"}
                        response["description"] = "Created"
                    if str(code) == "204":
                        response["description"] = "Deleted"
            for status in _problem_statuses(method, path, operation):
                responses.setdefault(status, _problem_response(status))
            # Reads are open to anonymous callers ("{}"), with more results for signed-in ones.
            if method == "get" and operation.get("security"):
                operation["security"].append({})
            operation["responses"] = dict(sorted(responses.items(), key=lambda kv: str(kv[0])))
    return schema
