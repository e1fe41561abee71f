"""Several nodes starting at once each run `plek migrate`; only one migrates, the others wait."""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from plek.core.testing import process_env


@pytest.fixture
def fresh_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind this suite runs on (SQLite file, or a throwaway PostgreSQL db)."""
    if connection.vendor != "postgresql":
        yield f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
        return
    import psycopg

    s = connection.settings_dict
    name = f"plek_migrate_{uuid.uuid4().hex[:10]}"
    params = {"host": s.get("HOST") or "127.0.0.1", "port": s.get("PORT") or 5432, "user": s.get("USER")}
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://{params['user']}@{params['host']}:{params['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db
def test_two_nodes_migrating_at_once_both_succeed(fresh_database_url: str, tmp_path: Path) -> None:
    env = process_env(DATABASE_URL=fresh_database_url, PLEK_VAR_DIR=str(tmp_path))
    command = [sys.executable, "-m", "plek.cli", "migrate", "--no-input", "-v", "0"]
    nodes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)
    ]
    outputs = [node.communicate(timeout=600)[0].decode() for node in nodes]
    assert [node.returncode for node in nodes] == [0, 0], outputs
    check = subprocess.run([*command, "--check"], env=env, capture_output=True, timeout=300)
    assert check.returncode == 0, check.stdout.decode() + check.stderr.decode()  # nothing left unapplied
    assert os.path.exists(tmp_path) and "Traceback" not in "".join(outputs)


def _has_open(pid: int, path: Path) -> bool:
    """Whether process `pid` has `path` open (Linux: /proc/<pid>/fd)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except FileNotFoundError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == str(path):
                return True
    return False


def test_a_waiting_node_does_not_touch_the_sqlite_database(tmp_path: Path) -> None:
    """The lock comes before the system checks: a node that checked while another migrated opened a
    write transaction (Django's JSONField check), waited out the busy timeout on a slow machine and
    reported "SQLite does not support JSONFields"."""
    database = tmp_path / "fresh.sqlite3"
    lock = Path(f"{database}.migrate-lock")
    env = process_env(DATABASE_URL=f"sqlite:///{database}", PLEK_VAR_DIR=str(tmp_path))
    command = [sys.executable, "-m", "plek.cli", "migrate", "--no-input", "-v", "0"]
    with lock.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another node is migrating
        node = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 300
            while not _has_open(node.pid, lock):  # it has reached the lock and waits there
                assert node.poll() is None, node.communicate()[0].decode()
                assert time.monotonic() < deadline, "the node never reached the lock"
                time.sleep(0.05)
            time.sleep(0.5)
            assert not database.exists(), "the waiting node opened the database"
        finally:
            fcntl.flock(held, fcntl.LOCK_UN)
        output = node.communicate(timeout=600)[0].decode()
    assert node.returncode == 0, output
    assert database.exists()
