"""What the learning pages do beyond recording, over the API: changing a recorded session, quotes on
the timeline, changing a lesson. Each calls the page's service with the page's form (the same
permission predicate: those who may contribute to the trajectory). Table-driven: one permission
matrix over the three operations (a refused request changes nothing), a success and a bad-input
test for each."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from plek.core.testing import api_call, problem_fields
from plek.learning.models import Lesson, Quote, Session, Trajectory

pytestmark = pytest.mark.django_db
API = "/api/v1"
CAST = ("anonymous", "outsider", "member", "coordinator", "admin")
ALLOWED = (
    "coordinator",
    "admin",
)  # the trajectory's hub coordinates it; members of the hub are no participants


def send(user: Any, method: str, path: str, body: Any = None) -> Any:
    return api_call(user, method, f"{API}{path}", body)


def problem(response: Any, status: int) -> set[str]:
    return problem_fields(response, status)


def _snapshot() -> tuple[Any, ...]:
    return (
        list(Session.objects.order_by("pk").values_list("pk", "title", "kind", "notes")),
        list(Quote.objects.order_by("pk").values_list("pk", "text", "speaker", "event")),
        list(Lesson.objects.order_by("pk").values_list("pk", "title", "insight", "scale")),
    )


@pytest.fixture
def world(cast: dict[str, Any], trajectory: Trajectory) -> dict[str, Any]:
    admin = cast["admin"]
    base = f"/learning-trajectories/{trajectory.slug}"
    made = {
        "session": send(admin, "post", f"{base}/sessions", {"kind": "reflection", "title": "R1", "date": "2024-03-01"}),
        "event": send(admin, "post", f"{base}/timeline-events", {"date": "2024-04-01", "kind": "low", "title": "Dip"}),
        "lesson": send(admin, "post", "/lessons", {
            "title": "Water vasthouden vraagt de boer",
            "insight": "Zonder de boeren geen peilbesluit.",
            "regions": ["PV27"],
            "date": "2024-05-01",
            "trajectory": trajectory.slug,
        }),
    }  # fmt: skip
    assert {r.status_code for r in made.values()} == {201}, [r.content for r in made.values()]
    return {"base": base, **{k: r.json() for k, r in made.items()}}


@dataclass
class Case:
    operation: str
    method: str
    path: Callable[[dict[str, Any]], str]
    body: Callable[[dict[str, Any]], dict[str, Any]]
    status: int
    bad: dict[str, Any]
    bad_names: set[str]


CASES = [
    Case("updateLearningSession", "patch", lambda w: f"{w['base']}/sessions/{w['session']['id']}",
         lambda w: {"notes": "We zagen het **peilbesluit** anders.", "kind": "intervision"}, 200,
         {"title": ""}, {"title"}),
    Case("createLearningQuote", "post", lambda w: f"{w['base']}/quotes",
         lambda w: {"text": "Het water was er altijd al.", "speaker": "Boer", "event": w["event"]["id"]}, 201,
         {"text": "", "date": "2024-02-30"}, {"date"}),
    Case("updateLesson", "patch", lambda w: f"/lessons/{w['lesson']['slug']}",
         lambda w: {"insight": "Begin bij de boeren.", "scale": "local"}, 200,
         {"regions": [], "title": ""}, {"regions", "title"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
@pytest.mark.parametrize("role", CAST)
def test_the_permission_matrix(cast: dict[str, Any], world: dict[str, Any], case: Case, role: str) -> None:
    before = _snapshot()
    r = send(cast[role], case.method, case.path(world), case.body(world))
    if role in ALLOWED:
        assert r.status_code == case.status, r.content[:400]
        assert _snapshot() != before
    else:
        problem(r, 401 if role == "anonymous" else 403)
        assert _snapshot() == before


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
def test_bad_input_names_the_property_and_changes_nothing(
    cast: dict[str, Any], world: dict[str, Any], case: Case
) -> None:
    before = _snapshot()
    r = send(cast["coordinator"], case.method, case.path(world), case.bad)
    status = (
        400 if case.operation == "createLearningQuote" else 422
    )  # an impossible date is a JSON type error
    assert problem(r, status) == case.bad_names
    assert _snapshot() == before


def test_a_session_changes_only_what_is_sent(cast: dict[str, Any], world: dict[str, Any]) -> None:
    path = f"{world['base']}/sessions/{world['session']['id']}"
    r = send(cast["coordinator"], "patch", path, {"notes": "Nieuwe inzichten."})
    assert r.status_code == 200, r.content
    assert {**world["session"], "notes": "Nieuwe inzichten."} == r.json()
    assert Session.objects.get(pk=world["session"]["id"]).notes == "Nieuwe inzichten."
    assert problem(send(cast["coordinator"], "patch", path, {"participants": ["Niemand"]}), 422) == {
        "participants"
    }
    assert (
        problem(send(cast["coordinator"], "patch", f"{world['base']}/sessions/999999", {"notes": "x"}), 404)
        == set()
    )


def test_quotes_are_added_and_listed(cast: dict[str, Any], world: dict[str, Any]) -> None:
    body = {
        "text": "Het water was er altijd al.",
        "commentary": "Een kantelpunt.",
        "event": world["event"]["id"],
    }
    r = send(cast["coordinator"], "post", f"{world['base']}/quotes", body)
    assert r.status_code == 201, r.content
    quote = Quote.objects.get()
    assert r["Location"].endswith(f"/api/v1{world['base']}/quotes")
    assert r.json() == {
        "id": quote.pk,
        "text": "Het water was er altijd al.",
        "speaker": "",
        "commentary": "Een kantelpunt.",
        "date": None,
        "event": world["event"]["id"],
    }
    assert Client().get(r["Location"]).json() == [r.json()]
    # An event of another trajectory (or none at all) is refused by the page's form.
    r = send(cast["coordinator"], "post", f"{world['base']}/quotes", {**body, "event": 999999})
    assert problem(r, 422) == {"event"}
    assert Quote.objects.count() == 1


def test_a_lesson_changes_only_what_is_sent(cast: dict[str, Any], world: dict[str, Any]) -> None:
    slug = world["lesson"]["slug"]
    r = send(cast["coordinator"], "patch", f"/lessons/{slug}", {"themes": ["water-bodem"]})
    assert r.status_code == 200, r.content
    assert [t["slug"] for t in r.json()["themes"]] == ["water-bodem"]
    assert {k: v for k, v in r.json().items() if k != "themes"} == {
        k: v for k, v in world["lesson"].items() if k != "themes"
    }
    assert Client().get(f"{API}/lessons/{slug}").json() == r.json()
    assert problem(send(cast["coordinator"], "patch", "/lessons/geen-les", {"title": "x"}), 404) == set()


def test_the_quotes_list_has_a_fixed_number_of_queries(
    cast: dict[str, Any], world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        send(cast["coordinator"], "post", f"{world['base']}/quotes", {"text": f"Citaat {i}"})
    with django_assert_max_num_queries(6):  # the trajectory with its four prefetches, the quotes
        r = Client().get(f"{API}{world['base']}/quotes")
    assert len(r.json()) == 15
