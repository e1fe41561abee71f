"""Browser acceptance tests (real Chromium, axe-core WCAG 2.1 A/AA) for an area's whole picture: the
region page with every app's section, the map out of the box (boundary fixture, attribution, the
measures), the focused network graph, a programme's regional picture with its budget, and a scenario
result as a map of land units. Dutch and English. Screenshots: /tmp/plek-shots/picture-<name>-<lang>.png."""

from __future__ import annotations

from typing import Any

import pytest

from plek.atlas.tests.browser_helpers import (
    axe_violations,
    blocking,
    format_violations,
    new_page,
    screenshot,
)

pytestmark = [pytest.mark.browser]


def _field(admin: Any) -> dict[str, str]:
    from plek.atlas.boundaries import FIXTURE, boundaries_import
    from plek.atlas.models import Hub, Programme, ProgrammeBudget, Region, Theme
    from plek.atlas.permissions import viewer_for
    from plek.governance.tests.test_area_picture import (
        decision,
        indicator,
        knowledge,
        lesson,
        question,
        signal,
        trajectory,
    )
    from plek.strategy.demo import study_demo
    from plek.strategy.models import Study, Variant
    from plek.strategy.services import solve_request

    boundaries_import(FIXTURE, tolerance=0)
    ams, nh = Region.objects.get(code="GM0363"), Region.objects.get(code="PV27")
    water = Theme.objects.get(slug="water-bodem")
    hub = Hub.objects.create(slug="hub-noord-holland", name="Kennishub Noord-Holland")
    hub.regions.set([nh])
    knowledge([ams], title="Waterberging in Amsterdam-Noord").themes.set([water])
    knowledge([nh], title="Veenweide in Noord-Holland")
    question([ams], title="Hoe houden we water vast?").themes.set([water])
    question([nh], state="answered", title="Welke dijken zijn zwak?")
    trajectory([ams], title="Leertraject Zuidas")
    lesson([nh], title="Vroeg betrekken werkt")
    ind = indicator([nh, ams])
    decision(signal([ams], title="Regels botsen bij waterberging"))
    prog = Programme.objects.create(slug="prog-water", name="Programma Water")
    prog.themes.set([water])
    prog.regions.set([nh])
    ProgrammeBudget.objects.create(programme=prog, amount_eur=250_000_000, source="Kamerbrief 2025")
    ProgrammeBudget.objects.create(
        programme=prog, amount_eur=12_500_000, year=2026, region=nh, source="Regiodeal"
    )
    study_demo(side=8, slug="studie-test")
    study = Study.objects.get(slug="studie-test")
    Study.objects.filter(pk=study.pk).update(region=Region.objects.get(code="PV25"))
    variant = Variant.objects.get(study=study, slug="basis")
    solve_request(viewer=viewer_for(admin), variant=variant)
    return {"indicator": ind.slug}


PAGES = [
    ("region", "/gebieden/GM0363/"),
    ("map-knowledge", "/kaart/?maat=knowledge&soort=municipality"),
    ("map-indicator", "/kaart/?maat=indicator&soort=province&keuze={indicator}"),
    ("graph", "/netwerk/"),
    ("programme", "/programmas/prog-water/"),
    ("busyness", "/gebieden/GM0363/drukte/"),
    ("land-units", "/strategie/scenarios/studie-test/varianten/basis/"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_picture_pages_pass_axe_in_both_languages(
    live_server: Any, cast: dict[str, Any], browser: Any, lang: str
) -> None:
    import urllib.request

    field = _field(cast["admin"])
    page = new_page(browser)
    base = live_server.url
    # The live server's first request loads every URLconf, view and the API schema (seconds on a busy
    # machine); warm it up outside the browser's navigation timeout.
    with urllib.request.urlopen(base + "/gebieden/GM0363/", timeout=180) as warm:
        assert warm.status == 200
    problems: list[str] = []
    page.set_default_timeout(30_000)  # the machine may be busy; these pages draw hundreds of shapes
    for i, (name, path) in enumerate(PAGES):
        url = base + path.format(**field)
        if i == 0:
            url += "?lang=" + lang  # the middleware remembers the language in a cookie
        response = page.goto(url)
        assert response is not None and response.status == 200, f"{name}: HTTP {response and response.status}"
        if name.startswith("map") or name in ("programme", "land-units"):
            page.wait_for_selector("#map path.leaflet-interactive", state="attached")
            page.wait_for_selector("#legend li", state="attached")
        if name == "graph":
            page.wait_for_selector("#graph canvas", state="attached")
            page.wait_for_timeout(300)
        screenshot(page, f"picture-{name}", lang)
        where = f"{name} ({lang})"
        if page.get_attribute("html", "lang") != lang:
            problems.append(f"{where}: wrong language")
        if page.js_errors:  # type: ignore[attr-defined]
            problems.append(f"{where}: JavaScript errors {page.js_errors}")  # type: ignore[attr-defined]
            page.js_errors.clear()  # type: ignore[attr-defined]
        serious = blocking(axe_violations(page))
        if serious:
            problems.append(f"{where}: axe\n{format_violations(serious)}")
        text = page.inner_text("main")
        if name == "region":
            for title in (
                "Waterberging in Amsterdam-Noord",
                "Hoe houden we water vast?",
                "Leertraject Zuidas",
            ):
                if title not in text:
                    problems.append(f"{where}: {title!r} missing")
            if "Noord-Holland" not in page.inner_text("#p-knowledge + ul"):
                problems.append(f"{where}: no 'via Noord-Holland' path")
        if name.startswith("map"):
            if page.locator("#map path.leaflet-interactive").count() < 12:
                problems.append(f"{where}: too few shapes")
            if "CBS/Kadaster" not in page.inner_text("#map"):
                problems.append(f"{where}: no attribution on the map")
        if name == "programme" and (
            "Regiodeal" not in text or ("Regionaal" not in text and "Regional" not in text)
        ):
            problems.append(f"{where}: budget or picture missing")
        if name == "land-units" and page.locator("#map path.leaflet-interactive").count() < 64:
            problems.append(f"{where}: land units not drawn")
    page.context.close()
    assert not problems, "\n" + "\n".join(problems)
