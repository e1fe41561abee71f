"""Embedded search index on disk with tantivy.

Text is analysed in Python (:mod:`.analysis`) and handed to tantivy pre-tokenised, with positions, so
phrases work and both backends agree. Matching runs on one ``text`` field holding title, summary and
body (a gap of positions between them, so phrases do not cross); BM25 on it is the base score, and
matches in the (short) ``title`` and ``summary`` fields add boosts: title > summary > body. Visiting one
posting list per word instead of three keeps broad queries fast, and counting facets or sorting by
date uses the match part only (no scoring).

Filters and facets use raw, fast (columnar) fields; facets are terms aggregations over the same query,
which carries the visibility clause, so hidden documents are never counted. The original
title/summary/body are kept in one stored JSON blob, from which hits and snippets are built; a light
hit (``SearchQuery.light``) is read from the fast ``ref`` column alone (type and id), for callers that
hold the rest in memory.

Writes take the index's single writer lock for the duration of one call (retrying while another
process holds it), commit every ``batch_size`` documents and at the end, then reload the reader, so a
process that both indexes and queries sees its own writes at once; other processes see them within
about half a second (tantivy's reader watches the index meta file).
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import json
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import tantivy
from tantivy import Occur, Query

from plek.core import freshness
from plek.core.threads import process_pool
from plek.knowledge.search.analysis import field_tokens, is_actor_term
from plek.knowledge.search.base import (
    SearchDoc,
    SearchError,
    SearchHit,
    SearchQuery,
    SearchResult,
    clean_list,
    doc_fingerprint,
    empty_facets,
    page_bounds,
    sort_facets,
)
from plek.knowledge.search.query import (
    Clause,
    ParsedQuery,
    Phrase,
    Prefix,
    Term,
    parsed_once,
    related_terms,
    snippet,
)

FORMAT = 4  # bump when the schema or the analysis changes incompatibly: the index is then rebuilt empty
MARKER = "plek-search.json"
BOOSTS = (("title", 2.0), ("summary", 0.75))  # added to the BM25 score on the whole text
FIELD_GAP = 10  # positions between title, summary and body in the text field
SINGLE_FACETS = {"type": "type", "scale": "scale", "kind": "kind", "year": "year", "language": "language"}
# Multi-valued facets are counted over SLOTS dense single-valued columns (value i of a document in
# column i, "" when it has fewer): tantivy aggregates a dense column several times faster than a
# multi-valued one. Values beyond the slots go to a multi-valued overflow column, counted only when
# some document uses it.
MULTI_FACETS = {"theme": "themes", "region": "regions"}
SLOTS = 8
BODY_CHARS = 200_000  # analysed and stored per document at most
_EPOCH = datetime.date(1970, 1, 1)
# Light hits (SearchQuery.light): a document's type and id as one integer in a fast column ("ref":
# the type's place in REF_TYPES, from 1, shifted left by REF_SHIFT bits, plus the id), read for a
# page of hits at once without opening the stored documents. Other types are read from the store.
REF_TYPES = (
    "knowledge",
    "person",
    "question",
    "organisation",
    "network",
    "hub",
    "programme",
    "decision",
    "trajectory",
    "lesson",
)
REF_SHIFT = 40
_REF_CODES = {t: i for i, t in enumerate(REF_TYPES, start=1)}


def ref_of(key: str, type_: str, id_: int) -> int | None:
    """The "ref" of a document, or None when its key is not "type:id" or its type or id does not fit."""
    code = _REF_CODES.get(type_)
    if code is None or not 0 <= id_ < 1 << REF_SHIFT or key != f"{type_}:{id_}":
        return None
    return code << REF_SHIFT | id_


def light_hit(ref: int, score: float) -> SearchHit:
    """A hit known by its "ref" only: key, type, id and score."""
    type_, id_ = REF_TYPES[(ref >> REF_SHIFT) - 1], ref & ((1 << REF_SHIFT) - 1)
    return SearchHit(
        key=f"{type_}:{id_}",
        type=type_,
        id=id_,
        slug="",
        title="",
        score=score,
        snippet="",
        regions=[],
        themes=[],
        date=None,
        kind="",
        scale="",
        light=True,
    )


def _executor() -> ThreadPoolExecutor:
    """The facet-counting and background-search threads of this process."""
    return process_pool("plek-search-facets", 2)


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("key", stored=False, tokenizer_name="raw", index_option="basic")
    for name in ("text", "title", "summary"):
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="position")
    for name in ("type", "scale", "kind", "language"):  # filters and dense facet columns ("" = none)
        sb.add_text_field(name, stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    for name in ("themes", "regions", "vis", "flags"):  # filters (inverted index only)
        sb.add_text_field(name, stored=False, tokenizer_name="raw", index_option="basic")
    for name in MULTI_FACETS.values():
        for i in range(SLOTS):
            sb.add_text_field(
                f"{name}{i}", stored=False, fast=True, tokenizer_name="raw", index_option="basic"
            )
        sb.add_text_field(f"{name}_more", stored=False, fast=True, tokenizer_name="raw", index_option="basic")
    sb.add_integer_field("year", indexed=True, fast=True)  # 0 = none
    sb.add_integer_field("date", indexed=True, fast=True)  # days since 1970-01-01; absent = none
    sb.add_integer_field("ref", fast=True)  # type and id (ref_of), for light hits
    sb.add_bytes_field("src", stored=True)
    return sb.build()


def _total(found: tantivy.SearchResult) -> int:
    count = found.count  # type: ignore[attr-defined]  # present at run time, missing from the stubs
    return len(found.hits) if count is None else int(count)


def _tokens(text: str, start: int = 0) -> list[tantivy.Token]:
    token = tantivy.Token
    return [token(t, p, 0, 0) for t, p in field_tokens(text, start)]


def _pretok(tokens: list[tantivy.Token]) -> tantivy.PreTokenizedString:
    return tantivy.PreTokenizedString("", tokens)


class TantivyBackend:
    name = "tantivy"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        batch_size: int = 5000,
        heap_bytes: int = 100_000_000,
        threads: int = 0,
        lock_timeout: float = 60.0,
    ) -> None:
        self.path = Path(path)
        self.batch_size = batch_size
        self.heap_bytes = heap_bytes
        self.threads = threads
        self.lock_timeout = lock_timeout
        self._lock = threading.RLock()
        self._index: tantivy.Index | None = None
        self._seen_generation: int | None = None
        self.schema = _schema()

    # ---------------------------------------------------------------- opening and writing

    def _fresh(self, q: SearchQuery | None = None) -> tantivy.Index:
        """The index, its reader reloaded when another process committed since we last looked (the
        generation of the search-index topic moved): a page rendered for the anonymous page cache
        then never shows an index older than the generation it is stored under."""
        index = self._open()
        if q is not None:
            freshness.depends_on(*freshness.index_topics(q.types))
        if freshness.enabled():
            (generation,) = freshness.generations(freshness.SEARCH_INDEX)
            if generation != self._seen_generation:
                index.reload()
                self._seen_generation = generation
        return index

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
        everything: list[tantivy.Token] = []
        pos = 0
        for name, text in (("title", d.title or ""), ("summary", d.summary or ""), ("body", body)):
            tokens = _tokens(text, pos)
            if tokens:
                if name == "title":  # actor words (gemeenten, waterschappen) earn no title boost
                    topical = [t for t in tokens if not is_actor_term(t.text)]
                    if topical:
                        doc.add_pre_tokenized_text(name, _pretok(topical))
                elif name != "body":
                    doc.add_pre_tokenized_text(name, _pretok(tokens))
                everything += tokens
                pos = tokens[-1].position + FIELD_GAP
        if everything:
            doc.add_pre_tokenized_text("text", _pretok(everything))
        themes, regions, vis = clean_list(d.themes), clean_list(d.regions), clean_list(d.visibility_keys)
        for name, value in (("type", d.type), ("scale", d.scale), ("kind", d.kind), ("language", d.language)):
            doc.add_text(name, value or "")
        for v in vis:
            doc.add_text("vis", v)
        for name, values in (("themes", themes), ("regions", regions)):
            for i, v in enumerate(values):
                doc.add_text(name, v)
                doc.add_text(f"{name}{i}" if i < SLOTS else f"{name}_more", v)
            for i in range(len(values), SLOTS):
                doc.add_text(f"{name}{i}", "")
            if len(values) > SLOTS:
                doc.add_text("flags", f"{name}_more")
        doc.add_integer("year", int(d.year) if d.year is not None else 0)
        ref = ref_of(d.key, d.type, d.id)
        if ref is not None:
            doc.add_integer("ref", ref)
        if d.date is not None:
            doc.add_integer("date", (d.date - _EPOCH).days)
        src = {
            "key": d.key,
            "type": d.type,
            "id": d.id,
            "slug": d.slug,
            "title": d.title or "",
            "summary": d.summary or "",
            "body": body,
            "themes": themes,
            "regions": regions,
            "scale": d.scale or "",
            "kind": d.kind or "",
            "date": d.date.isoformat() if d.date else None,
            "vis": vis,
        }
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
        return self._fresh().searcher().num_docs

    def fingerprints(self) -> dict[str, str]:
        searcher = self._fresh().searcher()
        n = searcher.num_docs
        if not n:
            return {}
        out: dict[str, str] = {}
        for _score, address in searcher.search(Query.all_query(), n).hits:
            src = json.loads(searcher.doc(address)["src"][0])
            out[src["key"]] = doc_fingerprint(src["title"], src["vis"])
        return out

    def healthy(self) -> bool:
        try:
            searcher = self._fresh().searcher()
            searcher.search(Query.all_query(), 1, count=True)
            return True
        except Exception:
            return False

    def size_bytes(self) -> int:
        total = 0
        for root, _dirs, files in os.walk(self.path):
            for f in files:
                with contextlib.suppress(OSError):  # merged away meanwhile
                    total += os.path.getsize(os.path.join(root, f))
        return total

    # ---------------------------------------------------------------- queries

    def _match(self, alt: Term | Prefix | Phrase, field: str = "text") -> Query:
        """Documents where the alternative occurs in ``field``."""
        if isinstance(alt, Term):
            whole = Query.term_query(self.schema, field, alt.stem)
            if not alt.parts or field != "text":
                return whole
            parts = Query.boolean_query(
                [(Occur.Must, Query.term_query(self.schema, field, p)) for p in alt.parts]
            )
            return Query.boolean_query([(Occur.Should, whole), (Occur.Should, parts)])
        if isinstance(alt, Prefix):
            return Query.regex_query(
                self.schema, field, "(" + "|".join(alt.prefixes) + ").*"
            )  # [a-z0-9] only
        return Query.phrase_query(self.schema, field, list(alt.terms))

    def _alternative(self, alt: Term | Prefix | Phrase, scoring: bool) -> Query:
        match = self._match(alt)
        if not scoring:
            return match
        return Query.boolean_query(
            [(Occur.Must, match)]
            + [(Occur.Should, Query.boost_query(self._match(alt, field), weight)) for field, weight in BOOSTS]
        )

    def _text_query(self, clauses: list[Clause], conjunction: bool, scoring: bool) -> Query:
        subs = []
        for clause in clauses:
            if len(clause) == 1:
                subs.append(self._alternative(clause[0], scoring))
            else:
                subs.append(
                    Query.boolean_query([(Occur.Should, self._alternative(a, scoring)) for a in clause])
                )
        if len(subs) == 1:
            return subs[0]
        occur = Occur.Must if conjunction else Occur.Should
        return Query.boolean_query([(occur, s) for s in subs])

    def _filters(self, q: SearchQuery) -> list[Query]:
        """Must-clauses for the filters and the viewer's visibility. A disjunction of term queries (not a
        term set, which materialises every match of a broad term such as "public" first)."""
        out: list[Query] = []

        def any_of(field: str, values: Iterable[Any] | None) -> None:
            if values is None:
                return
            vals = sorted({v for v in values if v is not None and v != ""})
            if not vals:
                out.append(Query.empty_query())
            elif len(vals) == 1:
                out.append(Query.term_query(self.schema, field, vals[0]))
            else:
                out.append(
                    Query.boolean_query(
                        [(Occur.Should, Query.term_query(self.schema, field, v)) for v in vals]
                    )
                )

        any_of("type", q.types)
        any_of("themes", q.themes)
        any_of("regions", q.regions)
        for field, value in (("scale", q.scale), ("kind", q.kind), ("language", q.language)):
            if value:
                any_of(field, [value])
        if q.year is not None:
            out.append(Query.term_query(self.schema, "year", int(q.year)))
        if q.viewer_keys is not None:
            any_of("vis", q.viewer_keys)
        return [Query.const_score_query(f, 0.0) for f in out]

    @staticmethod
    def _combine(main: Query | None, filters: list[Query], exclude: Query | None = None) -> Query:
        subs = [(Occur.Must, main)] if main is not None else [(Occur.Must, Query.all_query())]
        subs += [(Occur.Must, f) for f in filters]
        if exclude is not None:
            subs.append((Occur.MustNot, exclude))
        return Query.boolean_query(subs)

    def _hit(
        self,
        searcher: tantivy.Searcher,
        score: float,
        address: tantivy.DocAddress,
        parsed: ParsedQuery | None,
        snippets: bool = True,
    ) -> SearchHit:
        src = json.loads(searcher.doc(address)["src"][0])
        texts = (src["summary"], src["body"])
        return SearchHit(
            key=src["key"],
            type=src["type"],
            id=src["id"],
            slug=src["slug"],
            title=src["title"],
            score=float(score),
            snippet=snippet(list(texts), parsed) if snippets else "",
            texts=("", "") if snippets else texts,
            regions=src["regions"],
            themes=src["themes"],
            date=datetime.date.fromisoformat(src["date"]) if src["date"] else None,
            kind=src["kind"],
            scale=src["scale"],
        )

    def _facets(self, searcher: tantivy.Searcher, query: Query) -> Callable[[], dict[str, dict[str, int]]]:
        """Start counting facets for ``query`` on the pool (tantivy releases the GIL, so this runs beside
        the search and the building of hits; one pass over the matches for all facets). Returns a
        function that waits for the counts."""
        aggs: dict[str, Any] = {
            f"{key}|{field}": {"terms": {"field": field, "size": 10000}}
            for key, field in SINGLE_FACETS.items()
        }
        for key, name in MULTI_FACETS.items():
            fields = [f"{name}{i}" for i in range(SLOTS)]
            if searcher.doc_freq("flags", f"{name}_more"):
                fields.append(f"{name}_more")
            aggs.update({f"{key}|{field}": {"terms": {"field": field, "size": 10000}} for field in fields})
        future = _executor().submit(searcher.aggregate, query, aggs)

        def gather() -> dict[str, dict[str, int]]:
            counts: dict[str, dict[str, int]] = {}
            for agg_name, agg in future.result().items():
                into = counts.setdefault(agg_name.split("|", 1)[0], {})
                for bucket in agg.get("buckets", []):
                    value = bucket["key"]
                    if isinstance(value, float) and value.is_integer():
                        value = int(value)
                    if value in ("", 0):  # the "none" sentinels
                        continue
                    into[str(value)] = into.get(str(value), 0) + int(bucket["doc_count"])
            return counts

        return gather

    def query(self, q: SearchQuery) -> SearchResult:
        return self._search(q, self._fresh(q))

    def start(self, q: SearchQuery) -> Callable[[], SearchResult]:
        """The query begun on a background thread, for a caller with other work meanwhile (matching
        computes its vector searches while tantivy, which releases the GIL, searches); the returned
        function waits for the result. What belongs to the calling thread is done here: the page
        cache's dependencies and the index's freshness. With facets it runs at once (their counting
        uses the same threads)."""
        index = self._fresh(q)
        if q.facets:
            result = self._search(q, index)
            return lambda: result
        return _executor().submit(self._search, q, index).result

    def _search(self, q: SearchQuery, index: tantivy.Index) -> SearchResult:
        offset, limit = page_bounds(q)
        parsed = parsed_once(q.text)
        if parsed.nothing or q.viewer_keys == []:
            return SearchResult(hits=[], total=0, facets=empty_facets())
        searcher = index.searcher()
        filters = self._filters(q)
        by_date = q.sort == "date" or parsed.browse

        def run(query: Query, n: int) -> tantivy.SearchResult:
            n = max(n, 1)  # tantivy wants a positive limit; limit 0 (count only) drops the hit
            if by_date:
                return searcher.search(
                    query, n, count=True, order_by_field="date", offset=offset, order=tantivy.Order.Desc
                )
            return searcher.search(query, n, count=q.count, offset=offset)

        def build(clauses: list[Clause] | None, conjunction: bool) -> tuple[Query, Query]:
            """(query to rank with, query to count facets with: the same matches, nothing scored)."""
            if clauses is None:
                browse = self._combine(None, filters)
                return browse, browse
            matching = self._combine(self._text_query(clauses, conjunction, False), filters)
            if by_date:
                return matching, matching
            return self._combine(self._text_query(clauses, conjunction, True), filters), matching

        relaxed = False
        any_word = q.match == "any" and not parsed.browse
        words = parsed.relaxed() if any_word else parsed.clauses
        if any_word and q.max_terms:
            words = [self._informative(words[0], searcher, q.max_terms)]
        ranked, matching = build(None if parsed.browse else words, not any_word)
        counting = self._facets(searcher, matching) if q.facets else None
        found = run(ranked, limit)
        if _total(found) == 0 and len(parsed.clauses) > 1 and not any_word:
            ranked, matching = build(parsed.relaxed(), False)
            counting = self._facets(searcher, matching) if q.facets else None
            found = run(ranked, limit)
            relaxed = _total(found) > 0
        page = found.hits[:limit]
        if q.light and not q.snippets and not by_date:
            refs = searcher.fast_field_values("ref", [addr for _, addr in page])
            hits = [
                light_hit(ref, score)
                if isinstance(ref, int) and ref > 0
                else self._hit(searcher, score, addr, parsed, False)
                for (score, addr), ref in zip(page, refs, strict=True)
            ]
        else:
            hits = [
                self._hit(searcher, 0.0 if by_date else score, addr, parsed, q.snippets)
                for score, addr in page
            ]
        facets = sort_facets(counting()) if counting is not None else empty_facets()
        return SearchResult(hits=hits, total=_total(found), facets=facets, relaxed=relaxed)

    @staticmethod
    def _informative(alts: Clause, searcher: tantivy.Searcher, keep: int) -> Clause:
        """The `keep` rarest words of an OR query, in their original order; words that no document
        holds are left out (prefixes and phrases are always kept)."""
        ranked: list[tuple[int, int, Term | Prefix | Phrase]] = []
        for i, alt in enumerate(alts):
            if isinstance(alt, Term):
                df = searcher.doc_freq("text", alt.stem)
                if df == 0 and alt.parts:
                    df = min(searcher.doc_freq("text", p) for p in alt.parts)
                if df == 0:
                    continue
                ranked.append((df, i, alt))
            else:
                ranked.append((0, i, alt))
        ranked.sort(key=lambda r: (r[0], r[1]))
        chosen = sorted(ranked[:keep], key=lambda r: r[1])
        return tuple(alt for _, _, alt in chosen) or alts

    def documents(self, keys: Sequence[str], viewer_keys: list[str] | None) -> list[SearchHit]:
        wanted = list(dict.fromkeys(keys))
        if not wanted or viewer_keys == []:
            return []
        types = sorted({key.partition(":")[0] for key in wanted})
        searcher = self._fresh(SearchQuery(types=types)).searcher()
        query = self._combine(
            Query.term_set_query(self.schema, "key", wanted),
            self._filters(SearchQuery(viewer_keys=viewer_keys)),
        )
        found = searcher.search(query, len(wanted), count=False)
        by_key = {
            hit.key: hit for hit in (self._hit(searcher, 0.0, addr, None, False) for _, addr in found.hits)
        }
        return [by_key[key] for key in wanted if key in by_key]

    def more_like_this(self, key: str, q: SearchQuery, limit: int = 5) -> list[SearchHit]:
        if q.viewer_keys == [] or limit <= 0:
            return []
        searcher = self._fresh(q).searcher()
        found = searcher.search(Query.term_query(self.schema, "key", key), 1, count=False)
        if not found.hits:
            return []
        src = json.loads(searcher.doc(found.hits[0][1])["src"][0])
        if q.viewer_keys is not None and not set(src["vis"]) & set(q.viewer_keys):
            return []  # the viewer may not see the document itself
        n_docs = max(searcher.num_docs, 1)
        weighted = related_terms(
            src["title"], src["summary"], src["body"], lambda t: searcher.doc_freq("text", t) / n_docs, n_docs
        )
        if weighted:
            similar = Query.boolean_query(
                [
                    (Occur.Should, Query.boost_query(Query.term_query(self.schema, "text", t), w))
                    for w, t in weighted
                ]
            )
        elif src["themes"]:
            similar = Query.boolean_query(
                [(Occur.Should, Query.term_query(self.schema, "themes", t)) for t in src["themes"]]
            )
        else:
            return []
        subs = [(Occur.Must, similar)]
        subs += [  # sharing a theme adds a little
            (Occur.Should, Query.boost_query(Query.term_query(self.schema, "themes", t), 0.2))
            for t in src["themes"]
        ]
        query = self._combine(
            Query.boolean_query(subs), self._filters(q), exclude=Query.term_query(self.schema, "key", key)
        )
        result = searcher.search(query, limit, count=False)
        parsed = ParsedQuery(terms=frozenset(t for _, t in weighted))
        return [self._hit(searcher, score, addr, parsed) for score, addr in result.hits]
