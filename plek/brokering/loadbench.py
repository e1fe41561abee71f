"""`plek bench load`: many simulated visitors against a running `plek serve` (locust as a library,
loopback only), mixed reading, searching and asking; p95 per page kind and errors, as JSON.

Start the server first, on the national demo:
    plek demo --scale national && plek serve --bind 127.0.0.1:8000
    plek bench load --url http://127.0.0.1:8000 --users 50 --duration 120
The bench signs in nobody for reading and searching; asking posts questions through the API with a
token of a bench account it makes (those questions stay in the database: use a throw-away copy)."""

from __future__ import annotations

import math
import random
import time
from collections import defaultdict
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

# What a visitor does, with weights: mostly reading, some searching, a little asking.
MIX = {
    "home": 2,
    "region": 3,
    "list": 2,
    "organisation": 2,
    "knowledge": 3,
    "search": 4,
    "questions": 1,
    "map": 1,
    "ask": 1,
}
# `--anonymous`: visitors who only read (8 page kinds), as the scale-out issue measures one node.
ANONYMOUS_MIX = {kind: weight for kind, weight in MIX.items() if kind != "ask"}
SEARCH_WORDS = ["water", "stikstof", "bodem", "energie", "woningbouw", "mobiliteit", "klimaat", "zorg"]


class BenchError(RuntimeError):
    pass


def percentile(samples: Iterable[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100) of the samples; None when there are none."""
    ordered = sorted(samples)
    if not ordered:
        return None
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def summarise(
    samples: dict[str, list[float]],
    errors: dict[str, int],
    *,
    seconds: float,
    users: int,
    target_p95_ms: float,
) -> dict[str, Any]:
    """Per page kind: requests, errors, p50/p95/p99/max in ms; overall totals and the verdict."""
    kinds: dict[str, dict[str, Any]] = {}
    for kind in sorted(set(samples) | set(errors)):
        times = samples.get(kind, [])
        p95 = percentile(times, 95)
        kinds[kind] = {
            "requests": len(times) + errors.get(kind, 0),
            "errors": errors.get(kind, 0),
            "p50_ms": _round(percentile(times, 50)),
            "p95_ms": _round(p95),
            "p99_ms": _round(percentile(times, 99)),
            "max_ms": _round(max(times) if times else None),
        }
    total = sum(k["requests"] for k in kinds.values())
    failed = sum(k["errors"] for k in kinds.values())
    worst = max((k["p95_ms"] for k in kinds.values() if k["p95_ms"] is not None), default=None)
    return {
        "suite": "load",
        "users": users,
        "seconds": round(seconds, 1),
        "requests": total,
        "errors": failed,
        "requests_per_second": round(total / seconds, 1) if seconds > 0 else None,
        "worst_p95_ms": worst,
        "target_p95_ms": target_p95_ms,
        "meets_target": failed == 0 and worst is not None and worst <= target_p95_ms,
        "kinds": kinds,
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def table(result: dict[str, Any]) -> str:
    lines = [f"{'kind':<14}{'requests':>10}{'errors':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"]
    for kind, k in result["kinds"].items():
        lines.append(
            f"{kind:<14}{k['requests']:>10}{k['errors']:>8}{k['p50_ms'] or 0:>9.1f}{k['p95_ms'] or 0:>9.1f}"
            f"{k['p99_ms'] or 0:>9.1f}"
        )
    lines.append(
        f"{result['users']} users, {result['seconds']} s, {result['requests']} requests, "
        f"{result['errors']} errors, worst p95 {result['worst_p95_ms']} ms"
    )
    return "\n".join(lines)


def _targets() -> dict[str, list[str]]:
    """Real addresses from the database: regions, organisations and public knowledge items."""
    from plek.atlas.models import Organisation, Region
    from plek.knowledge.models import KnowledgeItem

    targets = {
        "region": list(Region.objects.order_by("?").values_list("code", flat=True)[:200]),
        "organisation": list(
            Organisation.objects.filter(visibility="public")
            .order_by("?")
            .values_list("slug", flat=True)[:200]
        ),
        "knowledge": list(
            KnowledgeItem.objects.filter(visibility="public")
            .order_by("?")
            .values_list("slug", flat=True)[:200]
        ),
    }
    if not all(targets.values()):
        raise BenchError("no data: run `plek demo --scale national` first")
    return targets


def _bench_token() -> str:
    from plek.accounts.models import User
    from plek.accounts.services import api_token_create

    user, _ = User.objects.get_or_create(username="bench-load", defaults={"email": "bench@plek.localhost"})
    return api_token_create(user=user, name=f"bench {int(time.time())}")[1]


def bench_load(
    *,
    url: str,
    users: int,
    duration: float,
    warmup: float = 30.0,
    target_p95_ms: float = 150.0,
    anonymous: bool = False,
) -> dict[str, Any]:
    """`users` visitors for `warmup` seconds unmeasured (a running site's caches are warm: the bench
    visits 600 distinct pages), then `duration` seconds measured."""
    host = urlparse(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise BenchError("the load bench only runs against loopback (127.0.0.1)")
    targets = _targets()
    token = "" if anonymous else _bench_token()
    # locust patches threads with gevent: close the database connections now and let the (idle)
    # wrappers be closed again from another "thread" when the command ends.
    from django.db import connections

    connections.close_all()
    for conn in connections.all():
        conn.inc_thread_sharing()

    import gevent
    from locust import HttpUser, between, task
    from locust.env import Environment

    samples: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    mix = ANONYMOUS_MIX if anonymous else MIX
    kinds, weights = list(mix), list(mix.values())

    class Visitor(HttpUser):
        host = url
        # A reader's think time, 0.5 to 1.5 s at random (about one page a second). Not a constant pace:
        # locust's `constant_pacing` keeps every visitor in step, so the site gets all its requests
        # in bursts no crowd makes, and the queueing that causes is measured instead of the pages.
        wait_time = between(0.5, 1.5)

        @task
        def visit(self) -> None:
            kind = random.choices(kinds, weights)[0]  # nosec B311 # load mix, not security
            if kind == "home":
                self.client.get("/", name="home")
            elif kind == "region":
                self.client.get(f"/gebieden/{random.choice(targets['region'])}/", name="region")  # nosec B311
            elif kind == "list":
                self.client.get("/organisaties/?pagina=2", name="list")
            elif kind == "organisation":
                slug = random.choice(targets["organisation"])  # nosec B311
                self.client.get(f"/organisaties/{slug}/", name="organisation")
            elif kind == "knowledge":
                self.client.get(f"/kennis/{random.choice(targets['knowledge'])}/", name="knowledge")  # nosec B311
            elif kind == "questions":
                self.client.get("/vragen/", name="questions")
            elif kind == "map":
                self.client.get("/kaart/", name="map")
            elif kind == "search":
                self.client.get(f"/zoeken/?q={random.choice(SEARCH_WORDS)}", name="search")  # nosec B311
            else:
                self.client.post(
                    "/api/v1/questions",
                    json={
                        "title": f"Belastingtest vraag {random.randint(1, 10**9)}",  # nosec B311
                        "text": "Wie heeft ervaring met waterberging op boerenland?",
                        "regions": [random.choice(targets["region"])],  # nosec B311
                        "askerRole": "practice",
                    },
                    headers={"Authorization": f"Bearer {token}"},
                    name="ask",
                )

    env = Environment(user_classes=[Visitor])

    measuring = {"on": False}

    def on_request(name: str, response_time: float, exception: Any = None, **_: Any) -> None:
        if exception is not None:
            errors[name] += 1  # an error counts in the warm-up too
        elif measuring["on"]:
            samples[name].append(response_time)

    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    spawn_rate = max(1.0, users / 10)
    # Measuring starts once every visitor runs and the warm-up is over; one controller greenlet keeps
    # the clock (the runner's start may itself take the ramp's time).
    settle = max(max(0.0, warmup), users / spawn_rate if warmup > 0 else 0.0)
    window = {"start": 0.0, "end": 0.0}

    def control() -> None:
        gevent.sleep(settle)
        measuring["on"] = True
        window["start"] = time.perf_counter()
        gevent.sleep(duration)
        window["end"] = time.perf_counter()
        runner.quit()

    controller = gevent.spawn(control)
    runner.start(users, spawn_rate=spawn_rate)
    controller.join()
    runner.greenlet.join()
    result = summarise(
        samples, errors, seconds=window["end"] - window["start"], users=users, target_p95_ms=target_p95_ms
    )
    result["warmup_seconds"] = settle
    result["mix"] = "anonymous" if anonymous else "mixed"
    return result
