"""Routing that always reaches someone: desks, onward routing past hubs without a coordinator, the
national desk, programme inboxes, escalation of overdue questions, and one count for the queue and
the dashboards."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from plek.atlas.models import Hub, HubMembership, Programme, Region
from plek.brokering import dashboards, routing, selectors, services, transitions
from plek.brokering.models import ProgrammeBroker, Question, QuestionEvent
from plek.brokering.tests.factories import QuestionFactory, as_viewer
from plek.core.errors import PermissionDenied
from plek.notifications.models import Notification

S = Question.State


@pytest.fixture
def gelderland(ref: None, django_user_model: Any) -> dict[str, Any]:
    """Foodvalley's hub has no coordinator (like the demo's); Gelderland's province hub has one."""
    foodvalley = Hub.objects.create(slug="kennishub-foodvalley", name="Kennishub Foodvalley")
    foodvalley.regions.set([Region.objects.get(code="RES-FOODVALLEY")])
    province = Hub.objects.create(slug="kennishub-gelderland", name="Kennishub Gelderland")
    province.regions.set([Region.objects.get(code="PV25")])
    coordinator = django_user_model.objects.create_user(
        username="gld", display_name="Gijs Gelderland", email="gijs@example.org", password="x"
    )
    HubMembership.objects.create(hub=province, user=coordinator, role=HubMembership.Role.COORDINATOR)
    asker = django_user_model.objects.create_user(
        username="inwoner", display_name="Ine Inwoner", email="ine@example.org", password="x"
    )
    admin = django_user_model.objects.create_user(
        username="beheer", email="beheer@example.org", password="x", is_superuser=True, is_staff=True
    )
    return {
        "foodvalley": foodvalley,
        "province": province,
        "coordinator": coordinator,
        "asker": asker,
        "admin": admin,
        "ede": Region.objects.get(code="GM0228"),
    }


def test_the_area_hub_without_a_coordinator_passes_the_question_on(gelderland: dict[str, Any]) -> None:
    g = gelderland
    assert (
        routing.hub_levels([g["ede"].pk])[g["foodvalley"].pk]
        < routing.hub_levels([g["ede"].pk])[g["province"].pk]
    )
    assert routing.desk_for_regions([g["ede"].pk]) == g["province"]
    # Once Foodvalley has an active coordinator, it takes its own questions.
    local = HubMembership.objects.create(
        hub=g["foodvalley"], user=g["asker"], role=HubMembership.Role.COORDINATOR
    )
    assert routing.desk_for_regions([g["ede"].pk]) == g["foodvalley"]
    # An inactive coordinator counts as none.
    g["asker"].is_active = False
    g["asker"].save()
    assert routing.desk_for_regions([g["ede"].pk]) == g["province"]
    local.delete()
    # Nobody staffed anywhere: the national desk, which always exists.
    HubMembership.objects.filter(hub=g["province"]).delete()
    desk = routing.desk_for_regions([g["ede"].pk])
    assert desk.slug == routing.NATIONAL_DESK_SLUG and desk.name == "Landelijk kennisloket"


def test_national_questions_and_questions_without_area_go_to_the_national_desk(ref: None) -> None:
    assert routing.is_national_desk(routing.desk_for_regions([]))
    assert routing.is_national_desk(routing.desk_for_regions([Region.objects.get(code="NL").pk]))
    Hub.objects.filter(slug=routing.NATIONAL_DESK_SLUG).delete()
    assert routing.national_desk().offers_brokering  # recreated when gone


def test_the_national_desk_made_on_first_use_is_searchable_and_has_a_vector(ref: None) -> None:
    """`plek demo` made the desk with get_or_create and no outbox row: `plek search verify` found one
    document missing from the index and the vectors (1,542 in the database, 1,541 indexed)."""
    from plek.core.models import SearchVector
    from plek.knowledge.indexing import index_verify, outbox_apply, reindex

    Hub.objects.filter(slug=routing.NATIONAL_DESK_SLUG).delete()
    reindex()
    desk = routing.national_desk()
    outbox_apply()
    assert index_verify()["equal"]
    assert SearchVector.objects.filter(key=f"hub:{desk.pk}").exists()
    routing.national_desk()  # found again: nothing new to index
    assert not outbox_apply()


def test_a_question_asked_in_foodvalley_reaches_the_province_hub_and_everyone_hears(
    gelderland: dict[str, Any], django_capture_on_commit_callbacks: Any, mailoutbox: Any
) -> None:
    g = gelderland
    form = services.question_form(
        viewer=as_viewer(g["asker"]),
        data={
            "title": "Mag ik\r\nBcc: x@example.org een kas bouwen?",
            "text": "Wij willen een kas bouwen in Ede.",
            "regions": ["GM0228"],
            "answer_kind": "advice",
            "asker_role": "practice",
            "visibility": "public",
            "owner_hub": "kennishub-foodvalley",  # chosen, but nobody staffs it
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        question = services.question_submit(viewer=as_viewer(g["asker"]), form=form)
    assert question.owner_hub == g["province"]
    kinds = dict(Notification.objects.values_list("recipient__username", "kind"))
    assert kinds == {"inwoner": "question_received", "gld": "queue_new"}
    assert sorted(m.to[0] for m in mailoutbox) == ["gijs@example.org", "ine@example.org"]
    for message in mailoutbox:  # the CR/LF of the title never reaches a header
        assert "\n" not in message.subject and "\r" not in message.subject
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message.message()["Bcc"] is None
    body = next(m for m in mailoutbox if m.to == ["ine@example.org"]).body
    assert "Kennishub Gelderland" in body


def test_a_referral_to_a_hub_without_coordinator_goes_on_to_the_next_desk(
    gelderland: dict[str, Any], cast: dict[str, Any], hub: Hub
) -> None:
    g = gelderland
    question = QuestionFactory(regions=[g["ede"]], owner_hub=hub, state=S.TRIAGED, asker=g["asker"])
    services.question_transition(
        viewer=as_viewer(cast["coordinator"]),
        question=question,
        to_state=S.REFERRED,
        note="Dit speelt in Foodvalley.",
        referred_to_hub=g["foodvalley"],
    )
    question.refresh_from_db()
    assert (question.referred_to_hub, question.owner_hub) == (g["foodvalley"], g["province"])
    event = question.events.get()
    assert event.details == {
        "from_hub": hub.name,
        "hub": "Kennishub Foodvalley",
        "desk": "Kennishub Gelderland",
    }
    assert Notification.objects.filter(recipient=g["coordinator"], kind="referral_received").exists()


@pytest.fixture
def programme(gelderland: dict[str, Any], django_user_model: Any) -> dict[str, Any]:
    programme = Programme.objects.create(slug="np-test", abbr="NPT", name="Nationaal Programma Test")
    broker = django_user_model.objects.create_user(
        username="pb", display_name="Pia Programma", email="pia@example.org", password="x"
    )
    ProgrammeBroker.objects.create(programme=programme, user=broker)
    question = QuestionFactory(
        regions=[gelderland["ede"]],
        owner_hub=gelderland["province"],
        state=S.TRIAGED,
        asker=gelderland["asker"],
        visibility="private",
        title="Welke landelijke regels gelden voor kassen?",
    )
    return {"programme": programme, "broker": broker, "question": question, **gelderland}


def _refer(p: dict[str, Any]) -> Question:
    return services.question_transition(
        viewer=as_viewer(p["coordinator"]),
        question=p["question"],
        to_state=S.REFERRED,
        note="Landelijke regelgeving.",
        referred_to_programme=p["programme"],
    )


def test_a_referral_lands_in_the_programme_inbox_and_its_broker_answers(programme: dict[str, Any]) -> None:
    p = programme
    broker = as_viewer(p["broker"])
    assert not selectors.programme_questions(
        viewer=broker, programme=p["programme"]
    )  # private, not yet referred
    _refer(p)
    assert [q.pk for q in selectors.programme_questions(viewer=broker, programme=p["programme"])] == [
        p["question"].pk
    ]
    note = Notification.objects.get(recipient=p["broker"])
    assert note.kind == "referral_received" and "Nationaal Programma Test" in note.title
    assert [e.details for e in p["question"].events.all()] == [
        {"from_hub": "Kennishub Gelderland", "programme": "Nationaal Programma Test"}
    ]
    # Someone else (even a coordinator of another hub) may not answer it.
    with pytest.raises(PermissionDenied):
        services.answer_publish(viewer=as_viewer(p["asker"]), question=p["question"], text="Nee.")
    services.answer_publish(viewer=broker, question=p["question"], text="De Omgevingswet regelt dit zo ...")
    p["question"].refresh_from_db()
    assert p["question"].state == S.ANSWERED
    assert p["question"].answer.knowledge_item.owner_hub == p["province"]
    assert set(Notification.objects.filter(recipient=p["asker"]).values_list("kind", flat=True)) >= {
        "question_answered",
        "question_rate",
    }


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("asker", 403), ("coordinator", 403), ("broker", 200), ("admin", 200)],
)
def test_programme_inbox_permissions(programme: dict[str, Any], who: str, status: int) -> None:
    _refer(programme)
    client = Client()
    if who != "anonymous":
        client.force_login(programme[who])
    response = client.get(reverse("brokering:programme-inbox", args=["np-test"]))
    assert response.status_code == status
    if status == 200:
        assert "Welke landelijke regels gelden voor kassen?" in response.content.decode()
    assert Client().get(reverse("brokering:programme-inbox", args=["bestaat-niet"])).status_code == 302


def test_the_programme_page_shows_referred_questions_to_those_who_may_see_them(
    programme: dict[str, Any],
) -> None:
    _refer(programme)
    url = reverse("atlas:detail", args=["programmas", "np-test"])
    client = Client()
    client.force_login(programme["broker"])
    html = client.get(url).content.decode()
    assert "Welke landelijke regels gelden voor kassen?" in html and "Pia Programma" in html
    assert reverse("brokering:programme-inbox", args=["np-test"]) in html
    anonymous = Client().get(url).content.decode()
    assert "Welke landelijke regels" not in anonymous and "Doorverwezen kennisvragen" in anonymous


def test_overdue_questions_escalate_one_level_at_a_time(gelderland: dict[str, Any]) -> None:
    g = gelderland
    HubMembership.objects.create(hub=g["foodvalley"], user=g["asker"], role=HubMembership.Role.COORDINATOR)
    now = timezone.now()
    late = QuestionFactory(
        regions=[g["ede"]], owner_hub=g["foodvalley"], submitted_at=now - dt.timedelta(days=20)
    )
    fresh = QuestionFactory(
        regions=[g["ede"]], owner_hub=g["foodvalley"], submitted_at=now - dt.timedelta(days=2)
    )
    moved = services.questions_escalate_overdue(now=now)
    assert [q.pk for q in moved] == [late.pk]
    late.refresh_from_db()
    fresh.refresh_from_db()
    assert (late.owner_hub, fresh.owner_hub) == (g["province"], g["foodvalley"])
    event = QuestionEvent.objects.get(question=late)
    assert event.details == {"from_hub": "Kennishub Foodvalley", "desk": "Kennishub Gelderland"}
    assert "Kennishub Gelderland" in event.note
    assert Notification.objects.filter(recipient=g["coordinator"], kind="question_overdue").count() == 1
    # The next run does nothing until another overdue period has passed; then the national desk.
    assert services.questions_escalate_overdue(now=now + dt.timedelta(hours=1)) == []
    call_command("brokering", "escalate")  # (now: nothing is due)
    services.questions_escalate_overdue(now=now + dt.timedelta(days=15))
    late.refresh_from_db()
    assert routing.is_national_desk(late.owner_hub)
    # At the national desk (nobody staffs it here) the administrators hear it.
    assert Notification.objects.filter(recipient=g["admin"], kind="question_overdue").exists()


def test_queue_and_dashboards_count_alike_on_the_demo(ref: None, django_user_model: Any) -> None:
    """The demo's hubs (only Noord-Holland has a coordinator), its users and its questions."""
    from plek.atlas.demo import HUBS
    from plek.brokering.demo import demo_questions

    regions = {r.code: r for r in Region.objects.filter(code__in=[c for _, cs in HUBS for c in cs])}
    for name, codes in HUBS:
        h = Hub.objects.create(slug=name.lower().replace(" ", "-").replace("â", "a"), name=name)
        h.regions.set([regions[c] for c in codes if c in regions])
    coordinator = django_user_model.objects.create_user(username="coordinator", display_name="Kim")
    HubMembership.objects.create(
        hub=Hub.objects.get(name="Kennishub Noord-Holland"),
        user=coordinator,
        role=HubMembership.Role.COORDINATOR,
    )
    django_user_model.objects.create_user(username="buitenstaander")
    assert demo_questions() == 16
    questions = list(Question.objects.select_related("owner_hub"))
    staffed = routing.staffed_hub_ids()
    assert all(q.owner_hub is not None and q.owner_hub_id in staffed for q in questions)  # nobody deskless
    assert not any(q.owner_hub.name == "Kennishub Foodvalley" for q in questions)
    assert Question.objects.filter(referred_to_programme__isnull=False).count() <= 1

    now = timezone.now()
    totals = 0
    desks = [coordinator, *django_user_model.objects.filter(username__in=["loket", "gelderland"])]
    for user in desks:
        viewer = as_viewer(user)
        national = dashboards.national_dashboard(viewer=viewer, now=now)
        rows = {r.hub.pk: r for r in national.hubs if r.hub is not None}
        (hub_id,) = viewer.coordinator_hub_ids
        hub = Hub.objects.get(pk=hub_id)
        # The whole queue of a one-desk coordinator is that desk's: it agrees with the dashboards.
        queue = selectors.broker_queue(viewer=viewer, now=now)
        assert queue.counts == selectors.broker_queue(viewer=viewer, hub=hub, now=now).counts
        board = dashboards.hub_dashboard(viewer=viewer, hub=hub, now=now)
        assert {s.state: s.count for s in board.states if s.count} == queue.counts
        assert {s.state: s.overdue for s in board.states if s.count} == queue.overdue
        row_open = rows[hub_id].open if hub_id in rows else 0
        row_overdue = rows[hub_id].overdue if hub_id in rows else 0
        assert board.open == row_open == sum(queue.counts.get(s, 0) for s in transitions.OPEN_STATES)
        assert board.overdue == row_overdue == sum(queue.overdue.values())
        totals += board.total
    assert totals == len(questions) > 0  # every question is at one of the three staffed desks
    gelderland = Question.objects.filter(owner_hub__slug="kennishub-gelderland").count()
    assert gelderland > 0  # e.g. Berkelland and Epe, whose hub is the province's


def test_programme_inbox_and_section_use_a_fixed_number_of_queries(
    programme: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    _refer(programme)
    client = Client()
    client.force_login(programme["broker"])
    urls = [
        reverse("brokering:programme-inbox", args=["np-test"]),
        reverse("atlas:detail", args=["programmas", "np-test"]),
    ]
    few = {}
    for url in urls:
        with django_assert_max_num_queries(40) as ctx:
            assert client.get(url).status_code == 200
        few[url] = len(ctx.captured_queries)
    for n in range(12):
        QuestionFactory(
            regions=[programme["ede"]],
            owner_hub=programme["province"],
            state=S.REFERRED,
            referred_to_programme=programme["programme"],
            title=f"Nog een landelijke vraag {n}",
        )
    for url in urls:
        with django_assert_max_num_queries(few[url]):
            assert "Nog een landelijke vraag 11" in client.get(url).content.decode()


def test_when_the_last_coordinator_leaves_open_questions_move_on(gelderland: dict[str, Any]) -> None:
    g = gelderland
    waiting = QuestionFactory(regions=[g["ede"]], owner_hub=g["province"], state=S.TRIAGED)
    done = QuestionFactory(regions=[g["ede"]], owner_hub=g["province"], state=S.CLOSED)
    assert services.questions_reroute_unstaffed() == []  # Gelderland is staffed
    g["coordinator"].is_active = False
    g["coordinator"].save()
    call_command("brokering", "escalate")
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert routing.is_national_desk(waiting.owner_hub) and done.owner_hub == g["province"]
    assert waiting.escalated_at is None  # not overdue: passed on, not escalated
    event = QuestionEvent.objects.get(question=waiting)
    assert "geen coördinator meer" in event.note and event.details["desk"] == "Landelijk kennisloket"
    assert Notification.objects.filter(recipient=g["admin"], kind="queue_new").exists()
    assert not Notification.objects.filter(recipient=g["coordinator"]).exists()  # inactive: told nothing


def test_nobody_is_notified_of_a_question_they_may_not_see(
    gelderland: dict[str, Any], django_user_model: Any
) -> None:
    from plek.brokering import notices

    outsider = django_user_model.objects.create_user(username="buiten", email="b@example.org")
    private = QuestionFactory(
        regions=[gelderland["ede"]], owner_hub=gelderland["province"], visibility="private"
    )
    public = QuestionFactory(
        regions=[gelderland["ede"]], owner_hub=gelderland["province"], visibility="public"
    )
    notices._send([outsider, gelderland["coordinator"]], private, "queue_new", "Privé")
    notices._send([outsider], public, "queue_new", "Openbaar")
    rows = sorted(Notification.objects.values_list("recipient__username", "title"))
    assert rows == [("buiten", "Openbaar"), ("gld", "Privé")]
