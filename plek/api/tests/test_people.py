"""People: a field group a person keeps from the caller is absent (not null) everywhere."""

from __future__ import annotations

from typing import Any

import pytest

from plek.api.tests import factories as f
from plek.api.tests.conftest import World, send
from plek.atlas.models import Person
from plek.core.models import Visibility

GROUP_KEYS = {
    "contact": {"email", "phone"},
    "affiliation": {"role", "organisations"},
    "expertise": {"expertise", "themes", "knowledgeKinds"},
    "regions": {"regions"},
}
# contact: private, affiliation: members, expertise: hub, regions: public
HIDDEN = {
    "anonymous": {"contact", "affiliation", "expertise"},
    "outsider": {"contact", "expertise"},
    "member": {"contact"},
    "coordinator": {"contact"},
    "self": set(),
    "admin": set(),
}


@pytest.fixture
def person(world: World) -> Person:
    world.users["self"] = f.UserFactory(username="zelf")
    org = f.OrganisationFactory(name="Waterschap Proef")
    person = f.PersonFactory(
        slug="jet-de-vries",
        name="Jet de Vries",
        owner_hub=world.hub,
        created_by=world.author,
        account=world.users["self"],
        contact_visibility=Visibility.PRIVATE,
        affiliation_visibility=Visibility.MEMBERS,
        expertise_visibility=Visibility.HUB,
        regions_visibility=Visibility.PUBLIC,
        knowledge_kinds=["practice"],
    )
    person.organisations.set([org])
    person.themes.set([world.theme])
    person.regions.set([world.municipality])
    return person


def check(item: dict[str, Any], role: str) -> None:
    hidden = HIDDEN[role]
    assert set(item["hidden"]) == hidden, (role, item)
    for group, keys in GROUP_KEYS.items():
        if group in hidden:
            assert not keys & set(item), (role, group, item)  # absent, not null
        else:
            assert keys <= set(item), (role, group, item)
            assert all(item[k] not in (None, "", []) for k in keys), (role, group, item)


@pytest.mark.parametrize("role", list(HIDDEN))
def test_hidden_groups_absent_in_list_detail_and_overview(world: World, person: Person, role: str) -> None:
    client = world.client(role)

    response = send(client, "get", "/people?pageSize=100")
    assert response.status_code == 200
    [item] = [i for i in response.json()["items"] if i["slug"] == person.slug]
    check(item, role)

    response = send(client, "get", f"/people/{person.slug}")
    assert response.status_code == 200
    check(response.json(), role)

    response = send(client, "get", f"/regions/{world.municipality.code}/overview")
    assert response.status_code == 200
    people = response.json()["sections"]["people"]
    [item] = [i for i in people["items"] if i["slug"] == person.slug]
    assert item["how"] == "direct" and item["via"] == []
    check(item, role)

    # the province page shows the person "within", through the municipality
    response = send(client, "get", f"/regions/{world.province.code}/overview")
    [item] = [i for i in response.json()["sections"]["people"]["items"] if i["slug"] == person.slug]
    assert item["how"] == "within"
    assert [r["code"] for r in item["via"]] == [world.municipality.code]
    check(item, role)


def test_contact_values_only_for_allowed(world: World, person: Person) -> None:
    own = send(world.client("self"), "get", f"/people/{person.slug}").json()
    assert own["email"] == person.email and own["phone"] == person.phone
    assert own["organisations"] == [{"slug": person.organisations.get().slug, "name": "Waterschap Proef"}]
    body = send(world.client("anonymous"), "get", f"/people/{person.slug}").content.decode()
    assert person.email not in body and person.phone not in body and "Beleidsadviseur" not in body


def test_private_person_is_not_found_for_others(world: World) -> None:
    hidden = f.PersonFactory(visibility=Visibility.PRIVATE, created_by=world.author)
    for role in ("anonymous", "outsider", "member"):
        response = send(world.client(role), "get", f"/people/{hidden.slug}")
        assert response.status_code == 404
    assert send(world.client("author"), "get", f"/people/{hidden.slug}").status_code == 200
    assert send(world.client("admin"), "get", f"/people/{hidden.slug}").status_code == 200
    slugs = [i["slug"] for i in send(world.client("member"), "get", "/people").json()["items"]]
    assert hidden.slug not in slugs


def test_people_filtered_on_hidden_group_are_left_out(world: World, person: Person) -> None:
    """Filtering on a theme must not reveal the expertise of people who hide it."""
    anon = send(world.client("anonymous"), "get", "/people?theme=water").json()
    assert person.slug not in [i["slug"] for i in anon["items"]]
    member = send(world.client("member"), "get", "/people?theme=water").json()
    assert person.slug in [i["slug"] for i in member["items"]]
