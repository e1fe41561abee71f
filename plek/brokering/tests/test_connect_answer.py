"""Introductions (consent before contact details), answers published as knowledge, and overlap
clusters that never show a private question."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail

from plek.atlas.models import Hub, Region
from plek.atlas.tests.factories import NetworkFactory, PersonFactory, ProgrammeFactory
from plek.brokering import overlap, selectors, services
from plek.brokering.models import Answer, Introduction, OverlapCluster, Question
from plek.brokering.tests.factories import QuestionFactory, as_viewer
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.models import Visibility
from plek.knowledge.models import KnowledgeItem
from plek.knowledge.selectors import SearchParams, search

S = Question.State


@pytest.fixture
def question(people: dict[str, Any], hub: Hub) -> Question:
    people["asker"].email = "asker@example.org"
    people["asker"].save()
    return QuestionFactory(
        title="Hoe krijgen we een warmtenet in ons dorp?",
        text="Wij willen als dorp van het gas af met een collectief warmtenet. Wie heeft dat eerder gedaan?",
        regions=[Region.objects.get(code="GM0361")],
        asker=people["asker"],
        owner_hub=hub,
        broker=people["broker"],
        state=S.MATCHING,
        share_contact=True,
    )


def secret_from_mail() -> str:
    found = re.search(r"/introducties/([^/\s]+)/", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(1)


def test_introduction_email_consent_and_contact(
    question: Question, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    expert = PersonFactory(name="Wim Warmte", email="wim@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        intro = services.introduction_create(
            viewer=as_viewer(people["broker"]),
            question=question,
            person=expert,
            message="Wim bouwde het warmtenet in Heiloo.",
        )
    question.refresh_from_db()
    assert question.state == S.CONNECTED  # the first introduction moves matching -> connected
    assert mail.outbox[-1].to == ["wim@example.org"]
    assert "warmtenet" in mail.outbox[-1].body
    assert "wim@example.org" not in mail.outbox[-1].body and "asker@example.org" not in mail.outbox[-1].body
    # before consent nobody sees contact details
    views = selectors.introductions_for(viewer=as_viewer(people["asker"]), question=question)
    assert [(v.name, v.contact) for v in views] == [("Wim Warmte", None)]
    assert selectors.asker_contact_for_introduction(intro) is None
    secret = secret_from_mail()
    assert intro.token != secret  # only a hash is stored
    accepted = services.introduction_respond(secret=secret, accept=True, note="Graag!")
    assert accepted.status == Introduction.Status.ACCEPTED
    views = selectors.introductions_for(viewer=as_viewer(people["asker"]), question=question)
    assert views[0].contact == "wim@example.org"
    assert selectors.asker_contact_for_introduction(accepted) == "asker@example.org"
    assert selectors.introductions_for(viewer=as_viewer(people["outsider"]), question=question) == []
    with pytest.raises(ValidationFailed):  # once only
        services.introduction_respond(secret=secret, accept=False)
    with pytest.raises(PermissionDenied):
        services.introduction_respond(secret="not-a-secret", accept=True)


def test_asker_contact_stays_hidden_without_consent(
    question: Question, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    question.share_contact = False
    question.save()
    expert = PersonFactory(email="x@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.introduction_create(
            viewer=as_viewer(people["broker"]), question=question, person=expert, message="Graag kennismaken."
        )
    intro = services.introduction_respond(secret=secret_from_mail(), accept=True)
    assert selectors.asker_contact_for_introduction(intro) is None


def test_declined_introduction_shows_no_contact(
    question: Question, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    expert = PersonFactory(email="y@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.introduction_create(
            viewer=as_viewer(people["broker"]), question=question, person=expert, message="Graag kennismaken."
        )
    services.introduction_respond(secret=secret_from_mail(), accept=False, note="Geen tijd.")
    views = selectors.introductions_for(viewer=as_viewer(people["asker"]), question=question)
    assert views[0].introduction.status == "declined" and views[0].contact is None


def test_network_introduction_goes_to_its_coordinator(
    question: Question, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from plek.atlas.models import NetworkMember

    network = NetworkFactory(name="Warmtenetwerk")
    contact = PersonFactory(email="coord@example.org")
    NetworkMember.objects.create(network=network, person=contact, role="coordinator")
    with django_capture_on_commit_callbacks(execute=True):
        services.introduction_create(
            viewer=as_viewer(people["broker"]),
            question=question,
            network=network,
            message="Kunnen jullie helpen?",
        )
    assert mail.outbox[-1].to == ["coord@example.org"]


@pytest.mark.parametrize(
    "role", ["anonymous", "outsider", "member", "asker", "coordinator", "admin", "broker"]
)
def test_who_may_introduce(
    role: str, question: Question, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    expert = PersonFactory(email="z@example.org")
    allowed = role in ("coordinator", "admin", "broker")
    with django_capture_on_commit_callbacks(execute=True):
        if allowed:
            services.introduction_create(
                viewer=as_viewer(people[role]), question=question, person=expert, message="Hallo"
            )
        else:
            with pytest.raises(PermissionDenied):
                services.introduction_create(
                    viewer=as_viewer(people[role]), question=question, person=expert, message="Hallo"
                )
    assert Introduction.objects.count() == (1 if allowed else 0)
    # The expert's e-mail; besides it the asker hears that the question is "in contact gebracht".
    assert len([m for m in mail.outbox if m.to == ["z@example.org"]]) == (1 if allowed else 0)
    assert len(mail.outbox) == (2 if allowed else 0)
    question.refresh_from_db()
    assert question.state == (S.CONNECTED if allowed else S.MATCHING)


def test_bad_introductions_are_refused(question: Question, people: dict[str, Any]) -> None:
    viewer = as_viewer(people["broker"])
    no_mail = PersonFactory(email="")
    expert = PersonFactory(email="e@example.org")
    hidden = PersonFactory(email="h@example.org", visibility=Visibility.PRIVATE)
    cases = [
        ({"person": expert, "message": "  "}, "message"),
        ({"person": expert, "message": "x" * 6000}, "message"),
        ({"person": no_mail, "message": "Hallo"}, "target"),
        ({"person": hidden, "message": "Hallo"}, "target"),
        ({"message": "Hallo"}, "target"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            services.introduction_create(viewer=viewer, question=question, **kwargs)
        assert field in exc.value.errors
    assert Introduction.objects.count() == 0 and len(mail.outbox) == 0


def test_publishing_an_answer_makes_searchable_knowledge(
    question: Question, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    source = KnowledgeItem.objects.create(
        slug="warmtenet-heiloo", title="Warmtenet Heiloo", kind="case", category="practice"
    )
    expert = PersonFactory(name="Wim Warmte")
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_publish(
            viewer=as_viewer(people["broker"]),
            question=question,
            text="Begin met een energiecoöperatie; zie het **warmtenet** in Heiloo.",
            source_items=[source],
            source_people=[expert],
        )
    question.refresh_from_db()
    assert question.state == S.ANSWERED
    item = answer.knowledge_item
    assert item is not None and item.kind == "answered_question" and item.title == question.title
    assert item.visibility == question.visibility
    assert list(answer.source_items.all()) == [source] and list(answer.source_people.all()) == [expert]
    assert answer.from_existing  # nobody was introduced
    found = search(viewer=as_viewer(people["outsider"]), params=SearchParams(q="warmtenet dorp"))
    assert f"knowledge:{item.pk}" in [h.key for h in found.result.hits]
    # the asker rates it
    services.question_transition(
        viewer=as_viewer(people["asker"]),
        question=question,
        to_state=S.CLOSED,
        usefulness=4,
        comment="Heel bruikbaar",
    )
    question.refresh_from_db()
    assert question.state == S.CLOSED and question.evaluation.usefulness == 4


@pytest.mark.parametrize("role", ["anonymous", "outsider", "member", "asker"])
def test_refused_answer_changes_nothing(role: str, question: Question, people: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        services.answer_publish(viewer=as_viewer(people[role]), question=question, text="Antwoord")
    assert not Answer.objects.exists() and not KnowledgeItem.objects.filter(kind="answered_question").exists()
    question.refresh_from_db()
    assert question.state == S.MATCHING


def test_answer_needs_text_and_a_state_that_allows_it(question: Question, people: dict[str, Any]) -> None:
    viewer = as_viewer(people["broker"])
    with pytest.raises(ValidationFailed) as exc:
        services.answer_publish(viewer=viewer, question=question, text="   ")
    assert "text" in exc.value.errors
    question.state = S.SUBMITTED
    question.save()
    with pytest.raises(ValidationFailed) as exc:
        services.answer_publish(viewer=viewer, question=question, text="Antwoord")
    assert "question" in exc.value.errors
    assert not KnowledgeItem.objects.filter(kind="answered_question").exists()


# --------------------------------------------------------------------------------------------------
# Overlap


@pytest.fixture
def overlapping(
    people: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any
) -> dict[str, Question]:
    programme = ProgrammeFactory(name="Programma Water en Bodem Sturend")
    stranger = django_user_model.objects.create_user(username="stranger", password="x" * 12)
    text = "Er is te weinig zoet water in droge zomers; hoe vangen we regenwater op voor de landbouw?"
    made = {
        "alkmaar": QuestionFactory(
            title="Zoetwatertekort in droge zomers",
            text=text,
            regions=[Region.objects.get(code="GM0361")],
            owner_hub=hub,
        ),
        "twente": QuestionFactory(
            title="Zoetwatertekort voor de landbouw",
            text=text + " Bij ons in Twente.",
            regions=[Region.objects.get(code="GM0153")],
            owner_hub=other_hub,
        ),
        "programme": QuestionFactory(
            title="Zoet water vasthouden in droge zomers",
            text=text,
            regions=[Region.objects.get(code="PV26")],
            programme=programme,
        ),
        "private": QuestionFactory(
            title="Zoetwatertekort bij ons bedrijf",
            text=text,
            regions=[Region.objects.get(code="GM0399")],
            visibility=Visibility.PRIVATE,
            asker=stranger,
            owner_hub=other_hub,
        ),
        "other": QuestionFactory(
            title="Parkeren bij het station",
            text="Waar laten we de fietsen bij het station?",
            regions=[Region.objects.get(code="GM0361")],
        ),
    }
    made["stranger"] = stranger  # type: ignore[assignment]
    return made


def test_overlap_clusters_across_hubs_and_programmes(
    overlapping: dict[str, Any], people: dict[str, Any]
) -> None:
    run = overlap.overlap_run()
    assert run.clusters == 1 and run.questions == 5
    stored = OverlapCluster.objects.get()
    assert {q.pk for q in stored.questions.all()} == {
        overlapping[k].pk for k in ("alkmaar", "twente", "programme", "private")
    }
    view = overlap.overlap_clusters(viewer=as_viewer(people["outsider"]))
    assert len(view) == 1
    shown = {q.pk for q in view[0].questions}
    assert overlapping["private"].pk not in shown and len(shown) == 3
    assert (
        "3 vragen over" in view[0].label and "3 regio's" in view[0].label and "1 programma" in view[0].label
    )
    assert "zoetwatertekort" in view[0].cluster.terms or "zoet" in view[0].cluster.terms
    owner = overlap.overlap_clusters(viewer=as_viewer(overlapping["stranger"]))
    assert overlapping["private"].pk in {q.pk for q in owner[0].questions}
    assert overlap.overlap_run().clusters == 1  # deterministic; a second run gives the same


def test_a_cluster_with_fewer_than_two_visible_questions_is_hidden(
    people: dict[str, Any], django_user_model: Any
) -> None:
    stranger = django_user_model.objects.create_user(username="stranger2", password="x" * 12)
    text = "Hoe voorkomen we hittestress op schoolpleinen in de zomer?"
    QuestionFactory(title="Hittestress schoolplein", text=text, regions=[Region.objects.get(code="GM0361")])
    QuestionFactory(
        title="Hittestress op het schoolplein",
        text=text,
        regions=[Region.objects.get(code="GM0399")],
        visibility=Visibility.PRIVATE,
        asker=stranger,
        created_by=stranger,
    )
    overlap.overlap_run()
    assert overlap.overlap_clusters(viewer=as_viewer(people["outsider"])) == []
    assert overlap.overlap_clusters(viewer=as_viewer(people["anonymous"])) == []
    assert len(overlap.overlap_clusters(viewer=as_viewer(people["admin"]))) == 1


def test_overlap_filters_and_bounded_queries(
    overlapping: dict[str, Any], people: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    from plek.atlas.models import Theme

    overlap.overlap_run()
    viewer = as_viewer(people["admin"])
    assert len(overlap.overlap_clusters(viewer=viewer, region=Region.objects.get(code="PV27"))) == 1
    assert overlap.overlap_clusters(viewer=viewer, region=Region.objects.get(code="PV20")) == []
    assert overlap.overlap_clusters(viewer=viewer, theme=Theme.objects.get(slug="wonen")) == []
    with django_assert_max_num_queries(6):
        overlap.overlap_clusters(viewer=viewer)


def test_the_search_page_links_questions_to_their_page(question: Question, client: Any) -> None:
    from plek.knowledge.indexing import reindex

    reindex()
    page = client.get("/zoeken/", {"q": "warmtenet dorp", "type": "question"}).content.decode()
    assert f'href="/vragen/{question.slug}/"' in page


def test_a_published_answer_is_listed_once_in_the_all_tab(
    question: Question, people: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        answer = services.answer_publish(
            viewer=as_viewer(people["broker"]),
            question=question,
            text="Begin met een **energiecoöperatie**; zie [de handreiking](https://example.org/h).",
        )
    outsider = as_viewer(people["outsider"])
    everything = search(viewer=outsider, params=SearchParams(q=question.title))
    titled = [h.key for h in everything.result.hits if h.title == question.title]
    assert titled == [f"knowledge:{answer.knowledge_item_id}"]  # the answer, not the question as well
    assert "**" not in everything.result.hits[0].snippet and "](" not in everything.result.hits[0].snippet
    questions = search(viewer=outsider, params=SearchParams(q=question.title, type="question"))
    assert f"question:{question.pk}" in [h.key for h in questions.result.hits]  # its own tab still has it
