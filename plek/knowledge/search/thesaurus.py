"""Everyday words to the terms reports use: a small Dutch domain thesaurus for query expansion.

Askers write "het water in de sloot wordt zout"; reports and expert profiles write *verzilting*. The
file ``thesaurus_nl.tsv`` next to this module holds one concept per line: the everyday words and
short phrases people use, a TAB, and the terms reports and policy pages use for the same thing (both
sides comma-separated). It was written from general knowledge of Dutch planning, farming, water,
energy, nature, housing and public administration, without looking at any evaluation question (see
its header and docs/brokering.md).

A phrase on the left *fires* for a text when every one of its words is among the text's terms (stems
and compound parts, as the search index analyses them; a stopword must occur as written, so "geen
dak" does not fire for a question about a roof). :func:`expand` returns what fired, with the policy
terms the text does not already use. Matching runs those terms as a second words query, counting at most as much as the
asker's own words (``plek.brokering.matching``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from plek.knowledge.search.analysis import MAX_WORD, STOPWORDS, field_tokens, stem, words

PATH = Path(__file__).with_name("thesaurus_nl.tsv")
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Expansion:
    phrase: str  # the everyday phrase that fired, as written in the thesaurus
    terms: tuple[str, ...]  # the policy terms it stands for that the text does not use yet


@dataclass(frozen=True)
class _Entry:
    needs: frozenset[str]  # stems all present in a text for the phrase to fire
    phrase: str
    terms: tuple[str, ...]
    keys: tuple[str, ...] = ()  # each term's stems, space-separated (to tell terms apart)


class ThesaurusError(ValueError):
    """A line of the thesaurus file is malformed (the message names the line)."""


def _lines(text: str) -> Iterator[tuple[int, str, list[str], tuple[str, ...]]]:
    """(line number, line, phrases, terms) of each non-comment line; phrases or terms empty when the
    line is malformed."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        left, tab, right = line.partition("\t")
        if not tab or "\t" in right:
            yield number, line, [], ()
            continue
        terms = tuple(t.strip() for t in right.split(",") if t.strip())
        yield number, line, [p.strip() for p in left.split(",") if p.strip()], terms


def _problem(number: int, line: str) -> str:
    return f"line {number}: expected 'everyday words<TAB>policy terms': {line!r}"


def parse(text: str, errors: list[str] | None = None) -> list[_Entry]:
    """The entries of a thesaurus file's text. A malformed line raises ThesaurusError naming it, or,
    when `errors` is given, is left out and described there."""
    entries: list[_Entry] = []
    for number, line, phrases, terms in _lines(text):
        if not phrases or not terms:
            if errors is None:
                raise ThesaurusError(_problem(number, line))
            errors.append(_problem(number, line))
            continue
        keys = tuple(" ".join(_whole_stems(t)) for t in terms)
        for phrase in phrases:
            needs = _needs(phrase)
            if needs:
                entries.append(_Entry(needs=needs, phrase=phrase, terms=terms, keys=keys))
    return entries


def problems() -> list[str]:
    """The malformed lines of the thesaurus file (for the system check, plek.W011, run before every
    command: the lines' shape only, nothing stemmed)."""
    if not PATH.exists():
        return []
    return [
        _problem(number, line)
        for number, line, phrases, terms in _lines(PATH.read_text(encoding="utf-8"))
        if not phrases or not terms
    ]


def _whole_stems(text: str) -> list[str]:
    """Each word's whole stem, as the index makes it (no compound splitting: cheap), and stopwords
    and one-letter words as written."""
    out = []
    for w in words(text):
        kept = w in STOPWORDS or len(w) > MAX_WORD or (len(w) == 1 and not w.isdigit())
        out.append(w if kept else stem(w))
    return out


def _needs(phrase: str) -> frozenset[str]:
    """What a text must hold for `phrase` to fire: the stems of its words, and its stopwords as
    written ("geen dak" is not about a roof)."""
    return frozenset(_whole_stems(phrase))


def _has(text: str) -> set[str]:
    return {term for term, _pos in field_tokens(text)} | set(words(text))


@lru_cache(maxsize=1)
def entries() -> tuple[_Entry, ...]:
    """The file's entries, read once per process; a malformed line is left out (and logged), so an
    edit gone wrong costs that line, not matching."""
    if not PATH.exists():
        return ()
    errors: list[str] = []
    found = parse(PATH.read_text(encoding="utf-8"), errors)
    for message in errors:
        logger.warning("thesaurus %s: %s (left out)", PATH, message)
    return tuple(found)


def expand(text: str) -> list[Expansion]:
    """The thesaurus phrases that fire for `text`, each with its policy terms that `text` does not
    already contain (by stem), in file order; a term is given once, under the first phrase."""
    have = _has(text)
    out: list[Expansion] = []
    given: set[str] = set()
    for entry in (e for e in entries() if e.needs <= have):
        new = []
        for term, key in zip(entry.terms, entry.keys, strict=True):
            if key and key not in given and not set(key.split()) <= have:
                given.add(key)
                new.append(term)
        if new:
            out.append(Expansion(phrase=entry.phrase, terms=tuple(new)))
    return out


def expansion_text(expansions: list[Expansion]) -> str:
    return " ".join(t for e in expansions for t in e.terms)
