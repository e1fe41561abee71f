"""`plek bench match`: quality of matching on both evaluation sets — the shipped one and the mismatch
one (questions that share no content word with their relevant items; reported per split, train and
test) — hybrid (words + meaning) against lexical only (words) and plain BM25 on the question text in
the same run, then the engine's latency and memory on the current data.

Run it on the demo (`plek demo`: the judged corpora among ~300 synthetic distractors) or on national
data (`plek demo --scale national`: among 100,000 items and 20,000 people) for the latency target.
The evaluation corpora are loaded first when missing, and vectors are made for what lacks one.
Quality is measured as an anonymous visitor (every judged document is public), latency the same way.

`fit_weights()` (`plek bench match --fit`) chooses the signal weights on the training questions only."""

from __future__ import annotations

import itertools
import resource
import statistics
import sys
import time
from typing import Any

from plek.atlas.models import Person, Region
from plek.brokering import evalset, matching
from plek.brokering.matching import CROWDING, MatchInput, _query, clean_text, rank
from plek.knowledge import vectors
from plek.knowledge.indexing import embed_all, outbox_apply
from plek.knowledge.models import KnowledgeItem

SYSTEMS = ("hybrid", "lexical", "bm25", "dense")


def _input(row: dict[str, Any], regions: dict[str, Region]) -> MatchInput:
    return MatchInput(
        text=clean_text(row["title"], row["text"], row.get("context", "")),
        regions=[regions[c] for c in row.get("regions", []) if c in regions],
        themes=list(row.get("themes", [])),
    )


def _prepare() -> None:
    if not evalset.is_loaded():
        evalset.load_corpus()
    while outbox_apply(5000):
        pass
    if vectors.enabled():
        embed_all()


def _regions(rows: list[dict[str, Any]]) -> dict[str, Region]:
    codes = {c for row in rows for c in row.get("regions", [])}
    return {r.code: r for r in Region.objects.filter(code__in=codes).defer("geometry", "description")}


DEPTH = 100  # how deep each system ranks: the judged-pool figures condense these lists


def _engines(regions: dict[str, Region]) -> dict[str, Any]:
    def engine(hybrid: bool) -> Any:
        def run(row: dict[str, Any]) -> tuple[list[int], list[int]]:
            found = rank(_input(row, regions), viewer=None, limit=DEPTH, hybrid=hybrid)
            return [c.id for c in found.items], [c.id for c in found.people]

        return run

    def bm25(row: dict[str, Any]) -> tuple[list[int], list[int]]:
        text = clean_text(row["title"], row["text"], row.get("context", ""))
        return (
            [h.id for h in _query(text, None, ["knowledge"], limit=DEPTH, max_terms=None)],
            [h.id for h in _query(text, None, ["person"], limit=DEPTH, max_terms=None)],
        )

    def dense(row: dict[str, Any]) -> tuple[list[int], list[int]]:
        """Meaning alone: the nearest vectors to the question (less their crowding, as the engine ranks
        them), nothing else (a sanity figure)."""
        qvec = vectors.query_vector(clean_text(row["title"], row["text"], row.get("context", "")))
        return (
            [r.id for r, _cos in vectors.nearest(qvec, ["knowledge"], ["public"], DEPTH, crowding=CROWDING)],
            [r.id for r, _cos in vectors.nearest(qvec, ["person"], ["public"], DEPTH, crowding=CROWDING)],
        )

    return {"hybrid": engine(True), "lexical": engine(False), "bm25": bm25, "dense": dense}


def _memo(run: Any) -> Any:
    """One run per question, however many ways its ranking is scored."""
    seen: dict[str, tuple[list[int], list[int]]] = {}

    def once(row: dict[str, Any]) -> tuple[list[int], list[int]]:
        if row["id"] not in seen:
            seen[row["id"]] = run(row)
        return seen[row["id"]]

    return once


def quality() -> tuple[dict[str, Any], dict[str, Any]]:
    """Scores of each system on the shipped set and on the mismatch set's train and test splits; the
    mismatch splits twice: over the whole database ("mismatch_test": every document not judged for
    the question counts as a miss, though the shipped corpus and the demo hold many on the same
    topics) and over the pool that was judged for them ("mismatch_test_judged": condensed lists).
    Second, per set: hybrid against words alone question by question (`evalset.paired`, nDCG@10),
    so that a difference can be told from the noise of a few questions."""
    mismatch = {"train": evalset.mismatch_questions("train"), "test": evalset.mismatch_questions("test")}
    shipped = evalset.questions()
    regions = _regions([*shipped, *mismatch["train"], *mismatch["test"]])
    engines = {name: _memo(run) for name, run in _engines(regions).items()}
    if not vectors.enabled():
        engines.pop("hybrid")
        engines.pop("dense")
    maps = evalset.key_maps()
    pool = evalset.mismatch_pool()
    # the shipped set's halves: the weights were fitted on the odd one; the even one is held out
    sets: dict[str, tuple[list[dict[str, Any]], frozenset[str] | None]] = {
        "shipped": (shipped, None),
        "shipped_train": (training_half(shipped), None),
        "shipped_test": (shipped[0::2], None),
    }
    for split, rows in mismatch.items():
        sets[f"mismatch_{split}"] = (rows, None)
        sets[f"mismatch_{split}_judged"] = (rows, pool)
    out: dict[str, Any] = {}
    compared: dict[str, Any] = {}
    for name, (rows, judged_pool) in sets.items():
        scores = {system: evalset.score(run, rows, maps, judged_pool) for system, run in engines.items()}
        out[name] = {system: {kind: s.summary() for kind, s in per.items()} for system, per in scores.items()}
        if "hybrid" in scores:
            compared[name] = {
                kind: evalset.paired(scores["hybrid"][kind].ndcg, scores["lexical"][kind].ndcg)
                for kind in ("items", "people")
            }
    return out, compared


def bench_match(*, runs: int = 3, warmup: int = 1) -> dict[str, Any]:
    _prepare()
    sets, compared = quality()
    result: dict[str, Any] = {"sets": sets, "hybrid_vs_lexical": compared}
    shipped = result["sets"]["shipped"]
    # The figures earlier versions reported, kept under their names: the engine (hybrid when
    # embeddings are on) and plain BM25 on the shipped set.
    result["engine"] = shipped.get("hybrid", shipped["lexical"])
    result["bm25"] = shipped["bm25"]
    rows = evalset.questions() + evalset.mismatch_questions()
    regions = _regions(rows)
    inputs = [_input(row, regions) for row in rows]
    for inp in inputs[: max(0, warmup) * len(inputs)]:
        rank(inp, viewer=None, limit=10)
    times, cpu = [], []
    for _ in range(max(1, runs)):
        for inp in inputs:
            vectors.query_vector_cache_clear()  # each timed matching encodes its question, as a new one would
            start, start_cpu = time.perf_counter(), time.process_time()
            rank(inp, viewer=None, limit=10)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
    result["latency_ms"] = percentiles(times)
    # CPU time of this process (all threads): what a request costs, whatever else the machine runs
    result["cpu_ms"] = percentiles(cpu)
    result["memory_mb"] = {
        "vectors": round(vectors.memory_bytes() / 2**20, 1),
        "process_peak": round(peak_rss_bytes() / 2**20, 1),
    }
    result["data"] = {
        "questions": len(evalset.questions()),
        "mismatch_questions": len(evalset.mismatch_questions()),
        "knowledge_items": KnowledgeItem.objects.count(),
        "people": Person.objects.count(),
        "measured": len(times),
        "embeddings": vectors.enabled(),
    }
    return result


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p95 (nearest rank) of a list of milliseconds."""
    if not values:
        return {"p50": 0.0, "p95": 0.0}
    ordered = sorted(values)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
    }


def peak_rss_bytes() -> int:
    """Peak resident memory of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def table(result: dict[str, Any]) -> str:
    lines = [f"{'set':22} {'system':8} {'kind':7} {'nDCG@10':>8} {'recall@10':>10} {'MRR':>6}"]
    for name, systems in result["sets"].items():
        for system in SYSTEMS:
            if system not in systems:
                continue
            for kind in ("items", "people"):
                s = systems[system][kind]
                lines.append(
                    f"{name:22} {system:8} {kind:7} {s['ndcg@10']:8.3f} {s['recall@10']:10.3f} {s['mrr']:6.3f}"
                )
    if result.get("hybrid_vs_lexical"):
        lines.append("hybrid - lexical, nDCG@10 question by question (95 % bootstrap interval; sign test):")
    for name, kinds in result.get("hybrid_vs_lexical", {}).items():
        for kind, c in kinds.items():
            lines.append(
                f"{name:22} {kind:7} {c['mean']:+.3f} ({c['low']:+.3f} to {c['high']:+.3f}); "
                f"better {c['better']}, worse {c['worse']}, same {c['same']}; p {c['sign_p']:.3f}"
            )
    lat, cpu, data, mem = result["latency_ms"], result["cpu_ms"], result["data"], result["memory_mb"]
    lines.append(
        f"latency p50 {lat['p50']} ms, p95 {lat['p95']} ms (CPU p50 {cpu['p50']}, p95 {cpu['p95']}) "
        f"over {data['measured']} matchings "
        f"({data['questions']}+{data['mismatch_questions']} questions; {data['knowledge_items']} items, "
        f"{data['people']} people); vectors in memory {mem['vectors']} MB, process peak {mem['process_peak']} MB"
    )
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# Fitting the weights on training questions


GRID = {
    "text": (0.2, 0.25, 0.3),
    "meaning": (0.15, 0.2, 0.3),
    "theme": (0.2, 0.25, 0.3),
    "region": (0.25, 0.3, 0.35),
}


def fit_weights() -> dict[str, Any]:
    """The weights (from GRID) with the best mean of items and people nDCG@10 on the training questions
    only: the shipped set's training half (odd positions, whole database) and the mismatch set's train
    split (its judged pool). Test questions are never seen. Returns the weights and their training
    figures; the module's WEIGHTS are restored."""
    _prepare()
    shipped = training_half(evalset.questions())
    mismatch = evalset.mismatch_questions("train")
    regions = _regions([*shipped, *mismatch])
    run = _engines(regions)["hybrid"]
    maps = evalset.key_maps()
    pool = evalset.mismatch_pool()
    saved = dict(matching.WEIGHTS)
    best: tuple[float, dict[str, float], dict[str, Any]] = (-1.0, saved, {})
    matching.pool_memo = {}  # each question's candidates retrieved once, re-scored per weighting
    try:
        for values in itertools.product(*GRID.values()):
            matching.WEIGHTS.update(dict(zip(GRID, values, strict=True)))
            figures = {
                "shipped_train": evalset.evaluate(run, shipped, maps),
                "mismatch_train_judged": evalset.evaluate(run, mismatch, maps, pool=pool),
            }
            value = statistics.mean(
                f[kind]["ndcg@10"] for f in figures.values() for kind in ("items", "people")
            )
            if value > best[0]:
                best = (value, dict(matching.WEIGHTS), figures)
    finally:
        matching.pool_memo = None
        matching.WEIGHTS.clear()
        matching.WEIGHTS.update(saved)
    return {
        "weights": best[1],
        "train_objective": round(best[0], 4),
        "train": best[2],
        "questions": len(shipped) + len(mismatch),
    }


def training_half(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The shipped set has no split of its own: its odd positions train, its even positions test."""
    return rows[1::2]
