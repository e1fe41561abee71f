"""Browser acceptance: the indicator page, the trend comparison, a scenario study and the variant
comparison pass axe (no serious or critical WCAG 2.1 A/AA violations) in Dutch and English; every
chart is drawn and has its data table; the area filter works by keyboard alone.

Real Chromium through Playwright against the live server; screenshots in /tmp/strategy-<page>-<lang>.png."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from plek.atlas.tests.browser_helpers import (
    active,
    axe_violations,
    blocking,
    format_violations,
    tab_until,
)
from plek.strategy.demo import strategy_demo
from plek.strategy.models import SolveRun, Study
from plek.strategy.services import solve_execute, study_problem

pytestmark = [pytest.mark.browser]

NAV_LABEL = {"nl": "Strategie", "en": "Strategy"}


def _solved_demo() -> Study:
    strategy_demo(seed=7)
    study = Study.objects.get(slug="ruimtepuzzel-demo")
    for variant in study.variants.all():
        run = SolveRun.objects.create(variant=variant, input_hash=study_problem(variant).input_hash())
        solve_execute(run.pk)
    return study


def _check(page: Any, name: str, lang: str, problems: list[str]) -> None:
    where = f"{name} ({lang}) {page.url}"
    charts = page.locator("[data-chart]").count()
    if charts:
        page.wait_for_function(
            "n => document.querySelectorAll('[data-chart][data-drawn]').length === n",
            arg=charts,
            timeout=15_000,
        )
        # Each chart's figure is followed by a table with the same numbers.
        missing = page.evaluate(
            """() => [...document.querySelectorAll('figure.plek-chart')].filter(f => {
                let el = f.nextElementSibling;
                while (el && !(el.matches('table') || el.querySelector('table'))) el = el.nextElementSibling;
                return !el;
            }).length"""
        )
        if missing:
            problems.append(f"{where}: {missing} chart(s) without a data table after them")
        if page.locator("[data-chart] svg").count() != charts:
            problems.append(f"{where}: not every chart drew an SVG")
    shot = Path(tempfile.gettempdir()) / f"strategy-{name}-{lang}.png"
    page.screenshot(path=str(shot), full_page=True)
    if page.get_attribute("html", "lang") != lang:
        problems.append(f"{where}: wrong html lang")
    label = page.inner_text("nav.plek-nav a[href='/strategie/']").strip()
    if label != NAV_LABEL[lang]:
        problems.append(f"{where}: menu reads {label!r}")
    bad = blocking(axe_violations(page))
    if bad:
        problems.append(f"{where}:\n{format_violations(bad)}")
    if page.js_errors:
        problems.append(f"{where}: script errors {page.js_errors}")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_strategy_pages_pass_axe_with_charts_and_tables(
    live_server: Any, ref: None, page: Any, lang: str
) -> None:
    study = _solved_demo()
    pages = [
        ("indicator", "/strategie/indicatoren/co2-uitstoot/?gebied=PV27"),
        ("trends", "/strategie/indicatoren/zonnestroom/vergelijking/"),
        ("study", f"/strategie/scenarios/{study.slug}/"),
        ("variant", f"/strategie/scenarios/{study.slug}/varianten/water-sturend/"),
        ("variants", f"/strategie/scenarios/{study.slug}/vergelijking/"),
        ("home", "/strategie/"),
    ]
    problems: list[str] = []
    for i, (name, path) in enumerate(pages):
        url = live_server.url + path
        if lang == "en" and i == 0:
            url += "&lang=en"
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        _check(page, name, lang, problems)
    assert not problems, "\n".join(problems)


def test_area_filter_and_comparison_link_by_keyboard(live_server: Any, ref: None, page: Any) -> None:
    strategy_demo(seed=7)
    page.goto(live_server.url + "/strategie/indicatoren/co2-uitstoot/?gebied=PV27")
    el = tab_until(page, lambda e: e["id"] == "gebied")
    assert el["tag"] == "select"
    page.keyboard.press("End")  # last province in the list
    el = tab_until(page, lambda e: e["tag"] == "button", limit=3)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "gebied=" in page.url and "gebied=PV27" not in page.url
    el = tab_until(page, lambda e: "/vergelijking/" in e["href"], limit=40)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/strategie/indicatoren/co2-uitstoot/vergelijking/")
    # the wide data table scrolls and can be reached by keyboard
    el = tab_until(page, lambda e: e["tag"] == "div" and "plek-scroll" in e["cls"], limit=40)
    assert active(page)["tag"] == "div"


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_a_target_set_by_keyboard_with_the_area_picker(
    live_server: Any, ref: None, page: Any, cast: dict[str, Any], lang: str
) -> None:
    """The targets page: a member types part of an area's name, picks it from the suggestions with the
    arrow keys, fills year and value, saves with Enter and sees the target in the table; axe passes
    on the page with its form and table, in Dutch and English."""
    from plek.atlas.tests.browser_helpers import login
    from plek.strategy.models import Indicator, Target

    Indicator.objects.create(
        slug="doelen-test", name="Woningvoorraad", unit="woningen", created_by=cast["member"]
    )
    login(page, live_server.url, "member", "correct horse battery")
    page.goto(
        live_server.url + "/strategie/indicatoren/doelen-test/doelen/" + ("?lang=en" if lang == "en" else "")
    )
    tab_until(page, lambda e: e["id"] == "id_region")
    page.keyboard.type("Ede")
    page.wait_for_selector("[role=listbox] [role=option]")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    tab_until(page, lambda e: e["id"] == "id_year", limit=5)
    page.keyboard.type("2030")
    tab_until(page, lambda e: e["id"] == "id_value", limit=3)
    page.keyboard.type("250")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    target = Target.objects.get(indicator__slug="doelen-test")
    assert (target.region.code, target.year, target.value) == ("GM0228", 2030, 250.0)
    assert "Ede" in page.locator(f"#doel-{target.pk}").inner_text()
    problems: list[str] = []
    _check(page, "targets", lang, problems)
    assert not problems, "\n".join(problems)
