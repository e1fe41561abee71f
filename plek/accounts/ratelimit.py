"""Sign-in rate limiting: failures counted per account name and per client address in the cache."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    return "login-fail:" + kind + ":" + hashlib.sha256(value.lower().encode()).hexdigest()[:32]


def is_blocked(*, username: str, ip: str) -> bool:
    limit = settings.LOGIN_RATE_LIMIT
    return any(cache.get(_key(k, v), 0) >= limit for k, v in (("u", username), ("ip", ip)) if v)


def register_failure(*, username: str, ip: str) -> None:
    for k, v in (("u", username), ("ip", ip)):
        if not v:
            continue
        key = _key(k, v)
        if cache.add(key, 1, settings.LOGIN_RATE_WINDOW_SECONDS):
            continue
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_RATE_WINDOW_SECONDS)


def reset(*, username: str) -> None:
    cache.delete(_key("u", username))
