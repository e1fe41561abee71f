"""Introductions inside the platform: the introduced expert with an account answers from their
notifications (besides the e-mailed link); an organisation that matched is introduced through its
contact person; pending introductions get one reminder."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plek.atlas.models import Hub, Organisation, Region
from plek.atlas.tests.factories import PersonFactory
from plek.brokering import services
from plek.brokering.models import Introduction, Question
from plek.brokering.tests.factories import QuestionFactory, as_viewer
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.notifications.models import Notification

S = Question.State


@pytest.fixture
def matched(people: dict[str, Any], hub: Hub, django_user_model: Any) -> dict[str, Any]:
    account = django_user_model.objects.create_user(username="erik", display_name="Erik Expert", password="x")
    expert = PersonFactory(name="Erik Expert", email="erik@example.org", account=account)
    question = QuestionFactory(
        title="Wie kent\r\nbodemenergie?",  # a line break in the title: the e-mail still goes out
        regions=[Region.objects.get(code="GM0361")],
        asker=people["asker"],
        owner_hub=hub,
        broker=people["broker"],
        state=S.MATCHING,
    )
    return {"account": account, "expert": expert, "question": question, **people}


def test_the_expert_answers_from_their_notifications(
    matched: dict[str, Any], mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        intro = services.introduction_create(
            viewer=as_viewer(matched["coordinator"]),
            question=matched["question"],
            person=matched["expert"],
            message="Erik kent dit.",
        )
    to_expert = [m for m in mailoutbox if m.to == ["erik@example.org"]]
    assert len(to_expert) == 1 and "\n" not in to_expert[0].subject and "\r" not in to_expert[0].subject
    note = Notification.objects.get(recipient=matched["account"], kind="introduction")
    assert note.mail == "none"  # no second e-mail: the one with the private link went out
    url = reverse("brokering:introduction", args=[intro.pk])
    assert note.url == url
    # Anonymous: to the sign-in page; anybody but the expert (even the broker, the asker, an admin): 404.
    assert Client().get(url).status_code == 302
    for role in ("outsider", "member", "asker", "broker", "coordinator", "admin"):
        client = Client()
        client.force_login(matched[role])
        assert client.get(url).status_code == 404, role
        assert client.post(url, {"accept": "1"}).status_code == 404, role
    assert Introduction.objects.get(pk=intro.pk).status == "pending"
    client = Client()
    client.force_login(matched["account"])
    page = client.get(url)
    assert page.status_code == 200 and "Erik kent dit." in page.content.decode()
    too_long = client.post(url, {"accept": "1", "note": "x" * 6000})
    assert too_long.status_code == 422 and Introduction.objects.get(pk=intro.pk).status == "pending"
    assert client.post(url, {"accept": "0", "note": "Geen tijd."}).status_code == 302
    intro.refresh_from_db()
    assert (intro.status, intro.response_note) == ("declined", "Geen tijd.")
    again = client.post(url, {"accept": "1"})
    assert again.status_code == 409 and Introduction.objects.get(pk=intro.pk).status == "declined"
    with pytest.raises(PermissionDenied):
        services.introduction_respond_signed_in(
            viewer=as_viewer(matched["asker"]), introduction=intro, accept=True
        )


def test_an_organisation_is_introduced_through_its_contact_person(matched: dict[str, Any]) -> None:
    org = Organisation.objects.create(slug="bodembedrijf", name="Bodembedrijf", kind="company")
    coordinator = as_viewer(matched["coordinator"])
    with pytest.raises(ValidationFailed) as refused:
        services.introduction_create(
            viewer=coordinator,
            question=matched["question"],
            organisation=org,
            message="Kunnen jullie helpen?",
        )
    assert "organisation" in refused.value.errors
    assert not Introduction.objects.exists()
    PersonFactory(name="Zz Zonder Mail", email="", organisations=[org])
    contact = PersonFactory(name="Aa Contact", email="contact@bodembedrijf.example", organisations=[org])
    intro = services.introduction_create(
        viewer=coordinator, question=matched["question"], organisation=org, message="Kunnen jullie helpen?"
    )
    assert (intro.person, intro.organisation) == (contact, org)
    with pytest.raises(ValidationFailed):
        services.introduction_create(
            viewer=coordinator,
            question=matched["question"],
            organisation=org,
            person=contact,
            message="Twee tegelijk",
        )
    with pytest.raises(PermissionDenied):
        services.introduction_create(
            viewer=as_viewer(matched["outsider"]), question=matched["question"], organisation=org, message="x"
        )


def test_pending_introductions_get_one_reminder(matched: dict[str, Any]) -> None:
    intro = services.introduction_create(
        viewer=as_viewer(matched["coordinator"]),
        question=matched["question"],
        person=matched["expert"],
        message="Erik kent dit.",
    )
    now = timezone.now()
    assert services.introductions_remind(now=now) == 0  # not yet a week
    assert services.introductions_remind(now=now + dt.timedelta(days=8)) == 1
    assert services.introductions_remind(now=now + dt.timedelta(days=9)) == 0  # once
    assert (
        Notification.objects.filter(recipient=matched["account"], kind="introduction_reminder").count() == 1
    )
    Introduction.objects.filter(pk=intro.pk).update(status="accepted")
    call_command("brokering", "remind")
