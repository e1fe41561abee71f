"""Search in the platform's own PostgreSQL database (the shared-index option).

A table of derived state, created on first use, holds one row per document with a ``tsvector`` built
from the same Python analysis as the tantivy index (so both backends find the same things): lexemes
are our stems and compound-part stems at the word's position, weighted A (title), B (summary) and
C (body). Queries are ``tsquery`` values built from the same parsed query (``&`` / ``|``, phrases with
``<N>``, prefixes with ``:*``), passed as typed literals so PostgreSQL does not re-parse our lexemes;
ranked with ``ts_rank_cd``. Facets are GROUP BY / unnest over the same filtered set, visibility
included. Snippets are made in Python from the stored text, like tantivy's.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from plek.core import freshness
from plek.knowledge.search.analysis import field_tokens
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
    parse_query,
    related_terms,
    snippet,
)

TABLE = "plek_search_doc"
BODY_CHARS = 200_000
MAX_POS = 16383  # PostgreSQL's largest tsvector position
MAX_POSITIONS = 256  # positions kept per lexeme
FIELD_GAP = 10  # positions between title, summary and body, so phrases do not cross fields
RANK_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D, C (body), B (summary), A (title)
BATCH = 1000
STATS_TTL = 300.0  # seconds the lexeme statistics are reused
ANALYZE_AFTER = 10_000  # rows written in one index() call after which the table is analysed

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
    "themes",
    "regions",
    "scale",
    "kind",
    "year",
    "language",
    "date",
    "visibility",
)


def tsvector_literal(title: str, summary: str, body: str) -> str:
    """The tsvector (text form) of a document: lexeme -> positions with field weights."""
    lexemes: dict[str, list[str]] = {}
    pos = 1
    for text, weight in ((title, "A"), (summary, "B"), (body, "C")):
        last = pos
        for term, p in field_tokens(text, pos):
            positions = lexemes.setdefault(term, [])
            if len(positions) < MAX_POSITIONS:
                positions.append(f"{min(p, MAX_POS)}{weight}")
            last = p
        pos = last + FIELD_GAP
    return " ".join(f"'{term}':{','.join(positions)}" for term, positions in lexemes.items())


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


class PostgresBackend:
    name = "postgres"

    def __init__(self, table: str = TABLE, using: str = "default") -> None:
        if not table.replace("_", "").isalnum():
            raise SearchError(f"bad table name {table!r}")
        self.table = table
        self.using = using
        self._ready = False
        self._shares: tuple[float, dict[str, float], int] | None = None

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
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_tokens ON {t} USING gin (tokens)")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_themes ON {t} USING gin (themes)")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_regions ON {t} USING gin (regions)")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_visibility ON {t} USING gin (visibility)")
        cursor.execute(f"CREATE INDEX IF NOT EXISTS {t}_date ON {t} (date DESC NULLS LAST, key)")

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
        return (
            d.key,
            d.type,
            d.id,
            d.slug or "",
            d.title or "",
            d.summary or "",
            body,
            tsvector_literal(d.title or "", d.summary or "", body),
            clean_list(d.themes),
            clean_list(d.regions),
            d.scale or "",
            d.kind or "",
            d.year,
            d.language or "",
            d.date,
            clean_list(d.visibility_keys),
        )

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

        written = 0
        for d in docs:
            batch[d.key] = self._row(d)  # the last version of a key in a batch wins
            written += 1
            if len(batch) >= BATCH:
                flush()
        flush()
        if written >= ANALYZE_AFTER:  # fresh statistics for the planner and for more_like_this
            self._run(lambda cursor: cursor.execute(f"ANALYZE {self.table}"))
            self._shares = None

    def delete(self, keys: Iterable[str]) -> None:
        keys = [k for k in keys if k]
        if keys:
            self._run(lambda cursor: cursor.execute(f"DELETE FROM {self.table} WHERE key = ANY(%s)", [keys]))  # noqa: S608 - table name checked in __init__  # nosec B608

    def clear(self) -> None:
        # TRUNCATE, not DELETE: a full reindex follows, and DELETE would leave the old rows as bloat
        self._run(lambda cursor: cursor.execute(f"TRUNCATE {self.table}"))

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

    # ---------------------------------------------------------------- reading

    def _lexeme_shares(self) -> tuple[dict[str, float], int]:
        """Share of rows holding each common lexeme, and the row count, from the planner's statistics
        (ANALYZE keeps the most common elements of a tsvector column): cheap document frequencies for
        "more like this". Cached for a few minutes."""
        now = time.monotonic()
        if self._shares is not None and now - self._shares[0] < STATS_TTL:
            return self._shares[1], self._shares[2]

        def read(cursor: Any) -> tuple[dict[str, float], int]:
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
            return dict(zip(elems or [], freqs or [], strict=False)), max(int(n_rows or 0), 0)

        shares, n_rows = self._run(read)
        if n_rows <= 0:
            n_rows = self.count()
        self._shares = (now, shares, n_rows)
        return shares, n_rows

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
            any_of("visibility", q.viewer_keys, True)
        return where, params

    def _hits(
        self, rows: list[tuple[Any, ...]], parsed: ParsedQuery | None, scored: bool, snippets: bool = True
    ) -> list[SearchHit]:
        return [
            SearchHit(
                key=key,
                type=type_,
                id=id_,
                slug=slug,
                title=title,
                score=float(rank) if scored else 0.0,
                snippet=snippet([summary, body], parsed) if snippets else "",
                texts=("", "") if snippets else (summary, body),
                regions=list(regions),
                themes=list(themes),
                date=date,
                kind=kind,
                scale=scale,
            )
            for key, type_, id_, slug, title, summary, body, regions, themes, date, kind, scale, rank in rows
        ]

    _HIT_COLUMNS = "key, type, id, slug, title, summary, body, regions, themes, date, kind, scale"

    def _facets(self, cursor: Any, where: str, params: list[Any]) -> tuple[int, dict[str, dict[str, int]]]:
        sql = f"""
            WITH m AS MATERIALIZED (SELECT type, themes, regions, scale, kind, year, language
                                    FROM {self.table} WHERE {where})
            SELECT 'total', NULL, count(*) FROM m
            UNION ALL SELECT 'type', type, count(*) FROM m GROUP BY type
            UNION ALL SELECT 'theme', v, count(*) FROM m, unnest(themes) v GROUP BY v
            UNION ALL SELECT 'region', v, count(*) FROM m, unnest(regions) v GROUP BY v
            UNION ALL SELECT 'scale', scale, count(*) FROM m WHERE scale <> '' GROUP BY scale
            UNION ALL SELECT 'kind', kind, count(*) FROM m WHERE kind <> '' GROUP BY kind
            UNION ALL SELECT 'year', year::text, count(*) FROM m WHERE year IS NOT NULL GROUP BY year
            UNION ALL SELECT 'language', language, count(*) FROM m WHERE language <> '' GROUP BY language
            """  # noqa: S608 - table name checked in __init__; values are parameters  # nosec B608
        cursor.execute(sql, params)
        total, counts = 0, {}  # type: tuple[int, dict[str, dict[str, int]]]
        for facet, value, n in cursor.fetchall():
            if facet == "total":
                total = int(n)
            else:
                counts.setdefault(facet, {})[value] = int(n)
        return total, counts

    def _search(self, q: SearchQuery, parsed: ParsedQuery, tsquery: str | None) -> SearchResult | None:
        offset, limit = page_bounds(q)
        where, params = self._filters(q)
        by_date = q.sort == "date" or tsquery is None
        rank = "0"
        rank_params: list[Any] = []
        if tsquery is not None:
            where.insert(0, "tokens @@ %s::tsquery")
            params.insert(0, tsquery)
            rank = f"ts_rank_cd('{RANK_WEIGHTS}', tokens, %s::tsquery, 1)"
            rank_params = [tsquery]
        cond = " AND ".join(where) or "TRUE"
        order = "date DESC NULLS LAST, key" if by_date else "rank DESC, date DESC NULLS LAST, key"

        def work(cursor: Any) -> tuple[int, dict[str, dict[str, int]], list[tuple[Any, ...]]]:
            if q.facets:
                total, counts = self._facets(cursor, cond, params)
            else:
                cursor.execute(f"SELECT count(*) FROM {self.table} WHERE {cond}", params)  # noqa: S608 - table name checked in __init__  # nosec B608
                total, counts = int(cursor.fetchone()[0]), {}
            if total == 0 or not limit:
                return total, counts, []
            sql = (
                f"SELECT {self._HIT_COLUMNS}, {rank} AS rank FROM {self.table} WHERE {cond} ORDER BY {order}"  # noqa: S608  # nosec B608 # table name checked in __init__; values are parameters
            )
            cursor.execute(sql + " LIMIT %s OFFSET %s", [*rank_params, *params, limit, offset])
            return total, counts, cursor.fetchall()

        total, counts, rows = self._run(work)
        if total == 0:
            return None
        facets = sort_facets(counts) if q.facets else empty_facets()
        return SearchResult(
            hits=self._hits(rows, parsed, not by_date, q.snippets), total=total, facets=facets
        )

    def query(self, q: SearchQuery) -> SearchResult:
        freshness.depends_on(*freshness.index_topics(q.types))  # a cached page moves on with the index
        parsed = parse_query(q.text)
        empty = SearchResult(hits=[], total=0, facets=empty_facets())
        if parsed.nothing or q.viewer_keys == []:
            return empty
        if parsed.browse:
            return self._search(q, parsed, None) or empty
        if q.match == "any":
            return self._search(q, parsed, tsquery_literal(parsed.relaxed(), False)) or empty
        found = self._search(q, parsed, tsquery_literal(parsed.clauses, True))
        if found is None and len(parsed.clauses) > 1:
            found = self._search(q, parsed, tsquery_literal(parsed.relaxed(), False))
            if found is not None:
                found.relaxed = True
        return found or empty

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
        if terms:
            tsquery = " | ".join(_lexeme(t) for t in terms)
            where[:0] = ["tokens @@ %s::tsquery"]
            params[:0] = [tsquery]
        elif themes:
            tsquery = "''"
            where[:0] = ["themes && %s::text[]"]
            params[:0] = [list(themes)]
        else:
            return []
        cond = " AND ".join(["key <> %s", *where])

        def related(cursor: Any) -> list[tuple[Any, ...]]:
            rank = (
                f"ts_rank_cd('{RANK_WEIGHTS}', tokens, %s::tsquery, 1) + (themes && %s::text[])::int * 0.05"
            )
            sql = f"SELECT {self._HIT_COLUMNS}, {rank} AS rank FROM {self.table} WHERE {cond}"  # noqa: S608  # nosec B608 # table name checked in __init__; values are parameters
            cursor.execute(
                sql + " ORDER BY rank DESC, date DESC NULLS LAST, key LIMIT %s",
                [tsquery, list(themes), key, *params, limit],
            )
            return cursor.fetchall()

        rows = self._run(related)
        return self._hits(rows, ParsedQuery(terms=frozenset(terms)), True)
