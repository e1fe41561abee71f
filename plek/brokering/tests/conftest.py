"""Brokering's cast: the shared one (anonymous, outsider, member, coordinator, admin) plus the asker
of the question and the broker assigned to it (a member of the hub)."""

from __future__ import annotations

from typing import Any

import pytest

from plek.atlas.models import Hub, HubMembership


@pytest.fixture
def people(cast: dict[str, Any], hub: Hub, django_user_model: Any) -> dict[str, Any]:
    users = dict(cast)
    users["asker"] = django_user_model.objects.create_user(username="asker", password="correct horse battery")
    users["broker"] = django_user_model.objects.create_user(
        username="broker", password="correct horse battery"
    )
    HubMembership.objects.create(hub=hub, user=users["broker"], role=HubMembership.Role.MEMBER)
    return users
