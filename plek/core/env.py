"""Tiny typed helpers to read configuration from the environment (Healthchecks style)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


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
            "BACKEND": "plek.core.redis_cache.SharedClientRedisCache",
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


def storages_from_env(environ: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """`STORAGES`: uploads on this node's disk under `MEDIA_ROOT` (one node, or a volume every node
    mounts), or in an S3-compatible bucket when `PLEK_S3_BUCKET` is set (django-storages):
    `PLEK_S3_ENDPOINT_URL` (empty: AWS), `PLEK_S3_REGION`, `PLEK_S3_ACCESS_KEY_ID` and
    `PLEK_S3_SECRET_ACCESS_KEY` (empty: boto3's own chain — environment, instance role),
    `PLEK_S3_PREFIX` (a folder in the bucket, default `media`), `PLEK_S3_ADDRESSING_STYLE`
    (`path` for most S3-compatible servers; empty: boto3's choice). Objects stay private: PLeK
    streams each download through its own permission check, never a public or signed URL."""
    env = os.environ if environ is None else environ
    static = {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"}
    bucket = env.get("PLEK_S3_BUCKET", "").strip()
    if not bucket:
        return {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}, "staticfiles": static}
    options: dict[str, Any] = {
        "bucket_name": bucket,
        "location": env.get("PLEK_S3_PREFIX", "media").strip("/"),
        "default_acl": None,  # the bucket's own (private) policy
        "querystring_auth": True,
        "file_overwrite": False,  # a second upload of the same name gets a name of its own
        "signature_version": "s3v4",
    }
    for variable, option in (
        ("PLEK_S3_ENDPOINT_URL", "endpoint_url"),
        ("PLEK_S3_REGION", "region_name"),
        ("PLEK_S3_ACCESS_KEY_ID", "access_key"),
        ("PLEK_S3_SECRET_ACCESS_KEY", "secret_key"),
        ("PLEK_S3_ADDRESSING_STYLE", "addressing_style"),
    ):
        value = env.get(variable, "").strip()
        if value:
            options[option] = value
    if options.get("addressing_style", "path") not in ("path", "virtual", "auto"):
        raise ValueError("PLEK_S3_ADDRESSING_STYLE: use path, virtual or auto")
    return {
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": options},
        "staticfiles": static,
    }
