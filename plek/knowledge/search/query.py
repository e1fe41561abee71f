"""From a user's query text to a backend-neutral query, and from stored text to snippets.

Query syntax (forgiving: nothing a user types raises):

* words are AND-ed; a word matches its stem or all of its compound parts;
* ``"natuurinclusief bouwen"`` is a phrase (words adjacent; stopwords inside keep their gap);
* ``kringl*`` is a prefix;
* ``OR`` (upper case) between two words makes them alternatives; ``AND`` is accepted and ignored;
* every other character (``( ) : - + ^ ~``, stray quotes) only separates words.

A text with no letters or digits at all (blank, ``*``, ``"``) is a *browse*: all visible documents
matching the filters, newest first. A text whose words are all stopwords or single letters
(``de het``) finds nothing.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from plek.knowledge.search.analysis import (
    MAX_WORD,
    analyze_word,
    field_tokens,
    fold,
    stem,
    vocabulary_generation,
    word_terms,
    words,
)

MAX_QUERY_CHARS = 1000  # longer input is cut
MAX_CLAUSES = 32
MAX_PHRASE_WORDS = 16
MIN_PREFIX = 2
SNIPPET_CHARS = 200


@dataclass(frozen=True)
class Term:
    """A word: its stem, or (when it is a compound) all of ``parts``."""

    stem: str
    parts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Prefix:
    """Any indexed term starting with one of ``prefixes``."""

    prefixes: tuple[str, ...]


@dataclass(frozen=True)
class Phrase:
    """Stems at fixed relative positions: ((0, "natuurinclusief"), (1, "bouw"))."""

    terms: tuple[tuple[int, str], ...]


Alternative = Term | Prefix | Phrase
Clause = tuple[Alternative, ...]  # any of these


@dataclass
class ParsedQuery:
    clauses: list[Clause] = field(default_factory=list)  # all of these (AND); any of them when relaxed
    browse: bool = False  # no searchable text: list everything that passes the filters
    terms: frozenset[str] = frozenset()  # for highlighting
    prefixes: tuple[str, ...] = ()
    _seeds: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    def seeds(self) -> re.Pattern[str] | None:
        """A pattern that finds, fast, every place a matching word may be: each term and prefix cut
        to the part a surface word surely contains (stems may halve a final double vowel)."""
        if self._seeds is None and (self.terms or self.prefixes):
            cut = sorted(
                {t[: max(2, len(t) - 2)] for t in (*self.terms, *self.prefixes)}, key=len, reverse=True
            )
            self._seeds = re.compile("|".join(re.escape(c) for c in cut))
        return self._seeds

    @property
    def nothing(self) -> bool:
        return not self.clauses and not self.browse

    def relaxed(self) -> list[Clause]:
        """The OR version: one clause holding every alternative."""
        alts: list[Alternative] = []
        for clause in self.clauses:
            for alt in clause:
                if alt not in alts:
                    alts.append(alt)
        return [tuple(alts)]


_ITEM = re.compile(r'"([^"]*)"|([^\s"]+)|"')
_EDGE = "()[]{}<>,;:!?.'`+-^~|&=/\\"


def prefix_candidates(word: str) -> tuple[str, ...]:
    """Prefixes to look up for ``word*``: the word, its stem (``woningen*`` -> woning) and the word
    with a final double vowel halved, since the stemmer does that (kringloo* -> kringlo, matching
    the stem kringlop)."""
    out = [word]
    for cand in (stem(word), word[:-1] if re.search(r"(aa|ee|oo|uu)$", word) else ""):
        if len(cand) >= MIN_PREFIX and cand not in out and not any(cand.startswith(o) for o in out):
            out.append(cand)
    # a shorter candidate covers a longer one
    out = [c for c in out if not any(o != c and c.startswith(o) for o in out)]
    return tuple(out)


def _term(word: str) -> Term | None:
    analyzed = analyze_word(word)
    if analyzed is None:
        return None
    return Term(analyzed[0], analyzed[2])


def parsed_once(text: str | None) -> ParsedQuery:
    """`parse_query(text)`, remembered (per version of the added vocabulary) for callers that only
    read what it returns: one matching runs ~20 searches on the same few texts."""
    return _parsed_once(text or "", vocabulary_generation())


@lru_cache(maxsize=512)
def _parsed_once(text: str, _generation: int) -> ParsedQuery:
    return parse_query(text)


def parse_query(text: str | None) -> ParsedQuery:
    text = text or ""
    if len(text) > MAX_QUERY_CHARS:  # cut at a space, so the last word is not cut short
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS + 1)
        text = text[: cut if cut > 0 else MAX_QUERY_CHARS]
    clauses: list[list[Alternative]] = []
    seen: set[Alternative] = set()
    join_next = False
    had_words = False

    def add(alt: Alternative) -> None:
        nonlocal join_next
        if join_next and clauses:
            if alt not in clauses[-1]:
                clauses[-1].append(alt)
        elif alt not in seen and len(clauses) < MAX_CLAUSES:
            clauses.append([alt])
        seen.add(alt)
        join_next = False

    for m in _ITEM.finditer(text):
        quoted, bare = m.group(1), m.group(2)
        if quoted is not None:
            ws = words(quoted)[: MAX_PHRASE_WORDS * 2]
            had_words = had_words or bool(ws)
            analysed = [(i, analyze_word(w)) for i, w in enumerate(ws)]
            kept = [(i, a[0]) for i, a in analysed if a is not None][:MAX_PHRASE_WORDS]
            if len(kept) == 1:
                term = _term(ws[kept[0][0]])
                if term:
                    add(term)
            elif kept:
                first = kept[0][0]
                add(Phrase(tuple((i - first, s) for i, s in kept)))
            continue
        if bare is None:
            continue
        if bare == "OR" or bare == "|" or bare == "||":
            join_next = bool(clauses)
            continue
        if bare in ("AND", "&&", "NOT", "+", "-"):
            continue
        item = bare.strip(_EDGE)
        is_prefix = item.endswith("*")
        ws = words(item)
        had_words = had_words or bool(ws)
        for n, w in enumerate(ws):
            if len(w) > MAX_WORD:
                continue
            if is_prefix and n == len(ws) - 1 and len(w) >= MIN_PREFIX:
                add(Prefix(prefix_candidates(w)))
            else:
                term = _term(w)
                if term:
                    add(term)
    parsed = ParsedQuery(clauses=[tuple(c) for c in clauses])
    if not parsed.clauses:
        parsed.browse = not had_words
        return parsed
    terms: set[str] = set()
    prefixes: list[str] = []
    for clause in parsed.clauses:
        for alt in clause:
            if isinstance(alt, Term):
                terms.add(alt.stem)
                terms.update(alt.parts)
            elif isinstance(alt, Phrase):
                terms.update(s for _, s in alt.terms)
            else:
                prefixes.extend(alt.prefixes)
    parsed.terms = frozenset(terms)
    parsed.prefixes = tuple(prefixes)
    return parsed


# --------------------------------------------------------------------------------------------------
# Snippets


_SURFACE_WORD = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")


def _matcher(parsed: ParsedQuery) -> Callable[[list[str]], bool]:
    """Whether a text word meets the query: it is (or contains as a part) a query word's stem, its own
    stem is a part of a query compound (*water* for ``waterberging``), it holds all parts of a query
    compound, or it starts with a prefix. A word that shares only one part with a query compound
    (*gebiedsfonds* for ``gebiedsgerichte``) is not marked: it does not match that word."""
    prefixes = parsed.prefixes
    whole: set[str] = set()
    parts: set[str] = set()
    compounds: list[frozenset[str]] = []
    for clause in parsed.clauses:
        for alt in clause:
            if isinstance(alt, Term):
                whole.add(alt.stem)
                if alt.parts:
                    parts.update(alt.parts)
                    compounds.append(frozenset(alt.parts))
            elif isinstance(alt, Phrase):
                whole.update(t for _, t in alt.terms)

    def matches(folded: list[str]) -> bool:
        for w in folded:
            if prefixes and any(w.startswith(p) for p in prefixes):
                return True
            got = word_terms(w)
            if got & whole or any(c <= got for c in compounds):
                return True
            analyzed = analyze_word(w)
            if analyzed is not None and analyzed[0] in parts:
                return True
            if prefixes and any(t.startswith(p) for t in got for p in prefixes):
                return True
        return False

    return matches


_SPACE = re.compile(r"\s+")


def _esc(text: str) -> str:
    return html.escape(_SPACE.sub(" ", text), quote=False)


_FOLD_CHAR: dict[int, str] = {}


def _fold_same_length(text: str) -> str:
    """Lowercased, diacritics folded, one character for one (so offsets stay valid)."""
    if text.isascii():
        return text.lower()
    for c in set(text):
        if ord(c) > 127 and ord(c) not in _FOLD_CHAR:
            _FOLD_CHAR[ord(c)] = fold(c)[:1] or c
    low = text.translate(_FOLD_CHAR).lower()
    return low if len(low) == len(text) else text


def _matching_words(
    text: str, parsed: ParsedQuery, matches: Callable[[list[str]], bool]
) -> Iterator[tuple[int, int]]:
    """(start, end) of the words of ``text`` that match the query, in order. Only words where a seed
    occurs are analysed."""
    seeds = parsed.seeds()
    if seeds is None:
        return
    low = _fold_same_length(text)
    pos = 0
    while True:
        m = seeds.search(low, pos)
        if m is None:
            return
        start = m.start()
        while start > 0 and (low[start - 1].isalnum() or unicodedata.combining(low[start - 1])):
            start -= 1
        word = _SURFACE_WORD.match(text, start)
        if word is None:
            pos = m.start() + 1
            continue
        if matches(words(word.group())):
            yield word.start(), word.end()
        pos = max(word.end(), m.start() + 1)


def mentions(texts: Sequence[str], parsed: ParsedQuery) -> bool:
    """Whether one of ``texts`` has a word that meets the query (as a snippet would mark it), without
    making the snippet."""
    if not (parsed.terms or parsed.prefixes):
        return False
    matches = _matcher(parsed)
    return any(next(_matching_words(t, parsed, matches), None) is not None for t in texts if t)


def snippet(texts: list[str], parsed: ParsedQuery | None, width: int = SNIPPET_CHARS) -> str:
    """HTML-safe text of about ``width`` characters around the first word that matches the query,
    from the first of ``texts`` that has one (else the start of the first non-empty text), with
    ``<mark>`` around matching words."""
    texts = [t for t in texts if t and t.strip()]
    if not texts:
        return ""
    matches = _matcher(parsed) if parsed is not None and (parsed.terms or parsed.prefixes) else None
    chosen, anchor = texts[0], None
    if matches is not None and parsed is not None:
        for text in texts:
            anchor = next((a for a, _ in _matching_words(text, parsed, matches)), None)
            if anchor is not None:
                chosen = text
                break
    start = 0
    if anchor is not None and anchor > width // 3:
        start = anchor - width // 3
        space = chosen.find(" ", start, anchor)
        start = space + 1 if space != -1 else start
    end = min(len(chosen), start + width)
    if end < len(chosen):
        space = chosen.rfind(" ", start + width // 2, end)
        end = space if space != -1 else end
    out: list[str] = ["… " if start > 0 else ""]
    pos = start
    window = chosen[start:end]
    if matches is not None and parsed is not None:
        for s, e in _matching_words(window, parsed, matches):
            out.append(_esc(chosen[pos : start + s]))
            out.append("<mark>" + _esc(window[s:e]) + "</mark>")
            pos = start + e
    out.append(_esc(chosen[pos:end]))
    if end < len(chosen):
        out.append(" …")
    return "".join(out).strip()


# --------------------------------------------------------------------------------------------------
# More like this


def salient_terms(title: str, summary: str, body: str, limit: int = 40) -> list[tuple[str, float]]:
    """Candidate terms describing a document: term frequency weighted by field (title 3, summary 2,
    body 1), numbers and very short stems left out; the backend may re-weight them by rarity."""
    weights: dict[str, float] = {}
    for text, weight in ((title, 3.0), (summary, 2.0), (body[:20000], 1.0)):
        for term, _pos in field_tokens(text):
            if len(term) < 3 or term.isdigit():
                continue
            weights[term] = weights.get(term, 0.0) + weight
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:limit]


MLT_TERMS = 12
MLT_MAX_FRACTION = 0.1  # in a collection of at least MLT_MIN_DOCS, words in more documents say little
MLT_MIN_DOCS = 1000


def related_terms(
    title: str, summary: str, body: str, fraction: Callable[[str], float | None], n_docs: int
) -> list[tuple[float, str]]:
    """(weight, term) for a "more like this" query: the document's salient terms weighted by
    tf x idf, where ``fraction(term)`` is the share of documents holding the term (None: unknown,
    taken as rare). Terms only this document has are dropped; so are very common ones, unless that
    leaves fewer than three."""
    n_docs = max(n_docs, 1)
    scored: list[tuple[float, float, str]] = []
    for term, tf in salient_terms(title, summary, body):
        share = fraction(term)
        if share is None:
            share = 1.0 / n_docs if n_docs < MLT_MIN_DOCS else 0.5 * MLT_MAX_FRACTION
        elif share * n_docs <= 1.0:
            continue
        scored.append((share, tf * math.log(1.0 + 1.0 / max(share, 1e-9)), term))
    common_cut = MLT_MAX_FRACTION if n_docs >= MLT_MIN_DOCS else 1.0
    kept = [(w, t) for share, w, t in scored if share <= common_cut]
    if len(kept) < 3:
        kept = [(w, t) for share, w, t in sorted(scored)[:3]]
    kept.sort(key=lambda wt: (-wt[0], wt[1]))
    return kept[:MLT_TERMS]
