"""The coordinator's consent form (issue 11 point 2): the owning hub's coordinators (and
administrators) record when and how a knowledge holder consented, and for which field groups; who
recorded it is kept. Everyone else is refused and the refusal changes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from plek.atlas.models import Hub, HubMembership, Person
from plek.core.models import ChangeLog

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def people(cast: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any) -> dict[str, Any]:
    """An imported profile of the hub without consent (it asked to be seen by the hub's members), and
    a coordinator of another hub."""
    elsewhere = django_user_model.objects.create_user(username="elders", password="x")
    HubMembership.objects.create(hub=other_hub, user=elsewhere, role=HubMembership.Role.COORDINATOR)
    person = Person.objects.create(
        slug="wilma-waterman",
        name="Wilma Waterman",
        email="wilma@example.org",
        expertise="Peilbeheer",
        owner_hub=hub,
        visibility="private",
        visibility_requested="members",
        contact_visibility="members",
        expertise_visibility="members",
    )
    return {**cast, "other_coordinator": elsewhere, "person": person}


def _state(person: Person) -> tuple[Any, ...]:
    person.refresh_from_db()
    return (
        person.consent_at,
        person.consent_basis,
        person.consent_groups,
        person.consent_recorded_by_id,
        person.visibility,
        person.contact_visibility,
        ChangeLog.objects.filter(object_id=person.pk, object_repr=person.name).count(),
    )


GOOD = {"basis": "paper", "groups": ["expertise", "regions"]}


@pytest.mark.parametrize(
    ("role", "get_status", "allowed"),
    [
        ("anonymous", 302, False),
        ("outsider", 404, False),
        ("member", 404, False),
        ("other_coordinator", 404, False),
        ("coordinator", 200, True),
        ("admin", 200, True),
    ],
)
def test_who_may_record_consent(people: dict[str, Any], role: str, get_status: int, allowed: bool) -> None:
    person = people["person"]
    client = client_for(people[role])
    url = f"/kennishouders/{person.slug}/toestemming/"
    assert client.get(url).status_code == get_status
    before = _state(person)
    data = {**GOOD, "given_on": (timezone.localdate() - dt.timedelta(days=3)).isoformat()}
    response = client.post(url, data)
    if not allowed:
        assert response.status_code == get_status
        assert _state(person) == before  # refused: nothing changed
        return
    assert response.status_code == 302 and response["Location"] == url
    person.refresh_from_db()
    assert person.consent_basis == "paper" and person.consent_groups == ["expertise", "regions"]
    assert person.consent_at.date() == timezone.localdate() - dt.timedelta(days=3)
    assert person.consent_recorded_by == people[role]
    # Shown as asked now; a group outside the consent stays private.
    assert person.visibility == "members" and person.visibility_requested == ""
    assert person.expertise_visibility == "members" and person.contact_visibility == "private"
    page = client.get(url).content.decode()
    assert "op papier" in page and str(people[role]) in page
    assert ChangeLog.objects.filter(object_id=person.pk, action="update", actor=people[role]).exists()
    # A signed-in member now sees the profile, without its contact details.
    seen = client_for(people["member"]).get(f"/kennishouders/{person.slug}/")
    assert seen.status_code == 200 and "wilma@example.org" not in seen.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"basis": "paper", "given_on": "2999-01-01"}, "given_on"),
        ({"basis": "paper", "given_on": "gisteren"}, "given_on"),
        ({"basis": "paper", "given_on": "1850-01-01"}, "given_on"),
        ({"basis": "self", "given_on": "2024-01-01"}, "basis"),
        ({"basis": "", "given_on": "2024-01-01"}, "basis"),
        ({"basis": "email", "given_on": "2024-01-01", "groups": ["salaris"]}, "groups"),
    ],
)
def test_bad_input_is_a_field_error_and_changes_nothing(
    people: dict[str, Any], data: dict[str, Any], field: str
) -> None:
    person = people["person"]
    before = _state(person)
    response = client_for(people["coordinator"]).post(f"/kennishouders/{person.slug}/toestemming/", data)
    assert response.status_code == 422
    assert f'id="id_{field}_error"' in response.content.decode()
    assert _state(person) == before


def test_the_list_shows_this_hubs_profiles_without_consent(
    people: dict[str, Any], other_hub: Hub, django_assert_max_num_queries: Any
) -> None:
    for i in range(12):
        Person.objects.create(slug=f"p-{i}", name=f"Persoon {i}", owner_hub=people["person"].owner_hub)
    Person.objects.create(slug="elders-p", name="Elders Persoon", owner_hub=other_hub)
    Person.objects.create(
        slug="met-ok", name="Met Toestemming", owner_hub=people["person"].owner_hub, consent_at=timezone.now()
    )
    client = client_for(people["coordinator"])
    client.get("/kennishouders/zonder-toestemming/")
    with django_assert_max_num_queries(12):
        html = client.get("/kennishouders/zonder-toestemming/").content.decode()
    assert "Wilma Waterman" in html and "Persoon 11" in html
    assert "Elders Persoon" not in html and "Met Toestemming" not in html
    assert 'href="/kennishouders/wilma-waterman/toestemming/"' in html
    assert client_for(people["member"]).get("/kennishouders/zonder-toestemming/").status_code == 403
    assert client_for(None).get("/kennishouders/zonder-toestemming/").status_code == 302
    assert (
        'href="/kennishouders/zonder-toestemming/"'
        in client.get(f"/kennishubs/{people['person'].owner_hub.slug}/leden/").content.decode()
    )
