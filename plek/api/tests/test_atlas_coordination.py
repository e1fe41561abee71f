"""What a hub's coordinators do on their pages, over the API: composing a custom area, keeping the
hub's members, recording a knowledge holder's consent. The same forms, services and permission
predicates as the pages (`can_create_custom_area`, `can_change(hub)`, `can_record_consent`).
Table-driven: one permission matrix (a refused request changes nothing), success and bad input."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from plek.atlas.models import Hub, HubMembership, Person, Region
from plek.core.testing import api_call, problem_fields

pytestmark = pytest.mark.django_db
API = "/api/v1"
CAST = ("anonymous", "outsider", "member", "coordinator", "admin")


def send(user: Any, method: str, path: str, body: Any = None) -> Any:
    return api_call(user, method, f"{API}{path}", body)


def problem(response: Any, status: int) -> set[str]:
    return problem_fields(response, status)


def _snapshot() -> tuple[Any, ...]:
    return (
        list(Region.objects.filter(kind=Region.Kind.CUSTOM).values_list("code", "name")),
        sorted(HubMembership.objects.values_list("hub__slug", "user__username", "role")),
        list(
            Person.objects.order_by("pk").values_list("slug", "consent_at", "consent_basis", "consent_groups")
        ),
    )


@pytest.fixture
def person(hub: Hub) -> Person:
    """A profile of the test hub without consent (its field groups hidden until consent is recorded)."""
    return Person.objects.create(
        name="Wilma Waterman", slug="wilma-waterman", owner_hub=hub, visibility="public"
    )


AREA = {"name": "Kop van de test", "municipalities": ["GM0363", "GM0228"]}
CONSENT = {"givenOn": "2025-06-01", "basis": "paper", "groups": ["expertise", "regions"]}


@dataclass
class Case:
    operation: str
    method: str
    path: str
    body: dict[str, Any] | None
    status: int
    bad: dict[str, Any] | None  # None: no body to get wrong
    bad_names: set[str]


CASES = [
    Case("createCustomArea", "post", "/custom-areas", AREA, 201,
         {"name": " ", "municipalities": ["XX0000"]}, {"name", "municipalities"}),
    Case("setHubMember", "put", "/hubs/kennishub-test/members/outsider", {"role": "member"}, 200,
         {"role": "king"}, {"role"}),
    Case("removeHubMember", "delete", "/hubs/kennishub-test/members/member", None, 204, None, set()),
    Case("recordPersonConsent", "put", "/people/wilma-waterman/consent", CONSENT, 200,
         {**CONSENT, "givenOn": "2999-01-01", "basis": "self"}, {"givenOn", "basis"}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.operation)
@pytest.mark.parametrize("role", CAST)
def test_the_permission_matrix(cast: dict[str, Any], person: Person, case: Case, role: str) -> None:
    before = _snapshot()
    r = send(cast[role], case.method, case.path, case.body)
    if role in ("coordinator", "admin"):
        assert r.status_code == case.status, r.content[:500]
        assert _snapshot() != before
        return
    if role == "anonymous":
        problem(r, 401)
    else:
        problem(r, 403)
    assert _snapshot() == before


@pytest.mark.parametrize("case", [c for c in CASES if c.bad is not None], ids=lambda c: c.operation)
def test_bad_input_names_the_property_and_changes_nothing(
    cast: dict[str, Any], person: Person, case: Case
) -> None:
    before = _snapshot()
    assert problem(send(cast["coordinator"], case.method, case.path, case.bad), 422) == case.bad_names
    assert _snapshot() == before


def test_a_custom_area_is_composed(cast: dict[str, Any], hub: Hub) -> None:
    r = send(cast["coordinator"], "post", "/custom-areas", AREA)
    assert r.status_code == 201, r.content
    area = Region.objects.get(name="Kop van de test")
    assert r["Location"].endswith(f"/api/v1/regions/{area.code}")
    assert (r.json()["code"], r.json()["kind"]) == (area.code, "custom")
    assert Client().get(r["Location"]).json() == r.json()


def test_members_are_listed_changed_and_removed(cast: dict[str, Any], hub: Hub) -> None:
    listed = send(cast["coordinator"], "get", "/hubs/kennishub-test/members").json()
    assert listed == [
        {"username": "coordinator", "role": "coordinator"},
        {"username": "member", "role": "member"},
    ]
    for role in ("anonymous", "outsider", "member"):
        problem(send(cast[role], "get", "/hubs/kennishub-test/members"), 401 if role == "anonymous" else 403)
    # by e-mail address, as on the page
    r = send(
        cast["coordinator"],
        "put",
        "/hubs/kennishub-test/members/outsider@example.org",
        {"role": "coordinator"},
    )
    assert {"username": "outsider", "role": "coordinator"} in r.json()
    assert send(cast["coordinator"], "delete", "/hubs/kennishub-test/members/outsider").status_code == 204
    # the last coordinator stays
    r = send(cast["coordinator"], "put", "/hubs/kennishub-test/members/coordinator", {"role": "member"})
    assert problem(r, 422) == {"role"}
    problem(send(cast["coordinator"], "put", "/hubs/kennishub-test/members/niemand", {"role": "member"}), 404)
    problem(send(cast["admin"], "get", "/hubs/geen-hub/members"), 404)
    assert HubMembership.objects.filter(hub=hub).count() == 2


def test_consent_is_recorded_and_opens_the_profile(cast: dict[str, Any], person: Person) -> None:
    def hidden() -> list[str]:
        return Client().get(f"{API}/people/wilma-waterman").json()["hidden"]  # type: ignore[no-any-return]

    assert hidden() == ["contact", "affiliation", "expertise", "regions"]  # nothing shows without consent
    assert send(cast["coordinator"], "get", "/people/wilma-waterman/consent").json()["consentAt"] is None
    r = send(cast["coordinator"], "put", "/people/wilma-waterman/consent", CONSENT)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["basis"], body["groups"], body["recordedBy"]) == (
        "paper",
        ["expertise", "regions"],
        "coordinator",
    )
    assert body["consentAt"].startswith("2025-06-01")
    assert send(cast["coordinator"], "get", "/people/wilma-waterman/consent").json() == body
    person.refresh_from_db()
    assert (person.consent_basis, person.consent_groups, person.consent_recorded_by) == (
        "paper",
        ["expertise", "regions"],
        cast["coordinator"],
    )
    assert "contact" in hidden()  # outside the consent: stays private
    problem(send(cast["member"], "get", "/people/wilma-waterman/consent"), 403)  # visible now, not theirs


def test_consent_of_a_profile_one_may_not_see_does_not_exist(cast: dict[str, Any], hub: Hub) -> None:
    Person.objects.create(name="Verborgen", slug="verborgen", owner_hub=hub, visibility="private")
    for role in ("outsider", "member"):
        problem(send(cast[role], "put", "/people/verborgen/consent", CONSENT), 404)
        problem(send(cast[role], "get", "/people/verborgen/consent"), 404)
    assert Person.objects.get(slug="verborgen").consent_at is None
    assert send(cast["coordinator"], "put", "/people/verborgen/consent", CONSENT).status_code == 200


def test_the_members_list_has_a_fixed_number_of_queries(
    cast: dict[str, Any], hub: Hub, django_user_model: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(15):
        user = django_user_model.objects.create_user(username=f"lid{i}", password="x" * 12)
        HubMembership.objects.create(hub=hub, user=user, role=HubMembership.Role.MEMBER)
    c = Client()
    c.force_login(cast["coordinator"])
    with django_assert_max_num_queries(7):  # session, user, memberships, the hub, the members with accounts
        r = c.get(f"{API}/hubs/kennishub-test/members")
    assert len(r.json()) == 17
