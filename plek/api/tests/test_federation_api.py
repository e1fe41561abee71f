"""The harvest sources console and the knowledge import over the API, through the pages' forms,
services and predicates (`can_import`, `can_manage`): coordinators of a hub and administrators.
Permission matrices (a refused request changes nothing), success and bad input for each operation."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from plek.federation.models import HarvestRun, HarvestSource, ImportJob
from plek.federation.tests.test_pages import CSV, big_csv
from plek.knowledge.models import KnowledgeItem

pytestmark = pytest.mark.django_db
API = "/api/v1"
CAST = ("anonymous", "outsider", "member", "coordinator", "admin")
ALLOWED = ("coordinator", "admin")


def client(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def send(user: Any, method: str, path: str, body: Any = None) -> Any:
    if body is None:
        return getattr(client(user), method)(f"{API}{path}")
    return getattr(client(user), method)(
        f"{API}{path}", data=json.dumps(body), content_type="application/json"
    )


def problem(response: Any, status: int) -> set[str]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    return {p["name"] for p in response.json().get("invalidParams") or []}


def _state() -> tuple[Any, ...]:
    return (
        list(HarvestSource.objects.values_list("pk", "name", "paused")),
        list(HarvestRun.objects.values_list("pk", "status")),
        list(ImportJob.objects.values_list("pk", "dry_run", "data")),
        KnowledgeItem.objects.count(),
    )


def source_body(hub: Any, **over: Any) -> dict[str, Any]:
    return {"name": "eDepot", "kind": "oai", "baseUrl": "https://x.test/oai", "ownerHub": hub.slug, **over}


@pytest.fixture
def source(hub: Any) -> HarvestSource:
    return HarvestSource.objects.create(name="S", kind="oai", base_url="https://x.test/oai", owner_hub=hub)


@pytest.mark.parametrize(
    ("operation", "method", "path", "body", "status"),
    [
        ("listHarvestSources", "get", "/harvest-sources", None, 200),
        ("createHarvestSource", "post", "/harvest-sources", "source", 201),
        ("getHarvestSource", "get", "/harvest-sources/{pk}", None, 200),
        ("updateHarvestSource", "patch", "/harvest-sources/{pk}", {"paused": True}, 200),
        ("runHarvestSource", "post", "/harvest-sources/{pk}/runs", None, 202),
    ],
)
@pytest.mark.parametrize("role", CAST)
def test_the_sources_permission_matrix(
    cast: dict[str, Any],
    hub: Any,
    source: HarvestSource,
    operation: str,
    method: str,
    path: str,
    body: Any,
    status: int,
    role: str,
) -> None:
    before = _state()
    sent = source_body(hub) if body == "source" else body
    r = send(cast[role], method, path.format(pk=source.pk), sent)
    if role in ALLOWED:
        assert r.status_code == status, r.content[:500]
        assert (_state() != before) == (method != "get")
        if status == 201:
            assert r["Location"].endswith(f"/api/v1/harvest-sources/{r.json()['id']}")
    else:
        problem(r, 401 if role == "anonymous" else 403)
        assert _state() == before


def test_bad_sources_name_the_property_and_change_nothing(
    cast: dict[str, Any], hub: Any, other_hub: Any, source: HarvestSource
) -> None:
    before = _state()
    bad = source_body(hub, name="", baseUrl="geen url", mappingRules={"dijk": "geen-thema"})
    names = problem(send(cast["coordinator"], "post", "/harvest-sources", bad), 422)
    assert names == {"name", "baseUrl", "mappingRules"}
    # a hub one does not coordinate is not a choice
    assert problem(send(cast["coordinator"], "post", "/harvest-sources", source_body(other_hub)), 422) == {
        "ownerHub"
    }
    assert problem(
        send(cast["coordinator"], "patch", f"/harvest-sources/{source.pk}", {"paused": "soms"}), 400
    )
    problem(send(cast["coordinator"], "get", "/harvest-sources/999999"), 404)
    assert _state() == before


def test_a_source_of_another_hub_does_not_exist(
    cast: dict[str, Any], hub: Any, other_hub: Any, django_user_model: Any
) -> None:
    from plek.atlas.models import HubMembership

    theirs = HarvestSource.objects.create(
        name="T", kind="oai", base_url="https://x.test/oai", owner_hub=other_hub
    )
    before = _state()
    for method, path, body in (
        ("get", f"/harvest-sources/{theirs.pk}", None),
        ("patch", f"/harvest-sources/{theirs.pk}", {"paused": True}),
        ("post", f"/harvest-sources/{theirs.pk}/runs", None),
    ):
        problem(send(cast["coordinator"], method, path, body), 404)
    assert send(cast["coordinator"], "get", "/harvest-sources").json() == []
    assert _state() == before
    assert HubMembership.objects.filter(hub=other_hub).count() == 0


def test_a_source_is_paused_resumed_and_run(
    cast: dict[str, Any], source: HarvestSource, django_capture_on_commit_callbacks: Any
) -> None:
    r = send(cast["coordinator"], "patch", f"/harvest-sources/{source.pk}", {"paused": True})
    assert r.json()["paused"] is True and HarvestSource.objects.get().paused
    r = send(cast["coordinator"], "patch", f"/harvest-sources/{source.pk}", {"paused": False})
    assert r.json()["paused"] is False
    first = send(cast["coordinator"], "post", f"/harvest-sources/{source.pk}/runs")
    again = send(cast["coordinator"], "post", f"/harvest-sources/{source.pk}/runs")  # still queued: the same
    assert first.status_code == again.status_code == 202
    assert first.json()["id"] == again.json()["id"] and HarvestRun.objects.count() == 1
    runs = send(cast["coordinator"], "get", f"/harvest-sources/{source.pk}").json()["runs"]
    assert [r["id"] for r in runs] == [first.json()["id"]]


# ---- knowledge imports ------------------------------------------------------------------------------------


def upload(user: Any, data: bytes, **fields: Any) -> Any:
    return client(user).post(
        f"{API}/knowledge-imports", {"file": SimpleUploadedFile("k.csv", data), **fields}
    )


@pytest.mark.parametrize("role", CAST)
def test_the_import_permission_matrix(cast: dict[str, Any], hub: Any, role: str) -> None:
    before = _state()
    r = upload(cast[role], CSV.encode(), dryRun="false")
    if role in ALLOWED:
        assert r.status_code == 200, r.content
        assert r.json() == {"dryRun": False, "committed": True, "total": 2, "created": 2, "updated": 0}
        assert KnowledgeItem.objects.count() == 2
    else:
        problem(r, 401 if role == "anonymous" else 403)
        assert _state() == before


def test_a_dry_run_saves_nothing_and_bad_rows_are_named(
    cast: dict[str, Any], hub: Any, settings: Any
) -> None:
    r = upload(cast["coordinator"], CSV.encode())  # dryRun defaults to true
    assert r.json() == {"dryRun": True, "committed": False, "total": 2, "created": 2, "updated": 0}
    assert not KnowledgeItem.objects.exists()
    r = upload(cast["coordinator"], b"title,kind\nX,podcast\n", dryRun="false")
    assert problem(r, 422) == {"file"} and "line 2, field kind" in r.content.decode()
    assert problem(upload(cast["coordinator"], b"\x00\x01", dryRun="false"), 422) == {"file"}
    settings.PLEK_IMPORT_MAX_BYTES = 10
    assert problem(upload(cast["coordinator"], CSV.encode(), dryRun="false"), 422) == {"file"}
    assert not KnowledgeItem.objects.exists()


def test_a_large_import_is_a_job_that_is_confirmed_once(
    cast: dict[str, Any], hub: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.PLEK_IMPORT_BACKGROUND_ROWS = 3
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(cast["coordinator"], big_csv(5))
    job = ImportJob.objects.get()
    assert r.status_code == 202 and r["Location"].endswith(f"/api/v1/knowledge-import-jobs/{job.pk}")
    body = send(cast["coordinator"], "get", f"/knowledge-import-jobs/{job.pk}").json()
    assert (body["status"], body["dryRun"], body["total"], body["confirmable"]) == ("done", True, 5, True)
    # Someone else's job does not exist for them; the matrix of the confirmation.
    before = _state()
    for role in ("anonymous", "outsider", "member"):
        r = send(cast[role], "post", f"/knowledge-import-jobs/{job.pk}/confirmation")
        problem(r, 401 if role == "anonymous" else 403)
    assert _state() == before
    with django_capture_on_commit_callbacks(execute=True):
        r = send(cast["coordinator"], "post", f"/knowledge-import-jobs/{job.pk}/confirmation")
    assert r.status_code == 201, r.content
    real = ImportJob.objects.exclude(pk=job.pk).get()
    assert r["Location"].endswith(f"/api/v1/knowledge-import-jobs/{real.pk}")
    assert KnowledgeItem.objects.count() == 5
    problem(send(cast["coordinator"], "post", f"/knowledge-import-jobs/{job.pk}/confirmation"), 409)
    problem(
        send(cast["admin"], "post", f"/knowledge-import-jobs/{real.pk}/confirmation"), 409
    )  # not a dry run
    assert ImportJob.objects.count() == 2
    problem(send(cast["coordinator"], "get", "/knowledge-import-jobs/999999"), 404)


def test_the_sources_list_has_a_fixed_number_of_queries(
    cast: dict[str, Any], hub: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(12):
        made = HarvestSource.objects.create(
            name=f"S{i}", kind="oai", base_url="https://x.test/oai", owner_hub=hub
        )
        HarvestRun.objects.create(source=made)
    c = client(cast["coordinator"])
    with django_assert_max_num_queries(8):  # session, user, memberships, the sources (with their hubs)
        r = c.get(f"{API}/harvest-sources")
    assert len(r.json()) == 12 and "runs" not in r.json()[0]


def test_a_running_jobs_progress_is_the_pages(cast: dict[str, Any], hub: Any) -> None:
    from django.core.cache import cache

    from plek.federation.importers import progress_key

    job = ImportJob.objects.create(user=cast["coordinator"], name="groot.csv", status="running", total=1200)
    cache.set(progress_key(job.pk), 120)
    body = send(cast["coordinator"], "get", f"/knowledge-import-jobs/{job.pk}").json()
    assert (body["status"], body["done"], body["total"], body["confirmable"]) == ("running", 120, 1200, False)
