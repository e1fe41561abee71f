"""Everyday words to the terms reports use: a small Dutch domain thesaurus for query expansion.

Askers write "het water in de sloot wordt zout"; reports and expert profiles write *verzilting*. The
file ``thesaurus_nl.tsv`` next to this module holds one concept per line: the everyday words and
short phrases people use, a TAB, and the terms reports and policy pages use for the same thing (both
sides comma-separated). It was written from general knowledge of Dutch planning, farming, water,
energy, nature, housing and public administration, without looking at any evaluation question (see
its header and docs/brokering.md).

A phrase on the left *fires* for a text when every one of its words is among the text's terms (stems
and compound parts, as the search index analyses them), within a few words of each other. A stopword
must occur as written, so "geen dak" does not fire for a question about a roof; a phrase's stem never
matches a text's stopword ("bijen" is not "bij Kapelle"); and a word of at most three letters matches
only a word that begins with it or a compound part ("dak": *daken*, *plat dak*, *dakpannen*; "mer"
is not "meer", whose stem it shares). :func:`expand` returns what fired, with the policy
terms the text does not already use. Matching runs those terms as a second words query, counting at most as much as the
asker's own words (``plek.brokering.matching``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from plek.knowledge.search.analysis import MAX_WORD, STOPWORDS, analyze_word, stem, words

PATH = Path(__file__).with_name("thesaurus_nl.tsv")
WINDOW = 6  # a phrase's words fire only this close together: first to last at most 6 words apart
SHORT = 3  # a word this short (dak, mer, ov) matches only a word that begins with it, or a compound part
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Expansion:
    phrase: str  # the everyday phrase that fired, as written in the thesaurus
    terms: tuple[str, ...]  # the policy terms it stands for that the text does not use yet
    near: float = 0.0  # > 0: fired by meaning (see near()), this close to a stretch of the text
    # all the policy terms of its line (what the line stands for; not part of what was expanded)
    concept: tuple[str, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class _Entry:
    needs: tuple[str, ...]  # stems, "=word" as written, "~stem" short: all near each other in a text
    phrase: str
    terms: tuple[str, ...]
    keys: tuple[str, ...] = ()  # each term's stems, space-separated (to tell terms apart)
    situations: tuple[str, ...] = ()  # the line's situations (third column): meaning only, never fire


class ThesaurusError(ValueError):
    """A line of the thesaurus file is malformed (the message names the line)."""


def _split(column: str) -> list[str]:
    return [p.strip() for p in column.split(",") if p.strip()]


def _lines(text: str) -> Iterator[tuple[int, str, list[str], tuple[str, ...], tuple[str, ...]]]:
    """(line number, line, phrases, terms, situations) of each non-comment line; phrases or terms
    empty when the line is malformed. The third column (situations) may be left out."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        columns = line.split("\t")
        if len(columns) not in (2, 3):
            yield number, line, [], (), ()
            continue
        situations = tuple(_split(columns[2])) if len(columns) == 3 else ()
        yield number, line, _split(columns[0]), tuple(_split(columns[1])), situations


def _problem(number: int, line: str) -> str:
    return f"line {number}: expected 'everyday words<TAB>policy terms[<TAB>situations]': {line!r}"


def parse(text: str, errors: list[str] | None = None) -> list[_Entry]:
    """The entries of a thesaurus file's text. A malformed line raises ThesaurusError naming it, or,
    when `errors` is given, is left out and described there."""
    entries: list[_Entry] = []
    for number, line, phrases, terms, situations in _lines(text):
        if not phrases or not terms:
            if errors is None:
                raise ThesaurusError(_problem(number, line))
            errors.append(_problem(number, line))
            continue
        keys = tuple(" ".join(_whole_stems(t)) for t in terms)
        for phrase in phrases:
            needs = _needs(phrase)
            if needs:
                entries.append(
                    _Entry(needs=needs, phrase=phrase, terms=terms, keys=keys, situations=situations)
                )
    return entries


def problems() -> list[str]:
    """The malformed lines of the thesaurus file (for the system check, plek.W011, run before every
    command: the lines' shape only, nothing stemmed)."""
    if not PATH.exists():
        return []
    return [
        _problem(number, line)
        for number, line, phrases, terms, _situations in _lines(PATH.read_text(encoding="utf-8"))
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


def _needs(phrase: str) -> tuple[str, ...]:
    """What a text must hold for `phrase` to fire: the stems of its words, its stopwords as written
    ("=geen": "geen dak" is not about a roof), and its short words as short ("~mer" is not "meer")."""
    out = []
    for w in words(phrase):
        if w in STOPWORDS or len(w) > MAX_WORD or (len(w) == 1 and not w.isdigit()):
            out.append("=" + w)
        else:
            out.append("~" + stem(w) if len(w) <= SHORT else stem(w))
    return tuple(dict.fromkeys(out))


def _has(at: dict[str, list[int]]) -> set[str]:
    """The text's stems, compound parts and words as written, from its _positions (analysed once)."""
    return {term[1:] if term[0] == "=" else term for term in at if term[0] != "~"}


def _positions(text: str) -> dict[str, list[int]]:
    """Where each term of `text` occurs: its stems and compound parts (stopwords have none), every
    word as written ("=word"), and short stems that begin their word and short parts ("~dak")."""
    at: dict[str, list[int]] = defaultdict(list)
    for pos, w in enumerate(words(text)):
        at["=" + w].append(pos)
        analyzed = analyze_word(w)
        if analyzed is None:
            continue
        whole, parts = analyzed[0], analyzed[1]
        at[whole].append(pos)
        if len(whole) <= SHORT and w.startswith(whole):
            at["~" + whole].append(pos)
        for part in parts:
            at[part].append(pos)
            if len(part) <= SHORT:
                at["~" + part].append(pos)
    return at


def _near(needs: tuple[str, ...], at: dict[str, list[int]]) -> bool:
    """Whether every need occurs in `at`, all within WINDOW words (the smallest window holding one
    occurrence of each)."""
    if any(n not in at for n in needs):
        return False
    if len(needs) == 1:
        return True
    events = sorted((pos, i) for i, n in enumerate(needs) for pos in at[n])
    count: dict[int, int] = defaultdict(int)
    covered = left = 0
    for pos, i in events:
        count[i] += 1
        covered += count[i] == 1
        while covered == len(needs):
            if pos - events[left][0] <= WINDOW:
                return True
            first = events[left][1]
            count[first] -= 1
            covered -= count[first] == 0
            left += 1
    return False


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


_index: tuple[tuple[_Entry, ...], dict[str, list[int]]] | None = None  # the entries, and it


def _by_first_need(found: tuple[_Entry, ...]) -> dict[str, list[int]]:
    """The entries' positions by their first need: only an entry whose first need occurs in a text
    can fire for it, so a text is checked against a few hundred entries, not all of them. Made again
    when the entries are others (a test's own, or the file read anew)."""
    global _index
    if _index is None or _index[0] is not found:
        index: dict[str, list[int]] = defaultdict(list)
        for i, entry in enumerate(found):
            if entry.needs:
                index[entry.needs[0]].append(i)
        _index = (found, dict(index))
    return _index[1]


def expand(text: str) -> list[Expansion]:
    """The thesaurus phrases that fire for `text`, each with its policy terms that `text` does not
    already contain (by stem), in file order; a term is given once, under the first phrase."""
    at = _positions(text)
    have = _has(at)
    out: list[Expansion] = []
    given: set[str] = set()
    found = entries()
    index = _by_first_need(found)
    maybe = sorted({i for need in at if need in index for i in index[need]})
    for entry in (found[i] for i in maybe if _near(found[i].needs, at)):
        new = []
        for term, key in zip(entry.terms, entry.keys, strict=True):
            if key and key not in given and not set(key.split()) <= have:
                given.add(key)
                new.append(term)
        if new:
            out.append(Expansion(phrase=entry.phrase, terms=tuple(new), concept=entry.terms))
    return out


def expansion_text(expansions: Sequence[Expansion]) -> str:
    return " ".join(t for e in expansions for t in e.terms)


# --------------------------------------------------------------------------------------------------
# By meaning: the asker's phrasing falls between the file's phrases ("koeien hijgen als het heet
# is" for "koeien hitte"). Each everyday phrase is embedded once (the encoder of the embedding
# module; cached on disk under VAR_DIR/thesaurus, keyed by the phrases), and compared with stretches
# of NEAR_WINDOW words of the text; the whole text is compared with what each line is about (the mean
# of its phrases' and situations' vectors); the closest concept lines fire "near".

NEAR_WINDOW = 6  # words per stretch of the text (half overlapping), and the whole text besides
NEAR_WHOLE = 1.0  # a phrase's score: its closeness to the closest stretch, plus this times its line's to
# the whole text (its line's, not its own: with 12,000 phrases, some phrase of an unrelated line is
# always close to a question by a shared word or two; the line's mean says what it is about)
SITUATION_WEIGHT = 2.0  # each of a line's situations counts this many times one phrase in the line's
# mean (chosen on the training questions at both scales: 0.5 / 1 / 2 / 4 / situations alone)


@dataclass(frozen=True)
class _Phrases:
    lines: tuple[tuple[str, ...], ...]  # each line's policy terms
    phrases: tuple[tuple[int, str], ...]  # (line, everyday phrase)
    matrix: Any  # one L2-normalised vector per phrase
    line_of: Any  # each phrase's line (an index into `lines` and `centroids`)
    centroids: Any  # per line, the L2-normalised mean of its phrases' and situations' vectors (the
    # situations SITUATION_WEIGHT times each): what the line is about
    concepts: Any = None  # per line, the L2-normalised vector of its policy terms (as one text)
    line_at: Any = None  # a line's policy terms -> its index


def _cache_dir() -> Path | None:
    try:
        from django.conf import settings

        return Path(settings.VAR_DIR) / "thesaurus"
    except Exception:  # no settings: no cache on disk
        return None


_table: tuple[tuple[_Entry, ...], _Phrases] | None = None  # the entries it was made of, and it


def phrases() -> _Phrases:
    """The thesaurus's everyday phrases (of `entries()`) and their vectors, and the vectors of each
    line's policy terms: ~15 s to embed the file's 12,500 phrases and 1,070 lines, read from the
    cache on disk after that, kept in memory while the entries stay the same."""
    global _table
    found = entries()
    if _table is None or _table[0] is not found:
        _table = (found, _embed(found))
    return _table[1]


def _cached_encode(name: str, texts: Sequence[str]) -> Any:
    """The vectors of `texts`, from the cache on disk when it holds them (keyed by the texts)."""
    import numpy as np

    from plek.knowledge.search import embedding

    digest = hashlib.sha256((f"{embedding.DIM}\n" + "\n".join(texts)).encode()).hexdigest()[:16]
    folder = _cache_dir()
    cached = folder / f"{name}-{digest}.npy" if folder else None
    matrix = None
    if cached is not None and cached.exists():
        with contextlib.suppress(OSError, ValueError):
            matrix = np.load(cached)
        if matrix is not None and matrix.shape != (len(texts), embedding.DIM):
            matrix = None
    if matrix is None:
        matrix = embedding.encode(list(texts))
        if cached is not None:
            with contextlib.suppress(OSError):
                cached.parent.mkdir(parents=True, exist_ok=True)
                part = cached.with_name(f"{cached.stem}.{os.getpid()}.tmp.npy")
                np.save(part, matrix)
                part.replace(cached)
    return matrix


def _embed(found: Sequence[_Entry]) -> _Phrases:
    import numpy as np

    from plek.knowledge.search import embedding

    lines: dict[tuple[str, ...], int] = {}
    pairs = tuple((lines.setdefault(e.terms, len(lines)), e.phrase) for e in found)
    matrix = _cached_encode("phrases", [p for _line, p in pairs])
    concepts = _cached_encode("terms", [", ".join(terms) for terms in lines])
    line_of = np.array([line for line, _p in pairs], dtype=np.intp)
    centroids = np.zeros((len(lines), embedding.DIM), dtype=np.float32)
    np.add.at(centroids, line_of, matrix)
    told: dict[int, tuple[str, ...]] = {}  # each line's situations (the same on each of its entries)
    for e in found:
        if e.situations:
            told.setdefault(lines[e.terms], e.situations)
    situations = [(line, text) for line, texts in told.items() for text in texts]
    if situations:
        vectors = _cached_encode("situations", [text for _line, text in situations])
        at = np.array([line for line, _text in situations], dtype=np.intp)
        np.add.at(centroids, at, SITUATION_WEIGHT * vectors)
    centroids /= np.maximum(np.linalg.norm(centroids, axis=1, keepdims=True), 1e-9)
    return _Phrases(
        lines=tuple(lines),
        phrases=pairs,
        matrix=matrix,
        line_of=line_of,
        centroids=centroids,
        concepts=concepts,
        line_at=lines,
    )


def concepts(expansions: Sequence[Expansion]) -> tuple[list[Expansion], Any]:
    """The lines that fired (each once, first expansion kept) and the vectors of their policy terms,
    one row per line; ([], None) when no line fired."""
    table = phrases()
    seen: dict[int, Expansion] = {}
    for e in expansions:
        line = table.line_at.get(e.concept)
        if line is not None:
            seen.setdefault(line, e)
    if not seen:
        return [], None
    return list(seen.values()), table.concepts[list(seen)]


def stretches(text: str, window: int = NEAR_WINDOW) -> list[str]:
    """The text's stretches of `window` words, half overlapping, and the whole text."""
    ws = text.split()
    step = max(1, window // 2)
    out = [" ".join(ws[k : k + window]) for k in range(0, max(1, len(ws) - step), step)]
    return [*dict.fromkeys([*out, " ".join(ws)])] if ws else []


def near(
    text: str,
    *,
    floor: float,
    top: int,
    fired: Sequence[Expansion] = (),
    window: int = NEAR_WINDOW,
    whole: Any = None,
    gap: float | None = None,
) -> list[Expansion]:
    """Up to `top` concept lines whose everyday phrase scores at least `floor`, best first: its cosine
    similarity with the closest stretch of `text` plus NEAR_WHOLE times that of its line (the mean of
    the line's phrases and situations) with the whole text (a stretch sharing one word with a phrase is not enough:
    "de dokter is weg" is no "weg ondergelopen"). Each comes with its policy terms that `text` does not use and that `fired` (the
    phrases that fired by their words) did not give already; `near` is the phrase's score. `whole`:
    the text's vector when the caller has it already (matching does), so it is not encoded twice.
    `gap`: a line scoring more than this below the best line does not fire, whatever the floor (a
    question clearly about one thing does not also fire the lines that merely share a word with it)."""
    import numpy as np

    from plek.knowledge.search import embedding

    table = phrases()
    parts = stretches(text, window)
    if not parts or not table.phrases or top <= 0:
        return []
    if whole is not None and len(parts) > 1:
        vecs = np.vstack([embedding.encode(parts[:-1]), whole[None, :]])  # the last part is the whole text
    else:
        vecs = embedding.encode(parts)
    with embedding.blas_threads():
        every = vecs @ table.matrix.T
        sims = every.max(axis=0) + NEAR_WHOLE * (table.centroids @ vecs[-1])[table.line_of]
    best: dict[int, tuple[float, str]] = {}
    order = sims.argsort()[::-1]
    if gap is not None:
        floor = max(floor, float(sims[order[0]]) - gap)
    for j in order:
        sim = float(sims[j])
        if sim < floor:
            break
        line, phrase = table.phrases[j]
        best.setdefault(line, (sim, phrase))
        if len(best) >= top:
            break
    have = _has(_positions(text))
    given = {" ".join(_whole_stems(t)) for e in fired for t in e.terms}
    taken = {e.phrase for e in fired}
    out: list[Expansion] = []
    for line, (sim, phrase) in best.items():
        new = []
        for term in table.lines[line]:
            key = " ".join(_whole_stems(term))
            if key and key not in given and not set(key.split()) <= have:
                given.add(key)
                new.append(term)
        if new and phrase not in taken:
            out.append(
                Expansion(phrase=phrase, terms=tuple(new), near=round(sim, 3), concept=table.lines[line])
            )
    return out
