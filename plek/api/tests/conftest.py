from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from plek.accounts.models import User
from plek.api.tests import factories as f
from plek.atlas.models import Hub, HubMembership, Region, Theme

API = "/api/v1"
ROLES = ("anonymous", "outsider", "member", "coordinator", "admin")


@dataclass
class World:
    hub: Hub
    province: Region
    municipality: Region
    theme: Theme
    author: User
    users: dict[str, User | None]

    def client(self, role: str) -> Client:
        client = Client()
        user = self.users.get(role)
        if user is not None:
            client.force_login(user)
        return client


@pytest.fixture
def world(db: Any) -> World:
    province = f.RegionFactory(
        code="PV99", name="Proefprovincie", kind=Region.Kind.PROVINCE, scale="regional"
    )
    municipality = f.RegionFactory(code="GM9901", name="Proefgemeente")
    f.contain(province, municipality)
    hub = f.HubFactory(slug="proefhub", name="Proefhub", regions=[province])
    theme = f.ThemeFactory(slug="water", label_nl="Water", label_en="Water")
    author = f.member(hub)
    users: dict[str, User | None] = {
        "anonymous": None,
        "outsider": f.UserFactory(username="outsider"),
        "member": f.member(hub, f.UserFactory(username="member")),
        "coordinator": f.member(hub, f.UserFactory(username="coordinator"), HubMembership.Role.COORDINATOR),
        "admin": f.UserFactory(username="admin", is_superuser=True, is_staff=True),
        "author": author,
    }
    return World(
        hub=hub, province=province, municipality=municipality, theme=theme, author=author, users=users
    )


def send(client: Client, method: str, path: str, body: Any = None, **extra: Any) -> Any:
    if method in ("get", "delete") and body is None:
        return getattr(client, method)(f"{API}{path}", **extra)
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return getattr(client, method)(f"{API}{path}", data=data, content_type="application/json", **extra)


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= set(body)
    return body
