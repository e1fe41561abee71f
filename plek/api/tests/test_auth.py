"""Authentication: API token writes (no CSRF), a bad token is 401, session writes need CSRF."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from plek.accounts.services import api_token_create
from plek.api.tests.conftest import World, is_problem, send
from plek.atlas.models import Organisation
from plek.core.models import ChangeLog

BODY = {"name": "Via token", "kind": "company"}


def test_bearer_token_write_works_without_csrf(world: World) -> None:
    user = world.users["member"]
    _, raw = api_token_create(user=user, name="script")
    client = Client(enforce_csrf_checks=True)
    response = send(client, "post", "/organisations", BODY, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 201, response.content
    org = Organisation.objects.get(slug=response.json()["slug"])
    assert org.created_by == user and org.owner_hub == world.hub
    log = ChangeLog.objects.order_by("-pk").first()
    assert log is not None and log.actor == user and log.source == "api" and log.action == "create"


def test_bearer_token_reads_as_its_user(world: World) -> None:
    _, raw = api_token_create(user=world.users["admin"], name="read")
    hidden = Organisation.objects.create(slug="geheim", name="Geheim", kind="company", visibility="private")
    anon = send(Client(), "get", f"/organisations/{hidden.slug}")
    assert anon.status_code == 404
    response = send(Client(), "get", f"/organisations/{hidden.slug}", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("header", ["Bearer plek_not-a-real-token", "Bearer ", "bearer wrong"])
def test_bad_token_is_401(world: World, method: str, header: str) -> None:
    body = BODY if method == "post" else None
    response = send(Client(), method, "/organisations", body, HTTP_AUTHORIZATION=header)
    is_problem(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Organisation.objects.filter(name="Via token").exists()


def test_token_of_inactive_user_is_401(world: World) -> None:
    user = world.users["member"]
    _, raw = api_token_create(user=user, name="old")
    user.is_active = False
    user.save()
    is_problem(send(Client(), "post", "/organisations", BODY, HTTP_AUTHORIZATION=f"Bearer {raw}"), 401)


def test_session_write_requires_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["member"])
    problem = is_problem(send(client, "post", "/organisations", BODY), 403)
    assert "CSRF" in problem["detail"]
    assert not Organisation.objects.filter(name="Via token").exists()

    secret = get_random_string(32)
    client.cookies["csrftoken"] = secret
    response = send(client, "post", "/organisations", BODY, HTTP_X_CSRFTOKEN=secret)
    assert response.status_code == 201, response.content


def test_session_read_needs_no_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.users["member"])
    assert send(client, "get", "/organisations").status_code == 200


def test_anonymous_write_is_401_not_csrf_403(world: World) -> None:
    response = send(Client(enforce_csrf_checks=True), "post", "/organisations", BODY)
    is_problem(response, 401)
