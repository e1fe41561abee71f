"""Names, not keys (issue 11 point 7): timeline rows stored before names were kept (login names and
slugs in `QuestionEvent.details`) are rewritten by a data migration; the question page, the API and
the header show display names; history pages show field labels, not field keys."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.test import Client

from plek.atlas.models import Hub, Network, Person, Programme
from plek.brokering.models import QuestionEvent
from plek.brokering.tests.factories import QuestionFactory

pytestmark = pytest.mark.django_db

timeline_backfill = importlib.import_module("plek.brokering.migrations.0005_timeline_names_not_keys").backfill
profile_names = importlib.import_module("plek.atlas.migrations.0006_display_names_from_profiles").backfill


def test_old_timeline_rows_show_names_after_the_migration(
    cast: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any, django_assert_max_num_queries: Any
) -> None:
    django_user_model.objects.create_user(username="gvdb", display_name="Gert van den Berg")
    programme = Programme.objects.get(slug="np-res")  # reference data
    Network.objects.create(slug="netwerk-bodem", name="Bodemnetwerk", visibility="public")
    question = QuestionFactory(owner_hub=hub, title="Hoe verduurzamen we de kassen?")
    merged = QuestionFactory(owner_hub=hub, slug="oude-vraag", title="Kassen verduurzamen (oud)")
    old = {
        "broker": "gvdb",
        "from_hub": hub.slug,
        "hub": other_hub.slug,
        "programme": "np-res",
        "network": "netwerk-bodem",
        "merged_into": "oude-vraag",
    }
    QuestionEvent.objects.create(question=question, from_state="submitted", to_state="triaged", details=old)
    kept = {"programme": "Een programma dat niet meer bestaat", "broker": "iemand-weg"}
    QuestionEvent.objects.create(question=question, from_state="triaged", to_state="referred", details=kept)
    with django_assert_max_num_queries(8):  # one per kind, whatever the number of rows
        timeline_backfill(django_apps, None)
    rows = list(QuestionEvent.objects.filter(question=question).order_by("pk"))
    assert rows[0].details == {
        "broker": "Gert van den Berg",
        "from_hub": "Kennishub Test",
        "hub": "Kennishub Elders",
        "programme": programme.name,
        "network": "Bodemnetwerk",
        "merged_into": merged.title,
    }
    assert rows[1].details == kept  # nothing to resolve: left as it was
    admin = Client()
    admin.force_login(cast["admin"])
    timeline = admin.get(f"/vragen/{question.slug}/").content.decode().split('id="tijdlijn"')[1]
    for name in ("Gert van den Berg", "Kennishub Elders", programme.name, "Bodemnetwerk"):
        assert name in timeline
    for key in ("gvdb", "kennishub-elders", "np-res", "netwerk-bodem", "oude-vraag"):
        assert key not in timeline
    api = admin.get(f"/api/v1/questions/{question.slug}").json()
    details = [e["details"] for e in api["events"] if e["details"]]
    assert details[0]["programme"] == programme.name and details[0]["broker"] == "Gert van den Berg"


def test_the_header_greets_by_name_not_login(cast: dict[str, Any], hub: Hub, django_user_model: Any) -> None:
    named = django_user_model.objects.create_user(username="sanne", display_name="Sanne Secretaris")
    client = Client()
    client.force_login(named)
    assert "Ingelogd als Sanne Secretaris" in client.get("/").content.decode()
    # An account without a display name but with a knowledge-holder profile: the profile's name.
    Person.objects.create(slug="joost-h", name="Joost Hermans", account=cast["member"], owner_hub=hub)
    client.force_login(cast["member"])
    html = client.get("/").content.decode()
    assert "Ingelogd als Joost Hermans" in html and "Ingelogd als member" not in html
    # ... and the migration stores it, so timelines and e-mails show it too.
    profile_names(django_apps, None)
    cast["member"].refresh_from_db()
    assert str(cast["member"]) == "Joost Hermans"
    assert str(cast["outsider"]) == "outsider"  # nothing else known: the login name stays


def test_history_pages_show_field_labels(cast: dict[str, Any], hub: Hub) -> None:
    from plek.atlas.permissions import viewer_for
    from plek.atlas.services import hub_membership_set

    hub_membership_set(viewer=viewer_for(cast["admin"]), hub=hub, user=cast["outsider"], role="member")
    admin = Client()
    admin.force_login(cast["admin"])
    html = admin.get(f"/kennishubs/{hub.slug}/geschiedenis/").content.decode()
    assert "<strong>Lid</strong>" in html and "<strong>member</strong>" not in html
