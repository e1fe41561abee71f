"""Dutch text analysis shared by every search backend, so that they index and query alike.

Pipeline for a text: lowercase -> fold diacritics (``Fryslân`` -> ``fryslan``) -> split on anything that
is not a letter or digit -> per word: drop stopwords and one-letter words (their position is kept, so
phrases keep their gaps) -> stem with Snowball ``dutch_porter`` (``woningen`` -> ``woning``) -> split
compounds into known parts from the vocabulary (``stikstofdepositie`` -> ``stikstof`` + ``depositie``).

Indexing emits, at the position of each word, its stem plus the stems of its parts (so a part sits at the
same position as the whole word, like a synonym). A query word matches its whole stem OR all of its
(leaf) part stems, so ``waterberging`` finds "water berging" and ``water berging`` finds
"waterberging".

Changing the vocabulary changes what documents are indexed as: rebuild the index afterwards
(``plek search reindex``).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

import Stemmer

from plek.knowledge.search import vocabulary

MIN_PART = 3  # shortest compound part
MIN_SPLIT = 6  # shortest word the decompounder tries to split
MAX_WORD = 50  # longer "words" (hashes, glued URLs) are not indexed
LINKS = ("", "s", "en", "e")  # Dutch linking morphemes between compound parts

STOPWORDS: frozenset[str] = frozenset(
    [
        "de",
        "het",
        "een",
        "en",
        "van",
        "in",
        "op",
        "te",
        "voor",
        "met",
        "aan",
        "die",
        "dat",
        "is",
        "zijn",
        "of",
        "ook",
        "als",
        "bij",
        "er",
        "om",
        "tot",
        "uit",
        "naar",
        "door",
        "dan",
        "maar",
        "nog",
        "wel",
        "niet",
        "geen",
        "zo",
        "was",
        "werd",
        "worden",
        "wordt",
        "kan",
        "kunnen",
        "moet",
        "moeten",
        "zal",
        "zullen",
        "heeft",
        "hebben",
        "had",
        "hij",
        "zij",
        "ze",
        "we",
        "wij",
        "je",
        "jij",
        "u",
        "ik",
        "hem",
        "haar",
        "hun",
        "ons",
        "onze",
        "mijn",
        "jouw",
        "uw",
        "dit",
        "deze",
        "daar",
        "hier",
        "waar",
        "wat",
        "wie",
        "hoe",
        "omdat",
        "want",
        "al",
        "over",
        "onder",
        "tussen",
        "na",
        "tegen",
        "zonder",
        "dus",
        "toch",
        "nu",
        "reeds",
        "zich",
        "the",
        "of",
        "and",
        "to",
        "a",
        "an",
    ]
)

_stemmer = Stemmer.Stemmer("dutch_porter")
_stem_lock = threading.Lock()  # a PyStemmer object is not thread-safe

# The OpenTaal word list (Debian package `wdutch`): a real Dutch lexicon for stemming corrections
# and for checking compound parts. Required: without it the index would be built with other tokens
# than on a machine that has it, so analysis refuses to run (and `plek check` says so, plek.E010).
LEXICON_PATHS = ("/usr/share/dict/dutch", "/usr/share/dict/nederlands")
MIN_CORRECTED = 5  # the singular a plural is corrected to is at least this long (not leven -> lef)
LEXICON_MISSING = (
    "The OpenTaal Dutch word list is missing (looked for {paths}): install the Debian package "
    "`wdutch` (apt-get install wdutch); search analysis needs it."
)


class LexiconMissing(RuntimeError):
    pass


def lexicon_path() -> str | None:
    for path in LEXICON_PATHS:
        if os.path.isfile(path):
            return path
    return None


@lru_cache(maxsize=1)
def lexicon() -> frozenset[str]:
    """Lowercase words of the OpenTaal list, folded (proper names left out). Raises LexiconMissing
    when the list is not installed."""
    path = lexicon_path()
    if path is None:
        raise LexiconMissing(LEXICON_MISSING.format(paths=", ".join(LEXICON_PATHS)))
    with open(path, encoding="utf-8") as handle:
        words = frozenset(fold(w) for w in handle.read().split() if w.islower() and w.isalpha())
    if not words:
        raise LexiconMissing(f"The OpenTaal Dutch word list at {path} is empty: reinstall `wdutch`.")
    return words


def _stem_raw(word: str) -> str:
    with _stem_lock:
        return _stemmer.stemWord(word)


def stem(word: str) -> str:
    """The dutch_porter stem, corrected with the lexicon where the stemmer splits a singular from its
    plural: a plural in -ven/-zen (or an inflection in -ve/-ze) whose f/s form is a word stems as that
    word (``initiatieven`` and ``initiatief`` both -> ``initiatief``)."""
    words = lexicon()
    if len(word) > MIN_CORRECTED + 1:
        for ending, base in (("ven", "f"), ("ve", "f"), ("zen", "s"), ("ze", "s")):
            if word.endswith(ending):
                singular = word[: -len(ending)] + base
                if len(singular) >= MIN_CORRECTED and singular in words:
                    return _stem_raw(singular)
                break
    return _stem_raw(word)


# --------------------------------------------------------------------------------------------------
# Normalisation and tokenisation

_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "ø": "o",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",
        "\u2019": "'",
    }
)
_WORD = re.compile(r"[^\W_]+")
# A word in original (unfolded) text, combining marks included, for snippets.
_SURFACE = re.compile(r"(?:[^\W_]|[\u0300-\u036f])+")


def fold(text: str) -> str:
    """Lowercase and strip diacritics: ``Fryslân`` -> ``fryslan``, ``één`` -> ``een``."""
    text = text.lower()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return _COMBINING.sub("", text)


def words(text: str) -> list[str]:
    """The folded words of a text, in order (stopwords included)."""
    return _WORD.findall(fold(text))


# --------------------------------------------------------------------------------------------------
# Vocabulary and decompounding

_vocab_lock = threading.Lock()
_extra: set[str] = set()


def _load(extra: Iterable[str]) -> tuple[frozenset[str], frozenset[str]]:
    vocab = {fold(w) for w in vocabulary.WORDS} | {fold(w) for w in vocabulary.ALIASES}
    vocab |= set(extra)
    vocab = {w for w in vocab if len(w) >= MIN_PART and w.isalpha() and w not in STOPWORDS}
    stems = frozenset(stem(vocabulary.ALIASES.get(w, w)) for w in vocab)
    return frozenset(vocab), stems


_VOCAB, _VOCAB_STEMS = _load(())
_ATOMIC = frozenset(fold(w) for w in vocabulary.ATOMIC)


def register_vocabulary(terms: Iterable[str]) -> int:
    """Add words (theme labels, region names; multi-word labels are split into words) to the parts the
    decompounder knows. Returns how many were new. Rebuild the index after a change that matters."""
    global _VOCAB, _VOCAB_STEMS
    new: set[str] = set()
    for term in terms:
        for w in words(term or ""):
            if len(w) >= MIN_PART and w.isalpha() and w not in STOPWORDS and w not in _VOCAB:
                new.add(w)
    if not new:
        return 0
    with _vocab_lock:
        _extra.update(new)
        _VOCAB, _VOCAB_STEMS = _load(_extra)
        analyze_word.cache_clear()
        split_compound.cache_clear()
    return len(new)


def reset_vocabulary() -> None:
    """Forget the words added with register_vocabulary (tests)."""
    global _VOCAB, _VOCAB_STEMS
    with _vocab_lock:
        _extra.clear()
        _VOCAB, _VOCAB_STEMS = _load(())
        analyze_word.cache_clear()
        split_compound.cache_clear()


def vocabulary_size() -> int:
    return len(_VOCAB)


_CURATED = frozenset(fold(w) for w in (*vocabulary.WORDS, *vocabulary.ALIASES))


def _plausible(part: str) -> bool:
    """A dictionary check against loose splits: a part must be a curated part, a word of the lexicon,
    or (a registered name, e.g. a region) at least 5 letters long — so a short place name such as
    *Ede* or *Oss* does not cut other words apart."""
    return part in _CURATED or part in lexicon() or len(part) >= 5


@lru_cache(maxsize=65536)
def split_compound(word: str) -> tuple[str, ...]:
    """Split a folded word into vocabulary parts (at least two), allowing linking morphemes (s, e, en)
    between them; greedy longest match with backtracking. The last part may be inflected
    (``warmtenetten`` -> ``warmte`` + ``netten``). Returns () when the word is not such a compound."""
    n = len(word)
    if n < MIN_SPLIT or n > MAX_WORD or not word.isalpha() or word in _ATOMIC:
        return ()
    vocab, vocab_stems = _VOCAB, _VOCAB_STEMS
    memo: dict[int, list[str] | None] = {}

    def rest(i: int) -> list[str] | None:
        if i in memo:
            return memo[i]
        found: list[str] | None = None
        tail = word[i:]
        if i > 0 and (tail in vocab or stem(tail) in vocab_stems):
            found = [tail]
        else:
            for j in range(n - MIN_PART, i + MIN_PART - 1, -1):  # longest first; leave room for a part
                piece = word[i:j]
                if piece not in vocab or not _plausible(piece):
                    continue
                for link in LINKS:
                    if link and not word.startswith(link, j):
                        continue
                    k = j + len(link)
                    if n - k < MIN_PART:
                        continue
                    after = rest(k)
                    if after is not None:
                        found = [piece, *after]
                        break
                if found:
                    break
        memo[i] = found
        return found

    parts = rest(0)
    return tuple(parts) if parts and len(parts) > 1 else ()


def _part_stem(part: str) -> str:
    return stem(vocabulary.ALIASES.get(part, part))


@lru_cache(maxsize=262144)
def analyze_word(word: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """(stem, index_parts, query_parts) for a folded word, or None when it is not indexed.

    index_parts: stems of every part at every level of the split (``veenweidegebied`` -> veenweide,
    veen, weide, gebied); query_parts: the stems of the smallest parts (veen, weide, gebied), which a
    query word needs all of when its whole stem is absent."""
    if word in STOPWORDS or len(word) > MAX_WORD or (len(word) == 1 and not word.isdigit()):
        return None
    whole = stem(word)
    index_parts: list[str] = []
    leaves: list[str] = []

    def walk(parts: tuple[str, ...]) -> None:
        for part in parts:
            s = _part_stem(part)
            if s not in index_parts:
                index_parts.append(s)
            sub = split_compound(part) if part in _VOCAB or len(part) >= MIN_SPLIT else ()
            if sub:
                walk(sub)
            elif s not in leaves:
                leaves.append(s)

    walk(split_compound(word))
    drop = {whole} | STOPWORDS
    return (
        whole,
        tuple(p for p in index_parts if p not in drop),
        tuple(p for p in leaves if p not in drop) if len([p for p in leaves if p != whole]) > 1 else (),
    )


def field_tokens(text: str, start: int = 0) -> Iterator[tuple[str, int]]:
    """(term, position) pairs to index for a text. Positions count every word, stopwords included,
    so phrase queries keep gaps; a word's part stems share its position."""
    for pos, word in enumerate(_WORD.findall(fold(text)), start):
        analyzed = analyze_word(word)
        if analyzed is None:
            continue
        yield analyzed[0], pos
        for part in analyzed[1]:
            yield part, pos


def word_terms(word: str) -> frozenset[str]:
    """Every term a folded word is indexed as (for highlighting)."""
    analyzed = analyze_word(word)
    if analyzed is None:
        return frozenset()
    return frozenset((analyzed[0], *analyzed[1]))


def surface_words(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """(start, end, folded words) for every word of the original text, for snippets."""
    for m in _SURFACE.finditer(text):
        yield m.start(), m.end(), _WORD.findall(fold(m.group()))


def stems(text: str) -> list[str]:
    """Stems of a text's words, stopwords dropped, no parts (handy for callers and tests)."""
    out = []
    for w in words(text):
        analyzed = analyze_word(w)
        if analyzed is not None:
            out.append(analyzed[0])
    return out


# Words that name who acts rather than what a text is about. In a title they count as body words (no
# title boost) in both backends, so "Waterschappen en verzilting" ranks by verzilting.
ACTOR_WORDS = (
    "gemeente gemeenten gemeentelijk provincie provincies provinciaal waterschap waterschappen rijk "
    "rijksoverheid overheid overheden ministerie ministeries bewoner bewoners inwoner inwoners "
    "ondernemer ondernemers boer boeren agrariër agrariërs burger burgers partij partijen organisatie "
    "organisaties instelling instellingen regio regio's"
)


@lru_cache(maxsize=1)
def actor_terms() -> frozenset[str]:
    return frozenset(stem(w) for w in words(ACTOR_WORDS))


def is_actor_term(term: str) -> bool:
    """Whether an indexed term is the stem of an actor word (see ACTOR_WORDS)."""
    return term in actor_terms()
