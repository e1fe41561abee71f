"""The coordinator's consent pages in Chromium: the list of profiles without consent and the consent
form (empty, with errors, recorded) pass axe (WCAG 2.1 A/AA) in Dutch and English; the history page
shows field labels. Screenshots: $PLEK_SHOTS_DIR/consent-<page>-<lang>.png."""

from __future__ import annotations

from typing import Any

import pytest

from plek.atlas.models import Hub, Person
from plek.atlas.tests.browser_helpers import (
    axe_violations,
    blocking,
    format_violations,
    login,
    new_page,
    screenshot,
)

pytestmark = [pytest.mark.browser]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_consent_pages_pass_axe_and_record(
    live_server: Any, browser: Any, cast: dict[str, Any], hub: Hub, lang: str
) -> None:
    person = Person.objects.create(
        slug="wilma-waterman",
        name="Wilma Waterman",
        owner_hub=hub,
        visibility="private",
        visibility_requested="hub",
    )
    base, problems = live_server.url, []
    page = new_page(browser)
    page.set_default_timeout(30_000)

    def check(name: str) -> None:
        screenshot(page, f"consent-{name}", lang)
        assert page.get_attribute("html", "lang") == lang
        serious = blocking(axe_violations(page))
        if serious:
            problems.append(f"{name} ({lang}):\n{format_violations(serious)}")

    login(page, base, "coordinator", "correct horse battery")
    page.goto(f"{base}/?lang={lang}")
    page.goto(f"{base}/kennishubs/{hub.slug}/leden/")
    with page.expect_navigation():
        page.click("main a[href='/kennishouders/zonder-toestemming/']")
    check("missing")
    with page.expect_navigation():
        page.click("main a[href='/kennishouders/wilma-waterman/toestemming/']")
    check("form")
    page.fill("#id_given_on", "2999-01-01")
    with page.expect_navigation():
        page.click("main form.plek-form button[type=submit]")
    assert page.locator("#id_given_on_error").count() == 1 and page.locator("#id_basis_error").count() == 1
    check("form-errors")
    page.fill("#id_given_on", "2025-03-14")
    page.check("#id_basis_2")  # on paper
    page.check("#id_groups_2")  # expertise
    with page.expect_navigation():
        page.click("main form.plek-form button[type=submit]")
    person.refresh_from_db()
    assert person.consent_basis == "paper" and person.consent_groups == ["expertise"]
    assert person.visibility == "hub" and person.consent_recorded_by == cast["coordinator"]
    check("recorded")
    page.goto(f"{base}/kennishouders/wilma-waterman/geschiedenis/")
    check("history")
    text = page.inner_text("main")
    assert "consent_basis" not in text
    assert ("Toestemming gegeven via" if lang == "nl" else "Consent given through") in text
    assert not page.js_errors, page.js_errors
    page.context.close()
    assert not problems, "\n".join(problems)
