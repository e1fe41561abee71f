"""Defects found by probing the API from outside (issue 13): each case here answered 500, broke the
documented contract, or was missing before its fix."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections import defaultdict
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from pydantic import BaseModel

import plek.api
from plek.accounts.services import api_token_create
from plek.api import ratelimit
from plek.api.router import api
from plek.api.tests.conftest import is_problem, send
from plek.atlas.models import Hub, HubMembership, Region
from plek.atlas.tests.factories import PersonFactory
from plek.brokering.models import Answer, Question
from plek.brokering.tests.factories import QuestionFactory
from plek.learning.models import Session
from plek.learning.tests.conftest import add_item, make_trajectory

API = "/api/v1"
S = Question.State
OPEN = {"expertise_visibility": "public", "regions_visibility": "public", "affiliation_visibility": "public"}


@pytest.fixture
def schema() -> dict[str, Any]:
    return api.get_openapi_schema()


# ---- 1: the people kind filter on SQLite (and PostgreSQL) ---------------------------------------------


def test_people_kind_filter_api_and_page(ref: None) -> None:
    practice = PersonFactory(slug="pien-praktijk", name="Pien Praktijk", knowledge_kinds=["practice"], **OPEN)
    PersonFactory(slug="olaf-onderzoek", name="Olaf Onderzoek", knowledge_kinds=["research"], **OPEN)
    both = PersonFactory(slug="bo-beide", name="Bo Beide", knowledge_kinds=["research", "practice"], **OPEN)
    response = send(Client(), "get", "/people?kind=practice")
    assert response.status_code == 200, response.content
    assert {i["slug"] for i in response.json()["items"]} == {practice.slug, both.slug}
    page = Client().get("/kennishouders/?soort=practice")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pien Praktijk" in html and "Bo Beide" in html and "Olaf Onderzoek" not in html


# ---- 2: integers are bounded before they reach the database ---------------------------------------


def test_items_discussed_overflow_is_400_naming_the_item(cast: dict[str, Any], hub: Hub) -> None:
    trajectory = make_trajectory(hub=hub)
    add_item(trajectory)
    client = Client()
    client.force_login(cast["admin"])
    response = send(
        client,
        "post",
        f"/learning-trajectories/{trajectory.slug}/sessions",
        {"kind": "reflection", "title": "X", "date": "2024-03-01", "itemsDiscussed": [9223372036854775808]},
    )
    body = is_problem(response, 400)
    assert "itemsDiscussed.0" in [p["name"] for p in body["invalidParams"]]
    assert not Session.objects.exists()


@pytest.mark.parametrize(
    "path",
    ["/governance/signals/9223372036854775808", "/relations/99999999999999999999", "/runs/0"],
)
def test_huge_or_zero_path_ids_are_400(ref: None, path: str) -> None:
    is_problem(send(Client(), "get", path), 400)


def test_every_integer_input_has_bounds(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    unbounded: list[str] = []

    def walk(node: Any, where: str, seen: frozenset[str]) -> None:
        if not isinstance(node, dict):
            return
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(components[name], f"{where}>{name}", seen | {name})
            return
        types = node.get("type")
        if (types == "integer" or (isinstance(types, list) and "integer" in types)) and not (
            "maximum" in node and "minimum" in node
        ):
            unbounded.append(where)
        for key in ("anyOf", "oneOf", "allOf"):
            for option in node.get(key, []):
                walk(option, where, seen)
        walk(node.get("items"), f"{where}[]", seen)
        for name, prop in node.get("properties", {}).items():
            walk(prop, f"{where}.{name}", seen)

    for path, item in schema["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                walk(parameter.get("schema"), f"{method} {path} ?{parameter['name']}", frozenset())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], f"{method} {path} body", frozenset())
    assert unbounded == []


# ---- 3: busyness at the end of the calendar -----------------------------------------------------------


@pytest.mark.parametrize("start", ["9999-12-01", "9999-01-01"])
def test_busyness_in_the_last_year_of_the_calendar(ref: None, start: str) -> None:
    response = send(Client(), "get", f"/regions/GM0363/busyness?start={start}&months=120")
    assert response.status_code == 200, response.content
    assert response.json()["start"] == start
    page = Client().get(f"/gebieden/GM0363/drukte/?vanaf={start}&maanden=120")
    assert page.status_code == 200


# ---- 4: a title with CR/LF and the introduction e-mail -------------------------------------------------


def _brokered_question(hub: Hub, users: dict[str, Any], **kw: Any) -> Question:
    return QuestionFactory(
        slug="droge-grond",
        title="Droge grond\r\nBcc: iedereen@example.org",
        regions=[Region.objects.get(code="GM0399")],
        owner_hub=hub,
        broker=users["coordinator"],
        state=S.MATCHING,
        **kw,
    )


def test_introduction_with_cr_lf_in_the_title(
    cast: dict[str, Any], hub: Hub, django_capture_on_commit_callbacks: Any
) -> None:
    question = _brokered_question(hub, cast)
    PersonFactory(slug="els-droog", name="Els Droog", email="els@example.org", **OPEN)
    client = Client()
    client.force_login(cast["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client,
            "post",
            f"/questions/{question.slug}/introductions",
            {"person": "els-droog", "message": "Els weet hier veel van."},
        )
    assert response.status_code == 201, response.content
    question.refresh_from_db()
    assert question.state == S.CONNECTED
    assert all("\n" not in m.subject and "\r" not in m.subject for m in mail.outbox)
    [message] = [m for m in mail.outbox if m.to == ["els@example.org"]]  # the asker is notified too
    assert "Droge grond Bcc: iedereen@example.org" in message.subject
    assert message.to == ["els@example.org"] and not message.bcc


def test_a_failing_mail_after_commit_does_not_undo_or_break_the_step(
    cast: dict[str, Any], hub: Hub, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "plek.api.tests.test_hardening.RefusingBackend"
    question = _brokered_question(hub, cast)
    PersonFactory(slug="els-droog", name="Els Droog", email="els@example.org", **OPEN)
    client = Client()
    client.force_login(cast["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client,
            "post",
            f"/questions/{question.slug}/introductions",
            {"person": "els-droog", "message": "Els weet hier veel van."},
        )
    assert response.status_code == 201, response.content
    question.refresh_from_db()
    assert question.state == S.CONNECTED


class RefusingBackend:
    """A mail server that is down (used through EMAIL_BACKEND above)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionRefusedError("mail server down")


# ---- 14: schema names are unique --------------------------------------------------------------------


def test_no_two_api_models_share_a_schema_name() -> None:
    """ninja names components by class name: two models with one name silently share one schema,
    and one operation documents the other's response."""
    by_name: dict[str, set[str]] = defaultdict(set)
    for info in pkgutil.iter_modules(plek.api.__path__, "plek.api."):
        if info.name.endswith(("tests", "export_schema")):
            continue
        module = importlib.import_module(info.name)
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseModel) and obj.__module__ == module.__name__:
                by_name[obj.__name__].add(f"{obj.__module__}.{name}")
    duplicates = {name: places for name, places in by_name.items() if len(places) > 1}
    assert duplicates == {}


def test_learning_and_governance_document_their_own_shapes(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]

    def response(path: str, status: int) -> dict[str, Any]:
        responses = schema["paths"][path]["post"]["responses"]
        return {str(k): v for k, v in responses.items()}[str(status)]  # type: ignore[no-any-return]

    events = response("/learning-trajectories/{slug}/timeline-events", 201)
    ref = events["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert {"title", "actors", "significance"} <= set(components[ref]["properties"])
    passed = response("/learning-trajectories/{slug}/agenda-items/{number}/signal", 200)
    ref = passed["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert "signalUrl" in components[ref]["properties"]


# ---- 15: documented statuses and headers ------------------------------------------------------------


def test_matches_documents_403(schema: dict[str, Any]) -> None:
    assert "403" in {str(k) for k in schema["paths"]["/questions/{slug}/matches"]["get"]["responses"]}


def test_answer_and_introduction_send_location(
    cast: dict[str, Any], hub: Hub, django_capture_on_commit_callbacks: Any
) -> None:
    question = _brokered_question(hub, cast)
    PersonFactory(slug="els-droog", name="Els Droog", email="els@example.org", **OPEN)
    client = Client()
    client.force_login(cast["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        intro = send(
            client,
            "post",
            f"/questions/{question.slug}/introductions",
            {"person": "els-droog", "message": "Els weet hier veel van."},
        )
    assert intro.status_code == 201
    assert intro["Location"] == f"http://testserver{API}/questions/{question.slug}/introductions"
    answer = send(client, "post", f"/questions/{question.slug}/answer", {"text": "Houd regenwater vast."})
    assert answer.status_code == 201, answer.content
    assert answer["Location"] == f"http://testserver{API}/questions/{question.slug}"
    assert send(client, "get", answer["Location"].removeprefix(f"http://testserver{API}")).status_code == 200


def test_a_broker_outside_the_owning_hub_can_publish_the_answer(
    cast: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    """A referred question is brokered by someone of another hub; the answer's knowledge item is
    owned by the question's hub. This answered 422 naming `ownerHub`, a field the request lacks."""
    broker = django_user_model.objects.create_user(username="elders", password="x" * 12)
    HubMembership.objects.create(hub=other_hub, user=broker, role=HubMembership.Role.MEMBER)
    question = _brokered_question(hub, cast, visibility="hub")
    question.broker = broker
    question.save(update_fields=["broker"])
    client = Client()
    client.force_login(broker)
    response = send(client, "post", f"/questions/{question.slug}/answer", {"text": "Houd regenwater vast."})
    assert response.status_code == 201, response.content
    answer = Answer.objects.get(question=question)
    assert answer.knowledge_item.owner_hub == hub


# ---- 16: long text for the suggestions -------------------------------------------------------------------


def test_suggestions_by_post_for_long_text(ref: None) -> None:
    text = "Hoe houden we regenwater vast op droge zandgrond? " * 380  # ~19,000 characters
    response = send(Client(), "post", "/question-suggestions", {"text": text, "regions": ["GM0399"]})
    assert response.status_code == 200, response.content
    assert set(response.json()) == {"themes", "questions"}
    too_long = send(Client(), "post", "/question-suggestions", {"text": "x" * 20_001})
    assert "text" in [p["name"] for p in is_problem(too_long, 400)["invalidParams"]]


# ---- 17: small contract defects ---------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "1700000000", "2024-1-1"])
def test_dates_only_as_iso(ref: None, value: str) -> None:
    response = send(Client(), "get", f"/regions/GM0363/busyness?start={value}")
    assert "start" in [p["name"] for p in is_problem(response, 400)["invalidParams"]]


def test_as_of_zero_is_not_1970(cast: dict[str, Any], hub: Hub) -> None:
    trajectory = make_trajectory(hub=hub)
    response = send(Client(), "get", f"/learning-trajectories/{trajectory.slug}/agenda?asOf=0")
    assert [p["name"] for p in is_problem(response, 400)["invalidParams"]] == ["asOf"]
    ok = send(Client(), "get", f"/learning-trajectories/{trajectory.slug}/agenda?asOf=2024-06-01")
    assert ok.status_code == 200 and ok.json()["asOf"] == "2024-06-01"


def test_required_strings_and_arrays_say_they_may_not_be_empty(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    question = components["QuestionIn"]["properties"]
    assert question["title"]["minLength"] == 1 and question["regions"]["minItems"] == 1
    assert components["IntroductionIn"]["properties"]["message"]["minLength"] == 1
    assert "minLength" not in components["QuestionIn"]["properties"]["askerRole"]  # enums need none


def test_a_body_that_is_not_json_is_415(cast: dict[str, Any]) -> None:
    _, raw = api_token_create(user=cast["admin"], name="script")
    before = Region.objects.count()
    response = Client().post(
        f"{API}/regions",
        data=json.dumps({"code": "GM9999", "name": "Nergens", "kind": "municipality", "scale": "local"}),
        content_type="text/plain",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    body = is_problem(response, 415)
    assert body["invalidParams"][0]["name"] == "body"
    assert response["API-Version"] == "1.0.0"
    assert Region.objects.count() == before
    form = Client().post(f"{API}/regions", data={"code": "GM9999"}, HTTP_AUTHORIZATION=f"Bearer {raw}")
    is_problem(form, 415)
    # An empty form to an operation that takes JSON is a missing body (400), not a server error.
    empty_form = Client().post(f"{API}/regions", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert "body" in [p["name"] for p in is_problem(empty_form, 400)["invalidParams"]]
    # A bodyless POST (no Content-Type at all) is not refused for its media type.
    bodyless = Client().generic("POST", f"{API}/runs/1/cancel", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert bodyless.status_code == 404, bodyless.content
    assert Region.objects.count() == before


def test_head_wherever_get(ref: None) -> None:
    get = Client().get(f"{API}/regions/GM0363")
    head = Client().head(f"{API}/regions/GM0363")
    assert head.status_code == 200 and head.content == b""
    assert head["API-Version"] == "1.0.0" and head["Content-Type"] == get["Content-Type"]
    assert int(head["Content-Length"]) == len(get.content)
    assert Client().head(f"{API}/regions/XX0000").status_code == 404
    not_allowed = Client().put(f"{API}/regions")
    assert "HEAD" in not_allowed["Allow"]


def test_nul_in_a_query_parameter_names_it(ref: None) -> None:
    response = Client().get(f"{API}/regions?kind=municipality&q=ams%00terdam")
    body = is_problem(response, 400)
    assert [p["name"] for p in body["invalidParams"]] == ["q"]
    assert response["API-Version"] == "1.0.0"


# ---- 18: nullable dates carry their format on the property ------------------------------------------------


def test_no_format_hidden_in_an_any_of(schema: dict[str, Any]) -> None:
    hidden: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if any(isinstance(o, dict) and "format" in o for o in node.get("anyOf", [])):
                hidden.append(where)
            for key, child in node.items():
                walk(child, f"{where}/{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{where}/{i}")

    walk(schema, "")
    assert hidden == []
    valid_from = schema["components"]["schemas"]["RegionOut"]["properties"]["validFrom"]
    assert valid_from["type"] == ["string", "null"] and valid_from["format"] == "date"


# ---- rate limits ---------------------------------------------------------------------------------------


@pytest.fixture
def one_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The budgets' clock held in the middle of one window: the windows are fixed (aligned to the
    clock), so a test whose requests straddled a window's end got a fresh budget halfway through and
    no 429 (seen once in a full run)."""
    import types

    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: 1_800_000_030.0))


@pytest.mark.usefixtures("one_window")
def test_anonymous_budget_then_429_while_a_token_still_works(cast: dict[str, Any], settings: Any) -> None:
    settings.API_RATE_LIMIT_ANONYMOUS = "3/60"
    settings.API_RATE_LIMIT_TOKEN = "5/60"
    anonymous = Client()
    for _ in range(3):
        assert send(anonymous, "get", "/themes").status_code == 200
    refused = send(anonymous, "get", "/themes")
    body = is_problem(refused, 429)
    assert "3" in body["detail"]
    assert int(refused["Retry-After"]) == 30  # the seconds left of the window (held at its middle)
    assert refused["API-Version"] == "1.0.0"
    # A token has its own, larger budget, from the same address.
    _, raw = api_token_create(user=cast["member"], name="script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    for _ in range(5):
        assert send(Client(), "get", "/themes", **auth).status_code == 200
    is_problem(send(Client(), "get", "/themes", **auth), 429)
    # Another address is not affected.
    assert send(Client(REMOTE_ADDR="10.0.0.7"), "get", "/themes").status_code == 200


@pytest.mark.usefixtures("one_window")
def test_a_refused_write_changes_nothing(cast: dict[str, Any], settings: Any) -> None:
    settings.API_RATE_LIMIT_TOKEN = "1/60"
    _, raw = api_token_create(user=cast["admin"], name="script")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert send(Client(), "get", "/themes", **auth).status_code == 200
    before = Region.objects.count()
    body = {"code": "GM9998", "name": "Nergens", "kind": "municipality", "scale": "local"}
    is_problem(send(Client(), "post", "/regions", body, **auth), 429)
    assert Region.objects.count() == before


def test_fixed_window_arithmetic(rf: Any, settings: Any) -> None:
    settings.API_RATE_LIMIT_ANONYMOUS = "2/60"
    request = rf.get("/api/v1/themes", REMOTE_ADDR="192.0.2.1")
    request.user = None
    first = ratelimit.rate_check(request, now=1200.0)  # window [1200, 1260)
    second = ratelimit.rate_check(request, now=1230.5)
    third = ratelimit.rate_check(request, now=1259.2)
    assert (first.allowed, first.remaining, first.retry_after) == (True, 1, 60)
    assert (second.allowed, second.remaining, second.retry_after) == (True, 0, 30)
    assert (third.allowed, third.retry_after) == (False, 1)
    assert ratelimit.rate_check(request, now=1260.0).allowed  # a new window
    assert ratelimit.Budget.parse("600/60") == ratelimit.Budget(600, 60)
    with pytest.raises(ValueError):
        ratelimit.Budget.parse("0/60")


def test_the_proxy_hop_is_the_address_only_behind_a_proxy(rf: Any, settings: Any) -> None:
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.9, 203.0.113.5")
    settings.BEHIND_PROXY = False
    assert ratelimit.client_address(request) == "10.0.0.1"
    settings.BEHIND_PROXY = True
    assert ratelimit.client_address(request) == "203.0.113.5"
