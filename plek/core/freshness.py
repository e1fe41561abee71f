"""Generations: cache what anonymous visitors see, and never serve it after a change has committed.

Every app is a *topic*. A write to any model of a PLeK app (save, delete, many-to-many change — the
signals every service write sends) marks its app's topic changed; when the transaction commits, each
marked topic gets a new *generation*: a fresh random number in the shared cache. Whatever is cached
for anonymous visitors is stored under the generations of the topics it was computed from, read
before computing (`generations(...)`), so a change committed while a value was being computed makes
that value unreachable rather than stale.

Random numbers rather than counters: two nodes bumping at once cannot both land on the same new value,
and a generation lost from the cache never comes back to a value an old entry was stored under.

Writes that bypass signals (`bulk_create`, `QuerySet.update`) must call `topics_changed(...)`
themselves; the search outbox (`plek.core.outbox.search_outbox_add`) does, for the kind it records.

The cache must be shared by every process that serves pages (the default file cache on one node,
Redis across nodes); a per-process cache (`LocMemCache`) would let one worker keep serving what another
changed, so with it nothing is cached (`enabled()`).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.apps import apps
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import signals

T = TypeVar("T")

# While a page renders for the anonymous page cache (plek.core.pagecache): the topics it depends on,
# and the generation of each *scoped* topic as `remember` read it before computing (scoped topics are
# not in `all_topics()`, so the page cache cannot read them before the render itself).
tracking: ContextVar[set[str] | None] = ContextVar("plek_freshness_tracking", default=None)
observed: ContextVar[dict[str, int] | None] = ContextVar("plek_freshness_observed", default=None)

# Within `pinned()`: the generation of each topic read so far, so each is read from the shared cache
# once (see `pinned`).
_pinned: ContextVar[dict[str, int] | None] = ContextVar("plek_freshness_pinned", default=None)

PREFIX = "plek:gen:"
# Written on every request or by the machinery itself; no page shows them to anonymous visitors.
IGNORED = frozenset(
    {
        "core.searchoutbox",
        "core.workerheartbeat",
        "core.changelog",
        "accounts.apitoken",
        "notifications.notification",
        "notifications.delivery",
    }
)


def enabled() -> bool:
    from django.conf import settings

    backend = str(settings.CACHES.get("default", {}).get("BACKEND", ""))
    return getattr(settings, "PLEK_ANONYMOUS_CACHE", True) and not backend.endswith(
        ("LocMemCache", "DummyCache")
    )


@contextmanager
def pinned() -> Iterator[None]:
    """Within the block each topic's generation is read from the shared cache once and then
    remembered: for work that looks at the search index and the stored vectors dozens of times (one
    matching: ~50 look-ups, each a file read or a Redis round trip) and should see them as they were
    when it began. A bump made within the block is seen at once. Nested blocks share the outer one's."""
    if _pinned.get() is not None:
        yield
        return
    token = _pinned.set({})
    try:
        yield
    finally:
        _pinned.reset(token)


def generations(*topics: str) -> tuple[int, ...]:
    """The current generation of each topic (one cache round trip; none for topics read already
    within `pinned()`); a missing one is created."""
    memo = _pinned.get()
    if memo is not None and all(t in memo for t in topics):
        return tuple(memo[t] for t in topics)
    keys = [PREFIX + t for t in topics]
    found = cache.get_many(keys)
    out = []
    for key in keys:
        value = found.get(key)
        if value is None:
            value = secrets.randbits(62)
            if not cache.add(key, value, timeout=None):
                value = cache.get(key, value)
        out.append(int(value))
    if memo is not None:
        memo.update(zip(topics, out, strict=True))
    return tuple(out)


def committed_generation(topic: str) -> int | None:
    """The topic's generation, for a per-process memo of something computed from its tables; None
    when nothing is cached (`enabled()`) or this transaction has changed the topic and not committed
    (a memo keyed on the committed generation would hide the transaction's own writes from it)."""
    if not enabled():
        return None
    connection = connections[DEFAULT_DB_ALIAS]
    pending = getattr(connection, "_plek_pending_topics", None)
    # a set left by a rolled-back transaction (its callback dropped) is no write of this one
    if pending and topic in pending and connection.in_atomic_block and _registered(connection):
        return None
    return generations(topic)[0]


def bump(topics: Iterable[str]) -> None:
    """Give each topic a new generation now (callers inside a transaction use `topics_changed`)."""
    values = {PREFIX + t: secrets.randbits(62) for t in set(topics)}
    if values:
        cache.set_many(values, timeout=None)
        memo = _pinned.get()
        if memo is not None:
            memo.update({key.removeprefix(PREFIX): value for key, value in values.items()})


def topics_changed(*topics: str, using: str = DEFAULT_DB_ALIAS) -> None:
    """Mark topics changed; their generations move when the current transaction commits (at once
    outside a transaction). One callback per transaction, however many rows it writes."""
    connection = connections[using]
    pending: set[str] | None = getattr(connection, "_plek_pending_topics", None)
    if pending is not None and connection.in_atomic_block and _registered(connection):
        pending.update(topics)
        return
    pending = set(topics)
    connection._plek_pending_topics = pending  # type: ignore[attr-defined]
    batch: set[str] = pending

    def flush() -> None:
        if getattr(connection, "_plek_pending_topics", None) is pending:
            connection._plek_pending_topics = None  # type: ignore[attr-defined]
        bump(batch)

    flush._plek_pending = pending  # type: ignore[attr-defined]
    transaction.on_commit(flush, using=using, robust=True)


def _registered(connection: Any) -> bool:
    """Is the callback for the pending set still queued (not dropped by a rollback)?"""
    pending = connection._plek_pending_topics
    return any(
        getattr(func, "_plek_pending", None) is pending for _sids, func, _robust in connection.run_on_commit
    )


def topic_of(model: type) -> str | None:
    """The topic a model's writes change: its app label, for PLeK's own apps only."""
    meta = model._meta  # type: ignore[attr-defined]
    if meta.label_lower in IGNORED:
        return None
    try:
        config = apps.get_app_config(meta.app_label)
    except LookupError:
        return None  # Django's own bookkeeping (the migration recorder's model)
    return meta.app_label if config.name.startswith("plek.") else None


# The regions and their containment: what an area's scope is made of. Moved with atlas by writes to
# these two models, so what depends on the scopes only (the containment graph, the ranking of other
# apps' links by region) is not thrown away by every write to a person, organisation or membership.
REGIONS = "atlas-regions"
_REGION_MODELS = frozenset({"atlas.region", "atlas.regioncontainment"})


def topics_of(model: type) -> tuple[str, ...]:
    """The topics a model's writes change: its app's (`topic_of`), and `REGIONS` for the regions."""
    topic = topic_of(model)
    if topic is None:
        return ()
    if model._meta.label_lower in _REGION_MODELS:  # type: ignore[attr-defined]
        return (topic, REGIONS)
    return (topic,)


SEARCH_INDEX = "search-index"
# Searchable kind → the app whose pages it changes (a safety net for writes that send no model signal,
# such as `QuerySet.update`, used by the search outbox). Each kind also has its own search-index topic,
# so a page that searches only knowledge is not thrown away each time a question is indexed; a kind not
# listed here moves the whole index's topic on.
SEARCH_KINDS = {
    "knowledge": "knowledge",
    "person": "atlas",
    "organisation": "atlas",
    "question": "brokering",
    "trajectory": "learning",
    "lesson": "learning",
    "signal": "governance",
    "proposal": "governance",
    "decision": "governance",
}


def index_topics(kinds: Iterable[str] | None) -> list[str]:
    """The search-index topics a search over these kinds (None: all) depends on."""
    wanted = SEARCH_KINDS if kinds is None else [k for k in kinds if k in SEARCH_KINDS]
    return [SEARCH_INDEX, *(f"{SEARCH_INDEX}:{k}" for k in wanted)]


def index_changed_topics(kinds: Iterable[str]) -> list[str]:
    """The topics to move on once documents of these kinds were (re)indexed or removed."""
    return sorted({f"{SEARCH_INDEX}:{k}" if k in SEARCH_KINDS else SEARCH_INDEX for k in kinds})


def all_topics() -> tuple[str, ...]:
    """Every topic: the labels of PLeK's apps, the search index and its kinds."""
    labels = sorted(c.label for c in apps.get_app_configs() if c.name.startswith("plek."))
    return (*labels, *index_topics(None))


def depends_on(*topics: str) -> None:
    """Say that what is being rendered depends on these topics beyond the tables it reads (a search
    index, a file): the anonymous page cache stores it under their generations too."""
    seen = tracking.get()
    if seen is not None:
        seen.update(topics)


def region_topic(app: str, region_id: int) -> str:
    """The *scoped* topic of what `app` shows on one region's page (see `remember(absorbs=…)`): the
    app moves it on for every region whose page a write can change (`plek.atlas.picture`)."""
    return f"{app}@region:{region_id}"


def remember(
    key: str,
    topics: tuple[str, ...],
    compute: Callable[[], T],
    timeout: int = 3600,
    absorbs: tuple[str, ...] = (),
) -> T:
    """The value cached under `key` at the topics' current generations, computed when missing.

    `absorbs`: app topics whose tables `compute` reads but which the declared (scoped) topics stand
    for — a page that shows the value then depends on the scoped topic only, not on every write to
    the app. The app must move the scoped topic on for each write that can change the value."""
    depends_on(*topics)
    if not enabled():
        return compute()
    gens = generations(*topics)
    seen = observed.get()
    if seen is not None:
        for topic, gen in zip(topics, gens, strict=True):
            seen.setdefault(topic, gen)
    full = f"plek:fresh:{key}:" + ".".join(str(g) for g in gens)
    value = cache.get(full)
    if value is None:
        outer = tracking.get()
        if outer is None or not absorbs:
            value = compute()
        else:
            inner: set[str] = set()
            token = tracking.set(inner)
            try:
                value = compute()
            finally:
                tracking.reset(token)
            outer.update(inner - set(absorbs))
        cache.set(full, value, timeout=timeout)
    return value  # type: ignore[no-any-return]


# ---- signal wiring (connected in CoreConfig.ready) ---------------------------------------------------


def _on_write(sender: type, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return  # fixture loading: the caller resets everything anyway
    action = kwargs.get("action")
    if action is not None and not action.startswith("post_"):
        return  # m2m_changed: only once the change is made
    topics = topics_of(sender)
    if topics:
        topics_changed(*topics, using=using)


def connect() -> None:
    """Listen to the models that have a topic only: a receiver for every model would take Django's
    fast path for deletes away from all of them (the outbox, the change log, sessions)."""
    for model in apps.get_models(include_auto_created=True):
        if topic_of(model) is None:
            continue
        for signal in (signals.post_save, signals.post_delete, signals.m2m_changed):
            signal.connect(_on_write, sender=model, dispatch_uid=f"plek.freshness.{model._meta.label_lower}")
