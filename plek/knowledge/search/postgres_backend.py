"""Search in the platform's own PostgreSQL database (the shared-index option).

A table of derived state holds one row per document with a ``tsvector`` built from the same Python
analysis as the tantivy index (so both backends find the same things): lexemes are our stems and
compound-part stems at the word's position, weighted A (title), B (summary) and C (body), plus the
token count of each field. Queries are ``tsquery`` values built from the same parsed query (``&`` /
``|``, phrases with ``<N>``, prefixes with ``:*``), passed as typed literals so PostgreSQL does not
re-parse our lexemes.

Matches are found and counted through GIN indexes (on the vector, and on samples of it: see MATCH).
Ranking is top-k from an index, then BM25: with the RUM extension (``postgresql-15-rum``) a RUM index
on the vector answers ``ORDER BY tokens <=> query LIMIT n`` from the index (positions are stored in it,
so no row is read to rank); the best ``CANDIDATES`` are re-scored in Python with BM25 the way tantivy
scores (k1 1.2, b 0.75, title x2.0 and summary x0.75 boosts), from the term weights of those rows,
the field lengths and document frequencies (the planner's statistics for common words, counted for
rare ones). Without RUM a GIN index finds the matches and ``ts_rank_cd`` orders all of them (correct,
slow on broad queries; logged once).

Totals and facets are bounded: exact up to ``SAMPLE`` matches; beyond that they are counted over the
first ``SAMPLE`` matches in table order and scaled by the share of the table those came from
(``SearchResult.estimated`` is then True). Snippets are made in Python from the stored text, like
tantivy's.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from plek.core import freshness
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
    Alternative,
    Clause,
    ParsedQuery,
    Phrase,
    Prefix,
    Term,
    parse_query,
    related_terms,
    snippet,
)

logger = logging.getLogger(__name__)

TABLE = "plek_search_doc"
BODY_CHARS = 200_000
MAX_POS = 16383  # PostgreSQL's largest tsvector position
MAX_POSITIONS = 256  # positions kept per lexeme
FIELD_GAP = 10  # positions between title, summary and body, so phrases do not cross fields
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D, C (body), B (summary), A (title): ts_rank_cd without RUM
BATCH = 1000
STATS_TTL = 300.0  # seconds the collection statistics (document count, field lengths, frequencies) are reused
ANALYZE_AFTER = 10_000  # rows written in one index() call after which the table is analysed
BULK_AFTER = 5_000  # rows written into an empty table after which its text index is built at the end

CANDIDATES = 100  # relevance: this many best by the index's order are re-scored with BM25
CANDIDATES_ANY = 1000  # match="any" (a question text against the collection): a wider net
# Memory for one search's sorts and bitmaps (PostgreSQL's default is 4 MB): a prefix ("wonin*") makes
# RUM collect the documents of every matching word, 22 MB at 100,000 documents, which spilled to temp
# files (58 ms instead of 35). Set for each search (transaction-local), not for the server.
SEARCH_WORK_MEM = "32MB"
SAMPLE = 500  # totals and facets exact up to this many matches; estimated from this many beyond
# A large table's totals and facets come from a fixed sample of its rows: `bucket` (0..BUCKETS-1, from a
# hash of the key) and partial text indexes over `bucket < b` for each level's b. Counting every match of
# a common word in a sample of 1/32 reads 1/32 of its postings (at 100,000 documents the count-and-facets
# statement went from mean 15 / p95 32 ms to 2.6 / 4.8). The level is the first whose row count the table
# reaches, so a sample holds about 3,000-12,000 rows.
BUCKETS = 1024
SAMPLE_LEVELS = ((1_500_000, 1), (600_000, 4), (150_000, 8), (50_000, 32))  # (rows at least, buckets)
# Larger samples, for queries with fewer matches, when the table's own sample holds too few of them:
# counting in 1/8 of the rows reads 1/8 of the words' postings.
COARSE_LEVELS = (128,)
SAMPLE_MIN = 60  # matches in a sample needed to estimate from it (and more than SAMPLE in the table)
SAMPLE_TARGET = 1200  # common words: the smallest level expected to hold this many of their matches
# Ranked candidates of broad word queries come from the head vector first (the lexemes of title and
# summary, with their own RUM index): RUM reads every posting of the words before its first row (~0.4 µs
# each), and titles and summaries hold a third or less of them. BM25 with the title and summary boosts
# puts documents with the words there first anyway; when the head holds too few, the rest come from the
# whole text. Broad: one word in at least HEAD_MIN_DF documents, or several words that together are in
# about HEAD_MIN_MATCHES documents or more (from their frequencies, filters aside), or a prefix alone.
# Measured per query against the whole text at 100,000 documents: one common word 39-48 -> 22 ms
# (filtered too), "woningen water" 54 -> 25, a prefix alone 18 -> 12 (a million: 115 -> 62). Several
# words with fewer joint matches lost 3-14 ms (the head's order reaches documents holding all of them
# late), and so did phrases and prefixes among other words. One word in 21,000-22,000 documents gained
# too (30-34 -> 18-22 ms, best of three, on a slow day), one in 5,000-7,000 lost 3-9 ms: hence 15,000.
HEAD_MIN_DF = 15_000
HEAD_MIN_MATCHES = 10_000
# ... and only while the words' documents, each counted, are at most HEAD_SPREAD times those they share:
# the heads' order reads every head posting of each word, the whole text's the matches of all of them,
# and with each further word the first grows while the second shrinks. At a million documents (best of
# two) the whole text was faster for every query above 30: four words with 19,000 matches in common
# (97) 263 -> 188 ms, three with 32,000 (35) 164 -> 148, while two with 100,000 in common (3-9) were
# 1.3-3.5 times faster through the heads.
HEAD_SPREAD = 30
# A phrase alone whose rarest word is in HEAD_MIN_DF documents takes its candidates from the documents
# with the phrase itself in title or summary (the head keeps the positions, and a phrase there is one in
# the whole text too), ordered by the head's distance to the phrase; only the filters are tested on the
# rows. With any of its words in the head instead (as for words) the order reached whole-text matches
# late and lost; with the phrase itself, "natuurinclusief bouwen" (22,000 matches, 5,800 in heads) at
# 100,000 documents: 25-34 -> 5 ms. Only when the matches the filters leave are at least
# PHRASE_HEAD_MATCHES times the candidates: the heads hold about a quarter of them, and a walk through
# the heads that finds too few (a phrase in one year: 600 matches) costs as much as the whole text's,
# which then follows. The planner guesses a phrase's matches far too few, so bitmap scans are off there.
PHRASE_HEAD_MATCHES = 8
# Several words, most of whose matches hold all of them in title or summary: candidates from the documents
# whose head holds every word first (RUM intersects the words' head postings), ordered by the head's
# distance; only the filters are tested on the rows, as the head is part of the whole text. The head
# path above orders the documents with any of the words in their heads, and the whole text every match:
# at a million documents both read more than 100,000 postings for two common words. Taken when the
# count's sample says the filters leave at least HEAD_ALL x the candidates with every word in the head
# (a walk that finds too few is paid on top of the path after it). At a million documents, best of two:
# "natuur droogte klimaat" 217 -> 29 ms, "woningen water" 222 -> 89, four words whose heads rarely
# hold all of them 270 -> 290 without the sample's guard.
HEAD_ALL = 1
# Several words: RUM orders their matches by the distance to the ORDER_WORDS rarest of them (the match
# still needs every word). RUM computes a distance from the positions of every word it orders by, and
# the distance to all of them (cover density) prefers documents where they stand close together, which
# BM25 does not; the rarest word weighs most in BM25, which re-scores the candidates. At a million
# documents "dak waterschap energie regio" (21,000 matches) took 204 ms ordered by all four words, 180
# by three, 126 by two, 125 by one. Candidates against BM25 over every match (the sum of the top 10's
# scores, over the exact top 10's; the 240 bench queries): three or more words 0.945 -> 0.967 at
# 100,000 documents and 0.921 -> 0.934 at a million, two words 0.966 -> 0.978 and 0.970 -> 0.974.
ORDER_WORDS = 1
TIE_BREAK_ROWS = 2000  # a table smaller than this orders candidates by distance and key (see _ranked)
# RUM's ordered scan reads every posting of a prefix's words (of words ANDed together it skips through the
# long lists), while scoring a match reads its row (the vector decompressed and unnested). When a query
# with a prefix is known to have few matches (an exact count of at most SAMPLE) and their number times
# ROW_COST is below its clauses' postings (a prefix counting as every document), every match is scored
# instead of ordered through RUM. At 100,000 documents, best of three on a slow day: "wonin*
# Noord-Holland" in 2021 (102 matches) 94 -> 45 ms. Plain words with 226-439 matches lost 13-29 ms at
# any ROW_COST from 25 to 400, hence prefixes only.
ROW_COST = 400
# Prefix roots: among other words, a prefix's candidates are ordered through its root: the shortest of the
# common lexemes (the planner's statistics) it begins, when every other one begins with it or holds it
# as a part ("stikst*": stikstof, stikstofdepositie; "kringl*": kringlop, kringlooplandbouw). Compounds
# hold their parts, so the documents with a longer word hold the root. RUM reads every posting of a
# prefix's words: at 100,000 documents "stikst* landbouw" went from 41 to 22 ms and "kringl*
# gebiedsproces" from 41 to 21 (best of three), and the top 10 of all 240 bench queries stayed the same.
# Like the compounds above, the rest follow from the whole text when the root gives too few; BM25
# scores them on the prefix.
# Sorted by date, a page of k hits comes either from walking the date index, testing about k x documents /
# matches rows on the way, or from finding every match through the indexes and sorting them. The sort is
# taken when matches^2 < DATE_SORT x k x documents (and for an exact count of at most SAMPLE). Left to
# the planner, the walk was taken for four words and a theme with 488 matches in 100,000 documents (26
# ms; 144 ms with a cold cache). Fitted on the bench's date-sorted queries, best of three: at 100,000
# documents "kringloop bewoners" in a theme (536 matches, 0.14) 23 -> 14 ms, while at 1.4-2.3 sorting
# lost 5-12 ms and at 0.3-0.6 it was even; at a million, three words in three regions 113 -> 96 ms.
DATE_SORT = 0.25
NARROW_DF = 1000  # a compound whose whole word is in this many documents ranks candidates without its parts
DF_CAP = 5000  # a rare word's document frequency is counted up to this many
EXACT_STATS_ROWS = 20_000  # above this many rows the average field lengths come from a sample
K1, B = 1.2, 0.75  # BM25, as tantivy
BOOSTS = (("A", 2.0), ("B", 0.75))  # title, summary: added to the score on the whole text, as tantivy

# Matches are found and counted through GIN indexes, ranked candidates read in order from RUM's. Both
# index the vector's `@@`, and the planner, costing RUM's bitmap lower, took RUM for both: its posting
# lists carry positions, and a bitmap of four words (4,400 matches in 100,000 documents) took 38 ms
# through RUM, 10 through GIN. `@@@` is the same match (ts_match_vq) under the operator only GIN's
# tsvector_ops serves, so statements that find or count say MATCH, and the ordered ones RUM_MATCH.
MATCH = "tokens @@@ %s::tsquery"
RUM_MATCH = "tokens @@ %s::tsquery"

T = TypeVar("T")

_COLUMNS = (
    "key",
    "type",
    "id",
    "slug",
    "title",
    "summary",
    "body",
    "tokens",
    "len_title",
    "len_summary",
    "len_text",
    "themes",
    "regions",
    "scale",
    "kind",
    "year",
    "language",
    "date",
    "visibility",
)
_LENGTHS = {"A": 0, "B": 1}  # index into (len_title, len_summary, len_text)


def _vector(title: str, summary: str, body: str) -> tuple[str, tuple[int, int, int]]:
    """The tsvector (text form) of a document and the token counts of title, summary and everything."""
    lexemes: dict[str, list[str]] = {}
    counts = [0, 0, 0]
    pos = 1
    for i, (text, weight) in enumerate(((title, "A"), (summary, "B"), (body, "C"))):
        last = pos
        for term, p in field_tokens(text, pos):
            positions = lexemes.setdefault(term, [])
            if len(positions) < MAX_POSITIONS:
                # actor words in a title (gemeenten, waterschappen) weigh as body words
                w = "C" if weight == "A" and is_actor_term(term) else weight
                positions.append(f"{min(p, MAX_POS)}{w}")
            last = p
            counts[min(i, 2)] += 1
        pos = last + FIELD_GAP
    literal = " ".join(f"'{term}':{','.join(positions)}" for term, positions in lexemes.items())
    return literal, (counts[0], counts[1], counts[0] + counts[1] + counts[2])


def tsvector_literal(title: str, summary: str, body: str) -> str:
    """The tsvector (text form) of a document: lexeme -> positions with field weights."""
    return _vector(title, summary, body)[0]


def _lexeme(term: str) -> str:
    return "'" + term.replace("'", "''").replace("\\", "\\\\") + "'"


def _alternative(alt: Term | Prefix | Phrase) -> str:
    if isinstance(alt, Term):
        if not alt.parts:
            return _lexeme(alt.stem)
        return f"({_lexeme(alt.stem)} | ({' & '.join(_lexeme(p) for p in alt.parts)}))"
    if isinstance(alt, Prefix):
        return "(" + " | ".join(f"{_lexeme(p)}:*" for p in alt.prefixes) + ")"
    out, prev = "", 0
    for i, (offset, term) in enumerate(alt.terms):
        if i == 0:
            out = _lexeme(term)
        else:
            op = "<->" if offset - prev == 1 else f"<{offset - prev}>"
            out = f"({out} {op} {_lexeme(term)})"
        prev = offset
    return out


def tsquery_literal(clauses: list[Clause], conjunction: bool) -> str:
    parts = []
    for clause in clauses:
        alts = [_alternative(a) for a in clause]
        parts.append(alts[0] if len(alts) == 1 else "(" + " | ".join(alts) + ")")
    return (" & " if conjunction else " | ").join(parts)


def whole_words(clauses: list[Clause], df: dict[str, int]) -> str:
    """The conjunctive query with each compound whose whole word is in NARROW_DF documents by that word
    only ("erfgoed", not also "erf" and "goed"; a rarer one keeps its parts, as "veenweide" where the
    documents say "veenweidegebied"): what a document's head must hold for the head-first candidates
    (see HEAD_ALL)."""
    return tsquery_literal(
        [
            tuple(
                Term(alt.stem)
                if isinstance(alt, Term) and alt.parts and df.get(alt.stem, 0) >= NARROW_DF
                else alt
                for alt in clause
            )
            for clause in clauses
        ],
        True,
    )


# -------------------------------------------------------------------------------------------- BM25


def query_lexemes(clauses: list[Clause]) -> tuple[set[str], set[str]]:
    """(lexemes, prefixes) a query's score depends on."""
    lexemes: set[str] = set()
    prefixes: set[str] = set()
    for clause in clauses:
        for alt in clause:
            if isinstance(alt, Term):
                lexemes.add(alt.stem)
                lexemes.update(alt.parts)
            elif isinstance(alt, Prefix):
                prefixes.update(alt.prefixes)
            else:
                lexemes.update(term for _, term in alt.terms)
    return lexemes, prefixes


@dataclass
class Stats:
    """What BM25 needs to know of the collection."""

    n_docs: int
    avg: tuple[float, float, float]  # average token count of title, summary, everything
    df: dict[str, int] = field(default_factory=dict)
    # the planner's commonest lexemes and the share of rows holding each (empty until analysed)
    common: dict[str, float] = field(default_factory=dict)

    def idf(self, lexeme: str) -> float:
        n = max(self.n_docs, 1)
        df = min(max(self.df.get(lexeme, 1), 1), n)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


# a candidate row: lexeme -> its position weights ("ACC": once in the title, twice in the body),
# and the token counts of title, summary and everything
Weights = dict[str, str]


def _bm25(idf: float, tf: int, length: int, avg: float) -> float:
    if tf <= 0:
        return 0.0
    norm = K1 * (1.0 - B + B * (length / avg if avg > 0 else 1.0))
    return idf * (1.0 + K1) * tf / (tf + norm)


def _field_tf(weights: str, field_weight: str | None) -> int:
    return len(weights) if field_weight is None else weights.count(field_weight)


def score_alternative(alt: Alternative, row: Weights, lengths: tuple[int, int, int], stats: Stats) -> float:
    """tantivy's score of one alternative: BM25 on the whole text, plus the title and summary boosts
    (BM25 on that field times its boost; document frequencies of the whole text stand in for the
    field's). Prefixes score a constant 1 per field, like tantivy's regex query; a phrase scores as a
    term holding the sum of its words' idf, occurring as often as its rarest word."""

    def fields(tf_of: Callable[[str | None], int], idf: float) -> float:
        total = _bm25(idf, tf_of(None), lengths[2], stats.avg[2])
        if total <= 0:
            return 0.0
        for weight, boost in BOOSTS:
            i = _LENGTHS[weight]
            total += boost * _bm25(idf, tf_of(weight), lengths[i], stats.avg[i])
        return total

    if isinstance(alt, Term):
        score = 0.0
        whole = row.get(alt.stem)
        if whole is not None:
            score += fields(lambda w: _field_tf(whole, w), stats.idf(alt.stem))
        if alt.parts and all(p in row for p in alt.parts):  # tantivy boosts the whole word only
            score += sum(
                _bm25(stats.idf(p), _field_tf(row[p], None), lengths[2], stats.avg[2]) for p in alt.parts
            )
        return score
    if isinstance(alt, Prefix):
        found = [w for lex, w in row.items() if lex.startswith(alt.prefixes)]
        if not found:
            return 0.0
        return 1.0 + sum(boost for weight, boost in BOOSTS if any(weight in w for w in found))
    words = [term for _, term in alt.terms]
    if not all(w in row for w in words):
        return 0.0
    idf = sum(stats.idf(w) for w in words)
    return fields(lambda weight: min(_field_tf(row[w], weight) for w in words), idf)


def score(clauses: list[Clause], row: Weights, lengths: tuple[int, int, int], stats: Stats) -> float:
    """The sum over every clause's matching alternatives (what tantivy's boolean query adds up)."""
    return sum(score_alternative(alt, row, lengths, stats) for clause in clauses for alt in clause)


class PostgresBackend:
    name = "postgres"

    def __init__(self, table: str = TABLE, using: str = "default", *, rum: bool = True) -> None:
        """``rum=False``: GIN only, as without the extension (to compare, and to test that path)."""
        if not table.replace("_", "").isalnum():
            raise SearchError(f"bad table name {table!r}")
        self.table = table
        self.using = using
        self._ready = False
        self._want_rum = rum
        self.rum: bool | None = None  # None: not known yet (the first use finds out)
        self._shares: tuple[float, dict[str, float], int] | None = None
        self._collection: tuple[float, Stats, int, dict[str, float]] | None = (
            None  # (when, stats, pages, shares)
        )

    # ---------------------------------------------------------------- connection and table

    def _connection(self) -> Any:
        from django.db import connections

        conn = connections[self.using]
        if conn.vendor != "postgresql":
            raise SearchError(
                "the postgres search backend needs a PostgreSQL database "
                f"(the {self.using!r} database is {conn.vendor}); set PLEK_SEARCH_BACKEND=tantivy"
            )
        return conn

    def _rum_available(self, cursor: Any) -> bool:
        """Whether the RUM extension is (or can be) installed in this database."""
        from django.db import DatabaseError, transaction

        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'rum'")
        if cursor.fetchone() is not None:
            return True
        reason = "it is not installed on the database server (Debian: apt install postgresql-15-rum)"
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")
        if cursor.fetchone() is not None:
            try:
                with transaction.atomic(using=self.using):
                    cursor.execute("CREATE EXTENSION IF NOT EXISTS rum")
                return True
            except DatabaseError as exc:
                reason = f"CREATE EXTENSION rum failed ({str(exc).strip()}); a superuser can run it once"
        logger.warning(
            "search: PostgreSQL extension rum not available: %s. Falling back to a GIN index, ranking "
            "every match with ts_rank_cd before BM25 (slow on broad queries at 100,000+ documents).",
            reason,
        )
        return False

    def _create(self, cursor: Any) -> None:
        t = self.table
        cursor.execute(f"""
            CREATE TABLE IF NOT EXISTS {t} (
                key text PRIMARY KEY,
                type text NOT NULL,
                id bigint NOT NULL,
                slug text NOT NULL DEFAULT '',
                title text NOT NULL DEFAULT '',
                summary text NOT NULL DEFAULT '',
                body text NOT NULL DEFAULT '',
                tokens tsvector NOT NULL,
                themes text[] NOT NULL DEFAULT '{{}}',
                regions text[] NOT NULL DEFAULT '{{}}',
                scale text NOT NULL DEFAULT '',
                kind text NOT NULL DEFAULT '',
                year integer,
                language text NOT NULL DEFAULT '',
                date date,
                visibility text[] NOT NULL DEFAULT '{{}}'
            )""")
        # Columns added since the table's first version, each only when missing (an ALTER TABLE takes the
        # table's strongest lock, even when it changes nothing): the token counts for BM25 (2025), and
        # two columns PostgreSQL derives from the row (2026; adding them rewrites the table once), the
        # head vector and the sample bucket (see HEAD_MIN_DF and SAMPLE_LEVELS).
        added = {
            **dict.fromkeys(("len_title", "len_summary", "len_text"), "integer NOT NULL DEFAULT 0"),
            "head": "tsvector GENERATED ALWAYS AS (ts_filter(tokens, '{a,b}')) STORED",
            "bucket": f"smallint GENERATED ALWAYS AS ((hashtext(key) & {BUCKETS - 1})::smallint) STORED",
        }
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
            [t],
        )
        present = {name for (name,) in cursor.fetchall()}
        for column, definition in added.items():
            if column not in present:
                cursor.execute(f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {column} {definition}")
        self.rum = self._want_rum and self._rum_available(cursor)
        # Indexes of earlier versions (until 2026-12): the samples' RUM indexes `_sample<b>` (their GIN
        # indexes find and count, see MATCH) and one on visibility (see `_filters`)
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s)",
            [[f"{t}_sample{b}" for b in self.sample_indexes()] + [f"{t}_visibility"]],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
        self._build_text_index(cursor)
        for column in ("themes", "regions"):
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {t}_{column} ON {t} USING gin ({column}) WITH (fastupdate = off)"
            )
        # GIN's fast update collects new entries in a pending list that every search reads through until
        # a vacuum merges it: after indexing 100,000 documents a region filter's bitmap took 18.7 ms
        # instead of 2.0. Written in small batches through the outbox, this table does better without it.
        # (altered only where still on: an ALTER on every process's first search would churn the catalog)
        cursor.execute(
            "SELECT relname FROM pg_class WHERE oid = ANY(%s::regclass[]) "
            "AND NOT coalesce(reloptions @> '{fastupdate=off}', false)",
            [self._gin_indexes()],
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f"ALTER INDEX {name} SET (fastupdate = off)")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_date ON {t} (date DESC NULLS LAST, key)")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_bucket ON {t} (bucket)")
        # Filters beside the words: with these the planner ANDs a filter's bitmap with the text
        # index's instead of fetching every match to test it (a word and a year: 340 ms -> 20 ms).
        for column in ("year", "type", "scale", "kind"):
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_{column} ON {t} ({column})")

    def _gin_indexes(self) -> list[str]:
        """The GIN indexes (kept without fast update): the filters', the words' and the samples'."""
        return [
            f"{self.table}_{c}"
            for c in ("themes", "regions", "tokens", *(f"words{b}" for b in self.sample_indexes()))
        ]

    def ensure(self) -> int:
        """Create the table and its indexes (RUM when available) and fill the field lengths of rows
        indexed before they existed; the number of rows filled. For the migration."""

        def work(cursor: Any) -> int:
            cursor.execute(f"""
                UPDATE {self.table} SET (len_title, len_summary, len_text) = (
                    SELECT count(*) FILTER (WHERE w = 'A'), count(*) FILTER (WHERE w = 'B'), count(*)
                    FROM unnest(tokens) u, unnest(u.weights) w)
                WHERE len_text = 0 AND length(tokens) > 0""")  # noqa: S608  # nosec B608 # table name checked in __init__
            filled = int(cursor.rowcount or 0)
            for name in self._gin_indexes():
                # what an index made with fast update still holds in its pending list (see `_create`)
                cursor.execute("SELECT gin_clean_pending_list(%s::regclass)", [name])
            return filled

        self._ready = False
        return self._run(work)

    def _run(self, work: Callable[[Any], T]) -> T:
        """Run ``work(cursor)`` in a transaction (a savepoint inside the caller's), creating the table on
        first use, and once more if it has gone meanwhile (a rolled-back transaction, a dropped table)."""
        from django.db import ProgrammingError, transaction

        conn = self._connection()
        for attempt in (1, 2):
            try:
                with transaction.atomic(using=self.using), conn.cursor() as cursor:
                    if not self._ready:
                        self._create(cursor)
                    result = work(cursor)
                self._ready = True
                return result
            except ProgrammingError as exc:
                missing = getattr(exc.__cause__, "sqlstate", None) == "42P01"  # undefined_table
                if not missing or attempt == 2:
                    raise
                self._ready = False
        raise AssertionError("unreachable")

    # ---------------------------------------------------------------- writing

    def _row(self, d: SearchDoc) -> tuple[Any, ...]:
        body = (d.body or "")[:BODY_CHARS]
        vector, lengths = _vector(d.title or "", d.summary or "", body)
        return (
            d.key,
            d.type,
            d.id,
            d.slug or "",
            d.title or "",
            d.summary or "",
            body,
            vector,
            *lengths,
            clean_list(d.themes),
            clean_list(d.regions),
            d.scale or "",
            d.kind or "",
            d.year,
            d.language or "",
            d.date,
            clean_list(d.visibility_keys),
        )

    def _changed(self) -> None:
        """Written in this process: the collection statistics are read anew."""
        self._collection = None

    def index(self, docs: Iterable[SearchDoc]) -> None:
        cols = ", ".join(_COLUMNS)
        values = ", ".join("%s::tsvector" if c == "tokens" else "%s" for c in _COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS if c != "key")
        sql = f"INSERT INTO {self.table} ({cols}) VALUES ({values}) ON CONFLICT (key) DO UPDATE SET {updates}"  # noqa: S608 - table name checked in __init__  # nosec B608
        batch: dict[str, tuple[Any, ...]] = {}

        def flush() -> None:
            if batch:
                rows = list(batch.values())
                self._run(lambda cursor: cursor.executemany(sql, rows))
                batch.clear()

        written, bulk = 0, False
        empty = self._scalar(f"SELECT count(*) FROM (SELECT 1 FROM {self.table} LIMIT 1) s", []) == 0  # noqa: S608  # nosec B608 # table name checked in __init__
        try:
            for d in docs:
                batch[d.key] = self._row(d)  # the last version of a key in a batch wins
                written += 1
                if len(batch) >= BATCH:
                    flush()
                if empty and written == BULK_AFTER:
                    # a full (re)index: building the text indexes once at the end is several times
                    # faster than keeping them up to date row by row
                    bulk = True
                    self._run(self._drop_text_indexes)
            flush()
        finally:
            if bulk:
                self._run(self._build_text_index)
        self._changed()
        if written >= ANALYZE_AFTER:  # fresh statistics for the planner and for more_like_this
            self._run(lambda cursor: cursor.execute(f"ANALYZE {self.table}"))
            self._shares = None

    def _build_text_index(self, cursor: Any) -> None:
        """The text indexes: GIN on the vector and on its samples (to find and count matches, see
        MATCH), and with RUM the ordered indexes on the whole vector and on the head vector."""
        t = self.table
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {t}_tokens ON {t} USING gin (tokens) WITH (fastupdate = off)"
        )
        for buckets in self.sample_indexes():
            cursor.execute(
                f"CREATE INDEX IF NOT EXISTS {t}_words{buckets} ON {t} USING gin (tokens) "
                f"WITH (fastupdate = off) WHERE bucket < {buckets}"
            )
        if self.rum:
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_rum ON {t} USING rum (tokens rum_tsvector_ops)")
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_head ON {t} USING rum (head rum_tsvector_ops)")

    @staticmethod
    def sample_indexes() -> list[int]:
        """The bucket counts (levels) that have a partial text index."""
        return sorted({b for _, b in SAMPLE_LEVELS} | set(COARSE_LEVELS))

    def _drop_text_indexes(self, cursor: Any) -> None:
        names = ["rum", "head", "tokens", *(f"words{b}" for b in self.sample_indexes())]
        for name in names:
            cursor.execute(f"DROP INDEX IF EXISTS {self.table}_{name}")

    def delete(self, keys: Iterable[str]) -> None:
        keys = [k for k in keys if k]
        if keys:
            self._run(lambda cursor: cursor.execute(f"DELETE FROM {self.table} WHERE key = ANY(%s)", [keys]))  # noqa: S608 - table name checked in __init__  # nosec B608
            self._changed()

    def clear(self) -> None:
        # TRUNCATE, not DELETE: a full reindex follows, and DELETE would leave the old rows as bloat
        self._run(lambda cursor: cursor.execute(f"TRUNCATE {self.table}"))
        self._changed()

    def count(self) -> int:
        return self._scalar(f"SELECT count(*) FROM {self.table}", [])  # noqa: S608 - table name checked in __init__  # nosec B608

    def fingerprints(self) -> dict[str, str]:
        def work(cursor: Any) -> dict[str, str]:
            cursor.execute(f"SELECT key, title, visibility FROM {self.table}")  # noqa: S608  # nosec B608 # table name checked in __init__
            return {key: doc_fingerprint(title, vis) for key, title, vis in cursor.fetchall()}

        return self._run(work)

    def healthy(self) -> bool:
        try:
            self.count()
            return True
        except Exception:
            return False

    def size_bytes(self) -> int:
        return self._scalar("SELECT pg_total_relation_size(%s::regclass)", [self.table])

    def _scalar(self, sql: str, params: list[Any]) -> int:
        def work(cursor: Any) -> int:
            cursor.execute(sql, params)
            return int(cursor.fetchone()[0])

        return self._run(work)

    # ---------------------------------------------------------------- statistics

    def _read_shares(self, cursor: Any) -> tuple[dict[str, float], int]:
        """Share of rows holding each common lexeme, and the row estimate, from the planner's statistics
        (ANALYZE keeps the most common elements of a tsvector column). A small table is counted
        exactly, as `_statistics` does: its planner statistics may describe rows long gone (a large
        collection analysed, then cleared and filled with a few documents)."""
        t = self.table
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {t} LIMIT %s) s", [EXACT_STATS_ROWS])  # noqa: S608  # nosec B608 # table name checked in __init__
        (small,) = cursor.fetchone()
        if 0 < small < EXACT_STATS_ROWS:
            whole = f"SELECT tokens FROM {t}"  # noqa: S608  # nosec B608 # table name checked in __init__
            cursor.execute("SELECT word, ndoc FROM ts_stat(%s)", [whole])
            return {word: ndoc / small for word, ndoc in cursor.fetchall()}, int(small)
        cursor.execute(
            "SELECT s.most_common_elems::text::text[], s.most_common_elem_freqs, c.reltuples::bigint "
            "FROM pg_class c LEFT JOIN pg_stats s ON s.schemaname = current_schema() "
            "AND s.tablename = c.relname AND s.attname = 'tokens' "
            "WHERE c.oid = %s::regclass",
            [self.table],
        )
        row = cursor.fetchone()
        if row is None:
            return {}, 0
        elems, freqs, n_rows = row
        return dict(zip(elems or [], freqs or [], strict=False)), int(n_rows or 0)

    def _lexeme_shares(self) -> tuple[dict[str, float], int]:
        """Document frequencies for "more like this" (shares of rows), cached for a few minutes."""
        now = time.monotonic()
        if self._shares is not None and now - self._shares[0] < STATS_TTL:
            return self._shares[1], self._shares[2]
        shares, n_rows = self._run(self._read_shares)
        if n_rows <= 0:
            n_rows = self.count()
        self._shares = (now, shares, n_rows)
        return shares, n_rows

    def _statistics(self, cursor: Any, lexemes: Iterable[str] = ()) -> tuple[Stats, int]:
        """The collection's statistics for BM25 (with the document frequencies of ``lexemes``) and the
        table's size in pages. A small table is counted exactly; a large one from the planner's
        statistics and a sample. Cached for a few minutes, and until this process writes."""
        now = time.monotonic()
        if self._collection is None or now - self._collection[0] > STATS_TTL:
            t = self.table
            cursor.execute(
                "SELECT reltuples::bigint, pg_relation_size(oid) / current_setting('block_size')::int "
                "FROM pg_class WHERE oid = %s::regclass",
                [t],
            )
            reltuples, pages = cursor.fetchone()
            shares: dict[str, float] = {}
            if reltuples < EXACT_STATS_ROWS:  # -1: never analysed
                cursor.execute(
                    f"SELECT count(*), avg(len_title), avg(len_summary), avg(len_text) FROM {t}"  # noqa: S608  # nosec B608 # table name checked in __init__
                )
                n, *avg = cursor.fetchone()
                common = self._read_shares(cursor)[0]  # not for frequencies: those are counted here
            else:
                share = min(100.0, 100.0 * EXACT_STATS_ROWS / reltuples)
                cursor.execute(
                    f"SELECT avg(len_title), avg(len_summary), avg(len_text) FROM {t} TABLESAMPLE SYSTEM (%s)",  # noqa: S608  # nosec B608 # table name checked in __init__
                    [share],
                )
                n, avg = reltuples, list(cursor.fetchone())
                shares = common = self._read_shares(cursor)[0]
            stats = Stats(int(n), (float(avg[0] or 0), float(avg[1] or 0), float(avg[2] or 0)), common=common)
            self._collection = (now, stats, max(int(pages), 1), shares)
        _, stats, pages, shares = self._collection
        missing = [lex for lex in lexemes if lex not in stats.df]
        counted = []
        for lex in missing:
            if lex in shares:
                stats.df[lex] = max(1, round(shares[lex] * stats.n_docs))
            else:
                counted.append(lex)
        buckets = self.sample_level(stats.n_docs)
        if counted and buckets is not None:  # from the sample first (its partial index): cheap for any word
            cursor.execute(
                f"SELECT lex, (SELECT count(*) FROM {self.table} "  # noqa: S608  # nosec B608 # table name checked in __init__
                f"WHERE tokens @@@ lit::tsquery AND bucket < {int(buckets)}) "
                "FROM unnest(%s::text[], %s::text[]) x(lex, lit)",
                [counted, [_lexeme(lex) for lex in counted]],
            )
            for lex, n in cursor.fetchall():
                if n >= SAMPLE_MIN:
                    stats.df[lex] = round(n * BUCKETS / buckets)
            counted = [lex for lex in counted if lex not in stats.df]
        if counted:  # rare words (not among the planner's most common elements): counted, capped
            cap = DF_CAP if shares else stats.n_docs + 1
            cursor.execute(
                f"SELECT lex, (SELECT count(*) FROM (SELECT 1 FROM {self.table} "  # noqa: S608  # nosec B608 # table name checked in __init__
                "WHERE tokens @@@ lit::tsquery LIMIT %s) s) FROM unnest(%s::text[], %s::text[]) x(lex, lit)",
                [cap, counted, [_lexeme(lex) for lex in counted]],
            )
            for lex, n in cursor.fetchall():
                stats.df[lex] = int(n)
        return stats, pages

    # ---------------------------------------------------------------- reading

    @staticmethod
    def _filters(q: SearchQuery) -> tuple[list[str], list[Any]]:
        where: list[str] = []
        params: list[Any] = []

        def any_of(column: str, values: list[str] | None, array: bool) -> None:
            if values is None:
                return
            vals = [str(v) for v in values if v is not None and v != ""]
            where.append(f"{column} && %s::text[]" if array else f"{column} = ANY(%s::text[])")
            params.append(vals)

        any_of("type", q.types, False)
        any_of("themes", q.themes, True)
        any_of("regions", q.regions, True)
        for column, value in (("scale", q.scale), ("kind", q.kind), ("language", q.language)):
            if value:
                where.append(f"{column} = %s")
                params.append(value)
        if q.year is not None:
            where.append("year = %s")
            params.append(int(q.year))
        if q.viewer_keys is not None:
            # not indexed: what a viewer may see is most of the table (public, and members' for anyone
            # signed in), and with an index the planner ANDed a bitmap of 92,000 of 100,000 rows into
            # every search (14 ms of a 38 ms count); tested on the matches instead
            any_of("visibility", q.viewer_keys, True)
        return where, params

    def _hits(
        self,
        rows: list[tuple[Any, ...]],
        parsed: ParsedQuery | None,
        scores: list[float],
        snippets: bool = True,
    ) -> list[SearchHit]:
        return [
            SearchHit(
                key=key,
                type=type_,
                id=id_,
                slug=slug,
                title=title,
                score=rank,
                snippet=snippet([summary, body], parsed) if snippets else "",
                texts=("", "") if snippets else (summary, body),
                regions=list(regions),
                themes=list(themes),
                date=date,
                kind=kind,
                scale=scale,
            )
            for (
                key,
                type_,
                id_,
                slug,
                title,
                summary,
                body,
                regions,
                themes,
                date,
                kind,
                scale,
            ), rank in zip(rows, scores, strict=True)
        ]

    _HIT_COLUMNS = "key, type, id, slug, title, summary, body, regions, themes, date, kind, scale"

    def _rows(
        self, cursor: Any, keys: list[str], where: Sequence[str] = (), params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]:
        """The hit columns of ``keys`` (those that also meet ``where``), in that order."""
        if not keys:
            return []
        cond = " AND ".join(["key = ANY(%s)", *where])
        cursor.execute(f"SELECT {self._HIT_COLUMNS} FROM {self.table} WHERE {cond}", [keys, *params])  # noqa: S608  # nosec B608 # table name checked in __init__; values are parameters
        by_key = {row[0]: row for row in cursor.fetchall()}
        return [by_key[k] for k in keys if k in by_key]

    _FACET_COLUMNS = "type, themes, regions, scale, kind, year, language"  # what `_facet_parts` counts
    _HEAD_ALL = ", head @@ %s::tsquery AS head_all"  # and, for HEAD_ALL, whether the head holds every word

    @staticmethod
    def _facet_parts(facets: bool, head: bool = False) -> list[str]:
        """The parts of a count-and-facets statement over its matches ``m``; with ``head``, also how many
        of them hold the head query (``m.head_all``, see HEAD_ALL)."""
        parts = ["SELECT 'total', NULL, count(*) FROM m"]
        if head:
            parts.append("SELECT 'head', NULL, count(*) FROM m WHERE head_all")
        if facets:
            parts += [
                "SELECT 'type', type, count(*) FROM m GROUP BY type",
                "SELECT 'theme', v, count(*) FROM m, unnest(themes) v GROUP BY v",
                "SELECT 'region', v, count(*) FROM m, unnest(regions) v GROUP BY v",
                "SELECT 'scale', scale, count(*) FROM m WHERE scale <> '' GROUP BY scale",
                "SELECT 'kind', kind, count(*) FROM m WHERE kind <> '' GROUP BY kind",
                "SELECT 'year', year::text, count(*) FROM m WHERE year IS NOT NULL GROUP BY year",
                "SELECT 'language', language, count(*) FROM m WHERE language <> '' GROUP BY language",
            ]
        return parts

    @staticmethod
    def _tally(found: list[tuple[Any, ...]]) -> tuple[int, int, int, dict[str, dict[str, int]]]:
        """(total, last block, matches holding the head query, facet counts) of a count-and-facets
        statement's rows."""
        total, block, head, counts = 0, 0, 0, {}  # type: tuple[int, int, int, dict[str, dict[str, int]]]
        for facet, value, n in found:
            if facet == "total":
                total = int(n)
            elif facet == "block":
                block = int(n)
            elif facet == "head":
                head = int(n)
            else:
                counts.setdefault(facet, {})[value] = int(n)
        return total, block, head, counts

    @staticmethod
    def _scaled(
        total: int, counts: dict[str, dict[str, int]], factor: float
    ) -> tuple[int, dict[str, dict[str, int]]]:
        scaled = {
            f: {v: max(1, round(n * factor)) for v, n in values.items()} for f, values in counts.items()
        }
        return max(total, round(total * factor)), scaled

    @staticmethod
    def sample_level(n_docs: int) -> int | None:
        """How many of the BUCKETS a table of ``n_docs`` rows samples (None: too small to sample)."""
        return next((buckets for rows, buckets in SAMPLE_LEVELS if n_docs >= rows), None)

    def _bucket_sample(
        self, cursor: Any, cond: str, params: list[Any], facets: bool, bound: int | None, head: str | None
    ) -> tuple[int, dict[str, dict[str, int]], int] | None:
        """(estimated total, facet counts, matches holding ``head`` in their head) from every match in a
        sample of the table (a level's buckets, through their partial index), scaled to the table; None
        when the table is too small to sample,
        or the query has too few matches for a sample to tell (at most SAMPLE: they are counted).
        ``bound`` is the most matches the words can have (None: no words, every row). Words in many documents are counted in the
        smallest sample expected to hold SAMPLE_TARGET of their matches, others in the table's own;
        when a filter leaves too few there, in a larger sample (at most three statements)."""
        stats, _ = self._statistics(cursor)
        own = self.sample_level(stats.n_docs)
        bound = 1 << 62 if bound is None else bound  # browsing: start from the smallest sample
        if own is None or bound <= SAMPLE:
            return None
        levels = sorted({b for _, b in SAMPLE_LEVELS if b <= own} | {b for b in COARSE_LEVELS if b > own})
        buckets: int | None = next(
            (b for b in levels if b <= own and bound * b >= SAMPLE_TARGET * BUCKETS), own
        )
        for _ in range(3):
            if buckets is None:
                break
            sql = (
                f"WITH m AS MATERIALIZED (SELECT {self._FACET_COLUMNS}{self._HEAD_ALL if head else ''} "  # noqa: S608  # nosec B608 # table name checked in __init__; values are parameters
                f"FROM {self.table} WHERE {cond} AND bucket < {int(buckets)}) "
                + " UNION ALL ".join(self._facet_parts(facets, head is not None))
            )
            cursor.execute(sql, [head, *params] if head else params)
            total, _, in_head, counts = self._tally(cursor.fetchall())
            if total >= SAMPLE_MIN and total * BUCKETS > SAMPLE * buckets:
                return *self._scaled(total, counts, BUCKETS / buckets), round(in_head * BUCKETS / buckets)
            # what the table may hold (generously): more than SAMPLE, so try the first larger sample
            # expected to hold SAMPLE_MIN of them; else they are few enough to count
            most = (total + 2) * BUCKETS / buckets
            if most <= SAMPLE:
                break
            buckets = next((b for b in levels if b > buckets and most * b >= SAMPLE_MIN * BUCKETS), None)
        return None

    def _sample(
        self,
        cursor: Any,
        cond: str,
        params: list[Any],
        facets: bool,
        filtered: bool = False,
        bound: int | None = None,
        head: str | None = None,
    ) -> tuple[int, dict[str, dict[str, int]], bool, int]:
        """(total, facet counts, estimated, matches holding ``head`` (a tsquery) in their head vector,
        estimated alike; 0 without ``head``). A large table (SAMPLE_LEVELS) estimates them from its
        sample when that holds enough matches. Otherwise they are exact up to SAMPLE matches; beyond,
        counted over the first SAMPLE + 1 matches in table order and scaled by the share of the table
        they were found in."""
        sampled = self._bucket_sample(cursor, cond, params, facets, bound, head)
        if sampled is not None:
            return sampled[0], sampled[1], True, sampled[2]
        # synchronize_seqscans is off (set by `_search`): a scan starts at the table's first page
        parts = [
            *self._facet_parts(facets, head is not None),
            "SELECT 'block', NULL, coalesce(max((ctid::text::point)[0]), 0)::bigint FROM m",
        ]
        sql = (
            f"WITH m AS MATERIALIZED (SELECT ctid, {self._FACET_COLUMNS}{self._HEAD_ALL if head else ''} "  # noqa: S608  # nosec B608 # table name checked in __init__; values are parameters
            f"FROM {self.table} WHERE {cond} LIMIT %s) " + " UNION ALL ".join(parts)
        )
        indexed = filtered and "tokens @@" in cond
        if indexed:
            # Words and a filter: through the indexes (a bitmap scan reads the matches in table order,
            # as the estimate below needs). The planner expects the first SAMPLE matches early in the
            # table and scans it row by row, testing every document's words: a word in a fifth of
            # 100,000 documents filtered to one year took 340 ms that way, 20 ms through the text and
            # year indexes. Without a filter, matches of a common word are dense and a scan that stops
            # at SAMPLE is the faster plan.
            cursor.execute("SET LOCAL enable_seqscan = off")
        try:
            cursor.execute(sql, [*([head] if head else []), *params, SAMPLE + 1])
            found = cursor.fetchall()
        finally:
            if indexed:
                cursor.execute("SET LOCAL enable_seqscan = on")  # SET LOCAL outlives our savepoint
        total, block, in_head, counts = self._tally(found)
        if total <= SAMPLE:
            return total, counts, False, in_head
        _, pages = self._statistics(cursor)
        share = min(1.0, (block + 1) / pages)
        factor = max(total, round(total / share)) / total
        estimate, scaled = self._scaled(total, counts, factor)
        return estimate, scaled, True, round(in_head * factor)

    def _ranked(
        self,
        cursor: Any,
        clauses: list[Clause],
        tsquery: str,
        cond: str,
        params: list[Any],
        n: int,
        scorer: Callable[[Weights, tuple[int, int, int], Stats], float],
        matches: int | None = None,
        block: int | None = None,
        estimate: int | None = None,
        head_all: tuple[str, int] | None = None,
    ) -> list[tuple[float, str]]:
        """(score, key) of the best matches, best first: the index's best ``n`` (RUM's ``<=>``, or
        ``ts_rank_cd`` over every match without RUM) re-scored with ``scorer`` within blocks of
        ``block`` in the index's order, so a deeper page (a larger ``n``) never reorders the earlier
        ones: paging shows every hit once. When the number of ``matches`` is known to be at most
        ``block`` every match is scored as one block, found without ordering; so are a prefix query's
        few matches (see ROW_COST). ``head_all``: a query every word of which a document's head must
        hold, and about how many matches do (see HEAD_ALL)."""
        lexemes, prefixes = query_lexemes(clauses)
        stats, _ = self._statistics(cursor, lexemes)
        block = block or n
        order_params: list[str] = []
        if matches is not None and matches <= block:
            order, block = "key", max(n, 1)
        elif (
            matches is not None
            and matches <= SAMPLE
            and any(isinstance(alt, Prefix) for clause in clauses for alt in clause)
            and matches * ROW_COST < sum(self._clause_df(clause, stats) for clause in clauses)
        ):
            # Few matches of a prefix (see ROW_COST): every match is scored, found through GIN. One
            # block, so every page comes from the same order.
            order = "key"
            n = block = max(n, matches)
        elif self.rum:
            # The distance alone: a second sort key (`, key`) keeps PostgreSQL from reading the RUM
            # index in distance order — it then scans and sorts every match (a word in two thirds of
            # 100,000 documents: 244 ms instead of 40). Ties keep the index's own (stable) order.
            order, order_params = "tokens <=> %s::tsquery", [self._order_query(clauses, tsquery, stats)]
        else:
            order, order_params = f"ts_rank_cd('{RANK_WEIGHTS}', tokens, %s::tsquery, 1) DESC, key", [tsquery]
        n = -(-n // block) * block  # whole blocks
        sql = (
            "SELECT key, date, len_title, len_summary, len_text, ARRAY(SELECT u.lexeme || ' ' || "  # nosec B608 # table name checked in __init__; values are parameters
            "array_to_string(u.weights, '') FROM unnest(tokens) u "
            "WHERE u.lexeme = ANY(%s::text[]) OR u.lexeme LIKE ANY(%s::text[])) "
            "FROM {table} WHERE {cond} ORDER BY {order} LIMIT %s"
        )
        wanted = [sorted(lexemes), sorted(p + "%" for p in prefixes)]
        # A small table's candidates ordered by distance and key: a sort by the planner (chosen on small
        # tables) ordered equal distances differently for different LIMITs, so a deeper page saw other
        # candidates before it (hits shown twice, others never). Only there: a second key keeps larger
        # tables from reading the index in distance order (see above), so there a page past the first
        # block can still repeat or skip a hit whose distance ties another's across the block boundary.
        tie = ", key" if stats.n_docs < TIE_BREAK_ROWS else ""
        order += tie if order_params and self.rum else ""
        rows: list[tuple[Any, ...]] = []
        conjunctive = tsquery == tsquery_literal(clauses, True)
        words_first = cond.startswith(MATCH) and bool(params) and params[0] == tsquery
        # the statements ordered by RUM's distance need its operator among their conditions
        rum_cond = RUM_MATCH + cond.removeprefix(MATCH) if words_first else cond
        narrowed = self._narrowed(clauses, stats, n) if self.rum and order_params and conjunctive else None
        narrow = tsquery_literal(narrowed, True) if narrowed is not None else None

        def then(first: list[tuple[Any, ...]], statement: str, args: list[Any]) -> list[tuple[Any, ...]]:
            """``first`` (fewer than n), then the rows of ``statement`` (its LIMIT the last of ``args``,
            widened by ``first``) that are not among them, up to n: a deeper page (a larger n) keeps the
            same candidates in the same order before it."""
            seen = {row[0] for row in first}
            cursor.execute(statement, [*args[:-1], args[-1] + len(first)])
            return first + [row for row in cursor.fetchall() if row[0] not in seen][: n - len(first)]

        def then_whole_text(first: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
            """``first`` (fewer than n), then the rest in the whole text's order."""
            return then(
                first,
                sql.format(table=self.table, cond=rum_cond, order=order),
                [*wanted, *params, *order_params, n],
            )

        # any of the words: the order of head-first candidates (RUM's distance to it weighs title above
        # summary, as BM25's boosts do; to all of the words it is the distance between them)
        any_word = " | ".join(
            [*(_lexeme(x) for x in sorted(lexemes)), *(f"{_lexeme(p)}:*" for p in sorted(prefixes))]
        )
        if (
            head_all is not None
            and head_all[1] >= HEAD_ALL * block  # not n: every page takes the same path
            and words_first
            and self.rum
            and order_params
        ):
            # Every word in the head (see HEAD_ALL): a match whatever the rest of the text holds, so only
            # the filters are tested on the rows
            cursor.execute(
                sql.format(
                    table=self.table,
                    cond=f"head @@ %s::tsquery{cond.removeprefix(MATCH)}",
                    order="head <=> %s::tsquery" + tie,
                ),
                [*wanted, head_all[0], *params[1:], any_word, n],
            )
            rows = cursor.fetchall()
        final = len(rows) >= n  # the candidates are complete: every later source is skipped
        if not final and narrow is not None and words_first:
            # Candidates from the compounds written whole: a compound's parts alternative ("grond" and
            # "water" anywhere for "grondwater") doubles the matches the index must order (27,000
            # instead of 13,000 at 100,000 documents: 112 ms instead of 22), while the documents that
            # hold the whole word hold its parts too and score on both. When the whole words give fewer
            # than `n`, all of them come first and the rest follow from the whole text in its order (so
            # a deeper page keeps the same candidates before it); BM25 below scores them on the full
            # query.
            rows = then(
                rows,
                sql.format(table=self.table, cond=rum_cond, order="tokens <=> %s::tsquery" + tie),
                [*wanted, narrow, *params[1:], self._order_query(narrowed or [], narrow, stats, clauses), n],
            )
            if len(rows) < n:
                rows = then_whole_text(rows)
            final = True
        # One word or prefix, or several words (a phrase, or a prefix among other words, needs the whole
        # text to tell a match): see HEAD_MIN_DF.
        words_only = all(isinstance(alt, Term) for clause in clauses for alt in clause)
        single = len(clauses) == 1 and not any(isinstance(alt, Phrase) for alt in clauses[0])
        # a head holding any of the single clause's words holds the clause (a compound's part does not)
        head_implies = words_first and all(
            isinstance(alt, Prefix) or (isinstance(alt, Term) and not alt.parts) for alt in clauses[0]
        )
        # A phrase alone: the documents with the phrase itself in title or summary first (see HEAD_MIN_DF),
        # when the matches left by the filters are expected to fill the candidates from there (the heads
        # hold about a quarter of a phrase's matches)
        phrase = (
            words_first
            and len(clauses) == 1
            and all(isinstance(alt, Phrase) for alt in clauses[0])
            and estimate is not None
            and estimate >= PHRASE_HEAD_MATCHES * block  # not n: every page takes the same path
        )
        broad = (
            conjunctive
            and estimate is not None
            and (
                ((single or phrase) and self._clause_df(clauses[0], stats) >= HEAD_MIN_DF)
                or (words_only and len(clauses) > 1 and self._spread_together(clauses, stats))
            )
        )
        if not final and self.rum and order_params and broad:
            # Candidates with a word in title or summary first (see HEAD_MIN_DF), ordered by the head's
            # distance to any of the words. When those are fewer than `n`, all of them come first and
            # the rest follow from the whole text in its order: a deeper page (a larger `n`) keeps the
            # same candidates in the same order before it, so paging stays stable.
            anyword = tsquery if phrase else any_word
            if phrase:
                # The planner guesses a phrase's matches far too few (171 for 4,054 in the heads) and
                # sorts a bitmap of every match (35 ms) instead of reading the head in order (5 ms).
                cursor.execute("SET LOCAL enable_bitmapscan = off")
            # The phrase, or one of a single word's forms, in the head is a match: only the filters are
            # tested on the rows. Testing the whole text too costs more than reading each row's vector:
            # the planner takes the two conditions for independent, expects few rows of both and sorts
            # a bitmap of all of them ("Utrecht" at a million documents: 31,000 rows, 204 ms) instead
            # of reading the head in its order (14 ms).
            head_cond, head_params = (
                (cond.removeprefix(MATCH), params[1:])
                if phrase or (single and head_implies)
                else (f" AND {cond}", params)
            )
            try:
                rows = then(
                    rows,
                    sql.format(
                        table=self.table,
                        cond=f"head @@ %s::tsquery{head_cond}",
                        order="head <=> %s::tsquery" + tie,
                    ),
                    [*wanted, anyword, *head_params, anyword, n],
                )
            finally:
                if phrase:
                    cursor.execute("SET LOCAL enable_bitmapscan = on")  # SET LOCAL outlives our savepoint
            if len(rows) < n:
                rows = then_whole_text(rows)
            final = True
        if not final and rows:  # the heads held too few
            rows = then_whole_text(rows)
        elif not final:
            cursor.execute(
                sql.format(
                    table=self.table, cond=rum_cond if self.rum and order_params else cond, order=order
                ),
                [*wanted, *params, *order_params, n],
            )
            rows = cursor.fetchall()
        scored = []
        for i, (key, date, len_title, len_summary, len_text, pairs) in enumerate(rows):
            weights = dict(pair.rsplit(" ", 1) for pair in pairs)
            s = scorer(weights, (len_title, len_summary, len_text), stats)
            scored.append((i // block, -s, -(date.toordinal() if date else 0), key))
        scored.sort()
        return [(-s, key) for _, s, _, key in scored]

    @classmethod
    def _order_query(
        cls, clauses: list[Clause], tsquery: str, stats: Stats, chosen_by: list[Clause] | None = None
    ) -> str:
        """What RUM orders a conjunctive query's matches by: its ORDER_WORDS rarest clauses (see there).
        ``chosen_by``: the query's own clauses, when ``clauses`` are a narrower form of them (see
        _narrowed): a prefix counts as every document, so its root is not chosen where the prefix
        would not be (BM25 gives a prefix a constant; the other words rank)."""
        if not ORDER_WORDS or len(clauses) <= ORDER_WORDS or tsquery != tsquery_literal(clauses, True):
            return tsquery
        by = chosen_by or clauses

        def rarity(i: int) -> tuple[int, bool, int]:  # a word before a prefix as common (cheaper to order)
            prefix = any(isinstance(alt, Prefix) for alt in by[i])
            return (stats.n_docs if prefix else cls._clause_df(clauses[i], stats)), prefix, i

        rarest = sorted(range(len(clauses)), key=rarity)
        return tsquery_literal([clauses[i] for i in sorted(rarest[:ORDER_WORDS])], True)

    @staticmethod
    def _clause_df(clause: Clause, stats: Stats) -> int:
        """About how many documents hold a clause (any of its alternatives), from the known frequencies;
        a prefix counts as every document."""

        def df(alt: Alternative) -> int:
            if isinstance(alt, Term):
                return stats.df.get(alt.stem, 0) + (
                    min(stats.df.get(p, 0) for p in alt.parts) if alt.parts else 0
                )
            if isinstance(alt, Prefix):
                return stats.n_docs
            return min(stats.df.get(term, 0) for _, term in alt.terms)

        return sum(df(alt) for alt in clause)

    @classmethod
    def _together(cls, clauses: list[Clause], stats: Stats) -> float:
        """About how many documents hold every clause, were the words independent (filters aside: they
        make every order read deeper alike)."""
        n = max(stats.n_docs, 1)
        return n * math.prod(min(1.0, cls._clause_df(clause, stats) / n) for clause in clauses)

    @classmethod
    def _spread_together(cls, clauses: list[Clause], stats: Stats) -> bool:
        """Whether several words are in documents enough together for the head path (see HEAD_MIN_DF,
        HEAD_SPREAD)."""
        together = cls._together(clauses, stats)
        postings = sum(cls._clause_df(clause, stats) for clause in clauses)
        return together >= HEAD_MIN_MATCHES and postings <= HEAD_SPREAD * together

    @classmethod
    def _most_matches(cls, clauses: list[Clause], conjunction: bool, stats: Stats) -> int:
        """An upper bound (near enough) of a query's matches: its rarest clause's, or all clauses' together."""
        dfs = [cls._clause_df(clause, stats) for clause in clauses] or [0]
        return min(dfs) if conjunction else sum(dfs)

    @staticmethod
    def _prefix_root(alt: Prefix, common: dict[str, float]) -> str | None:
        """The common word that every common word a prefix begins holds (``stikstof`` for ``stikst*``:
        stikstof, stikstofdepositie; ``kringlop`` for ``kringl*``: kringlop, kringlooplandbouw with its
        part kringlop), or None."""
        if len(alt.prefixes) != 1:
            return None
        words = [lex for lex in common if lex.startswith(alt.prefixes[0])]
        root = min(words, key=len, default=None)
        if root is None:
            return None

        def holds_root(word: str) -> bool:  # "kringlooplandbouw" holds its part "kringlop"
            return word.startswith(root) or any(term == root for term, _ in field_tokens(word, 1))

        return root if all(holds_root(w) for w in words) else None

    @classmethod
    def _narrowed(cls, clauses: list[Clause], stats: Stats, n: int) -> list[Clause] | None:
        """The clauses of the conjunctive query with each common compound by its whole word only (no parts
        alternative), or None when no compound is common enough (its whole word in at least
        NARROW_DF documents and `n`) for the parts to matter to the candidates. Among other words a
        prefix stands for its root (see "Prefix roots" above NARROW_DF), when it has one among the common lexemes."""
        changed = False
        narrowed: list[Clause] = []
        for clause in clauses:
            alts: list[Alternative] = []
            for alt in clause:
                root = (
                    cls._prefix_root(alt, stats.common)
                    if isinstance(alt, Prefix) and len(clauses) > 1
                    else None
                )
                if isinstance(alt, Term) and alt.parts and stats.df.get(alt.stem, 0) >= max(NARROW_DF, n):
                    alts.append(Term(alt.stem))
                    changed = True
                elif root is not None:
                    alts.append(Term(root))
                    changed = True
                else:
                    alts.append(alt)
            narrowed.append(tuple(alts))
        return narrowed if changed else None

    def _informative(self, cursor: Any, alts: Clause, keep: int) -> Clause:
        """The `keep` rarest words of an OR query, in their original order; words that no document
        holds are left out (prefixes and phrases are always kept). As tantivy's."""
        stems = {alt.stem for alt in alts if isinstance(alt, Term)}
        parts = {p for alt in alts if isinstance(alt, Term) for p in alt.parts}
        stats, _ = self._statistics(cursor, stems | parts)
        ranked: list[tuple[int, int, Alternative]] = []
        for i, alt in enumerate(alts):
            if isinstance(alt, Term):
                df = stats.df.get(alt.stem, 0)
                if df == 0 and alt.parts:
                    df = min(stats.df.get(p, 0) for p in alt.parts)
                if df == 0:
                    continue
                ranked.append((df, i, alt))
            else:
                ranked.append((0, i, alt))
        ranked.sort(key=lambda r: (r[0], r[1]))
        chosen = sorted(ranked[:keep], key=lambda r: r[1])
        return tuple(alt for _, _, alt in chosen) or alts

    def _search(
        self, q: SearchQuery, parsed: ParsedQuery, clauses: list[Clause] | None, conjunction: bool = True
    ) -> SearchResult | None:
        offset, limit = page_bounds(q)
        by_date = q.sort == "date" or clauses is None

        def work(cursor: Any) -> SearchResult | None:
            # One statement for the search's settings, local to the transaction (a caller's, when
            # there is one: they last until it ends). synchronize_seqscans off: a scan starts at the
            # table's first page, as the estimate in `_sample` needs.
            cursor.execute(
                "SELECT set_config('work_mem', %s, true), set_config('synchronize_seqscans', 'off', true)",
                [SEARCH_WORK_MEM],
            )
            words = clauses
            where, params = self._filters(q)
            tsquery = None
            if words is not None:
                if not conjunction and q.max_terms:
                    words = [self._informative(cursor, words[0], q.max_terms)]
                tsquery = tsquery_literal(words, conjunction)
                where.insert(0, MATCH)
                params.insert(0, tsquery)
            cond = " AND ".join(where) or "TRUE"
            total, counts, estimated = 0, {}, False  # type: tuple[int, dict[str, dict[str, int]], bool]
            head, in_head = None, 0  # several words ranked: how many matches hold them all in their heads
            if q.count or q.facets or by_date:
                filtered = any(not w.startswith(("tokens @@", "visibility &&")) for w in where)
                bound = None
                if words is not None:
                    stats, _ = self._statistics(cursor, query_lexemes(words)[0])
                    bound = self._most_matches(words, conjunction, stats)
                    if conjunction and len(words) > 1 and not by_date and self.rum:  # see HEAD_ALL
                        head = whole_words(words, stats.df)
                total, counts, estimated, in_head = self._sample(
                    cursor, cond, params, q.facets, filtered, bound, head
                )
                if total == 0:
                    return None
            if by_date:
                # Matches few for the table (see DATE_SORT): found through the indexes, then sorted,
                # instead of walking the date index and testing every row on the way.
                page_end, n_docs = offset + limit, self._statistics(cursor)[0].n_docs
                few = (not estimated and total <= SAMPLE) or total * total < DATE_SORT * page_end * n_docs
                source = (
                    f"(SELECT {self._HIT_COLUMNS} FROM {self.table} WHERE {cond} OFFSET 0) m"  # noqa: S608  # nosec B608 # table name checked in __init__; values are parameters
                    if few
                    else f"{self.table} WHERE {cond}"
                )
                cursor.execute(
                    f"SELECT {self._HIT_COLUMNS} FROM {source} "  # noqa: S608  # nosec B608 # table name checked in __init__; values are parameters
                    "ORDER BY date DESC NULLS LAST, key LIMIT %s OFFSET %s",
                    [*params, limit, offset],
                )
                rows = cursor.fetchall() if limit else []
                scores = [0.0] * len(rows)
            else:
                if words is None or tsquery is None:  # by_date covers browsing without words
                    raise RuntimeError("a ranked search needs words")
                block = CANDIDATES if conjunction else CANDIDATES_ANY
                n = max(block, offset + limit)
                ranked = self._ranked(
                    cursor,
                    words,
                    tsquery,
                    cond,
                    params,
                    n,
                    lambda w, lengths, s: score(words, w, lengths, s),
                    None if estimated or not (q.count or q.facets) else total,
                    block,
                    total if estimated else None,
                    (head, in_head) if head else None,
                )
                if not ranked:
                    return None
                page = ranked[offset : offset + limit]
                rows = self._rows(cursor, [key for _, key in page])
                scores = [s for s, _ in page]
                if not q.count and not q.facets:
                    total = len(rows)
            hits = self._hits(rows, parsed, scores, q.snippets)
            facets = sort_facets(counts) if q.facets else empty_facets()
            return SearchResult(hits=hits, total=total, facets=facets, estimated=estimated)

        return self._run(work)

    def query(self, q: SearchQuery) -> SearchResult:
        freshness.depends_on(*freshness.index_topics(q.types))  # a cached page moves on with the index
        parsed = parse_query(q.text)
        empty = SearchResult(hits=[], total=0, facets=empty_facets())
        if parsed.nothing or q.viewer_keys == []:
            return empty
        if parsed.browse:
            return self._search(q, parsed, None) or empty
        if q.match == "any":
            return self._search(q, parsed, parsed.relaxed(), conjunction=False) or empty
        found = self._search(q, parsed, parsed.clauses)
        if found is None and len(parsed.clauses) > 1:
            found = self._search(q, parsed, parsed.relaxed(), conjunction=False)
            if found is not None:
                found.relaxed = True
        return found or empty

    def documents(self, keys: Sequence[str], viewer_keys: list[str] | None) -> list[SearchHit]:
        wanted = list(dict.fromkeys(keys))
        freshness.depends_on(*freshness.index_topics(sorted({key.partition(":")[0] for key in wanted})))
        if not wanted or viewer_keys == []:
            return []
        where, params = self._filters(SearchQuery(viewer_keys=viewer_keys))
        rows = self._run(lambda cursor: self._rows(cursor, wanted, where, params))
        return self._hits(rows, None, [0.0] * len(rows), snippets=False)

    def more_like_this(self, key: str, q: SearchQuery, limit: int = 5) -> list[SearchHit]:
        freshness.depends_on(*freshness.index_topics(q.types))
        if q.viewer_keys == [] or limit <= 0:
            return []

        def source(cursor: Any) -> tuple[Any, ...] | None:
            sql = f"SELECT title, summary, body, themes, visibility FROM {self.table} WHERE key = %s"  # noqa: S608  # nosec B608 # table name checked in __init__; key is a parameter
            cursor.execute(sql, [key])
            return cursor.fetchone()

        row = self._run(source)
        if row is None:
            return []
        title, summary, body, themes, visibility = row
        if q.viewer_keys is not None and not set(visibility) & set(q.viewer_keys):
            return []
        shares, n_docs = self._lexeme_shares()
        weighted = related_terms(title, summary, body, shares.get, n_docs)
        terms = [t for _, t in weighted]
        where, params = self._filters(q)
        theme_set = set(themes)

        def bonus(key_themes: Iterable[str]) -> float:  # sharing a theme adds a little, as tantivy
            return 0.2 * len(theme_set.intersection(key_themes))

        if not terms and not themes:
            return []

        def related(cursor: Any) -> list[SearchHit]:
            if terms:
                tsquery = " | ".join(_lexeme(t) for t in terms)
                cond = " AND ".join([MATCH, "key <> %s", *where])
                clauses: list[Clause] = [tuple(Term(t) for t in terms)]
                weight = {t: w for w, t in weighted}

                def scorer(row: Weights, lengths: tuple[int, int, int], stats: Stats) -> float:
                    return sum(
                        weight[t] * _bm25(stats.idf(t), len(row[t]), lengths[2], stats.avg[2])
                        for t in terms
                        if t in row
                    )

                ranked = self._ranked(
                    cursor, clauses, tsquery, cond, [tsquery, key, *params], CANDIDATES, scorer
                )
                rows = {r[0]: r for r in self._rows(cursor, [k for _, k in ranked[: limit * 4]])}
                scored = sorted(
                    ((s + bonus(rows[k][8]), rows[k]) for s, k in ranked if k in rows),
                    key=lambda sr: (-sr[0], -(sr[1][9].toordinal() if sr[1][9] else 0), sr[1][0]),
                )[:limit]
            else:
                cond = " AND ".join(["themes && %s::text[]", "key <> %s", *where])
                cursor.execute(
                    f"SELECT {self._HIT_COLUMNS} FROM {self.table} WHERE {cond} "  # noqa: S608  # nosec B608 # table name checked in __init__; values are parameters
                    "ORDER BY date DESC NULLS LAST, key LIMIT %s",
                    [list(themes), key, *params, CANDIDATES],
                )
                scored = sorted(
                    ((bonus(r[8]), r) for r in cursor.fetchall()),
                    key=lambda sr: (-sr[0], -(sr[1][9].toordinal() if sr[1][9] else 0), sr[1][0]),
                )[:limit]
            return self._hits(
                [r for _, r in scored], ParsedQuery(terms=frozenset(terms)), [s for s, _ in scored]
            )

        return self._run(related)
