from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

pytestmark = pytest.mark.django_db

PW = "Zonnebloem-akker-42"


def _signup(client: Client, **over: str) -> Any:
    data = {
        "display_name": "Fatima de Vries",
        "email": "fatima@example.org",
        "username": "fatima",
        "password1": PW,
        "password2": PW,
        "agree": "on",
    }
    data.update(over)
    return client.post("/accounts/account-maken/", data)


def test_a_resident_signs_up_verifies_and_signs_in(django_user_model: Any) -> None:
    client = Client()
    response = _signup(client)
    assert response.status_code == 302
    user = django_user_model.objects.get(username="fatima")
    assert user.display_name == "Fatima de Vries"
    # Not signed in before the address is verified.
    assert "_auth_user_id" not in client.session
    other = Client()
    blocked = other.post("/accounts/inloggen/", {"login": "fatima", "password": PW})
    assert "_auth_user_id" not in other.session
    assert blocked.status_code == 302 and "confirm-email" in blocked["Location"]
    key = re.search(r"/accounts/confirm-email/([-:\w]+)/", mail.outbox[0].body)
    assert key, mail.outbox[0].body
    confirm = other.post(f"/accounts/confirm-email/{key.group(1)}/")
    assert confirm.status_code == 302
    fresh = Client()
    assert (
        fresh.post("/accounts/inloggen/", {"login": "fatima@example.org", "password": PW}).status_code == 302
    )
    assert "_auth_user_id" in fresh.session


def test_sign_up_refuses_bad_input_and_saves_nothing(django_user_model: Any) -> None:
    client = Client()
    response = _signup(client, password2="iets anders", agree="")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'aria-invalid="true"' in html or "plek-error" in html
    assert not django_user_model.objects.filter(username="fatima").exists()
    assert mail.outbox == []


def test_a_sign_up_flood_gets_429(django_user_model: Any, settings: Any) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "signup": "3/h/ip"}
    client = Client(REMOTE_ADDR="10.9.9.9")
    codes = [
        _signup(client, username=f"flood{i}", email=f"flood{i}@example.org").status_code for i in range(5)
    ]
    assert codes[:3] == [302, 302, 302]
    assert codes[3:] == [429, 429]
    assert django_user_model.objects.filter(username__startswith="flood").count() == 3
    last = _signup(client, username="flood9", email="flood9@example.org")
    assert int(last["Retry-After"]) > 0


def test_the_home_and_questions_pages_offer_an_account(client: Client) -> None:
    home = client.get("/").content.decode()
    assert "/accounts/account-maken/" in home


def test_my_data_shows_and_downloads_everything(django_user_model: Any) -> None:
    from plek.accounts.models import ApiToken, BodyMembership
    from plek.accounts.services import api_token_create

    user = django_user_model.objects.create_user(username="gijs", email="gijs@example.org", password=PW)
    api_token_create(user=user, name="script")
    BodyMembership.objects.create(
        user=user, body=BodyMembership.Body.STEERING, role=BodyMembership.Role.MEMBER
    )
    client = Client()
    assert client.get("/accounts/mijn-gegevens/").status_code == 302  # anonymous: sign in first
    client.force_login(user)
    page = client.get("/accounts/mijn-gegevens/")
    assert page.status_code == 200
    assert "gijs@example.org" in page.content.decode()
    download = client.get("/accounts/mijn-gegevens/download/")
    assert download["Content-Type"].startswith("application/json")
    assert "attachment" in download["Content-Disposition"]
    data = json.loads(download.content)
    assert data["account"]["username"] == "gijs"
    assert data["account"]["api_tokens"][0]["name"] == "script"
    assert ApiToken.objects.get().key_hash not in download.content.decode()
    assert data["account"]["body_roles"] == [{"body": "steering", "role": "member", "since": None}]
    assert {"atlas", "brokering", "governance", "learning"} <= set(data)


def test_erasure_needs_password_and_confirmation_then_removes_the_account(django_user_model: Any) -> None:
    user = django_user_model.objects.create_user(username="hans", email="hans@example.org", password=PW)
    client = Client()
    client.force_login(user)
    assert client.post("/accounts/mijn-gegevens/wissen/", {"password": PW}).status_code == 422
    assert (
        client.post("/accounts/mijn-gegevens/wissen/", {"password": "fout", "confirm": "yes"}).status_code
        == 422
    )
    assert django_user_model.objects.filter(pk=user.pk).exists()
    response = client.post("/accounts/mijn-gegevens/wissen/", {"password": PW, "confirm": "yes"})
    assert response.status_code == 302
    assert not django_user_model.objects.filter(pk=user.pk).exists()
    assert "_auth_user_id" not in client.session
