"""Issue 13, point 7: kill -9 of the web server and of the worker in the middle of a stream of writes
(knowledge items, their edits, questions and their closing transition) through the API. After the
restarts every acknowledged write is in the database, nothing is half-written (every item has its
versions and history, every question its events), the search outbox drains and the index equals
the database (`plek search verify`).

Real processes: `plek serve` (gunicorn) and `plek worker` (PLEK_TASKS_BACKEND=database) on the test
database, whichever engine the run uses (SQLite, or PostgreSQL with PLEK_TEST_DATABASE_URL)."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection

from plek.accounts.services import api_token_create
from plek.brokering.models import Question
from plek.core.models import ChangeLog, SearchOutbox
from plek.core.testing import free_port
from plek.knowledge.indexing import index_verify, reindex
from plek.knowledge.models import KnowledgeItem, KnowledgeVersion
from plek.knowledge.search import reset_backends

pytestmark = pytest.mark.django_db(transaction=True)

# a port of its own: a fixed one let two test runs on one machine write to each other's server
PORT = int(os.environ.get("PLEK_CRASH_TEST_PORT") or free_port())
BASE = f"http://127.0.0.1:{PORT}"


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Processes:
    def __init__(self, env: dict[str, str], logs: Path):
        self.env, self.logs = env, logs
        self.server: subprocess.Popen[bytes] | None = None
        self.worker: subprocess.Popen[bytes] | None = None

    def _start(self, *args: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{args[0]}.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "plek.cli", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=str(django_settings.BASE_DIR),
            start_new_session=True,  # its own process group: kill -9 reaches gunicorn's workers too
        )

    def start_server(self) -> None:
        self.server = self._start(
            "serve", "--bind", f"127.0.0.1:{PORT}", "--workers", "2", "--no-collectstatic"
        )
        deadline = time.monotonic() + float(os.environ.get("PLEK_CRASH_TEST_START_SECONDS", "240"))
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                time.sleep(0.3)
        raise AssertionError("server did not come up in time")

    def start_worker(self) -> None:
        self.worker = self._start("worker")

    @staticmethod
    def kill9(proc: subprocess.Popen[bytes] | None) -> None:
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self) -> None:
        for proc in (self.server, self.worker):
            self.kill9(proc)


class Writer(threading.Thread):
    """Writes until stopped; remembers what the server acknowledged (and what it was sent)."""

    def __init__(self, token: str):
        super().__init__(daemon=True)
        self.token = token
        self.stop_event = threading.Event()
        self.items: dict[str, str] = {}  # acknowledged slug -> last acknowledged title
        self.sent_titles: dict[str, set[str]] = {}
        self.questions: dict[str, str] = {}  # acknowledged slug -> acknowledged state
        self.attempts = 0
        self.failures = 0

    def _call(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            BASE + "/api/v1" + path,
            data=json.dumps(body).encode(),
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        self.attempts += 1
        try:
            with urllib.request.urlopen(request, timeout=10) as r:
                return r.status, json.loads(r.read() or b"{}")
        except urllib.error.HTTPError as exc:
            self.failures += 1
            return exc.code, {}
        except OSError:  # refused, reset: the server is down; the write is not acknowledged
            self.failures += 1
            time.sleep(0.05)
            return 0, {}

    def run(self) -> None:
        n = 0
        while not self.stop_event.is_set() and n < 5000:
            n += 1
            title = f"Crashtest kennis {n} {secrets.token_hex(3)}"
            status, body = self._call(
                "POST",
                "/knowledge",
                {
                    "title": title,
                    "kind": "lesson",
                    "summary": "Crash",
                    "language": "nl",
                    "visibility": "public",
                    "licence": "CC BY 4.0",
                },
            )
            if status == 201:
                self.items[body["slug"]] = title
                self.sent_titles[body["slug"]] = {title}
                new = title + " (bewerkt)"
                self.sent_titles[body["slug"]].add(new)
                status, _ = self._call("PATCH", f"/knowledge/{body['slug']}", {"title": new})
                if status == 200:
                    self.items[body["slug"]] = new
            status, body = self._call(
                "POST",
                "/questions",
                {
                    "title": f"Crashtest vraag {n}",
                    "text": "Wie weet dit?",
                    "regions": ["GM0363"],
                    "askerRole": "practice",
                },
            )
            if status == 201:
                self.questions[body["slug"]] = body["state"]
                status, body2 = self._call("POST", f"/questions/{body['slug']}/transitions", {"to": "closed"})
                if status == 200:
                    self.questions[body["slug"]] = body2["state"]


def test_kill_9_of_server_and_worker_loses_no_acknowledged_write(
    cast: dict[str, Any], hub: Any, settings: Any, tmp_path: Path
) -> None:
    _token, raw = api_token_create(user=cast["member"], name="crash")
    reindex()  # the reference data was loaded before this test's index existed
    assert index_verify()["equal"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _database_url(),
        "PLEK_TASKS_BACKEND": "database",
        "PLEK_SEARCH_DIR": str(settings.PLEK_SEARCH_DIR),
        "PLEK_SEARCH_BACKEND": django_settings.PLEK_SEARCH_BACKEND,
        "PLEK_VAR_DIR": str(tmp_path / "var"),
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "0",
        "WEB_CONCURRENCY": "2",
    }
    procs = Processes(env, tmp_path)
    writer = Writer(raw)
    try:
        procs.start_server()
        procs.start_worker()
        writer.start()
        time.sleep(4)
        procs.kill9(procs.server)  # mid-stream
        procs.start_server()
        time.sleep(3)
        procs.kill9(procs.worker)  # mid-stream, with index work queued
        time.sleep(2)
        procs.start_worker()
        time.sleep(3)
        writer.stop_event.set()
        writer.join(timeout=30)
        assert writer.items and writer.questions, (writer.attempts, writer.failures)

        # Every acknowledged write is there, whole.
        for slug, title in writer.items.items():
            item = KnowledgeItem.objects.get(slug=slug)
            assert item.title in writer.sent_titles[slug]
            if title.endswith("(bewerkt)"):
                assert item.title == title
            versions = KnowledgeVersion.objects.filter(item=item).count()
            assert versions == item.version, (slug, versions, item.version)
            assert ChangeLog.objects.filter(object_id=item.pk, object_repr__startswith="Crashtest").exists()
        for slug, state in writer.questions.items():
            question = Question.objects.get(slug=slug)
            assert question.events.exists()
            if state == "closed":
                assert question.state == "closed"
        # Nothing half-written among the writes that were not acknowledged either.
        for item in KnowledgeItem.objects.filter(title__startswith="Crashtest"):
            assert KnowledgeVersion.objects.filter(item=item).count() == item.version
        for question in Question.objects.filter(title__startswith="Crashtest"):
            assert question.events.exists()

        # The outbox drains (the restarted worker catches up) and the index equals the database.
        deadline = time.monotonic() + 45
        while SearchOutbox.objects.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not SearchOutbox.objects.exists(), SearchOutbox.objects.count()
        time.sleep(1)  # let the worker finish the batch it claimed
        reset_backends()
        result = index_verify()
        assert result["equal"], result
        assert result["database_documents"] >= len(writer.items)
    finally:
        writer.stop_event.set()
        procs.stop()
