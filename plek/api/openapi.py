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
    415: "The request body is not JSON: send it with `Content-Type: application/json`.",
    422: "The content is invalid (invalidParams names each field and why).",
    429: "Too many requests: wait the number of seconds in `Retry-After` (budgets per token or address).",
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
    headers: dict[str, Any] = {"API-Version": {"$ref": "#/components/headers/API-Version"}}
    if status == 429:
        headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
    return {
        "description": PROBLEM_DESCRIPTIONS[status],
        "headers": headers,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


RESTRICTED_READS = ("/queue", "/matches")


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
    if method in ("post", "put", "patch"):
        statuses.append(422)  # a well-formed body whose content the service refuses
    if "requestBody" in operation:
        statuses.append(415)
    # Every operation counts against the caller's request budget (plek.api.ratelimit).
    statuses.append(429)
    return statuses


def _nullable_formats(node: Any) -> None:
    """`anyOf: [{type: string, format: date}, {type: null}]` -> `type: [string, null], format: date`,
    so linters (NLGov `specify-format-for-date-and-time`) see the format on the property itself."""
    if isinstance(node, list):
        for child in node:
            _nullable_formats(child)
        return
    if not isinstance(node, dict):
        return
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        [other] = [o for o in options if o != {"type": "null"}]
        if isinstance(other.get("type"), str) and "format" in other and "$ref" not in other:
            node.pop("anyOf")
            node.update({**other, "type": [other["type"], "null"]})
    for child in node.values():
        _nullable_formats(child)


def _request_body_schemas(schema: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for item in schema.get("paths", {}).values():
        for method in HTTP_METHODS:
            body = item.get(method, {}).get("requestBody", {})
            for content in body.get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                if ref:
                    names.add(ref.rsplit("/", 1)[-1])
    return names


def _non_empty_required(schemas: dict[str, Any], names: set[str]) -> None:
    """Required strings and arrays of request bodies may not be empty (the forms refuse blank values
    with 422); say so in the schema with `minLength`/`minItems`."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        definition = schemas[name]
        props = definition.get("properties", {})
        for key, prop in props.items():
            for ref in _refs(prop):
                todo.append(ref)
            if key not in definition.get("required", []):
                continue
            if prop.get("type") == "string" and "enum" not in prop and "format" not in prop:
                prop.setdefault("minLength", 1)
            elif prop.get("type") == "array":
                prop.setdefault("minItems", 1)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"].rsplit("/", 1)[-1]] if "$ref" in node else []
        for child in node.values():
            found += _refs(child)
        return found
    if isinstance(node, list):
        return [r for child in node for r in _refs(child)]
    return []


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
        "Retry-After": {
            "description": "Seconds to wait before the budget allows another request.",
            "schema": {"type": "integer", "minimum": 1},
        },
    }
    _non_empty_required(schemas, _request_body_schemas(schema))
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
    _nullable_formats(schema)
    return schema
