"""Who is calling: an API token (`Authorization: Bearer <token>`), the browser session, or nobody.

Reads accept all three (results are filtered by what the caller may see); writes need a token or
a session. A session write must carry the CSRF token (cookie + `X-CSRFToken` header) like any
Django form post; a token write needs no CSRF token, since a browser never adds that header
on its own. A bad token is refused with 401 instead of being treated as anonymous."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja.errors import AuthenticationError, HttpError
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from plek.accounts.services import api_token_authenticate
from plek.atlas.permissions import Viewer, viewer_for

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class BearerToken(HttpBearer):
    """`Authorization: Bearer plek_…` — a token made on the account page."""

    openapi_description = "An API token: `Authorization: Bearer <token>`. No CSRF token needed."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = api_token_authenticate(token.strip()) if token.strip() else None
        if user is None:
            raise AuthenticationError(401, "The API token is invalid or has been revoked.")
        return user


class SessionCookie(APIKeyCookie):
    """The signed-in browser session; writes also need the CSRF token (`X-CSRFToken`)."""

    param_name = settings.SESSION_COOKIE_NAME
    openapi_description = (
        "The session cookie of a signed-in browser. Writes must also send the CSRF token "
        "in the `X-CSRFToken` header."
    )

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF is checked in authenticate(), and only for a signed-in user: an anonymous write
        # then answers 401 (sign in) instead of 403 (CSRF).
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise HttpError(403, "CSRF check failed: send the CSRF token in the X-CSRFToken header.")
        return user


class Anonymous:
    """Lets a read through without credentials (last in the list, so it never hides a bad token)."""

    def __call__(self, request: HttpRequest) -> Any:
        return AnonymousUser()


READ_AUTH: list[Any] = [BearerToken(), SessionCookie(), Anonymous()]
WRITE_AUTH: list[Any] = [BearerToken(), SessionCookie()]


def viewer(request: HttpRequest) -> Viewer:
    """The Viewer for the authenticated caller (ninja puts it on `request.auth`)."""
    return viewer_for(getattr(request, "auth", None))
