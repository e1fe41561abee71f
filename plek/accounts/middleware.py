"""Every 429 answer tells the client when to come back (RFC 9110 Retry-After)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class RetryAfterMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 429 and not response.has_header("Retry-After"):
            response["Retry-After"] = str(getattr(request, "plek_retry_after", None) or retry_after_default())
        return response


def retry_after_default() -> int:
    return int(getattr(settings, "PLEK_RETRY_AFTER_SECONDS", 60))
