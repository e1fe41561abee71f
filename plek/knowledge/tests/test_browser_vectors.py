"""The vectors page in Chromium: a running run's progress bar and figures pass axe (WCAG 2.1 A/AA, no
serious or critical violations) in Dutch and English, "Stoppen" keeps the keyboard focus while htmx
swaps the progress every second, the page reflows at 320 px, and when the run ends the polling stops
and "Vectoren bijwerken" takes the place of "Stoppen". Screenshots in
/tmp/plek-shots/vectors-<name>-<lang>.png."""

from __future__ import annotations

import datetime as dt
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
    screenshot,
    tab_until,
)
from plek.knowledge.models import EmbedRun
from plek.knowledge.tests.embed_fixture import running_run

pytestmark = [pytest.mark.browser]


def _running(cast: dict[str, Any]) -> EmbedRun:
    return running_run(
        cast["admin"], total=100_000, done=12_345, rate=230.4, started_ago=dt.timedelta(minutes=1)
    )


def _beat(run: EmbedRun) -> None:
    """The worker's heartbeat (the test stands in for the worker, so the run never looks lost)."""
    EmbedRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_the_vectors_page_in_chromium(live_server: Any, cast: dict[str, Any], browser: Any) -> None:
    run = _running(cast)
    page = new_page(browser)
    page.set_default_timeout(60_000)  # a fresh live server on a busy machine
    login(page, live_server.url, "admin", "correct horse battery")
    problems: list[str] = []
    for lang in ("nl", "en"):
        _beat(run)
        page.goto(f"{live_server.url}/zoeken/vectoren/?lang={lang}")
        bar = page.get_by_role("progressbar", name="Voortgang" if lang == "nl" else "Progress")
        assert bar.get_attribute("value") == "12345" and bar.get_attribute("max") == "100000"
        count = "12.345 van 100.000 (12%)" if lang == "nl" else "12,345 of 100,000 (12%)"
        assert page.locator("#vectors-count").inner_text() == count
        serious = blocking(axe_violations(page))
        if serious:
            problems.append(f"running ({lang}):\n{format_violations(serious)}")
        screenshot(page, "vectors-running", lang)
    assert not problems, "\n".join(problems)

    # Keyboard: Tab reaches "Stoppen", and the focus stays on it while the progress is swapped.
    _beat(run)
    page.goto(f"{live_server.url}/zoeken/vectoren/?lang=nl")
    stop = tab_until(page, lambda el: el["tag"] == "button" and el["text"] == "Stoppen")
    EmbedRun.objects.filter(pk=run.pk).update(done=23_456, heartbeat_at=timezone.now())
    page.locator("#vectors-bar[value='23456']").wait_for(timeout=15_000)  # swapped by a poll
    assert active(page) == stop
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"
    screenshot(page, "vectors-focus", "nl")

    # Reflow at 320 px: nothing scrolls sideways.
    page.set_viewport_size({"width": 320, "height": 640})
    page.wait_for_timeout(200)
    sizes = page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert sizes[0] <= sizes[1], sizes
    screenshot(page, "vectors-320", "nl")
    page.set_viewport_size({"width": 1280, "height": 900})

    # The run ends: the last poll shows it, polling stops and the button to start one comes back.
    EmbedRun.objects.filter(pk=run.pk).update(
        status=EmbedRun.Status.DONE, done=100_000, embedded=87_655, finished_at=timezone.now()
    )
    page.get_by_role("button", name="Vectoren bijwerken").wait_for(timeout=15_000)
    assert page.locator("#vectors-count").inner_text() == "100.000 van 100.000 (100%)"
    assert (
        page.locator("[hx-trigger]").count() == 0 and page.get_by_role("button", name="Stoppen").count() == 0
    )
    serious = blocking(axe_violations(page))
    assert not serious, format_violations(serious)
    screenshot(page, "vectors-done", "nl")
    assert not page.js_errors, page.js_errors
    page.context.close()
