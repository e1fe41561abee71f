"""Fixtures of the federation tests: a fake source server on loopback, allowed through the allow-list."""

from __future__ import annotations

from typing import Any

import pytest

from plek.federation.tests.fake_sources import FakeSources


@pytest.fixture
def fake(settings: Any) -> Any:
    settings.PLEK_HARVEST_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.PLEK_HARVEST_TIMEOUT = 15
    settings.PLEK_HARVEST_MAX_RETRY_WAIT = 2
    with FakeSources() as server:  # a port the kernel picks: two test runs on one machine do not clash
        yield server
