"""Reflow (WCAG 1.4.10) at 320 px on every page kind, axe on the pages issue 16 added or changed in
Dutch and English, and the area picker used by keyboard alone.

Real Chromium through Playwright against the live server with the demo data (the same steps as
`plek demo`, fewer knowledge items). Screenshots in /tmp/plek-shots/reflow-<name>.png."""

from __future__ import annotations

from typing import Any

import pytest

from plek.atlas.tests.browser_helpers import (
    axe_violations,
    blocking,
    format_violations,
    login,
    new_page,
    screenshot,
)

pytestmark = [pytest.mark.browser]


def _demo() -> None:
    from plek.core.hooks import hooks

    for step in hooks.demo_steps:
        step(scale="small", seed=2026, items=60)


def _pages() -> list[tuple[str, str]]:
    """One page of every kind, found in the demo data."""
    from plek.atlas.models import Hub, Network, Organisation, Person, Programme
    from plek.brokering.models import Question
    from plek.governance.models import Decision, Signal
    from plek.knowledge.models import KnowledgeItem
    from plek.learning.models import Trajectory
    from plek.strategy.models import Study

    study = Study.objects.order_by("id").first()
    variant = study.variants.order_by("id").first() if study else None
    pages = [
        ("home", "/"),
        ("region", "/gebieden/GM0363/"),
        ("regions", "/gebieden/"),
        ("busyness", "/gebieden/GM0363/drukte/"),
        ("map", "/kaart/"),
        ("graph", "/netwerk/?gebied=PV27"),
        ("list", "/organisaties/"),
        ("organisation", f"/organisaties/{Organisation.objects.order_by('id').first().slug}/"),  # type: ignore[union-attr]
        ("person", f"/kennishouders/{Person.objects.order_by('id').first().slug}/"),  # type: ignore[union-attr]
        ("network", f"/netwerken/{Network.objects.order_by('id').first().slug}/"),  # type: ignore[union-attr]
        ("hub", f"/kennishubs/{Hub.objects.order_by('id').first().slug}/"),  # type: ignore[union-attr]
        ("programme", f"/programmas/{Programme.objects.order_by('id').first().slug}/"),  # type: ignore[union-attr]
        ("search", "/zoeken/?q=water"),
        ("knowledge", "/kennis/"),
        ("item", f"/kennis/{KnowledgeItem.objects.order_by('id').first().slug}/"),  # type: ignore[union-attr]
        ("questions", "/vragen/"),
        ("question", f"/vragen/{Question.objects.order_by('id').first().slug}/"),  # type: ignore[union-attr]
        ("intake", "/vragen/stellen/"),
        ("trajectories", "/leertrajecten/"),
        ("trajectory", f"/leertrajecten/{Trajectory.objects.order_by('id').first().slug}/"),  # type: ignore[union-attr]
        ("signals", "/governance/signalen/"),
        ("strategy", "/strategie/"),
        ("indicator", "/strategie/indicatoren/co2-uitstoot/?gebied=PV27"),
        ("trends", "/strategie/indicatoren/co2-uitstoot/vergelijking/"),
        ("targets", "/strategie/indicatoren/co2-uitstoot/doelen/"),
        ("import", "/strategie/indicatoren/importeren/"),
        ("custom-area", "/gebieden/eigen/nieuw/"),
        ("study-new", "/strategie/scenarios/nieuw/"),
    ]
    signal = Signal.objects.order_by("id").first()
    if signal:
        pages.append(("signal", f"/governance/signalen/{signal.pk}/"))
    decision = Decision.objects.order_by("id").first()
    if decision:
        pages.append(("decision", f"/governance/besluiten/{decision.pk}/"))
    if study and variant:
        pages += [
            ("study", f"/strategie/scenarios/{study.slug}/"),
            ("study-edit", f"/strategie/scenarios/{study.slug}/bewerken/"),
            ("variant", f"/strategie/scenarios/{study.slug}/varianten/{variant.slug}/"),
            ("variant-edit", f"/strategie/scenarios/{study.slug}/varianten/{variant.slug}/bewerken/"),
            ("variants", f"/strategie/scenarios/{study.slug}/vergelijking/"),
        ]
    return pages


# Pages added or changed for issue 16 (area picker, strategy authoring, StatLine import, search).
AXE_PAGES = {
    "custom-area",
    "study-new",
    "study-edit",
    "variant-edit",
    "import",
    "search",
    "questions",
    "intake",
    "list",
}


def test_every_page_kind_reflows_at_320px_and_new_pages_pass_axe(
    live_server: Any, ref: None, browser: Any
) -> None:
    _demo()
    pages = _pages()
    page = new_page(browser)
    page.set_default_timeout(60_000)  # a busy CI machine
    try:
        login(page, live_server.url, "beheerder", "demo-wachtwoord")
        page.set_viewport_size({"width": 320, "height": 640})
        problems: list[str] = []
        for name, path in pages:
            response = page.goto(live_server.url + path)
            if response is None or response.status != 200:
                problems.append(f"{name} {path}: HTTP {response and response.status}")
                continue
            page.wait_for_timeout(150)
            sizes = page.evaluate(
                "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
            )
            if sizes[0] > sizes[1]:
                wide = page.evaluate(
                    """() => [...document.querySelectorAll('body *')].filter(e => {
                        const r = e.getBoundingClientRect(); return r.right > document.documentElement.clientWidth + 1;
                    }).slice(0, 3).map(e => e.tagName.toLowerCase() + '.' + (e.className || '') + '#' + e.id)"""
                )
                problems.append(
                    f"{name} {path}: scrolls sideways at 320 px ({sizes[0]} > {sizes[1]}): {wide}"
                )
            screenshot(page, f"reflow-{name}", "nl")
            if page.js_errors:
                problems.append(f"{name}: script errors {page.js_errors}")
                page.js_errors.clear()
        page.set_viewport_size({"width": 1280, "height": 900})
        for lang in ("nl", "en"):
            for name, path in pages:
                if name not in AXE_PAGES:
                    continue
                url = live_server.url + path + ("&" if "?" in path else "?") + f"lang={lang}"
                page.goto(url)
                if page.get_attribute("html", "lang") != lang:
                    problems.append(f"{name} ({lang}): html lang is {page.get_attribute('html', 'lang')}")
                bad = blocking(axe_violations(page))
                if bad:
                    problems.append(f"{name} ({lang}) {path}:\n{format_violations(bad)}")
        assert not problems, "\n".join(problems)
    finally:
        page.context.close()


def test_area_picker_by_keyboard(live_server: Any, ref: None, browser: Any, cast: dict[str, Any]) -> None:
    from plek.atlas.models import Region

    page = new_page(browser)
    page.set_default_timeout(60_000)  # a busy CI machine
    try:
        login(page, live_server.url, "coordinator", "correct horse battery")
        page.goto(live_server.url + "/gebieden/eigen/nieuw/")
        page.fill("#id_name", "Gelderse Vallei")
        picker = page.locator("#id_municipalities")
        assert picker.get_attribute("role") == "combobox"
        assert picker.get_attribute("aria-expanded") == "false"
        picker.focus()
        page.keyboard.type("Ede")
        page.wait_for_selector("#id_municipalities_listbox [role=option]")
        assert picker.get_attribute("aria-expanded") == "true"
        page.keyboard.press("ArrowDown")
        active = picker.get_attribute("aria-activedescendant")
        assert active and page.locator(f"#{active}").get_attribute("aria-selected") == "true"
        assert "Ede" in page.inner_text(f"#{active}")
        page.keyboard.press("Enter")
        assert picker.input_value() == ""
        page.wait_for_function(
            "() => document.getElementById('id_municipalities_status').textContent.includes('Ede')"
        )
        assert page.locator("#id_municipalities_chosen input[value=GM0228]").is_checked()
        # a second one, then Escape closes the list without choosing
        page.keyboard.type("Barnev")
        page.wait_for_selector("#id_municipalities_listbox [role=option]")
        page.keyboard.press("Enter")
        page.keyboard.type("Scherp")
        page.wait_for_selector("#id_municipalities_listbox:not([hidden]) [role=option]")
        page.keyboard.press("Escape")
        assert picker.get_attribute("aria-expanded") == "false"
        assert page.locator("#id_municipalities_chosen input").count() == 2
        page.keyboard.press("Escape")  # clears what was typed
        with page.expect_navigation():
            page.click("form.plek-form button[type=submit]")
        area = Region.objects.get(name="Gelderse Vallei")
        assert sorted(area.child_links.values_list("child__code", flat=True)) == ["GM0203", "GM0228"]
        assert not page.js_errors
    finally:
        page.context.close()
