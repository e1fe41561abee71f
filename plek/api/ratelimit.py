"""Request budgets for API v1, kept in the shared Django cache (so every worker process counts the
same requests).

Who is counted: a request with an API token (`Authorization: Bearer …`) counts against that token,
a signed-in browser session against its user, anything else against the caller's address. Tokens
and sessions get the larger budget (`API_RATE_LIMIT_TOKEN`), anonymous callers the smaller one
(`API_RATE_LIMIT_ANONYMOUS`); both are "<requests>/<seconds>" over a fixed window. Over budget the
API answers 429 (problem+json) with `Retry-After`, the seconds until the window ends."""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

KEY_PREFIX = "plek:api-rate"


@dataclass(frozen=True)
class Budget:
    requests: int
    seconds: int

    @classmethod
    def parse(cls, text: str) -> Budget:
        """'600/60' -> 600 requests per 60 seconds."""
        count, _, seconds = str(text).partition("/")
        budget = cls(int(count), int(seconds or 60))
        if budget.requests < 1 or budget.seconds < 1:
            raise ValueError(f"A request budget needs positive numbers: {text!r}")
        return budget


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the current window ends


def client_address(request: HttpRequest) -> str:
    """The caller's address; behind the documented proxy (BEHIND_PROXY) the proxy's last hop in
    `X-Forwarded-For` (the one it added itself), else REMOTE_ADDR."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return str(request.META.get("REMOTE_ADDR", "") or "unknown")


def caller_key(request: HttpRequest) -> tuple[str, Budget]:
    """The counter's identity and budget for this request."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        digest = hashlib.sha256(token.strip().encode()).hexdigest()[:32]
        return f"token:{digest}", Budget.parse(settings.API_RATE_LIMIT_TOKEN)
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}", Budget.parse(settings.API_RATE_LIMIT_TOKEN)
    return f"addr:{client_address(request)}", Budget.parse(settings.API_RATE_LIMIT_ANONYMOUS)


def rate_check(request: HttpRequest, *, now: float | None = None) -> Verdict:
    """Count this request against its caller's budget (fixed window) and say whether it may pass."""
    ident, budget = caller_key(request)
    now = time.time() if now is None else now
    window = int(now // budget.seconds)
    key = f"{KEY_PREFIX}:{ident}:{budget.seconds}:{window}"
    # add() is atomic: the first request of a window creates the counter, the others increment it.
    if cache.add(key, 1, timeout=budget.seconds + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=budget.seconds + 1)
            count = 1
    retry_after = max(1, math.ceil((window + 1) * budget.seconds - now))
    return Verdict(
        allowed=count <= budget.requests,
        limit=budget.requests,
        remaining=max(0, budget.requests - count),
        retry_after=retry_after,
    )
