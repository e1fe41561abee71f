"""Embedding in the worker with its progress in the database (`EmbedRun`, plek.knowledge.embedruns):
the counts add up to the documents, a second request joins the run there is, a run lost with its
worker is shown as interrupted and the next one embeds only the rest, "Stoppen" stops between two
batches, the page is for administrators only (a refused request makes no run) and shows the progress
in the viewer's number format, and `plek search embed --in-worker` / `status`.

The real encoder and the real task backends: the immediate one in process, and the database queue
with real `plek worker` processes (one killed with -9). Encoder calls are counted as the vectors a run
created (rows past the highest id before it), not by replacing the encoder."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from plek.atlas.permissions import viewer_for
from plek.core.models import SearchVector
from plek.core.testing import start_worker, stop, wait_for
from plek.knowledge import embedruns, services, vectors
from plek.knowledge.embedruns import embed_run_execute
from plek.knowledge.indexing import builders
from plek.knowledge.models import EmbedRun, KnowledgeItem
from plek.knowledge.tests.embed_fixture import running_run

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
WORDS = [
    "water",
    "bodem",
    "stikstof",
    "woningbouw",
    "energie",
    "landbouw",
    "natuur",
    "klimaat",
    "droogte",
    "verzilting",
    "polder",
    "dijk",
    "veenweide",
    "grondwater",
    "mobiliteit",
    "zorg",
    "onderwijs",
    "erfgoed",
    "recreatie",
    "bedrijventerrein",
    "warmtenet",
    "zonnepark",
    "windturbine",
    "beek",
    "kreek",
    "oever",
    "rietland",
    "weidevogel",
    "boer",
    "gemeente",
    "provincie",
    "waterschap",
]


def _items(n: int, *, words: int = 12, seed: int = 7) -> None:
    """`n` knowledge items with distinct texts (no outbox rows: only a run gives them vectors)."""
    rng = random.Random(seed)
    KnowledgeItem.objects.bulk_create(
        KnowledgeItem(
            slug=f"kennis-{seed}-{i}",
            title=f"Kennis {i}: {' '.join(rng.sample(WORDS, 3))}",
            summary=" ".join(rng.choices(WORDS, k=words)),
            body=" ".join(rng.choices(WORDS, k=words * 4)),
            kind="report",
            category="research",
        )
        for i in range(n)
    )


def _documents() -> int:
    return sum(model.objects.count() for model, _build in builders().values())


def _top_vector() -> int:
    return SearchVector.objects.aggregate(top=Max("pk"))["top"] or 0


def _client(user: Any) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _long_ago() -> dt.datetime:
    return timezone.now() - embedruns.stale_after() - dt.timedelta(minutes=5)


# ---- in process (the immediate task backend) ------------------------------------------------------


def test_a_run_checks_every_document_and_its_counts_add_up(
    cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _items(150)
    started_at = time.monotonic()
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        run, started = services.embed_run_request(viewer=viewer_for(cast["admin"]))
    seconds = time.monotonic() - started_at
    run.refresh_from_db()
    assert started and run.status == EmbedRun.Status.DONE, run.error
    documents = _documents()
    assert documents > 150  # the reference set's programmes and the hub are documents too
    assert run.done == run.total == documents
    # Progress is written at most once a second, besides the start (lost runs marked twice, the claim),
    # the stage, the plan and the end (the last count, the status); the row is read once per encoder
    # batch for a cancel request: never per document.
    table = EmbedRun._meta.db_table
    writes = [q for q in queries if q["sql"].startswith(f'UPDATE "{table}"')]
    reads = [q for q in queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]]
    batches = sum(math.ceil(model.objects.count() / vectors.BATCH) for model, _b in builders().values())
    assert len(writes) <= 7 + seconds, [q["sql"] for q in writes]
    assert len(reads) <= batches + 3 < documents
    assert run.embedded == SearchVector.objects.count() == documents
    assert run.stage == EmbedRun.Stage.VECTORS and run.requested_by == cast["admin"]
    assert run.started_at and run.heartbeat_at and run.finished_at and run.finished_at >= run.started_at
    # Nothing changed: the next run checks every document again and embeds none.
    with django_capture_on_commit_callbacks(execute=True):
        again, _started = services.embed_run_request(viewer=viewer_for(cast["admin"]))
    again.refresh_from_db()
    assert again.pk != run.pk and again.status == EmbedRun.Status.DONE
    assert again.done == again.total == documents and again.embedded == 0


def test_an_interrupted_run_is_shown_and_the_next_embeds_only_the_rest(
    cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    _items(24)
    docs = [
        doc
        for model, build in builders().values()
        for doc in build(list(model.objects.order_by("pk").values_list("pk", flat=True)))
    ]
    half = docs[: len(docs) // 2]
    assert vectors.store(half) == len(half)
    lost = EmbedRun.objects.create(
        status=EmbedRun.Status.RUNNING,
        stage=EmbedRun.Stage.VECTORS,
        kind="knowledge",
        total=len(docs),
        done=len(half),
        started_at=_long_ago(),
        heartbeat_at=_long_ago(),
    )
    admin = _client(cast["admin"])
    page = admin.get("/zoeken/vectoren/").content.decode()
    assert "<strong>onderbroken</strong>" in page and "De worker stopte tijdens deze run" in page
    assert "hx-trigger" not in page and ">Vectoren bijwerken</button>" in page and "Stoppen" not in page
    before = _top_vector()
    with django_capture_on_commit_callbacks(execute=True):
        assert admin.post("/zoeken/vectoren/bijwerken/").status_code == 302
    lost.refresh_from_db()
    assert lost.status == EmbedRun.Status.INTERRUPTED and lost.finished_at is not None
    run = EmbedRun.objects.exclude(pk=lost.pk).get()
    assert run.status == EmbedRun.Status.DONE, run.error
    assert run.done == run.total == len(docs)
    created = SearchVector.objects.filter(pk__gt=before).count()
    assert created == len(docs) - len(half) == run.embedded  # only the rest went through the encoder
    assert SearchVector.objects.count() == len(docs)


def test_the_task_put_back_after_its_worker_died_continues_its_own_run(ref: None) -> None:
    _items(8)
    run = EmbedRun.objects.create(
        status=EmbedRun.Status.RUNNING, started_at=_long_ago(), heartbeat_at=_long_ago()
    )
    assert embed_run_execute(run.pk) == EmbedRun.Status.DONE
    run.refresh_from_db()
    assert run.status == EmbedRun.Status.DONE and run.done == run.total == _documents()
    # A running run with a fresh heartbeat belongs to a live worker: the task leaves it alone.
    now = timezone.now()
    EmbedRun.objects.filter(pk=run.pk).update(status=EmbedRun.Status.RUNNING, heartbeat_at=now, done=3)
    assert embed_run_execute(run.pk) == EmbedRun.Status.RUNNING
    run.refresh_from_db()
    assert run.done == 3 and run.heartbeat_at == now


def test_one_run_at_a_time_a_second_request_joins_it_and_a_waiting_run_stops_at_once(
    cast: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = DATABASE_TASKS
    admin = viewer_for(cast["admin"])
    with django_capture_on_commit_callbacks(execute=True):
        first, started = services.embed_run_request(viewer=admin)
    with django_capture_on_commit_callbacks(execute=True):
        second, again = services.embed_run_request(viewer=admin)
    assert started and not again and second.pk == first.pk and first.status == EmbedRun.Status.QUEUED
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("search", "embed", "--in-worker", stdout=out)
    assert f"Joined the run already there: embed_run={first.pk} " in out.getvalue()
    assert EmbedRun.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path="plek.knowledge.tasks.embed_vectors").count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        EmbedRun.objects.create()  # the database holds the rule too: a second waiting run is refused
    # A running run (live heartbeat) is joined the same way.
    EmbedRun.objects.filter(pk=first.pk).update(
        status="running", started_at=timezone.now(), heartbeat_at=timezone.now()
    )
    joined, started = services.embed_run_request(viewer=admin)
    assert joined.pk == first.pk and not started and EmbedRun.objects.count() == 1
    # Stopping a waiting run stops it at once; its task, when a worker takes it, does nothing.
    EmbedRun.objects.filter(pk=first.pk).update(status="queued")
    stopped = services.embed_run_cancel(viewer=admin)
    assert stopped is not None and stopped.status == EmbedRun.Status.CANCELLED and stopped.cancel_requested
    assert embed_run_execute(first.pk) == EmbedRun.Status.CANCELLED
    assert not SearchVector.objects.exists()
    assert services.embed_run_cancel(viewer=admin) is None  # nothing left to stop


ROLES = [("anonymous", 302), ("outsider", 403), ("member", 403), ("coordinator", 403), ("admin", 200)]


@pytest.mark.parametrize(("who", "status"), ROLES)
def test_the_vectors_page_permission_matrix(
    cast: dict[str, Any], settings: Any, who: str, status: int, django_capture_on_commit_callbacks: Any
) -> None:
    """Administrators only; a refused request makes no run and stops none."""
    settings.TASKS = DATABASE_TASKS  # queued, not run: the test looks at the rows only
    client = _client(cast[who])
    assert client.get("/zoeken/vectoren/").status_code == status
    assert client.get("/zoeken/vectoren/", HTTP_HX_REQUEST="true").status_code == status
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/zoeken/vectoren/bijwerken/")
    assert response.status_code == (302 if status in (200, 302) else status)
    if who == "anonymous":
        assert response["Location"].startswith("/accounts/inloggen/")
    assert EmbedRun.objects.exists() == (who == "admin")
    assert DBTaskResult.objects.exists() == (who == "admin")
    if who != "admin":  # someone else's waiting run, which the refused request must leave alone
        EmbedRun.objects.create(requested_by=cast["admin"])
    response = client.post("/zoeken/vectoren/stoppen/")
    assert response.status_code == (302 if status in (200, 302) else status)
    run = EmbedRun.objects.get()
    assert run.cancel_requested == (who == "admin")
    assert run.status == (EmbedRun.Status.CANCELLED if who == "admin" else EmbedRun.Status.QUEUED)


@pytest.mark.parametrize(("who", "status"), ROLES)
def test_only_administrators_find_the_vectors_page_from_the_search_page(
    cast: dict[str, Any], who: str, status: int
) -> None:
    html = _client(cast[who]).get("/zoeken/").content.decode()
    assert ('href="/zoeken/vectoren/"' in html) == (who == "admin")


def test_the_page_shows_the_progress_in_the_viewers_number_format(cast: dict[str, Any]) -> None:
    running_run(cast["admin"], total=100_000, done=12_345, rate=230.4)
    admin = _client(cast["admin"])
    page = admin.get("/zoeken/vectoren/").content.decode()
    assert "12.345 van 100.000 (12%)" in page
    assert '<label for="vectors-bar">Voortgang</label>' in page
    assert 'id="vectors-bar" max="100000" value="12345" aria-describedby="vectors-count"' in page
    assert "<strong>bezig</strong> (vectoren: Kennis)" in page
    assert "230 documenten per seconde · nog ongeveer 7 minuten" in page  # 87,655 / 230.4 s = 6.3 min
    assert 'hx-get="/zoeken/vectoren/" hx-trigger="every 1s"' in page
    assert ">Stoppen</button>" in page and ">Vectoren bijwerken</button>" not in page
    english = _client(cast["admin"]).get("/zoeken/vectoren/?lang=en").content.decode()
    assert "12,345 of 100,000 (12%)" in english and "230 documents per second" in english
    assert ">Stop</button>" in english
    # The polled part holds the figures and the bar; the buttons stay put (keyboard focus is kept).
    part = admin.get("/zoeken/vectoren/", HTTP_HX_REQUEST="true").content.decode()
    assert part.startswith('<div id="vectors-progress"') and "vectors-actions" not in part
    assert "<html" not in part
    # Finished: polling stops and the buttons are swapped once, out of band.
    EmbedRun.objects.update(
        status=EmbedRun.Status.DONE, done=100_000, embedded=87_655, finished_at=timezone.now()
    )
    part = admin.get("/zoeken/vectoren/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in part, part
    assert "100.000 van 100.000 (100%)" in part
    assert '<div id="vectors-actions" class="plek-actions" hx-swap-oob="true">' in part
    assert ">Vectoren bijwerken</button>" in part and "87.655 vectoren berekend" in part


def test_the_command_queues_for_the_worker_and_status_shows_the_last_run(
    ref: None, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.TASKS = DATABASE_TASKS
    out = StringIO()
    call_command("search", "status", stdout=out)
    assert out.getvalue().splitlines()[-1] == "embed_run=none"
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("search", "embed", "--in-worker", stdout=out)
    run = EmbedRun.objects.get()
    assert f"Queued embed_run={run.pk} mode=embed status=queued" in out.getvalue()
    assert DBTaskResult.objects.get(task_path="plek.knowledge.tasks.embed_vectors").args_kwargs["args"] == [
        run.pk
    ]
    EmbedRun.objects.filter(pk=run.pk).update(
        status="running", stage="vectors", total=1000, done=250, rate=50.0, heartbeat_at=timezone.now()
    )
    out = StringIO()
    call_command("search", "status", stdout=out)
    line = out.getvalue().splitlines()[-1]
    assert line.startswith(f"embed_run={run.pk} mode=embed status=running stage=vectors done=250/1000 (25%)")
    assert "rate=50/s eta_s=15 " in line
    EmbedRun.objects.filter(pk=run.pk).update(heartbeat_at=_long_ago())
    out = StringIO()
    call_command("search", "status", stdout=out)
    assert "status=interrupted" in out.getvalue()
    with pytest.raises(CommandError):
        call_command("search", "apply", "--in-worker")
    out = StringIO()
    call_command("search", "stop", stdout=out)  # the lost run is no longer stopped: nothing waits or runs
    assert out.getvalue() == "No embedding run waits or runs\n"
    EmbedRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())
    out = StringIO()
    call_command("search", "stop", stdout=out)
    assert out.getvalue().startswith(f"Asked to stop: embed_run={run.pk} mode=embed status=running")
    assert EmbedRun.objects.get(pk=run.pk).cancel_requested


def test_a_reindex_run_rebuilds_the_words_then_the_vectors(
    cast: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from plek.knowledge.search import get_backend

    _items(6)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("search", "reindex", "--in-worker", stdout=out)
    run = EmbedRun.objects.get()
    assert run.mode == EmbedRun.Mode.REINDEX and run.status == EmbedRun.Status.DONE, run.error
    assert run.done == run.total == get_backend().count() == SearchVector.objects.count() == _documents()


def test_with_embeddings_off_no_run_is_made(cast: dict[str, Any], settings: Any) -> None:
    settings.PLEK_EMBEDDINGS = False
    admin = _client(cast["admin"])
    page = admin.get("/zoeken/vectoren/").content.decode()
    assert "Vectoren staan uit" in page and ">Vectoren bijwerken</button>" not in page
    response = admin.post("/zoeken/vectoren/bijwerken/", follow=True)
    assert "Vectoren staan uit (PLEK_EMBEDDINGS=0)." in response.content.decode()
    assert not EmbedRun.objects.exists()


# ---- through the database queue and real `plek worker` processes --------------------------------

MANY = 1200  # enough that a run is still going when the test stops or kills it (~130-450 docs/s)


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_run_keeps_its_vectors_and_the_next_run_embeds_only_the_rest(
    settings: Any, cast: dict[str, Any]
) -> None:
    settings.TASKS = DATABASE_TASKS
    _items(MANY, words=20)
    total = _documents()
    admin = _client(cast["admin"])
    assert admin.post("/zoeken/vectoren/bijwerken/").status_code == 302
    run = EmbedRun.objects.get()
    assert run.status == EmbedRun.Status.QUEUED
    task = DBTaskResult.objects.get(task_path="plek.knowledge.tasks.embed_vectors")
    worker = start_worker()
    try:
        wait_for(lambda: EmbedRun.objects.filter(pk=run.pk, done__gt=0).exists(), timeout=240)
    finally:
        worker.kill()  # kill -9: no chance to tidy up
        worker.wait(timeout=30)
    run.refresh_from_db()
    stored = SearchVector.objects.count()
    assert run.status == EmbedRun.Status.RUNNING and run.total == total
    assert 0 < stored < total, (stored, total)
    assert DBTaskResult.objects.get(pk=task.pk).status == "RUNNING"  # left behind by the dead worker

    # Its heartbeat grows old: the page says so and offers a new run, which joins nothing.
    EmbedRun.objects.filter(pk=run.pk).update(heartbeat_at=_long_ago())
    page = admin.get("/zoeken/vectoren/").content.decode()
    assert "<strong>onderbroken</strong>" in page and ">Vectoren bijwerken</button>" in page
    before = _top_vector()
    assert admin.post("/zoeken/vectoren/bijwerken/").status_code == 302
    run.refresh_from_db()
    assert run.status == EmbedRun.Status.INTERRUPTED
    resumed = EmbedRun.objects.exclude(pk=run.pk).get()
    worker = start_worker()
    try:
        wait_for(
            lambda: EmbedRun.objects.filter(pk=resumed.pk, finished_at__isnull=False).exists(), timeout=300
        )
    finally:
        stop(worker)
    resumed.refresh_from_db()
    assert resumed.status == EmbedRun.Status.DONE, resumed.error
    assert resumed.done == resumed.total == total
    created = SearchVector.objects.filter(pk__gt=before).count()
    assert created == total - stored == resumed.embedded  # what the killed run stored was not redone
    assert SearchVector.objects.count() == total


@pytest.mark.django_db(transaction=True)
def test_stopping_a_run_in_the_worker_ends_it_between_two_batches(
    settings: Any, cast: dict[str, Any]
) -> None:
    settings.TASKS = DATABASE_TASKS
    _items(MANY, words=20)
    total = _documents()
    admin = _client(cast["admin"])
    admin.post("/zoeken/vectoren/bijwerken/")
    run = EmbedRun.objects.get()
    worker = start_worker()
    try:
        wait_for(lambda: EmbedRun.objects.filter(pk=run.pk, done__gt=0).exists(), timeout=240)
        assert admin.post("/zoeken/vectoren/stoppen/").status_code == 302
        wait_for(lambda: EmbedRun.objects.filter(pk=run.pk, finished_at__isnull=False).exists(), timeout=60)
    finally:
        stop(worker)
    run.refresh_from_db()
    stored = SearchVector.objects.count()
    assert run.status == EmbedRun.Status.CANCELLED and run.cancel_requested
    # Stopped between batches: every batch counted was stored whole (64 documents each, all of them
    # knowledge items, the first kind), and nothing after it.
    assert run.done == stored < total
    assert stored % vectors.BATCH == 0
    page = admin.get("/zoeken/vectoren/").content.decode()
    assert "<strong>gestopt</strong>" in page and ">Vectoren bijwerken</button>" in page
