"""Fixtures of the federation tests: a fake source server on loopback, allowed through the allow-list."""

from __future__ import annotations

import os
from typing import Any

import pytest

from plek.federation.tests.fake_sources import FakeSources


def _port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return 8131 + int(worker[2:] or 0) % 8


@pytest.fixture
def fake(settings: Any) -> Any:
    settings.PLEK_HARVEST_ALLOWED_HOSTS = ["127.0.0.1"]
    settings.PLEK_HARVEST_TIMEOUT = 15
    settings.PLEK_HARVEST_MAX_RETRY_WAIT = 2
    with FakeSources(_port()) as server:
        yield server
