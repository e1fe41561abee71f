"""Browser acceptance tests of the brokering pages: axe (WCAG 2.1 A/AA, no serious or critical
violations) in Dutch and English for the list, the intake, the question page with its matches, the
introduction page and the broker queue; the intake by keyboard; and the full path of a question from a
resident's intake to the asker's rating, through a real Chromium against the live server.

Screenshots land in /tmp/brokering-<page>-<lang>.png for people to look at."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any, cast

import pytest
from django.core import mail

from plek.atlas.models import Hub, Region, Theme
from plek.atlas.tests.browser_helpers import (
    active,
    axe_violations,
    blocking,
    format_violations,
    login,
    new_page,
    tab_until,
)
from plek.atlas.tests.factories import PersonFactory
from plek.brokering.models import Answer, Evaluation, Introduction, MatchFeedback, Question
from plek.brokering.tests.factories import QuestionFactory
from plek.knowledge.indexing import reindex
from plek.knowledge.models import KnowledgeItem

pytestmark = [pytest.mark.browser]

S = Question.State
PASSWORD = "correct horse battery"
# A menu label whose translation exists already: the page is really in that language. (The brokering
# strings' English comes with the catalogue the lead engineer generates.)
NAV_MAP = {"nl": "Kaart", "en": "Map"}
OPEN = {"expertise_visibility": "public", "regions_visibility": "public", "affiliation_visibility": "public"}
SHOTS = Path(tempfile.gettempdir())


def shot(page: Any, name: str, lang: str) -> None:
    page.screenshot(path=str(SHOTS / f"brokering-{name}-{lang}.png"), full_page=True)


def _field(people: dict[str, Any], hub: Hub) -> dict[str, Any]:
    """Salt in the ditches near Alkmaar: a report and an expert that match, an answered earlier question,
    a question being matched and one waiting for triage."""
    report = KnowledgeItem.objects.create(
        slug="verzilting-noord-holland",
        title="Verzilting van sloten in Noord-Holland",
        summary="Zout grondwater komt omhoog in de polders; wat betekent verzilting voor de zoetwatervoorziening?",
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
    earlier = cast(
        Question,
        QuestionFactory(
            title="Wat doen we tegen verzilting van sloten bij de bollenvelden?",
            text="Het slootwater wordt brak door verzilting en de bollenteelt heeft zoet water nodig.",
            regions=[Region.objects.get(code="GM0399")],
            state=S.ANSWERED,
            owner_hub=hub,
        ),
    )
    Answer.objects.create(question=earlier, text="Zie het rapport over verzilting.")
    matching = QuestionFactory(
        title="Zout in de sloot bij Alkmaar",
        text="Ons slootwater wordt steeds zouter door verzilting. Hoe houden we zoet water voor de bollenteelt?",
        regions=[Region.objects.get(code="GM0361")],
        themes=list(Theme.objects.filter(slug="waterkwaliteit")),
        asker=people["asker"],
        owner_hub=hub,
        broker=people["broker"],
        state=S.MATCHING,
    )
    waiting = QuestionFactory(
        title="Hoe krijgen we warmtenetten in oude dorpskernen?",
        text="Wij zoeken voorbeelden van warmtenetten in kleine kernen.",
        regions=[Region.objects.get(code="GM0361")],
        asker=people["asker"],
        owner_hub=hub,
        state=S.SUBMITTED,
    )
    reindex()
    return {"report": report, "expert": expert, "earlier": earlier, "matching": matching, "waiting": waiting}


def _check(page: Any, name: str, lang: str, problems: list[str]) -> None:
    shot(page, name, lang)
    where = f"{name} ({lang}) {page.url}"
    if page.get_attribute("html", "lang") != lang:
        problems.append(f"{where}: wrong <html lang>")
    label = page.inner_text("nav.plek-nav a[href='/kaart/']").strip()
    if label != NAV_MAP[lang]:
        problems.append(f"{where}: menu link to /kaart/ reads {label!r}")
    if page.locator("nav.plek-nav a[href='/vragen/']").count() != 1:
        problems.append(f"{where}: no menu link to the questions")
    if page.js_errors:
        problems.append(f"{where}: JavaScript errors: {page.js_errors}")
        page.js_errors.clear()
    serious = blocking(axe_violations(page))
    if serious:
        problems.append(
            f"{where}: {len(serious)} serious/critical axe violation(s):\n{format_violations(serious)}"
        )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_brokering_pages_pass_axe_in_both_languages(
    live_server: Any, people: dict[str, Any], hub: Hub, page: Any, lang: str
) -> None:
    field = _field(people, hub)
    base = live_server.url
    problems: list[str] = []
    login(page, base, "coordinator", PASSWORD)
    if lang == "en":
        page.goto(base + "/vragen/?lang=en")

    for name, path in [
        ("list", "/vragen/"),
        ("queue", "/vragen/wachtrij/"),
        ("question-submitted", f"/vragen/{field['waiting'].slug}/"),
        ("question-matching", f"/vragen/{field['matching'].slug}/"),
        ("matches", f"/vragen/{field['matching'].slug}/matches/"),
    ]:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, f"{name}: HTTP {response and response.status}"
        _check(page, name, lang, problems)

    # The intake, with similar questions and suggested themes shown while typing.
    page.goto(base + "/vragen/stellen/")
    page.fill("#id_title", "Verzilting van de sloten")
    page.fill("#id_text", "Hoe houden we zoet water in de sloten nu de verzilting toeneemt?")
    page.wait_for_selector(f"#similar-results a[href='/vragen/{field['earlier'].slug}/']")
    page.wait_for_selector("#themes-suggested")  # suggested while typing (offered, not ticked)
    assert page.locator("#theme-picker input[name=themes]:checked").count() == 0
    assert page.locator("#theme-picker .plek-theme-about").first.is_visible()  # what a theme covers
    _check(page, "intake", lang, problems)
    # Submitted empty: every error at its field, the summary focused.
    page.goto(base + "/vragen/stellen/")
    with page.expect_navigation():
        page.click("form#intake-form button[type=submit]")
    assert active(page)["id"] == "form-errors"
    _check(page, "intake-errors", lang, problems)

    # The introduced person's page (no login).
    from plek.brokering import services

    intro = Introduction.objects.create(
        question=field["matching"],
        person=field["expert"],
        message="Anna weet veel van zout water.",
        token="x",
    )
    Introduction.objects.filter(pk=intro.pk).update(token=services._secret_hash("geheim"))
    page.context.clear_cookies()
    page.goto(base + "/introducties/geheim/" + ("?lang=en" if lang == "en" else ""))
    _check(page, "introduction", lang, problems)
    assert not problems, "\n" + "\n".join(problems)


def test_intake_by_keyboard(live_server: Any, people: dict[str, Any], hub: Hub, page: Any) -> None:
    _field(people, hub)
    base = live_server.url
    login(page, base, "outsider", PASSWORD)
    page.goto(base + "/vragen/stellen/")
    tab_until(page, lambda e: e["id"] == "id_title")
    page.keyboard.type("Zoet water voor de bollenteelt")
    tab_until(page, lambda e: e["id"] == "id_text", limit=3)
    page.keyboard.type("Hoe houden we zoet water in de sloten nu de verzilting toeneemt?")
    # The live region announces only the count of similar questions.
    page.wait_for_function(
        "() => /\\d/.test(document.getElementById('similar-status').textContent)", timeout=10_000
    )
    status = page.inner_text("#similar-status").strip()
    assert re.match(r"^\d+ vergelijkbare vra(ag|gen) gevonden$", status), status
    # The area picker: type an option of the list and press Enter: it is added as a ticked box.
    tab_until(page, lambda e: e["id"] == "id_regions")
    page.keyboard.type("gemeente Alkmaar (GM0361)")
    page.keyboard.press("Enter")
    assert page.is_checked("#region-GM0361")
    assert page.input_value("#id_regions") == ""
    assert "GM0361" in page.inner_text("#region-status")
    page.keyboard.type("Zaanstad")  # a plain name works too (resolved by the server)
    tab_until(page, lambda e: e["id"] == "id_asker_role", limit=80)
    page.keyboard.type("praktijk")  # type-ahead in a closed <select>
    assert page.input_value("#id_asker_role") == "practice"
    tab_until(page, lambda e: e["inForm"] and e["type"] == "submit", limit=80)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    question = Question.objects.get(title="Zoet water voor de bollenteelt")
    assert sorted(r.code for r in question.regions.all()) == ["GM0361", "GM0479"]
    assert not question.themes.exists()  # suggested while typing, but not ticked: the asker chooses
    assert page.url == f"{base}/vragen/{question.slug}/"
    assert page.locator("main [role=status]").count() >= 1


def test_full_path_from_intake_to_rating(
    live_server: Any, people: dict[str, Any], hub: Hub, browser: Any
) -> None:
    """Acceptance 1: a resident asks; a coordinator triages, matches and introduces an expert; the
    expert accepts through the e-mailed link; the coordinator publishes the answer, which becomes a
    knowledge item found by search; the asker rates it."""
    field = _field(people, hub)
    base = live_server.url
    asker = people["asker"]
    asker.email = "bewoner@example.org"
    asker.save()

    # 1. The resident asks, sharing their e-mail with whoever is introduced.
    resident = new_page(browser)
    resident.set_default_timeout(30_000)
    login(resident, base, "asker", PASSWORD)
    resident.goto(base + "/vragen/stellen/")
    resident.fill("#id_title", "Brak slootwater bij Alkmaar")
    resident.fill(
        "#id_text", "Ons slootwater wordt brak door verzilting. Hoe houden we zoet water voor de bollenteelt?"
    )
    resident.fill("#id_regions", "gemeente Alkmaar (GM0361)")
    resident.press("#id_regions", "Enter")
    resident.select_option("#id_asker_role", "practice")
    resident.check("#id_share_contact")
    with resident.expect_navigation():
        resident.click("form#intake-form button[type=submit]")
    question = Question.objects.get(title="Brak slootwater bij Alkmaar")
    assert question.state == S.SUBMITTED and question.owner_hub == hub and question.share_contact
    shot(resident, "path-1-submitted", "nl")

    # 2. The coordinator triages it (assigning the broker) and starts matching.
    coordinator = new_page(browser)
    coordinator.set_default_timeout(30_000)
    login(coordinator, base, "coordinator", PASSWORD)
    coordinator.goto(f"{base}/vragen/{question.slug}/")
    coordinator.select_option("#id_stap-triaged-broker", "broker")
    with coordinator.expect_navigation():
        coordinator.click("form[aria-labelledby=h-step-triaged] button[type=submit]")
    question.refresh_from_db()
    assert (question.state, question.broker) == (S.TRIAGED, people["broker"])
    with coordinator.expect_navigation():
        coordinator.click("form[aria-labelledby=h-step-matching] button[type=submit]")
    question.refresh_from_db()
    assert question.state == S.MATCHING

    # 3. Accept the report and the expert among the matches (htmx swaps the work area).
    shot(coordinator, "path-2-matching", "nl")
    coordinator.get_by_role("button", name=f"Accepteren: {field['report'].title}", exact=True).click()
    coordinator.wait_for_selector(f"#h-accepted + ul li:has-text('{field['report'].title}')")
    assert active(coordinator)["id"] == "h-matches", "focus is lost after accepting"
    coordinator.get_by_role("button", name=f"Accepteren: {field['expert'].name}", exact=True).click()
    coordinator.wait_for_selector(
        f"#id_introductie-target option[value='person:{field['expert'].pk}']", state="attached"
    )
    assert MatchFeedback.objects.filter(question=question, decision="accepted").count() == 2
    shot(coordinator, "path-3-matches", "nl")

    # 4. Introduce the expert: she gets an e-mail with a private link.
    mail.outbox.clear()
    coordinator.select_option("#id_introductie-target", f"person:{field['expert'].pk}")
    coordinator.fill("#id_introductie-message", "Anna kent de verzilting in Noord-Holland als geen ander.")
    with coordinator.expect_navigation():
        coordinator.click("#introducties button[type=submit]")
    question.refresh_from_db()
    assert question.state == S.CONNECTED
    to_expert = [m for m in mail.outbox if m.to == ["anna@example.org"]]
    assert len(to_expert) == 1  # (the asker also hears the question is "in contact gebracht")
    link = re.search(r"https?://\S+/introducties/\S+/", str(to_expert[0].body))
    assert link, to_expert[0].body

    # 5. The expert opens the link (no account) and accepts; she then sees the asker's e-mail.
    expert = new_page(browser)
    expert.set_default_timeout(30_000)
    expert.goto(link.group(0))
    assert question.title in expert.inner_text("main")
    with expert.expect_navigation():
        expert.get_by_role("button", name="Ja, ik denk mee").click()
    assert "bewoner@example.org" in expert.inner_text("main")
    assert Introduction.objects.get(question=question).status == Introduction.Status.ACCEPTED
    shot(expert, "path-5-accepted", "nl")
    serious = blocking(axe_violations(expert))
    assert not serious, format_violations(serious)

    # 6. The coordinator publishes the answer with the report as its source.
    coordinator.goto(f"{base}/vragen/{question.slug}/")
    assert "anna@example.org" in coordinator.inner_text("#introducties")
    coordinator.fill(
        "#id_antwoord-text", "Leg een **zoetwaterbuffer** aan en spoel de sloten door in het voorjaar."
    )
    coordinator.check(f"input[name=antwoord-source_items][value='{field['report'].pk}']")
    with coordinator.expect_navigation():
        coordinator.click("#antwoord-schrijven button[type=submit]")
    question.refresh_from_db()
    assert question.state == S.ANSWERED
    answer = Answer.objects.get(question=question)
    assert answer.knowledge_item is not None
    assert "zoetwaterbuffer" in coordinator.inner_text("#antwoord")
    shot(coordinator, "path-6-answered", "nl")

    # The answer is a knowledge item with its own page, and search finds it.
    with coordinator.expect_navigation():
        coordinator.click("#antwoord a:has-text('Bewaard in de kennisbank')")
    assert "zoetwaterbuffer" in coordinator.inner_text("main")
    coordinator.goto(f"{base}/zoeken/?q=zoetwaterbuffer")
    assert coordinator.locator(f"main a[href='/kennis/{answer.knowledge_item.slug}/']").count() >= 1
    shot(coordinator, "path-6-search", "nl")

    # 7. The asker rates the answer and closes the question.
    resident.goto(f"{base}/vragen/{question.slug}/")
    resident.check("#id_stap-closed-usefulness_3")  # the fourth radio: 4
    resident.fill("#id_stap-closed-comment", "Heel bruikbaar, dank!")
    with resident.expect_navigation():
        resident.click("form[aria-labelledby=h-step-closed] button[type=submit]")
    question.refresh_from_db()
    assert question.state == S.CLOSED
    evaluation = Evaluation.objects.get(question=question)
    assert (evaluation.usefulness, evaluation.comment) == (4, "Heel bruikbaar, dank!")
    assert "4 van 5" in resident.inner_text("#antwoord")
    timeline = resident.inner_text("#tijdlijn")
    for label in (
        "Vraag ingediend",
        "in behandeling genomen",
        "kennis zoeken",
        "in contact gebracht",
        "beantwoord",
        "afgesloten",
    ):
        assert label in timeline, label
    shot(resident, "path-7-closed", "nl")
    serious = blocking(axe_violations(resident))
    assert not serious, format_violations(serious)
    for p in (resident, coordinator, expert):
        assert not p.js_errors, p.js_errors
        p.context.close()


def test_question_page_by_keyboard(live_server: Any, people: dict[str, Any], hub: Hub, page: Any) -> None:
    """A coordinator triages with the keyboard alone, and accepts a match with Enter: focus comes back
    to the matches heading after htmx swapped the work area."""
    field = _field(people, hub)
    base = live_server.url
    login(page, base, "coordinator", PASSWORD)
    waiting = field["waiting"]
    page.goto(f"{base}/vragen/{waiting.slug}/")
    tab_until(page, lambda e: e["id"] == "id_stap-triaged-broker", limit=80)
    page.keyboard.type("broker")  # type-ahead in a closed <select>
    assert page.input_value("#id_stap-triaged-broker") == "broker"
    tab_until(page, lambda e: e["type"] == "submit" and e["text"] == "In behandeling nemen", limit=5)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    waiting.refresh_from_db()
    assert (waiting.state, waiting.broker) == (S.TRIAGED, people["broker"])

    matching = field["matching"]
    page.goto(f"{base}/vragen/{matching.slug}/")
    name = f"Accepteren: {field['report'].title}"
    tab_until(page, lambda e: e["tag"] == "button" and e["text"] == "Accepteren", limit=120)
    page.get_by_role("button", name=name, exact=True).focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'h-matches'")
    assert MatchFeedback.objects.filter(question=matching, kind="knowledge", decision="accepted").count() == 1
    assert field["report"].title in page.inner_text("#h-accepted + ul")
    shot(page, "question-keyboard", "nl")
    assert not page.js_errors, page.js_errors
