"""Browser checks of the federation pages (harvest sources, a source with its trial harvest and run
history, the knowledge import page with its report, a harvested item's sources on its page): axe
(WCAG 2.1 A/AA, no serious or critical violations) in Dutch and English, screenshots in
/tmp/plek-shots/federation-<name>-<lang>.png."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from plek.atlas.tests.browser_helpers import (
    axe_violations,
    blocking,
    format_violations,
    login,
    new_page,
    screenshot,
)
from plek.federation.models import HarvestRun, HarvestSource
from plek.knowledge.models import KnowledgeItem, KnowledgeProvenance

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["nl", "en"])
def test_federation_pages_pass_axe(
    live_server: Any, cast: dict, hub: Any, browser: Any, lang: str, tmp_path: Any
) -> None:
    source = HarvestSource.objects.create(
        name="eDepot Test", kind="oai", base_url="https://edepot.test/oai", owner_hub=hub
    )
    HarvestRun.objects.create(
        source=source,
        status="partial",
        started_at=timezone.now(),
        fetched=3,
        created=2,
        refused=1,
        problems=[{"id": "oai:e:3", "reason": "the record has no title"}],
    )
    item = KnowledgeItem.objects.create(
        title="Waterberging op het erf",
        slug="erf",
        kind="case",
        category="practice",
        provenance="harvested",
        source_name="eDepot Test",
        local_fields=["title"],
    )
    now = timezone.now()
    KnowledgeProvenance.objects.create(
        item=item,
        source_key=f"harvest:{source.pk}",
        source_name="Kennishub Zaanstreek",
        original_identifier="oai:hub:1",
        original_url="https://hub.test/kennis/erf/",
        harvested_at=now,
        last_seen=now,
    )
    from django.core.cache import cache

    from plek.federation.importers import progress_key
    from plek.federation.models import ImportJob

    running = ImportJob.objects.create(
        user=cast["coordinator"], name="groot.csv", status="running", total=1200
    )
    cache.set(progress_key(running.pk), 480)
    checked = ImportJob.objects.create(
        user=cast["coordinator"],
        name="groot.csv",
        data="title,kind\n",
        status="done",
        total=1200,
        done=1200,
        created=1100,
        updated=100,
    )
    csv = tmp_path / "kennis.csv"
    csv.write_text("title,kind\nKennis over dijken,case\nFout,podcast\n", encoding="utf-8")
    page = new_page(browser)
    page.set_default_timeout(60_000)  # the first requests to a fresh live server are slow on a busy machine
    login(page, live_server.url, "coordinator", "correct horse battery")
    problems = []
    for name, path in [
        ("sources", "/oogstbronnen/"),
        ("source", f"/oogstbronnen/{source.pk}/"),
        ("import", "/kennis-importeren/"),
        ("import-running", f"/kennis-importeren/{running.pk}/"),
        ("import-checked", f"/kennis-importeren/{checked.pk}/"),
        ("item", "/kennis/erf/"),
    ]:
        page.goto(f"{live_server.url}{path}?lang={lang}")
        if name == "import":
            page.set_input_files("input[type=file]", str(csv))
            page.click("form.plek-form button[type=submit]")
            page.wait_for_load_state()
            assert "line 3, field kind" in page.content()
        if name == "import-running":
            assert page.locator("progress#import-progress-bar").get_attribute("value") == "480"
            page.wait_for_timeout(1500)  # one htmx poll: the part is swapped in place
            assert page.locator("progress#import-progress-bar").count() == 1
        if name == "import-checked":
            assert page.locator("form[action$='/bevestigen/'] button").count() == 1
        if name == "item":
            assert (
                "uit Kennishub Zaanstreek" if lang == "nl" else "from Kennishub Zaanstreek"
            ) in page.content()
        serious = blocking(axe_violations(page))
        if serious:
            problems.append(f"{name} ({lang}):\n{format_violations(serious)}")
        screenshot(page, f"federation-{name}", lang)
    assert not problems, "\n".join(problems)
