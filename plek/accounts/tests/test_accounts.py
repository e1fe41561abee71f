from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

PW = "een lang wachtwoord"


def _login(client: Client, login: str, password: str, **extra: Any) -> Any:
    return client.post("/accounts/inloggen/", {"login": login, "password": password}, **extra)


def test_it_signs_in_and_out(django_user_model: Any) -> None:
    django_user_model.objects.create_user(username="ans", password=PW)
    client = Client()
    response = _login(client, "ans", PW)
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    client.post("/accounts/uitloggen/")
    assert "_auth_user_id" not in client.session


def test_it_rate_limits_failed_sign_ins_per_account_with_429(django_user_model: Any) -> None:
    django_user_model.objects.create_user(username="bert", password=PW)
    client = Client()
    for _ in range(5):
        assert _login(client, "bert", "fout").status_code == 200
    # Even the right password is refused while blocked, with 429 and Retry-After.
    response = _login(client, "bert", PW)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_a_flood_on_one_account_does_not_lock_others_from_the_same_address(django_user_model: Any) -> None:
    """Defect 9: behind a proxy every user shares one address; one account's flood locks only it."""
    django_user_model.objects.create_user(username="bert", password=PW)
    django_user_model.objects.create_user(username="carla", password=PW)
    attacker = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(8):
        _login(attacker, "bert", "fout")
    assert _login(attacker, "bert", PW).status_code == 429
    colleague = Client(REMOTE_ADDR="10.0.0.1")
    response = _login(colleague, "carla", PW)
    assert response.status_code == 302
    assert "_auth_user_id" in colleague.session


def test_the_address_has_its_own_higher_threshold(django_user_model: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login_failed": "6/900s/ip,5/900s/key"}
    for i in range(6):
        django_user_model.objects.create_user(username=f"u{i}", password=PW)
    client = Client(REMOTE_ADDR="10.0.0.2")
    for i in range(6):
        _login(client, f"u{i}", "fout")  # one failure per account: no account is at its limit
    # ... but the address is: a spray over many accounts from one address is stopped.
    assert _login(client, "u0", PW).status_code == 429
    assert _login(Client(REMOTE_ADDR="10.0.0.3"), "u1", PW).status_code == 302


def test_admin_login_goes_through_the_rate_limited_sign_in(django_user_model: Any) -> None:
    """Defect 8: /beheer/login/ had no limit; it now sends people to the sign-in page."""
    admin = django_user_model.objects.create_user(
        username="root", password=PW, is_staff=True, is_superuser=True
    )
    response = Client().get("/beheer/login/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/inloggen/")
    # Posting passwords at the admin login form no longer signs anyone in.
    client = Client()
    client.post("/beheer/login/", {"username": "root", "password": PW})
    assert "_auth_user_id" not in client.session
    for _ in range(5):
        _login(client, "root", "fout")
    assert _login(client, "root", PW).status_code == 429
    assert admin.pk and "_auth_user_id" not in client.session


def test_password_reset_sends_a_link_and_is_throttled(django_user_model: Any) -> None:
    django_user_model.objects.create_user(username="cor", email="cor@example.org", password=PW)
    client = Client()
    response = client.post("/accounts/wachtwoord-vergeten/", {"email": "cor@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", mail.outbox[0].body)
    assert link
    statuses = [
        client.post("/accounts/wachtwoord-vergeten/", {"email": "cor@example.org"}).status_code
        for _ in range(9)
    ]
    assert 429 in statuses
    assert len(mail.outbox) <= 3  # 10 requests no longer mean 10 e-mails
    throttled = client.post("/accounts/wachtwoord-vergeten/", {"email": "cor@example.org"})
    assert throttled.status_code == 429 and int(throttled["Retry-After"]) > 0


def test_passwords_are_hashed_with_argon2_in_production() -> None:
    from config import settings

    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_a_user_makes_uses_and_revokes_an_api_token(django_user_model: Any) -> None:
    from plek.accounts.models import ApiToken

    owner = django_user_model.objects.create_user(username="dina", password=PW)
    other = django_user_model.objects.create_user(username="eef", password=PW)
    client = Client()
    client.force_login(owner)
    response = client.post("/accounts/sleutels/", {"name": "mijn script"})
    html = response.content.decode()
    raw = html.split('<code id="new-token">')[1].split("</code>")[0]
    assert raw.startswith("plek_")
    assert ApiToken.objects.get().key_hash != raw  # only a hash is kept
    assert raw not in Client().get("/accounts/sleutels/").content.decode()
    api = Client().get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.status_code == 200
    token = ApiToken.objects.get()
    intruder = Client()
    intruder.force_login(other)
    # Defect 13: revoking someone else's token says it was not found, and nothing changes.
    refused = intruder.post(f"/accounts/sleutels/{token.pk}/intrekken/", follow=True)
    assert refused.status_code == 404
    assert "Sleutel ingetrokken" not in refused.content.decode()
    assert ApiToken.objects.filter(pk=token.pk).exists()
    client.post(f"/accounts/sleutels/{token.pk}/intrekken/")
    assert not ApiToken.objects.exists()
    assert client.post(f"/accounts/sleutels/{token.pk}/intrekken/").status_code == 404  # already gone
    assert Client().get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert client.post("/accounts/sleutels/", {"name": ""}).status_code == 422
