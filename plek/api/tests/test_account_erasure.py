"""GDPR art. 17 through "Mijn gegevens": the person is gone from pages, API, search and exports;
what stays on the record keeps the fact, not the name; history rows are scrubbed."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from plek.accounts.models import User
from plek.atlas.models import Hub, Person
from plek.core.models import ChangeLog

pytestmark = pytest.mark.django_db

PW = "correct horse battery"


def test_a_person_erases_their_account_and_is_gone_everywhere(cast: dict[str, Any], hub: Hub) -> None:
    from plek.brokering.models import Question
    from plek.knowledge.indexing import outbox_apply

    me = cast["member"]
    client = Client()
    client.force_login(me)
    # A consented public profile made on her own page, and a question she asked.
    client.post(
        "/kennishouders/nieuw/",
        {
            "name": "Zoë Zichtbaar",
            "email": "zoe@example.org",
            "expertise": "Kwelwater en zoutindringing",
            "visibility": "public",
            "contact_visibility": "public",
            "affiliation_visibility": "public",
            "expertise_visibility": "public",
            "regions_visibility": "public",
            "consent_basis": "form",
        },
    )
    person = Person.objects.get(name="Zoë Zichtbaar")
    Person.objects.filter(pk=person.pk).update(account=me)
    question = Question.objects.create(
        slug="zout", title="Zout in de polder", text="Hoe ver komt het zout?", asker=me, asker_role="practice"
    )
    outbox_apply()
    assert Client().get(f"/kennishouders/{person.slug}/").status_code == 200
    assert "zoe-zichtbaar" in Client().get("/api/v1/search", {"q": "zoutindringing"}).content.decode()
    data = client.get("/accounts/mijn-gegevens/download/").json()
    assert data["atlas"]["profile"]["email"] == "zoe@example.org"
    assert data["brokering"]["questions"][0]["title"] == "Zout in de polder"

    assert (
        client.post("/accounts/mijn-gegevens/wissen/", {"password": PW, "confirm": "yes"}).status_code == 302
    )
    outbox_apply()
    assert not User.objects.filter(pk=me.pk).exists()
    assert not Person.objects.filter(pk=person.pk).exists()
    assert Client().get(f"/kennishouders/{person.slug}/").status_code == 404
    assert cast["admin"] and Client().get(f"/api/v1/people/{person.slug}").status_code == 404
    admin = Client()
    admin.force_login(cast["admin"])
    assert admin.get(f"/api/v1/people/{person.slug}").status_code == 404
    assert "zoe-zichtbaar" not in admin.get("/api/v1/search", {"q": "zoutindringing"}).content.decode()
    out = io.StringIO()
    call_command("export", "--include-private", stdout=out, stderr=io.StringIO())
    assert "zoe-zichtbaar" not in out.getvalue() and "zoe@example.org" not in out.getvalue()
    # The question stays for others, without its asker.
    question.refresh_from_db()
    assert question.asker is None
    # History keeps what happened, not who: no row names her or points at her account.
    assert not ChangeLog.objects.filter(actor_id=me.pk).exists()
    for log in ChangeLog.objects.all():
        assert "Zoë" not in log.object_repr and "zoe@example.org" not in str(log.changes)
        assert log.object_repr != "member"
