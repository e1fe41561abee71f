"""A real multi-node PLeK on one machine, for `plek bench cluster` and the topology test.

PostgreSQL (the machine's server, a throwaway database), two web nodes (`plek serve`), one worker
(`plek worker`) and HAProxy in front, health-checking each node's `/readyz`. The nodes share
everything that must be shared — the database (sessions included), the PostgreSQL search index,
the task queue, the Redis cache (and with it the rate limits) and the upload folder — and nothing
else, so a write through one node is read through the other. All on loopback ports.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HAPROXY_CONFIG = """\
global
    maxconn 4000
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # A request that could not be delivered (the node is gone) goes to the other node: safe for
    # writes too, since nothing reached the dead node. Requests in flight on a killed node fail.
    retries 3
    option redispatch 1
    retry-on conn-failure
frontend web
    bind 127.0.0.1:{lb}
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
{servers}
"""

SEED = """
from plek.accounts.models import User
from plek.accounts.services import api_token_create
from plek.atlas.reference_data import reference_load
reference_load()
user = User.objects.create_superuser("cluster-admin", "cluster@example.org", "cluster-wachtwoord")
print("TOKEN=" + api_token_create(user=user, name="cluster")[1])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, *, token: str = "", timeout: float = 5.0) -> tuple[int, bytes]:
    """(status, body); 0 when nothing answered."""
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310 - loopback URLs built here
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()
    except OSError:
        return 0, b""


def post_json(url: str, body: bytes, *, token: str, timeout: float = 10.0) -> tuple[int, bytes]:
    request = urllib.request.Request(  # noqa: S310
        url,
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()
    except OSError:
        return 0, b""


@dataclass
class Cluster:
    """`with Cluster() as c:` starts everything; leaving the block stops it and drops the database."""

    web_workers: int = 2
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    redis_url: str = "redis://127.0.0.1:6379/13"
    log: Any = subprocess.DEVNULL
    dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="plek-cluster-")))
    db: str = field(default_factory=lambda: f"plek_cluster_{uuid.uuid4().hex[:10]}")
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    token: str = ""

    # ------------------------------------------------------------------ life cycle

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLEK_TEST_"))}
        env.update(
            DATABASE_URL=f"postgres://{self.pg_user}@{self.pg_host}:{self.pg_port}/{self.db}",
            PLEK_SEARCH_BACKEND="postgres",
            PLEK_TASKS_BACKEND="database",
            CACHE_URL=self.redis_url,
            PLEK_VAR_DIR=str(self.dir / "shared"),
            MEDIA_ROOT=str(self.dir / "shared" / "media"),
            SECRET_KEY=self.secret,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            DEBUG="0",
            PLEK_REQUIRE_MFA_FOR_STAFF="0",
            PLEK_WORKER_HEARTBEAT_SECONDS="1",
            PLEK_WORKER_STALE_SECONDS="5",
        )
        return env

    def __post_init__(self) -> None:
        self.secret = secrets.token_urlsafe(40)

    def _plek(self, *args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "plek.cli", *args], env=self.env(), **kwargs)

    def _psql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=self.pg_host, port=self.pg_port, user=self.pg_user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def start(self) -> Cluster:
        if not shutil.which("haproxy"):
            raise RuntimeError("haproxy is not installed (apt-get install haproxy)")
        self._psql(f'CREATE DATABASE "{self.db}"')
        try:
            self._flush_redis()
            migrate = self._plek("migrate", "--no-input", "-v", "0", stdout=self.log, stderr=self.log)
            if migrate.wait(timeout=900) != 0:
                raise RuntimeError("plek migrate failed")
            seed = self._plek("shell", "-c", SEED, stdout=subprocess.PIPE, stderr=self.log)
            out = seed.communicate(timeout=600)[0].decode()
            self.token = next(line[6:] for line in out.splitlines() if line.startswith("TOKEN="))
            for name in ("a", "b"):
                self.start_node(name)
            self.procs["worker"] = self._plek("worker", "--interval", "0.2", stdout=self.log, stderr=self.log)
            self.ports["lb"] = free_port()
            servers = "\n".join(f"    server {n} 127.0.0.1:{self.ports[n]} check" for n in ("a", "b"))
            config = self.dir / "haproxy.cfg"
            config.write_text(HAPROXY_CONFIG.format(lb=self.ports["lb"], servers=servers))
            self.procs["lb"] = subprocess.Popen(
                ["haproxy", "-f", str(config), "-db"], stdout=self.log, stderr=self.log
            )
            for name in ("a", "b"):
                self.wait_ready(name)
            self.wait_until(lambda: get(self.url("lb") + "/readyz")[0] == 200, "the balancer answers")
        except BaseException:
            self.stop()
            raise
        return self

    def start_node(self, name: str) -> None:
        self.ports.setdefault(name, free_port())
        self.procs[name] = self._plek(
            "serve",
            "--bind",
            f"127.0.0.1:{self.ports[name]}",
            "--workers",
            str(self.web_workers),
            "--no-collectstatic",
            stdout=self.log,
            stderr=self.log,
        )

    def wait_ready(self, name: str, timeout: float = 420.0) -> None:
        self.wait_until(lambda: get(self.url(name) + "/readyz")[0] == 200, f"node {name} ready", timeout)

    @staticmethod
    def wait_until(condition: Any, what: str, timeout: float = 180.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise RuntimeError(f"timed out waiting for {what}")

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def kill(self, name: str) -> None:
        """kill -9 of a node's whole process group (gunicorn master and its workers)."""
        proc = self.procs[name]
        with_children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        for pid in [proc.pid, *map(int, with_children)]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def _flush_redis(self) -> None:
        from django.core.cache.backends.redis import RedisCache

        RedisCache(self.redis_url, {"KEY_PREFIX": "plek"}).clear()

    def stop(self) -> None:
        for name in ("lb", "a", "b", "worker"):
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        try:
            self._psql(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
