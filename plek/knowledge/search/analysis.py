"""Dutch text analysis shared by every search backend, so that they index and query alike.

Pipeline for a text: lowercase -> fold diacritics (``Fryslân`` -> ``fryslan``) -> split on anything that
is not a letter or digit -> per word: drop stopwords and one-letter words (their position is kept, so
phrases keep their gaps) -> stem with Snowball ``dutch_porter`` (``woningen`` -> ``woning``) -> split
compounds into parts (``stikstofdepositie`` -> ``stikstof`` + ``depositie``).

The parts are words of the OpenTaal list (Debian ``wdutch``, :func:`lexicon`) plus the small explicit
list in :mod:`~plek.knowledge.search.vocabulary` and registered theme and region names; three checks keep
loose splits out: a part boundary must be a Dutch hyphenation point (``pyphen``'s nl_NL patterns, so
*besteden* is not *best* + *eden*), a part from the list has at least four letters (*boterham* has no
*ham*), and the parts must be more common on average than the whole word (wordfreq's Dutch
frequencies, so *document* is not *docu* + *ment*).

Indexing emits, at the position of each word, its stem plus the stems of its parts (so a part sits at the
same position as the whole word, like a synonym). A query word matches its whole stem OR all of its
(leaf) part stems, so ``waterberging`` finds "water berging" and ``water berging`` finds
"waterberging".

Changing the vocabulary, the word list, the patterns or the frequencies changes what documents are
indexed as: rebuild the index afterwards (``plek search reindex``).
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from functools import lru_cache

import pyphen
import Stemmer

from plek.knowledge.search import vocabulary

MIN_PART = 3  # shortest compound part (vocabulary.SHORT_PARTS and aliases)
MIN_LEXICON_PART = 4  # shortest part taken from the OpenTaal word list
MIN_NAME_PART = 5  # shortest registered name (theme or region word) that may be a part
MAX_PARTS = 6  # most parts one split may have
SPLIT_MARGIN = 0  # centi-Zipf: how much more common than the whole word a split's parts must be
MIN_VOWEL_PART = 5  # a rest this long that starts with a vowel needs no hyphenation point before it
FREE_CUT = 5  # parts this long on both sides of a cut may meet where the patterns have no break
VOWELS = frozenset("aeiouy")
EXPLICIT_ZIPF = 300  # an explicit part (vocabulary, registered name) counts as at least this common
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
    """The explicit parts (planning additions, short parts, aliases, registered names), and the stems of
    the additions and names, whose inflected forms (not in OpenTaal) may end a compound."""
    extra = {fold(w) for w in vocabulary.EXTRA} | set(extra)
    explicit = extra | {fold(w) for w in (*vocabulary.SHORT_PARTS, *vocabulary.ALIASES)}
    explicit = {w for w in explicit if len(w) >= MIN_PART and w.isalpha() and w not in STOPWORDS}
    stems = frozenset(stem(w) for w in extra if w in explicit)
    return frozenset(explicit), stems


_EXPLICIT, _EXPLICIT_STEMS = _load(())
_generation = [0]  # moves on whenever the added words change (what parsed queries may be cached under)


def vocabulary_generation() -> int:
    return _generation[0]


_ATOMIC = frozenset(fold(w) for w in vocabulary.ATOMIC)
_NOT_PARTS = frozenset(fold(w) for w in vocabulary.NOT_PARTS)


def is_part(word: str) -> bool:
    """Whether the decompounder may cut a folded word out of a compound: an explicit part (see
    :mod:`~plek.knowledge.search.vocabulary`, registered names) or an OpenTaal word of at least
    MIN_LEXICON_PART letters that is no stopword and no suffix (NOT_PARTS)."""
    if word in _EXPLICIT:
        return True
    return (
        len(word) >= MIN_LEXICON_PART
        and word in lexicon()
        and word not in _NOT_PARTS
        and word not in STOPWORDS
    )


def register_vocabulary(terms: Iterable[str]) -> int:
    """Add words (theme labels, region names; multi-word labels are split into words) to the parts the
    decompounder knows, when they are not parts already (OpenTaal leaves out proper names). A name
    shorter than MIN_NAME_PART letters is left out, so a short place name such as *Ede* or *Oss* cuts
    no other word apart. Returns how many were new. Rebuild the index after a change that matters."""
    global _EXPLICIT, _EXPLICIT_STEMS
    new: set[str] = set()
    for term in terms:
        for w in words(term or ""):
            if len(w) >= MIN_NAME_PART and w.isalpha() and w not in STOPWORDS and not is_part(w):
                new.add(w)
    if not new:
        return 0
    with _vocab_lock:
        _extra.update(new)
        _EXPLICIT, _EXPLICIT_STEMS = _load(_extra)
        analyze_word.cache_clear()
        split_compound.cache_clear()
        _generation[0] += 1
    return len(new)


def reset_vocabulary() -> None:
    """Forget the words added with register_vocabulary (tests)."""
    global _EXPLICIT, _EXPLICIT_STEMS
    with _vocab_lock:
        _extra.clear()
        _EXPLICIT, _EXPLICIT_STEMS = _load(())
        analyze_word.cache_clear()
        split_compound.cache_clear()
        _generation[0] += 1


def vocabulary_size() -> int:
    """How many words may be parts: the OpenTaal words that qualify plus the explicit ones."""
    lex = lexicon()
    return len(_EXPLICIT - lex) + sum(1 for w in lex if is_part(w))


# Dutch hyphenation patterns (the nl_NL hunspell/LibreOffice patterns that pyphen ships): a compound is
# cut where a syllable may break, so *besteden* (be-ste-den) is not *best* + *eden* and *waarderen* not
# *waard* + *eren*; split_compound allows for the boundaries the patterns leave out.
_hyphen_lock = threading.Lock()


@lru_cache(maxsize=1)
def _hyphenator() -> pyphen.Pyphen:
    return pyphen.Pyphen(lang="nl_NL")


def hyphenation_points(word: str) -> frozenset[int]:
    """Offsets in a folded word where Dutch hyphenation allows a break (``beneden`` -> {2, 4})."""
    hyphenator = _hyphenator()
    with _hyphen_lock:
        points = frozenset(hyphenator.positions(word))
        # pyphen keeps every word it saw in an unbounded dict; split_compound's lru_cache bounds ours
        hyphenator.hd.cache.pop(word, None)
    return points


@lru_cache(maxsize=1)
def _zipf() -> dict[str, int]:
    """Folded word -> how common it is in Dutch, in centi-Zipf (``water`` 552: 10^5.52 times per billion
    words), from wordfreq's large Dutch list (subtitles, Wikipedia, web, news). Words it never saw count 0."""
    import wordfreq  # here, not at the top: it takes ~0.2 s to import, and most commands never split

    path = wordfreq.available_languages("large")["nl"]
    out: dict[str, int] = {}
    for index, bucket in enumerate(wordfreq.read_cBpack(path)):
        zipf = 900 - index  # bucket i holds the words of frequency 10^(-i/100)
        if zipf <= 0:
            break
        for w in bucket:
            w = fold(w)
            if w.isalpha() and zipf > out.get(w, 0):
                out[w] = zipf
    return out


def zipf(word: str) -> float:
    """How common a folded word is (Zipf scale: 3 = once per million words; 0 when never seen)."""
    return _zipf().get(word, 0) / 100


def _part_zipf(part: str) -> int:
    """A part's commonness for the frequency check; explicit parts count as at least EXPLICIT_ZIPF."""
    z = _zipf().get(part, 0)
    if part in _EXPLICIT:
        alias = vocabulary.ALIASES.get(part)
        return max(z, _zipf().get(alias, 0) if alias else 0, EXPLICIT_ZIPF)
    return z


def _occurrences(word: str, sub: str) -> Iterator[int]:
    i = word.find(sub)
    while i >= 0:
        yield i
        i = word.find(sub, i + 1)


@lru_cache(maxsize=65536)
def split_compound(word: str) -> tuple[str, ...]:
    """Split a folded word into parts (at least two; see is_part), allowing linking morphemes (s, e, en)
    between them and cutting at Dutch hyphenation points (with two allowances for boundaries the patterns
    miss, see cut_ok). The last part may be inflected (``warmtenetten`` -> ``warmte`` + ``netten``).

    The frequency check against loose splits (after Koehn & Knight, 2003): a split is taken only when its
    parts are on average (mean Zipf) more common than the whole word, so a word that is common on its own
    stays whole (*document* is not *docu* + *ment*, *burgemeester* not *burg* + *meester*) while a rare
    compound of common words splits (*energieplannen*, *uitvoeringskracht*). Of the splits that pass, the
    one with the fewest parts, and of those the most common parts, is taken (*kinder* + *opvang*, not
    *kind* + *erop* + *vang*); analyze_word splits its parts again. Returns () when the word is not split,
    and for ATOMIC words."""
    n = len(word)
    if n < MIN_SPLIT or n > MAX_WORD or not word.isalpha() or word in _ATOMIC:
        return ()
    explicit_stems = _EXPLICIT_STEMS
    points: frozenset[int] | None = None
    # best[i]: parts count -> (summed centi-Zipf, parts) of the best split of word[i:]
    best: dict[int, dict[int, tuple[int, tuple[str, ...]]]] = {}

    # never cut inside an ATOMIC word within the compound (stikstofdepositie: not stik + stof + ...)
    inside = {
        c
        for a in [a for a in _ATOMIC if a in word]
        for p in _occurrences(word, a)
        for c in range(p + 1, p + len(a))
    }

    def cut_ok(i: int, j: int, k: int) -> bool:  # a part word[i:j], the next from k (a link between)
        nonlocal points
        if k in inside:
            return False
        if word[k] in VOWELS and n - k >= MIN_VOWEL_PART:
            return True  # the patterns move a consonant onto a vowel (wij-kaan-pak): no check here
        if points is None:
            points = hyphenation_points(word)
        if k in points:
            return True
        # The nl_NL patterns leave out many compound boundaries (zon-nelad-der): a cut between two
        # long parts passes unless a break one letter off shows the syllable runs across it
        # (water|standen, not waters|tanden; beschermings|middelen, not bescherming|smiddelen).
        return j - i >= FREE_CUT and n - k >= FREE_CUT and k - 1 not in points and k + 1 not in points

    def splits(i: int) -> dict[int, tuple[int, tuple[str, ...]]]:
        if i in best:
            return best[i]
        found: dict[int, tuple[int, tuple[str, ...]]] = {}
        tail = word[i:]
        if i > 0:
            if is_part(tail):
                found[1] = (_part_zipf(tail), (tail,))
            elif stem(tail) in explicit_stems:  # an inflected addition or name counts as explicit
                found[1] = (EXPLICIT_ZIPF, (tail,))
            elif tail.endswith("s") and n - i > MIN_LEXICON_PART and is_part(tail[:-1]):
                found[1] = (_part_zipf(tail[:-1]), (tail,))  # adverbial -s: buitendijks, bovengronds
        for j in range(n - MIN_PART, i + MIN_PART - 1, -1):
            piece = word[i:j]
            if not is_part(piece):
                continue
            z = _part_zipf(piece)
            for link in LINKS:
                if link and not word.startswith(link, j):
                    continue
                k = j + len(link)
                if n - k < MIN_PART or not cut_ok(i, j, k):
                    continue
                after = splits(k)
                for count, (total, parts) in after.items():
                    if count + 1 > MAX_PARTS:
                        continue
                    cand = (total + z, (piece, *parts))
                    if count + 1 not in found or cand[0] > found[count + 1][0]:
                        found[count + 1] = cand
                if after:  # the plainest link that works (grondwater|standen, not grondwater|s|tanden)
                    break
        best[i] = found
        return found

    whole = _zipf().get(word, 0)
    for count, (total, parts) in sorted(splits(0).items()):
        if count > 1 and total / count > whole + SPLIT_MARGIN:
            return parts  # the fewest parts that pass; analyze_word splits a part again if it can
    return ()


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
            sub = split_compound(part)
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


def query_stems(text: str) -> frozenset[str]:
    """The stems a text's words can match as whole words: each word's stem and, for a compound, the
    stems of its smallest parts (a question's *energieplannen* is met by a text's *energie* and
    *plannen*)."""
    out: set[str] = set()
    for w in words(text):
        analyzed = analyze_word(w)
        if analyzed is not None:
            out.add(analyzed[0])
            out.update(analyzed[2])
    return frozenset(out)


@lru_cache(maxsize=256)
def _heads(terms: frozenset[str]) -> re.Pattern[str] | None:
    """The words that begin as one of `terms` does (its first four letters): the only ones whose stem
    can be one of them."""
    heads = sorted({t[:4] for t in terms if t})
    if not heads:
        return None
    return re.compile(r"(?<![^\W_])(?:" + "|".join(map(re.escape, heads)) + r")[^\W_]*")


def holds_whole(text: str, terms: frozenset[str]) -> bool:
    """Whether a word of `text`, as a whole, has one of `terms` (stems) as its stem. A word that
    holds a term only as a part of a compound does not count: *beplantingsplannen* holds *plan*
    as a part (and is found for "plannen"), but does not hold it whole. Only the words that begin
    as a term does are stemmed, so a long text costs one regular-expression scan."""
    pattern = _heads(terms)
    if pattern is None:
        return False
    for m in pattern.finditer(fold(text)):
        analyzed = analyze_word(m.group())
        if analyzed is not None and analyzed[0] in terms:
            return True
    return False


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
