"""A real multi-node PLeK on one machine: `plek bench cluster` and the topology test.

PostgreSQL (the machine's server, a throwaway database this module creates and drops), Redis (one
database number of its own) as the shared cache, two web nodes (`plek serve`), one worker (`plek
worker`) and HAProxy in front, health-checking each node's `/readyz`. Each node and the worker run
in a network namespace of their own (`ip netns` + a veth pair), so every request crosses a real
network hop; the nodes reach PostgreSQL and Redis through a TCP relay on the host's side of their
link. Without the right to make namespaces (not root), everything runs on loopback and the result
says so.

The nodes share what must be shared — the database (sessions included), the PostgreSQL search
index, the task queue, the Redis cache (and with it the rate limits) and the upload folder — and
nothing else: each has its own `PLEK_VAR_DIR`.

The HAProxy configuration is `haproxy_config()`; docs/deployment.md carries a copy that a test
keeps equal to it.
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import os
import random
import secrets
import shutil
import signal
import subprocess  # starts PLeK, HAProxy and `ip` with fixed argv  # nosec B404
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote

from plek.brokering.loadbench import percentile
from plek.core.testing import free_port

#: The balancer. `{bind}`: where it listens; `{servers}`: one `server` line per web node;
#: `{health_host}`: the Host header of the health check (one of ALLOWED_HOSTS).
HAPROXY_TEMPLATE = """\
global
    maxconn 4000

defaults
    mode http
    option forwardfor
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    # A request that never reached a node (refused, or the node is down) goes to another node:
    # safe for writes too, since nothing reached the dead one. A read (GET, HEAD) that a node
    # dropped without an answer is retried on another node as well; a write in flight on a node
    # that dies gets a 502 and was not acknowledged (it may or may not have committed).
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response

frontend web
    bind {bind}
    http-request del-header X-Forwarded-Proto
    http-request set-header X-Forwarded-Proto https if {{ ssl_fc }}
    http-request disable-l7-retry unless METH_GET || METH_HEAD
    default_backend nodes

backend nodes
    balance roundrobin
    # A node takes traffic while /readyz answers 200 (database, search, no migration waiting):
    # checked every 0.5 s (2 s to answer), out after 3 failures, back after 2 successes.
    option httpchk
    http-check send meth GET uri /readyz ver HTTP/1.1 hdr Host {health_host} hdr X-Forwarded-Proto https
    http-check expect status 200
    timeout check 2s
    default-server inter 500ms fall 3 rise 2
{servers}
"""

#: What the documentation shows (docs/deployment.md): the same template, production addresses.
DOCS_EXAMPLE = {
    "bind": ":80",
    "servers": [("a", "10.0.0.11:8000"), ("b", "10.0.0.12:8000")],
    "health_host": "plek.example.nl",
}

#: Only in the bench: the nodes reach the host's PostgreSQL and Redis (which listen on loopback)
#: through this relay on the host's end of each node's link. Long timeouts: connections are kept.
RELAY_TEMPLATE = """\
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 1s
    timeout client 1h
    timeout server 1h
{relays}
"""

ADMIN_PASSWORD = "cluster-wachtwoord-" + secrets.token_hex(8)  # a throwaway account, new each run

DEMO = """
from django.core.management import call_command
call_command("demo")
"""
SEED = """
from plek.accounts.models import User
from plek.accounts.services import api_token_create
user = User.objects.create_superuser("cluster-admin", "cluster@example.org", "{password}")
print("TOKEN=" + api_token_create(user=user, name="cluster")[1])
"""

# What a visitor does under load, with weights: the key pages, a search, and now and then a write.
MIX = {
    "home": 2,
    "region": 3,
    "organisations": 2,
    "organisation": 2,
    "knowledge": 3,
    "search": 3,
    "questions": 1,
    "write": 1,
}
# The first visitors begin with a write, so that the check for lost writes has writes to check however
# slow the machine (the mix alone gave 6 in a 10-second run on a machine running two test suites)
FIRST_WRITERS = 15
SEARCH_WORDS = ["water", "stikstof", "bodem", "energie", "woningbouw", "mobiliteit", "klimaat", "zorg"]


class ClusterError(RuntimeError):
    pass


def haproxy_config(*, bind: str, servers: Sequence[tuple[str, str]], health_host: str) -> str:
    lines = "\n".join(f"    server {name} {address} check" for name, address in servers)
    return HAPROXY_TEMPLATE.format(bind=bind, servers=lines, health_host=health_host)


# ---------------------------------------------------------------------------------------- HTTP


def request(
    url: str, *, data: bytes | None = None, token: str = "", timeout: float = 10.0
) -> tuple[int, bytes]:
    """(status, body) of one request; status 0 when nothing answered."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers, method="POST" if data else "GET")  # noqa: S310 # URLs built here  # nosec B310
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:  # noqa: S310 # nosec B310
            return int(response.status), response.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()
    except (OSError, http.client.HTTPException):  # refused, reset, cut off mid-answer (a killed node)
        return 0, b""


def wait_until(condition: Callable[[], Any], what: str, timeout: float = 180.0, step: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(step)
    raise ClusterError(f"timed out after {timeout:g} s waiting for {what}")


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, timeout=30)  # nosec B603


# ------------------------------------------------------------------------------------- network


@dataclass
class Network:
    """Where each process runs: its own network namespace behind a veth pair, or loopback."""

    tag: str
    mode: str = "netns"  # or "loopback"
    note: str = ""
    links: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (host side, node side)
    namespaces: list[str] = field(default_factory=list)
    interfaces: list[str] = field(default_factory=list)  # host ends of the veth pairs
    _block: tuple[int, int] = (0, 0)

    def open(self, names: Iterable[str], *, allow_netns: bool = True) -> None:
        names = list(names)
        if not allow_netns:
            self._loopback(names, "network namespaces not requested (--no-netns): all on loopback")
            return
        if os.geteuid() != 0 or not shutil.which("ip"):
            self._loopback(
                names, "not root or no `ip`: network namespaces need CAP_SYS_ADMIN; all on loopback"
            )
            return
        taken = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, check=False).stdout  # nosec B603 B607
        for _ in range(20):
            block = (random.randint(100, 250), random.randint(0, 255))  # a free subnet  # nosec B311
            if f"10.{block[0]}.{block[1]}." not in taken:
                break
        self._block = block
        try:
            for i, name in enumerate(names):
                ns = f"plek-{self.tag}-{name}"
                host_if, node_if = f"pk{self.tag}{name}0", f"pk{self.tag}{name}1"
                host_ip, node_ip = self._ip(4 * i + 1), self._ip(4 * i + 2)
                _run("ip", "netns", "add", ns)
                self.namespaces.append(ns)
                _run("ip", "link", "add", host_if, "type", "veth", "peer", "name", node_if)
                self.interfaces.append(host_if)
                _run("ip", "link", "set", node_if, "netns", ns)
                _run("ip", "addr", "add", f"{host_ip}/30", "dev", host_if)
                _run("ip", "link", "set", host_if, "up")
                _run("ip", "-n", ns, "addr", "add", f"{node_ip}/30", "dev", node_if)
                _run("ip", "-n", ns, "link", "set", node_if, "up")
                _run("ip", "-n", ns, "link", "set", "lo", "up")
                self.links[name] = (host_ip, node_ip)
        except (subprocess.CalledProcessError, OSError) as exc:
            self.close()
            detail = getattr(exc, "stderr", b"") or str(exc).encode()
            self._loopback(names, f"`ip netns` refused ({detail.decode().strip()[:120]}); all on loopback")

    def _ip(self, last: int) -> str:
        return f"10.{self._block[0]}.{self._block[1]}.{last}"

    def _loopback(self, names: list[str], note: str) -> None:
        self.mode, self.note = "loopback", note
        self.links = dict.fromkeys(names, ("127.0.0.1", "127.0.0.1"))

    def gateway(self, name: str) -> str:
        """The address at which this process reaches the host's services."""
        return self.links[name][0]

    def address(self, name: str) -> str:
        """The address this process listens on."""
        return self.links[name][1]

    def prefix(self, name: str) -> list[str]:
        return ["ip", "netns", "exec", f"plek-{self.tag}-{name}"] if self.mode == "netns" else []

    def close(self) -> None:
        for ns in self.namespaces:  # deleting a namespace deletes its end of the veth, and so the pair
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, check=False)  # nosec B603 B607
        for interface in self.interfaces:  # a pair whose other end never reached its namespace
            subprocess.run(["ip", "link", "del", interface], capture_output=True, check=False)  # nosec B603 B607
        self.namespaces.clear()
        self.interfaces.clear()


# ------------------------------------------------------------------------------------- cluster


@dataclass
class Cluster:
    """`with Cluster() as c:` starts everything; leaving the block stops it and drops the database."""

    web_workers: int = 2
    redis_db: int = 12
    demo: bool = True
    netns: bool = True
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    pg_user: str = "postgres"
    redis_host: str = "127.0.0.1"
    redis_port: int = 6379
    progress: Any = None  # anything with write() and flush()
    dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="plek-cluster-")))
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    token: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    during_migration: dict[str, dict[str, int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.secret = secrets.token_urlsafe(40)
        self.db = f"plek_cluster_{self.tag}"
        self.network = Network(self.tag)

    # ------------------------------------------------------------------ environment

    def env(self, name: str) -> dict[str, str]:
        """A process's environment; `name` is "a", "b", "worker" or "host" (set-up commands)."""
        gateway = "127.0.0.1" if name == "host" else self.network.gateway(name)
        pg_port = self.pg_port if name == "host" or self.network.mode == "loopback" else self.ports["pg"]
        redis_port = (
            self.redis_port if name == "host" or self.network.mode == "loopback" else self.ports["redis"]
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PLEK_", "DATABASE_"))}
        hosts = {"127.0.0.1", "localhost", *(self.network.address(n) for n in self.network.links)}
        var = self.dir / "nodes" / name
        env.update(
            HOME=str(var),
            DATABASE_URL=f"postgres://{self.pg_user}@{gateway}:{pg_port}/{self.db}",
            PLEK_SEARCH_BACKEND="postgres",
            PLEK_TASKS_BACKEND="database",
            CACHE_URL=f"redis://{gateway}:{redis_port}/{self.redis_db}",
            PLEK_VAR_DIR=str(var),  # each node's own: nothing shared may live there
            MEDIA_ROOT=str(self.dir / "shared" / "media"),
            PLEK_ERASURE_LOG=str(self.dir / "shared" / "erasure-log.jsonl"),
            SECRET_KEY=self.secret,
            ALLOWED_HOSTS=",".join(sorted(hosts)),
            DEBUG="0",
            BEHIND_PROXY="1",
            PLEK_REQUIRE_MFA_FOR_STAFF="0",
            # One token makes every write of the bench: its budget must not be what is measured.
            API_RATE_LIMIT_TOKEN="100000/60",  # noqa: S106 # a budget, not a secret  # nosec B106
            PLEK_WORKER_HEARTBEAT_SECONDS="1",
            PLEK_WORKER_STALE_SECONDS="5",
        )
        return env

    def _say(self, text: str) -> None:
        if self.progress is not None:
            self.progress.write(text + "\n")
            self.progress.flush()

    def _plek(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        (self.dir / "nodes" / name).mkdir(parents=True, exist_ok=True)
        log = (self.dir / f"{name}.log").open("ab")
        argv = [*self.network.prefix(name), sys.executable, "-m", "plek.cli", *args]
        return subprocess.Popen(  # nosec B603
            argv, env=self.env(name), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def _host_step(self, what: str, *args: str, timeout: float = 900) -> str:
        started = time.perf_counter()
        (self.dir / "nodes" / "host").mkdir(parents=True, exist_ok=True)
        done = subprocess.run(  # nosec B603
            [sys.executable, "-m", "plek.cli", *args],
            env=self.env("host"),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise ClusterError(f"plek {' '.join(args[:1])} failed:\n{done.stderr[-3000:]}")
        self.timings[f"{what}_s"] = round(time.perf_counter() - started, 1)
        return done.stdout

    def _admin_sql(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=self.pg_host, port=self.pg_port, user=self.pg_user, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    def _flush_redis(self) -> None:
        import redis

        redis.Redis(host=self.redis_host, port=self.redis_port, db=self.redis_db).flushdb()

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Cluster:
        if not shutil.which("haproxy"):
            raise ClusterError("haproxy is not installed (apt-get install haproxy)")
        started = time.perf_counter()
        self._admin_sql(f'CREATE DATABASE "{self.db}"')
        try:
            self._flush_redis()
            self.network.open(["a", "b", "worker"], allow_netns=self.netns)
            self._say(f"network: {self.network.mode} {self.network.note}".rstrip())
            # The web nodes and the balancer start while the database is migrated and the demo
            # loads: a node answers /readyz with 503 until no migration waits, so the balancer
            # keeps it out until then (the property the docs promise for nodes that start early).
            if self.network.mode == "netns":
                self._start_relay()
            for name in ("a", "b"):
                self.start_node(name)
            self._start_balancer()
            self._say(f"database {self.db}: migrating")
            with self._watching_during_migration():
                self._host_step("migrate", "migrate", "--no-input", "-v", "0")
            self.procs["worker"] = self._plek("worker", "worker", "--interval", "0.2")
            if self.demo:
                self._say("loading the demo (default scale) and an admin with an API token")
            seed = SEED.replace("{password}", ADMIN_PASSWORD)
            out = self._host_step("data", "shell", "-c", (DEMO if self.demo else "") + seed)
            self.token = next(line[6:] for line in out.splitlines() if line.startswith("TOKEN="))
            for name in ("a", "b"):
                self.wait_ready(name)
            wait_until(lambda: request(self.url("lb") + "/readyz")[0] == 200, "the balancer answers")
        except BaseException:
            self.stop()
            raise
        self.timings["start_s"] = round(time.perf_counter() - started, 1)
        self._say(f"cluster up in {self.timings['start_s']} s: balancer {self.url('lb')}")
        return self

    @contextlib.contextmanager
    def _watching_during_migration(self) -> Iterator[None]:
        """What node A's /readyz and the balancer answer while the migration runs, by status: the
        node 0 (not up yet) or 503 (up, migration waiting), the balancer 503 (no node ready); 200
        only at the end, once no migration waits while `migrate` runs its post-migrate hooks."""
        stop = threading.Event()
        seen: dict[str, dict[str, int]] = {"node_a_readyz": {}, "balancer": {}}

        def watch() -> None:
            while not stop.is_set():
                for key, url in (
                    ("node_a_readyz", self.url("a") + "/readyz"),
                    ("balancer", self.url("lb") + "/"),
                ):
                    status = str(request(url, timeout=2)[0])
                    seen[key][status] = seen[key].get(status, 0) + 1
                stop.wait(0.25)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            stop.set()
            watcher.join(timeout=10)
            self.during_migration = seen

    def _start_relay(self) -> None:
        self.ports["pg"], self.ports["redis"] = free_port(), free_port()
        relays = []
        for name in ("a", "b", "worker"):
            gateway = self.network.gateway(name)
            for service, target in (
                ("pg", f"{self.pg_host}:{self.pg_port}"),
                ("redis", f"{self.redis_host}:{self.redis_port}"),
            ):
                relays.append(
                    f"listen {service}_{name}\n    bind {gateway}:{self.ports[service]}\n"
                    f"    server {service} {target}"
                )
        config = self.dir / "relay.cfg"
        config.write_text(RELAY_TEMPLATE.format(relays="\n".join(relays)))
        self.procs["relay"] = self._haproxy("relay", config)

    def _start_balancer(self) -> None:
        self.ports["lb"] = free_port()
        servers = [(n, f"{self.network.address(n)}:{self.ports[n]}") for n in ("a", "b")]
        config = self.dir / "haproxy.cfg"
        config.write_text(
            haproxy_config(bind=f"127.0.0.1:{self.ports['lb']}", servers=servers, health_host="localhost")
        )
        self.procs["lb"] = self._haproxy("lb", config)

    def _haproxy(self, name: str, config: Path) -> subprocess.Popen[bytes]:
        log = (self.dir / f"{name}.log").open("ab")
        argv = ["haproxy", "-c", "-q", "-f", str(config)]
        check = subprocess.run(argv, capture_output=True, check=False)  # nosec B603
        if check.returncode != 0:
            raise ClusterError(f"haproxy refused {config.name}: {check.stderr.decode()[-1000:]}")
        return subprocess.Popen(  # nosec B603 B607
            ["haproxy", "-f", str(config), "-db"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def start_node(self, name: str) -> None:
        self.ports.setdefault(name, free_port())
        bind = f"{self.network.address(name)}:{self.ports[name]}"
        self.procs[name] = self._plek(
            name, "serve", "--bind", bind, "--workers", str(self.web_workers), "--no-collectstatic"
        )

    def wait_ready(self, name: str, timeout: float = 300.0) -> None:
        def ready() -> bool:
            if self.procs[name].poll() is not None:
                raise ClusterError(f"node {name} exited:\n{self.log_tail(name)}")
            return request(self.url(name) + "/readyz")[0] == 200

        wait_until(ready, f"node {name} ready", timeout)

    def url(self, name: str) -> str:
        host = "127.0.0.1" if name == "lb" else self.network.address(name)
        return f"http://{host}:{self.ports[name]}"

    def log_tail(self, name: str, chars: int = 3000) -> str:
        path = self.dir / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    def kill(self, name: str) -> None:
        """kill -9 of a node: the gunicorn master and its workers (one process group)."""
        proc = self.procs[name]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.network.close()
        try:
            self._admin_sql(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
            self._flush_redis()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -------------------------------------------------------------------------------- measurements


def _item(title: str, word: str = "") -> bytes:
    body = f"{title}: over peilbeheer en kwel in de polder. {word}".strip()
    return json.dumps({"title": title, "kind": "case", "body": body}).encode()


def warm_up(cluster: Cluster, rounds: int = 3) -> None:
    """A few unmeasured visits of each key page on each node, as a running site has had: the first
    render of a page kind in a fresh worker costs imports and template compilation."""
    targets = load_targets(cluster)
    paths = [
        "/",
        f"/gebieden/{targets['region'][0]}/",
        "/organisaties/?pagina=2",
        f"/organisaties/{targets['organisation'][0]}/",
        f"/kennis/{targets['knowledge'][0]}/",
        f"/zoeken/?q={SEARCH_WORDS[0]}",
        "/vragen/",
        f"/api/v1/knowledge/{targets['knowledge'][0]}",
        f"/api/v1/search?q={SEARCH_WORDS[1]}",
    ]
    for _ in range(rounds * cluster.web_workers):
        for node in ("a", "b"):
            for path in paths:
                request(cluster.url(node) + path)


def session_probe(cluster: Cluster) -> dict[str, Any]:
    """Sign in through node A's form; is the session good on node B? (Sessions live in the
    database and are signed with the one SECRET_KEY: no sticky sessions needed.)"""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = cluster.url("a") + "/accounts/inloggen/"
    try:
        opener.open(login, timeout=30).read()  # nosec B310 # URL built here
        csrf = next(c.value for c in jar if c.name == "csrftoken")
        form = f"csrfmiddlewaretoken={csrf}&login=cluster-admin&password={quote(ADMIN_PASSWORD)}".encode()
        opener.open(urllib.request.Request(login, data=form, headers={"Referer": login}), timeout=30).read()  # noqa: S310 # nosec B310
        session = next((c.value for c in jar if c.name == "sessionid"), "")
        page = urllib.request.Request(  # noqa: S310 # nosec B310
            cluster.url("b") + "/accounts/mijn-gegevens/", headers={"Cookie": f"sessionid={session}"}
        )
        with urllib.request.urlopen(page, timeout=30) as response:  # noqa: S310 # nosec B310
            status, url, body = int(response.status), response.url, response.read()
    except (OSError, StopIteration, http.client.HTTPException) as exc:
        return {"signed_in_on_a": False, "signed_in_on_b": False, "detail": exc.__class__.__name__}
    return {
        "signed_in_on_a": bool(session),
        # B shows the account page itself (not the sign-in page it redirects strangers to)
        "signed_in_on_b": status == 200
        and url.endswith("/accounts/mijn-gegevens/")
        and b"cluster-admin" in body,
    }


def visibility_probe(cluster: Cluster, *, writes: int = 3, timeout: float = 10.0) -> dict[str, Any]:
    """Writes through node A; for each, how long until node B shows it: the API, the page (an
    anonymous visitor, through the shared page cache) and search (after the worker indexed it)."""
    probes: list[dict[str, float | None]] = []
    for i in range(writes):
        word = "klusterproef" + "".join(random.choices("bcdfghjklmnpqrstvwxz", k=8))  # nosec B311
        status, body = request(
            cluster.url("a") + "/api/v1/knowledge",
            data=_item(f"Clusterproef {word}", word),
            token=cluster.token,
        )
        acked = time.perf_counter()
        if status != 201:
            raise ClusterError(f"write {i} through node A answered {status}: {body[:300]!r}")
        slug = json.loads(body)["slug"]
        seen: dict[str, float | None] = {"api_ms": None, "page_ms": None, "search_ms": None}
        b = cluster.url("b")
        checks: dict[str, Callable[[], bool]] = {
            "api_ms": partial(_api_shows, f"{b}/api/v1/knowledge/{slug}", cluster.token),
            "page_ms": partial(_page_shows, f"{b}/kennis/{slug}/", word),
            "search_ms": partial(_search_finds, cluster, word, slug),
        }
        while any(v is None for v in seen.values()) and time.perf_counter() - acked < timeout:
            for key, check in checks.items():
                if seen[key] is None and check():
                    seen[key] = round((time.perf_counter() - acked) * 1000, 1)
            time.sleep(0.02)
        probes.append(seen)
    times = [v for p in probes for v in p.values()]
    worst = None if any(v is None for v in times) else max(v for v in times if v is not None)
    return {
        "writes": writes,
        "probes": probes,
        "max_ms": worst,
        "within_1s": worst is not None and worst <= 1000,
    }


def _api_shows(url: str, token: str) -> bool:
    return request(url, token=token)[0] == 200


def _page_shows(url: str, word: str) -> bool:
    status, body = request(url)
    return status == 200 and word.encode() in body


def _search_finds(cluster: Cluster, word: str, slug: str) -> bool:
    status, body = request(f"{cluster.url('b')}/api/v1/search?q={quote(word)}", token=cluster.token)
    return status == 200 and any(hit.get("slug") == slug for hit in json.loads(body).get("items", []))


@dataclass(frozen=True)
class Hit:
    kind: str
    start: float  # seconds since the load began
    end: float
    status: int  # 0: nothing answered

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    @property
    def ms(self) -> float:
        return (self.end - self.start) * 1000


def load_targets(cluster: Cluster) -> dict[str, list[str]]:
    """Real addresses, read through the balancer's API."""

    def values(path: str, key: str) -> list[str]:  # anonymously: what any visitor may see
        status, body = request(f"{cluster.url('lb')}/api/v1/{path}?pageSize=100")
        if status != 200:
            raise ClusterError(f"/api/v1/{path} answered {status}")
        return [item[key] for item in json.loads(body)["items"]]

    targets = {
        "region": values("regions", "code"),
        "organisation": values("organisations", "slug"),
        "knowledge": values("knowledge", "slug"),
    }
    if not all(targets.values()):
        raise ClusterError("no data to visit: the cluster needs the demo")
    return targets


def run_load(
    cluster: Cluster, *, users: int, duration: float, kill_after: float | None, seed: int = 17
) -> tuple[list[Hit], list[str], float | None]:
    """`users` visitors (0.5 to 1.5 s think time; the first FIRST_WRITERS begin with a write) through
    the balancer for `duration` seconds; node A gets kill -9 after `kill_after` seconds. Returns every
    request, the slugs of acknowledged writes (201) and when the kill happened (seconds since the load
    began)."""
    targets = load_targets(cluster)
    base = cluster.url("lb")
    hits: list[Hit] = []
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()
    began = time.perf_counter()
    kinds, weights = list(MIX), list(MIX.values())

    def visitor(number: int) -> None:
        rng = random.Random(seed * 1000 + number)  # load mix, not security  # nosec B311
        stop.wait(rng.uniform(0, min(2.0, duration / 4)))  # arrive over two seconds, not at once
        n = 0
        while not stop.is_set():
            kind = rng.choices(kinds, weights)[0]
            if n == 0 and number < FIRST_WRITERS:
                kind = "write"
            data = None
            if kind == "home":
                path = "/"
            elif kind == "region":
                path = f"/gebieden/{rng.choice(targets['region'])}/"
            elif kind == "organisations":
                path = "/organisaties/?pagina=2"
            elif kind == "organisation":
                path = f"/organisaties/{rng.choice(targets['organisation'])}/"
            elif kind == "knowledge":
                path = f"/kennis/{rng.choice(targets['knowledge'])}/"
            elif kind == "search":
                path = f"/zoeken/?q={rng.choice(SEARCH_WORDS)}"
            elif kind == "questions":
                path = "/vragen/"
            else:
                path, n = "/api/v1/knowledge", n + 1
                data = _item(f"Belasting {cluster.tag} {number}-{n}")
            start = time.perf_counter() - began
            status, body = request(base + path, data=data, token=cluster.token if data else "", timeout=30)
            end = time.perf_counter() - began
            with lock:
                hits.append(Hit(kind, start, end, status))
                if data is not None and status == 201:
                    acknowledged.append(json.loads(body)["slug"])
            stop.wait(rng.uniform(0.5, 1.5))

    threads = [threading.Thread(target=visitor, args=(i,), daemon=True) for i in range(users)]
    for thread in threads:
        thread.start()
    killed_at: float | None = None
    if kill_after is not None:
        time.sleep(max(0.0, kill_after - (time.perf_counter() - began)))
        killed_at = time.perf_counter() - began
        cluster.kill("a")
    time.sleep(max(0.0, duration - (time.perf_counter() - began)))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(hits, key=lambda h: h.start), acknowledged, killed_at


def lost_writes(cluster: Cluster, slugs: Iterable[str]) -> list[str]:
    """Acknowledged writes that node B cannot find."""
    return [
        s for s in slugs if request(f"{cluster.url('b')}/api/v1/knowledge/{s}", token=cluster.token)[0] != 200
    ]


def page_times(hits: Iterable[Hit]) -> dict[str, dict[str, Any]]:
    """Per kind: requests, errors, p50/p95 of the answered ones in ms (nearest rank)."""
    by_kind: dict[str, list[Hit]] = {}
    for hit in hits:
        by_kind.setdefault(hit.kind, []).append(hit)
    out: dict[str, dict[str, Any]] = {}
    for kind in sorted(by_kind):
        times = [h.ms for h in by_kind[kind] if h.ok]
        p50, p95 = percentile(times, 50), percentile(times, 95)
        out[kind] = {
            "requests": len(by_kind[kind]),
            "errors": sum(1 for h in by_kind[kind] if not h.ok),
            "p50_ms": None if p50 is None else round(p50, 1),
            "p95_ms": None if p95 is None else round(p95, 1),
        }
    return out


def failover_summary(
    hits: Sequence[Hit],
    *,
    killed_at: float | None,
    duration: float,
    quiet_tail: float = 3.0,
    bucket: float = 1.0,
) -> dict[str, Any]:
    """What the balancer's clients saw around the kill. An error is a request that got no 2xx/3xx
    answer. `recovered_after_s`: from the kill to the end of the last failed request (0.0 when none
    failed after it); `errors_in_tail`: errors among requests that ended in the last `quiet_tail`
    seconds — 0 (with requests in that tail) is "the error rate is back to zero"."""
    errors = [h for h in hits if not h.ok]
    after = [h for h in errors if killed_at is not None and h.end >= killed_at]
    before = [h for h in errors if killed_at is None or h.end < killed_at]
    tail = [h for h in hits if h.end >= duration - quiet_tail]
    tail_errors = sum(1 for h in tail if not h.ok)
    steps = max(1, int(-(-duration // bucket)))  # ceil
    timeline = [[round(i * bucket, 1), 0, 0] for i in range(steps)]
    for hit in hits:
        i = min(steps - 1, int(hit.end // bucket))
        timeline[i][1] += 1
        timeline[i][2] += 0 if hit.ok else 1
    recovered = None
    if killed_at is not None:
        recovered = round(max((h.end for h in after), default=killed_at) - killed_at, 2)
    statuses: dict[str, int] = {}
    for hit in errors:
        statuses[str(hit.status)] = statuses.get(str(hit.status), 0) + 1
    return {
        "requests": len(hits),
        "errors": len(errors),
        "error_statuses": dict(sorted(statuses.items())),  # "0": nothing answered
        "error_rate": round(len(errors) / len(hits), 4) if hits else None,
        "errors_before_kill": len(before),
        "errors_after_kill": len(after),
        "killed_at_s": None if killed_at is None else round(killed_at, 2),
        "recovered_after_s": recovered,
        "tail_seconds": quiet_tail,
        "requests_in_tail": len(tail),
        "errors_in_tail": tail_errors,
        "error_rate_back_to_zero": bool(tail) and tail_errors == 0,
        "timeline": timeline,  # [second, requests, errors] by the second a request ended
    }


def bench_cluster(
    *,
    users: int = 50,
    duration: float = 60.0,
    kill_after: float | None = 20.0,
    warmup: float = 0.0,
    web_workers: int = 2,
    redis_db: int = 12,
    netns: bool = True,
    demo: bool = True,
    target_p95_ms: float = 150.0,
    progress: Any = None,
) -> dict[str, Any]:
    """Start the cluster, probe visibility across nodes, load it while node A is killed; figures."""
    cluster = Cluster(web_workers=web_workers, redis_db=redis_db, netns=netns, demo=demo, progress=progress)
    with cluster:
        session = session_probe(cluster)
        warm_up(cluster)
        visibility = visibility_probe(cluster)
        cluster._say(
            f"visibility on node B: worst {visibility['max_ms']} ms; load: {users} users, {duration:g} s"
        )
        # The visitors run `warmup` seconds unmeasured first (a running site's caches are warm);
        # errors count from the start, page times from the end of the warm-up; the kill comes
        # `kill_after` seconds into the measured part.
        hits, acknowledged, killed_at = run_load(
            cluster,
            users=users,
            duration=warmup + duration,
            kill_after=None if kill_after is None else warmup + kill_after,
        )
        killed_node_answers = request(cluster.url("a") + "/healthz", timeout=2)[0] != 0
        lost = lost_writes(cluster, acknowledged)
        failover = failover_summary(hits, killed_at=killed_at, duration=warmup + duration)
        measured = [h for h in hits if h.start >= warmup]
        pages = page_times(h for h in measured if h.kind != "write")
        steady = page_times(
            h for h in measured if h.kind != "write" and (killed_at is None or h.end < killed_at)
        )
        writes = page_times(h for h in measured if h.kind == "write").get("write")
        network, note, timings = cluster.network.mode, cluster.network.note, dict(cluster.timings)
        during_migration = cluster.during_migration
    worst = max((k["p95_ms"] for k in pages.values() if k["p95_ms"] is not None), default=None)
    return {
        "suite": "cluster",
        "network": network,
        "network_note": note,
        "web_nodes": 2,
        "web_workers_per_node": web_workers,
        "users": users,
        "duration_s": duration,
        "warmup_s": warmup,
        "during_migration": during_migration,
        "session": session,
        "visibility": visibility,
        "killed_node_answers": killed_node_answers,
        "acknowledged_writes": len(acknowledged),
        "lost_writes": len(lost),
        "lost_write_slugs": lost[:20],
        "failover": failover,
        "writes": writes,
        "pages": pages,
        "pages_before_kill": steady,
        "worst_page_p95_ms": worst,
        "target_p95_ms": target_p95_ms,
        "meets_p95_target": worst is not None and worst <= target_p95_ms,
        "setup": timings,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }


def table(result: dict[str, Any]) -> str:
    f = result["failover"]
    lines = [
        f"network: {result['network']} {result['network_note']}".rstrip(),
        f"signed in on A, signed in on B: {result['session']['signed_in_on_b']}",
        f"write on A visible on B (api/page/search), worst: {result['visibility']['max_ms']} ms (target 1000)",
        f"load: {result['users']} users, {result['warmup_s']:g} s warm-up + {result['duration_s']:g} s measured, "
        f"node A killed {f['killed_at_s']} s after the start",
        f"requests {f['requests']}, errors {f['errors']} ({f['errors_before_kill']} before the kill), "
        f"recovered after {f['recovered_after_s']} s, errors in the last {f['tail_seconds']:g} s: {f['errors_in_tail']}",
        f"acknowledged writes {result['acknowledged_writes']}, lost {result['lost_writes']}",
        f"{'page':<15}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}",
    ]
    for kind, k in result["pages"].items():
        lines.append(
            f"{kind:<15}{k['requests']:>10}{k['errors']:>8}{k['p50_ms'] or 0:>9.1f}{k['p95_ms'] or 0:>9.1f}"
        )
    lines.append(
        f"worst p95 {result['worst_page_p95_ms']} ms (target {result['target_p95_ms']:g}); load {result['load_average']}"
    )
    return "\n".join(lines)
