"""Browser acceptance tests (acceptance 5): the trajectory page, the agenda with its history view, an
agenda item, a session, the timeline and the printable learning history pass axe (WCAG 2.1 A/AA, no
serious or critical violations) in Dutch and English; the history view and the change form work by
keyboard; the print stylesheet hides the site's chrome.

Real Chromium through Playwright against the live server, with the demo trajectories built through
the services. Screenshots land in /tmp/learning-<name>-<lang>.png."""

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
    tab_until,
)

pytestmark = [pytest.mark.browser]
PASSWORD = "correct horse battery"
SHOTS = Path(tempfile.gettempdir())  # /tmp/learning-<name>-<lang>.png
NAV_LABEL = {"nl": "Leertrajecten", "en": "Learning trajectories"}


def _demo(hub: Hub) -> dict[str, Any]:
    from plek.learning.demo import learning_demo
    from plek.learning.models import Trajectory

    learning_demo()
    t = Trajectory.objects.get(title="Zoetwater in Noord-Holland Noord")
    Trajectory.objects.filter(pk=t.pk).update(owner_hub=hub)
    return {"t": t, "session": t.sessions.order_by("date").first()}


def _check(page: Any, name: str, lang: str, problems: list[str]) -> None:
    page.screenshot(path=str(SHOTS / f"learning-{name}-{lang}.png"), full_page=True)
    where = f"{name} ({lang}) {page.url}"
    if page.get_attribute("html", "lang") != lang:
        problems.append(f"{where}: wrong <html lang>")
    label = page.inner_text("nav.plek-nav a[href='/leertrajecten/']").strip()
    if label != NAV_LABEL[lang]:
        problems.append(f"{where}: menu link reads {label!r}")
    if page.js_errors:
        problems.append(f"{where}: JavaScript errors {page.js_errors}")
        page.js_errors.clear()
    serious = blocking(axe_violations(page))
    if serious:
        problems.append(f"{where}: serious/critical axe violations:\n{format_violations(serious)}")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_learning_pages_pass_axe_in_both_languages(
    live_server: Any, hub: Hub, cast: Any, page: Any, lang: str
) -> None:
    data = _demo(hub)
    slug = data["t"].slug
    base = live_server.url
    pages = [
        ("trajectory", f"/leertrajecten/{slug}/"),
        ("agenda", f"/leertrajecten/{slug}/agenda/"),
        ("agenda-history", f"/leertrajecten/{slug}/agenda/?van=2000-01-01&tot=2100-01-01"),
        ("agenda-item", f"/leertrajecten/{slug}/agenda/1/"),
        ("session", f"/leertrajecten/{slug}/sessies/{data['session'].pk}/"),
        ("timeline", f"/leertrajecten/{slug}/tijdlijn/"),
        ("print", f"/leertrajecten/{slug}/leergeschiedenis/"),
        ("list", "/leertrajecten/"),
        ("lessons", "/lessen/"),
        ("barriers", "/leren/drempels/"),
    ]
    problems: list[str] = []
    for i, (name, path) in enumerate(pages):
        url = base + path + (("&" if "?" in path else "?") + "lang=en" if lang == "en" and i == 0 else "")
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{name}: HTTP {response and response.status}"
        _check(page, name, lang, problems)
    login(page, base, "coordinator", PASSWORD)
    page.goto(f"{base}/leertrajecten/{slug}/agenda/1/wijzigen/")
    _check(page, "agenda-change-form", lang, problems)
    assert not problems, "\n" + "\n".join(problems)


def test_the_history_view_and_the_change_form_work_by_keyboard(
    live_server: Any, hub: Hub, cast: Any, page: Any
) -> None:
    data = _demo(hub)
    slug = data["t"].slug
    base = live_server.url
    page.goto(f"{base}/leertrajecten/{slug}/agenda/")
    el = tab_until(page, lambda e: e["id"] == "op", limit=40)
    assert el["tag"] == "input"
    page.keyboard.type("01012025")  # Chromium's date field takes the digits in the locale's order
    page.keyboard.press("Enter")
    page.wait_for_url("**/agenda/?op=*")
    assert "op=" in page.url
    el = tab_until(page, lambda e: e["id"] == "van", limit=40)
    page.keyboard.type("01012020")
    tab_until(page, lambda e: e["id"] == "tot", limit=5)
    page.keyboard.type("01012100")
    page.keyboard.press("Enter")
    page.wait_for_url("**van=*")
    assert page.locator("ol.plek-changes > li").count() >= 5
    page.screenshot(path=str(SHOTS / "learning-agenda-history-keyboard.png"), full_page=True)

    # The change form: an error moves focus to the summary, which links to the field.
    login(page, base, "coordinator", PASSWORD)
    page.goto(f"{base}/leertrajecten/{slug}/agenda/3/wijzigen/")
    tab_until(page, lambda e: e["id"] == "id_valid_from", limit=60)
    page.keyboard.type("01012000")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    el = active(page)
    assert el["id"] == "form-errors", el
    page.screenshot(path=str(SHOTS / "learning-agenda-change-error.png"), full_page=True)
    tab_until(page, lambda e: e["href"] == "#id_valid_from", limit=5)


def test_the_print_view_hides_the_site_chrome(live_server: Any, hub: Hub, page: Any) -> None:
    data = _demo(hub)
    page.goto(f"{live_server.url}/leertrajecten/{data['t'].slug}/leergeschiedenis/")
    assert page.locator("header.plek-header").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("header.plek-header").is_visible()
    assert not page.locator("#print-button").is_visible()
    assert page.locator("blockquote.plek-lh-quote").first.is_visible()
    page.screenshot(path=str(SHOTS / "learning-print-media.png"), full_page=True)
    page.pdf(path=str(SHOTS / "learning-history.pdf"))
