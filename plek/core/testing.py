"""Helpers for tests that start real PLeK processes (workers, servers) against the test database."""

from __future__ import annotations

import os
import socket
import subprocess  # nosec B404 # test helper that starts PLeK itself
import sys
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the system's choice, so two test runs on
    one machine do not pick the same one)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def database_url() -> str:
    """The URL of the database this test runs on (the test database, not the configured one)."""
    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{os.path.abspath(s['NAME'])}"
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    """Environment for a child process that shares this test's database and search index."""
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PLEK_TEST_DATABASE_URL")
    }
    env.update(
        DATABASE_URL=database_url(),
        PLEK_SEARCH_BACKEND=settings.PLEK_SEARCH_BACKEND,
        PLEK_SEARCH_DIR=str(settings.PLEK_SEARCH_DIR),
        PLEK_TASKS_BACKEND="database",
        DEBUG="0",
    )
    env.update(extra)
    return env


def start_worker(**extra: str) -> subprocess.Popen[bytes]:
    """A real `plek worker` process polling the test database's queue."""
    return subprocess.Popen(  # nosec B603 # fixed argv: this interpreter and plek
        [sys.executable, "-m", "plek.cli", "worker", "--interval", "0.2"],
        env=process_env(**extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition: Callable[[], Any], *, timeout: float = 90.0, step: float = 0.2) -> Any:
    """Poll `condition` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"condition not met within {timeout:g} s: {condition}")


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# ---- API tests: one JSON call as a person, and the fields a problem+json answer names ----------------


def api_call(user: Any, method: str, url: str, body: Any = None) -> Any:
    """`method` on `url` as `user` (None: anonymous), with `body` as JSON when given."""
    import json

    from django.test import Client

    client = Client()
    if user is not None:
        client.force_login(user)
    if body is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def problem_fields(response: Any, status: int) -> set[str]:
    """Assert a problem+json answer with `status`; the names of the fields it says are wrong."""
    assert response.status_code == status, response.content[:500]  # nosec B101 # test helper
    assert response["Content-Type"] == "application/problem+json"  # nosec B101 # test helper
    return {p["name"] for p in response.json().get("invalidParams") or []}
