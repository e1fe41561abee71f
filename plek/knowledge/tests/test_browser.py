"""Browser acceptance tests for the knowledge base and the search page.

The search page (results with facets, a region filter with "who knows", no results, an error), the
knowledge list, a detail page with an attachment, and the create and edit forms (also after an invalid
submission) pass axe (WCAG 2.1 A/AA, no serious or critical violations) in Dutch and in English.
Searching works with the keyboard alone, live (htmx, without a page load) and without JavaScript.

Real Chromium through Playwright against pytest-django's live server (transactional database, so each
test builds its own data and reindexes). Screenshots land in /tmp/plek-shots/knowledge-<name>-<lang>.png."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.base import ContentFile

from plek.atlas.models import Hub, Person, Region, Theme
from plek.atlas.tests.browser_helpers import (
    active,
    axe_violations,
    blocking,
    format_violations,
    login,
    screenshot,
    tab_until,
)
from plek.knowledge.demo import knowledge_demo
from plek.knowledge.indexing import reindex
from plek.knowledge.models import Attachment, KnowledgeItem

pytestmark = [pytest.mark.browser]

PASSWORD = "correct horse battery"  # the `cast` fixture's password
ITEM_SLUG = "waterberging-in-de-polder-bij-amsterdam"
ITEM_TITLE = "Waterberging in de polder bij Amsterdam"
EXPERT = "Els Stikstofkenner"
# One known string per language: the main-menu link to the map (as in the Atlas browser tests).
NAV_MAP_LABEL = {"nl": "Kaart", "en": "Map"}
# The "n results" line at the top of the live results region.
COUNT_JS = "document.querySelector('#search-results > p').innerText"


def _item(
    title: str,
    slug: str,
    *,
    theme: str,
    region: str,
    author: Any = None,
    hub: Hub | None = None,
    kind: str = "case",
    summary: str = "",
) -> KnowledgeItem:
    obj = KnowledgeItem.objects.create(
        slug=slug,
        title=title,
        kind=kind,
        category=KnowledgeItem.CATEGORY_OF[kind],
        summary=summary or title,
        body=f"## Aanpak\n\n{summary or title}\n\n- eerst luisteren\n- dan **samen** ontwerpen",
        language="nl",
        visibility="public",
        owner_hub=hub,
        created_by=author,
    )
    obj.themes.set([Theme.objects.get(slug=theme)])
    obj.regions.set([Region.objects.get(code=region)])
    return obj


def _corpus(hub: Hub, member: Any) -> KnowledgeItem:
    """Forty synthetic items, a few hand-made ones (one with an attachment), an expert on nitrogen in
    Noord-Holland, all indexed."""
    knowledge_demo(40, seed=1)
    item = _item(
        ITEM_TITLE,
        ITEM_SLUG,
        theme="waterberging",
        region="GM0363",
        author=member,
        hub=hub,
        summary="Piekberging en waterberging in een Amsterdamse polder, samen met bewoners en het waterschap.",
    )
    attachment = Attachment(
        item=item,
        original_name="meetgegevens-waterberging.csv",
        content_type="text/csv",
        size=0,
        text="datum;peil\n2024-01-01;-1,2",
    )
    data = b"datum;peil\n2024-01-01;-1,2\n2024-02-01;-1,1\n"
    attachment.size = len(data)
    attachment.file.save("meetgegevens-waterberging.csv", ContentFile(data), save=True)
    _item(
        "Waterberging op daken in Noord-Holland",
        "waterberging-op-daken-noord-holland",
        theme="waterberging",
        region="PV27",
        kind="lesson",
    )
    _item(
        "Stikstofdepositie rond Amsterdamse natuur",
        "stikstofdepositie-amsterdamse-natuur",
        theme="stikstof",
        region="GM0363",
        kind="report",
    )
    expert = Person.objects.create(
        slug="els-stikstofkenner",
        name=EXPERT,
        expertise="stikstof, stikstofdepositie en natuurherstel",
        expertise_visibility="public",
        regions_visibility="public",
    )
    expert.regions.set([Region.objects.get(code="PV27")])
    expert.themes.set([Theme.objects.get(slug="stikstof")])
    reindex()
    return item


def _check(page: Any, name: str, lang: str, problems: list[str]) -> None:
    """Language, a translated menu label, one <h1>, JavaScript errors and axe; collects problems."""
    screenshot(page, f"knowledge-{name}", lang)
    where = f"{name} ({lang}) {page.url}"
    html_lang = page.get_attribute("html", "lang")
    if html_lang != lang:
        problems.append(f"{where}: <html lang={html_lang!r}>, expected {lang!r}")
    label = page.inner_text("nav.plek-nav a[href='/kaart/']").strip()
    if label != NAV_MAP_LABEL[lang]:
        problems.append(f"{where}: menu link to /kaart/ reads {label!r}, expected {NAV_MAP_LABEL[lang]!r}")
    if page.locator("h1").count() != 1 or not page.inner_text("h1").strip():
        problems.append(f"{where}: expected exactly one non-empty <h1>")
    if page.js_errors:
        problems.append(f"{where}: JavaScript errors: {page.js_errors}")
        page.js_errors.clear()
    serious = blocking(axe_violations(page))
    if serious:
        problems.append(
            f"{where}: {len(serious)} serious/critical axe violation(s):\n{format_violations(serious)}"
        )


def _goto(page: Any, url: str, status: int = 200) -> Any:
    response = page.goto(url)
    assert response is not None and response.status == status, f"{url}: HTTP {response and response.status}"
    return response


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_knowledge_pages_pass_axe_in_both_languages(
    live_server: Any, cast: dict[str, Any], hub: Hub, page: Any, lang: str, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    item = _corpus(hub, cast["member"])
    base = live_server.url
    problems: list[str] = []
    first = "&lang=en" if lang == "en" else ""  # once; the middleware remembers it in a cookie

    # Results with facets.
    _goto(page, f"{base}/zoeken/?q=waterberging{first}")
    assert page.locator("ol.plek-results li.plek-result").count() >= 2
    assert page.locator("aside.plek-facets section h3").count() >= 2, "no facets shown"
    assert page.locator("#search-status[role=status]").count() == 1
    _check(page, "search", lang, problems)

    # A region filter: results around Amsterdam and who knows about nitrogen there.
    _goto(page, f"{base}/zoeken/?q=stikstof&region=GM0363")
    who = page.locator("section[aria-labelledby=h-who]")
    assert who.count() == 1, "no 'who knows' section"
    assert EXPERT in who.inner_text()
    _check(page, "search-region", lang, problems)

    # No results and an error: 400, announced as an alert.
    _goto(page, f"{base}/zoeken/?q=x&region=XX99", status=400)
    alert = page.locator("#search-results [role=alert]")
    assert alert.count() == 1 and "XX99" in alert.inner_text()
    assert page.locator("li.plek-result").count() == 0
    _check(page, "search-error", lang, problems)

    # The knowledge list and a detail page with an attachment.
    _goto(page, f"{base}/kennis/")
    assert page.locator("table.plek-table tbody tr").count() >= 10
    _check(page, "list", lang, problems)
    _goto(page, f"{base}/kennis/{ITEM_SLUG}/")
    link = page.locator(
        f"section[aria-labelledby=h-att] a[href='/kennis/{ITEM_SLUG}/bijlagen/{item.attachments.get().pk}/']"
    )
    assert link.inner_text().strip() == "meetgegevens-waterberging.csv"
    _check(page, "detail", lang, problems)

    # As a hub member: the create form, an edit form, and the create form after an invalid submission.
    login(page, base, "member", PASSWORD)
    _goto(page, f"{base}/kennis/nieuw/")
    _check(page, "create", lang, problems)
    _goto(page, f"{base}/kennis/{ITEM_SLUG}/bewerken/")
    assert page.input_value("#id_title") == ITEM_TITLE
    _check(page, "edit", lang, problems)

    _goto(page, f"{base}/kennis/nieuw/")
    before = KnowledgeItem.objects.count()
    with page.expect_navigation() as nav:
        page.click("form.plek-form button[type=submit]")
    assert nav.value.status == 422
    assert KnowledgeItem.objects.count() == before
    focused = active(page)
    assert focused["id"] == "form-errors", f"focus after an invalid submission is on {focused}"
    assert page.get_attribute("#form-errors", "role") == "alert"
    assert page.locator("#form-errors a[href='#id_title']").count() == 1
    assert page.get_attribute("#id_title", "aria-invalid") == "true"
    described = (page.get_attribute("#id_title", "aria-describedby") or "").split()
    assert "id_title_error" in described, described
    assert page.inner_text("#id_title_error").strip(), "the title error is empty"
    border = page.eval_on_selector("#id_title", "el => getComputedStyle(el).borderTopColor")
    assert border == "rgb(164, 0, 15)", f"the invalid title field is not marked red: {border}"
    _check(page, "create-invalid", lang, problems)

    assert not problems, "\n" + "\n".join(problems)


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_search_by_keyboard_and_without_javascript(
    live_server: Any, ref: None, page: Any, browser: Any
) -> None:
    _corpus(Hub.objects.create(slug="kennishub-toets", name="Kennishub Toets"), None)
    base = live_server.url
    _goto(page, base + "/")

    # The header search box comes early: after the skip link and the brand.
    el = tab_until(page, lambda e: e["id"] == "header-q", limit=3)
    assert el["tag"] == "input"
    page.keyboard.type("waterberging")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == "/zoeken/" and _query(page.url)["q"] == ["waterberging"]
    assert page.input_value("#s-q") == "waterberging"
    assert page.locator("li.plek-result").count() >= 2
    everything = page.evaluate(f"() => {COUNT_JS}")

    # Into the filter form; choose a theme with the arrow key: the results update in place (htmx).
    page.evaluate("() => { window.__noReload = 'still here'; }")
    tab_until(page, lambda e: e["id"] == "s-theme", limit=40)
    assert page.input_value("#s-theme") == ""
    with page.expect_response(
        lambda r: "/zoeken/" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.keyboard.press("ArrowDown")
    chosen = page.input_value("#s-theme")
    assert chosen, "ArrowDown did not change the theme"
    page.wait_for_function("(t) => location.search.includes('theme=' + t)", arg=chosen)
    assert _query(page.url).get("theme") == [chosen] and _query(page.url).get("q") == ["waterberging"]
    assert page.evaluate("() => window.__noReload") == "still here", "the page was reloaded"
    # (htmx may push the URL before it swaps the results in: wait for the new count.)
    page.wait_for_function(f"(b) => {COUNT_JS} !== b", arg=everything)

    # Back to all themes (ArrowUp), then the "Kennis" tab with Enter: only knowledge is shown.
    with page.expect_response(
        lambda r: "/zoeken/" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.keyboard.press("ArrowUp")
    page.wait_for_function("() => !new URLSearchParams(location.search).get('theme')")
    page.wait_for_function(f"(b) => {COUNT_JS} === b", arg=everything)
    tab = tab_until(page, lambda e: e["href"].endswith("type=knowledge"), limit=40)
    assert tab["text"] == "Kennis", tab
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert _query(page.url).get("type") == ["knowledge"]
    assert page.get_attribute("a[href$='type=knowledge']", "aria-current") == "page"
    badges = page.locator("li.plek-result .plek-badge:not(.plek-badge--warn)").all_inner_texts()
    assert badges and set(badges) == {"Kennis"}, badges
    screenshot(page, "knowledge-keyboard-type", "nl")

    # The first result link, Enter: the detail page.
    first_href = page.get_attribute("li.plek-result h3 a >> nth=0", "href")
    assert first_href and first_href.startswith("/kennis/")
    tab_until(page, lambda e: e["href"] == first_href, limit=60)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert urlsplit(page.url).path == first_href
    assert page.locator("nav[aria-label] ol.plek-breadcrumb").count() == 1
    assert not page.js_errors, page.js_errors

    # Without JavaScript the same form submits normally and answers with results.
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        plain = context.new_page()
        plain.set_default_timeout(10_000)
        _goto(plain, base + "/zoeken/")
        plain.fill("#s-q", "waterberging")
        plain.select_option("#s-theme", "waterberging")
        with plain.expect_navigation():
            plain.click("form.plek-filters button[type=submit]")
        assert _query(plain.url).get("q") == ["waterberging"]
        assert _query(plain.url).get("theme") == ["waterberging"]
        assert plain.locator("li.plek-result").count() >= 1
        assert ITEM_TITLE in plain.inner_text("ol.plek-results")
        screenshot(plain, "knowledge-search-nojs", "nl")
    finally:
        context.close()


def test_live_results_without_a_page_load(live_server: Any, ref: None, page: Any) -> None:
    _corpus(Hub.objects.create(slug="kennishub-live", name="Kennishub Live"), None)
    base = live_server.url
    _goto(page, base + "/zoeken/")
    browse = page.evaluate(f"() => {COUNT_JS}")  # without words: everything, newest first
    page.wait_for_function("() => !!window.htmx")
    page.evaluate("() => { window.__noReload = 42; }")

    page.click("#s-q")
    with page.expect_response(
        lambda r: "/zoeken/" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.keyboard.type("stikstof", delay=20)
    page.wait_for_function(f"(b) => {COUNT_JS} !== b", arg=browse)
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'stikstof'")
    assert page.evaluate("() => window.__noReload") == 42, "the page was reloaded"
    assert page.get_attribute("#search-status", "role") == "status"
    # Only the count is announced to screen readers, not the whole result list.
    assert "resulta" in page.inner_text("#search-status")
    assert page.get_attribute("#search-results", "aria-live") is None
    assert "Stikstofdepositie rond Amsterdamse natuur" in page.inner_text("#search-results")
    assert active(page)["id"] == "s-q", "typing lost focus"
    assert page.input_value("#s-q") == "stikstof"
    assert ITEM_TITLE not in page.inner_text("#search-results")

    # Changing the words replaces the results again, still in the same page.
    page.keyboard.press("Control+A")
    with page.expect_response(
        lambda r: "/zoeken/" in r.url and r.request.headers.get("hx-request") == "true"
    ):
        page.keyboard.type("waterberging", delay=20)
    page.wait_for_function(
        "(t) => document.querySelector('#search-results').innerText.includes(t)", arg=ITEM_TITLE
    )
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'waterberging'")
    assert page.evaluate("() => window.__noReload") == 42
    assert page.locator("header").count() == 1 and page.locator("h1").count() == 1, "page nested in itself"
    assert not page.js_errors, page.js_errors
    screenshot(page, "knowledge-live", "nl")
