"""Invitations (issue 11 point 1): who may invite whom, the e-mailed link that works once and
expires, and the role it gives — through the page and the API; a refused request changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from plek.accounts.models import BodyMembership, User
from plek.atlas.models import Hub, HubMembership, Invitation, Person

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "outsider", "member", "coordinator", "admin")
PW = "Een-goed-wachtwoord-77"


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _commit_hooks(django_capture_on_commit_callbacks: Any) -> Any:
    """E-mails go out after commit; run those hooks as the real commit would."""
    global _capture
    _capture = django_capture_on_commit_callbacks
    yield


_capture: Any = None


def _invite(client: Client, **data: str) -> Any:
    with _capture(execute=True):
        return client.post("/uitnodigingen/", data)


def _link(outbox_index: int = -1) -> str:
    found = re.search(r"http://[^\s]+/uitnodiging/([^\s/]+)/", mail.outbox[outbox_index].body)
    assert found, mail.outbox[outbox_index].body
    return f"/uitnodiging/{found.group(1)}/"


def _state() -> tuple[Any, ...]:
    return (
        list(Invitation.objects.values_list("email", "role", "accepted_at")),
        list(HubMembership.objects.values_list("user_id", "role")),
        list(BodyMembership.objects.values_list("user_id", "body", "role")),
        User.objects.count(),
        len(mail.outbox),
    )


# Who may send which invitation: page, for each role in the matrix.
CASES = {
    "hub_member": {"coordinator", "admin"},
    "hub_expert": {"coordinator", "admin"},
    "hub_coordinator": {"admin"},
    "body_member": {"admin"},  # plus the body's secretary, tested below
    "body_secretary": {"admin"},
}


@pytest.mark.parametrize("invite_role", list(CASES))
@pytest.mark.parametrize("role", ROLES)
def test_invitation_matrix(role: str, invite_role: str, cast: dict[str, Any], hub: Hub) -> None:
    data = {"email": "nieuw@example.org", "role": invite_role}
    data.update({"body": "steering"} if invite_role.startswith("body") else {"hub": hub.slug})
    before = _state()
    response = _invite(client_for(cast[role]), **data)
    if role in CASES[invite_role]:
        assert response.status_code == 302, response.content[:2000]
        assert Invitation.objects.get().role == invite_role
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nieuw@example.org"]
        raw = _link().split("/")[-2]
        assert not Invitation.objects.filter(token_hash=raw).exists()  # only a hash is stored
    else:
        assert response.status_code in (302, 403)
        if response.status_code == 302:
            assert response["Location"].startswith("/accounts/inloggen/")
        assert _state() == before, "a refused invitation changes nothing"


def test_a_coordinator_cannot_invite_to_another_hub(cast: dict[str, Any], hub: Hub, other_hub: Hub) -> None:
    before = _state()
    response = _invite(
        client_for(cast["coordinator"]), email="x@example.org", role="hub_member", hub=other_hub.slug
    )
    assert response.status_code == 403
    assert _state() == before


def test_a_secretary_invites_members_of_their_own_body_only(cast: dict[str, Any]) -> None:
    secretary = cast["outsider"]
    BodyMembership.objects.create(user=secretary, body="steering", role=BodyMembership.Role.SECRETARY)
    client = client_for(secretary)
    assert _invite(client, email="lid@example.org", role="body_member", body="steering").status_code == 302
    before = _state()
    assert _invite(client, email="lid2@example.org", role="body_member", body="initiative").status_code == 403
    assert (
        _invite(client, email="lid3@example.org", role="body_secretary", body="steering").status_code == 403
    )
    assert _state() == before


def test_bad_input_names_the_field_and_sends_nothing(cast: dict[str, Any], hub: Hub) -> None:
    response = _invite(client_for(cast["admin"]), email="geen-adres", role="hub_member", hub="")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="inv-email-error"' in html and 'id="inv-hub-error"' in html
    assert not Invitation.objects.exists() and mail.outbox == []


def test_an_invited_expert_sets_a_password_and_gets_the_role(cast: dict[str, Any], hub: Hub) -> None:
    _invite(client_for(cast["coordinator"]), email="expert@example.org", role="hub_expert", hub=hub.slug)
    link = _link()
    visitor = Client()
    page = visitor.get(link)
    assert page.status_code == 200 and "expert@example.org" in page.content.decode()
    weak = visitor.post(
        link, {"display_name": "Eva Expert", "username": "eva", "password1": "kort", "password2": "kort"}
    )
    assert weak.status_code == 422 and not User.objects.filter(username="eva").exists()
    done = visitor.post(
        link, {"display_name": "Eva Expert", "username": "eva", "password1": PW, "password2": PW}
    )
    assert done.status_code == 302
    eva = User.objects.get(username="eva")
    assert eva.email == "expert@example.org" and eva.check_password(PW)
    assert HubMembership.objects.get(user=eva, hub=hub).role == "member"
    profile = Person.objects.get(account=eva)
    assert (
        profile.visibility == "private" and profile.consent_at is None
    )  # her consent comes from her own page
    assert "_auth_user_id" in visitor.session
    # The link works once.
    again = Client().post(link, {"display_name": "X", "username": "x", "password1": PW, "password2": PW})
    assert again.status_code == 410 and "al aangenomen" in again.content.decode()
    assert not User.objects.filter(username="x").exists()
    # And she signs in with her own password (the address counts as verified: the link proved it).
    fresh = Client()
    assert fresh.post("/accounts/inloggen/", {"login": "eva", "password": PW}).status_code == 302
    assert "_auth_user_id" in fresh.session


def test_expired_and_unknown_links_are_refused(cast: dict[str, Any], hub: Hub) -> None:
    _invite(client_for(cast["admin"]), email="laat@example.org", role="hub_coordinator", hub=hub.slug)
    link = _link()
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    response = Client().post(
        link, {"display_name": "L", "username": "laat", "password1": PW, "password2": PW}
    )
    assert response.status_code == 410 and "verlopen" in response.content.decode()
    assert not User.objects.filter(username="laat").exists()
    assert Client().get("/uitnodiging/verzonnen-token/").status_code == 410


def test_a_signed_in_person_accepts_with_their_account(cast: dict[str, Any], hub: Hub) -> None:
    _invite(client_for(cast["admin"]), email="outsider@example.org", role="hub_coordinator", hub=hub.slug)
    response = client_for(cast["outsider"]).post(_link())
    assert response.status_code == 302
    assert HubMembership.objects.get(user=cast["outsider"], hub=hub).role == "coordinator"


def test_the_api_sends_and_lists_invitations(cast: dict[str, Any], hub: Hub) -> None:
    client = client_for(cast["coordinator"])
    body = {"email": "api@example.org", "role": "hub_member", "hub": hub.slug}
    with _capture(execute=True):
        response = client.post("/api/v1/invitations", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    assert "/uitnodiging/" in mail.outbox[-1].body
    out = response.json()
    assert out["status"] == "open" and out["hub"] == hub.slug
    assert response["Location"].endswith(f"/api/v1/invitations/{out['id']}")
    assert "token" not in json.dumps(out).lower()
    assert client.get(f"/api/v1/invitations/{out['id']}").json()["email"] == "api@example.org"
    listed = client.get("/api/v1/invitations").json()
    assert [i["email"] for i in listed["items"]] == ["api@example.org"]
    before = _state()
    for role in ("anonymous", "outsider", "member"):
        refused = client_for(cast[role]).post(
            "/api/v1/invitations", json.dumps(body), content_type="application/json"
        )
        assert refused.status_code in (401, 403), (role, refused.status_code)
        assert refused["Content-Type"].startswith("application/problem+json")
        assert client_for(cast[role]).get(f"/api/v1/invitations/{out['id']}").status_code in (401, 403, 404)
    escalate = client.post(
        "/api/v1/invitations", json.dumps(dict(body, role="hub_coordinator")), content_type="application/json"
    )
    assert escalate.status_code == 403
    bad = client.post(
        "/api/v1/invitations", json.dumps(dict(body, email="nee")), content_type="application/json"
    )
    assert bad.status_code == 422 and "email" in json.dumps(bad.json()["invalidParams"])
    assert _state() == before
