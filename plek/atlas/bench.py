"""`plek bench pages`: server-side response times of the main Atlas pages.

Requests go through django.test.Client, in process: the figures are the time Django needs from
request to rendered response (middleware, views, queries, templates), without network or browser.
Each page is measured for an anonymous visitor and for a signed-in hub member."""

from __future__ import annotations

import gc
import json
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import Resolver404, resolve

from plek.atlas.models import Hub, HubMembership, Network, Organisation, Person, Region, Relation

# name -> path; the order is the order of the table.
PAGES: dict[str, str] = {
    "home": "/",
    "province": "/gebieden/PV27/",
    "municipality": "/gebieden/GM0363/",
    "busyness": "/gebieden/GM0363/drukte/",
    "graph_api": "/api/v1/graph?region=PV27",
    "people_filtered": "/kennishouders/?gebied=PV27&thema=energie",
    # an area's whole picture from the other side: the map, the focused graph, a programme's picture
    "map_knowledge": "/kaart/?maat=knowledge&soort=province",
    "graph_page": "/netwerk/",
    "programme": "/programmas/regio-deals/",
    "country": "/gebieden/NL/",
}
GRAPH_REGION = "PV27"
MEMBER_USERNAME = "bench-member"
MIN_PEOPLE = 1000


class BenchError(Exception):
    """The benchmark cannot run or a page did not answer 200."""


def p50(samples: list[float]) -> float:
    return statistics.median(samples)


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]  # nearest rank


@dataclass
class Timing:
    """Wall-clock times (what a visitor waits for) and this process's CPU times per request; on a
    busy machine the wall time grows with the load while the CPU time stays what the code costs."""

    wall_ms: list[float]
    cpu_ms: list[float]
    queries: int

    def summary(self) -> dict[str, Any]:
        return {
            "p50_ms": round(p50(self.wall_ms), 1),
            "p95_ms": round(p95(self.wall_ms), 1),
            "cpu_p50_ms": round(p50(self.cpu_ms), 1),
            "cpu_p95_ms": round(p95(self.cpu_ms), 1),
            "queries": self.queries,
        }


def data_counts() -> dict[str, int]:
    return {
        "people": Person.objects.count(),
        "organisations": Organisation.objects.count(),
        "networks": Network.objects.count(),
        "relations": Relation.objects.count(),
    }


def graph_api_available() -> bool:
    path = PAGES["graph_api"].split("?", 1)[0]
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def bench_member() -> Any:
    """A signed-in hub member: `bench-member`, created (and made a member of a hub) when missing."""
    from plek.atlas import services
    from plek.atlas.permissions import Viewer

    user_model = get_user_model()
    user = user_model.objects.filter(username=MEMBER_USERNAME).first()
    if user is None:
        user = user_model.objects.create_user(
            username=MEMBER_USERNAME, email=f"{MEMBER_USERNAME}@bench.plek.localhost", password=None
        )
    if not HubMembership.objects.filter(user=user).exists():
        hub = (
            Hub.objects.filter(regions__code=GRAPH_REGION).order_by("pk").first()
            or Hub.objects.order_by("pk").first()
        )
        if hub is None:
            raise BenchError("No hub in the database: load demo data first (plek demo --scale national).")
        system = Viewer(is_authenticated=True, is_admin=True)
        services.hub_membership_set(viewer=system, hub=hub, user=user, role=HubMembership.Role.MEMBER)
    return user


def _page_call(client: Client, name: str, path: str, *, use_api: bool, member: bool) -> Callable[[], int]:
    """A function doing one request (or, for the graph without its API route, the selector call)."""
    if name == "graph_api" and not use_api:
        from plek.atlas import selectors
        from plek.atlas.permissions import ANONYMOUS, viewer_for

        region = Region.objects.get(code=GRAPH_REGION)
        user = get_user_model().objects.get(username=MEMBER_USERNAME) if member else None

        def call_selector() -> int:
            viewer = viewer_for(user) if user is not None else ANONYMOUS
            json.dumps(selectors.graph_data(viewer=viewer, region=region))
            return 200

        return call_selector
    secure = bool(getattr(settings, "SECURE_SSL_REDIRECT", False))

    def call_client() -> int:
        return client.get(path, secure=secure).status_code

    return call_client


def measure(call: Callable[[], int], *, name: str, runs: int, warmup: int) -> Timing:
    for _ in range(warmup):
        _check(name, call())
    with CaptureQueriesContext(connection) as ctx:
        _check(name, call())
    queries = len(ctx.captured_queries)
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        status = call()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        _check(name, status)
    return Timing(wall, cpu, queries)


def _check(name: str, status: int) -> None:
    if status != 200:
        raise BenchError(f"{name} ({PAGES[name]}) answered {status}, expected 200")


FIRST_PREFIX = "bench-first-"


def first_visitors(member: Any, n: int) -> list[Any]:
    """`n` new members of the bench member's hub, made afresh for each run of the bench (a person's
    cached page parts are kept under their own id, so new people are first visitors)."""
    from plek.atlas import services
    from plek.atlas.permissions import Viewer

    user_model = get_user_model()
    user_model.objects.filter(username__startswith=FIRST_PREFIX).delete()
    hub = HubMembership.objects.filter(user=member).order_by("pk").first()
    if hub is None:
        raise BenchError("The bench member belongs to no hub.")
    system = Viewer(is_authenticated=True, is_admin=True)
    people = []
    for i in range(n):
        user = user_model.objects.create_user(
            username=f"{FIRST_PREFIX}{i}", email=f"{FIRST_PREFIX}{i}@bench.plek.localhost", password=None
        )
        services.hub_membership_set(viewer=system, hub=hub.hub, user=user, role=HubMembership.Role.MEMBER)
        people.append(user)
    return people


def measure_first_visits(client: Client, path: str, people: list[Any], *, name: str) -> Timing:
    """One request per person (signed in untimed, just before): each is that person's first visit,
    with what all signed-in people share already cached by earlier visitors."""
    wall, cpu = [], []
    client.force_login(people[0])
    with CaptureQueriesContext(connection) as ctx:
        _check(name, client.get(path).status_code)
    queries = len(ctx.captured_queries)  # now: the next request starts by emptying the query log
    for person in people[1:]:
        client.force_login(person)
        started, started_cpu = time.perf_counter(), time.process_time()
        status = client.get(path).status_code
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        _check(name, status)
    return Timing(wall, cpu, queries)


def _measure_all(
    result: dict[str, Any], member: Any, *, use_api: bool, runs: int, warmup: int, hosts: list[str]
) -> None:
    for audience in ("pages", "member", "member_uncached"):
        # member_uncached: the member's first visit — every section computed, no cached part (the
        # shared cache keeps a signed-in viewer's region sections per person, `picture.viewer_key`).
        caching = audience != "member_uncached"
        with override_settings(ALLOWED_HOSTS=hosts, DEBUG=False, PLEK_ANONYMOUS_CACHE=caching):
            client = Client()
            if audience != "pages":
                client.force_login(member)
            result.setdefault(audience, {})
            for name, path in PAGES.items():
                call = _page_call(client, name, path, use_api=use_api, member=audience != "pages")
                result[audience][name] = measure(call, name=name, runs=runs, warmup=warmup).summary()
    # member_first: a member's first visit after other members: their own parts computed, the parts
    # every signed-in person shares (picture.SharedRows) taken from the cache the runs above filled.
    people = first_visitors(member, runs + 1)
    try:
        with override_settings(ALLOWED_HOSTS=hosts, DEBUG=False):
            client = Client()
            result["member_first"] = {}
            for name, path in PAGES.items():
                if name == "graph_api" and not use_api:
                    call = _page_call(client, name, path, use_api=use_api, member=True)
                    timing = measure(call, name=name, runs=runs, warmup=warmup)
                else:
                    timing = measure_first_visits(client, path, people, name=name)
                result["member_first"][name] = timing.summary()
    finally:
        get_user_model().objects.filter(username__startswith=FIRST_PREFIX).delete()


def bench_pages(
    *, runs: int = 30, warmup: int = 3, min_people: int = MIN_PEOPLE, gc_freeze: bool = False
) -> dict[str, Any]:
    """Measure every page, anonymous and as a hub member; returns the JSON-ready result.

    With gc_freeze the objects alive after start-up are moved out of the garbage collector's reach
    first (`gc.freeze()`, as a server can do after loading the app): full collections then no longer
    walk the ~100,000 objects of the loaded modules, which otherwise costs 50-100 ms every few
    requests and shows up in the p95."""
    if runs < 1:
        raise BenchError("--runs must be at least 1")
    counts = data_counts()
    if counts["people"] < min_people:
        raise BenchError(
            f"The database has {counts['people']} people; bench pages expects the national demo data "
            f"(at least {min_people}). Load it into an empty database with: plek demo --scale national"
        )
    member = bench_member()
    use_api = graph_api_available()
    load_before = _load()
    result: dict[str, Any] = {"pages": {}, "member": {}}
    hosts = [*settings.ALLOWED_HOSTS, "testserver"]
    if gc_freeze:
        gc.collect()
        gc.freeze()
    try:
        _measure_all(result, member, use_api=use_api, runs=runs, warmup=warmup, hosts=hosts)
    finally:
        if gc_freeze:
            gc.unfreeze()
    result["runs"] = runs
    result["warmup"] = warmup
    result["gc_freeze"] = gc_freeze
    result["graph_api"] = (
        {"source": "api", "path": PAGES["graph_api"]}
        if use_api
        else {
            "source": "selector",
            "call": f"selectors.graph_data(viewer, region={GRAPH_REGION}) + json.dumps",
            "note": "/api/v1/graph is not routed yet",
        }
    )
    result["data"] = counts
    result["machine"] = {"cpus": os.cpu_count(), "load_1m_before": load_before, "load_1m_after": _load()}
    return result


def _load() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # not available on this platform
        return None


def table(result: dict[str, Any]) -> str:
    """The readable table: one row per page, anonymous and member side by side."""
    head = (
        f"{'page':<16} {'path':<42} {'anon p50':>8} {'p95':>6} {'cpu p50':>7} {'q':>3}   "
        f"{'member p50':>10} {'p95':>6} {'cpu p50':>7} {'q':>3}   {'1st visit p50':>13} {'p95':>6}   "
        f"{'cold p50':>8} {'p95':>6}"
    )
    lines = [head, "-" * len(head)]
    for name, path in PAGES.items():
        a, m, u = result["pages"][name], result["member"][name], result["member_uncached"][name]
        f = result["member_first"][name]
        if name == "graph_api" and result["graph_api"]["source"] == "selector":
            path = f"(selector) graph_data region={GRAPH_REGION}"
        lines.append(
            f"{name:<16} {path:<42} {a['p50_ms']:>8.1f} {a['p95_ms']:>6.1f} {a['cpu_p50_ms']:>7.1f} {a['queries']:>3}   "
            f"{m['p50_ms']:>10.1f} {m['p95_ms']:>6.1f} {m['cpu_p50_ms']:>7.1f} {m['queries']:>3}   "
            f"{f['p50_ms']:>13.1f} {f['p95_ms']:>6.1f}   {u['p50_ms']:>8.1f} {u['p95_ms']:>6.1f}"
        )
    machine = result["machine"]
    lines.append(
        f"ms over {result['runs']} runs after {result['warmup']} warm-up; p50/p95 wall clock, cpu = this process's "
        f"CPU time; q = queries per request; 1st visit = a member's first visit (their own parts computed, "
        f"the parts all signed-in people share cached by earlier members); cold = nothing cached at all; load {machine['load_1m_before']} -> {machine['load_1m_after']} "
        f"on {machine['cpus']} CPUs"
    )
    if result.get("gc_freeze"):
        lines.append("gc.freeze() after start-up (as a tuned server would)")
    lines.append("data: " + ", ".join(f"{k} {v:,}" for k, v in result["data"].items()))
    return "\n".join(lines)
