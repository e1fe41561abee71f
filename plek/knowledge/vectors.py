"""Sentence embeddings of search documents: stored in the database (``core.SearchVector``), kept current
by the search outbox and by ``plek search reindex``, and held in memory per process for top-k by numpy.

* :func:`store` embeds the documents whose text changed (the hash of the embedded text decides) and
  writes them as new rows; unchanged documents cost one lookup. Work is done in batches that are
  committed one by one, so an interrupted run resumes where it stopped.
* :func:`nearest` refreshes the in-memory matrices from the database and returns the most similar
  documents of the given types that the viewer may see. The matrices are loaded once per process and
  then checked against the generation of the stored vectors (topic ``search-vectors`` in
  ``plek.core.freshness``, moved on when a write commits): while it has not moved, a request costs
  no query at all; when it has, one aggregate query, then the rows past the highest id read so far
  (a deletion triggers a full reload). Without a shared cache the aggregate query runs every time.
  Only the question is encoded per request (~5 ms); documents are never re-encoded or re-read.

Switch off with ``settings.PLEK_EMBEDDINGS = False`` (matching is then lexical only).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max

from plek.core import freshness, lifetime
from plek.core.models import SearchVector
from plek.knowledge.search import embedding
from plek.knowledge.search.base import SearchDoc, SearchHit
from plek.knowledge.search.embedding import Row, VectorIndex

BATCH = 64  # documents per forward pass and per commit
TOPIC = "search-vectors"  # the generation of the stored vectors (plek.core.freshness)
META_TEXT = 1200  # characters of summary + body kept for finding the closest sentence


def enabled() -> bool:
    return bool(getattr(settings, "PLEK_EMBEDDINGS", True))


def _row_of(doc: SearchDoc) -> Row:
    return Row(
        key=doc.key,
        type=doc.type,
        id=doc.id,
        slug=doc.slug,
        title=doc.title,
        kind=doc.kind,
        scale=doc.scale,
        themes=list(doc.themes),
        regions=list(doc.regions),
        visibility=list(doc.visibility_keys),
        text=f"{doc.summary}\n{doc.body}"[:META_TEXT],
    )


def _meta(row: Row) -> dict[str, object]:
    return {
        "slug": row.slug,
        "title": row.title,
        "kind": row.kind,
        "scale": row.scale,
        "themes": row.themes,
        "regions": row.regions,
        "visibility": row.visibility,
        "text": row.text,
    }


def _from_meta(key: str, entity_type: str, entity_id: int, meta: dict[str, object]) -> Row:
    def strings(name: str) -> list[str]:
        value = meta.get(name) or []
        return [str(v) for v in value] if isinstance(value, list) else []

    return Row(
        key=key,
        type=entity_type,
        id=int(entity_id),
        slug=str(meta.get("slug", "")),
        title=str(meta.get("title", "")),
        kind=str(meta.get("kind", "")),
        scale=str(meta.get("scale", "")),
        themes=strings("themes"),
        regions=strings("regions"),
        visibility=strings("visibility") or ["admin-only"],
        text=str(meta.get("text", "")),
    )


def doc_text(doc: SearchDoc) -> str:
    return embedding.doc_text(doc.title, doc.summary, doc.body)


def store(docs: Iterable[SearchDoc], *, progress: Callable[[int], None] | None = None) -> int:
    """Embed and save the documents whose embedded text changed; returns how many were embedded.
    Documents whose text is unchanged but whose shown fields (visibility, themes, …) changed get a new
    row with their old vector; unchanged ones cost nothing but the lookup."""
    if not enabled():
        return 0
    chunk: list[SearchDoc] = []

    def start() -> Callable[[], int] | None:
        """Read what is stored for the chunk and start encoding its changed texts; returns the step
        that waits for the vectors, saves them and reports progress (how many were embedded)."""
        if not chunk:
            return None
        batch = list(chunk)
        chunk.clear()
        texts = {d.key: doc_text(d) for d in batch}
        hashes = {k: embedding.text_hash(t) for k, t in texts.items()}
        stored = {
            key: (text_hash, meta, bytes(vector))
            for key, text_hash, meta, vector in SearchVector.objects.filter(key__in=list(texts)).values_list(
                "key", "text_hash", "meta", "vector"
            )
        }
        fresh = [d for d in batch if d.key not in stored or stored[d.key][0] != hashes[d.key]]
        # Same text, but what is shown (title, visibility, themes, …) changed: a new row with the same
        # vector, so every process catches up (a document made private must leave their matrices).
        moved = [
            d
            for d in batch
            if d.key in stored and stored[d.key][0] == hashes[d.key] and stored[d.key][1] != _meta(_row_of(d))
        ]
        encoding = _encode_cached_start([hashes[d.key] for d in fresh], [texts[d.key] for d in fresh])

        def finish() -> int:
            vecs = list(encoding())
            vecs += [embedding.from_bytes(stored[d.key][2]) for d in moved]
            changed = [*fresh, *moved]
            if changed:
                rows = [
                    SearchVector(
                        key=d.key,
                        entity_type=d.type,
                        entity_id=d.id,
                        text_hash=hashes[d.key],
                        vector=embedding.to_bytes(vec),
                        meta=_meta(_row_of(d)),
                    )
                    for d, vec in zip(changed, vecs, strict=True)
                ]
                _replace(rows)
            if progress:
                progress(len(batch))
            return len(fresh)

        return finish

    # One batch ahead: the next batch is read and handed to the encoder processes before the previous
    # one is saved, so they encode while this process makes documents and writes (with one process,
    # `start` encodes before it returns and nothing overlaps).
    embedded = 0
    waiting: Callable[[], int] | None = None
    for doc in docs:
        chunk.append(doc)
        if len(chunk) >= BATCH:
            started = start()
            if waiting is not None:
                embedded += waiting()
            waiting = started
    started = start()
    for step in (waiting, started):
        if step is not None:
            embedded += step()
    return embedded


def _replace(rows: list[SearchVector], attempts: int = 3) -> None:
    """Replace the rows of these keys with new ones (higher ids, so other processes catch up). Two
    processes applying the same outbox rows may insert the same key at once: the second then fails
    on the unique key when the first commits, and tries again, now deleting the first's rows (the
    cluster test met this with the demo loading while a worker applied the outbox)."""
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                SearchVector.objects.filter(key__in=[r.key for r in rows]).delete()
                SearchVector.objects.bulk_create(rows)
                freshness.topics_changed(TOPIC)
            return
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            for r in rows:
                r.pk = None


RECENT = 4096  # vectors of recently embedded texts kept per process, by text hash
_recent: OrderedDict[str, np.ndarray] = OrderedDict()


def _encode_cached(hashes: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    """Vectors for texts, reusing those this process embedded recently (a rebuilt table, a document
    deleted and made again) so the same text is not run through the encoder twice."""
    return _encode_cached_start(hashes, texts)()


def _encode_cached_start(hashes: Sequence[str], texts: Sequence[str]) -> Callable[[], np.ndarray]:
    """`_encode_cached` begun: the texts not seen recently go to the encoder; the returned call waits
    for them. The recent vectors it reuses are taken now (another batch may push them out meanwhile)."""
    known = {i: _recent[h] for i, h in enumerate(hashes) if h in _recent}
    todo = [i for i in range(len(hashes)) if i not in known]
    encoding = embedding.encode_bulk_start([texts[i] for i in todo]) if todo else None

    def result() -> np.ndarray:
        out = np.zeros((len(texts), embedding.DIM), dtype=np.float32)
        for i, vec in known.items():
            out[i] = vec
        if encoding is not None:
            for i, vec in zip(todo, encoding.result(), strict=True):
                out[i] = vec
        for i, h in enumerate(hashes):
            _recent[h] = out[i]
            _recent.move_to_end(h)
        while len(_recent) > RECENT:
            _recent.popitem(last=False)
        return out

    return result


def recent_clear() -> None:
    _recent.clear()


def remove(keys: Iterable[str]) -> None:
    keys = list(keys)
    if keys and SearchVector.objects.filter(key__in=keys).delete()[0]:
        freshness.topics_changed(TOPIC)


def prune(valid: set[str]) -> int:
    """Delete vectors of documents that no longer exist (after a reindex)."""
    stale = [k for k in SearchVector.objects.values_list("key", flat=True) if k not in valid]
    for start in range(0, len(stale), 500):
        SearchVector.objects.filter(key__in=stale[start : start + 500]).delete()
    if stale:
        freshness.topics_changed(TOPIC)
    return len(stale)


def clear() -> None:
    SearchVector.objects.all().delete()
    freshness.topics_changed(TOPIC)
    embedding.reset_indexes()


# --------------------------------------------------------------------------------------------------
# In memory


def _load(rows: Iterable[tuple[int, str, str, int, bytes, dict[str, object]]]) -> int:
    """Put stored rows into the in-memory indexes; returns the highest id seen."""
    top = 0
    by_type: dict[str, tuple[list[Row], list[np.ndarray]]] = {}
    for pk, key, entity_type, entity_id, vector, meta in rows:
        top = max(top, pk)
        vec = embedding.from_bytes(bytes(vector))
        if vec.shape != (embedding.DIM,):
            continue  # not a vector of this encoder: `plek search embed` replaces it
        rows_, vecs = by_type.setdefault(entity_type, ([], []))
        rows_.append(_from_meta(key, entity_type, entity_id, meta))
        vecs.append(vec)
    for entity_type, (rows_, vecs) in by_type.items():
        idx = embedding.indexes().setdefault(entity_type, VectorIndex())
        idx.put(rows_, np.vstack(vecs))
    return top


def refresh() -> None:
    """Bring this process's matrices up to date with the stored vectors: nothing to do (no query)
    while their generation is the one last checked; else one aggregate query and the new rows."""
    generation = freshness.committed_generation(TOPIC)
    if generation is not None and generation == embedding.loaded_state()["generation"]:
        return
    _refresh()
    if generation is not None:
        # read before the check: a write committed meanwhile moved it on, and the next call looks again
        embedding.loaded_state()["generation"] = generation


def _refresh() -> None:
    agg = SearchVector.objects.aggregate(top=Max("id"), n=Count("id"))
    top, n = agg["top"] or 0, agg["n"] or 0
    state = embedding.loaded_state()
    if top == state["max_id"] and n == state["count"]:
        return
    with embedding.index_lock:
        state = embedding.loaded_state()
        held = kept = sum(len(i) for i in embedding.indexes().values())
        if top < state["max_id"] or n < held:
            embedding.reset_indexes()  # rows were deleted (or the table was rebuilt)
            state, kept = embedding.loaded_state(), 0
        fields = ("pk", "key", "entity_type", "entity_id", "vector", "meta")
        qs = SearchVector.objects.filter(pk__gt=state["max_id"]).order_by("pk").values_list(*fields)
        seen = _load(qs.iterator(chunk_size=2000))
        held = sum(len(i) for i in embedding.indexes().values())
        if held != n:  # a row replaced under a key we hold; the old one is gone: reload all
            embedding.reset_indexes()
            kept = 0
            seen = _load(SearchVector.objects.order_by("pk").values_list(*fields).iterator(chunk_size=2000))
            held = sum(len(i) for i in embedding.indexes().values())
        embedding.loaded_state().update(max_id=max(seen, state["max_id"], top), count=n)
        if held - kept >= FREEZE_AFTER_ROWS:
            _freeze()


# A load of this many rows (a process's first, at national scale 120,000 rows) is followed by moving
# everything alive out of the garbage collector's reach, as config/wsgi.py does after start-up: the
# rows live as long as the process, and without it each full collection walked them again (one
# matching in ~80 took 700-800 ms instead of ~150 at national scale).
FREEZE_AFTER_ROWS = 10_000


def _freeze() -> None:
    lifetime.freeze()


@lru_cache(maxsize=512)
def _query_vector(text: str) -> np.ndarray:
    return embedding.encode([text])[0]


def query_vector_cache_clear() -> None:
    _query_vector.cache_clear()


def query_vector(text: str) -> np.ndarray | None:
    """The embedding of a question or search text (cached), or None when embeddings are off."""
    if not enabled() or not text.strip():
        return None
    return _query_vector(text.strip()[: embedding.MAX_CHARS])


def nearest(
    vector: np.ndarray | None,
    types: Sequence[str],
    viewer_keys: Sequence[str] | None,
    k: int,
    regions: Sequence[str] | None = None,
    distinct: float | None = None,
    scan: int = 0,
    crowding: Mapping[str, float] | None = None,
) -> list[tuple[Row, float]]:
    """The k documents of these types most similar to `vector` that the viewer may see, best first;
    with `regions`: only those tagged with one of these region codes; with `distinct`: k different
    documents, near-duplicates of a better one (cosine above it) passed over, `scan` rows deep; with
    `crowding` (a weight per type): by the cosine less that weight times the document's crowding
    (`embedding.CROWD_K`), which is then the score returned."""
    if vector is None or not enabled():
        return []
    refresh()
    found: list[tuple[Row, float]] = []
    for t in types:
        idx = embedding.indexes().get(t)
        if idx is not None:
            weight = (crowding or {}).get(t, 0.0)
            found.extend(idx.top(vector, k, viewer_keys, regions, distinct, scan, crowding=weight))
    found.sort(key=lambda rs: (-rs[1], rs[0].key))
    return found[:k]


def warm_soon(vector: np.ndarray | None, types: Sequence[str]) -> None:
    """Begin the passes of `vector` (or of each row of a 2-D array) over these types' matrices on a
    background thread (see VectorIndex.warm_soon): a later top-k or similarity of the same vector
    waits for them."""
    if vector is None or not enabled():
        return
    refresh()
    for t in types:
        idx = embedding.indexes().get(t)
        if idx is not None:
            for row in np.atleast_2d(vector):
                idx.warm_soon(row)


def similarity(vector: np.ndarray | None, keys: Iterable[str]) -> dict[str, float]:
    """Cosine similarity of `vector` to these documents (those that have a vector)."""
    if vector is None or not enabled():
        return {}
    refresh()
    out: dict[str, float] = {}
    for idx, some in _by_index(keys):
        out.update(idx.similarity(vector, [key for _, key in some]))
    return out


def crowding(keys: Iterable[str], weights: Mapping[str, float]) -> dict[str, float]:
    """Each document's crowding times its type's weight (`embedding.CROWD_K`), for the types weighted
    and the documents that have a vector: what `nearest(…, crowding=weights)` subtracts."""
    if not enabled():
        return {}
    refresh()
    out: dict[str, float] = {}
    for idx, some in _by_index(key for key in keys if weights.get(key.partition(":")[0], 0.0)):
        for key, value in idx.crowding_of([key for _, key in some]).items():
            out[key] = weights[key.partition(":")[0]] * value
    return out


def _by_index(keys: Iterable[str]) -> list[tuple[VectorIndex, list[tuple[int, str]]]]:
    """Keys with their places, by the index that holds them: "knowledge:12" is looked up in index
    "knowledge" only; a key whose first part names no index, in every index."""
    indexes = embedding.indexes()
    by_type: dict[str, list[tuple[int, str]]] = {}
    for j, key in enumerate(keys):
        by_type.setdefault(key.partition(":")[0], []).append((j, key))
    out = []
    for entity_type, some in by_type.items():
        if entity_type in indexes:
            out.append((indexes[entity_type], some))
        else:
            out.extend((idx, some) for idx in indexes.values())
    return out


def vectors_of(keys: Sequence[str]) -> np.ndarray:
    """The vectors of these documents, one row per key (zeros for a document without one)."""
    out = np.zeros((len(keys), embedding.DIM), dtype=np.float32)
    if not enabled() or not keys:
        return out
    refresh()
    for idx, some in _by_index(keys):
        found, have = idx.vectors_of([key for _, key in some])
        out[np.asarray([j for j, _ in some])[have]] = found[have]
    return out


def rows(keys: Iterable[str]) -> dict[str, Row]:
    """The stored rows of these documents (from memory), by key; those without a vector are left out."""
    if not enabled():
        return {}
    refresh()
    out: dict[str, Row] = {}
    for idx, some in _by_index(keys):
        for _j, key in some:
            found = idx.rows[idx.where[key]] if key in idx.where else None
            if found is not None:
                out[key] = found
    return out


def row(key: str) -> Row | None:
    """The stored row of a document (from memory), or None when it has no vector."""
    return rows([key]).get(key)


def as_hit(row: Row, score: float) -> SearchHit:
    """A row found by meaning, shaped like a search hit (no snippet: it may share no word)."""
    summary, _nl, body = row.text.partition("\n")
    return SearchHit(
        key=row.key,
        type=row.type,
        id=row.id,
        slug=row.slug,
        title=row.title,
        score=score,
        snippet="",
        regions=list(row.regions),
        themes=list(row.themes),
        date=None,
        kind=row.kind,
        scale=row.scale,
        texts=(summary, body),
    )


def memory_bytes() -> int:
    return sum(i.nbytes() for i in embedding.indexes().values())


def closest_sentence(vector: np.ndarray | None, text: str) -> tuple[str, float]:
    """The sentence of `text` closest in meaning to `vector` (for the reason of a match)."""
    if vector is None:
        return "", 0.0
    candidates = embedding.sentences(text)
    if not candidates:
        return "", 0.0
    sims = embedding.encode(candidates) @ vector
    best = int(np.argmax(sims))
    return candidates[best], float(sims[best])
