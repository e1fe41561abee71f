"""The OpenAPI document: the committed snapshot matches, and it follows the NLGov API Design Rules
that the Logius Spectral ruleset checks (version header, problem responses, casing, contact)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client, override_settings

from plek.api import export_schema

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")
LOWER_CAMEL = re.compile(r"^[a-z][a-zA-Z0-9]*$")
UPPER_CAMEL = re.compile(r"^[A-Z][a-zA-Z0-9]*$")
KEBAB_PATH = re.compile(r"^(/([a-z0-9-]+|\{[^}]+\}))+$")
METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return export_schema.live_schema()


def operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(p, m, op) for p, item in schema["paths"].items() for m, op in item.items() if m in METHODS]


def test_snapshot_is_up_to_date(schema: dict[str, Any]) -> None:
    assert export_schema.SNAPSHOT.exists(), f"docs/openapi.json is missing; run: {export_schema.REGENERATE}"
    committed = json.loads(export_schema.SNAPSHOT.read_text())
    assert export_schema.comparable(committed) == export_schema.comparable(schema), (
        f"The API changed but docs/openapi.json did not. Regenerate it with: {export_schema.REGENERATE}"
    )


def test_snapshot_is_pretty_and_sorted() -> None:
    text = export_schema.SNAPSHOT.read_text()
    assert text == export_schema.render(json.loads(text)), f"run: {export_schema.REGENERATE}"


@pytest.mark.django_db
def test_served_document_and_docs() -> None:
    client = Client()
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response["API-Version"] == "1.0.0"
    assert response.json()["info"]["version"] == "1.0.0"
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"openapi.json" in docs.content


def test_info_version_contact_and_servers(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    assert SEMVER.match(schema["info"]["version"])
    assert {"name", "email", "url"} <= set(schema["info"]["contact"])
    assert schema["servers"] and all(re.search(r"/v\d", s["url"]) for s in schema["servers"])
    assert not any(s["url"].startswith("http://") for s in schema["servers"])


def test_https_server_in_production() -> None:
    with override_settings(SITE_URL="https://plek.example.nl"):
        live = export_schema.live_schema()
    assert live["servers"][0]["url"] == "https://plek.example.nl/api/v1"


def test_paths_are_kebab_case_without_trailing_slash(schema: dict[str, Any]) -> None:
    for path in schema["paths"]:
        assert KEBAB_PATH.match(path), path
        assert not path.endswith("/"), path


def test_every_success_response_documents_api_version(schema: dict[str, Any]) -> None:
    for path, method, op in operations(schema):
        for code, response in op["responses"].items():
            if code.startswith(("2", "3")):
                assert "API-Version" in response.get("headers", {}), (path, method, code)


def test_errors_are_problem_json_with_required_members(schema: dict[str, Any]) -> None:
    problem = schema["components"]["schemas"]["Problem"]
    assert {"status", "title", "detail", "type"} <= set(problem["properties"])
    for path, method, op in operations(schema):
        for code, response in op["responses"].items():
            if code.startswith(("4", "5")):
                assert set(response["content"]) == {"application/problem+json"}, (path, method, code)


def test_declared_problem_responses(schema: dict[str, Any]) -> None:
    for path, method, op in operations(schema):
        codes = set(op["responses"])
        if op.get("parameters") or method in ("post", "put", "patch"):
            assert "400" in codes, (path, method)
        assert "401" in codes, (path, method)
        if "{" in path:
            assert "404" in codes, (path, method)
        if method != "get":
            assert {"401", "403"} <= codes, (path, method)
        if method in ("post", "patch"):
            assert "422" in codes, (path, method)


def test_query_parameters_are_lower_camel_case(schema: dict[str, Any]) -> None:
    for path, method, op in operations(schema):
        for param in op.get("parameters", []):
            assert LOWER_CAMEL.match(param["name"]), (path, method, param["name"])


def _properties(node: Any, where: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            found += [(where, name) for name in props]
        for key, value in node.items():
            found += _properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _properties(value, f"{where}/{i}")
    return found


def test_properties_lower_camel_and_schema_names_upper_camel(schema: dict[str, Any]) -> None:
    for where, name in _properties(schema):
        assert LOWER_CAMEL.match(name), (where, name)
    for name in schema["components"]["schemas"]:
        assert UPPER_CAMEL.match(name), name


def test_dates_use_format_date(schema: dict[str, Any]) -> None:
    def formats(prop: dict[str, Any]) -> set[str]:
        # The format sits on the property itself (nullable as `type: [string, null]`), never inside
        # an anyOf where the NLGov linter rule (specify-format-for-date-and-time) does not look.
        assert not any("format" in option for option in prop.get("anyOf", [])), prop
        types = prop.get("type")
        return {prop.get("format")} if types == "string" or types == ["string", "null"] else set()

    for name, definition in schema["components"]["schemas"].items():
        for prop_name, prop in definition.get("properties", {}).items():
            if prop_name in ("date", "start", "end", "validFrom", "validUntil"):
                assert formats(prop) == {"date"}, (name, prop_name)
            if prop_name.endswith("At"):
                assert formats(prop) == {"date-time"}, (name, prop_name)
            assert "date-time-local" not in formats(prop)


def test_people_schema_keeps_hidden_groups_optional(schema: dict[str, Any]) -> None:
    person = schema["components"]["schemas"]["PersonOut"]
    assert set(person["required"]) == {"slug", "name", "hidden"}


def test_every_write_with_a_body_documents_the_422_its_service_can_answer(schema: dict[str, Any]) -> None:
    """Schemathesis found `PUT /notification-preferences` answering an undocumented 422."""
    missing = [
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if method in ("post", "put", "patch")
        and "requestBody" in operation
        and "422" not in operation["responses"]
    ]
    assert missing == []


def test_every_schema_name_is_used_by_one_model_only() -> None:
    """Two models of one name collide in the document: one silently replaces the other (this is how
    the learning timeline events and passing an agenda item on were documented wrongly once)."""
    from plek.api import router  # noqa: F401  (imports every API module)
    from plek.api.schemas import ApiModel

    seen: dict[str, set[str]] = {}
    stack: list[type] = [ApiModel]
    while stack:
        model = stack.pop()
        stack.extend(model.__subclasses__())
        seen.setdefault(model.__name__, set()).add(f"{model.__module__}.{model.__qualname__}")
    duplicates = {name: homes for name, homes in seen.items() if len(homes) > 1}
    assert duplicates == {}
