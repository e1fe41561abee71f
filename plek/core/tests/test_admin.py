"""Every admin list and add page opens for a platform administrator (and not for anyone else)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse


@pytest.mark.django_db
def test_admin_pages_open_for_administrators(ref: None, django_user_model: Any) -> None:
    boss = django_user_model.objects.create_superuser(
        username="baas", password="x" * 12, email="b@example.org"
    )
    client = Client()
    client.force_login(boss)
    checked = 0
    for model in admin.site._registry:
        meta = model._meta
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url
        checked += 1
    assert checked >= 15
    assert client.get(reverse("admin:brokering_question_add")).status_code == 200


@pytest.mark.django_db
def test_admin_is_closed_to_other_users(django_user_model: Any) -> None:
    member = django_user_model.objects.create_user(username="lid", password="x" * 12)
    client = Client()
    client.force_login(member)
    response = client.get(reverse("admin:atlas_region_changelist"))
    assert response.status_code == 302 and "login" in response["Location"]
