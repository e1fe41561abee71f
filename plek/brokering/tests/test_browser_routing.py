"""Browser journey (issue 11, points 1 and 4-6): a resident signs up on the home page, confirms the
address from the e-mail, asks a question in an area whose hub has no
coordinator; it reaches the next desk (the province hub); the coordinator refers it to a national
programme; the programme's broker finds it in their notifications and inbox and answers; the resident
is notified (in the list and by e-mail) and rates. An expert with an account answers an introduction
from their notifications. Axe (WCAG 2.1 A/AA) in Dutch and English on every new page.

Screenshots land in /tmp/routing-<page>-<lang>.png."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from plek.atlas.models import Hub, HubMembership, Programme, Region
from plek.atlas.reference_data import reference_load
from plek.atlas.tests.browser_helpers import (
    axe_violations,
    blocking,
    format_violations,
    login,
    new_page,
)
from plek.atlas.tests.factories import PersonFactory
from plek.brokering.models import Introduction, ProgrammeBroker, Question
from plek.brokering.tests.factories import QuestionFactory
from plek.notifications.mail import unsubscribe_token
from plek.notifications.models import Notification

pytestmark = [pytest.mark.browser]

S = Question.State
PASSWORD = "correct horse battery"
SHOTS = Path(tempfile.gettempdir())


@pytest.fixture
def world(transactional_db: Any, django_user_model: Any) -> dict[str, Any]:
    if not Region.objects.filter(code="GM0363").exists():
        reference_load()
    foodvalley = Hub.objects.create(slug="kennishub-foodvalley", name="Kennishub Foodvalley")
    foodvalley.regions.set([Region.objects.get(code="RES-FOODVALLEY")])
    province = Hub.objects.create(slug="kennishub-gelderland", name="Kennishub Gelderland")
    province.regions.set([Region.objects.get(code="PV25")])
    users = {}
    for username, display, email in [
        ("inwoner", "Ine Inwoner", "ine@example.org"),
        ("gld", "Gijs Gelderland", "gijs@example.org"),
        ("pb", "Pia Programma", "pia@example.org"),
        ("expert", "Erik Expert", "erik@example.org"),
    ]:
        users[username] = django_user_model.objects.create_user(
            username=username, display_name=display, email=email, password=PASSWORD
        )
    HubMembership.objects.create(hub=province, user=users["gld"], role=HubMembership.Role.COORDINATOR)
    programme = Programme.objects.create(slug="np-bodem", abbr="NPB", name="Nationaal Programma Bodem")
    ProgrammeBroker.objects.create(programme=programme, user=users["pb"])
    return {"foodvalley": foodvalley, "province": province, "programme": programme, **users}


def shot(page: Any, name: str, lang: str = "nl") -> None:
    page.screenshot(path=str(SHOTS / f"routing-{name}-{lang}.png"), full_page=True)


def _page(browser: Any) -> Any:
    p = new_page(browser)
    p.set_default_timeout(30_000)
    return p


def _no_axe_problems(page: Any, where: str) -> None:
    serious = blocking(axe_violations(page))
    assert not serious, f"{where}:\n{format_violations(serious)}"


def test_a_question_reaches_the_next_desk_a_programme_answers_and_the_resident_rates(
    live_server: Any, world: dict[str, Any], browser: Any
) -> None:
    base = live_server.url

    # 0. A resident without an account starts on the home page: signs up and confirms the address.
    from plek.accounts.models import User

    resident = _page(browser)
    resident.goto(base + "/")
    with resident.expect_navigation():
        resident.click("main a[href='/accounts/account-maken/']")
    resident.fill("#id_display_name", "Fatima de Vries")
    resident.fill("#id_email", "fatima@example.org")
    resident.fill("#id_username", "fatima")
    resident.fill("#id_password1", PASSWORD)
    resident.fill("#id_password2", PASSWORD)
    resident.check("#id_agree")
    mail.outbox.clear()
    with resident.expect_navigation():
        resident.click("main form.plek-form button[type=submit]")
    fatima = User.objects.get(username="fatima")
    # Not signed in until the address is confirmed.
    assert not fatima.emailaddress_set.get().verified
    assert resident.locator("header a[href^='/accounts/inloggen/']").count() == 1
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body)
    assert link and mail.outbox[-1].to == ["fatima@example.org"], mail.outbox[-1].body
    resident.goto(link.group(0))
    with resident.expect_navigation():
        resident.click("main form.plek-form button[type=submit]")
    assert fatima.emailaddress_set.get().verified
    assert "Ingelogd als Fatima de Vries" in resident.inner_text("header")

    # 1. From the home page she asks about Ede (Foodvalley: that hub has no coordinator).
    resident.goto(base + "/")
    with resident.expect_navigation():
        resident.click("main a[href='/vragen/stellen/']")
    resident.fill("#id_title", "Mogen we bodemwarmte gebruiken onder de kassen?")
    resident.fill(
        "#id_text", "Wij willen onder onze kassen in Ede een bodemwarmtesysteem aanleggen. Mag dat?"
    )
    resident.fill("#id_regions", "gemeente Ede (GM0228)")
    resident.press("#id_regions", "Enter")
    resident.select_option("#id_asker_role", "practice")
    with resident.expect_navigation():
        resident.click("form#intake-form button[type=submit]")
    question = Question.objects.get(title="Mogen we bodemwarmte gebruiken onder de kassen?")
    assert question.asker == fatima
    assert question.owner_hub == world["province"]  # not the unstaffed Foodvalley hub
    assert "Kennishub Gelderland" in resident.inner_text("main")
    assert "kennishub-gelderland" not in resident.inner_text("main")  # names, not keys
    resident.goto(base + "/meldingen/")
    assert "Uw vraag is ontvangen" in resident.inner_text("main")
    assert "1 ongelezen" in resident.inner_text("#plek-notifications")
    shot(resident, "1-received")

    # 2. The province hub's coordinator hears of it, triages it and refers it to the programme.
    coordinator = _page(browser)
    login(coordinator, base, "gld", PASSWORD)
    coordinator.goto(base + "/meldingen/")
    with coordinator.expect_navigation():
        coordinator.get_by_role(
            "link", name="Nieuwe vraag voor Kennishub Gelderland: " + question.title
        ).click()
    assert coordinator.url.endswith(f"/vragen/{question.slug}/")
    with coordinator.expect_navigation():
        coordinator.click("form[aria-labelledby=h-step-triaged] button[type=submit]")
    coordinator.select_option("#id_stap-referred-target", "programme:np-bodem")
    coordinator.fill("#id_stap-referred-note", "Landelijke regels voor bodemenergie: het programma weet dit.")
    with coordinator.expect_navigation():
        coordinator.click("form[aria-labelledby=h-step-referred] button[type=submit]")
    question.refresh_from_db()
    assert (question.state, question.referred_to_programme) == (S.REFERRED, world["programme"])
    timeline = coordinator.inner_text("#tijdlijn")
    assert (
        "Nationaal Programma Bodem" in timeline
        and "Gijs Gelderland" in timeline
        and "np-bodem" not in timeline
    )

    # 3. The programme's broker finds it in their notifications, inbox and programme page, and answers.
    broker = _page(browser)
    login(broker, base, "pb", PASSWORD)
    broker.goto(base + "/meldingen/")
    assert "Doorverwezen naar Nationaal Programma Bodem" in broker.inner_text("main")
    broker.goto(base + "/programmas/np-bodem/")
    assert question.title in broker.inner_text("#kennisvragen")
    broker.goto(base + "/programmas/np-bodem/vragen/")
    shot(broker, "3-inbox")
    _no_axe_problems(broker, "programme inbox")
    with broker.expect_navigation():
        broker.get_by_role("link", name=question.title).click()
    broker.fill("#id_antwoord-text", "Ja, met een **melding** bij de gemeente; zie de Omgevingsregeling.")
    mail.outbox.clear()
    with broker.expect_navigation():
        broker.click("#antwoord-schrijven button[type=submit]")
    question.refresh_from_db()
    assert question.state == S.ANSWERED

    # 4. The resident is told (e-mail at once, and in the list) and rates the answer.
    to_resident = [m for m in mail.outbox if m.to == ["fatima@example.org"]]
    assert any("beantwoord" in m.subject for m in to_resident), [m.subject for m in mail.outbox]
    assert all(m.extra_headers.get("List-Unsubscribe") for m in to_resident)
    resident.goto(base + "/meldingen/")
    assert "Uw vraag is beantwoord" in resident.inner_text("main")
    with resident.expect_navigation():
        resident.get_by_role("link", name="Uw vraag is beantwoord: " + question.title).click()
    assert "melding" in resident.inner_text("#antwoord")
    resident.check("#id_stap-closed-usefulness_4")  # 5
    with resident.expect_navigation():
        resident.click("form[aria-labelledby=h-step-closed] button[type=submit]")
    question.refresh_from_db()
    assert question.state == S.CLOSED and question.evaluation.usefulness == 5
    shot(resident, "4-closed")
    for p in (resident, coordinator, broker):
        assert not p.js_errors, p.js_errors
        p.context.close()


def test_an_expert_with_an_account_answers_an_introduction_from_their_notifications(
    live_server: Any, world: dict[str, Any], browser: Any
) -> None:
    from plek.atlas.permissions import viewer_for
    from plek.brokering import services

    base = live_server.url
    expert = PersonFactory(name="Erik Expert", email="erik@example.org", account=world["expert"])
    question = QuestionFactory(
        title="Wie kent bodemenergie?", owner_hub=world["province"], state=S.MATCHING, asker=world["inwoner"]
    )
    services.introduction_create(
        viewer=viewer_for(world["gld"]), question=question, person=expert, message="Erik kent dit."
    )
    page = _page(browser)
    login(page, base, "expert", PASSWORD)
    page.goto(base + "/meldingen/")
    with page.expect_navigation():
        page.get_by_role("link", name="Introductie bij een kennisvraag: Wie kent bodemenergie?").click()
    assert "Erik kent dit." in page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("button", name="Ja, ik denk mee").click()
    assert Introduction.objects.get(question=question).status == Introduction.Status.ACCEPTED
    assert "geaccepteerd" in page.inner_text("main")
    page.context.close()


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_new_pages_pass_axe_in_both_languages(
    live_server: Any, world: dict[str, Any], browser: Any, lang: str
) -> None:
    from plek.notifications.services import notification_send

    base = live_server.url
    notification_send(
        recipients=[world["pb"]], kind="referral_received", title="Doorverwezen: een vraag", url="/vragen/"
    )
    page = _page(browser)
    login(page, base, "pb", PASSWORD)
    if lang == "en":
        page.goto(base + "/meldingen/?lang=en")
    problems = []
    for name, path in [
        ("notifications", "/meldingen/"),
        ("preferences", "/meldingen/voorkeuren/"),
        ("programme-inbox", "/programmas/np-bodem/vragen/"),
        ("programme", "/programmas/np-bodem/"),
        ("unsubscribe", f"/meldingen/afmelden/{unsubscribe_token(world['pb'].pk, 'decision')}/"),
    ]:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, (name, response and response.status)
        assert page.get_attribute("html", "lang") == lang
        shot(page, name, lang)
        serious = blocking(axe_violations(page))
        if serious:
            problems.append(f"{name} ({lang}):\n{format_violations(serious)}")
    # The preferences form with an error still passes.
    page.goto(base + "/meldingen/voorkeuren/")
    page.evaluate("document.querySelector('input[name=kind-decision]').value = 'luid'")
    page.check("input[name=kind-decision]")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "aria-invalid" in page.content()
    shot(page, "preferences-error", lang)
    serious = blocking(axe_violations(page))
    if serious:
        problems.append(f"preferences-error ({lang}):\n{format_violations(serious)}")
    assert Notification.objects.filter(recipient=world["pb"]).count() == 1
    assert not problems, "\n".join(problems)
    page.context.close()
