"""Two-factor authentication (TOTP + recovery codes) through django-allauth, required for staff
when PLEK_REQUIRE_MFA_FOR_STAFF is on; codes computed here with the RFC 6238 algorithm."""

from __future__ import annotations

import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

pytestmark = pytest.mark.django_db

PW = "correct horse battery"


def totp_now(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _sign_in(client: Client, username: str) -> Any:
    return client.post("/accounts/inloggen/", {"login": username, "password": PW})


def _activate_totp(client: Client) -> str:
    # Setting up a factor asks for the password once more (allauth's reauthentication).
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    reauth = client.post("/accounts/reauthenticate/", {"password": PW})
    assert reauth.status_code == 302, reauth["Location"]
    assert not reauth["Location"].startswith("/accounts/reauthenticate/"), reauth["Location"]
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.get("Location")
    secret = client.session["mfa.totp.secret"]
    wrong = client.post(
        "/accounts/2fa/totp/activate/", {"code": "000000" if totp_now(secret) != "000000" else "111111"}
    )
    assert wrong.status_code == 200 and not Authenticator.objects.filter(type="totp").exists()
    done = client.post("/accounts/2fa/totp/activate/", {"code": totp_now(secret)})
    assert done.status_code == 302, done.content[:2000]
    return secret


def test_staff_must_set_up_a_second_factor_when_required(
    settings: Any, cast: dict[str, Any], hub: Any
) -> None:
    settings.PLEK_REQUIRE_MFA_FOR_STAFF = True
    coordinator = Client()
    assert _sign_in(coordinator, "coordinator").status_code == 302
    response = coordinator.get("/kennishubs/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/totp/activate/")
    # A plain member is not asked.
    member = Client()
    _sign_in(member, "member")
    assert member.get("/kennishubs/").status_code == 200
    _activate_totp(coordinator)
    assert Authenticator.objects.filter(user=cast["coordinator"], type="totp").exists()
    assert coordinator.get("/kennishubs/").status_code == 200


def test_off_by_setting_in_tests_and_development(cast: dict[str, Any], hub: Any) -> None:
    client = Client()
    _sign_in(client, "admin")
    assert client.get("/kennishubs/").status_code == 200


def test_sign_in_asks_the_code_refuses_a_wrong_one_and_a_replayed_recovery_code(
    cast: dict[str, Any], hub: Any
) -> None:
    first = Client()
    _sign_in(first, "coordinator")
    secret = _activate_totp(first)
    user = cast["coordinator"]
    codes = RecoveryCodes.activate(user).generate_codes()
    assert codes
    client = Client()
    response = _sign_in(client, "coordinator")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in client.session
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "12345"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    assert "_auth_user_id" in client.session
    # The same recovery code a second time is refused.
    replay = Client()
    _sign_in(replay, "coordinator")
    replay.post("/accounts/2fa/authenticate/", {"code": codes[0]})
    assert "_auth_user_id" not in replay.session
    # ... while the authenticator code works.
    assert replay.post("/accounts/2fa/authenticate/", {"code": totp_now(secret)}).status_code == 302
    assert "_auth_user_id" in replay.session
    assert user.hub_memberships.get().role == "coordinator"
