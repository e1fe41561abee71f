"""Sentence embeddings beside the search index: the in-memory matrix answers top-k as the viewer may see,
vectors follow the outbox and the reindex, unchanged texts are not embedded again, and a new item is
found by meaning right after it is saved (the real encoder, loaded once per test process)."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest
from django.utils.text import slugify

from plek.core.models import SearchVector, Visibility
from plek.core.outbox import search_outbox_add
from plek.knowledge import vectors
from plek.knowledge.indexing import embed_all, outbox_apply, reindex
from plek.knowledge.models import KnowledgeItem
from plek.knowledge.search import embedding
from plek.knowledge.search.embedding import Row, VectorIndex


def _unit(*values: float) -> np.ndarray:
    v = np.zeros(embedding.DIM, dtype=np.float32)
    v[: len(values)] = values
    return v / np.linalg.norm(v)


def _random_index(n: int, seed: int) -> tuple[VectorIndex, list[Row], np.ndarray]:
    """An index of n knowledge rows with random unit vectors."""
    idx = VectorIndex()
    rows = [Row(key=f"knowledge:{i}", type="knowledge", id=i, slug=str(i), title=str(i)) for i in range(n)]
    vecs = np.random.default_rng(seed).normal(size=(n, embedding.DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    idx.put(rows, vecs)
    return idx, rows, vecs


def test_top_k_is_ranked_and_respects_visibility() -> None:
    idx = VectorIndex()
    rows = [
        Row(key="knowledge:1", type="knowledge", id=1, slug="a", title="A"),
        Row(key="knowledge:2", type="knowledge", id=2, slug="b", title="B", visibility=["hub:3"]),
        Row(key="knowledge:3", type="knowledge", id=3, slug="c", title="C"),
    ]
    idx.put(rows, np.vstack([_unit(1, 0), _unit(1, 0.1), _unit(0, 1)]))
    query = _unit(1, 0.05)
    assert [r.id for r, _ in idx.top(query, 3, None)] == [2, 1, 3]  # administrator: all
    assert [r.id for r, _ in idx.top(query, 3, ["public"])] == [1, 3]
    assert [r.id for r, _ in idx.top(query, 1, ["public", "hub:3"])] == [2]
    assert idx.top(query, 3, []) == []
    # Replacing a row keeps one row per key; a removed row is never returned.
    idx.put([Row(key="knowledge:3", type="knowledge", id=3, slug="c", title="C2")], _unit(1, 0.06)[None, :])
    assert len(idx) == 3 and idx.top(query, 1, ["public"])[0][0].title == "C2"
    idx.remove(["knowledge:3"])
    assert [r.id for r, _ in idx.top(query, 3, ["public"])] == [1]
    sims = idx.similarity(query, ["knowledge:1", "knowledge:3", "knowledge:9"])
    assert set(sims) == {"knowledge:1"} and sims["knowledge:1"] == pytest.approx(float(_unit(1, 0) @ query))


def test_top_k_within_an_area_follows_replaced_and_removed_rows() -> None:
    idx = VectorIndex()

    def row(i: int, regions: list[str], title: str = "") -> Row:
        return Row(
            key=f"person:{i}", type="person", id=i, slug=str(i), title=title or str(i), regions=regions
        )

    idx.put(
        [row(1, ["NL"]), row(2, ["PV29", "ws0661"]), row(3, ["PV27"]), row(4, ["PV29"])],
        np.vstack([_unit(1, 0), _unit(1, 0.2), _unit(1, 0.1), _unit(0, 1)]),
    )
    query = _unit(1, 0)
    zeeland = ["PV29"]
    assert [r.id for r, _ in idx.top(query, 4, None)] == [1, 3, 2, 4]
    # only the rows tagged with one of the codes, best first, and still as the viewer may see
    assert [r.id for r, _ in idx.top(query, 4, None, zeeland)] == [2, 4]
    assert [r.id for r, _ in idx.top(query, 1, ["public"], zeeland)] == [2]
    assert [r.id for r, _ in idx.top(query, 4, ["hub:1"], zeeland)] == []
    assert idx.top(query, 4, None, ["GM0001"]) == []
    # a row moved to another area leaves the old one; a removed row leaves every area
    idx.put([row(2, ["PV27"], title="moved")], _unit(1, 0.2)[None, :])
    assert [r.id for r, _ in idx.top(query, 4, None, zeeland)] == [4]
    assert [r.title for r, _ in idx.top(query, 4, None, ["PV27"])] == ["3", "moved"]
    idx.remove(["person:4"])
    assert idx.top(query, 4, None, zeeland) == []


def test_the_similarities_of_recent_queries_are_kept_and_follow_changed_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`warm` computes the similarities of several queries and keeps them; top-k and similarity then
    reuse them (no second pass), give what a fresh pass gives, and forget them when rows change."""
    idx, rows, vecs = _random_index(5, seed=7)
    first, second = vecs[0], vecs[3]
    passes: list[int] = []
    real = embedding._one_pass

    def counted(*args: Any) -> Any:
        passes.append(1)
        return real(*args)

    monkeypatch.setattr(embedding, "_one_pass", counted)
    idx.warm([first, second])
    assert len(passes) == 2  # one pass per query
    assert idx.top(second, 1)[0][0].id == 3
    assert np.allclose(idx._similarities(second), vecs @ second, atol=1e-6)
    assert idx.similarity(first, ["knowledge:2"]) == pytest.approx({"knowledge:2": float(vecs[2] @ first)})
    idx.warm([first])
    assert len(passes) == 2  # kept: no second pass
    # a changed row: what was kept is stale and is computed anew
    idx.put([rows[2]], second[None, :])
    assert [r.id for r, _ in idx.top(second, 2)] in ([2, 3], [3, 2])
    assert len(passes) == 3
    # only the last few queries are kept
    for n in range(embedding.RECENT_QUERIES + 1):
        idx.warm([vecs[n % 5] * (1 + n)])
    assert len(idx._recent) == embedding.RECENT_QUERIES


def test_a_pass_begun_on_the_background_thread_is_the_one_top_k_uses(monkeypatch: pytest.MonkeyPatch) -> None:
    """warm_soon makes the pass on the background thread; top-k and similarity then wait for it and
    make none of their own; a pass begun before a row changed is not used; passes never asked for are
    let go."""
    idx, rows, vecs = _random_index(6, seed=11)
    threads: list[str] = []
    real = embedding._one_pass

    def counted(*args: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(*args)

    monkeypatch.setattr(embedding, "_one_pass", counted)
    query = vecs[4]
    idx.warm_soon(query)
    idx.warm_soon(query)  # once is enough
    assert idx.top(query, 2)[0][0].id == 4
    assert idx.similarity(query, ["knowledge:1"]) == pytest.approx({"knowledge:1": float(vecs[1] @ query)})
    assert len(threads) == 1 and threads[0].startswith("plek-vector-pass")
    # begun, then a row changed: the caller makes a fresh pass over the new rows
    other = vecs[2]
    before = len(threads)
    idx.warm_soon(other)
    idx.put([rows[5]], other[None, :])
    assert {r.id for r, _ in idx.top(other, 2)} == {2, 5}
    # (the stale pass may still finish on the background thread after the caller's own)
    assert threading.current_thread().name in threads[before:]
    assert np.allclose(idx._similarities(other), np.vstack([vecs[:5], other]) @ other, atol=1e-6)
    # begun and never asked for: at most RECENT_QUERIES are held
    for n in range(embedding.RECENT_QUERIES + 3):
        idx.warm_soon(vecs[n % 6] * (2 + n))
    assert len(idx._pending) <= embedding.RECENT_QUERIES


def test_the_matrix_grows_past_its_capacity() -> None:
    idx = VectorIndex()
    n = 150
    rows = [Row(key=f"person:{i}", type="person", id=i, slug=str(i), title=str(i)) for i in range(n)]
    rng = np.random.default_rng(1)
    vecs = rng.normal(size=(n, embedding.DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    idx.put(rows[:10], vecs[:10])
    idx.top(vecs[0], 1, ["public"])  # builds the "public" mask before the matrix grows
    idx.put(rows[10:], vecs[10:])
    assert len(idx) == n
    assert idx.top(vecs[123], 1, ["public"])[0][0].id == 123


def _item(title: str, summary: str, **kw: Any) -> KnowledgeItem:
    obj = KnowledgeItem.objects.create(
        slug=slugify(title)[:100], title=title, summary=summary, kind="report", category="research", **kw
    )
    search_outbox_add("knowledge", obj.pk)
    return obj


@pytest.mark.django_db(transaction=False)
def test_a_saved_item_is_found_by_meaning_after_the_outbox(ref: None) -> None:
    heat = _item(
        "Warmtebelasting bij melkvee",
        "Ventilatie, verneveling en beschaduwing in de stal tegen een verminderde melkgift bij rundvee.",
    )
    _item("Woningbouw in kleine kernen", "Starterswoningen en levensloopbestendig bouwen in dorpen.")
    hidden = _item(
        "Hittestress bij koeien in de wei",
        "Schaduw en drinkwater voor grazend vee.",
        visibility=Visibility.MEMBERS,
    )
    outbox_apply()
    assert SearchVector.objects.count() >= 3
    qvec = vectors.query_vector("Mijn koeien hijgen als het heet is en geven minder")
    public = vectors.nearest(qvec, ["knowledge"], ["public"], 5)
    assert public[0][0].id == heat.pk
    assert hidden.pk not in [r.id for r, _ in public]
    assert hidden.pk in [r.id for r, _ in vectors.nearest(qvec, ["knowledge"], ["public", "members"], 5)]
    # Made members-only without a change of text: gone for the public at once, same vector kept.
    KnowledgeItem.objects.filter(pk=heat.pk).update(visibility=Visibility.MEMBERS)
    search_outbox_add("knowledge", heat.pk)
    outbox_apply()
    assert heat.pk not in [r.id for r, _ in vectors.nearest(qvec, ["knowledge"], ["public"], 5)]
    assert heat.pk in [r.id for r, _ in vectors.nearest(qvec, ["knowledge"], ["public", "members"], 5)]
    KnowledgeItem.objects.filter(pk=heat.pk).update(visibility=Visibility.PUBLIC)
    search_outbox_add("knowledge", heat.pk)
    outbox_apply()
    # Vectors and similarities by key, each key looked up in its own type's index; a key without a
    # vector gives a zero row and no similarity; a key whose type names no index is looked for in all.
    keys = [f"knowledge:{hidden.pk}", "person:999999", f"knowledge:{heat.pk}", "unknown:1"]
    got = vectors.vectors_of(keys)
    sims = vectors.similarity(qvec, keys)
    assert set(sims) == {keys[0], keys[2]} and not got[1].any() and not got[3].any()
    assert float(got[2] @ qvec) == pytest.approx(sims[keys[2]], abs=1e-5)
    assert float(got[0] @ qvec) == pytest.approx(sims[keys[0]], abs=1e-5) and got[0].any()
    # Deleting the item removes its vector through the same outbox.
    pk = heat.pk
    heat.delete()
    search_outbox_add("knowledge", pk, "delete")
    outbox_apply()
    assert pk not in [r.id for r, _ in vectors.nearest(qvec, ["knowledge"], ["public"], 5)]


def test_reindex_rebuilds_vectors_and_a_rerun_embeds_only_what_changed(ref: None) -> None:
    item = _item("Zoetwater in Zeeland", "Kreekruginfiltratie vult de zoetwaterbel onder de akker aan.")
    SearchVector.objects.all().delete()
    reindex()
    assert SearchVector.objects.filter(key=f"knowledge:{item.pk}").exists()
    assert embed_all() == 0  # nothing changed: nothing embedded again (a resumed run skips what is done)
    KnowledgeItem.objects.filter(pk=item.pk).update(title="Zoet water bewaren onder kreekruggen")
    assert embed_all() == 1
    SearchVector.objects.create(
        key="knowledge:999999", entity_type="knowledge", entity_id=999999, text_hash="x", vector=b""
    )
    embed_all()
    assert not SearchVector.objects.filter(key="knowledge:999999").exists()  # gone from the database


def test_closest_sentence_and_empty_texts() -> None:
    qvec = vectors.query_vector("koeien hebben het te warm")
    sentence, sim = vectors.closest_sentence(
        qvec, "De gemeente stelt een woonvisie op voor 2030. Melkvee lijdt onder hittestress in de stal."
    )
    assert sentence.startswith("Melkvee") and sim > 0
    assert vectors.query_vector("   ") is None
    out = embedding.encode(["", "water"])
    assert out.shape == (2, embedding.DIM) and not out[0].any()
    assert np.linalg.norm(out[1]) == pytest.approx(1.0, abs=1e-5)


def test_the_matrix_is_read_once_and_again_only_when_the_vectors_move(
    settings: Any, tmp_path: Any, ref: None, django_capture_on_commit_callbacks: Any
) -> None:
    """With a shared cache (as served): once loaded, top-k by meaning costs no query while the stored
    vectors' generation stands; a vector stored (and committed) moves it, and the next request sees the
    new document."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(tmp_path / "cache"),
        }
    }
    cache.clear()
    embedding.reset_indexes()
    with django_capture_on_commit_callbacks(execute=True):
        _item("Beschoeiing van sloten", "Houten beschoeiing tegen afkalvende oevers in het veenweidegebied.")
        outbox_apply()
    qvec = vectors.query_vector("oevers van de sloot kalven af")
    assert vectors.nearest(qvec, ["knowledge"], ["public"], 3)  # loads the matrix
    with CaptureQueriesContext(connection) as queries:
        for _ in range(5):
            first = vectors.nearest(qvec, ["knowledge"], ["public"], 3)
    assert len(queries) == 0, [q["sql"] for q in queries]
    with django_capture_on_commit_callbacks(execute=True):
        new = _item("Natuurvriendelijke oevers langs watergangen", "Flauwe taluds en rietkragen.")
        outbox_apply()
    found = [r.id for r, _ in vectors.nearest(qvec, ["knowledge"], ["public"], 10)]
    assert new.pk in found and {r.id for r, _ in first} <= set(found)


def test_documents_in_bulk_spread_over_encoder_processes_get_the_same_vectors(settings: Any) -> None:
    texts = [
        f"Verzilting van het grondwater in polder {i}: maatregelen en monitoring. " * (1 + i % 5)
        for i in range(40)
    ]
    texts[7] = "   "  # an empty text keeps its zero row wherever it is encoded
    here = embedding.encode(texts)
    settings.PLEK_EMBED_PROCESSES = 2
    try:
        shares = embedding._shares(texts, 2)
        assert len(shares) == 2 and [t for part in shares for t in part] == texts  # order kept
        assert abs(sum(map(len, shares[0])) - sum(map(len, shares[1]))) < 400  # balanced in characters
        spread = embedding.encode_bulk(texts)
        assert len(embedding.pool_pids()) == 2  # really encoded elsewhere
        assert spread.shape == here.shape and np.allclose(spread, here, atol=1e-5)
        assert not spread[7].any()
        few = embedding.encode_bulk(texts[:5])  # too few to hand off: encoded here, the same
        assert np.allclose(few, here[:5], atol=1e-5)
    finally:
        embedding.pool_shutdown()
    assert embedding.pool_pids() == []


@pytest.mark.django_db
def test_storing_in_bulk_encodes_one_batch_ahead_of_saving(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With encoder processes, the next batch is handed to them before the previous one is saved (so
    they are not idle while documents are made and written); the vectors are the same as encoded here,
    every batch is saved once, in order, and the progress adds up."""
    from plek.knowledge.search.base import SearchDoc

    docs = [
        SearchDoc(
            key=f"knowledge:{900000 + i}",
            type="knowledge",
            id=900000 + i,
            slug=f"d{i}",
            title=f"Verzilting van het grondwater in polder {i}",
            summary="Maatregelen en monitoring van zout kwelwater." * (1 + i % 3),
            body="",
            visibility_keys=["public"],
        )
        for i in range(vectors.BATCH * 3 + 5)
    ]
    events: list[str] = []
    real_start, real_replace = embedding.encode_bulk_start, vectors._replace

    def start(texts: Any) -> Any:
        events.append(f"encode {len(texts)}")
        return real_start(texts)

    def replace(rows: Any) -> None:
        events.append(f"save {rows[0].key}")
        real_replace(rows)

    monkeypatch.setattr(embedding, "encode_bulk_start", start)
    monkeypatch.setattr(vectors, "_replace", replace)
    vectors.recent_clear()
    settings.PLEK_EMBED_PROCESSES = 2
    progress: list[int] = []
    try:
        assert vectors.store(docs, progress=progress.append) == len(docs)
    finally:
        embedding.pool_shutdown()
    b = vectors.BATCH
    assert events == [
        f"encode {b}",
        f"encode {b}",
        f"save {docs[0].key}",
        f"encode {b}",
        f"save {docs[b].key}",
        "encode 5",
        f"save {docs[2 * b].key}",
        f"save {docs[3 * b].key}",
    ]
    assert progress == [b, b, b, 5]
    stored = {k: embedding.from_bytes(bytes(v)) for k, v in SearchVector.objects.values_list("key", "vector")}
    here = embedding.encode([vectors.doc_text(d) for d in docs])
    assert np.allclose(np.vstack([stored[d.key] for d in docs]), here, atol=1e-5)
    events.clear()
    assert vectors.store(docs) == 0 and events == []  # nothing changed: nothing encoded or saved


def test_encoder_processes_end_when_their_owner_is_killed() -> None:
    """A worker killed with -9 must not leave its encoder processes behind (they did, idle, before)."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    script = (
        "import os, time\n"
        "from plek.knowledge.search import embedding\n"
        "pool = embedding._pool(2)\n"
        "for f in [pool.submit(time.sleep, 0.5) for _ in range(2)]: f.result()\n"
        "print(' '.join(map(str, embedding.pool_pids())), flush=True)\n"
        "os.kill(os.getpid(), 9)\n"
    )
    # read the line, not to the end: the encoder processes hold the pipe until they are gone
    owner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert owner.stdout is not None
    pids = [int(p) for p in owner.stdout.readline().split()]
    assert owner.wait(timeout=120) == -9 and len(pids) == 2

    def alive(pid: int) -> bool:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return False
        return state != "Z"

    deadline = time.monotonic() + 15
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(p) for p in pids)
    owner.stdout.close()


@pytest.mark.django_db(transaction=True)
def test_two_processes_storing_the_same_document_at_once_both_succeed_and_the_later_wins() -> None:
    """Two processes applying the same outbox rows (the demo while a worker runs) insert the same key at
    once: the one that waits on the unique key retries instead of failing (seen in the cluster test)."""
    import threading
    import time

    from django.db import connection, transaction

    from plek.core.models import SearchVector
    from plek.knowledge.vectors import _replace

    def row(text_hash: str) -> SearchVector:
        return SearchVector(
            key="knowledge:999",
            entity_type="knowledge",
            entity_id=999,
            text_hash=text_hash,
            vector=b"\0" * 2048,
        )

    inserted = threading.Event()

    def other_process() -> None:
        try:
            with transaction.atomic():
                row("first").save()
                inserted.set()
                time.sleep(0.5)  # the other insert waits on the unique key meanwhile
        finally:
            connection.close()

    thread = threading.Thread(target=other_process)
    thread.start()
    assert inserted.wait(10)
    _replace([row("second")])
    thread.join()
    assert list(SearchVector.objects.filter(key="knowledge:999").values_list("text_hash", flat=True)) == [
        "second"
    ]


def test_a_large_load_of_rows_is_moved_out_of_the_collectors_reach(
    ref: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows live as long as the process: after a load of FREEZE_AFTER_ROWS or more (a process's
    first at national scale) everything alive is frozen, so full collections no longer walk them (one
    matching in ~80 took 700-800 ms at national scale); a smaller load freezes nothing."""
    import gc

    for i in range(3):
        _item(f"Beschoeiing van sloot {i}", "Houten beschoeiing tegen afkalvende oevers.")
    outbox_apply()
    assert SearchVector.objects.count() >= 3
    try:
        gc.unfreeze()
        monkeypatch.setattr(vectors, "FREEZE_AFTER_ROWS", SearchVector.objects.count() + 1)
        embedding.reset_indexes()
        vectors.refresh()
        assert sum(len(i) for i in embedding.indexes().values()) == SearchVector.objects.count()
        assert gc.get_freeze_count() == 0
        monkeypatch.setattr(vectors, "FREEZE_AFTER_ROWS", SearchVector.objects.count())
        embedding.reset_indexes()
        vectors.refresh()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def _family(seed: int, n: int, spread: float) -> np.ndarray:
    """n unit vectors around one random direction: cosine to each other ~1 - spread**2."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(size=embedding.DIM)
    centre /= np.linalg.norm(centre)
    out = centre + spread * rng.normal(size=(n, embedding.DIM)) / np.sqrt(embedding.DIM)
    return (out / np.linalg.norm(out, axis=1, keepdims=True)).astype(np.float32)


def test_greedy_distinct_passes_over_near_duplicates_of_a_row_kept_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Walking best first, a row closer than the threshold to a kept row is skipped; different rows are
    kept in their order; at most k; the same whether the rows are compared in one block or many."""
    a, b = _family(1, 40, 0.3), _family(2, 40, 0.3)  # two families: ~0.9 within, ~0 between
    assert float((a[0] @ a[1:].T).min()) > 0.85 and abs(float(a[0] @ b[0])) < 0.3
    c = _family(3, 1, 0.0)
    rows = np.vstack([a[:3], b[:2], a[3:], c, b[2:]])  # a a a b b a… c b…
    assert embedding.greedy_distinct(rows, 0.8, 10) == [0, 3, 42]
    assert embedding.greedy_distinct(rows, 0.8, 2) == [0, 3]
    # a threshold above every pair keeps everything, in order
    assert embedding.greedy_distinct(rows, 0.999, 5) == [0, 1, 2, 3, 4]
    monkeypatch.setattr(embedding, "DISTINCT_BLOCK", 7)  # rows compared across blocks
    assert embedding.greedy_distinct(rows, 0.8, 10) == [0, 3, 42]
    assert embedding.greedy_distinct(rows[:0], 0.8, 10) == []
    # rows named by an order are walked in that order, positions given within it
    order = np.random.default_rng(5).permutation(len(rows))
    for k in (1, 3, 10):
        assert embedding.greedy_distinct(rows, 0.8, k, order=order) == embedding.greedy_distinct(
            rows[order], 0.8, k
        )


def _greedy_one_by_one(rows: np.ndarray, threshold: float, k: int) -> list[int]:
    """The definition, row by row: kept unless closer than `threshold` to a row kept before."""
    kept: list[int] = []
    for i in range(len(rows)):
        if len(kept) < k and all(float(rows[i] @ rows[j]) <= threshold for j in kept):
            kept.append(i)
    return kept


def test_greedy_distinct_keeps_what_the_row_by_row_walk_keeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks, products and masks change nothing: on families of near-duplicates interleaved at
    random, with several thresholds, k and block sizes, the rows kept are those the plain walk keeps."""
    rng = np.random.default_rng(11)
    families = [_family(seed, 30, spread) for seed, spread in ((21, 0.3), (22, 0.5), (23, 0.8), (24, 1.5))]
    rows = np.vstack(families)[rng.permutation(120)]
    for block in (64, 5):
        monkeypatch.setattr(embedding, "DISTINCT_BLOCK", block)
        for threshold in (0.5, 0.8, 0.9):
            for k in (1, 4, 12, 200):
                expected = _greedy_one_by_one(rows, threshold, k)
                assert embedding.greedy_distinct(rows, threshold, k) == expected, (block, threshold, k)
    assert len(_greedy_one_by_one(rows, 0.8, 200)) > 12  # the wide families keep many rows


def test_top_k_of_distinct_rows_looks_past_a_family_of_near_duplicates() -> None:
    """A template family of 50 variants closest to the query would fill the top 5; with `distinct`
    the top 5 holds one of them and the next different documents, still as the viewer may see."""
    idx = VectorIndex()
    family = _family(4, 50, 0.3)
    others = np.vstack([_family(10 + i, 1, 0.0) for i in range(6)])
    query = family.mean(axis=0) + 0.4 * others.mean(axis=0)
    query /= np.linalg.norm(query)
    rows = [Row(key=f"knowledge:{i}", type="knowledge", id=i, slug=str(i), title=str(i)) for i in range(50)]
    rows += [
        Row(
            key=f"knowledge:{100 + i}",
            type="knowledge",
            id=100 + i,
            slug=f"o{i}",
            title=f"o{i}",
            visibility=["hub:1"] if i == 0 else ["public"],
        )
        for i in range(6)
    ]
    idx.put(rows, np.vstack([family, others]))
    plain = [r.id for r, _ in idx.top(query, 5, None)]
    assert all(i < 50 for i in plain)  # the family fills the plain top 5
    best = idx.top(query, 5, None, distinct=0.8, scan=100)
    ids = [r.id for r, _ in best]
    assert len(ids) == 5 and sum(i < 50 for i in ids) == 1 and ids[0] == plain[0]
    assert [s for _, s in best] == sorted((s for _, s in best), reverse=True)
    # the row the viewer may not see is never among them
    public = [r.id for r, _ in idx.top(query, 6, ["public"], distinct=0.8, scan=100)]
    assert 100 not in public and len(public) == 6
    # a scan too shallow to get past the family returns what it found: fewer, never duplicates
    shallow = [r.id for r, _ in idx.top(query, 5, None, distinct=0.8, scan=20)]
    assert sum(i < 50 for i in shallow) == 1 and len(shallow) < 5
    # the vectors of given keys, a zero row for a key without one
    vecs, have = idx.vectors_of(["knowledge:3", "knowledge:999"])
    assert have.tolist() == [True, False] and np.allclose(vecs[0], family[3]) and not vecs[1].any()


def _crowding_by_definition(vecs: np.ndarray, reference: list[int], k: int) -> np.ndarray:
    """The mean cosine of each row's k nearest rows of the reference, itself left out, row by row."""
    out = []
    for i, v in enumerate(vecs):
        sims = sorted((float(v @ vecs[j]) for j in reference if j != i), reverse=True)
        out.append(sum(sims[:k]) / k)
    return np.array(out, dtype=np.float32)


def test_crowding_is_the_mean_closeness_of_the_nearest_others_and_follows_changed_rows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every row's crowding is what the definition gives (k nearest of the reference, never itself),
    whether the reference holds every row or an even draw of them; rows put later get theirs against
    the same reference, a replaced row gets its new one, a removed row counts 0; and the reference is
    drawn again once the rows changed by more than a quarter."""
    monkeypatch.setattr(embedding, "CROWD_K", 3)
    idx, _rows, vecs = _random_index(30, 7)
    assert np.allclose(idx.crowding(), _crowding_by_definition(vecs, list(range(30)), 3), atol=1e-5)
    monkeypatch.setattr(embedding, "CROWD_REFERENCE", 8)  # an even draw of 8 of 30 rows
    idx, _rows, vecs = _random_index(30, 8)
    drawn = list(np.unique(np.linspace(0, 29, 8).astype(int)))
    assert idx.crowding()[:5].tolist() == pytest.approx(_crowding_by_definition(vecs, drawn, 3)[:5], abs=1e-5)
    assert np.allclose(idx.crowding(), _crowding_by_definition(vecs, drawn, 3), atol=1e-5)
    # two rows put (a new one, and row 5 replaced by a copy of row 8): fewer than a quarter changed;
    # they are measured against the reference as drawn (its rows' vectors of then)
    assert 8 in drawn and 5 not in drawn
    idx.put(
        [
            Row(key="knowledge:5", type="knowledge", id=5, slug="5", title="5"),
            Row(key="knowledge:99", type="knowledge", id=99, slug="99", title="99"),
        ],
        np.vstack([vecs[8], vecs[8]]),
    )
    got = idx.crowding()
    for i, v in ((5, vecs[8]), (30, vecs[8])):
        sims = sorted((float(v @ vecs[j]) for j in drawn), reverse=True)
        assert got[i] == pytest.approx(sum(sims[:3]) / 3, abs=1e-5)
    assert got[5] > got[8]  # the copy has row 8 itself as a neighbour at cosine 1; row 8 does not
    others = [i for i in range(30) if i != 5]
    assert np.allclose(got[others], _crowding_by_definition(vecs, drawn, 3)[others], atol=1e-5)
    idx.remove(["knowledge:7"])
    assert idx.crowding()[7] == 0.0
    assert idx.crowding_of(["knowledge:30", "knowledge:99", "knowledge:7", "person:1"]) == {
        "knowledge:99": pytest.approx(float(got[30]), abs=1e-6)
    }
    # twelve more rows: the reference is drawn again from the 41 live rows, and every crowding follows
    extra = np.random.default_rng(9).normal(size=(12, embedding.DIM)).astype(np.float32)
    extra /= np.linalg.norm(extra, axis=1, keepdims=True)
    idx.put(
        [
            Row(key=f"knowledge:{200 + i}", type="knowledge", id=200 + i, slug="x", title="x")
            for i in range(12)
        ],
        extra,
    )
    live = np.flatnonzero(idx._live[: idx.n])
    redrawn = list(np.unique(live[np.linspace(0, len(live) - 1, 8).astype(int)]))
    matrix = idx.matrix[: idx.n]
    expected = _crowding_by_definition(matrix, redrawn, 3)
    got = idx.crowding()
    assert np.allclose(got[live], expected[live], atol=1e-5) and got[7] == 0.0


def test_crowding_reference_is_drawn_again_after_edits_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rows replaced in place change no row count, yet they age the reference as much as new rows:
    once more than a quarter of the rows were replaced, the reference holds their new vectors, and a
    row's crowding counts a replaced neighbour as it is now, not as it was."""
    monkeypatch.setattr(embedding, "CROWD_K", 3)
    idx, rows, vecs = _random_index(20, 11)
    idx.crowding()
    # five rows (a quarter, not more) become copies of row 0: the reference keeps their old vectors
    copies = [1, 2, 3, 4, 5]
    idx.put([rows[i] for i in copies], np.vstack([vecs[0]] * len(copies)))
    stale = idx.crowding()
    as_drawn = _crowding_by_definition(vecs, list(range(20)), 3)
    assert stale[0] == pytest.approx(float(as_drawn[0]), abs=1e-5)
    # a sixth: more than a quarter; the reference is drawn again, and row 0 now has its copies near
    idx.put([rows[6]], vecs[0][None, :])
    now = idx.matrix[: idx.n].copy()
    got = idx.crowding()
    assert np.allclose(got, _crowding_by_definition(now, list(range(20)), 3), atol=1e-5)
    assert got[0] == pytest.approx(1.0, abs=1e-5) and stale[0] < 0.5


def test_top_k_less_crowding_ranks_a_lone_document_above_a_crowd_it_trails_in_cosine() -> None:
    """A family of 40 near-copies sits a little closer to the query than a lone document: by cosine the
    family leads; with crowding weighed in, the lone document comes first, its score the cosine less
    the weight times its crowding, and without a weight nothing changes."""
    idx = VectorIndex()
    family = _family(31, 40, 0.3)
    lone = _family(32, 1, 0.0)[0]
    query = 0.55 * family.mean(axis=0) / np.linalg.norm(family.mean(axis=0)) + 0.45 * lone
    query /= np.linalg.norm(query)
    rows = [Row(key=f"knowledge:{i}", type="knowledge", id=i, slug=str(i), title=str(i)) for i in range(41)]
    idx.put(rows, np.vstack([family, lone]))
    plain = idx.top(query, 5, None)
    assert all(r.id < 40 for r, _ in plain) and float(query @ lone) < plain[-1][1]
    assert idx.top(query, 5, None, crowding=0.0) == plain
    crowded = idx.top(query, 5, None, crowding=0.4)
    assert crowded[0][0].id == 40
    crowd = idx.crowding()
    assert crowded[0][1] == pytest.approx(float(query @ lone) - 0.4 * float(crowd[40]), abs=1e-5)
    assert float(crowd[0]) > 0.8 > float(crowd[40])


def test_top_k_and_crowding_answer_while_another_thread_puts_rows() -> None:
    """Rows put one at a time on another thread while top-k (with crowding, a viewer and an area) is
    asked on this one: no call fails (the row count is read once per call; before, a put between two
    reads raised ValueError), every score is finite, and the rows put have their crowding after."""
    rng = np.random.default_rng(3)
    base = rng.normal(size=(500, embedding.DIM)).astype(np.float32)
    base /= np.linalg.norm(base, axis=1, keepdims=True)
    idx = VectorIndex()

    def row(i: int) -> Row:
        return Row(key=f"knowledge:{i}", type="knowledge", id=i, slug=str(i), title=str(i), regions=["GM1"])

    idx.put([row(i) for i in range(4000)], np.vstack([base] * 8))
    errors: list[BaseException] = []
    done = threading.Event()

    def putter() -> None:
        try:
            for i in range(4000, 4600):
                idx.put([row(i)], base[i % 500][None])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=putter)
    thread.start()
    calls = 0
    while not done.is_set() or calls < 20:
        try:
            found = idx.top(base[calls % 500], 5, ["public"], ["GM1"], crowding=0.4)
            found += idx.top(base[calls % 500], 5, None, distinct=0.9, scan=50, crowding=0.4)
            assert all(np.isfinite(score) for _row, score in found)
        except BaseException as exc:
            errors.append(exc)
            break
        calls += 1
    thread.join()
    assert not errors, errors
    assert idx.n == 4600 and len(idx.crowding()) == 4600
    assert idx.crowding_of(["knowledge:4599"])["knowledge:4599"] > 0.9  # a copy of an earlier row
