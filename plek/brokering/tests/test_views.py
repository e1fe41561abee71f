"""The brokering pages: who sees what (a matrix over the cast plus asker and broker), every workflow
step taken through the question page, refused requests that change nothing, and bad input that gets a
message at the field — never a 500."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from plek.atlas.models import Hub, HubMembership, Region, Theme
from plek.atlas.tests.factories import NetworkFactory, PersonFactory
from plek.brokering import transitions
from plek.brokering.models import (
    Answer,
    Evaluation,
    Introduction,
    MatchFeedback,
    Question,
    QuestionEvent,
)
from plek.brokering.tests.factories import ROLES, QuestionFactory
from plek.core.models import ChangeLog, Visibility
from plek.knowledge.indexing import reindex
from plek.knowledge.models import KnowledgeItem

pytestmark = pytest.mark.django_db

S = Question.State
PASSWORD = "correct horse battery"
OPEN = {"expertise_visibility": "public", "regions_visibility": "public", "affiliation_visibility": "public"}
INTAKE = {
    "title": "Hoe houden we regenwater vast in de wijk?",
    "text": "Onze straten lopen onder bij iedere hoosbui. Wie heeft ervaring met wadi's in oude wijken?",
    "context": "Bewonersinitiatief in Amsterdam-Noord.",
    "regions": ["GM0363"],
    "themes": ["waterberging"],
    "answer_kind": "expert",
    "asker_role": "practice",
    "visibility": "public",
}


def client_for(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def snapshot() -> tuple[Any, ...]:
    """Everything a brokering request could change."""
    return (
        list(
            Question.objects.order_by("pk").values_list(
                "pk", "state", "broker_id", "owner_hub_id", "merged_into_id"
            )
        ),
        QuestionEvent.objects.count(),
        Evaluation.objects.count(),
        MatchFeedback.objects.count(),
        Introduction.objects.count(),
        Answer.objects.count(),
        KnowledgeItem.objects.count(),
        ChangeLog.objects.count(),
    )


def question_in(state: str, people: dict[str, Any], hub: Hub, **kw: Any) -> Question:
    values: dict[str, Any] = {
        "asker": people["asker"],
        "owner_hub": hub,
        "broker": people["broker"],
        "state": state,
        "regions": [Region.objects.get(code="GM0363")],
    }
    values.update(kw)
    return cast(Question, QuestionFactory(**values))


# ==== the list =============================================================================================


@pytest.mark.parametrize("role", ROLES)
def test_list_shows_private_questions_only_to_those_involved(
    role: str, people: dict[str, Any], hub: Hub
) -> None:
    public = question_in(S.SUBMITTED, people, hub, title="Een openbare vraag over dijken")
    private = question_in(
        S.SUBMITTED, people, hub, title="Een besloten vraag over erven", visibility=Visibility.PRIVATE
    )
    response = client_for(people[role]).get(reverse("brokering:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert public.title in html
    involved = role in ("asker", "broker", "coordinator", "admin")
    assert (private.title in html) == involved


def test_list_filters_and_refuses_unknown_values(people: dict[str, Any], hub: Hub) -> None:
    water = question_in(
        S.MATCHING,
        people,
        hub,
        title="Vraag over waterberging",
        themes=[Theme.objects.get(slug="waterberging")],
    )
    other = question_in(
        S.SUBMITTED, people, hub, title="Vraag in Utrecht", regions=[Region.objects.get(code="GM0344")]
    )
    client = client_for(people["outsider"])
    html = client.get(reverse("brokering:list"), {"status": "matching"}).content.decode()
    assert water.title in html and other.title not in html
    html = client.get(reverse("brokering:list"), {"thema": "water-bodem"}).content.decode()  # parent theme
    assert water.title in html and other.title not in html
    html = client.get(reverse("brokering:list"), {"gebied": "PV26"}).content.decode()  # province Utrecht
    assert other.title in html and water.title not in html
    for params, message in [
        ({"status": "bogus"}, "Onbekende status"),
        ({"thema": "bogus"}, "Onbekend thema"),
        ({"gebied": "XX99"}, "Onbekende gebiedscode"),
    ]:
        response = client.get(reverse("brokering:list"), params)
        assert response.status_code == 400
        assert message in response.content.decode()
    assert client.get(reverse("brokering:list"), {"pagina": "abc"}).status_code == 200


def test_list_uses_a_fixed_number_of_queries(
    people: dict[str, Any], hub: Hub, django_assert_max_num_queries: Any
) -> None:
    client = client_for(people["coordinator"])
    themes = list(Theme.objects.all()[:3])
    for _ in range(3):
        question_in(S.SUBMITTED, people, hub, themes=themes)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("brokering:list"))
    for _ in range(22):
        question_in(S.SUBMITTED, people, hub, themes=themes)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("brokering:list"))
    assert response.content.decode().count('class="plek-result"') == 25


# ==== the intake ===========================================================================================


def test_intake_needs_a_signed_in_user(people: dict[str, Any]) -> None:
    response = client_for(None).get(reverse("brokering:intake"))
    assert response.status_code == 302 and "/accounts/inloggen/" in response["Location"]
    before = snapshot()
    response = client_for(None).post(reverse("brokering:intake"), INTAKE)
    assert response.status_code == 302 and "/accounts/inloggen/" in response["Location"]
    assert snapshot() == before
    response = client_for(None).post(reverse("brokering:intake-similar"), {"text": "water"})
    assert response.status_code == 403


def test_intake_submits_a_question_with_areas_by_name(people: dict[str, Any], hub: Hub) -> None:
    client = client_for(people["outsider"])
    page = client.get(reverse("brokering:intake"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-area-picker" in html and 'role="listbox"' in html
    suggestions = client.get(reverse("atlas:region_suggest"), {"q": "Amsterd"}).json()["results"]
    assert suggestions[0]["label"] == "gemeente Amsterdam (GM0363)"
    assert 'aria-live="polite"' in html
    assert 'name="programme"' not in html  # only coordinators register programme questions
    data = {
        **INTAKE,
        "regions": [],
        "region_add": "gemeente Amsterdam (GM0363); Zaanstad",
        "share_contact": "on",
    }
    response = client.post(reverse("brokering:intake"), data)
    assert response.status_code == 302
    question = Question.objects.get(title=INTAKE["title"])
    assert response["Location"] == reverse("brokering:detail", args=[question.slug])
    assert sorted(r.code for r in question.regions.all()) == ["GM0363", "GM0479"]
    assert question.asker == people["outsider"] and question.share_contact
    assert question.owner_hub == hub  # routed by area


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": "", "text": ""}, "text", "Dit veld is verplicht"),
        ({"text": "x" * 20_000}, "text", "10000"),
        ({"regions": ["XX0000"]}, "regions", "XX0000"),
        ({"regions": [], "region_add": "Atlantis"}, "regions", "Atlantis"),
        ({"regions": []}, "regions", "Dit veld is verplicht"),
        ({"themes": ["geen-thema"]}, "themes", "geen-thema"),
        ({"wanted_by": "2001-01-01"}, "wanted_by", "verleden"),
        ({"wanted_by": "morgen"}, "wanted_by", "geldige datum"),
        ({"answer_kind": "orakel"}, "answer_kind", "orakel"),
    ],
)
def test_intake_shows_errors_at_the_field_and_saves_nothing(
    change: dict[str, Any], field: str, message: str, people: dict[str, Any], hub: Hub
) -> None:
    before = snapshot()
    response = client_for(people["outsider"]).post(reverse("brokering:intake"), {**INTAKE, **change})
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert message in html
    assert 'id="form-errors"' in html and f'href="#id_{field}"' in html
    assert snapshot() == before


def test_intake_offers_programme_only_to_coordinators(people: dict[str, Any], hub: Hub) -> None:
    from plek.atlas.models import Programme

    programme = Programme.objects.first()
    assert programme is not None
    html = client_for(people["coordinator"]).get(reverse("brokering:intake")).content.decode()
    assert 'name="programme"' in html
    response = client_for(people["coordinator"]).post(
        reverse("brokering:intake"), {**INTAKE, "programme": programme.slug}
    )
    assert response.status_code == 302
    assert Question.objects.get(title=INTAKE["title"]).programme == programme
    # Someone else's post of a programme is ignored, not an error.
    response = client_for(people["outsider"]).post(
        reverse("brokering:intake"), {**INTAKE, "title": "Nog een vraag", "programme": programme.slug}
    )
    assert response.status_code == 302
    assert Question.objects.get(title="Nog een vraag").programme is None


def test_similar_questions_and_suggested_themes_while_typing(people: dict[str, Any], hub: Hub) -> None:
    answered = question_in(
        S.ANSWERED,
        people,
        hub,
        title="Wadi-aanleg tegen wateroverlast in oude wijken",
        text="Hoe leggen we wadi's aan tegen wateroverlast bij hoosbuien in een oude wijk?",
    )
    Answer.objects.create(question=answered, text="Begin klein.")
    secret = question_in(
        S.SUBMITTED,
        people,
        hub,
        title="Wadi-aanleg tegen wateroverlast in ons dorp",
        text="Hoe leggen we wadi's aan tegen wateroverlast bij hoosbuien?",
        visibility=Visibility.PRIVATE,
    )
    reindex()
    url = reverse("brokering:intake-similar")
    data = {
        "title": "Wateroverlast bij hoosbuien",
        "text": "Wie heeft ervaring met wadi's tegen wateroverlast?",
    }
    html = client_for(people["outsider"]).post(url, data).content.decode()
    assert answered.title in html and f"{answered.slug}/#antwoord" in html
    assert secret.title not in html  # private: only for those involved
    assert "vergelijkbare vraag" in html and 'hx-swap-oob="innerHTML:#similar-status"' in html
    assert 'name="themes"' in html  # suggested themes, offered ...
    # The asker (of the private one) sees both.
    html = client_for(people["asker"]).post(url, data).content.decode()
    assert secret.title in html
    # ... but never ticked for the asker (a guess is not a choice); what the asker ticks stays ticked.
    first = client_for(people["outsider"]).post(url, data)
    shown = first.context["shown"]
    assert shown and first.context["suggested"] and first.context["ticked"] == set()
    again = client_for(people["outsider"]).post(url, {**data, "themes_shown": shown, "themes": shown[:1]})
    assert again.context["ticked"] == set(shown[:1])
    # Nothing typed yet: no suggestions, no error.
    assert client_for(people["outsider"]).get(url).status_code == 200


# ==== the question page ===================================================================================


@pytest.mark.parametrize("role", ROLES)
def test_question_page_matrix_for_a_private_question(role: str, people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.TRIAGED, people, hub, visibility=Visibility.PRIVATE)
    response = client_for(people[role]).get(reverse("brokering:detail", args=[question.slug]))
    involved = role in ("asker", "broker", "coordinator", "admin")
    assert response.status_code == (200 if involved else 404)
    if involved:
        html = response.content.decode()
        assert question.title in html and 'id="tijdlijn"' in html
        offered = {f.step for f in response.context["step_forms"]}
        expected = {
            s for s, roles in transitions.TRANSITIONS[S.TRIAGED].items() if roles & response.context["roles"]
        } - {S.ANSWERED}
        assert offered == expected


@pytest.mark.parametrize("role", ROLES)
def test_public_question_page_offers_steps_only_to_those_with_a_role(
    role: str, people: dict[str, Any], hub: Hub
) -> None:
    question = question_in(S.SUBMITTED, people, hub)
    response = client_for(people[role]).get(reverse("brokering:detail", args=[question.slug]))
    assert response.status_code == 200
    has_steps = bool(response.context["step_forms"])
    assert has_steps == (role in ("asker", "coordinator", "admin"))  # the broker waits for triage
    assert ('id="matches"' in response.content.decode()) is False  # no matching before triage


def test_question_page_shows_age_overdue_and_timeline(people: dict[str, Any], hub: Hub) -> None:
    old = timezone.now() - dt.timedelta(days=30)
    question = question_in(S.SUBMITTED, people, hub, submitted_at=old)
    QuestionEvent.objects.create(
        question=question, from_state=None, to_state=S.SUBMITTED, actor=people["asker"], at=old
    )
    html = (
        client_for(people["coordinator"])
        .get(reverse("brokering:detail", args=[question.slug]))
        .content.decode()
    )
    assert "30 dagen oud" in html and "te laat" in html
    assert "Vraag ingediend" in html and "asker" in html


def test_question_page_404_for_unknown(people: dict[str, Any]) -> None:
    assert (
        client_for(people["admin"]).get(reverse("brokering:detail", args=["bestaat-niet"])).status_code == 404
    )


# ==== every step through the page ==========================================================================


def _actor(roles: frozenset[str]) -> str:
    for role in ("coordinator", "broker", "asker", "admin"):
        if role in roles:
            return role
    raise AssertionError(roles)


def _step_data(
    src: str, dst: str, actor: str, question: Question, people: dict[str, Any], hub: Hub, other_hub: Hub
) -> dict[str, Any]:
    prefix = f"stap-{dst}-"
    data: dict[str, Any] = {"step": dst, "from_state": src}
    if dst == S.TRIAGED:
        data[prefix + "broker"] = "broker"
    elif dst == S.REFERRED:
        data[prefix + "target"] = f"hub:{other_hub.slug}"
        data[prefix + "note"] = "Deze vraag hoort bij de buren."
    elif dst == S.DECLINED:
        data[prefix + "note"] = "Valt buiten ons werkgebied."
    elif dst == S.MERGED:
        twin = question_in(S.SUBMITTED, people, hub, title="De tweelingvraag")
        data[prefix + "merged_into"] = twin.slug
    elif dst == S.CLOSED:
        if actor == "asker" and src in transitions.RATABLE_FROM:
            data[prefix + "usefulness"] = "4"
            data[prefix + "comment"] = "Nuttig."
        else:
            data[prefix + "note"] = "Niet meer nodig."
    else:
        data[prefix + "note"] = "Volgende stap."
    return data


@pytest.mark.parametrize(("src", "dst", "roles"), transitions.all_transitions())
def test_every_step_through_the_page(
    src: str, dst: str, roles: frozenset[str], people: dict[str, Any], hub: Hub, other_hub: Hub
) -> None:
    question = question_in(src, people, hub, broker=None if src == S.SUBMITTED else people["broker"])
    # The hub referred to has a coordinator (one without would pass the question on: test_routing.py).
    elders = get_user_model().objects.create_user(username="elders", password="x")
    HubMembership.objects.create(hub=other_hub, user=elders, role=HubMembership.Role.COORDINATOR)
    actor = _actor(roles)
    if src == S.SUBMITTED and actor == "broker":
        pytest.fail("the table never lets a broker act before triage")
    data = _step_data(src, dst, actor, question, people, hub, other_hub)
    # Someone without a role on the question is refused and nothing changes.
    before = snapshot()
    response = client_for(people["member"]).post(reverse("brokering:step", args=[question.slug]), data)
    assert response.status_code == 403
    assert snapshot() == before
    # The allowed actor takes the step.
    response = client_for(people[actor]).post(reverse("brokering:step", args=[question.slug]), data)
    assert response.status_code == 302, [(f.step, f.errors) for f in response.context["step_forms"]]
    question.refresh_from_db()
    assert question.state == dst
    assert question.events.filter(from_state=src, to_state=dst).count() == 1
    if dst == S.CLOSED and "usefulness" in "".join(data):
        assert question.evaluation.usefulness == 4


@pytest.mark.parametrize("role", ["anonymous", "outsider", "member"])
def test_steps_refused_for_those_without_a_role(role: str, people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub, broker=None)
    before = snapshot()
    response = client_for(people[role]).post(
        reverse("brokering:step", args=[question.slug]), {"step": "triaged", "from_state": "submitted"}
    )
    assert response.status_code == (302 if role == "anonymous" else 403)
    assert snapshot() == before


def test_a_step_not_in_the_table_is_a_409_page_and_changes_nothing(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub, broker=None)
    before = snapshot()
    response = client_for(people["admin"]).post(
        reverse("brokering:step", args=[question.slug]), {"step": "answered", "stap-answered-note": "x"}
    )
    assert response.status_code == 409
    assert "kan nu niet" in response.content.decode()
    assert snapshot() == before


def test_a_stale_form_is_a_409_page_and_changes_nothing(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub, broker=None)
    url = reverse("brokering:step", args=[question.slug])
    coordinator = client_for(people["coordinator"])
    assert coordinator.post(url, {"step": "triaged", "from_state": "submitted"}).status_code == 302
    before = snapshot()
    # A second coordinator's page still shows the "submitted" forms: decline from there.
    response = coordinator.post(
        url, {"step": "declined", "from_state": "submitted", "stap-declined-note": "Dubbel."}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert 'role="alert"' in html and "in behandeling genomen" in html
    assert snapshot() == before


@pytest.mark.parametrize(
    ("src", "data", "field", "message"),
    [
        (S.SUBMITTED, {"step": "declined"}, "note", "Geef een reden"),
        (S.SUBMITTED, {"step": "referred", "stap-referred-note": "Over."}, "target", "Kies één bestemming"),
        (S.SUBMITTED, {"step": "triaged", "stap-triaged-broker": "outsider"}, "broker", "geldige keuze"),
        (S.SUBMITTED, {"step": "merged"}, "merged_into", "Kies de vraag"),
        (S.SUBMITTED, {"step": "declined", "stap-declined-note": "x" * 5001}, "note", "5000"),
    ],
)
def test_a_step_with_bad_input_shows_the_form_with_errors(
    src: str, data: dict[str, Any], field: str, message: str, people: dict[str, Any], hub: Hub
) -> None:
    question = question_in(src, people, hub, broker=None)
    before = snapshot()
    response = client_for(people["coordinator"]).post(reverse("brokering:step", args=[question.slug]), data)
    assert response.status_code == 422
    html = response.content.decode()
    assert f'id="id_stap-{data["step"]}-{field}_error"' in html
    assert message in html
    assert snapshot() == before


def test_rating_needs_a_valid_score(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.ANSWERED, people, hub)
    before = snapshot()
    for bad in ("0", "9", "abc"):
        response = client_for(people["asker"]).post(
            reverse("brokering:step", args=[question.slug]),
            {"step": "closed", "stap-closed-usefulness": bad},
        )
        assert response.status_code == 422
        assert 'id="id_stap-closed-usefulness_error"' in response.content.decode()
    response = client_for(people["asker"]).post(
        reverse("brokering:step", args=[question.slug]), {"step": "closed"}
    )
    assert response.status_code == 422
    assert snapshot() == before


def test_unknown_step_is_refused(people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.SUBMITTED, people, hub, broker=None)
    before = snapshot()
    response = client_for(people["coordinator"]).post(
        reverse("brokering:step", args=[question.slug]), {"step": "klaar"}
    )
    assert response.status_code == 422
    assert snapshot() == before


# ==== matching, introductions, answers ===================================================================


@pytest.fixture
def salt(people: dict[str, Any], hub: Hub) -> dict[str, Any]:
    """A question about salt in ditches near Alkmaar, a report and an expert (with an e-mail address)."""
    report = KnowledgeItem.objects.create(
        slug="verzilting-noord-holland",
        title="Verzilting van sloten in Noord-Holland",
        summary="Zout grondwater komt omhoog in de polders; wat betekent dat voor de zoetwatervoorziening?",
        kind="report",
        category=KnowledgeItem.CATEGORY_OF["report"],
    )
    report.regions.set([Region.objects.get(code="PV27")])
    report.themes.set(Theme.objects.filter(slug="waterkwaliteit"))
    expert = PersonFactory(
        name="Anna Zoutman",
        email="anna@example.org",
        expertise="Verzilting, zoet en zout grondwater, zoetwatervoorziening voor de landbouw.",
        regions=[Region.objects.get(code="PV27")],
        themes=list(Theme.objects.filter(slug="waterkwaliteit")),
        **OPEN,
    )
    network = NetworkFactory(
        name="Netwerk zoetwater Noord-Holland", regions=[Region.objects.get(code="PV27")]
    )
    question = question_in(
        S.MATCHING,
        people,
        hub,
        title="Zout in de sloot bij Alkmaar",
        text="Ons slootwater wordt steeds zouter door verzilting. Hoe houden we genoeg zoet water voor de bollenteelt?",
        regions=[Region.objects.get(code="GM0361")],
        share_contact=True,
    )
    reindex()
    return {"report": report, "expert": expert, "network": network, "question": question}


@pytest.mark.parametrize("role", ROLES)
def test_matches_only_for_those_who_broker(role: str, salt: dict[str, Any], people: dict[str, Any]) -> None:
    question = salt["question"]
    response = client_for(people[role]).get(reverse("brokering:matches", args=[question.slug]))
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ("broker", "coordinator", "admin"):
        assert response.status_code == 200
        html = response.content.decode()
        assert salt["report"].title in html and salt["expert"].name in html
        assert "Accepteren" in html
        detail = client_for(people[role]).get(reverse("brokering:detail", args=[question.slug]))
        assert 'id="matches"' in detail.content.decode()
    else:
        assert response.status_code == 403 if role in ("outsider", "member", "asker") else 404
        detail = client_for(people[role]).get(reverse("brokering:detail", args=[question.slug]))
        assert 'id="h-matches"' not in detail.content.decode()


def test_accept_reject_and_refusals(salt: dict[str, Any], people: dict[str, Any]) -> None:
    question = salt["question"]
    url = reverse("brokering:match-feedback", args=[question.slug])
    accept = {"kind": "knowledge", "target_id": salt["report"].pk, "decision": "accepted"}
    before = snapshot()
    for role in ("outsider", "member", "asker"):
        assert client_for(people[role]).post(url, accept).status_code == 403
    assert client_for(None).post(url, accept).status_code == 302
    assert snapshot() == before
    for bad in (
        {**accept, "kind": "ufo"},
        {**accept, "decision": "misschien"},
        {**accept, "target_id": "x"},
        {**accept, "target_id": "9" * 30},
    ):
        response = client_for(people["broker"]).post(url, bad)
        assert response.status_code == 422
        assert 'role="alert"' in response.content.decode()
    assert snapshot() == before
    response = client_for(people["broker"]).post(url, accept)
    assert response.status_code == 302 and response["Location"].endswith("#matches")
    feedback = MatchFeedback.objects.get(question=question)
    assert (feedback.kind, feedback.target_id, feedback.decision) == (
        "knowledge",
        salt["report"].pk,
        "accepted",
    )
    # htmx: the same request answers with the page, of which htmx takes the work area.
    response = client_for(people["broker"]).post(
        url,
        {"kind": "network", "target_id": salt["network"].pk, "decision": "rejected"},
        HTTP_HX_REQUEST="true",
        follow=True,
    )
    assert response.status_code == 200
    assert MatchFeedback.objects.get(kind="network").decision == "rejected"
    assert (
        salt["network"].name not in response.content.decode().split('id="h-accepted"')[1].split("Tijdlijn")[0]
    )


def test_introduce_answer_and_respond(salt: dict[str, Any], people: dict[str, Any]) -> None:
    question = salt["question"]
    broker = client_for(people["broker"])
    fb = reverse("brokering:match-feedback", args=[question.slug])
    broker.post(fb, {"kind": "knowledge", "target_id": salt["report"].pk, "decision": "accepted"})
    broker.post(fb, {"kind": "person", "target_id": salt["expert"].pk, "decision": "accepted"})
    detail = broker.get(reverse("brokering:detail", args=[question.slug]))
    html = detail.content.decode()
    assert f'value="person:{salt["expert"].pk}"' in html  # offered for an introduction
    assert f'value="{salt["report"].pk}"' in html  # offered as a source

    # An empty message: the form again with the error; nothing sent.
    introduce = reverse("brokering:introduce", args=[question.slug])
    before = snapshot()
    response = broker.post(
        introduce, {"introductie-target": f"person:{salt['expert'].pk}", "introductie-message": ""}
    )
    assert response.status_code == 422 and 'id="id_introductie-message_error"' in response.content.decode()
    response = client_for(people["member"]).post(
        introduce, {"introductie-target": f"person:{salt['expert'].pk}", "introductie-message": "Hallo"}
    )
    assert response.status_code == 403
    assert snapshot() == before and not mail.outbox

    response = broker.post(
        introduce,
        {
            "introductie-target": f"person:{salt['expert'].pk}",
            "introductie-message": "Anna weet alles van zout.",
        },
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.state == S.CONNECTED
    intro = Introduction.objects.get(question=question)
    assert len(mail.outbox) == 0  # sent after commit; the test transaction never commits
    # The asker sees the introduction, without contact details until the expert accepts.
    html = client_for(people["asker"]).get(reverse("brokering:detail", args=[question.slug])).content.decode()
    assert "Anna Zoutman" in html and "anna@example.org" not in html

    # The expert's page, by the secret link (no login): the secret is only in the e-mail, so make one.
    from plek.brokering import services

    secret = "geheim-voor-de-test"
    Introduction.objects.filter(pk=intro.pk).update(token=services._secret_hash(secret))
    page = client_for(None).get(reverse("brokering:introduction-respond", args=[secret]))
    assert page.status_code == 200 and question.title in page.content.decode()
    assert people["asker"].email not in page.content.decode() if people["asker"].email else True
    assert client_for(None).get(reverse("brokering:introduction-respond", args=["fout"])).status_code == 404
    response = client_for(None).post(
        reverse("brokering:introduction-respond", args=[secret]), {"accept": "1"}
    )
    assert response.status_code == 302
    people["asker"].email = "asker@example.org"
    people["asker"].save()
    page = client_for(None).get(reverse("brokering:introduction-respond", args=[secret]))
    assert "asker@example.org" in page.content.decode()  # the asker agreed to share it
    again = client_for(None).post(reverse("brokering:introduction-respond", args=[secret]), {"accept": "0"})
    assert again.status_code == 409 and "al geantwoord" in again.content.decode()
    html = client_for(people["asker"]).get(reverse("brokering:detail", args=[question.slug])).content.decode()
    assert "anna@example.org" in html

    # The answer: empty is refused at the field; then published with its source.
    answer_url = reverse("brokering:answer", args=[question.slug])
    before = snapshot()
    response = broker.post(answer_url, {"antwoord-text": ""})
    assert response.status_code == 422 and 'id="id_antwoord-text_error"' in response.content.decode()
    assert (
        client_for(people["asker"]).post(answer_url, {"antwoord-text": "Ik weet het zelf"}).status_code == 403
    )
    assert snapshot() == before
    response = broker.post(
        answer_url,
        {
            "antwoord-text": "Spoel de sloten door met **zoet water**.",
            "antwoord-source_items": [str(salt["report"].pk)],
        },
    )
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.state == S.ANSWERED
    answer = Answer.objects.get(question=question)
    assert list(answer.source_items.all()) == [salt["report"]]
    html = client_for(people["asker"]).get(reverse("brokering:detail", args=[question.slug])).content.decode()
    assert "<strong>zoet water</strong>" in html
    assert answer.knowledge_item is not None
    assert reverse("knowledge:detail", args=[answer.knowledge_item.slug]) in html
    # Answering twice is a clear refusal, not a 500.
    response = broker.post(answer_url, {"antwoord-text": "Nog eens."})
    assert response.status_code in (403, 409, 422)


def test_answer_text_is_sanitised(salt: dict[str, Any], people: dict[str, Any]) -> None:
    question = salt["question"]
    response = client_for(people["broker"]).post(
        reverse("brokering:answer", args=[question.slug]),
        {"antwoord-text": "Zie <script>alert(1)</script> [link](javascript:alert(1))"},
    )
    assert response.status_code == 302
    html = client_for(people["asker"]).get(reverse("brokering:detail", args=[question.slug])).content.decode()
    answer_html = html.split('id="h-answer"')[1].split("</section>")[0]
    assert "<script>" not in answer_html and 'href="javascript:' not in answer_html
    assert "&lt;script&gt;" in answer_html or "alert(1)" not in answer_html


# ==== the queue ============================================================================================


@pytest.mark.parametrize("role", ROLES)
def test_queue_is_for_brokers_and_coordinators(role: str, people: dict[str, Any], hub: Hub) -> None:
    question = question_in(S.TRIAGED, people, hub, visibility=Visibility.PRIVATE)
    response = client_for(people[role]).get(reverse("brokering:queue"))
    if role == "anonymous":
        assert response.status_code == 302
    elif role in ("broker", "coordinator", "admin"):
        assert response.status_code == 200
        assert question.title in response.content.decode()
    else:
        assert response.status_code == 403
        assert question.title not in response.content.decode()


def test_queue_filters_by_state_overdue_and_mine(people: dict[str, Any], hub: Hub) -> None:
    old = timezone.now() - dt.timedelta(days=40)
    late = question_in(S.TRIAGED, people, hub, title="Een oude vraag", submitted_at=old)
    fresh = question_in(S.MATCHING, people, hub, title="Een nieuwe vraag", broker=None)
    client = client_for(people["coordinator"])
    html = client.get(reverse("brokering:queue")).content.decode()
    assert late.title in html and fresh.title in html and "te laat" in html
    html = client.get(reverse("brokering:queue"), {"status": "matching"}).content.decode()
    assert fresh.title in html and late.title not in html
    html = client.get(reverse("brokering:queue"), {"te-laat": "1"}).content.decode()
    assert late.title in html and fresh.title not in html
    html = client_for(people["broker"]).get(reverse("brokering:queue"), {"mijn": "1"}).content.decode()
    assert late.title in html and fresh.title not in html
    response = client.get(reverse("brokering:queue"), {"status": "bogus", "pagina": "x"})
    assert response.status_code == 400 and "Onbekende status" in response.content.decode()


def test_queue_uses_a_fixed_number_of_queries(
    people: dict[str, Any], hub: Hub, django_assert_max_num_queries: Any
) -> None:
    client = client_for(people["coordinator"])
    for _ in range(3):
        question_in(S.TRIAGED, people, hub)
    with django_assert_max_num_queries(14) as few:
        client.get(reverse("brokering:queue"))
    for _ in range(22):
        question_in(S.TRIAGED, people, hub)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("brokering:queue"))
    assert response.content.decode().count("<tr") == 26  # header + 25


def test_question_page_queries_do_not_grow_with_the_timeline(
    people: dict[str, Any], hub: Hub, django_assert_max_num_queries: Any
) -> None:
    question = question_in(S.SUBMITTED, people, hub, broker=None)
    client = client_for(people["asker"])
    url = reverse("brokering:detail", args=[question.slug])

    def events(n: int) -> None:
        for i in range(n):
            QuestionEvent.objects.create(
                question=question,
                from_state=S.SUBMITTED,
                to_state=S.SUBMITTED,
                actor=people["coordinator"],
                note=f"{i}",
            )

    events(2)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    events(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.content.decode().count("plek-note") == 32


def test_introduction_page_refuses_a_too_long_note(salt: dict[str, Any], people: dict[str, Any]) -> None:
    from plek.brokering import services

    intro = Introduction.objects.create(
        question=salt["question"], person=salt["expert"], message="Hallo", token="x"
    )
    Introduction.objects.filter(pk=intro.pk).update(token=services._secret_hash("geheim"))
    url = reverse("brokering:introduction-respond", args=["geheim"])
    response = client_for(None).post(url, {"accept": "1", "note": "x" * 5001})
    assert response.status_code == 422 and 'id="id_note_error"' in response.content.decode()
    intro.refresh_from_db()
    assert intro.status == Introduction.Status.PENDING
    response = client_for(None).post(url, {"accept": "0", "note": "Geen tijd."})
    assert response.status_code == 302
    intro.refresh_from_db()
    assert (intro.status, intro.response_note) == (Introduction.Status.DECLINED, "Geen tijd.")
    html = client_for(None).get(url).content.decode()
    assert "afgeslagen" in html and "example.org" not in html


def test_suggested_themes_say_what_they_cover_in_the_visitors_language(people: dict[str, Any]) -> None:
    """A suggested theme comes with what it covers (Theme.description / description_en, from the
    reference load), tied to its checkbox for screen readers; a theme without one shows its name only."""
    url = reverse("brokering:intake-similar")
    data = {
        "title": "Inspraak van bewoners",
        "text": "Hoe laten we bewoners meepraten over het plan voor het dorp?",
    }
    participation = Theme.objects.get(slug="participatie")
    assert participation.description and participation.description_en  # the reference load filled both
    response = client_for(people["outsider"]).post(url, data)
    suggested = response.context["suggested"]
    assert suggested and all(t.description for t in suggested)
    html = response.content.decode()
    for theme in suggested:
        about = f'id="theme-{theme.slug}-about"'
        assert about in html and f'aria-describedby="theme-{theme.slug}-about"' in html
        assert escape(theme.description) in html and escape(theme.description_en) not in html
    english = client_for(people["outsider"]).post(f"{url}?lang=en", data, HTTP_ACCEPT_LANGUAGE="en")
    html = english.content.decode()
    assert english.context["suggested"]
    for theme in english.context["suggested"]:
        assert escape(theme.description_en) in html and escape(theme.description) not in html
    # Without a description: the name only, and no dangling reference.
    Theme.objects.filter(pk__in=[t.pk for t in suggested]).update(description="", description_en="")
    html = client_for(people["outsider"]).post(url, data).content.decode()
    assert "plek-theme-about" not in html and '-about"' not in html
