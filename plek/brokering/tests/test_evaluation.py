"""The shipped evaluation set: it is consistent, it loads, and on it the engine finds earlier answered
questions and regional experts, and beats plain BM25 (the figures themselves come from `plek bench
match`)."""

from __future__ import annotations

from typing import Any

import pytest

from plek.atlas.models import Region, Theme
from plek.brokering import evalset
from plek.brokering.bench import _input
from plek.brokering.matching import _query, clean_text, rank
from plek.knowledge.indexing import reindex


def test_the_set_is_consistent(ref: None) -> None:
    data = evalset.corpus()
    rows = evalset.questions()
    assert len(rows) >= 60
    items = {i["key"] for i in data["items"]} | {f"answer-{a['key']}" for a in data["answered_questions"]}
    people = {p["key"] for p in data["people"]}
    answered = {a["key"] for a in data["answered_questions"]}
    codes = set(Region.objects.values_list("code", flat=True))
    themes = set(Theme.objects.values_list("slug", flat=True))
    for row in rows:
        judged = evalset.judged_items(row)
        assert judged and set(judged) <= items, row["id"]
        assert row["relevant_people"] and set(row["relevant_people"]) <= people, row["id"]
        assert set(row.get("relevant_questions", [])) <= answered, row["id"]
        assert set(row["regions"]) <= codes and set(row.get("themes", [])) <= themes, row["id"]
        assert all(g in (1, 2) for g in [*judged.values(), *row["relevant_people"].values()])


def test_metrics() -> None:
    judged = {"a": 2, "b": 1}
    assert evalset.ndcg_at(["a", "b"], judged) == pytest.approx(1.0)
    assert evalset.ndcg_at(["x", "a"], judged) < evalset.ndcg_at(["a", "x"], judged)
    assert evalset.recall_at(["x", "b"], judged) == 0.5
    assert evalset.reciprocal_rank(["x", "y", "a"], judged) == pytest.approx(1 / 3)
    assert evalset.ndcg_at([], judged) == 0.0


@pytest.fixture
def loaded(ref: None) -> dict[str, Any]:
    counts = evalset.load_corpus()
    assert evalset.load_corpus() == {"items": 0, "people": 0, "questions": 0}  # idempotent
    reindex()
    codes = {c for row in evalset.questions() for c in row["regions"]}
    return {
        "counts": counts,
        "regions": {r.code: r for r in Region.objects.filter(code__in=codes).defer("geometry")},
    }


def test_earlier_answered_questions_come_in_the_top_three(loaded: dict[str, Any]) -> None:
    _items, _people, question_keys = evalset.key_maps()
    rows = [r for r in evalset.questions() if r.get("relevant_questions")]
    assert len(rows) >= 10
    hits = 0
    for row in rows:
        found = rank(_input(row, loaded["regions"]), viewer=None, limit=3)
        top = {question_keys.get(c.id) for c in found.questions}
        hits += bool(top & set(row["relevant_questions"]))
    assert hits / len(rows) >= 0.9, f"{hits} of {len(rows)}"


def test_experts_for_the_province_or_res_region_are_found_with_the_reason(loaded: dict[str, Any]) -> None:
    _items, people, _qs = evalset.key_maps()
    shown = 0
    for row in evalset.questions()[:40]:
        found = rank(_input(row, loaded["regions"]), viewer=None, limit=5)
        for cand in found.people:
            if people.get(cand.id) in row["relevant_people"] and any(
                "waar gemeente" in r for r in cand.reasons
            ):
                shown += 1
                break
    assert shown >= 20


def test_the_engine_beats_bm25_on_the_set(loaded: dict[str, Any]) -> None:
    regions = loaded["regions"]

    def engine(row: dict[str, Any]) -> tuple[list[int], list[int]]:
        found = rank(_input(row, regions), viewer=None, limit=10)
        return [c.id for c in found.items], [c.id for c in found.people]

    def bm25(row: dict[str, Any]) -> tuple[list[int], list[int]]:
        text = clean_text(row["title"], row["text"], row.get("context", ""))
        return (
            [h.id for h in _query(text, None, ["knowledge"], limit=10, max_terms=None)],
            [h.id for h in _query(text, None, ["person"], limit=10, max_terms=None)],
        )

    ours, plain = evalset.evaluate(engine), evalset.evaluate(bm25)
    assert ours["items"]["ndcg@10"] > plain["items"]["ndcg@10"]
    assert ours["people"]["ndcg@10"] > plain["people"]["ndcg@10"]
    assert ours["items"]["ndcg@10"] >= 0.6
