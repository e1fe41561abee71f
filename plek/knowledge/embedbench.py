"""`plek bench embed`: how fast documents are embedded — the target is 100,000 items in 8 minutes
(~210 documents/s) in the worker.

Two figures on the current database's documents (the demo's, or the national demo's), both with the
settings in force (``PLEK_EMBED_PROCESSES`` encoder processes, ``PLEK_EMBED_THREADS`` BLAS threads):

* ``encoder``: the texts of the knowledge items (or `--items N` of them) through
  :func:`embedding.encode_bulk` in the batches `vectors.store` uses — the encoder alone;
* ``store``: every searchable document through `embed_all` as `plek search embed` runs it (read,
  encode, write in committed batches), inside a transaction that is rolled back, with the vectors
  deleted first — nothing is changed.

The load average is printed beside them: on a shared machine the rate follows what else runs."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from django.db import transaction

from plek.core.models import SearchVector
from plek.knowledge import vectors
from plek.knowledge.indexing import builders, embed_all
from plek.knowledge.search import embedding


class _RolledBack(Exception):
    pass


def _item_texts(limit: int | None) -> list[str]:
    model, build = builders()["knowledge"]
    ids = list(model.objects.order_by("pk").values_list("pk", flat=True)[:limit])
    texts: list[str] = []
    for start in range(0, len(ids), 2000):
        texts.extend(vectors.doc_text(d) for d in build(ids[start : start + 2000]))
    return texts


def cpu_seconds() -> float:
    """CPU time of this process and of its encoder processes (Linux: their /proc/PID/stat)."""
    total = time.process_time()
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    for pid in embedding.pool_pids():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else 0.0


def bench_embed(*, items: int | None = None, store: bool = True) -> dict[str, Any]:
    embedding.encoder()  # loaded before the clock starts (~2 s), as in a running worker
    texts = _item_texts(items)
    if texts:
        embedding.encode_bulk(texts[: vectors.BATCH])  # encoder processes started
    load_before = os.getloadavg()[0]
    started, cpu = time.perf_counter(), cpu_seconds()
    for start in range(0, len(texts), vectors.BATCH):
        embedding.encode_bulk(texts[start : start + vectors.BATCH])
    encoder_s = time.perf_counter() - started
    encoder_cpu = cpu_seconds() - cpu
    result: dict[str, Any] = {
        "processes": embedding.processes(),
        "threads": embedding.threads(),
        "max_chars": embedding.MAX_CHARS,
        "items": len(texts),
        "mean_chars": round(sum(map(len, texts)) / len(texts), 1) if texts else 0.0,
        "encoder_s": round(encoder_s, 2),
        "encoder_docs_per_s": _rate(len(texts), encoder_s),
        # per CPU second: what one core does whatever else runs (an idle worker with P processes on P
        # cores gets about P times this)
        "encoder_docs_per_cpu_s": _rate(len(texts), encoder_cpu),
        "minutes_per_100k_items": round(100_000 / max(len(texts) / encoder_s, 1e-9) / 60, 1)
        if texts
        else None,
        "load_before": round(load_before, 2),
    }
    if store:
        try:
            with transaction.atomic():
                SearchVector.objects.all().delete()
                vectors.recent_clear()  # every text through the encoder
                started = time.perf_counter()
                done = embed_all()
                store_s = time.perf_counter() - started
                raise _RolledBack
        except _RolledBack:
            pass
        vectors.recent_clear()
        result.update(documents=done, store_s=round(store_s, 2), store_docs_per_s=_rate(done, store_s))
    result["load_after"] = round(os.getloadavg()[0], 2)
    return result


def table(result: dict[str, Any]) -> str:
    lines = [
        f"encoder: {result['items']} item texts (mean {result['mean_chars']} characters, cut at "
        f"{result['max_chars']}) in {result['encoder_s']} s = {result['encoder_docs_per_s']} docs/s "
        f"({result['minutes_per_100k_items']} min per 100,000 items); "
        f"{result['encoder_docs_per_cpu_s']} docs per CPU second",
    ]
    if "store_docs_per_s" in result:
        lines.append(
            f"store:   {result['documents']} documents read, embedded and written in {result['store_s']} s "
            f"= {result['store_docs_per_s']} docs/s"
        )
    lines.append(
        f"{result['processes']} encoder process(es) x {result['threads']} BLAS thread(s); "
        f"load average {result['load_before']} before, {result['load_after']} after"
    )
    return "\n".join(lines)
