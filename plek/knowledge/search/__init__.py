"""Search over everything the platform knows: a backend interface with two implementations.

* ``tantivy`` (default): an embedded index on disk under ``settings.PLEK_SEARCH_DIR``
  (default ``<VAR_DIR>/search``);
* ``postgres``: a table in the platform's own PostgreSQL database, for installations that run several
  application servers against one database.

Choose with ``settings.PLEK_SEARCH_BACKEND``. Both analyse Dutch text the same way (:mod:`.analysis`)
and answer the same queries alike; the index is derived state, rebuilt from the database with
``plek search reindex``.
"""

from __future__ import annotations

import threading
from pathlib import Path

from plek.knowledge.search.analysis import register_vocabulary
from plek.knowledge.search.base import (
    FacetCount,
    SearchBackend,
    SearchDoc,
    SearchError,
    SearchHit,
    SearchQuery,
    SearchResult,
)

__all__ = [
    "FacetCount",
    "SearchBackend",
    "SearchDoc",
    "SearchError",
    "SearchHit",
    "SearchQuery",
    "SearchResult",
    "get_backend",
    "register_vocabulary",
    "reset_backends",
]

BACKENDS = ("tantivy", "postgres")
_backends: dict[tuple[str, str], SearchBackend] = {}
_lock = threading.Lock()


def _settings() -> tuple[str, str]:
    from django.conf import settings

    name = getattr(settings, "PLEK_SEARCH_BACKEND", None) or "tantivy"
    directory = (
        getattr(settings, "PLEK_SEARCH_DIR", None) or Path(getattr(settings, "VAR_DIR", "var")) / "search"
    )
    return name, str(directory)


def get_backend(name: str | None = None) -> SearchBackend:
    """The configured backend (or the one named), one instance per process and configuration."""
    configured, directory = _settings()
    name = (name or configured).lower()
    if name not in BACKENDS:
        raise SearchError(f"unknown search backend {name!r}; choose one of {', '.join(BACKENDS)}")
    cache_key = (name, directory if name == "tantivy" else "")
    backend = _backends.get(cache_key)
    if backend is not None:
        return backend
    with _lock:
        backend = _backends.get(cache_key)
        if backend is None:
            if name == "tantivy":
                from plek.knowledge.search.tantivy_backend import TantivyBackend

                backend = TantivyBackend(directory)
            else:
                from plek.knowledge.search.postgres_backend import PostgresBackend

                backend = PostgresBackend()
            _backends[cache_key] = backend
        return backend


def reset_backends() -> None:
    """Forget the cached backends (tests that change settings)."""
    from plek.knowledge.search.embedding import reset_indexes

    with _lock:
        _backends.clear()
    reset_indexes()
