"""The governance cast: the shared `cast` plus an Initiative group member, a Steering group member,
the Steering group's chair and its secretary."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from plek.accounts.models import BodyMembership
from plek.atlas.permissions import viewer_for
from plek.governance.models import Meeting

B = BodyMembership.Body
R = BodyMembership.Role


@pytest.fixture
def gov(cast: dict[str, Any], django_user_model: Any) -> dict[str, Any]:
    users = dict(cast)
    for name, body, role in (
        ("initiative", B.INITIATIVE, R.MEMBER),
        ("steering", B.STEERING, R.MEMBER),
        ("chair", B.STEERING, R.CHAIR),
        ("secretary", B.STEERING, R.SECRETARY),
    ):
        user = django_user_model.objects.create_user(
            username=name, email=f"{name}@example.org", password="correct horse battery"
        )
        BodyMembership.objects.create(user=user, body=body, role=role)
        users[name] = user
    return users


def v(user: Any) -> Any:
    return viewer_for(user)


@pytest.fixture
def meeting(db: Any) -> Meeting:
    start = timezone.now() + dt.timedelta(days=14)
    return Meeting.objects.create(
        title="Stuurgroep december",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        location="Utrecht",
    )
