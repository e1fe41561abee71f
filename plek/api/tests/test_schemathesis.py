"""The whole OpenAPI document, fuzzed from outside (issue 13): schemathesis runs against a live server
(pytest-django's `live_server`, the same database as the test), once anonymously and once with an
administrator's API token, with the stateful phase (links inferred from `Location` headers and
response fields), a fixed seed and a fixed example budget; it fails on any 5xx, any response that
breaks its schema and any status the document does not list.

Bounded in time: `--max-time` per run (45 s fuzzing, 30 s stateful); the four runs take about four
minutes in all, two with `pytest -n 2`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plek.accounts.services import api_token_create
from plek.atlas.models import Hub, HubMembership, Region
from plek.atlas.tests.factories import PersonFactory
from plek.brokering.tests.factories import QuestionFactory

SNAPSHOT = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
SEED = 20261203
MAX_EXAMPLES = 3
# Per run: the time budget is shared by the phases of one run, so fuzzing and the stateful phase
# run separately, each with its own budget.
MAX_SECONDS = {"examples,fuzzing": 45, "stateful": 30}
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance"

pytestmark = [pytest.mark.django_db(transaction=True)]


def _st() -> str:
    found = Path(sys.executable).with_name("st")
    return str(found) if found.exists() else (shutil.which("st") or "st")


@pytest.fixture
def data(ref: None, django_user_model: Any) -> dict[str, Any]:
    """A little of everything, so reads by slug and the stateful links have something to find."""
    admin = django_user_model.objects.create_user(
        username="fuzzadmin", email="fuzz@example.org", password="x" * 12, is_superuser=True, is_staff=True
    )
    hub = Hub.objects.create(slug="kennishub-fuzz", name="Kennishub Fuzz")
    hub.regions.set([Region.objects.get(code="PV27")])
    HubMembership.objects.create(hub=hub, user=admin, role=HubMembership.Role.COORDINATOR)
    PersonFactory(slug="els-droog", name="Els Droog", email="els@example.org", knowledge_kinds=["practice"])
    QuestionFactory(slug="droge-grond", title="Droge grond", owner_hub=hub, broker=admin)
    _, token = api_token_create(user=admin, name="fuzz")
    return {"token": token}


# The stateful phase gets its own, larger budget: it follows links (inferred from Location headers
# and response fields) from the objects the fuzzing phase created.
CONFIG = """
[phases.stateful]
max-steps = 12

[phases.stateful.generation]
max-examples = 25
"""


def _run(live_server: Any, tmp_path: Path, phases: str, *headers: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG)
    argv = [
        _st(),
        "--config-file",
        str(config),
        "run",
        str(SNAPSHOT),  # the committed document (a drift test keeps it equal to the live one)
        "--url",
        f"{live_server.url}/api/v1",
        "--checks",
        CHECKS,
        "--phases",
        phases,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--max-time",
        str(MAX_SECONDS[phases]),
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--suppress-health-check",
        "all",
        "--no-color",
        "--report-dir",
        str(tmp_path),
    ]
    for header in headers:
        argv += ["--header", header]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": ""}
    return subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=MAX_SECONDS[phases] * 4,
        env=env,
        check=False,
        cwd=tmp_path,  # schemathesis keeps a crash cache in ./.schemathesis: one per run, not shared
    )


@pytest.fixture
def generous_budgets(settings: Any) -> None:
    settings.API_RATE_LIMIT_ANONYMOUS = "1000000/60"
    settings.API_RATE_LIMIT_TOKEN = "1000000/60"


@pytest.mark.parametrize("phases", list(MAX_SECONDS))
def test_anonymous(
    live_server: Any, data: dict[str, Any], generous_budgets: None, tmp_path: Path, phases: str
) -> None:
    result = _run(live_server, tmp_path, phases)
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]


@pytest.mark.parametrize("phases", list(MAX_SECONDS))
def test_with_a_token(
    live_server: Any, data: dict[str, Any], generous_budgets: None, tmp_path: Path, phases: str
) -> None:
    result = _run(live_server, tmp_path, phases, f"Authorization: Bearer {data['token']}")
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
