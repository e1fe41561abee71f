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
def test_engine_bench_on_synthetic_documents(settings: Any) -> None:
    """On the suite's engine (tantivy, or PostgreSQL in CI's second run)."""
    out = io.StringIO()
    call_command("bench", "search", "--items", "300", stdout=out)
    result = last_json(out)
    assert set(result) >= KEYS
    assert result["backend"] == settings.PLEK_SEARCH_BACKEND and result["items"] == 300
    assert all(
        isinstance(result[k], int | float) for k in ("p50_ms", "p95_ms", "p99_ms", "index_s", "index_mb")
    )


@pytest.mark.django_db
def test_both_engines_side_by_side_on_the_same_queries() -> None:
    """`--backend both` times tantivy and PostgreSQL on the same documents and queries and says how alike
    they answered; it needs PostgreSQL (on SQLite it says so)."""
    from django.core.management.base import CommandError
    from django.db import connection

    out = io.StringIO()
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="PostgreSQL"):
            call_command("bench", "search", "--items", "300", "--backend", "both", stdout=out)
        return
    call_command("bench", "search", "--items", "300", "--backend", "both", stdout=out)
    result = last_json(out)
    assert set(result["results"]) == {"tantivy", "postgres"} and result["items"] == 300
    for figures in result["results"].values():
        assert set(figures) >= KEYS and figures["items"] == 300 and figures["queries"] == 240
    assert result["results"]["postgres"]["rum"] is True
    agreement = result["agreement"]
    assert agreement["top10_overlap_mean"] >= 0.5 and agreement["totals_equal"] >= 1
    with connection.cursor() as cursor:  # the scratch table is gone
        cursor.execute("SELECT to_regclass('plek_search_bench')")
        assert cursor.fetchone()[0] is None


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


@pytest.mark.django_db
def test_embed_bench_measures_without_changing_the_stored_vectors(ref: None) -> None:
    from plek.core.models import SearchVector
    from plek.knowledge.indexing import embed_all

    knowledge_demo(30, seed=3)
    embed_all()
    before = sorted(SearchVector.objects.values_list("key", "text_hash"))
    out = io.StringIO()
    call_command("bench", "embed", "--items", "20", stdout=out)
    result = last_json(out)
    assert result["items"] == 20 and result["processes"] == 1 and result["threads"] == 1
    assert result["encoder_docs_per_s"] > 0 and result["encoder_docs_per_cpu_s"] > 0
    assert result["documents"] == len(before)  # every document went through the encoder again
    assert sorted(SearchVector.objects.values_list("key", "text_hash")) == before  # rolled back
