"""Dutch first: the interface is Dutch unless the visitor chose English (language switch or ?lang=en).

Django's LocaleMiddleware would follow the browser's Accept-Language; PLeK deliberately does not,
so that a Dutch public platform reads the same for everyone until they choose otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

SUPPORTED = {code for code, _ in settings.LANGUAGES}


class DutchFirstLocaleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        asked = request.GET.get("lang")
        language = asked if asked in SUPPORTED else request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in SUPPORTED:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        if asked in SUPPORTED:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, asked, max_age=365 * 24 * 3600, samesite="Lax")
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie",))
        return response


class RejectNullBytesMiddleware:
    """A NUL byte is never meaningful in a URL, and PostgreSQL refuses it in text: answer 400 at
    the door instead of letting it reach a query (where it would become a 500)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if "%00" in query or "\x00" in query or "\x00" in request.path:
            if request.path.startswith("/api/"):
                names = [
                    name.replace("\x00", "") or "query"
                    for name, value in parse_qsl(query, keep_blank_values=True)
                    if "\x00" in name or "\x00" in value
                ] or (["path"] if "\x00" in request.path else ["query"])
                body = json.dumps(
                    {
                        "type": "urn:plek:problem:invalid-parameters",
                        "title": "Invalid parameters",
                        "status": 400,
                        "detail": "The request contains a NUL character; see invalidParams.",
                        "instance": request.path.replace("\x00", ""),
                        "invalidParams": [{"name": n, "reason": "Contains a NUL character."} for n in names],
                    }
                )
                response = HttpResponse(body, status=400, content_type="application/problem+json")
                response["API-Version"] = getattr(settings, "API_VERSION", "1.0.0")
                return response
            return HttpResponse(
                "Ongeldig teken in het adres (NUL). Invalid character in the address.",
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body is larger than PLEK_REQUEST_MAX_BYTES with 413, before
    anything reads the body (Django's upload handlers would otherwise receive all of it first).
    Chunked bodies without a length are bounded by the proxy (see docs/operations.md)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = int(getattr(settings, "PLEK_REQUEST_MAX_BYTES", 0) or 0)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if limit and length > limit:
            mb = round(limit / 1_048_576)
            if request.path.startswith("/api/"):
                body = json.dumps(
                    {
                        "type": "about:blank",
                        "title": "Content Too Large",
                        "status": 413,
                        "detail": f"The request body is larger than {mb} MB.",
                    }
                )
                response = HttpResponse(body, status=413, content_type="application/problem+json")
                response["API-Version"] = getattr(settings, "API_VERSION", "1.0.0")
            else:
                response = HttpResponse(
                    f"Het verzoek is groter dan {mb} MB en wordt niet aangenomen. "
                    f"The request is larger than {mb} MB and was refused.",
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
            response["Connection"] = "close"
            return response
        return self.get_response(request)
