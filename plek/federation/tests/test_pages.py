"""Harvest source pages and the knowledge import page: permission matrix (a refused request changes
nothing), add, test fetch without saving, run now, pause, history; import with dry run and confirm."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plek.federation.models import HarvestRun, HarvestSource, ImportJob
from plek.federation.tests.fake_sources import dc_record
from plek.knowledge.models import KnowledgeItem


def login(client: Client, cast: dict, who: str) -> None:
    if cast[who] is not None:
        client.force_login(cast[who])


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("outsider", 403), ("member", 403), ("coordinator", 200), ("admin", 200)],
)
def test_source_list_permission_matrix(client: Client, cast: dict, hub: Any, who: str, status: int) -> None:
    login(client, cast, who)
    assert client.get("/oogstbronnen/").status_code == status
    response = client.post(
        "/oogstbronnen/",
        {
            "name": "X",
            "kind": "oai",
            "base_url": "https://x.test/oai",
            "schedule": "daily",
            "owner_hub": hub.slug,
            "default_visibility": "public",
            "mapping_rules": "{}",
            "page_cap": "10",
        },
    )
    assert response.status_code == (302 if status == 200 else status)
    assert HarvestSource.objects.exists() == (status == 200)


def test_coordinator_adds_tests_runs_and_pauses_a_source(
    client: Client, cast: dict, hub: Any, fake: Any, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(cast["coordinator"])
    bad = client.post(
        "/oogstbronnen/", {"name": "", "kind": "oai", "base_url": "geen url", "owner_hub": hub.slug}
    )
    assert bad.status_code == 422 and not HarvestSource.objects.exists()
    response = client.post(
        "/oogstbronnen/",
        {
            "name": "eDepot",
            "kind": "oai",
            "base_url": fake.url + "/oai",
            "schedule": "daily",
            "owner_hub": hub.slug,
            "default_visibility": "public",
            "mapping_rules": '{"waterbeheer": "water-bodem"}',
            "page_cap": "10",
        },
    )
    source = HarvestSource.objects.get()
    assert response.status_code == 302
    fake.state.oai_pages = [
        [dc_record(f"oai:e:{i}", f"Rapport {i}", subjects=("waterbeheer",)) for i in range(7)]
    ]
    page = client.get(f"/oogstbronnen/{source.pk}/?test=1").content.decode()
    assert "Rapport 4" in page and "Rapport 5" not in page and "water-bodem" in page
    assert not KnowledgeItem.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/oogstbronnen/{source.pk}/run/")
    run = HarvestRun.objects.get()
    assert run.status == "done" and run.created == 7
    assert "Rapport 6" in "".join(KnowledgeItem.objects.values_list("title", flat=True))
    client.post(f"/oogstbronnen/{source.pk}/pause/")
    source.refresh_from_db()
    assert source.paused
    assert ">7<" in client.get(f"/oogstbronnen/{source.pk}/").content.decode()


def test_other_hubs_coordinator_cannot_touch_a_source(
    client: Client, cast: dict, hub: Any, other_hub: Any, django_user_model: Any
) -> None:
    from plek.atlas.models import HubMembership

    source = HarvestSource.objects.create(name="S", kind="oai", base_url="https://x.test/oai", owner_hub=hub)
    other = django_user_model.objects.create_user(username="c2", password="x" * 12)
    HubMembership.objects.create(hub=other_hub, user=other, role=HubMembership.Role.COORDINATOR)
    client.force_login(other)
    assert client.get(f"/oogstbronnen/{source.pk}/").status_code == 404
    assert client.post(f"/oogstbronnen/{source.pk}/pause/").status_code == 404
    assert client.post(f"/oogstbronnen/{source.pk}/run/").status_code == 404
    source.refresh_from_db()
    assert not source.paused and not HarvestRun.objects.exists()


CSV = "title,kind,themes\nKennis over dijken,case,water-bodem\nTweede,publication,\n"


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("outsider", 403), ("member", 403), ("coordinator", 200), ("admin", 200)],
)
def test_import_page_permission_matrix(client: Client, cast: dict, hub: Any, who: str, status: int) -> None:
    login(client, cast, who)
    assert client.get("/kennis-importeren/").status_code == status
    client.post("/kennis-importeren/", {"file": SimpleUploadedFile("k.csv", CSV.encode())})
    client.post("/kennis-importeren/", {"confirm": "1"})
    assert KnowledgeItem.objects.exists() == (status == 200)


def test_import_page_dry_run_then_confirm(client: Client, cast: dict, hub: Any) -> None:
    client.force_login(cast["coordinator"])
    page = client.post("/kennis-importeren/", {"file": SimpleUploadedFile("k.csv", CSV.encode())})
    assert page.status_code == 200
    assert "2 regels: 2 nieuw, 0 bijgewerkt." in page.content.decode()
    assert not KnowledgeItem.objects.exists()
    client.post("/kennis-importeren/", {"confirm": "1"})
    assert KnowledgeItem.objects.count() == 2
    bad = client.post(
        "/kennis-importeren/", {"file": SimpleUploadedFile("k.csv", b"title,kind\nX,podcast\n")}
    )
    assert bad.status_code == 422 and "line 2, field kind" in bad.content.decode()
    assert KnowledgeItem.objects.count() == 2


def big_csv(rows: int) -> bytes:
    lines = ["title,kind,themes"] + [f"Kennis over dijken {i},case,water-bodem" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def test_large_import_runs_in_the_background_with_a_progress_bar(
    client: Client, cast: dict, hub: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PLEK_IMPORT_BACKGROUND_ROWS = 3
    client.force_login(cast["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/kennis-importeren/", {"file": SimpleUploadedFile("k.csv", big_csv(5))})
    job = ImportJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/kennis-importeren/{job.pk}/"
    assert (job.status, job.dry_run, job.total, job.done, job.created, job.errors) == (
        "done",
        True,
        5,
        5,
        5,
        [],
    )
    assert not KnowledgeItem.objects.exists()  # a dry run
    page = client.get(answer["Location"]).content.decode()
    assert '<progress id="import-progress-bar" max="5" value="5">100%</progress>' in page
    assert "5 van 5 regels verwerkt (100%)." in page and "5 regels: 5 nieuw, 0 bijgewerkt." in page
    progress = client.get(f"/kennis-importeren/{job.pk}/voortgang/").content.decode()
    assert "hx-get" not in progress  # finished: the page stops polling
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(f"/kennis-importeren/{job.pk}/bevestigen/")
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert confirmed["Location"] == f"/kennis-importeren/{real.pk}/"
    assert (real.status, real.dry_run, real.committed, real.data) == ("done", False, True, "")
    assert KnowledgeItem.objects.count() == 5
    # a dry run is confirmed once
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/kennis-importeren/{job.pk}/bevestigen/")
    assert ImportJob.objects.count() == 2 and KnowledgeItem.objects.count() == 5


def test_large_import_with_errors_saves_nothing_and_offers_no_confirmation(
    client: Client, cast: dict, hub: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PLEK_IMPORT_BACKGROUND_ROWS = 3
    client.force_login(cast["coordinator"])
    data = big_csv(4) + b"Fout,podcast,\n"
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/kennis-importeren/", {"file": SimpleUploadedFile("k.csv", data)})
    page = client.get(answer["Location"]).content.decode()
    assert "line 6, field kind" in page and "bevestigen" not in page
    assert not KnowledgeItem.objects.exists()


def test_progress_endpoint_reports_counts_while_the_job_runs(client: Client, cast: dict, hub: Any) -> None:
    from django.core.cache import cache

    from plek.federation.importers import progress_key

    job = ImportJob.objects.create(user=cast["coordinator"], name="groot.csv", status="running", total=1200)
    cache.set(progress_key(job.pk), 120)
    client.force_login(cast["coordinator"])
    part = client.get(f"/kennis-importeren/{job.pk}/voortgang/").content.decode()
    assert '<progress id="import-progress-bar" max="1200" value="120">10%</progress>' in part
    assert "120 van 1200 regels verwerkt (10%)." in part
    assert f'hx-get="/kennis-importeren/{job.pk}/voortgang/" hx-trigger="every 1s"' in part
    english = client.get(f"/kennis-importeren/{job.pk}/voortgang/?lang=en", HTTP_ACCEPT_LANGUAGE="en")
    assert "120 of 1200 lines processed (10%)." in english.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("anonymous", 302), ("outsider", 404), ("member", 404), ("other_coordinator", 404), ("admin", 200)],
)
def test_import_job_pages_permission_matrix(
    client: Client, cast: dict, hub: Any, other_hub: Any, who: str, status: int, django_user_model: Any
) -> None:
    from plek.atlas.models import HubMembership

    cast = dict(cast)
    cast["other_coordinator"] = django_user_model.objects.create_user(username="oc", password="x")
    HubMembership.objects.create(hub=other_hub, user=cast["other_coordinator"], role="coordinator")
    job = ImportJob.objects.create(
        user=cast["coordinator"], name="k.csv", data=big_csv(2).decode(), status="done", total=2, done=2
    )
    login(client, cast, who)
    assert client.get(f"/kennis-importeren/{job.pk}/").status_code == status
    progress = client.get(f"/kennis-importeren/{job.pk}/voortgang/").status_code
    assert progress == (403 if who == "anonymous" else status)
    client.post(f"/kennis-importeren/{job.pk}/bevestigen/")
    assert ImportJob.objects.count() == (2 if who == "admin" else 1)
