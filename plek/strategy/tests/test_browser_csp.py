"""Issue 13 (point 3, defect 5): the pages work under the Content-Security-Policy without
'unsafe-inline' or 'unsafe-eval' for scripts — htmx, Leaflet, Cytoscape and Vega run, the nonced
error-focus script runs, and an injected inline script does not — and a region name with markup
shows as text in the map tooltip (stored XSS).

Real Chromium against the live server; `new_page` reports every `securitypolicyviolation` as a
JavaScript error (see plek/atlas/tests/browser_helpers.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from plek.atlas.models import Region
from plek.atlas.tests.browser_helpers import login, screenshot
from plek.strategy.demo import strategy_demo

pytestmark = [pytest.mark.browser]

PAYLOAD = 'Zeeland<img src=x onerror="window.__xss=1">'


def _squares() -> None:
    """A square per province, so the map draws without the (uncommitted) boundary file."""
    for i, region in enumerate(Region.objects.filter(kind="province").order_by("code")):
        x, y = 4 + (i % 4) * 0.5, 51 + (i // 4) * 0.5
        region.geometry = {
            "type": "Polygon",
            "coordinates": [[[x, y], [x + 0.45, y], [x + 0.45, y + 0.45], [x, y + 0.45], [x, y]]],
        }
        if region.code == "PV29":
            region.name = PAYLOAD
        region.save()


def test_widgets_work_under_the_csp_and_map_tooltips_are_text(
    live_server: Any, cast: dict[str, Any], hub: Any, page: Any
) -> None:
    from plek.atlas.demo import Demo

    Demo("small").run()
    strategy_demo(seed=7)
    _squares()
    Client().get("/")  # import the URL configuration once, before the browser's first timeout runs
    base = live_server.url

    # Leaflet: shapes drawn, legend built; the tooltip shows the markup as characters.
    page.goto(base + "/kaart/")
    page.wait_for_selector("#map path.leaflet-interactive", state="attached")
    assert page.locator("#map path.leaflet-interactive").count() == 12
    assert page.locator("#legend li").count() >= 2
    tooltip = page.locator(".leaflet-tooltip", has_text="Zeeland")
    for i in range(12):
        page.locator("#map path.leaflet-interactive").nth(i).hover(force=True)
        if tooltip.count():
            break
    assert PAYLOAD in tooltip.first.inner_text()
    assert page.locator(".leaflet-tooltip img").count() == 0
    assert page.evaluate("() => window.__xss") is None
    screenshot(page, "csp-map", "nl")

    # Cytoscape.
    page.goto(base + "/netwerk/?gebied=PV27")
    page.wait_for_selector("#graph canvas", state="attached")

    # Vega (expressions interpreted, no eval).
    page.goto(base + "/strategie/indicatoren/co2-uitstoot/?gebied=PV27")
    page.wait_for_selector("[data-chart][data-drawn] svg", state="attached", timeout=15_000)
    screenshot(page, "csp-chart", "nl")

    # htmx: typing in the filter swaps the results in place.
    page.goto(base + "/netwerken/")
    with page.expect_response(lambda r: "/netwerken/" in r.url and r.request.headers.get("hx-request")):
        page.fill("#f-q", "zzz-niets")
    page.wait_for_function("() => /^0 /.test(document.querySelector('#results p').textContent.trim())")

    assert not page.js_errors, page.js_errors

    # The nonced error-focus script runs: focus lands on the error summary.
    login(page, base, "coordinator", "correct horse battery")
    page.goto(base + "/organisaties/nieuw/")
    page.click("form.plek-form button[type=submit]")
    page.wait_for_selector("#form-errors")
    assert page.evaluate("() => document.activeElement && document.activeElement.id") == "form-errors"
    assert not page.js_errors, page.js_errors

    # And the policy really bites: an inline script without the nonce is refused and reported.
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__inline = 1';"
        " document.body.append(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.__inline") is None
    assert any("CSP violation: script-src" in e for e in page.js_errors), page.js_errors
