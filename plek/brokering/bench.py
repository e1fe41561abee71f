"""`plek bench match`: quality of matching on the shipped evaluation set, the engine against plain
BM25 on the question text in the same run, and the engine's latency on the current data.

Run it on the demo (`plek demo`: the judged corpus among ~300 synthetic distractors) or on national
data (`plek demo --scale national`: among 100,000 items and 20,000 people) for the latency target.
The evaluation corpus is loaded first when it is missing. Quality is measured as an anonymous visitor
(every judged document is public), latency the same way."""

from __future__ import annotations

import statistics
import time
from typing import Any

from plek.atlas.models import Person, Region
from plek.brokering import evalset
from plek.brokering.matching import MatchInput, _query, clean_text, rank
from plek.knowledge.indexing import outbox_apply
from plek.knowledge.models import KnowledgeItem


def _input(row: dict[str, Any], regions: dict[str, Region]) -> MatchInput:
    return MatchInput(
        text=clean_text(row["title"], row["text"], row.get("context", "")),
        regions=[regions[c] for c in row.get("regions", []) if c in regions],
        themes=list(row.get("themes", [])),
    )


def bench_match(*, runs: int = 3, warmup: int = 1) -> dict[str, Any]:
    if not evalset.is_loaded():
        evalset.load_corpus()
    while outbox_apply(5000):
        pass
    rows = evalset.questions()
    codes = {c for row in rows for c in row.get("regions", [])}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes).defer("geometry", "description")}

    def engine(row: dict[str, Any]) -> tuple[list[int], list[int]]:
        found = rank(_input(row, regions), viewer=None, limit=10)
        return [c.id for c in found.items], [c.id for c in found.people]

    def bm25(row: dict[str, Any]) -> tuple[list[int], list[int]]:
        text = clean_text(row["title"], row["text"], row.get("context", ""))
        return (
            [h.id for h in _query(text, None, ["knowledge"], limit=10, max_terms=None)],
            [h.id for h in _query(text, None, ["person"], limit=10, max_terms=None)],
        )

    result: dict[str, Any] = {"engine": evalset.evaluate(engine, rows), "bm25": evalset.evaluate(bm25, rows)}
    inputs = [_input(row, regions) for row in rows]
    for inp in inputs[: max(0, warmup) * len(inputs)]:
        rank(inp, viewer=None, limit=10)
    times, cpu = [], []
    for _ in range(max(1, runs)):
        for inp in inputs:
            start, start_cpu = time.perf_counter(), time.process_time()
            rank(inp, viewer=None, limit=10)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
    times.sort()
    cpu.sort()
    result["latency_ms"] = {
        "p50": round(statistics.median(times), 1),
        "p95": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1),
    }
    # CPU time of this process (all threads): what a request costs, whatever else the machine runs
    result["cpu_ms"] = {
        "p50": round(statistics.median(cpu), 1),
        "p95": round(cpu[min(len(cpu) - 1, int(0.95 * len(cpu)))], 1),
    }
    result["data"] = {
        "questions": len(rows),
        "knowledge_items": KnowledgeItem.objects.count(),
        "people": Person.objects.count(),
        "measured": len(times),
    }
    return result


def table(result: dict[str, Any]) -> str:
    lines = [f"{'':8} {'':7} {'nDCG@10':>8} {'recall@10':>10} {'MRR':>6}"]
    for system in ("engine", "bm25"):
        for kind in ("items", "people"):
            s = result[system][kind]
            lines.append(f"{system:8} {kind:7} {s['ndcg@10']:8.3f} {s['recall@10']:10.3f} {s['mrr']:6.3f}")
    lat, cpu, data = result["latency_ms"], result["cpu_ms"], result["data"]
    lines.append(
        f"latency p50 {lat['p50']} ms, p95 {lat['p95']} ms (CPU p50 {cpu['p50']}, p95 {cpu['p95']}) "
        f"over {data['measured']} matchings "
        f"({data['questions']} questions; {data['knowledge_items']} items, {data['people']} people)"
    )
    return "\n".join(lines)
