"""Shared test fixtures: the reference set (loaded once per test database), a fixed cast, and the
browser of the browser tests (helpers in plek/atlas/tests/browser_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plek.atlas.models import Hub, HubMembership, Region
from plek.atlas.reference_data import reference_load


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        reference_load()


@pytest.fixture
def ref(db: Any) -> None:
    """The official reference set; reloaded if a transactional test flushed it."""
    if not Region.objects.filter(code="GM0363").exists():
        reference_load()


@pytest.fixture
def hub(ref: None) -> Hub:
    hub = Hub.objects.create(slug="kennishub-test", name="Kennishub Test")
    hub.regions.set([Region.objects.get(code="PV27")])
    return hub


@pytest.fixture
def other_hub(ref: None) -> Hub:
    hub = Hub.objects.create(slug="kennishub-elders", name="Kennishub Elders")
    hub.regions.set([Region.objects.get(code="PV22")])
    return hub


@pytest.fixture
def cast(hub: Hub, django_user_model: Any) -> dict[str, Any]:
    """anonymous, outsider (signed in, no hub), member, coordinator, admin."""
    users: dict[str, Any] = {"anonymous": None}
    for name in ("outsider", "member", "coordinator", "admin"):
        users[name] = django_user_model.objects.create_user(
            username=name, email=f"{name}@example.org", password="correct horse battery"
        )
    HubMembership.objects.create(hub=hub, user=users["member"], role=HubMembership.Role.MEMBER)
    HubMembership.objects.create(hub=hub, user=users["coordinator"], role=HubMembership.Role.COORDINATOR)
    users["admin"].is_superuser = users["admin"].is_staff = True
    users["admin"].save()
    return users


@pytest.fixture(autouse=True)
def _fresh_search_index(settings: Any, tmp_path: Any) -> Any:
    """Every test gets its own (lazily created) search index: the database rolls back between tests,
    so an index shared across tests would hold documents of rows that no longer exist."""
    from plek.knowledge.search import reset_backends

    settings.PLEK_SEARCH_DIR = tmp_path / "search"
    yield
    reset_backends()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts in Dutch: a request with `?lang=en` leaves English active in the thread (the
    locale middleware activates it for the request), which would change the next test's texts."""
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _empty_cache() -> Any:
    """The cache holds sign-in failure counters; one test's failures must not block another's login."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def browser(django_db_blocker: Any) -> Iterator[Any]:
    """One headless Chromium per test module."""
    from plek.atlas.tests.browser_helpers import chromium

    with chromium() as b:
        yield b
    # The live server's transactional tests flush the database; leave the reference set behind for
    # whatever test module runs next in this session.
    with django_db_blocker.unblock():
        if not Region.objects.filter(code="GM0363").exists():
            reference_load()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page (its own context: no cookies from another test) that records JavaScript errors
    and CSP violations in `page.js_errors`."""
    from plek.atlas.tests.browser_helpers import new_page

    p = new_page(browser)
    p.set_default_timeout(30_000)  # a shared, busy machine: the first pages compile templates
    yield p
    p.context.close()


@pytest.fixture
def shared_cache(settings: Any, tmp_path: Path) -> None:
    """The file cache `make run` uses (the suite's own is per process, which turns caching off)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
