"""The brokering overviews: the question dashboards (hub and national) and the overlap page
("samenhang"), as selectors, pages and API. Permission matrix over the shared cast, private questions
never counted or listed for people who may not read them, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from plek.atlas.models import Hub, HubMembership, Region
from plek.brokering import dashboards
from plek.brokering.models import Answer, Evaluation, MatchFeedback, Question, QuestionEvent
from plek.brokering.tests.factories import QuestionFactory, as_viewer
from plek.core.models import Visibility
from plek.knowledge.models import KnowledgeItem

S = Question.State
ROLES = ["anonymous", "outsider", "member", "coordinator", "admin"]
API = "/api/v1"


def make_q(**kw: Any) -> Question:
    return QuestionFactory(**kw)  # type: ignore[no-any-return]


def client_for(users: dict[str, Any], role: str) -> Client:
    client = Client()
    if users.get(role) is not None:
        client.force_login(users[role])
    return client


# ---- the data: four questions in two hubs ----------------------------------------------------------------


@dataclass
class Field:
    answered: Question  # hub, public: matched after 1 day, answered after 2 days from existing knowledge
    private: Question  # hub, private, 30 days waiting (overdue)
    elsewhere: Question  # other hub, public, reuses `answered` as knowledge item and as earlier question
    hub_only: Question  # hub, members of the hub, answered after 4 days, closed with usefulness 4
    item: KnowledgeItem
    stranger: Any  # asker of the private question


def _event(q: Question, to: str, at: dt.datetime, frm: str | None = None) -> None:
    QuestionEvent.objects.create(question=q, from_state=frm, to_state=to, at=at)


def _stranger(user_model: Any) -> Any:
    user = user_model.objects.filter(username="stranger").first()
    return user or user_model.objects.create_user(username="stranger", password="correct horse battery")


@pytest.fixture
def field(cast: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any) -> Field:
    return build_field(hub, other_hub, django_user_model)


def published_answer(slug: str, title: str) -> KnowledgeItem:
    """A public knowledge item of kind "answered question" (what publishing an answer makes)."""
    return KnowledgeItem.objects.create(
        slug=slug, kind="answered_question", category="practice", title=title, visibility=Visibility.PUBLIC
    )


def build_field(hub: Hub, other_hub: Hub, user_model: Any) -> Field:
    now = timezone.now()
    stranger = _stranger(user_model)
    gm = Region.objects.get(code="GM0363")
    t0 = now - dt.timedelta(days=3)
    answered = make_q(
        owner_hub=hub, state=S.ANSWERED, submitted_at=t0, regions=[gm], title="Zoetwatertekort in de polder"
    )
    # the answer's published item; the other verdicts below name ids that are surely not it (fixed ids
    # were: on PostgreSQL the id sequence is not rolled back between tests and once reached 999)
    item = published_answer("antwoord-zoetwater", "Antwoord zoetwater")
    _event(answered, S.SUBMITTED, t0)
    MatchFeedback.objects.create(
        question=answered,
        kind="knowledge",
        target_id=item.pk + 1,
        title="Iets",
        decision="accepted",
        at=t0 + dt.timedelta(days=1),
    )
    MatchFeedback.objects.create(  # a later acceptance does not change the first match
        question=answered,
        kind="person",
        target_id=item.pk + 3,
        title="Later",
        decision="accepted",
        at=t0 + dt.timedelta(days=2, hours=12),
    )
    MatchFeedback.objects.create(  # a rejected one never counts as "first match"
        question=answered,
        kind="knowledge",
        target_id=item.pk + 2,
        title="Niets",
        decision="rejected",
        at=t0 + dt.timedelta(hours=1),
    )
    _event(answered, S.ANSWERED, t0 + dt.timedelta(days=2), S.MATCHING)
    Answer.objects.create(question=answered, text="Zo.", from_existing=True, knowledge_item=item)

    private = make_q(
        owner_hub=hub,
        asker=stranger,
        visibility=Visibility.PRIVATE,
        state=S.SUBMITTED,
        submitted_at=now - dt.timedelta(days=30),
        regions=[gm],
        title="Geheime vraag over de dijk",
    )
    elsewhere = make_q(
        owner_hub=other_hub,
        state=S.MATCHING,
        submitted_at=now - dt.timedelta(days=1),
        regions=[Region.objects.get(code="PV22")],
    )
    MatchFeedback.objects.create(
        question=elsewhere, kind="knowledge", target_id=item.pk, title=item.title, decision="accepted"
    )
    MatchFeedback.objects.create(
        question=elsewhere, kind="question", target_id=answered.pk, title=answered.title, decision="accepted"
    )
    t1 = now - dt.timedelta(days=10)
    hub_only = make_q(owner_hub=hub, visibility=Visibility.HUB, state=S.CLOSED, submitted_at=t1, regions=[gm])
    _event(hub_only, S.ANSWERED, t1 + dt.timedelta(days=4), S.CONNECTED)
    Answer.objects.create(question=hub_only, text="Zo ook.", from_existing=False)
    Evaluation.objects.create(question=hub_only, usefulness=4)
    return Field(answered, private, elsewhere, hub_only, item, stranger)


# ==== dashboards: selectors ================================================================================


def test_hub_dashboard_figures_for_a_coordinator(cast: dict[str, Any], hub: Hub, field: Field) -> None:
    board = dashboards.hub_dashboard(viewer=as_viewer(cast["coordinator"]), hub=hub)
    assert board.total == 3  # answered, private (the coordinator handles it), hub_only
    assert board.open == 1 and board.overdue == 1  # the private one waits 30 days (> 14)
    by_state = {s.state: (s.count, s.overdue) for s in board.states}
    assert by_state[S.SUBMITTED] == (1, 1)
    assert by_state[S.ANSWERED] == (1, 0)
    assert by_state[S.CLOSED] == (1, 0)
    assert len(board.months) == 12 and sum(m.count for m in board.months) == 3
    assert board.months[-1].month == timezone.localdate().replace(day=1)
    assert board.median_days_to_first_match == 1.0  # the accepted match, not the earlier rejected one
    assert board.matched == 1
    assert board.median_days_to_answer == 3.0  # median of 2 and 4 days
    assert (board.answered, board.answered_from_existing, board.share_from_existing) == (2, 1, 0.5)
    assert (board.mean_usefulness, board.evaluations) == (4.0, 1)
    # The answered question was reused by the other hub's question twice: as item and as question.
    assert (board.reused_items, board.reused_questions) == (1, 1)
    assert board.hubs == []


def test_private_questions_do_not_count_for_a_member(cast: dict[str, Any], hub: Hub, field: Field) -> None:
    board = dashboards.hub_dashboard(viewer=as_viewer(cast["member"]), hub=hub)
    assert board.total == 2  # the private question is left out, even as a number
    assert board.overdue == 0
    assert {s.state: s.count for s in board.states}[S.SUBMITTED] == 0
    assert sum(m.count for m in board.months) == 2


def test_the_asker_counts_their_own_private_question(cast: dict[str, Any], hub: Hub, field: Field) -> None:
    HubMembership.objects.create(hub=hub, user=field.stranger, role=HubMembership.Role.MEMBER)
    board = dashboards.hub_dashboard(viewer=as_viewer(field.stranger), hub=hub)
    assert board.total == 3


def test_national_dashboard_counts_what_each_viewer_may_see(
    cast: dict[str, Any], hub: Hub, other_hub: Hub, field: Field
) -> None:
    totals = {
        role: dashboards.national_dashboard(viewer=as_viewer(cast[role])).total
        for role in ("outsider", "member", "coordinator", "admin")
    }
    # outsider: the two public ones; member: + hub-only; coordinator and admin: + private.
    assert totals == {"outsider": 2, "member": 3, "coordinator": 4, "admin": 4}
    board = dashboards.national_dashboard(viewer=as_viewer(cast["outsider"]))
    rows = {r.hub.slug if r.hub else None: (r.total, r.open, r.overdue, r.answered) for r in board.hubs}
    assert rows == {hub.slug: (1, 0, 0, 1), other_hub.slug: (1, 1, 0, 0)}
    # Reuse: the outsider sees the reusing question and the reused one.
    assert (board.reused_items, board.reused_questions) == (1, 1)


def test_reuse_on_a_question_the_viewer_may_not_see_does_not_count(
    cast: dict[str, Any], hub: Hub, field: Field
) -> None:
    field.elsewhere.visibility = Visibility.PRIVATE
    field.elsewhere.save()
    board = dashboards.hub_dashboard(viewer=as_viewer(cast["member"]), hub=hub)
    assert (board.reused_items, board.reused_questions) == (0, 0)
    board = dashboards.hub_dashboard(viewer=as_viewer(cast["admin"]), hub=hub)
    assert (board.reused_items, board.reused_questions) == (1, 1)


def test_an_empty_hub_has_no_medians(cast: dict[str, Any], other_hub: Hub) -> None:
    board = dashboards.hub_dashboard(viewer=as_viewer(cast["admin"]), hub=other_hub)
    assert board.total == 0
    assert board.median_days_to_first_match is None and board.median_days_to_answer is None
    assert board.share_from_existing is None and board.mean_usefulness is None
    assert [m.count for m in board.months] == [0] * 12


def test_month_starts_cross_the_year() -> None:
    now = timezone.make_aware(dt.datetime(2026, 2, 15, 12))
    starts = dashboards.month_starts(now)
    assert starts[0] == dt.date(2025, 3, 1) and starts[-1] == dt.date(2026, 2, 1) and len(starts) == 12


def test_hub_overdue_setting_is_used(cast: dict[str, Any], hub: Hub, field: Field) -> None:
    hub.preferences = {"overdue_days": 60}
    hub.save()
    board = dashboards.hub_dashboard(viewer=as_viewer(cast["coordinator"]), hub=hub)
    assert board.overdue == 0


# ==== dashboards: pages ===================================================================================

HUB_PAGE = "/kennishubs/{slug}/vragen/dashboard/"
NATIONAL_PAGE = "/vragen/dashboard/"


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("outsider", 403), ("member", 200), ("coordinator", 200), ("admin", 200)],
)
def test_hub_dashboard_page_permissions(
    cast: dict[str, Any], hub: Hub, field: Field, role: str, status: int
) -> None:
    before = Question.objects.count()
    response = client_for(cast, role).get(HUB_PAGE.format(slug=hub.slug))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/inloggen/")
    if status == 200:
        html = response.content.decode()
        assert "Kennisvragen van Kennishub Test" in html
        assert "<caption>Ingediende vragen per maand</caption>" in html
        assert "Geheime vraag" not in html  # never a title on a dashboard
    assert Question.objects.count() == before


def test_hub_dashboard_refuses_coordinator_of_another_hub(
    cast: dict[str, Any], hub: Hub, other_hub: Hub, field: Field, django_user_model: Any
) -> None:
    other = django_user_model.objects.create_user(username="elders", password="correct horse battery")
    HubMembership.objects.create(hub=other_hub, user=other, role=HubMembership.Role.COORDINATOR)
    client = Client()
    client.force_login(other)
    assert client.get(HUB_PAGE.format(slug=hub.slug)).status_code == 403
    assert client.get(HUB_PAGE.format(slug=other_hub.slug)).status_code == 200


def test_hub_dashboard_unknown_hub_404(cast: dict[str, Any]) -> None:
    assert client_for(cast, "admin").get(HUB_PAGE.format(slug="bestaat-niet")).status_code == 404


def test_dashboard_pages_refuse_post(cast: dict[str, Any], hub: Hub) -> None:
    client = client_for(cast, "admin")
    assert client.post(NATIONAL_PAGE).status_code == 405
    assert client.post(HUB_PAGE.format(slug=hub.slug)).status_code == 405


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("outsider", 200), ("member", 200), ("coordinator", 200), ("admin", 200)],
)
def test_national_dashboard_page_permissions(
    cast: dict[str, Any], hub: Hub, field: Field, role: str, status: int
) -> None:
    response = client_for(cast, role).get(NATIONAL_PAGE)
    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "Landelijk dashboard kennisvragen" in html
        assert "<caption>Kennisvragen per kennishub</caption>" in html
        assert "Geheime vraag" not in html


def test_national_page_links_only_openable_hub_dashboards(
    cast: dict[str, Any], hub: Hub, other_hub: Hub, field: Field
) -> None:
    html = client_for(cast, "member").get(NATIONAL_PAGE).content.decode()
    assert HUB_PAGE.format(slug=hub.slug) in html
    assert HUB_PAGE.format(slug=other_hub.slug) not in html
    assert f"/kennishubs/{other_hub.slug}/" in html


def test_dashboard_page_in_english(cast: dict[str, Any], hub: Hub, field: Field) -> None:
    response = client_for(cast, "coordinator").get(HUB_PAGE.format(slug=hub.slug) + "?lang=en")
    assert response.status_code == 200
    assert '<html lang="en"' in response.content.decode()


def _more_questions(hub: Hub, n: int) -> None:
    gm = Region.objects.get(code="GM0363")
    now = timezone.now()
    for i in range(n):
        q = make_q(
            owner_hub=hub, state=S.ANSWERED, submitted_at=now - dt.timedelta(days=20 * i), regions=[gm]
        )
        _event(q, S.ANSWERED, now)
        MatchFeedback.objects.create(
            question=q, kind="person", target_id=i + 1, title="X", decision="accepted"
        )
        Answer.objects.create(question=q, text="A", from_existing=bool(i % 2))


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", [HUB_PAGE.format(slug="kennishub-test"), NATIONAL_PAGE])
def test_dashboard_pages_use_a_fixed_number_of_queries(
    cast: dict[str, Any], hub: Hub, other_hub: Hub, field: Field, url: str, django_assert_max_num_queries: Any
) -> None:
    client = client_for(cast, "coordinator")
    few = _queries(client, url)
    _more_questions(hub, 15)
    _more_questions(other_hub, 5)
    many = _queries(client, url)
    assert many == few
    with django_assert_max_num_queries(few):
        client.get(url)


# ==== dashboards: API =====================================================================================


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body: dict[str, Any] = response.json()
    assert body["status"] == status and {"type", "title", "detail"} <= set(body)
    return body


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("outsider", 403), ("member", 200), ("coordinator", 200), ("admin", 200)],
)
def test_hub_dashboard_api_permissions(
    cast: dict[str, Any], hub: Hub, field: Field, role: str, status: int
) -> None:
    response = client_for(cast, role).get(f"{API}/hubs/{hub.slug}/question-dashboard")
    if status != 200:
        is_problem(response, status)
        return
    assert response.status_code == 200
    assert response["API-Version"] == "1.0.0"
    body = response.json()
    assert body["hub"] == {"slug": hub.slug, "name": hub.name}
    assert body["total"] == (3 if role in ("coordinator", "admin") else 2)
    assert len(body["perMonth"]) == 12 and body["perMonth"][-1]["month"] == timezone.localdate().strftime(
        "%Y-%m"
    )
    assert body["reuse"] == {"knowledgeItems": 1, "questions": 1}
    assert body["medianDaysToAnswer"] == 3.0  # both answered questions are visible to members too
    assert body["hubs"] == []
    assert "Geheime" not in response.content.decode()


@pytest.mark.parametrize(
    ("role", "total"),
    [("anonymous", None), ("outsider", 2), ("member", 3), ("coordinator", 4), ("admin", 4)],
)
def test_national_dashboard_api(
    cast: dict[str, Any], hub: Hub, field: Field, role: str, total: int | None
) -> None:
    response = client_for(cast, role).get(f"{API}/question-dashboard")
    if total is None:
        is_problem(response, 401)
        return
    body = response.json()
    assert body["total"] == total and body["hub"] is None
    assert sum(r["total"] for r in body["hubs"]) == total
    assert {"answeredFromExisting", "shareFromExisting", "medianDaysToFirstMatch", "perState"} <= set(body)


def test_hub_dashboard_api_unknown_hub_404(cast: dict[str, Any]) -> None:
    is_problem(client_for(cast, "admin").get(f"{API}/hubs/bestaat-niet/question-dashboard"), 404)


def test_dashboard_api_fixed_queries(cast: dict[str, Any], hub: Hub, other_hub: Hub, field: Field) -> None:
    client = client_for(cast, "admin")
    for url in (f"{API}/hubs/{hub.slug}/question-dashboard", f"{API}/question-dashboard"):
        few = _queries(client, url)
        _more_questions(hub, 8)
        _more_questions(other_hub, 3)
        assert _queries(client, url) == few, url


# ==== overlap ("samenhang") ================================================================================

WATER = (
    "Zoetwatertekort in de zomer: hoe houden boeren en waterschap zoet water vast in de polder "
    "en welke maatregelen tegen verzilting werken?"
)
NITROGEN = "Stikstofuitstoot van veehouderijen bij Natura 2000-gebieden verminderen: ervaring gezocht met emissiearme stallen."


@dataclass
class Overlap:
    public_here: Question  # hub, answered, with a public knowledge item
    public_there: Question  # other hub, a programme's question
    private_there: Question  # other hub, private: only its asker, that hub's coordinators and admins
    lone_public: Question  # nitrogen, public
    lone_private: Question  # nitrogen, private: its cluster shows only for admins


@pytest.fixture
def overlap_field(cast: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any) -> Overlap:
    return build_overlap(hub, other_hub, django_user_model)


def build_overlap(hub: Hub, other_hub: Hub, user_model: Any) -> Overlap:
    from plek.atlas.models import Programme, Theme
    from plek.brokering.overlap import overlap_run

    stranger = _stranger(user_model)
    water = Theme.objects.create(slug="zoetwater-test", label_nl="Zoetwater", label_en="Fresh water")
    programme = Programme.objects.create(slug="deltaprogramma-test", name="Deltaprogramma Test")
    gm, pv22 = Region.objects.get(code="GM0363"), Region.objects.get(code="PV22")
    now = timezone.now()
    here = make_q(
        owner_hub=hub,
        title="Zoetwatertekort in de polder",
        text=WATER,
        regions=[gm],
        themes=[water],
        state=S.ANSWERED,
        submitted_at=now - dt.timedelta(days=5),
    )
    item = published_answer("antwoord-zoetwatertekort", "Antwoord: zoetwatertekort")
    Answer.objects.create(question=here, text="Zo.", knowledge_item=item)
    there = make_q(
        owner_hub=other_hub,
        title="Zoetwatertekort en verzilting",
        text=WATER + " Ook in Gelderland.",
        regions=[pv22],
        themes=[water],
        programme=programme,
        submitted_at=now - dt.timedelta(days=2),
    )
    private = make_q(
        owner_hub=other_hub,
        asker=stranger,
        visibility=Visibility.PRIVATE,
        title="Geheime vraag over zoetwatertekort",
        text=WATER,
        regions=[pv22],
        themes=[water],
    )
    lone_public = make_q(owner_hub=hub, title="Stikstof bij Natura 2000", text=NITROGEN, regions=[gm])
    lone_private = make_q(
        owner_hub=other_hub,
        asker=stranger,
        visibility=Visibility.PRIVATE,
        title="Geheime stikstofvraag",
        text=NITROGEN,
        regions=[pv22],
    )
    overlap_run()
    return Overlap(here, there, private, lone_public, lone_private)


OVERLAP_PAGE = "/vragen/samenhang/"


@pytest.mark.parametrize("role", ROLES)
def test_overlap_page_shows_only_visible_questions(
    cast: dict[str, Any], overlap_field: Overlap, role: str
) -> None:
    response = client_for(cast, role).get(OVERLAP_PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert overlap_field.public_here.title in html and overlap_field.public_there.title in html
    if role == "admin":
        assert "Geheime vraag over zoetwatertekort" in html
        assert "3 vragen over" in html
        assert "Geheime stikstofvraag" in html  # and its cluster with the public one
    else:
        assert "Geheime" not in html
        assert overlap_field.private_there.slug not in html
        assert "2 vragen over" in html and "3 vragen over" not in html
        # The nitrogen cluster has one visible member: left out altogether.
        assert overlap_field.lone_public.title not in html
    assert "in 2 regio&#x27;s en 1 programma" in html or "in 2 regio's en 1 programma" in html


def test_overlap_page_links_join_and_reuse(cast: dict[str, Any], overlap_field: Overlap) -> None:
    html = client_for(cast, "outsider").get(OVERLAP_PAGE).content.decode()
    assert "/vragen/stellen/?title=Zoetwatertekort+en+verzilting&amp;themes=zoetwater-test" in html
    assert "/kennis/antwoord-zoetwatertekort/" in html  # reuse: the answer's knowledge item
    assert f"/vragen/{overlap_field.public_there.slug}/" in html


def test_overlap_reuse_falls_back_to_the_question_when_the_item_is_hidden(
    cast: dict[str, Any], overlap_field: Overlap
) -> None:
    KnowledgeItem.objects.filter(slug="antwoord-zoetwatertekort").update(visibility=Visibility.PRIVATE)
    html = client_for(cast, "outsider").get(OVERLAP_PAGE).content.decode()
    assert "/kennis/antwoord-zoetwatertekort/" not in html
    assert f"/vragen/{overlap_field.public_here.slug}/#antwoord" in html


def test_overlap_page_filters(cast: dict[str, Any], overlap_field: Overlap) -> None:
    client = client_for(cast, "admin")
    html = client.get(OVERLAP_PAGE, {"thema": "zoetwater-test"}).content.decode()
    assert "Zoetwatertekort in de polder" in html and "Geheime stikstofvraag" not in html
    html = client.get(OVERLAP_PAGE, {"gebied": "GM0363"}).content.decode()
    assert "Zoetwatertekort in de polder" in html
    html = client.get(OVERLAP_PAGE, {"gebied": "Amsterdam"}).content.decode()  # by name
    assert "Zoetwatertekort in de polder" in html
    html = client.get(OVERLAP_PAGE, {"gebied": "GM0344"}).content.decode()  # Utrecht: none there
    assert "Zoetwatertekort in de polder" not in html and "Geen groepen" in html


def test_overlap_page_bad_filter_names_the_field(cast: dict[str, Any], overlap_field: Overlap) -> None:
    client = client_for(cast, "admin")
    response = client.get(OVERLAP_PAGE, {"gebied": "XX9999", "thema": "bestaat-niet"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_gebied_error"' in html and "Onbekend gebied: XX9999" in html
    assert 'id="id_thema_error"' in html
    assert 'aria-invalid="true"' in html


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 302), ("outsider", 403), ("member", 403), ("coordinator", 302), ("admin", 302)],
)
def test_overlap_run_button_permissions(
    cast: dict[str, Any], overlap_field: Overlap, role: str, status: int
) -> None:
    from plek.brokering.models import OverlapRun

    before = list(OverlapRun.objects.values_list("pk", "finished_at"))
    response = client_for(cast, role).post(OVERLAP_PAGE + "?thema=zoetwater-test")
    assert response.status_code == status
    after = list(OverlapRun.objects.values_list("pk", "finished_at"))
    if role in ("coordinator", "admin"):
        assert response["Location"] == OVERLAP_PAGE + "?thema=zoetwater-test"
        assert len(after) == len(before) + 1
    else:
        assert after == before  # a refused request changed nothing
        if role == "anonymous":
            assert response["Location"].startswith("/accounts/inloggen/")


def test_overlap_run_button_shown_to_coordinators_only(cast: dict[str, Any], overlap_field: Overlap) -> None:
    assert "Nu opnieuw vergelijken" not in client_for(cast, "member").get(OVERLAP_PAGE).content.decode()
    assert "Nu opnieuw vergelijken" in client_for(cast, "coordinator").get(OVERLAP_PAGE).content.decode()


def test_overlap_page_before_any_run(cast: dict[str, Any], hub: Hub) -> None:
    html = client_for(cast, "admin").get(OVERLAP_PAGE).content.decode()
    assert "nog niet met elkaar vergeleken" in html


def _more_clusters(hub: Hub, n: int) -> None:
    from plek.brokering.overlap import overlap_run

    gm = Region.objects.get(code="GM0363")
    words = ["bodemdaling", "hittestress", "woningbouw", "zonneparken", "biodiversiteit", "mestopslag"]
    for i in range(n):
        topic = words[i % len(words)] + f" variant{i}"
        for j in range(2):
            make_q(
                owner_hub=hub,
                regions=[gm],
                title=f"Vraag over {topic} {j}",
                text=f"Wij willen alles weten over {topic} en {topic} in ons gebied.",
            )
    overlap_run()


def test_overlap_page_and_api_use_a_fixed_number_of_queries(
    cast: dict[str, Any], hub: Hub, overlap_field: Overlap
) -> None:
    client = client_for(cast, "coordinator")
    few = {url: _queries(client, url) for url in (OVERLAP_PAGE, f"{API}/overlap")}
    _more_clusters(hub, 6)
    assert len(client.get(f"{API}/overlap").json()["items"]) >= 5
    many = {url: _queries(client, url) for url in (OVERLAP_PAGE, f"{API}/overlap")}
    assert many == few


# ---- overlap: API --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_overlap_api_lists_only_visible_questions(
    cast: dict[str, Any], overlap_field: Overlap, role: str
) -> None:
    response = client_for(cast, role).get(f"{API}/overlap")
    assert response.status_code == 200
    body = response.json()
    assert body["run"]["questions"] == 5 and body["total"] == len(body["items"])
    slugs = {q["slug"] for c in body["items"] for q in c["questions"]}
    assert {overlap_field.public_here.slug, overlap_field.public_there.slug} <= slugs
    private = {overlap_field.private_there.slug, overlap_field.lone_private.slug}
    if role == "admin":
        assert private <= slugs
    else:
        assert not private & slugs
        assert "Geheime" not in response.content.decode()
        [water] = body["items"]
        assert water["label"].startswith("2 vragen over")
        assert water["theme"]["slug"] == "zoetwater-test"
        assert [p["slug"] for p in water["programmes"]] == ["deltaprogramma-test"]
        assert len(water["hubs"]) == 2 and len(water["regions"]) == 2
        answered = {q["slug"]: q["answered"] for q in water["questions"]}
        assert answered == {overlap_field.public_here.slug: True, overlap_field.public_there.slug: False}


def test_overlap_api_filters_and_bad_parameters(cast: dict[str, Any], overlap_field: Overlap) -> None:
    client = client_for(cast, "admin")
    assert client.get(f"{API}/overlap", {"theme": "zoetwater-test"}).json()["total"] == 1
    assert client.get(f"{API}/overlap", {"region": "GM0344"}).json()["total"] == 0
    body = is_problem(client.get(f"{API}/overlap", {"theme": "bestaat-niet"}), 400)
    assert [p["name"] for p in body["invalidParams"]] == ["theme"]
    body = is_problem(client.get(f"{API}/overlap", {"region": "XX9999"}), 400)
    assert [p["name"] for p in body["invalidParams"]] == ["region"]


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("outsider", 403), ("member", 403), ("coordinator", 201), ("admin", 201)],
)
def test_overlap_run_api_permissions(
    cast: dict[str, Any], overlap_field: Overlap, role: str, status: int
) -> None:
    from plek.brokering.models import OverlapRun

    before = list(OverlapRun.objects.values_list("pk", "finished_at"))
    response = client_for(cast, role).post(f"{API}/overlap/runs")
    after = list(OverlapRun.objects.values_list("pk", "finished_at"))
    if status == 201:
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["finishedAt"] and body["questions"] == 5 and body["clusters"] == 2
        assert response["Location"].endswith("/api/v1/overlap")
        assert len(after) == len(before) + 1
    else:
        is_problem(response, status)
        assert after == before


def test_overlap_run_api_wrong_method(cast: dict[str, Any]) -> None:
    is_problem(client_for(cast, "admin").get(f"{API}/overlap/runs"), 405)


@pytest.mark.parametrize("role", ["anonymous", "outsider", "member", "coordinator", "admin"])
def test_the_hub_page_links_its_dashboard_for_those_who_may_open_it(
    role: str, cast: dict[str, Any], hub: Any, client: Any
) -> None:
    if cast[role] is not None:
        client.force_login(cast[role])
    page = client.get(f"/kennishubs/{hub.slug}/").content.decode()
    link = f'href="/kennishubs/{hub.slug}/vragen/dashboard/"'
    assert (link in page) == (role in ("member", "coordinator", "admin"))
