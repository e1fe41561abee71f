"""The name the header greets a signed-in person by (`accounts.User.shown_name`): it falls back to
their knowledge-holder profile, which lives in atlas (hence this test lives here)."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.mark.django_db
def test_shown_name_falls_back_to_the_profile_name_then_the_login_name(django_user_model: Any) -> None:
    from plek.atlas.models import Person

    named = django_user_model.objects.create_user(username="jdv", password=None, display_name="Jan de Vries")
    profiled = django_user_model.objects.create_user(username="kb", password=None)
    Person.objects.create(slug="karin-bakker", name="Karin Bakker", account=profiled)
    bare = django_user_model.objects.create_user(username="anoniem42", password=None)
    assert named.shown_name == "Jan de Vries"
    assert profiled.shown_name == "Karin Bakker"
    assert bare.shown_name == "anoniem42"
