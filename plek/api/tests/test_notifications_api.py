"""API v1 notifications: each caller reads and marks only their own; bad input is a problem naming the
field and changes nothing; a fixed number of queries per page."""

from __future__ import annotations

from typing import Any

import pytest

from plek.api.tests.conftest import ROLES, World, is_problem, send
from plek.notifications.models import Notification, NotificationPreference
from plek.notifications.services import notification_send


def _notify(world: World) -> dict[str, Notification]:
    return {
        role: notification_send(recipients=[user], kind="decision", title=f"Voor {role}", url="/")[0]
        for role, user in world.users.items()
        if user is not None
    }


@pytest.mark.parametrize("role", ROLES)
def test_each_caller_sees_and_marks_only_their_own(world: World, role: str) -> None:
    rows = _notify(world)
    client = world.client(role)
    response = send(client, "get", "/notifications")
    if role == "anonymous":
        is_problem(response, 401)
        is_problem(send(client, "post", "/notifications/read", {"ids": None}), 401)
        is_problem(send(client, "get", "/notification-preferences"), 401)
        is_problem(send(client, "put", "/notification-preferences", {"channels": {"decision": "off"}}), 401)
        assert not Notification.objects.filter(read_at__isnull=False).exists()
        return
    body = response.json()
    assert [i["title"] for i in body["items"]] == [f"Voor {role}"] and body["unread"] == 1
    others = [n.pk for r, n in rows.items() if r != role]
    assert send(client, "post", "/notifications/read", {"ids": others}).json() == {"marked": 0}
    assert not Notification.objects.filter(read_at__isnull=False).exists()
    assert send(client, "post", "/notifications/read", {"ids": None}).json() == {"marked": 1}
    assert list(Notification.objects.filter(read_at__isnull=False)) == [rows[role]]
    assert send(client, "get", "/notifications?unread=true").json()["total"] == 0


def test_preferences_and_bad_input(world: World) -> None:
    client = world.client("member")
    prefs = {p["kind"]: p["channel"] for p in send(client, "get", "/notification-preferences").json()}
    assert prefs["decision"] == "digest" and prefs["question_answered"] == "immediate"
    ok = send(client, "put", "/notification-preferences", {"channels": {"decision": "off"}})
    assert ok.status_code == 200
    assert {p["kind"]: p["channel"] for p in ok.json()}["decision"] == "off"
    before = list(NotificationPreference.objects.values_list("kind", "channel"))
    bad = is_problem(
        send(
            client, "put", "/notification-preferences", {"channels": {"decision": "loud", "nonsense": "off"}}
        ),
        422,
    )
    assert {p["name"] for p in bad["invalidParams"]} == {"channels"}
    reasons = sorted(p["reason"].split(":")[0] for p in bad["invalidParams"])
    assert reasons == ["decision", "nonsense"]
    assert list(NotificationPreference.objects.values_list("kind", "channel")) == before
    # Wrong shapes: 400, naming the parameter.
    for method, path, body, name in [
        ("put", "/notification-preferences", {"channels": "off"}, "channels"),
        ("post", "/notifications/read", {"ids": ["x"]}, "ids"),
        ("post", "/notifications/read", {"ids": None, "extra": 1}, "extra"),
        ("get", "/notifications?pageSize=1000", None, "pageSize"),
    ]:
        problem = is_problem(send(client, method, path, body), 400)
        assert any(name in p["name"] for p in problem["invalidParams"]), problem
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_list_queries_are_bounded(world: World, django_assert_max_num_queries: Any) -> None:
    client = world.client("member")
    user = world.users["member"]
    notification_send(recipients=[user], kind="decision", title="1")
    with django_assert_max_num_queries(8) as few:
        send(client, "get", "/notifications?pageSize=100")
    for n in range(80):
        notification_send(recipients=[user], kind="decision", title=str(n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(send(client, "get", "/notifications?pageSize=100").json()["items"]) == 81
