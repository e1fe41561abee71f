from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db


def test_it_signs_in_and_out(django_user_model: Any) -> None:
    django_user_model.objects.create_user(username="ans", password="een lang wachtwoord")
    client = Client()
    response = client.post("/accounts/inloggen/", {"username": "ans", "password": "een lang wachtwoord"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session
    client.post("/accounts/uitloggen/")
    assert "_auth_user_id" not in client.session


def test_it_rate_limits_failed_sign_ins(django_user_model: Any) -> None:
    django_user_model.objects.create_user(username="bert", password="een lang wachtwoord")
    client = Client()
    for _ in range(5):
        assert client.post("/accounts/inloggen/", {"username": "bert", "password": "fout"}).status_code == 200
    # Even the right password is refused while blocked.
    response = client.post("/accounts/inloggen/", {"username": "bert", "password": "een lang wachtwoord"})
    assert response.status_code == 200
    assert "Te veel mislukte pogingen" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_a_link(django_user_model: Any) -> None:
    django_user_model.objects.create_user(
        username="cor", email="cor@example.org", password="een lang wachtwoord"
    )
    response = Client().post("/accounts/wachtwoord-vergeten/", {"email": "cor@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/wachtwoord-herstellen/" in mail.outbox[0].body


def test_passwords_are_hashed_with_argon2_in_production() -> None:
    from config import settings

    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_a_user_makes_uses_and_revokes_an_api_token(django_user_model: Any) -> None:
    from plek.accounts.models import ApiToken

    owner = django_user_model.objects.create_user(username="dina", password="een lang wachtwoord")
    other = django_user_model.objects.create_user(username="eef", password="een lang wachtwoord")
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
    intruder.post(f"/accounts/sleutels/{token.pk}/intrekken/")
    assert ApiToken.objects.filter(pk=token.pk).exists()  # someone else's token is untouched
    client.post(f"/accounts/sleutels/{token.pk}/intrekken/")
    assert not ApiToken.objects.exists()
    assert Client().get("/api/v1/people", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    assert client.post("/accounts/sleutels/", {"name": ""}).status_code == 422
