"""Browser acceptance tests (real Chromium through Playwright, axe-core WCAG 2.1 A/AA):

* the whole path: a signal is raised and supported (by keyboard), bundled into a proposal,
  submitted, put on a meeting agenda, decided with amendments, its follow-up action completed, the
  proposal closed, and the decision on the public log and in the Atom feed; a stale step answers with
  a clear message (409) and changes nothing;
* a standard through consultation with a comment, adoption and a hub's self-assessment;
* the signals list, a signal, a proposal, a meeting, a standard with its consultation, the decision
  log and the bodies page pass axe in Dutch and English. Screenshots: /tmp/governance-<name>-<lang>.png."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from plek.atlas.tests.browser_helpers import (
    active,
    axe_violations,
    blocking,
    format_violations,
    login,
    new_page,
    tab_until,
)
from plek.governance import services
from plek.governance.forms import CommentForm
from plek.governance.models import Decision, FollowUpAction, Meeting, Proposal, Signal
from plek.governance.tests.conftest import v
from plek.governance.tests.factories import make_proposal, make_signal, make_standard, to_state

pytestmark = [pytest.mark.browser]
PASSWORD = "correct horse battery"


def as_user(browser: Any, base: str, username: str | None) -> Any:
    page = new_page(browser)
    if username:
        login(page, base, username, PASSWORD)
    return page


def submit(page: Any, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def shot(page: Any, name: str) -> None:
    page.screenshot(path=str(Path(tempfile.gettempdir()) / f"governance-{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True)
def test_whole_path_in_the_browser(
    live_server: Any, gov: dict[str, Any], meeting: Meeting, browser: Any
) -> None:
    base = live_server.url
    # A member raises a signal.
    member = as_user(browser, base, "member")
    member.goto(f"{base}/governance/signalen/nieuw/")
    submit(member, "form.plek-form button[type=submit]")  # empty: errors at the fields
    assert member.locator("#form-errors").is_visible()
    assert active(member)["id"] == "form-errors"
    member.select_option("#id_kind", "obstacle")
    member.fill("#id_title", "Meetdata grondwater niet deelbaar")
    member.fill("#id_description", "Gemeenten krijgen de **meetgegevens** niet.")
    member.fill("#id_regions", "GM0363")  # the area picker: a code or name, resolved by the server
    member.press("#id_regions", "Tab")
    submit(member, "form.plek-form button[type=submit]")
    signal = Signal.objects.get()
    assert member.url.endswith(f"/governance/signalen/{signal.pk}/")
    assert member.locator("h1").inner_text() == "Meetdata grondwater niet deelbaar"
    member.context.close()

    # Someone else supports it, with the keyboard only.
    outsider = as_user(browser, base, "outsider")
    outsider.goto(f"{base}/governance/signalen/{signal.pk}/")
    tab_until(outsider, lambda el: el["id"] == "support-comment")
    outsider.keyboard.type("Ook in onze gemeente.")
    tab_until(outsider, lambda el: el["tag"] == "button" and el["text"] == "Steunen")
    with outsider.expect_navigation():
        outsider.keyboard.press("Enter")
    assert "Ook in onze gemeente." in outsider.locator(".gov-supports").inner_text()
    outsider.context.close()

    # An Initiative group member bundles it into a proposal and submits it.
    ini = as_user(browser, base, "initiative")
    ini.goto(f"{base}/governance/signalen/{signal.pk}/")
    submit(ini, "text=Nieuw agendavoorstel vanuit dit signaal")
    assert ini.locator(f"input[name=signals][value='{signal.pk}']").is_checked()
    ini.fill("#id_title", "Afspraken over het delen van meetdata")
    ini.fill("#id_rationale", "Meerdere gemeenten melden hetzelfde.")
    ini.fill("#id_expected_effect", "Minder dubbel meten.")
    ini.fill("#id_decision_requested", "Stem in met regionale afspraken.")
    submit(ini, "form.plek-form button[type=submit]")
    proposal = Proposal.objects.get()
    stale = new_page(browser)  # a second tab of the same person, opened before the submission
    stale.context.add_cookies(ini.context.cookies())
    stale.goto(f"{base}/governance/voorstellen/{proposal.pk}/")
    submit(ini, "button:has-text('Indienen bij de Stuurgroep')")
    assert "ingediend" in ini.locator(".gov-state").first.inner_text()
    # The stale tab offers a step that no longer exists: a clear message, nothing changes.
    events_before = proposal_events(proposal)
    response = submit_response(stale, "button:has-text('Indienen bij de Stuurgroep')")
    assert response.status == 409
    assert "Deze stap kan niet" in stale.locator("#step-error").inner_text()
    assert active(stale)["id"] == "step-error"
    shot(stale, "proposal-409-nl")
    assert proposal_events(proposal) == events_before
    stale.context.close()
    ini.context.close()

    # The Steering group's chair puts it on the agenda, decides, follows up and closes it.
    chair = as_user(browser, base, "chair")
    chair.goto(f"{base}/governance/voorstellen/{proposal.pk}/")
    chair.select_option("#step-meeting", str(meeting.pk))
    submit(chair, "button:has-text('Agenderen')")
    chair.check("#outcome-amended")
    chair.fill("#d-text", "Aangenomen: eerst twee regio's.")
    submit(chair, "button:has-text('Besluit vastleggen')")  # amendments need reasons
    assert "Geef de overwegingen bij dit besluit." in chair.locator("#step-error").inner_text()
    chair.fill("#d-reasons", "Eerst leren in twee regio's.")
    submit(chair, "button:has-text('Besluit vastleggen')")
    assert Decision.objects.get().outcome == "amended"
    submit(chair, "button:has-text('Uitvoering starten')")
    chair.click("text=Vervolgactie toevoegen")
    chair.fill("#id_description", "Pilot in twee regio's")
    chair.fill("#id_owner_name", "Joost Hermans")
    chair.fill("#id_due_date", (timezone.localdate() + dt.timedelta(days=60)).isoformat())
    submit(chair, "button:has-text('Actie toevoegen')")
    action = FollowUpAction.objects.get()
    chair.select_option(f"#as-{action.pk}", "done")
    submit(chair, f"form[action$='/acties/{action.pk}/'] button")
    action.refresh_from_db()
    assert action.status == "done" and action.progress == 100
    chair.fill("#close-note", "Pilot afgerond.")
    submit(chair, "form:has(input[value=closed]) button")
    proposal.refresh_from_db()
    assert proposal.state == "closed"
    shot(chair, "proposal-closed-nl")
    chair.context.close()

    # The decision is on the public log and in the feed.
    anon = as_user(browser, base, None)
    anon.goto(f"{base}/governance/besluiten/")
    assert "Afspraken over het delen van meetdata" in anon.locator("table").inner_text()
    assert "aangenomen met wijzigingen" in anon.locator("table").inner_text()
    feed = anon.request.get(f"{base}/governance/besluiten/feed/")
    assert feed.ok and "Afspraken over het delen van meetdata" in feed.text()
    anon.context.close()
    signal.refresh_from_db()
    assert signal.state == "bundled" and signal.supports.count() == 1


def proposal_events(proposal: Proposal) -> list[tuple[str, str]]:
    from plek.governance.models import Event

    return list(
        Event.objects.filter(target="proposal", target_id=proposal.pk).values_list("from_state", "to_state")
    )


def submit_response(page: Any, selector: str) -> Any:
    with page.expect_navigation() as nav:
        page.click(selector)
    return nav.value


@pytest.mark.django_db(transaction=True)
def test_standard_consultation_adoption_and_self_assessment(
    live_server: Any, gov: dict[str, Any], hub: Any, browser: Any
) -> None:
    base = live_server.url
    standard = make_standard(gov["initiative"])
    ini = as_user(browser, base, "initiative")
    ini.goto(f"{base}/governance/standaarden/{standard.slug}/")
    submit(ini, "button:has-text('In consultatie brengen')")
    ini.context.close()
    member = as_user(browser, base, "member")
    member.goto(f"{base}/governance/standaarden/{standard.slug}/")
    member.select_option("#c-section", "terugkoppeling")
    member.fill("#c-text", "Vier weken is kort voor onderzoeksvragen.")
    submit(member, "button:has-text('Reactie plaatsen')")
    assert "Vier weken is kort" in member.locator("#onderdeel-terugkoppeling").inner_text()
    member.context.close()
    chair = as_user(browser, base, "chair")
    chair.goto(f"{base}/governance/standaarden/{standard.slug}/")
    chair.fill("#a-text", "De Stuurgroep stelt de standaard vast.")
    submit(chair, "button:has-text('Vaststellen')")
    assert "vastgesteld" in chair.locator(".gov-state").first.inner_text()
    chair.context.close()
    coordinator = as_user(browser, base, "coordinator")
    coordinator.goto(f"{base}/governance/standaarden/{standard.slug}/")
    submit(coordinator, f"text={hub.name}")
    coordinator.check("#met-0")
    submit(coordinator, "form.plek-form button[type=submit]")  # met without evidence
    assert "Onderbouw met bewijs" in coordinator.locator("#form-errors").inner_text()
    coordinator.fill("#evidence-0", "Intakeformulier met de vrager.")
    submit(coordinator, "form.plek-form button[type=submit]")
    overview = coordinator.locator("section[aria-labelledby=adoptie-h]").inner_text()
    assert hub.name in overview and "1 / 2" in overview
    coordinator.context.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_pages_pass_axe_in_both_languages(
    live_server: Any, gov: dict[str, Any], meeting: Meeting, hub: Any, browser: Any, lang: str
) -> None:
    base = live_server.url
    signal = make_signal(gov["outsider"], regions=["GM0363"])
    services.signal_support(viewer=v(gov["member"]), signal=signal, comment="Herkenbaar.")
    proposal = to_state(make_proposal(gov["initiative"], [signal]), "follow_up", gov, meeting)
    secret = make_proposal(
        gov["initiative"], title="Geheim", confidential=True, confidential_reason="Personeel"
    )
    to_state(secret, "decided", gov, meeting)
    standard = make_standard(gov["initiative"])
    version = standard.versions.get()
    services.version_transition(viewer=v(gov["initiative"]), version=version, to_state="consultation")
    services.comment_add(
        viewer=v(gov["member"]),
        version=version,
        form=CommentForm(data={"section": "vraagarticulatie", "text": "Geef een voorbeeld."}),
    )
    pages = [
        ("bodies", "/governance/"),
        ("signals", "/governance/signalen/"),
        ("signal", f"/governance/signalen/{signal.pk}/"),
        ("proposal", f"/governance/voorstellen/{proposal.pk}/"),
        ("proposals", "/governance/voorstellen/"),
        ("meeting", f"/governance/vergaderingen/{meeting.pk}/"),
        ("meetings", "/governance/vergaderingen/"),
        ("standard", f"/governance/standaarden/{standard.slug}/"),
        ("decisions", "/governance/besluiten/"),
        ("signal-form", "/governance/signalen/nieuw/"),
    ]
    problems: list[str] = []
    for who in ("chair", None):
        page = as_user(browser, base, who)
        for i, (name, path) in enumerate(pages):
            url = f"{base}{path}" + ("?lang=en" if lang == "en" and i == 0 else "")
            page.goto(url)
            if page.get_attribute("html", "lang") != lang:
                problems.append(f"{name}: html lang is not {lang}")
            bad = blocking(axe_violations(page))
            if bad:
                problems.append(f"{name} ({who}, {lang}):\n{format_violations(bad)}")
            if page.js_errors:  # type: ignore[attr-defined]
                problems.append(f"{name}: JS errors {page.js_errors}")  # type: ignore[attr-defined]
            shot(page, f"{name}-{who or 'anonymous'}-{lang}")
        page.context.close()
    assert not problems, "\n".join(problems)
