"""Issue 13 (defect 12, point 2): every HTML page answers with a Content-Security-Policy without
'unsafe-inline'/'unsafe-eval' for scripts, X-Content-Type-Options, Referrer-Policy, Permissions-Policy
and frame protection; every inline script carries the response's nonce; `plek check --deploy`
refuses the example SECRET_KEY."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.checks import Error
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from plek.core.checks import check_secret_key_is_not_public, example_secret_keys

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def _plain_paths(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every URL of the site that takes no parameter (admin excluded: Django's own)."""
    paths: list[str] = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = str(entry.pattern)
        if "<" in route or "(?P" in route or route.startswith("^"):
            continue
        if isinstance(entry, URLResolver):
            if route.startswith("beheer") or route.startswith("api/"):
                continue
            paths.extend(_plain_paths(entry, prefix + route))
        elif isinstance(entry, URLPattern):
            paths.append("/" + prefix + route)
    return sorted(set(paths))


def _assert_headers(response: Any, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = {d.strip().split(" ")[0]: d.strip() for d in csp.split(";") if d.strip()}
    script_src = directives.get("script-src", "")
    assert script_src, f"{where}: no script-src in CSP {csp!r}"
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src, where
    assert "'nonce-" in script_src or "'self'" in script_src, where
    assert directives.get("object-src") == "object-src 'none'", where
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    policy = response.headers.get("Permissions-Policy", "")
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy, where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    # Every inline script carries this response's nonce; data blocks (JSON) are not scripts.
    nonce = re.search(r"'nonce-([^']+)'", script_src)
    for attrs in SCRIPT.findall(response.content.decode()):
        if "src=" in attrs or "application/json" in attrs:
            continue
        assert nonce and f'nonce="{nonce.group(1)}"' in attrs, (
            f"{where}: inline <script{attrs}> without nonce"
        )


def test_every_html_page_answers_with_the_security_headers(cast: dict[str, Any]) -> None:
    paths = _plain_paths()
    assert len(paths) >= 20, paths
    checked = 0
    for who in ("anonymous", "admin"):
        c = Client()
        if cast[who] is not None:
            c.force_login(cast[who])
        for path in [*paths, "/bestaat-niet/"]:
            response = c.get(path)
            if not response.headers.get("Content-Type", "").startswith("text/html"):
                continue
            _assert_headers(response, f"{who} {path} ({response.status_code})")
            checked += 1
    assert checked >= 30, checked


def test_a_form_with_errors_focuses_them_with_a_nonced_script(cast: dict[str, Any], hub: Any) -> None:
    """The error-focus scripts are inline: they must carry the nonce or the browser refuses them."""
    c = Client()
    c.force_login(cast["coordinator"])
    response = c.post("/organisaties/nieuw/", {"name": ""})
    assert response.status_code == 422
    assert 'id="form-errors"' in response.content.decode()
    assert "nonce=" in response.content.decode()
    _assert_headers(response, "organisation form with errors")


def test_deploy_check_refuses_the_example_secret_key(settings: Any) -> None:
    [example] = example_secret_keys()
    settings.SECRET_KEY = example
    errors = check_secret_key_is_not_public()
    assert [e.id for e in errors] == ["plek.E001"] and isinstance(errors[0], Error)
    with pytest.raises(SystemCheckError, match=r"plek\.E001"):
        call_command("check", deploy=True)
    settings.SECRET_KEY = "x" * 10 + "a-long-random-production-key-0123456789-abcdefghijklmnop"
    assert check_secret_key_is_not_public() == []
    settings.SECRET_KEY = "k" * 60
    settings.SECRET_KEY_FALLBACKS = [example]
    assert [e.id for e in check_secret_key_is_not_public()] == ["plek.E001"]
