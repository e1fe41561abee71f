"""Consent as data (issue 11 point 2): recorded through the pages, a coordinator's form, the API and
the import; without it a profile is shown to nobody but the person, its author and administrators."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from plek.atlas.models import Hub, Person

pytestmark = pytest.mark.django_db

BASE = {
    "name": "Wilma Waterman",
    "email": "wilma@example.org",
    "expertise": "Dijkversterking en peilbeheer",
    "visibility": "public",
    "contact_visibility": "public",
    "affiliation_visibility": "public",
    "expertise_visibility": "public",
    "regions_visibility": "public",
}


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _seen_by(cast: dict[str, Any], slug: str) -> dict[str, bool]:
    return {
        role: client_for(cast[role]).get(f"/kennishouders/{slug}/").status_code == 200
        for role in ("anonymous", "outsider", "member", "coordinator", "admin")
    }


def _in_api(user: Any, slug: str) -> bool:
    return client_for(user).get(f"/api/v1/people/{slug}").status_code == 200


def _searchable(user: Any, text: str) -> bool:
    from plek.knowledge.indexing import outbox_apply

    outbox_apply()
    body = client_for(user).get("/api/v1/search", {"q": text}).json()
    return any(hit["type"] == "person" and hit["title"] == "Wilma Waterman" for hit in body["items"])


def _anonymous_export_names() -> str:
    out = io.StringIO()
    call_command("export", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_profile_without_consent_shows_to_nobody_but_author_and_admin(
    cast: dict[str, Any], hub: Hub
) -> None:
    response = client_for(cast["member"]).post("/kennishouders/nieuw/", BASE)
    assert response.status_code == 302
    person = Person.objects.get(name="Wilma Waterman")
    assert person.consent_at is None and person.visibility == "private"
    assert person.visibility_requested == "public"
    seen = _seen_by(cast, person.slug)
    assert seen == {
        "anonymous": False,
        "outsider": False,
        "member": True,
        "coordinator": False,
        "admin": True,
    }
    assert not _in_api(None, person.slug) and not _in_api(cast["outsider"], person.slug)
    assert not _searchable(None, "Dijkversterking")
    assert "Wilma Waterman" not in _anonymous_export_names()
    graph = client_for(None).get("/api/v1/graph").content.decode()
    assert "Wilma" not in graph


def test_the_author_records_consent_on_paper_and_the_profile_opens(cast: dict[str, Any], hub: Hub) -> None:
    client_for(cast["member"]).post("/kennishouders/nieuw/", BASE)
    person = Person.objects.get(name="Wilma Waterman")
    data = dict(BASE, consent_basis="paper", consent_at="2026-02-01 10:00", consent_groups=["expertise"])
    response = client_for(cast["member"]).post(f"/kennishouders/{person.slug}/bewerken/", data)
    assert response.status_code == 302, response.content[:3000]
    person.refresh_from_db()
    assert person.consent_basis == "paper" and person.consent_recorded_by == cast["member"]
    assert person.visibility == "public" and person.visibility_requested == ""
    assert person.contact_visibility == "private"  # outside the consented groups
    assert _seen_by(cast, person.slug)["anonymous"]
    assert _in_api(None, person.slug)
    assert "wilma@example.org" not in client_for(None).get(f"/kennishouders/{person.slug}/").content.decode()
    assert _searchable(None, "Dijkversterking")


def test_a_consent_date_without_basis_is_refused_and_nothing_changes(cast: dict[str, Any], hub: Hub) -> None:
    response = client_for(cast["member"]).post(
        "/kennishouders/nieuw/", dict(BASE, consent_at="2026-02-01 10:00")
    )
    assert response.status_code == 422 or (response.status_code == 200 and b"plek-error" in response.content)
    assert not Person.objects.filter(name="Wilma Waterman").exists()


def test_a_person_gives_consent_on_their_own_page(cast: dict[str, Any], hub: Hub) -> None:
    me = cast["outsider"]
    person = Person.objects.create(
        slug="ik", name="Ik Zelf", account=me, visibility="private", visibility_requested="public"
    )
    response = client_for(me).post(
        "/kennishouders/ik/bewerken/", dict(BASE, name="Ik Zelf", contact_visibility="private")
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.consent_basis == "self" and person.consent_recorded_by == me and person.consent_at
    assert person.visibility == "public" and person.contact_visibility == "private"
    assert _seen_by(cast, "ik")["anonymous"]


def test_the_api_records_consent_and_refuses_a_date_without_basis(cast: dict[str, Any], hub: Hub) -> None:
    client = client_for(cast["coordinator"])
    body = {"name": "Api Persoon", "visibility": "public", "consentBasis": "email"}
    response = client.post("/api/v1/people", json.dumps(body), content_type="application/json")
    assert response.status_code == 201, response.content
    person = Person.objects.get(name="Api Persoon")
    assert person.consent_basis == "email" and person.consent_recorded_by == cast["coordinator"]
    assert _in_api(None, person.slug)
    bad = {"name": "Zonder Basis", "consentAt": "2026-01-01T10:00:00Z"}
    refused = client.post("/api/v1/people", json.dumps(bad), content_type="application/json")
    assert refused.status_code == 422
    assert refused["Content-Type"].startswith("application/problem+json")
    assert "consentBasis" in refused.content.decode()
    assert not Person.objects.filter(name="Zonder Basis").exists()
    silent = client.post(
        "/api/v1/people",
        json.dumps({"name": "Geen Toestemming", "visibility": "public"}),
        content_type="application/json",
    )
    assert silent.status_code == 201
    assert not _in_api(None, Person.objects.get(name="Geen Toestemming").slug)
