"""Browser acceptance tests: the main pages in Dutch and English pass axe (WCAG 2.1 A/AA, no serious or
critical violations), and the skip link, the main menu and the edit form work with the keyboard alone.

Real Chromium through Playwright against pytest-django's live server. The live server needs a
transactional database that is flushed after every test, so each test builds its own data and checks
several pages in one go. Screenshots land in /tmp/plek-shots/<name>-<lang>.png for people to look at."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from plek.atlas.models import Hub, Organisation
from plek.atlas.tests.browser_helpers import (
    active,
    axe_violations,
    blocking,
    format_violations,
    login,
    screenshot,
    tab_until,
)

pytestmark = [
    pytest.mark.browser,
]

PASSWORD = "correct horse battery"  # the `cast` fixture's password
# One known string per language in the main menu (the link to /kaart/).
NAV_MAP_LABEL = {"nl": "Kaart", "en": "Map"}
PUBLIC_PAGES = [
    ("home", "/"),
    ("region", "/gebieden/GM0363/"),
    ("busyness", "/gebieden/GM0363/drukte/"),
    ("map", "/kaart/"),
    ("graph", "/netwerk/?gebied=PV27"),
    ("list", "/netwerken/"),
    ("login", "/accounts/inloggen/"),
]
EDITED_SLUG = "testbureau-ruimte"


def _boundaries() -> bool:
    """Load region shapes when the (optional, never committed) boundary file is present."""
    path = Path(settings.PLEK_BOUNDARIES_FILE)
    if not path.exists():
        return False
    from plek.atlas.boundaries import boundaries_import

    return boundaries_import(path).matched > 0


def _field(hub: Hub) -> dict[str, Any]:
    from plek.atlas.demo import Demo

    has_shapes = _boundaries()
    Demo("small").run()
    org = Organisation.objects.create(
        slug=EDITED_SLUG,
        name="Testbureau Ruimte",
        kind=Organisation.Kind.COMPANY,
        owner_hub=hub,
        description="Een organisatie die de kennishub-coördinator mag bewerken.",
    )
    return {"has_shapes": has_shapes, "org": org}


def _wait_for_widgets(page: Any, name: str, has_shapes: bool) -> None:
    if name == "map" and has_shapes:
        page.wait_for_selector("#map path.leaflet-interactive", state="attached")
        page.wait_for_selector("#legend li", state="attached")
    elif name == "graph":
        page.wait_for_selector("#graph canvas", state="attached")
        page.wait_for_timeout(300)  # let the layout settle before the screenshot


def _check_page(page: Any, name: str, lang: str, problems: list[str], has_shapes: bool = False) -> None:
    """Language, a translated menu label, JavaScript errors and axe; records problems instead of stopping."""
    _wait_for_widgets(page, name, has_shapes)
    screenshot(page, name, lang)
    where = f"{name} ({lang}) {page.url}"
    html_lang = page.get_attribute("html", "lang")
    if html_lang != lang:
        problems.append(f"{where}: <html lang={html_lang!r}>, expected {lang!r}")
    label = page.inner_text("nav.plek-nav a[href='/kaart/']").strip()
    if label != NAV_MAP_LABEL[lang]:
        problems.append(f"{where}: menu link to /kaart/ reads {label!r}, expected {NAV_MAP_LABEL[lang]!r}")
    if page.js_errors:
        problems.append(f"{where}: JavaScript errors: {page.js_errors}")
        page.js_errors.clear()
    if not page.inner_text("h1").strip():
        problems.append(f"{where}: empty <h1>")
    serious = blocking(axe_violations(page))
    if serious:
        problems.append(
            f"{where}: {len(serious)} serious/critical axe violation(s):\n{format_violations(serious)}"
        )


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_pages_pass_axe_in_both_languages(
    live_server: Any, cast: dict[str, Any], hub: Hub, page: Any, lang: str
) -> None:
    field = _field(hub)
    base = live_server.url
    problems: list[str] = []

    for i, (name, path) in enumerate(PUBLIC_PAGES):
        url = base + path
        if lang == "en" and i == 0:
            url += ("&" if "?" in path else "?") + "lang=en"  # once; the middleware remembers it in a cookie
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{name}: HTTP {response and response.status}"
        _check_page(page, name, lang, problems, has_shapes=field["has_shapes"])
        if name == "map" and field["has_shapes"]:
            shapes = page.locator("#map path.leaflet-interactive").count()
            if shapes < 12:
                problems.append(f"map ({lang}): only {shapes} province shapes drawn")

    login(page, base, "coordinator", PASSWORD)
    for name, path in [
        ("create", "/organisaties/nieuw/"),
        ("edit", f"/organisaties/{EDITED_SLUG}/bewerken/"),
    ]:
        response = page.goto(base + path)
        assert response is not None and response.status == 200, f"{name}: HTTP {response and response.status}"
        _check_page(page, name, lang, problems)

    assert not problems, "\n" + "\n".join(problems)


def test_skip_link_and_main_menu_by_keyboard(live_server: Any, ref: None, page: Any) -> None:
    base = live_server.url
    page.goto(base + "/")

    # The skip link is the first Tab stop, becomes visible, and moves focus to <main>.
    page.keyboard.press("Tab")
    el = active(page)
    assert "plek-skip" in el["cls"] and el["href"] == "#inhoud", f"first Tab stop is {el}"
    box = page.locator("a.plek-skip").bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"skip link not visible when focused: {box}"
    page.keyboard.press("Enter")
    el = active(page)
    assert el["tag"] == "main" and el["id"] == "inhoud", f"skip link moved focus to {el}"
    # The next Tab continues inside main, not back in the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => !!document.activeElement.closest('main')"), active(page)

    # Every main-menu link is reached with Tab, in order, without traps.
    page.goto(base + "/")
    expected = page.eval_on_selector_all("nav.plek-nav a", "els => els.map(a => a.getAttribute('href'))")
    assert len(expected) >= 8, expected
    el = tab_until(page, lambda e: e["inNav"], limit=15)
    walked = []
    while el["inNav"]:
        walked.append(el["href"])
        page.keyboard.press("Tab")
        el = active(page)
    assert walked == expected, f"Tab order through the menu: {walked}, expected {expected}"

    # Shift+Tab back to a menu link and follow it with Enter.
    tab_until(page, lambda e: e["href"] == "/netwerken/", limit=len(expected) + 2, key="Shift+Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == base + "/netwerken/"
    assert page.get_attribute("nav.plek-nav a[href='/netwerken/']", "aria-current") == "page"

    # Without region shapes the map page is just the table (and still accessible).
    page.goto(base + "/kaart/")
    assert page.locator("#map").count() == 0
    assert page.locator("table.plek-table tbody tr").count() >= 12
    screenshot(page, "map-table-only", "nl")
    serious = blocking(axe_violations(page))
    assert not serious, "\n" + format_violations(serious)


def test_edit_form_by_keyboard(live_server: Any, cast: dict[str, Any], hub: Hub, page: Any) -> None:
    coordinator = cast["coordinator"]
    Organisation.objects.create(
        slug=EDITED_SLUG, name="Testbureau Ruimte", kind=Organisation.Kind.COMPANY, owner_hub=hub
    )
    before = Organisation.objects.count()
    base = live_server.url
    login(page, base, "coordinator", PASSWORD)

    # Invalid: choose a kind but leave the required name empty, submit with Enter on the button.
    page.goto(base + "/organisaties/nieuw/")
    tab_until(page, lambda e: e["id"] == "id_name")
    tab_until(page, lambda e: e["id"] == "id_kind", limit=3)
    page.keyboard.type("bedrijf")  # type-ahead in a closed <select>
    assert page.input_value("#id_kind") == Organisation.Kind.COMPANY
    tab_until(page, lambda e: e["inForm"] and e["type"] == "submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    summary = active(page)
    assert summary["id"] == "form-errors", f"focus after an invalid submission is on {summary}"
    assert page.get_attribute("#form-errors", "role") == "alert"
    assert page.get_attribute("#id_name", "aria-invalid") == "true"
    described = (page.get_attribute("#id_name", "aria-describedby") or "").split()
    assert "id_name_error" in described, described
    assert page.inner_text("#id_name_error").strip(), "the name error is empty"
    assert page.locator("#form-errors a[href='#id_name']").count() == 1
    assert page.input_value("#id_kind") == Organisation.Kind.COMPANY, "the chosen kind was lost"
    assert Organisation.objects.count() == before
    screenshot(page, "create-invalid", "nl")
    serious = blocking(axe_violations(page))
    assert not serious, "\n" + format_violations(serious)

    # From the summary, the error link takes focus to the field; fix it and submit again.
    tab_until(page, lambda e: e["href"] == "#id_name", limit=3)
    page.keyboard.press("Enter")
    assert active(page)["id"] == "id_name", active(page)
    page.keyboard.type("Kennisatelier Toetsenbord")
    tab_until(page, lambda e: e["inForm"] and e["type"] == "submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    created = Organisation.objects.get(name="Kennisatelier Toetsenbord")
    assert created.kind == Organisation.Kind.COMPANY
    assert created.created_by_id == coordinator.pk
    # (The browser keeps the #id_name fragment across the redirect; harmless.)
    assert page.url.split("#")[0] == f"{base}/organisaties/{created.slug}/"
    assert page.locator("main [role=status]").count() == 1, "no confirmation message after saving"
    screenshot(page, "created", "nl")

    # Edit an existing organisation of the coordinator's hub: replace the name, save with the keyboard.
    page.goto(f"{base}/organisaties/{EDITED_SLUG}/bewerken/")
    tab_until(page, lambda e: e["id"] == "id_name")
    page.keyboard.press("Control+A")
    page.keyboard.type("Testbureau Ruimte en Water")
    tab_until(page, lambda e: e["inForm"] and e["type"] == "submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Organisation.objects.get(slug=EDITED_SLUG).name == "Testbureau Ruimte en Water"
    assert page.url == f"{base}/organisaties/{EDITED_SLUG}/"
    assert Organisation.objects.count() == before + 1


def test_edit_form_keeps_the_owning_hub(live_server: Any, cast: dict[str, Any], hub: Hub, page: Any) -> None:
    org = Organisation.objects.create(
        slug=EDITED_SLUG, name="Testbureau Ruimte", kind=Organisation.Kind.COMPANY, owner_hub=hub
    )
    login(page, live_server.url, "coordinator", PASSWORD)
    page.goto(f"{live_server.url}/organisaties/{EDITED_SLUG}/bewerken/")
    shown = page.input_value("#id_owner_hub")
    tab_until(page, lambda e: e["inForm"] and e["type"] == "submit")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    org.refresh_from_db()
    assert (shown, org.owner_hub_id) == (hub.slug, hub.pk)
