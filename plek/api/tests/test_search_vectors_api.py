"""The search index's vectors over the API (issue 15), the twin of the page /zoeken/vectoren/:
`GET /search-vectors` (the overview), `POST /search-vectors/runs` (start, or join the run that waits
or runs) and `POST /search-vectors/runs/active/cancel` (stop). Administrators only, through the same
selector, services and predicate (`can_manage_search`) as the page: a permission matrix in which a
refused request changes nothing, figures that add up after a real run, a second start joining the
first, a stop setting the cancel request, the texts in both languages and a bounded GET."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from plek.accounts.services import api_token_create
from plek.core.models import SearchVector
from plek.knowledge import embedruns
from plek.knowledge.indexing import document_total, reindex
from plek.knowledge.models import EmbedRun
from plek.knowledge.search import get_backend
from plek.knowledge.tests.embed_fixture import running_run
from plek.knowledge.tests.test_embed_runs import _items

pytestmark = pytest.mark.django_db
API = "/api/v1"
OVERVIEW = "/search-vectors"
START = "/search-vectors/runs"
CANCEL = "/search-vectors/runs/active/cancel"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CAST = ("anonymous", "outsider", "member", "coordinator", "admin")


def client(user: Any) -> Client:
    c = Client()
    if user is not None:
        c.force_login(user)
    return c


def call(user: Any, method: str, path: str, query: str = "") -> Any:
    return getattr(client(user), method)(f"{API}{path}{query}")


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def state() -> tuple[Any, ...]:
    """Everything a start or a stop could change: the runs and the worker's queue."""
    return (
        list(EmbedRun.objects.order_by("pk").values_list("pk", "status", "cancel_requested", "finished_at")),
        DBTaskResult.objects.count(),
        SearchVector.objects.count(),
    )


def long_ago() -> dt.datetime:
    return timezone.now() - embedruns.stale_after() - dt.timedelta(minutes=5)


@pytest.fixture
def queued_tasks(settings: Any) -> None:
    """Runs wait in the database queue (no worker in these tests): only the rows are looked at."""
    settings.TASKS = DATABASE_TASKS


# ---- who may ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("get", OVERVIEW, 200), ("post", START, 202), ("post", CANCEL, 200)],
    ids=["getSearchVectors", "startEmbedRun", "cancelEmbedRun"],
)
@pytest.mark.parametrize("role", CAST)
def test_the_permission_matrix(
    cast: dict[str, Any],
    queued_tasks: None,
    django_capture_on_commit_callbacks: Any,
    method: str,
    path: str,
    status: int,
    role: str,
) -> None:
    """Administrators only, as the page: anonymous 401 (with WWW-Authenticate), everyone else signed
    in 403, both problem+json; a refused start queues nothing and a refused stop leaves the run."""
    if path == CANCEL:  # someone's waiting run, for the stop to stop (or, refused, to leave alone)
        EmbedRun.objects.create(requested_by=cast["admin"])
    before = state()
    with django_capture_on_commit_callbacks(execute=True):
        response = call(cast[role], method, path)
    if role != "admin":
        body = problem(response, 401 if role == "anonymous" else 403)
        if role == "anonymous":
            assert response["WWW-Authenticate"].startswith("Bearer")
        assert "run" not in body and "documents" not in body
        assert state() == before
        return
    assert response.status_code == status, response.content[:500]
    assert response["API-Version"] == "1.0.0"
    if path == OVERVIEW:
        assert state() == before and response.json()["run"] is None
        return
    run = EmbedRun.objects.get()
    assert response.json()["id"] == run.pk
    if path == START:
        assert run.status == EmbedRun.Status.QUEUED and run.requested_by == cast["admin"]
        assert DBTaskResult.objects.filter(task_path="plek.knowledge.tasks.embed_vectors").count() == 1
    else:
        assert run.cancel_requested and run.status == EmbedRun.Status.CANCELLED


def test_a_bad_token_is_refused_and_a_token_of_an_administrator_works(
    cast: dict[str, Any], queued_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    bad = Client().get(f"{API}{OVERVIEW}", HTTP_AUTHORIZATION="Bearer plek_wrong")
    problem(bad, 401)
    refused = Client().post(f"{API}{START}", HTTP_AUTHORIZATION="Bearer plek_wrong")
    problem(refused, 401)
    assert not EmbedRun.objects.exists()
    _token, secret = api_token_create(user=cast["outsider"], name="t")
    problem(Client().post(f"{API}{START}", HTTP_AUTHORIZATION=f"Bearer {secret}"), 403)
    assert not EmbedRun.objects.exists()
    _token, secret = api_token_create(user=cast["admin"], name="t")
    with django_capture_on_commit_callbacks(execute=True):
        ok = Client().post(f"{API}{START}", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert ok.status_code == 202, ok.content[:500]
    assert ok.json()["requestedBy"] == "admin"


# ---- the figures -------------------------------------------------------------------------------------


def test_after_a_run_the_figures_add_up(
    cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    """With the immediate task backend the run is done within the request (as in development; here,
    inside the test's transaction, after the answer: the overview then shows it done)."""
    _items(40)
    reindex(embed=False)  # the words only: every document in the index, none with a vector yet
    admin = cast["admin"]
    empty = call(admin, "get", OVERVIEW).json()
    assert empty["run"] is None and empty["vectors"] == 0 and empty["enabled"] is True
    assert empty["documents"] == document_total() > 40
    with django_capture_on_commit_callbacks(execute=True):
        started = call(admin, "post", START)
    assert started.status_code == 202, started.content[:500]
    assert started["Location"] == f"http://testserver{API}{OVERVIEW}"
    run = started.json()
    assert run["requestedBy"] == "admin" and run["mode"] == "embed"
    overview = call(admin, "get", OVERVIEW).json()
    latest = overview["run"]
    assert latest["id"] == run["id"] and latest["status"] == "done" and latest["active"] is False, latest
    assert latest["stage"] == "vectors" and latest["statusLabel"] == "klaar"
    documents = overview["documents"]
    assert documents > 40  # the reference set's programmes and the hub are documents too
    assert overview["vectors"] == documents == latest["done"] == latest["total"] == latest["embedded"]
    assert overview["vectors"] == SearchVector.objects.count()
    assert latest["percent"] == 100 and latest["etaSeconds"] is None and overview["pending"] == 0
    assert latest["requestedBy"] == "admin" and latest["cancelRequested"] is False and latest["error"] == ""
    assert latest["startedAt"] <= latest["heartbeatAt"] <= latest["finishedAt"]
    assert overview["noWorker"] is False
    # Nothing changed since: the next run checks every document again and embeds none.
    with django_capture_on_commit_callbacks(execute=True):
        again = call(admin, "post", START)
    assert again.status_code == 202 and again.json()["id"] != run["id"]
    latest = call(admin, "get", OVERVIEW).json()["run"]
    assert latest["id"] == again.json()["id"] and latest["status"] == "done"
    assert latest["done"] == latest["total"] == documents and latest["embedded"] == 0


def test_a_running_run_shows_its_progress_rate_and_time_left_in_both_languages(
    cast: dict[str, Any],
) -> None:
    running_run(cast["admin"], total=1000, done=250, rate=50.0)
    run = call(cast["admin"], "get", OVERVIEW).json()["run"]
    assert (run["status"], run["statusLabel"], run["active"]) == ("running", "bezig", True)
    assert (run["done"], run["total"], run["percent"]) == (250, 1000, 25)
    assert run["rate"] == 50.0 and run["etaSeconds"] == 15  # 750 documents at 50 a second
    assert run["kind"] == "knowledge" and run["embedded"] is None and run["finishedAt"] is None
    english = call(cast["admin"], "get", OVERVIEW, "?lang=en").json()["run"]
    assert english["statusLabel"] == "running"


def test_a_run_whose_worker_stopped_beating_is_interrupted_and_a_start_does_not_join_it(
    cast: dict[str, Any], queued_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    lost = EmbedRun.objects.create(
        status=EmbedRun.Status.RUNNING,
        total=100,
        done=40,
        rate=20.0,
        started_at=long_ago(),
        heartbeat_at=long_ago(),
    )
    run = call(cast["admin"], "get", OVERVIEW).json()["run"]
    assert run["id"] == lost.pk and run["status"] == "interrupted" and run["statusLabel"] == "onderbroken"
    assert run["active"] is False and run["etaSeconds"] is None and run["heartbeatAt"] is not None
    problem(call(cast["admin"], "post", CANCEL), 409)  # an interrupted run no longer waits or runs
    with django_capture_on_commit_callbacks(execute=True):
        started = call(cast["admin"], "post", START)
    assert started.status_code == 202 and started.json()["id"] != lost.pk
    lost.refresh_from_db()
    assert lost.status == EmbedRun.Status.INTERRUPTED and lost.finished_at is not None


def test_a_waiting_run_without_a_worker_says_so(cast: dict[str, Any], queued_tasks: None) -> None:
    EmbedRun.objects.create(requested_by=cast["admin"])
    overview = call(cast["admin"], "get", OVERVIEW).json()
    assert overview["run"]["status"] == "queued" and overview["run"]["active"] is True
    assert overview["noWorker"] is True and overview["run"]["stage"] is None


# ---- start and stop ----------------------------------------------------------------------------------


def test_starting_twice_joins_the_run_there_is(
    cast: dict[str, Any], queued_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    admin = cast["admin"]
    with django_capture_on_commit_callbacks(execute=True):
        first = call(admin, "post", START)
    assert first.status_code == 202 and first.json()["status"] == "queued"
    assert first["Location"].endswith(f"{API}{OVERVIEW}")
    with django_capture_on_commit_callbacks(execute=True):
        second = call(admin, "post", START)
    assert second.status_code == 200 and second.json() == first.json()
    assert "Location" not in second
    assert EmbedRun.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path="plek.knowledge.tasks.embed_vectors").count() == 1
    # A running run (live heartbeat) is joined the same way.
    now = timezone.now()
    EmbedRun.objects.update(status=EmbedRun.Status.RUNNING, started_at=now, heartbeat_at=now)
    third = call(admin, "post", START)
    assert third.status_code == 200 and third.json()["id"] == first.json()["id"]
    assert third.json()["status"] == "running" and EmbedRun.objects.count() == 1


def test_stopping_a_running_run_sets_the_cancel_request(cast: dict[str, Any]) -> None:
    now = timezone.now()
    run = EmbedRun.objects.create(
        status=EmbedRun.Status.RUNNING, total=500, done=64, started_at=now, heartbeat_at=now
    )
    response = call(cast["admin"], "post", CANCEL)
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    # It stops between two batches, in the worker: until then it runs, with the request set.
    assert body["id"] == run.pk and body["cancelRequested"] is True
    assert body["status"] == "running" and body["active"] is True
    run.refresh_from_db()
    assert run.cancel_requested and run.status == EmbedRun.Status.RUNNING and run.finished_at is None
    assert call(cast["admin"], "get", OVERVIEW).json()["run"]["cancelRequested"] is True


def test_stopping_a_waiting_run_stops_it_at_once_and_then_there_is_nothing_to_stop(
    cast: dict[str, Any], queued_tasks: None
) -> None:
    run = EmbedRun.objects.create(requested_by=cast["admin"])
    body = call(cast["admin"], "post", CANCEL).json()
    assert body["id"] == run.pk and body["status"] == "cancelled" and body["statusLabel"] == "gestopt"
    assert body["active"] is False and body["finishedAt"] is not None
    before = state()
    dutch = problem(call(cast["admin"], "post", CANCEL), 409)
    assert dutch["type"] == "urn:plek:problem:conflict" and dutch["detail"] == "Er loopt geen run."
    english = problem(call(cast["admin"], "post", CANCEL, "?lang=en"), 409)
    assert english["detail"] == "No run is going."
    assert state() == before


def test_with_vectors_off_a_start_is_refused_and_makes_no_run(cast: dict[str, Any], settings: Any) -> None:
    settings.PLEK_EMBEDDINGS = False
    assert call(cast["admin"], "get", OVERVIEW).json()["enabled"] is False
    body = problem(call(cast["admin"], "post", START), 422)
    assert body["invalidParams"] == [
        {"name": "embeddings", "reason": "Vectoren staan uit (PLEK_EMBEDDINGS=0)."}
    ]
    english = problem(call(cast["admin"], "post", START, "?lang=en"), 422)
    assert english["invalidParams"][0]["reason"] == "Vectors are switched off (PLEK_EMBEDDINGS=0)."
    assert not EmbedRun.objects.exists()


# ---- bounded -----------------------------------------------------------------------------------------


def test_the_overview_runs_a_fixed_number_of_queries(cast: dict[str, Any], queued_tasks: None) -> None:
    """Polled while a run goes: the same queries for no run, one run or many runs and documents."""
    _token, secret = api_token_create(user=cast["admin"], name="poll")
    admin = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = admin.get(f"{API}{OVERVIEW}")
        assert response.status_code == 200, response.content[:500]
        return len(ctx.captured_queries)

    queries()  # the search backend's first use in this process (PostgreSQL: it makes sure its table is there)
    none = queries()
    for i in range(20):
        EmbedRun.objects.create(status=EmbedRun.Status.DONE, requested_by=cast["admin"], total=i, done=i)
    _items(30)
    many = queries()
    EmbedRun.objects.create(requested_by=cast["admin"])  # waiting: the worker heartbeat is looked at too
    waiting = queries()
    # The token (read, its last use noted: 2) and its user's hubs (1), the latest run with who asked
    # (1), the vectors (1), the outbox (1); the worker heartbeat only while a run waits in the database
    # queue (1). The document count is the search backend's (tantivy: no query; PostgreSQL: a count in
    # a savepoint, three statements inside the test's transaction).
    bound = 6 + 3 * (get_backend().name == "postgres")
    assert none == many <= bound, (none, many)
    assert waiting == many + 1 <= bound + 1, (many, waiting)
