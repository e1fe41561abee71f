"""Notifications: channels per person and kind, e-mail after commit (immediate and digest), safe
headers with one-click unsubscribe, the "Meldingen" pages and who may touch which row."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from plek.notifications import services
from plek.notifications.kinds import KINDS, Channel
from plek.notifications.mail import header_text, unsubscribe_token
from plek.notifications.models import Notification, NotificationPreference
from plek.notifications.tasks import send_digests


@pytest.fixture
def ann(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(
        username="ann", display_name="Ann Aanvrager", email="ann@example.org", password="x"
    )


@pytest.fixture
def bob(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user(username="bob", email="bob@example.org", password="x")


def send(users: list[Any], kind: str = "question_received", title: str = "Uw vraag is ontvangen") -> Any:
    return services.notification_send(recipients=users, kind=kind, title=title, url="/vragen/x/")


def test_header_text_folds_control_characters() -> None:
    assert header_text("Kas\r\nBcc: evil@example.org\tbouwen\x00") == "Kas Bcc: evil@example.org bouwen"
    assert len(header_text("x" * 500)) == 200


def test_each_channel(
    db: Any, ann: Any, bob: Any, django_user_model: Any, django_capture_on_commit_callbacks: Any
) -> None:
    carl = django_user_model.objects.create_user(username="carl", email="carl@example.org", is_active=False)
    dora = django_user_model.objects.create_user(username="dora", email="dora@example.org")
    eve = django_user_model.objects.create_user(username="eve", email="")
    services.preferences_save(user=bob, channels={"question_received": Channel.DIGEST})
    services.preferences_save(user=dora, channels={"question_received": Channel.OFF})
    with django_capture_on_commit_callbacks(execute=True):
        rows = send([ann, bob, carl, dora, eve])
    by_user = {n.recipient.username: n.mail for n in rows}
    # inactive and "off" get nothing; no e-mail address: only the list
    assert by_user == {"ann": "pending", "bob": "digest", "eve": "none"}
    assert [m.to for m in mail.outbox] == [["ann@example.org"]]
    assert Notification.objects.get(recipient=ann).mail == "sent"
    message = mail.outbox[0]
    assert message.subject == "Uw vraag is ontvangen"
    assert "Beste Ann Aanvrager" in message.body and "http" in message.body
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    # The digest gathers bob's waiting rows into one e-mail, once.
    with django_capture_on_commit_callbacks(execute=True):
        send([bob], title="Tweede")
    assert send_digests() == {"people": 1, "notifications": 2, "sent": 1}
    assert mail.outbox[-1].to == ["bob@example.org"] and "Tweede" in mail.outbox[-1].body
    assert send_digests()["people"] == 0
    call_command("notifications", "digest")


def test_the_actor_is_not_told_and_unknown_kinds_are_refused(db: Any, ann: Any, bob: Any) -> None:
    rows = services.notification_send(recipients=[ann, bob], kind="queue_new", title="t", exclude=ann)
    assert [n.recipient_id for n in rows] == [bob.pk]
    with pytest.raises(ValueError):
        services.notification_send(recipients=[ann], kind="nonsense", title="t")


def test_one_click_unsubscribe_without_sign_in(
    db: Any, ann: Any, bob: Any, django_capture_on_commit_callbacks: Any
) -> None:
    services.preferences_save(user=ann, channels={"question_received": Channel.DIGEST})
    send([ann])
    token = unsubscribe_token(ann.pk, "question_received")
    url = reverse("notifications:unsubscribe", args=[token])
    page = Client().get(url)
    assert page.status_code == 200 and "Afmelden" in page.content.decode()
    assert NotificationPreference.objects.get(user=ann).channel == Channel.DIGEST  # GET changes nothing
    # RFC 8058: the mail client POSTs without session or CSRF token.
    response = Client(enforce_csrf_checks=True).post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert NotificationPreference.objects.get(user=ann, kind="question_received").channel == Channel.IN_APP
    assert Notification.objects.get(recipient=ann).mail == "none"  # the waiting digest row is dropped
    assert not NotificationPreference.objects.filter(user=bob).exists()
    # Forged, tampered or foreign tokens change nothing.
    for bad in [
        "x",
        token[:-2] + "aa",
        unsubscribe_token(999_999, "question_received"),
        unsubscribe_token(bob.pk, "nope"),
    ]:
        r = Client().post(reverse("notifications:unsubscribe", args=[bad]))
        assert r.status_code == 404
    assert not NotificationPreference.objects.filter(user=bob).exists()
    with django_capture_on_commit_callbacks(execute=True):
        send([ann])
    assert not mail.outbox  # in-app only now


def test_pages_permissions_and_bounded_queries(
    db: Any, ann: Any, bob: Any, django_assert_max_num_queries: Any
) -> None:
    mine = send([ann], title="Voor Ann")[0]
    theirs = send([bob], title="Voor Bob")[0]
    anonymous = Client()
    for name in ["notifications:list", "notifications:preferences"]:
        assert anonymous.get(reverse(name)).status_code == 302
    assert anonymous.post(reverse("notifications:read")).status_code == 302
    client = Client()
    client.force_login(ann)
    html = client.get(reverse("notifications:list")).content.decode()
    assert "Voor Ann" in html and "Voor Bob" not in html and "1 ongelezen" in html
    # Another's notification: 404, left unread; one's own: marked read and followed.
    assert client.get(reverse("notifications:open", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = client.get(reverse("notifications:open", args=[mine.pk]))
    assert response.status_code == 302 and response["Location"] == "/vragen/x/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert "1 ongelezen" not in client.get(reverse("notifications:list")).content.decode()
    # Mark all read touches only one's own rows.
    client.post(reverse("notifications:read"), {"id": [str(theirs.pk)]})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # The list costs the same number of queries for 1 row or 60.
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("notifications:list"))
    for n in range(60):
        send([ann], title=f"Melding {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("notifications:list"))


def test_open_never_redirects_off_site(db: Any, ann: Any) -> None:
    n = services.notification_send(recipients=[ann], kind="decision", title="t", url="https://evil.example/")[
        0
    ]
    client = Client()
    client.force_login(ann)
    assert client.get(reverse("notifications:open", args=[n.pk]))["Location"] == reverse("notifications:list")


def test_preferences_form_saves_and_refuses_bad_input(db: Any, ann: Any) -> None:
    client = Client()
    client.force_login(ann)
    page = client.get(reverse("notifications:preferences"))
    assert page.status_code == 200
    data = {f"kind-{k}": Channel.IN_APP for k in KINDS}
    bad = {**data, "kind-decision": "loud"}
    response = client.post(reverse("notifications:preferences"), bad)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.content.decode()
    assert not NotificationPreference.objects.filter(user=ann).exists()  # nothing half-saved
    assert client.post(reverse("notifications:preferences"), data).status_code == 302
    assert NotificationPreference.objects.filter(user=ann, channel=Channel.IN_APP).count() == len(KINDS)


@pytest.mark.django_db(transaction=True)
def test_sent_by_the_database_worker_after_commit(settings: Any, django_user_model: Any) -> None:
    """With the database queue, the e-mail waits for `plek worker` (db_worker) after the commit."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from django_tasks_db.models import DBTaskResult

    user = django_user_model.objects.create_user(username="wim", email="wim@example.org")
    services.notification_send(recipients=[user], kind="question_answered", title="Beantwoord")
    assert DBTaskResult.objects.count() == 1 and not mail.outbox  # queued, not sent
    call_command("db_worker", "--batch", "--no-startup-delay")
    assert [m.to for m in mail.outbox] == [["wim@example.org"]]
    assert Notification.objects.get(recipient=user).mail == "sent"
