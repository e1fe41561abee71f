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
    django_user_model.objects.create_user(username="cor", email="cor@example.org", password="een lang wachtwoord")
    response = Client().post("/accounts/wachtwoord-vergeten/", {"email": "cor@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/wachtwoord-herstellen/" in mail.outbox[0].body


def test_passwords_are_hashed_with_argon2_in_production() -> None:
    from config import settings

    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
