"""`plek bench search` prints one JSON object as its last line (figures are not asserted)."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from plek.knowledge.demo import knowledge_demo

KEYS = {"backend", "items", "p50_ms", "p95_ms", "p99_ms", "index_s", "index_mb"}


def last_json(out: io.StringIO) -> dict[str, Any]:
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.mark.django_db
def test_engine_bench_on_synthetic_documents() -> None:
    out = io.StringIO()
    call_command("bench", "search", "--items", "300", "--backend", "tantivy", stdout=out)
    result = last_json(out)
    assert set(result) >= KEYS
    assert result["backend"] == "tantivy" and result["items"] == 300
    assert all(
        isinstance(result[k], int | float) for k in ("p50_ms", "p95_ms", "p99_ms", "index_s", "index_mb")
    )


@pytest.mark.django_db
def test_api_bench_on_the_current_database(ref: None) -> None:
    knowledge_demo(120, seed=3)
    out = io.StringIO()
    call_command("bench", "search", "--reindex", stdout=out)
    result = last_json(out)
    assert set(result) >= KEYS
    assert result["source"] == "api" and result["items"] == 120 and result["documents"] >= 120


@pytest.mark.django_db
def test_bench_refuses_impossible_sizes() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="between"):
        call_command("bench", "search", "--items", "2000000")
