"""Tiny typed helpers to read configuration from the environment (Healthchecks style)."""

from __future__ import annotations

import os


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return int(value)


def env_list(name: str, default: str = "") -> list[str]:
    value = os.environ.get(name, default)
    return [part.strip() for part in value.split(",") if part.strip()]


def cache_from_url(url: str, *, default_dir: str) -> dict[str, dict[str, object]]:
    """`CACHES` from one URL, so every node of a deployment can share the cache (and with it the
    rate limits): `redis://host:6379/0` (or `rediss://`) → Django's Redis cache; `locmem://` → this
    process only; empty or `file://PATH` → a file cache on this node's disk (the embedded default)."""
    url = url.strip()
    if url.startswith(("redis://", "rediss://")):
        backend: dict[str, object] = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "plek",
        }
    elif url.startswith("locmem://"):
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    elif url == "" or url.startswith("file://"):
        backend = {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": url.removeprefix("file://") or default_dir,
            # Region pages keep a few entries per region and language for anonymous visitors
            # (plek.core.freshness): Django's default of 300 entries would cull them all the time.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    else:
        raise ValueError(f"CACHE_URL: unsupported scheme in {url!r} (use redis://, locmem:// or file://)")
    return {"default": backend}
