"""API v1 and routing: an unstaffed area's question gets the next desk, a programme's broker answers a
referred question, an organisation is introduced through its contact person; refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from plek.api.tests.conftest import is_problem, send
from plek.api.tests.test_brokering_api import VALID, client_for
from plek.atlas.models import Hub, HubMembership, Organisation, Programme, Region
from plek.atlas.tests.factories import PersonFactory
from plek.brokering.models import Introduction, ProgrammeBroker, Question
from plek.brokering.routing import NATIONAL_DESK_SLUG
from plek.brokering.tests.factories import QuestionFactory


@pytest.fixture
def people(cast: dict[str, Any], hub: Hub, django_user_model: Any) -> dict[str, Any]:
    users = dict(cast)
    users["asker"] = django_user_model.objects.create_user(username="asker", password="x")
    users["pb"] = django_user_model.objects.create_user(username="pb", display_name="Pia", password="x")
    return users


def test_a_question_in_an_unstaffed_area_gets_the_national_desk(
    people: dict[str, Any], other_hub: Hub
) -> None:
    response = send(client_for(people, "asker"), "post", "/questions", {**VALID, "regions": ["GM0106"]})
    assert response.status_code == 201, response.content
    assert response.json()["ownerHub"]["slug"] == NATIONAL_DESK_SLUG  # Drenthe's hub has no coordinator


def test_the_programme_broker_answers_through_the_api(people: dict[str, Any], hub: Hub) -> None:
    programme = Programme.objects.create(slug="np-x", name="Nationaal Programma X")
    ProgrammeBroker.objects.create(programme=programme, user=people["pb"])
    q = QuestionFactory(
        asker=people["asker"],
        owner_hub=hub,
        state="referred",
        referred_to_programme=programme,
        visibility="private",
    )
    # Others who may not answer: refused, nothing changes.
    for role in ("outsider", "member", "asker"):
        r = send(client_for(people, role), "post", f"/questions/{q.slug}/answer", {"text": "Zo."})
        assert r.status_code in (403, 404), (role, r.status_code)
    is_problem(
        send(client_for(people, "anonymous"), "post", f"/questions/{q.slug}/answer", {"text": "Zo."}), 401
    )
    assert Question.objects.get(pk=q.pk).state == "referred"
    broker = client_for(people, "pb")
    assert send(broker, "get", f"/questions/{q.slug}").status_code == 200  # private, but theirs to answer
    is_problem(send(broker, "post", f"/questions/{q.slug}/answer", {"text": ""}), 422)
    r = send(broker, "post", f"/questions/{q.slug}/answer", {"text": "De Omgevingswet regelt dit."})
    assert r.status_code == 201, r.content
    assert Question.objects.get(pk=q.pk).state == "answered"


def test_an_organisation_is_introduced_through_the_api(people: dict[str, Any], hub: Hub) -> None:
    q = QuestionFactory(
        asker=people["asker"], owner_hub=hub, state="matching", regions=[Region.objects.get(code="GM0363")]
    )
    org = Organisation.objects.create(slug="bodembedrijf", name="Bodembedrijf", kind="company")
    path = f"/questions/{q.slug}/introductions"
    body = {"organisation": "bodembedrijf", "message": "Kunnen jullie helpen?"}
    is_problem(send(client_for(people, "outsider"), "post", path, body), 403)
    missing = is_problem(
        send(client_for(people, "coordinator"), "post", path, {**body, "organisation": "nee"}), 422
    )
    assert [p["name"] for p in missing["invalidParams"]] == ["organisation"]
    nobody = is_problem(send(client_for(people, "coordinator"), "post", path, body), 422)
    assert [p["name"] for p in nobody["invalidParams"]] == ["organisation"]
    assert not Introduction.objects.exists()
    PersonFactory(name="Anna Contact", email="anna@bodembedrijf.example", organisations=[org])
    r = send(client_for(people, "coordinator"), "post", path, body)
    assert r.status_code == 201, r.content
    assert Introduction.objects.get().organisation == org
    assert HubMembership.objects.filter(hub=hub).exists()
