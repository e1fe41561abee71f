"""Two-factor authentication (TOTP, recovery codes, security keys) through django-allauth, required for staff
when PLEK_REQUIRE_MFA_FOR_STAFF is on; codes computed here with the RFC 6238 algorithm."""

from __future__ import annotations

import time
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from plek.accounts.tests.soft_key import SoftKey, page_js_data

pytestmark = pytest.mark.django_db

PW = "correct horse battery"


def totp_now(secret: str) -> str:
    """The code of this 30-second step, taken early enough in the step that the server checks it in
    the same one (allauth allows no step either side; on a busy machine a code taken in a step's last
    seconds was checked in the next and refused)."""
    left = 30 - time.time() % 30
    if left < 8:
        time.sleep(left + 0.05)
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
    # Sent to the choice page: an authenticator app or a security key.
    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/"
    choice = coordinator.get("/accounts/2fa/").content.decode()
    assert 'href="/accounts/2fa/totp/activate/"' in choice and 'href="/accounts/2fa/webauthn/add/"' in choice
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


# ---- security keys (WebAuthn) ---------------------------------------------------------------------
# The whole ceremony with a (virtual) key runs in Chromium: plek/api/tests/test_browser_accounts.py.


def _reauthenticated(client: Client, username: str) -> None:
    _sign_in(client, username)
    assert client.post("/accounts/reauthenticate/", {"password": PW}).status_code == 302


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_staff_member_required_to_use_mfa_may_choose_a_security_key(
    settings: Any, cast: dict[str, Any], hub: Any, lang: str
) -> None:
    settings.PLEK_REQUIRE_MFA_FOR_STAFF = True
    client = Client()
    client.get(f"/?lang={lang}")
    _sign_in(client, "coordinator")
    assert client.get("/kennishubs/")["Location"] == "/accounts/2fa/"
    index = client.get("/accounts/2fa/").content.decode()
    assert ("Beveiligingssleutels" if lang == "nl" else "Security Keys") in index
    asked = client.get("/accounts/2fa/webauthn/add/")
    assert asked.status_code == 302 and asked["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PW})
    page = client.get("/accounts/2fa/webauthn/add/")
    assert page.status_code == 200
    html = page.content.decode()
    heading = "Beveiligingssleutel toevoegen" if lang == "nl" else "Add a security key"
    assert f"<h1>{heading}</h1>" in html
    assert ("Naam van de sleutel" if lang == "nl" else "Name of the key") in html
    # The creation options name this site as relying party and the person by their name.
    assert '"rp": {"id": "testserver"' in html.replace("\\u0022", '"') or '"id": "testserver"' in html
    assert 'id="webauthn-error"' in html and 'src="/static/accounts/webauthn-errors.js"' in html
    # No answer from the key (the browser posted nothing usable): a clear error, no authenticator.
    bad = client.post("/accounts/2fa/webauthn/add/", {"name": "Sleutelhanger", "credential": ""})
    assert bad.status_code == 200
    assert (
        "Er kwam geen antwoord van de beveiligingssleutel"
        if lang == "nl"
        else "no answer from the security key"
    ) in bad.content.decode()
    forged = client.post(
        "/accounts/2fa/webauthn/add/",
        {"name": "Sleutelhanger", "credential": '{"id": "x", "type": "public-key"}'},
    )
    assert forged.status_code == 200 and 'id="form-errors"' in forged.content.decode()
    assert not Authenticator.objects.filter(user=cast["coordinator"]).exists()
    # Still held at the door: no factor yet.
    assert client.get("/kennishubs/")["Location"] == "/accounts/2fa/"


def test_the_list_of_keys_shows_names_and_use(settings: Any, cast: dict[str, Any], hub: Any) -> None:
    client = Client(HTTP_HOST="localhost")
    _reauthenticated(client, "coordinator")
    _register_soft_key(client, "Laptop van kantoor")
    listing = client.get("/accounts/2fa/webauthn/").content.decode()
    assert "Laptop van kantoor" in listing and "Nog niet gebruikt." in listing
    assert 'href="/accounts/2fa/webauthn/add/"' in listing


def test_the_sign_in_page_offers_only_the_factors_a_person_has(cast: dict[str, Any], hub: Any) -> None:
    first = Client()
    _sign_in(first, "coordinator")
    _activate_totp(first)
    totp_only = Client()
    _sign_in(totp_only, "coordinator")
    html = totp_only.get("/accounts/2fa/authenticate/").content.decode()
    assert 'name="code"' in html and "mfa_webauthn_authenticate" not in html


def _register_soft_key(client: Client, name: str = "Sleutelhanger") -> SoftKey:
    key = SoftKey()
    page = client.get("/accounts/2fa/webauthn/add/")
    assert page.status_code == 200, page.get("Location")
    answer = key.register(page_js_data(page.content.decode())["creation_options"])
    done = client.post("/accounts/2fa/webauthn/add/", {"name": name, "credential": answer})
    assert done.status_code == 302, done.content.decode()[:3000]
    return key


def test_a_coordinator_registers_a_security_key_and_signs_in_with_it(
    settings: Any, cast: dict[str, Any], hub: Any
) -> None:
    settings.PLEK_REQUIRE_MFA_FOR_STAFF = True
    client = Client(HTTP_HOST="localhost")
    _reauthenticated(client, "coordinator")
    key = _register_soft_key(client)
    stored = Authenticator.objects.get(user=cast["coordinator"], type=Authenticator.Type.WEBAUTHN)
    assert str(stored) == "Sleutelhanger"
    # The first factor brings recovery codes with it, and the door opens.
    assert Authenticator.objects.filter(user=cast["coordinator"], type="recovery_codes").exists()
    assert client.get("/kennishubs/").status_code == 200
    # Signing in again: password, then the key (or a recovery code; no authenticator app is offered).
    again = Client(HTTP_HOST="localhost")
    assert _sign_in(again, "coordinator")["Location"].startswith("/accounts/2fa/authenticate/")
    page = again.get("/accounts/2fa/authenticate/").content.decode()
    assert "mfa_webauthn_authenticate" in page and "Met een herstelcode" in page
    assert "authenticator-app" not in page
    first_answer = key.sign(page_js_data(page)["request_options"])
    assert again.post("/accounts/2fa/authenticate/", {"credential": first_answer}).status_code == 302
    assert "_auth_user_id" in again.session
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    # The same answer replayed in another sign-in (old challenge) is refused.
    replay = Client(HTTP_HOST="localhost", raise_request_exception=False)
    _sign_in(replay, "coordinator")
    replay.get("/accounts/2fa/authenticate/")
    response = replay.post("/accounts/2fa/authenticate/", {"credential": first_answer})
    assert response.status_code == 200 and "_auth_user_id" not in replay.session
    # Another key (not registered) is refused too.
    stranger = SoftKey()
    other = Client(HTTP_HOST="localhost")
    _sign_in(other, "coordinator")
    page = other.get("/accounts/2fa/authenticate/").content.decode()
    response = other.post(
        "/accounts/2fa/authenticate/", {"credential": stranger.sign(page_js_data(page)["request_options"])}
    )
    assert response.status_code == 200 and "_auth_user_id" not in other.session


@pytest.mark.parametrize(
    "credential",
    ["", "nonsense", '{"id": "x", "type": "public-key"}', '{"id": "x", "rawId": "x", "response": {}}'],
)
def test_a_forged_security_key_answer_at_sign_in_is_refused_not_a_500(
    cast: dict[str, Any], hub: Any, credential: str
) -> None:
    setup = Client(HTTP_HOST="localhost")
    _reauthenticated(setup, "coordinator")
    _register_soft_key(setup)
    client = Client(HTTP_HOST="localhost", raise_request_exception=False)
    assert _sign_in(client, "coordinator")["Location"].startswith("/accounts/2fa/authenticate/")
    response = client.post("/accounts/2fa/authenticate/", {"credential": credential})
    assert response.status_code in (200, 400), response.status_code
    assert "_auth_user_id" not in client.session
