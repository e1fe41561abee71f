"""Permission matrix for writes: the expected status per role, nothing changed when refused,
and a ChangeLog row for every successful write."""

from __future__ import annotations

from typing import Any

import pytest
from django.db.models import Model
from django.forms.models import model_to_dict

from plek.api.tests import factories as f
from plek.api.tests.conftest import ROLES, World, is_problem, send
from plek.atlas.models import Hub, Network, Organisation, Person, Programme, Region, RegionContainment
from plek.core.models import ChangeLog

ANON, OUT, M, C, ADM = ROLES  # anonymous, outsider, member, coordinator, admin

MEMBER_WRITES = {
    "create": {ANON: 401, OUT: 403, M: 201, C: 201, ADM: 201},
    "update": {ANON: 401, OUT: 403, M: 403, C: 200, ADM: 200},
    "delete": {ANON: 401, OUT: 403, M: 403, C: 204, ADM: 204},
}
HUB_WRITES = {
    "create": {ANON: 401, OUT: 403, M: 403, C: 403, ADM: 201},
    "update": {ANON: 401, OUT: 403, M: 403, C: 200, ADM: 200},
    "delete": {ANON: 401, OUT: 403, M: 403, C: 403, ADM: 204},
}
ADMIN_WRITES = {
    "create": {ANON: 401, OUT: 403, M: 403, C: 403, ADM: 201},
    "update": {ANON: 401, OUT: 403, M: 403, C: 403, ADM: 200},
    "delete": {ANON: 401, OUT: 403, M: 403, C: 403, ADM: 204},
}


def _organisation(w: World) -> Organisation:
    org = f.OrganisationFactory(owner_hub=w.hub, created_by=w.author)
    org.regions.set([w.municipality])
    return org


def _region(w: World) -> Region:
    region = f.RegionFactory(code="GM9902", name="Tweede proefgemeente")
    f.contain(w.province, region)
    return region


KINDS: dict[str, dict[str, Any]] = {
    "organisation": {
        "model": Organisation,
        "path": "/organisations",
        "ident": lambda o: o.slug,
        "target": _organisation,
        "create": {
            "name": "Nieuwe organisatie",
            "kind": "company",
            "regions": ["GM9901"],
            "themes": ["water"],
        },
        "update": {"description": "Gewijzigde omschrijving"},
        "expect": MEMBER_WRITES,
    },
    "person": {
        "model": Person,
        "path": "/people",
        "ident": lambda o: o.slug,
        "target": lambda w: f.PersonFactory(owner_hub=w.hub, created_by=w.author),
        "create": {"name": "Nieuwe kennishouder", "email": "nieuw@example.org", "themes": ["water"]},
        "update": {"role": "Programmamanager"},
        "expect": MEMBER_WRITES,
    },
    "network": {
        "model": Network,
        "path": "/networks",
        "ident": lambda o: o.slug,
        "target": lambda w: f.NetworkFactory(owner_hub=w.hub, created_by=w.author),
        "create": {"name": "Nieuw netwerk", "scale": "regional", "regions": ["PV99"]},
        "update": {"description": "Gewijzigd netwerk"},
        "expect": MEMBER_WRITES,
    },
    "hub": {
        "model": Hub,
        "path": "/hubs",
        "ident": lambda o: o.slug,
        "target": lambda w: w.hub,
        "create": {"name": "Nieuwe hub", "regions": ["GM9901"]},
        "update": {"introduction": "Welkom bij de proefhub"},
        "expect": HUB_WRITES,
    },
    "programme": {
        "model": Programme,
        "path": "/programmes",
        "ident": lambda o: o.slug,
        "target": lambda w: f.ProgrammeFactory(),
        "create": {"name": "Nieuw programma", "status": "preparation", "regions": ["PV99"]},
        "update": {"abbr": "NP"},
        "expect": ADMIN_WRITES,
    },
    "region": {
        "model": Region,
        "path": "/regions",
        "ident": lambda o: o.code,
        "target": _region,
        "create": {
            "code": "GM9903",
            "name": "Nieuwe gemeente",
            "kind": "municipality",
            "scale": "local",
            "parents": ["PV99"],
        },
        "update": {"nameEn": "Second test municipality"},
        "expect": ADMIN_WRITES,
    },
}

CASES = [
    (kind, action, role) for kind in KINDS for action in ("create", "update", "delete") for role in ROLES
]


def _plain(value: Any) -> Any:
    """Many-to-many values as sorted primary keys (their order is not defined)."""
    if isinstance(value, list) and all(isinstance(v, Model) for v in value):
        return sorted(v.pk for v in value)
    return value


def snapshot(model: type[Model], obj: Model | None) -> dict[str, Any]:
    fresh = model._default_manager.filter(pk=obj.pk).first() if obj is not None else None
    values = {k: _plain(v) for k, v in model_to_dict(fresh).items()} if fresh is not None else None
    return {
        "count": model._default_manager.count(),
        "values": values,
        "changelog": list(ChangeLog.objects.order_by("pk").values_list("pk", "action", "object_id")),
        "containments": list(RegionContainment.objects.order_by("pk").values_list("parent_id", "child_id")),
    }


@pytest.mark.parametrize(("kind", "action", "role"), CASES, ids=["-".join(c) for c in CASES])
def test_write_matrix(world: World, kind: str, action: str, role: str) -> None:
    spec = KINDS[kind]
    model: type[Model] = spec["model"]
    target = None if action == "create" else spec["target"](world)
    before = snapshot(model, target)
    client = world.client(role)
    if action == "create":
        response = send(client, "post", spec["path"], spec["create"])
    elif action == "update":
        response = send(client, "patch", f"{spec['path']}/{spec['ident'](target)}", spec["update"])
    else:
        response = send(client, "delete", f"{spec['path']}/{spec['ident'](target)}")

    expected = spec["expect"][action][role]
    assert response.status_code == expected, (kind, action, role, response.content[:400])
    assert response["API-Version"] == "1.0.0"
    after = snapshot(model, target)

    if expected >= 400:
        is_problem(response, expected)
        assert after == before, "a refused write must change nothing"
        return

    new_logs = after["changelog"][len(before["changelog"]) :]
    assert after["changelog"][: len(before["changelog"])] == before["changelog"]
    action_name = {"create": "create", "update": "update", "delete": "delete"}[action]
    assert [a for _, a, _ in new_logs] == [action_name], new_logs
    log = ChangeLog.objects.order_by("-pk").first()
    assert log is not None
    assert log.actor == world.users[role]
    assert log.source == "api"

    if action == "create":
        assert after["count"] == before["count"] + 1
        body = response.json()
        assert response["Location"].endswith(f"{spec['path']}/{body.get('slug') or body.get('code')}")
        created = model._default_manager.get(pk=log.object_id)
        for key in ("name",):
            assert getattr(created, key) == spec["create"][key]
        if kind == "region":
            assert RegionContainment.objects.filter(child=created, parent=world.province).exists()
        if kind in ("organisation", "person", "network") and role in (M, C):
            assert created.owner_hub == world.hub  # type: ignore[attr-defined]
            assert created.created_by == world.users[role]  # type: ignore[attr-defined]
    elif action == "update":
        assert after["count"] == before["count"]
        assert after["values"] != before["values"]
        ((field, value),) = spec["update"].items()
        assert response.json()[field] == value
        # Everything not sent keeps its value (PATCH starts from the current values).
        changed = {k for k in before["values"] if before["values"][k] != after["values"][k]}
        assert changed <= {"description", "role", "introduction", "abbr", "name_en"}
        assert log.changes
    else:
        assert after["count"] == before["count"] - 1
        assert response.content == b""


def test_author_member_may_change_own_record(world: World) -> None:
    org = _organisation(world)
    response = send(
        world.client("author"), "patch", f"/organisations/{org.slug}", {"website": "https://example.org"}
    )
    assert response.status_code == 200, response.content
    org.refresh_from_db()
    assert org.website == "https://example.org"
    assert [r.code for r in org.regions.all()] == ["GM9901"]
    # ...but deleting is for the owning hub's coordinators.
    response = send(world.client("author"), "delete", f"/organisations/{org.slug}")
    is_problem(response, 403)
    assert Organisation.objects.filter(pk=org.pk).exists()


def test_person_may_change_own_profile(world: World) -> None:
    own = world.users["outsider"]
    person = f.PersonFactory(created_by=world.author, account=own)
    response = send(
        world.client("outsider"), "patch", f"/people/{person.slug}", {"expertise": "Klimaatadaptatie"}
    )
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    assert person.expertise == "Klimaatadaptatie"
    assert response.json()["expertise"] == "Klimaatadaptatie"


def test_relation_writes(world: World) -> None:
    org = _organisation(world)
    net = f.NetworkFactory(owner_hub=world.hub, created_by=world.author)
    body = {
        "kind": "member_of",
        "sourceType": "organisation",
        "source": org.slug,
        "targetType": "network",
        "target": net.slug,
    }
    is_problem(send(world.client("outsider"), "post", "/relations", body), 403)
    response = send(world.client("member"), "post", "/relations", body)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["source"] == {"type": "organisation", "identifier": org.slug, "name": org.name}
    assert data["target"]["identifier"] == net.slug
    rid = data["id"]
    # the same relation twice is a conflict, not a server error
    is_problem(send(world.client("member"), "post", "/relations", body), 409)
    response = send(
        world.client("coordinator"), "patch", f"/relations/{rid}", {"sourceNote": "jaarverslag 2024"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["sourceNote"] == "jaarverslag 2024"
    assert response.json()["source"]["identifier"] == org.slug
    is_problem(send(world.client("member"), "delete", f"/relations/{rid}"), 403)
    assert send(world.client("coordinator"), "delete", f"/relations/{rid}").status_code == 204
    is_problem(send(world.client("coordinator"), "get", f"/relations/{rid}"), 404)
    unknown = {**body, "target": "bestaat-niet"}
    problem = is_problem(send(world.client("member"), "post", "/relations", unknown), 422)
    assert [p["name"] for p in problem["invalidParams"]] == ["target"]


def test_theme_writes_admin_only(world: World) -> None:
    body = {"slug": "droogte", "labelNl": "Droogte", "labelEn": "Drought", "parent": "water"}
    for role in ("member", "coordinator"):
        is_problem(send(world.client(role), "post", "/themes", body), 403)
    response = send(world.client("admin"), "post", "/themes", body)
    assert response.status_code == 201, response.content
    assert response.json()["parent"] == "water"
    response = send(world.client("admin"), "patch", "/themes/droogte", {"position": 3})
    assert response.status_code == 200 and response.json()["position"] == 3
    # a theme with sub-themes cannot go: 409, not 500
    is_problem(send(world.client("admin"), "delete", "/themes/water"), 409)
    assert send(world.client("admin"), "delete", "/themes/droogte").status_code == 204


def test_person_may_change_own_profile_kept_by_a_hub(world: World) -> None:
    own = world.users["outsider"]
    person = f.PersonFactory(created_by=world.author, account=own, owner_hub=world.hub)
    response = send(world.client("outsider"), "patch", f"/people/{person.slug}", {"expertise": "Klimaat"})
    assert response.status_code == 200, response.content
