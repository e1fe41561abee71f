"""Embedded search index on disk with tantivy.

Text is analysed in Python (:mod:`.analysis`) and handed to tantivy pre-tokenised, with positions, so
phrases work and both backends agree. Filters and facets use raw, fast (columnar) fields; facets are
terms aggregations over the same query, which already carries the visibility clause, so hidden
documents are never counted. The original title/summary/body are kept in one stored JSON blob, from
which hits and snippets are built.

Writes take the index's single writer lock for the duration of one call (retrying while another
process holds it), commit every ``batch_size`` documents and at the end, then reload the reader, so a
process that both indexes and queries sees its own writes at once; other processes see them within
about half a second (tantivy's reader watches the index meta file).
"""

from __future__ import annotations

import datetime
import itertools
import json
import math
import os
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Occur, Query

from plek.knowledge.search.analysis import field_tokens
from plek.knowledge.search.base import (
    SearchDoc,
    SearchError,
    SearchHit,
    SearchQuery,
    SearchResult,
    clean_list,
    empty_facets,
    page_bounds,
    sort_facets,
)
from plek.knowledge.search.query import Clause, ParsedQuery, Phrase, Prefix, Term, parse_query, salient_terms, snippet

FORMAT = 1  # bump when the schema or the analysis changes incompatibly: the index is then rebuilt empty
MARKER = "plek-search.json"
TEXT_FIELDS = (("title", 3.0), ("summary", 1.5), ("body", 1.0))
FACET_FIELDS = {"type": "type", "theme": "themes", "region": "regions", "scale": "scale", "kind": "kind",
                "year": "year", "language": "language"}
BODY_CHARS = 200_000  # analysed and stored per document at most
_EPOCH = datetime.date(1970, 1, 1)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", stored=False, tokenizer_name="raw", index_option="basic")
    for name, _ in TEXT_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="position")
    for name in ("type", "themes", "regions", "scale", "kind", "language", "vis"):
        sb.add_text_field(name, stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("year", indexed=True, fast=True)
    sb.add_integer_field("date", indexed=True, fast=True)  # days since 1970-01-01
    sb.add_bytes_field("src", stored=True)
    return sb.build()


def _pretok(text: str) -> tantivy.PreTokenizedString:
    return tantivy.PreTokenizedString("", [tantivy.Token(t, p, 0, 0) for t, p in field_tokens(text)])


class TantivyBackend:
    name = "tantivy"

    def __init__(self, path: str | os.PathLike[str], *, batch_size: int = 5000, heap_bytes: int = 100_000_000,
                 threads: int = 0, lock_timeout: float = 60.0) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.heap_bytes = heap_bytes
        self.threads = threads
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self.schema = _schema()

    # ---------------------------------------------------------------- opening and writing

    def _open(self) -> tantivy.Index:
        if self._index is not None:
            return self._index
        with self._lock:
            if self._index is not None:
                return self._index
            self.path.mkdir(parents=True, exist_ok=True)
            marker = self.path / MARKER
            try:
                current = json.loads(marker.read_text())
            except (OSError, ValueError):
                current = None
            if current != {"format": FORMAT} and any(self.path.iterdir()):
                # derived state in an older format (or foreign files): start over, a reindex refills it
                for child in self.path.iterdir():
                    if child.is_dir():
                        shutil.rmtree(child)
                    else:
                        child.unlink()
            try:
                self._index = tantivy.Index(self.schema, path=str(self.path), reuse=True)
            except ValueError as exc:
                raise SearchError(f"cannot open search index at {self.path}: {exc}") from exc
            marker.write_text(json.dumps({"format": FORMAT}))
            return self._index

    @contextmanager
    def _writer(self) -> Iterator[tantivy.IndexWriter]:
        index = self._open()
        with self._lock:
            deadline = time.monotonic() + self.lock_timeout
            delay = 0.02
            while True:
                try:
                    writer = index.writer(self.heap_bytes, self.threads)
                    break
                except ValueError as exc:
                    if "LockBusy" not in str(exc) or time.monotonic() > deadline:
                        raise SearchError(f"search index is locked: {exc}") from exc
                    time.sleep(delay)
                    delay = min(delay * 2, 0.5)
            try:
                yield writer
                writer.commit()
            except BaseException:
                writer.rollback()
                raise
            finally:
                writer.wait_merging_threads()  # releases the lock
                index.reload()

    def _document(self, d: SearchDoc) -> tantivy.Document:
        doc = tantivy.Document()
        doc.add_text("key", d.key)
        body = (d.body or "")[:BODY_CHARS]
        for name, text in (("title", d.title or ""), ("summary", d.summary or ""), ("body", body)):
            if text:
                doc.add_pre_tokenized_text(name, _pretok(text))
        themes, regions, vis = clean_list(d.themes), clean_list(d.regions), clean_list(d.visibility_keys)
        doc.add_text("type", d.type)
        for name, values in (("themes", themes), ("regions", regions), ("vis", vis)):
            for v in values:
                doc.add_text(name, v)
        for name, value in (("scale", d.scale), ("kind", d.kind), ("language", d.language)):
            if value:
                doc.add_text(name, value)
        if d.year is not None:
            doc.add_integer("year", int(d.year))
        if d.date is not None:
            doc.add_integer("date", (d.date - _EPOCH).days)
        src = {"key": d.key, "type": d.type, "id": d.id, "slug": d.slug, "title": d.title or "",
               "summary": d.summary or "", "body": body, "themes": themes, "regions": regions,
               "scale": d.scale or "", "kind": d.kind or "", "date": d.date.isoformat() if d.date else None,
               "vis": vis}
        doc.add_bytes("src", json.dumps(src, ensure_ascii=False, separators=(",", ":")).encode())
        return doc

    def index(self, docs: Iterable[SearchDoc]) -> None:
        it = iter(docs)
        first = next(it, None)
        if first is None:
            return
        with self._writer() as writer:
            pending = 0
            for doc in itertools.chain([first], it):
                writer.delete_documents_by_term("key", doc.key)
                writer.add_document(self._document(doc))
                pending += 1
                if pending >= self.batch_size:
                    writer.commit()
                    pending = 0

    def delete(self, keys: Iterable[str]) -> None:
        keys = [k for k in keys if k]
        if not keys:
            return
        with self._writer() as writer:
            for key in keys:
                writer.delete_documents_by_term("key", key)

    def clear(self) -> None:
        with self._writer() as writer:
            writer.delete_all_documents()

    def count(self) -> int:
        return self._open().searcher().num_docs

    def healthy(self) -> bool:
        try:
            searcher = self._open().searcher()
            searcher.search(Query.all_query(), 1, count=True)
            return True
        except Exception:
            return False

    def size_bytes(self) -> int:
        total = 0
        for root, _dirs, files in os.walk(self.path):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
        return total

    # ---------------------------------------------------------------- queries

    def _any_field(self, term: str) -> Query:
        return Query.boolean_query([
            (Occur.Should, Query.boost_query(Query.term_query(self.schema, f, term), w)) for f, w in TEXT_FIELDS
        ])

    def _alternative(self, alt: Term | Prefix | Phrase) -> Query:
        if isinstance(alt, Term):
            whole = self._any_field(alt.stem)
            if not alt.parts:
                return whole
            parts = Query.boolean_query([(Occur.Must, self._any_field(p)) for p in alt.parts])
            return Query.boolean_query([(Occur.Should, whole), (Occur.Should, parts)])
        if isinstance(alt, Prefix):
            pattern = "(" + "|".join(alt.prefixes) + ").*"  # prefixes are letters and digits only
            return Query.boolean_query([
                (Occur.Should, Query.boost_query(Query.regex_query(self.schema, f, pattern), w))
                for f, w in TEXT_FIELDS
            ])
        return Query.boolean_query([
            (Occur.Should, Query.boost_query(Query.phrase_query(self.schema, f, list(alt.terms)), w))
            for f, w in TEXT_FIELDS
        ])

    def _text_query(self, clauses: list[Clause], conjunction: bool) -> Query:
        subs = []
        for clause in clauses:
            if len(clause) == 1:
                subs.append(self._alternative(clause[0]))
            else:
                subs.append(Query.boolean_query([(Occur.Should, self._alternative(a)) for a in clause]))
        occur = Occur.Must if conjunction else Occur.Should
        return Query.boolean_query([(occur, s) for s in subs])

    def _filters(self, q: SearchQuery) -> list[Query]:
        out: list[Query] = []

        def terms(field: str, values: Iterable[Any] | None) -> None:
            if values is None:
                return
            vals = [v for v in values if v is not None and v != ""]
            out.append(Query.term_set_query(self.schema, field, vals) if vals else Query.empty_query())

        terms("type", q.types)
        terms("themes", q.themes)
        terms("regions", q.regions)
        for field, value in (("scale", q.scale), ("kind", q.kind), ("language", q.language)):
            if value:
                terms(field, [value])
        if q.year is not None:
            out.append(Query.term_query(self.schema, "year", int(q.year)))
        if q.viewer_keys is not None:
            terms("vis", q.viewer_keys)
        return [Query.const_score_query(f, 0.0) for f in out]

    @staticmethod
    def _combine(main: Query | None, filters: list[Query], exclude: Query | None = None) -> Query:
        subs = [(Occur.Must, main)] if main is not None else [(Occur.Must, Query.all_query())]
        subs += [(Occur.Must, f) for f in filters]
        if exclude is not None:
            subs.append((Occur.MustNot, exclude))
        return Query.boolean_query(subs)

    def _hit(self, searcher: tantivy.Searcher, score: float, address: tantivy.DocAddress,
             parsed: ParsedQuery | None) -> SearchHit:
        src = json.loads(searcher.doc(address)["src"][0])
        return SearchHit(
            key=src["key"], type=src["type"], id=src["id"], slug=src["slug"], title=src["title"],
            score=float(score), snippet=snippet([src["summary"], src["body"]], parsed),
            regions=src["regions"], themes=src["themes"],
            date=datetime.date.fromisoformat(src["date"]) if src["date"] else None,
            kind=src["kind"], scale=src["scale"],
        )

    def _facets(self, searcher: tantivy.Searcher, query: Query) -> dict[str, dict[str, int]]:
        aggs = {key: {"terms": {"field": field, "size": 10000}} for key, field in FACET_FIELDS.items()}
        raw = searcher.aggregate(query, aggs)
        counts: dict[str, dict[str, int]] = {}
        for key in FACET_FIELDS:
            counts[key] = {}
            for bucket in raw.get(key, {}).get("buckets", []):
                value = bucket["key"]
                if isinstance(value, float) and value.is_integer():
                    value = int(value)
                counts[key][str(value)] = int(bucket["doc_count"])
        return counts

    def query(self, q: SearchQuery) -> SearchResult:
        offset, limit = page_bounds(q)
        parsed = parse_query(q.text)
        if parsed.nothing or q.viewer_keys == []:
            return SearchResult(hits=[], total=0, facets=empty_facets())
        searcher = self._open().searcher()
        filters = self._filters(q)
        by_date = q.sort == "date" or parsed.browse

        def run(query: Query, n: int) -> tantivy.SearchResult:
            n = max(n, 1)  # tantivy wants a positive limit; limit 0 (count only) drops the hit
            if by_date:
                return searcher.search(query, n, count=True, order_by_field="date", offset=offset,
                                       order=tantivy.Order.Desc)
            return searcher.search(query, n, count=True, offset=offset)

        relaxed = False
        if parsed.browse:
            full = self._combine(None, filters)
        else:
            full = self._combine(self._text_query(parsed.clauses, True), filters)
        found = run(full, limit)
        if found.count == 0 and len(parsed.clauses) > 1:
            full = self._combine(self._text_query(parsed.relaxed(), False), filters)
            found = run(full, limit)
            relaxed = found.count > 0
        hits = [self._hit(searcher, 0.0 if by_date else score, addr, parsed) for score, addr in found.hits[:limit]]
        facets = sort_facets(self._facets(searcher, full)) if q.facets and found.count else empty_facets()
        return SearchResult(hits=hits, total=found.count, facets=facets, relaxed=relaxed)

    def more_like_this(self, key: str, q: SearchQuery, limit: int = 5) -> list[SearchHit]:
        if q.viewer_keys == [] or limit <= 0:
            return []
        searcher = self._open().searcher()
        found = searcher.search(Query.term_query(self.schema, "key", key), 1, count=False)
        if not found.hits:
            return []
        src = json.loads(searcher.doc(found.hits[0][1])["src"][0])
        if q.viewer_keys is not None and not set(src["vis"]) & set(q.viewer_keys):
            return []  # the viewer may not see the document itself
        n_docs = max(searcher.num_docs, 1)
        weighted = []
        for term, tf in salient_terms(src["title"], src["summary"], src["body"]):
            df = max(searcher.doc_freq(f, term) for f, _ in TEXT_FIELDS)
            if df <= 1:
                continue  # only this document has it
            weighted.append((tf * math.log(1 + n_docs / df), term))
        weighted.sort(key=lambda wt: (-wt[0], wt[1]))
        shoulds = [(Occur.Should, Query.boost_query(self._any_field(t), max(w, 0.01))) for w, t in weighted[:25]]
        if src["themes"]:
            shoulds.append((Occur.Should, Query.term_set_query(self.schema, "themes", src["themes"])))
        if not shoulds:
            return []
        query = self._combine(Query.boolean_query(shoulds), self._filters(q),
                              exclude=Query.term_query(self.schema, "key", key))
        result = searcher.search(query, limit, count=False)
        parsed = ParsedQuery(terms=frozenset(t for _, t in weighted[:25]))
        return [self._hit(searcher, score, addr, parsed) for score, addr in result.hits]
