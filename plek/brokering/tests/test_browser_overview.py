"""Browser tests of the brokering overviews: the samenhang page and both dashboards pass axe
(WCAG 2.1 A/AA, no serious or critical violations) in Dutch and English, and work by keyboard.

Real Chromium through Playwright against the live server (see plek/atlas/tests/test_browser.py for
the approach). Screenshots land in /tmp/plek-shots/brokering-<name>-<lang>.png."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest

from plek.atlas.models import Hub
from plek.atlas.tests.browser_helpers import (
    active,
    axe_violations,
    blocking,
    format_violations,
    login,
    screenshot,
    tab_until,
)
from plek.brokering.models import OverlapRun
from plek.brokering.tests.test_overview import build_field, build_overlap

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"


def _check(page: Any, name: str, lang: str, problems: list[str]) -> None:
    screenshot(page, f"brokering-{name}", lang)
    page.screenshot(path=str(Path(tempfile.gettempdir()) / f"brokering-{name}-{lang}.png"), full_page=True)
    where = f"{name} ({lang}) {page.url}"
    if page.get_attribute("html", "lang") != lang:
        problems.append(f"{where}: wrong <html lang>")
    if page.js_errors:
        problems.append(f"{where}: JavaScript errors: {page.js_errors}")
    if not page.inner_text("h1").strip():
        problems.append(f"{where}: empty <h1>")
    serious = blocking(axe_violations(page))
    if serious:
        problems.append(
            f"{where}: {len(serious)} serious/critical axe violation(s):\n{format_violations(serious)}"
        )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_overview_pages_pass_axe(
    live_server: Any,
    cast: dict[str, Any],
    hub: Hub,
    other_hub: Hub,
    django_user_model: Any,
    page: Any,
    lang: str,
) -> None:
    build_field(hub, other_hub, django_user_model)
    build_overlap(hub, other_hub, django_user_model)
    base = live_server.url
    login(page, base, "coordinator", PASSWORD)
    problems: list[str] = []
    pages = [
        ("overlap", "/vragen/samenhang/"),
        ("overlap-filtered", "/vragen/samenhang/?thema=zoetwater-test&gebied=GM0363"),
        ("overlap-invalid", "/vragen/samenhang/?gebied=XX9999"),
        ("dashboard-hub", f"/kennishubs/{hub.slug}/vragen/dashboard/"),
        ("dashboard", "/vragen/dashboard/"),
    ]
    for i, (name, path) in enumerate(pages):
        url = base + path
        if lang == "en" and i == 0:
            url += "?lang=en"
        response = page.goto(url)
        expected = 400 if name == "overlap-invalid" else 200
        assert response is not None and response.status == expected, (
            f"{name}: HTTP {response and response.status}"
        )
        _check(page, name, lang, problems)
    assert not problems, "\n" + "\n".join(problems)


def test_overlap_page_by_keyboard(
    live_server: Any, cast: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any, page: Any
) -> None:
    overlap = build_overlap(hub, other_hub, django_user_model)
    base = live_server.url
    login(page, base, "coordinator", PASSWORD)
    page.goto(base + "/vragen/samenhang/")

    # Filter on a theme with the keyboard alone.
    tab_until(page, lambda e: e["id"] == "id_thema")
    page.keyboard.type("Zoetwater")
    tab_until(page, lambda e: e["id"] == "id_gebied", limit=3)
    page.keyboard.type("GM0363")
    tab_until(page, lambda e: e["tag"] == "button" and e["type"] == "submit", limit=4)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "thema=zoetwater-test" in page.url and "gebied=GM0363" in page.url
    assert page.locator(".plek-cluster").count() == 1
    assert page.input_value("#id_gebied") == "GM0363"

    # The run button works by keyboard and keeps the filter.
    runs = OverlapRun.objects.count()
    tab_until(page, lambda e: "vergelijken" in e["text"])
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert OverlapRun.objects.count() == runs + 1
    assert "thema=zoetwater-test" in page.url
    assert page.locator("main [role=status]").first.inner_text().strip()

    # The join link leads to the intake, pre-filled through the query string.
    el = tab_until(page, lambda e: "/vragen/stellen/" in e["href"], limit=80)
    assert "themes=zoetwater-test" in el["href"] and "title=" in el["href"]
    # The question links are reachable too.
    page.goto(base + "/vragen/samenhang/")
    tab_until(page, lambda e: e["href"] == f"/vragen/{overlap.public_there.slug}/", limit=80)
    assert active(page)["tag"] == "a"
    screenshot(page, "brokering-overlap-keyboard", "nl")


def test_dashboards_by_keyboard(
    live_server: Any, cast: dict[str, Any], hub: Hub, other_hub: Hub, django_user_model: Any, page: Any
) -> None:
    build_field(hub, other_hub, django_user_model)
    base = live_server.url
    login(page, base, "member", PASSWORD)
    page.goto(base + "/vragen/dashboard/")
    # The skip link leads into main; from there Tab reaches the member's own hub dashboard.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert active(page)["id"] == "inhoud"
    hub_url = f"/kennishubs/{hub.slug}/vragen/dashboard/"
    tab_until(page, lambda e: e["href"] == hub_url, limit=30)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base + hub_url
    assert "Kennishub Test" in page.inner_text("h1")
    # Every chart has its data table: the bars are hidden from screen readers, the table is not.
    assert page.get_attribute(".plek-dashboard-chart", "aria-hidden") == "true"
    assert page.locator("table.plek-table caption").count() >= 2
    rows = page.locator("section[aria-labelledby=per-maand] tbody tr").count()
    assert rows == 12
    screenshot(page, "brokering-dashboard-keyboard", "nl")
    # The other hub's dashboard is refused to this member.
    response = page.goto(base + f"/kennishubs/{other_hub.slug}/vragen/dashboard/")
    assert response is not None and response.status == 403
    serious = blocking(axe_violations(page))
    assert not serious, "\n" + format_violations(serious)
