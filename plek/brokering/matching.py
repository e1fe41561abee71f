"""Matching: for a question, ranked candidates of four kinds — knowledge items, people, groups
(networks, hubs, organisations) and earlier questions — each with a score and reasons a person can read.

How a candidate is scored (deterministic; ties broken by key):

1. **Retrieval** from the search backend, as the viewer (so nothing the viewer may not see is ever a
   candidate): the question's words OR-ed and ranked by BM25, once over the whole collection and once
   restricted to the question's area and the areas around it (so a regional document low in the
   national ranking still gets in), and once restricted to its themes. With tantivy the hits come
   light (key and score) and are completed from the vector rows held in memory; the shown ones get
   their whole text from the index (`_made_whole`, `_with_texts`).
2. **Signals**, each in [0, 1]:
   * ``text`` — the BM25 score relative to the best candidate of the same kind;
   * ``theme`` — share of the question's themes (chosen, or suggested from the text) the candidate has;
     when the asker chose none, a person also gets credit for a theme of theirs close in meaning to the
     question (theme_closeness);
   * ``region`` — how the candidate's areas relate to the question's: the same area (1.0), an area that
     contains it such as the province or RES region (0.8), an area inside it (0.6), an area overlapping
     one that contains it (0.4), none (0) — only for a candidate relevant in words (found by them) or
     in meaning (among the DENSE_POOL nearest, or above the pool's median similarity), so an off-topic
     item that merely lies in the chosen province gets none;
   * kind-specific: an answered earlier question, or a knowledge item that is an answered question,
     counts more; a person who wrote a top knowledge item or helped answer a similar earlier question
     gets that as evidence.
3. **Score** = weighted sum (WEIGHTS), in [0, 1]. Candidates the broker rejected for this question never
   come back; accepted ones are marked. Near-duplicates of a better candidate (DISTINCT) are passed
   over in the item pools by meaning and shown after the different candidates.

`plek bench match` measures this against plain BM25 on the question text (see evaluation.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from plek.atlas.areas import RegionRelations, region_relations
from plek.atlas.models import Region, Theme
from plek.atlas.permissions import Viewer
from plek.brokering import permissions, transitions
from plek.brokering.models import Answer, MatchFeedback, Question
from plek.core import freshness, lifetime
from plek.core.errors import PermissionDenied
from plek.knowledge import vectors
from plek.knowledge.indexing import viewer_keys
from plek.knowledge.models import KnowledgeItem
from plek.knowledge.search import analysis, embedding, get_backend, thesaurus
from plek.knowledge.search.base import SearchHit, SearchQuery, clean_list
from plek.knowledge.search.embedding import Row, greedy_distinct
from plek.knowledge.search.query import (
    MAX_QUERY_CHARS,
    ParsedQuery,
    mentions,
    parse_query,
    snippet,
)

# "text" is the lexical (BM25) signal, "meaning" the embedding similarity. Fitted with
# `plek bench match --fit` on training questions only (the mismatch set's train split and the shipped
# set's odd half; mean of items and people nDCG@10 over both), never on the test questions; the same
# fit chose GUESSED_THEMES and REGION_FULL_AT (see docs/brokering.md). Refitted with the thesaurus's
# lines close in meaning (2026-12-06): the demo's fit (below; 0.7978 demo, 0.6430 national) is best
# summed over both scales (national's own, text 0.3: 0.6475 national, 0.7839 demo; the former
# weights, region 0.35: 0.7958 and 0.6425). Refitted with the thesaurus's concept search (2026-12-06,
# fourth): the demo's fit chose text 0.3 / meaning 0.2 (0.8321 demo, 0.7426 national), national kept
# the former ones (0.7454 national, 0.8236 demo); the first is best summed over both scales.
WEIGHTS = {"text": 0.3, "meaning": 0.2, "theme": 0.3, "region": 0.3}
# Candidates per kind retrieved by meaning (embedding top-k), chosen on the training questions at demo
# scale (~500 items: 100/200/400/800) and national scale (100,000 items: 100/200/400): for people
# deeper is better at both; for items 400 helped the mismatch split at demo scale but at national scale
# brought so many near-in-meaning distractors that the shipped items fell below the lexical engine
# (training half nDCG@10 0.779 at 400, 0.807 at 100), so items keep 100. Groups and earlier questions
# (not in the evaluation) keep a shallow pool.
DENSE_POOL = {"knowledge": 100, "person": 400}
DENSE_POOL_OTHER = 80
# and again within the question's area (its own regions, those containing, inside or overlapping it;
# not the country): at national scale an area's expert is one of thousands close in meaning
DENSE_POOL_SCOPED = {"knowledge": 40, "person": 40}
# A candidate whose cosine less crowding (see CROWDING) is at or below this counts nothing by meaning:
# it is no closer to the question than 0.4 times how close it is to its own neighbours (on the
# training questions -1 and -0.1 were worse, 0.05 no better)
MEANING_FLOOR = 0.0
MEANING_SPAN = 0.15  # the rescaled meaning signal spans at least this much cosine similarity
MEANING_REASON = 0.05  # a candidate at least this close in meaning, sharing no word, says so
BONUS_ANSWERED = 0.12  # an earlier question that has an answer; an item that is an answered question
BONUS_AUTHOR = 0.1  # a person who wrote one of the top knowledge items
BONUS_ANSWERER = 0.12  # a person who helped answer a similar earlier question
POOL = 120  # candidates retrieved per kind from the whole collection
MAX_TERMS = 14  # the question's most informative words used for retrieval
POOL_SCOPED = 40  # and again within the area, and within the themes
MIN_SIMILAR = 0.2  # an earlier question below this score is not "similar" at the intake
# The thesaurus (plek/knowledge/search/thesaurus_nl.tsv: everyday words -> the terms reports use) gives
# a second words query; its candidates' text signal is relative to that query's best, times this. Chosen
# on the training questions at both scales (0, 0.3, 0.5, 0.75, 1.0, 1.5; pools of 40 and 120): 1.5
# scored 0.004 higher summed over both scales but let the terms outweigh the asker's own words (words
# only: shipped items 0.852 -> 0.803 demo, 0.796 -> 0.756 national), so they count at most as much.
THESAURUS_WEIGHT = 1.0
POOL_THESAURUS = 40  # candidates per kind retrieved by the thesaurus terms (120 was no better; 100 for near)
# With embeddings, a thesaurus line also fires when one of its everyday phrases is close in meaning to
# the question (thesaurus.near: closest to a stretch of it plus close to the whole, so that a stretch
# that merely shares a word does not fire: "weg ondergelopen" for "de dokter is weg"): the NEAR_TOP
# closest lines scoring at least NEAR_FLOOR. Their terms are a third words query, counting NEAR_WEIGHT
# times its best. Chosen on the training questions at both scales (docs/brokering.md, 2026-12-06):
# top 3/4/5/6/8/12, floor 0.4-1.2, weight 0.6/0.8/1.0, with and without the whole-question part.
# Since the lines' situations (2026-12-07, fifth session) tell better what a line is about, more lines
# fire and count as much as the asker's words: top 8/10/12/14, weight 0.9/1.0/1.2 were tried again.
# Of those, only the lines within NEAR_GAP of the best line's score fire: a line far below the best is
# one that shares a word or two with the question ("kroeg weg" for "waarom zakt het zo ver weg"), and
# its terms only blur the query (2026-12-07, sixth session: gap 0.15/0.2/0.25/0.3/0.35, top 8/12/16,
# weight 0.9/1.0/1.2 with the gap).
NEAR_FLOOR = 0.7
NEAR_TOP = 12
NEAR_GAP = 0.25
NEAR_WEIGHT = 1.0
# The thesaurus lines that fired stand for something reports say in their own terms: the question's
# vector moved towards the mean of those lines' term vectors (CONCEPT_ALPHA times as much) finds the
# nearest by meaning again (DENSE_POOL_CONCEPT), and a candidate's meaning signal is the larger of its
# closeness to the question and CONCEPT_MEANING times its closeness to that vector (each rescaled
# within the pool). Chosen on the training questions (docs/brokering.md, "Session of 2026-12-06 (fourth)").
CONCEPT_ALPHA = 2.0
DENSE_POOL_CONCEPT = {"knowledge": 100, "person": 100}
CONCEPT_MEANING = 1.0
# Near-duplicates: variants of one template (the same report for each of 300 municipalities), a
# document harvested from two sources. Such a family fills a pool by meaning and the top of a ranking
# with one document many times. A document closer than DISTINCT in meaning (cosine of the stored
# vectors) to a better one is passed over in the pools of DISTINCT_POOLS (they look up to
# DISTINCT_SCAN rows deep for that many different ones) and, in a ranking of COLLAPSE_KINDS, shown
# after the different ones ("lijkt sterk op …"). Distinct reports on one subject stay below 0.75.
DISTINCT = 0.8
DISTINCT_POOLS = frozenset({"knowledge"})
DISTINCT_SCAN = 2000
COLLAPSE_KINDS = frozenset({"knowledge", "person"})
# By meaning, items and people count by their cosine less this times their crowding (the mean cosine
# of their 5 nearest others, `embedding.CROWD_K`): one of hundreds of near-copies, or a generic text
# near everything, no longer fills the pools by meaning ahead of the text that is about the question
# (chosen on the training questions of both scales, 2026-12-07: k 5 and 10, weight 0.3-0.5).
CROWDING = {"knowledge": 0.4, "person": 0.4}
# People are also looked for near what the best items say: the mean vector of the ITEM_LED best items
# finds ITEM_LED_POOL people, and its closeness, rescaled within the pool, counts as meaning when it is
# larger (an expert on verzilting is closer to the salt-water reports than to "de sloot wordt zout").
ITEM_LED = 5
ITEM_LED_POOL = 100
ITEM_LED_MEANING = 1.0
# ... and near each of the ITEM_EACH best items on its own: a mean of five reports on different things
# is close to none of their experts, one report often to its expert first of 20,000 (national
# training questions). Each finds its ITEM_EACH_POOL nearest people; a person's closeness to the best
# of them (the j-th best item counting (1 - ITEM_EACH_DECAY)^j), less crowding and rescaled within
# the pool, counts as meaning where it is larger. Chosen on the training questions of both scales
# (docs/brokering.md, 2026-12-07, eighth session: 2/3/5/10 items, decay 0-0.4, pool 10/30).
ITEM_EACH = 3
ITEM_EACH_POOL = 10
ITEM_EACH_MEANING = 1.0
ITEM_EACH_DECAY = 0.2
# Items, too, count by how close they are to the best items: once ranked, the ITEMS_NEAR_BEST best
# (different) items are taken as what the question is about, and an item's closeness to the best of
# them (the j-th counting (1 - ITEMS_NEAR_BEST_DECAY)^j; to itself not counted), less crowding and
# rescaled within the pool, times ITEMS_NEAR_BEST_MEANING, is its meaning signal where that is
# larger, and the items are ranked again. Reports on one subject lie close to each other even where
# the question's words lie close to none of them. Chosen on the training questions of both scales
# (docs/brokering.md, 2026-12-07, eighth session: 1/2/3/5 items, decay 0/0.2/0.4, weight 0.7/1/1.3;
# looking for new items near the best ones as well changed nothing and cost 100 ms).
ITEMS_NEAR_BEST = 2
ITEMS_NEAR_BEST_DECAY = 0.2
ITEMS_NEAR_BEST_MEANING = 1.0
LARGE_KINDS = ("knowledge", "person")  # the matrices whose passes begin ahead of need

# A candidate found by the asker's words only inside its own compounds — "plannen" in
# *beplantingsplannen*, "dorp" in *dorpshuizen* — shares a part of a word, not the word: its words
# score counts PART_ONLY times (for these kinds; what the thesaurus terms found stays). The question's
# own compounds still match a text's separate words (*energieplannen*: *energie*, *plannen*). Chosen
# on the training questions (docs/brokering.md, 2026-12-07, seventh session: 0, 0.25, 0.5; people
# alone or with items).
PART_ONLY = 0.25
PART_ONLY_KINDS = frozenset({"knowledge", "person"})
RELATION_WEIGHT = {"direct": 1.0, "broader": 0.8, "narrower": 0.6, "overlap": 0.4, "country": 0.4}
# A candidate among the DENSE_POOL nearest in meaning counts as relevant for the area signal, as one
# found by its words does (any BM25 score > 0). Before, only those above the pool's median similarity
# did: a report that shares no word with the question and is 0.15 close to it in cosine (the encoder's
# cosines are low and close together) got no area credit, while an item sharing one everyday word did.
FOUND_BY_MEANING = 0.05
REGION_FULL_AT = 0.0  # > 0: the area signal counts fully only for candidates at least this relevant in
# words or meaning, below in proportion. 0: a candidate relevant neither in words nor in meaning (an
# off-topic item that merely lies in the right province) gets no area credit, any other gets it in full
# (the fit: 0.05, 0.1, 0.25 and 0.5 lowered the training figures; see docs/brokering.md)
GUESSED_THEMES = 0.5  # themes the engine guessed count half of themes the asker chose (0.35 and 0.5 tried)
PARENT_CREDIT = 0.5  # a candidate tagged with the parent of the question's theme
# When the asker chose no theme, a person's theme that is close in meaning to the question (its name and
# description, against the other themes: see theme_closeness) counts as a guessed theme would, in
# proportion to that closeness. Chosen on the training questions (docs/brokering.md): for people it
# lifted the mismatch set's training split (0.764 -> 0.808 nDCG@10) with the shipped set level; for
# knowledge items it cost the shipped set a little, so items keep the guessed themes alone.
THEME_CLOSENESS_KINDS = frozenset({"person"})
THEME_CLOSENESS_REASON = 0.5  # from this closeness on, the reasons name the theme
GROUP_KINDS = ("network", "hub", "organisation")
ENTITY_PLURAL = {
    "person": "kennishouders",
    "network": "netwerken",
    "hub": "kennishubs",
    "organisation": "organisaties",
}
CLOSED_QUESTION_STATES = (Question.State.MERGED, Question.State.DECLINED)
ANSWERED_KIND = "answered"  # a question's search document has kind "answered" once it has an answer
_WORD = re.compile(r"[^\w\s'-]+", re.UNICODE)
_MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


@dataclass
class Candidate:
    kind: str  # knowledge | person | network | hub | organisation | question
    id: int
    slug: str
    title: str
    url: str
    score: float
    reasons: list[str]
    snippet: str  # HTML-safe, <mark> around matched words
    state: str = ""  # questions: their state
    decision: str = ""  # "accepted" once the broker accepted it
    rank: int = 0  # position within its kind (set by candidate_lookup)

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"


@dataclass
class Matches:
    items: list[Candidate] = field(default_factory=list)
    people: list[Candidate] = field(default_factory=list)
    groups: list[Candidate] = field(default_factory=list)  # networks, hubs, organisations
    questions: list[Candidate] = field(default_factory=list)
    accepted: list[MatchFeedback] = field(default_factory=list)

    def all(self) -> list[Candidate]:
        return [*self.items, *self.people, *self.groups, *self.questions]


# --------------------------------------------------------------------------------------------------
# Areas and themes


Scope = RegionRelations  # how region codes relate to the question's areas (plek.atlas.areas)


def region_scope(regions: Sequence[Region]) -> Scope:
    """The question's areas, those containing them, those inside them, and those overlapping a
    containing area (RES regions overlap provinces), nearest relation first."""
    return region_relations(regions, overlaps=True, country_apart=True)


@lru_cache(maxsize=1)
def _theme_rows() -> tuple[dict[str, tuple[str, str]], dict[int, str], dict[str, frozenset[str]]]:
    from plek.knowledge.search.analysis import field_tokens

    labels, by_id, words = {}, {}, {}
    for pk, slug, nl, en in Theme.objects.values_list("pk", "slug", "label_nl", "label_en"):
        labels[slug] = (nl, en)
        by_id[pk] = slug
        words[slug] = frozenset(t for t, _ in field_tokens(nl) if len(t) > 2)
    return labels, by_id, words


def _theme_table() -> tuple[dict[str, str], dict[int, str], dict[str, frozenset[str]]]:
    """(slug -> label in the current language, id -> slug, slug -> analysed words of its Dutch label)."""
    labels, by_id, words = _theme_rows()
    en = get_language() == "en"
    return {s: (pair[1] if en and pair[1] else pair[0]) for s, pair in labels.items()}, by_id, words


def theme_table_clear() -> None:
    _theme_rows.cache_clear()
    _theme_parents.cache_clear()
    _theme_texts.cache_clear()


@lru_cache(maxsize=1)
def _theme_texts() -> dict[str, str]:
    """slug -> what a theme is matched on by meaning: its Dutch name and what it covers."""
    rows = Theme.objects.values_list("slug", "label_nl", "description")
    return {slug: f"{nl}. {description}" if description else nl for slug, nl, description in rows}


@lru_cache(maxsize=1)
def _theme_parents() -> dict[str, str]:
    """slug -> parent slug."""
    rows = Theme.objects.filter(parent__isnull=False).values_list("slug", "parent__slug")
    return {str(slug): str(parent) for slug, parent in rows}


def theme_credit(themes: Iterable[str], candidate: Iterable[str]) -> float:
    """How well a candidate's themes (ancestors included) meet the question's: per question theme 1
    when the candidate has it, PARENT_CREDIT when it has only its parent; the best counts most and
    extra themes do not dilute it (0.75 x best + 0.25 x mean)."""
    wanted = list(themes)
    if not wanted:
        return 0.0
    have = set(candidate)
    parents = _theme_parents()
    credits = [1.0 if t in have else PARENT_CREDIT if parents.get(t) in have else 0.0 for t in wanted]
    return 0.75 * max(credits) + 0.25 * sum(credits) / len(credits)


def clean_text(*parts: str) -> str:
    """Question text as plain words for an OR query: search syntax (quotes, minus, stars) removed."""
    text = " ".join(p for p in parts if p)
    text = _WORD.sub(" ", text).replace("-", " ").replace("'", " ")
    text = " ".join(w for w in text.split() if w.upper() not in ("OR", "AND", "NOT"))
    if len(text) > MAX_QUERY_CHARS:
        cut = text.rfind(" ", 0, MAX_QUERY_CHARS)
        text = text[: cut if cut > 0 else MAX_QUERY_CHARS]
    return text


def _query(text: str, viewer: Viewer | None, kinds: Sequence[str], **kw: Any) -> list[SearchHit]:
    return _start(text, viewer, kinds, **kw)()


def _start(
    text: str, viewer: Viewer | None, kinds: Sequence[str], **kw: Any
) -> Callable[[], list[SearchHit]]:
    """A words query begun; the returned function waits for its hits. With a backend that can search
    on a background thread (tantivy) it runs while matching does other work (its vector searches);
    otherwise (PostgreSQL: the query needs this thread's connection) it has run already. With
    `light=True` the hits may be light (key, type, id and score only: `_made_whole` completes them)."""
    kw.setdefault("max_terms", MAX_TERMS)
    q = SearchQuery(
        text=text,
        types=list(kinds),
        viewer_keys=viewer_keys(viewer) if viewer is not None else ["public"],
        match="any",
        facets=False,
        snippets=False,
        count=False,
        **kw,
    )
    backend = get_backend()
    start = getattr(backend, "start", None)
    if start is None:
        hits = backend.query(q).hits
        return lambda: hits
    result = start(q)
    return lambda: result().hits


def suggest_themes(
    text: str, *, limit: int = 5, viewer: Viewer | None = None, hits: list[SearchHit] | None = None
) -> list[Theme]:
    """Themes for a question text: those whose name the text uses, then those of the knowledge items
    that match the text best (weighted by rank; `hits`: such items already found). Deterministic."""
    words = clean_text(text)
    if not words.strip():
        return []
    slugs = _suggested_slugs(words, viewer, hits, limit, vectors.query_vector(words))
    found = {t.slug: t for t in Theme.objects.filter(slug__in=slugs)}
    return [found[s] for s in slugs if s in found]


THEME_MEANING_FLOOR = 0.2  # a theme (name and description) at least this close in meaning counts


@lru_cache(maxsize=2)
def _theme_vectors(slugs: tuple[str, ...], texts: tuple[str, ...]) -> Any:
    return embedding.encode(list(texts))


def _theme_similarities(qvec: Any) -> dict[str, float]:
    """slug -> cosine similarity of the question with each theme's name and description (empty
    without embeddings)."""
    texts = _theme_texts()
    if qvec is None or not texts:
        return {}
    slugs = tuple(sorted(texts))
    sims = _theme_vectors(slugs, tuple(texts[s] for s in slugs)) @ qvec
    return {slug: float(sim) for slug, sim in zip(slugs, sims, strict=True)}


def _suggested_slugs(
    words: str, viewer: Viewer | None, hits: list[SearchHit] | None, limit: int, qvec: Any = None
) -> list[str]:
    """Theme slugs for a text: by the words of their names, by the meaning of their names (when
    embeddings are on: so "van papier naar praktijk" reaches Uitvoeringskracht), and by the themes
    of the items that match the text best in words and in meaning."""
    from plek.knowledge.search.analysis import field_tokens

    _labels, by_id, label_words = _theme_table()
    tokens = {t for t, _ in field_tokens(words)}
    weight: dict[str, float] = defaultdict(float)
    for slug, ws in label_words.items():
        if ws and ws <= tokens:
            weight[slug] += 3.0
        elif ws & tokens:
            weight[slug] += 1.0 * len(ws & tokens) / len(ws)
    hits = (hits if hits is not None else _query(words, viewer, ["knowledge"], limit=30))[:30]
    if hits and qvec is not None:
        # a family of near-duplicates votes once, not once per copy
        vecs = vectors.vectors_of([h.key for h in hits])
        hits = [hits[i] for i in greedy_distinct(vecs, DISTINCT, len(hits))]
    if hits:
        top = hits[0].score or 1.0
        rows = KnowledgeItem.themes.through.objects.filter(
            knowledgeitem_id__in=[h.id for h in hits]
        ).values_list("knowledgeitem_id", "theme_id")
        direct: dict[int, list[str]] = defaultdict(list)
        for item_id, theme_id in rows:
            if theme_id in by_id:
                direct[item_id].append(by_id[theme_id])
        for rank, hit in enumerate(hits):
            for slug in direct.get(hit.id, []):
                weight[slug] += (hit.score / top) / (1 + rank * 0.15)
    if qvec is not None:
        for slug, sim in _theme_similarities(qvec).items():
            if sim > THEME_MEANING_FLOOR:
                weight[slug] += 3.0 * (sim - THEME_MEANING_FLOOR)
        parents = _theme_parents()
        near = vectors.nearest(
            qvec, ["knowledge"], _vkeys(viewer), 20, distinct=DISTINCT, scan=DISTINCT_SCAN, crowding=CROWDING
        )
        for rank, (row, _cos) in enumerate(near):
            # the row's themes include ancestors: count only the most specific ones
            own = set(row.themes) - {parents.get(t) for t in row.themes}
            for slug in own:
                weight[slug] += 0.5 / (1 + rank * 0.15)
    ranked = sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))
    strongest = ranked[0][1] if ranked else 0.0
    return [s for s, w in ranked if w >= 0.35 * strongest][:limit]


def theme_closeness(qvec: Any) -> dict[str, float]:
    """slug -> how close each theme (name and description) is in meaning to the question, against the
    other themes: the closest 1, the median theme and those below it left out. The encoder's cosines
    with such short texts are low and close together (0.05-0.3), so only the order among themes says
    something. Empty without embeddings."""
    sims = _theme_similarities(qvec)
    if not sims:
        return {}
    middle, top = sorted(sims.values())[len(sims) // 2], max(sims.values())
    if top <= middle:
        return {}
    return {s: (x - middle) / (top - middle) for s, x in sims.items() if x > middle}


# --------------------------------------------------------------------------------------------------
# Scoring


@dataclass
class _Pooled:
    hit: SearchHit
    text: float = 0.0  # BM25 relative to the best of its kind; 0 when found by meaning only
    meaning: float = 0.0  # embedding similarity, rescaled to [0, 1] against the best of its kind
    cosine: float = 0.0  # the raw cosine similarity
    lexical: bool = True  # found by words (else by meaning alone)
    found_by_meaning: bool = False  # among the DENSE_POOL nearest of its kind
    by_thesaurus: bool = False  # its text signal came from the thesaurus terms, not the asker's words
    concept: float = 0.0  # cosine similarity to the question moved towards the fired lines' terms
    by_concept: bool = False  # its meaning signal came from those terms, not from the question alone
    cut: bool = False  # found by words, its hit made from its vector row: `texts` cut short (META_TEXT)


def _from_index(pooled: Sequence[_Pooled], viewer: Viewer | None) -> set[str]:
    """Give these pooled candidates their whole hits from the index (their scores kept); returns the
    keys the index no longer shows the viewer."""
    stored = {hit.key: hit for hit in get_backend().documents([p.hit.key for p in pooled], _vkeys(viewer))}
    for p in pooled:
        if p.hit.key in stored:
            stored[p.hit.key].score = p.hit.score
            p.hit, p.cut = stored[p.hit.key], False
    return {p.hit.key for p in pooled} - set(stored)


def _made_whole(found: dict[str, _Pooled], viewer: Viewer | None) -> None:
    """Complete the light hits of a pool (found by words; the index told only their key and score)
    from the vector rows in memory, with their texts cut short (`cut`: the shown ones fetch theirs,
    `_with_texts`), and those without a row from the index."""
    light = [key for key, p in found.items() if p.hit.light]
    if not light:
        return
    rows = vectors.rows(light)
    for key in light:
        if key in rows:
            hit = vectors.as_hit(rows[key], found[key].hit.score)
            hit.themes, hit.regions = clean_list(hit.themes), clean_list(hit.regions)
            found[key].hit, found[key].cut = hit, True
    missing = [found[key] for key in light if key not in rows]
    # gone from the index (or out of the viewer's sight) since the query ran
    for key in _from_index(missing, viewer) if missing else ():
        del found[key]


def _with_texts(shown: list[_Scored], viewer: Viewer | None) -> None:
    """The whole summary and body of the shown candidates whose hits came from their vector rows
    (for their snippets and reasons, made as from the index)."""
    cut = [s.pooled for s in shown if s.pooled.cut]
    if cut:
        _from_index(cut, viewer)


def _row_hit(row: Row, score: float) -> SearchHit:
    return vectors.as_hit(row, score)


def _vkeys(viewer: Viewer | None) -> list[str] | None:
    return viewer_keys(viewer) if viewer is not None else ["public"]


# Set by the bench's weight fitting (an empty dict): the pools do not depend on the weights, so each
# question's are retrieved once however many weightings are tried. None (always, when serving): off.
pool_memo: dict[tuple[Any, ...], list[_Pooled]] | None = None


def _pool(
    text: str,
    viewer: Viewer | None,
    kinds: Sequence[str],
    scope: Scope,
    themes: Sequence[str],
    first: list[SearchHit] | None = None,
    qvec: Any = None,
    extra: Sequence[Row] = (),
    expanded: str = "",
    expanded_near: str = "",
    cvec: Any = None,
    begun: _Begun | None = None,
    ivec: Any = None,
) -> list[_Pooled]:
    """Candidates of these kinds found by words (whole collection, within the area, within the
    themes), by the thesaurus terms for the question's everyday words (`expanded`, see
    plek.knowledge.search.thesaurus) and by meaning (embedding top-k: to the question `qvec`, and to
    it moved towards what the fired thesaurus lines stand for, `cvec`), each with its lexical and
    meaning signal; `extra`: candidates to add whatever their score (accepted for similar earlier
    questions). `begun`: its words queries, when the caller began them already (`_begin_words`).
    `ivec`: for people, the mean vector of the best items and each of the best (see ITEM_LED,
    ITEM_EACH)."""
    args = (text, viewer, kinds, scope, themes, first, qvec, extra, expanded, expanded_near, cvec)
    if pool_memo is None or viewer is not None or extra:
        return _retrieve(*args, begun=begun, ivec=ivec)
    key = (
        text,
        tuple(kinds),
        tuple(sorted(scope.relation.items())),
        tuple(themes),
        qvec is not None,
        expanded,
        expanded_near,
        cvec is not None,
        ivec.tobytes() if ivec is not None else None,
    )
    if key not in pool_memo:
        pool_memo[key] = _retrieve(*args, begun=begun, ivec=ivec)
    return pool_memo[key]


@dataclass
class _Begun:
    """The words queries of one kind's pool, begun (each a function that waits for its hits)."""

    batches: list[Callable[[], list[SearchHit]]]  # the question's words: everywhere, in the area, themes
    by_terms: list[tuple[float, Callable[[], list[SearchHit]]]]  # thesaurus terms, with their weight


def _begin_words(
    text: str,
    viewer: Viewer | None,
    kinds: Sequence[str],
    scope: Scope,
    themes: Sequence[str],
    expanded: str,
    expanded_near: str,
    whole: Callable[[], list[SearchHit]] | None = None,
    light: bool = False,
) -> _Begun:
    """Begin a pool's words queries: the question's words over the whole collection (`whole`: begun
    already), within the area and within the themes, and the thesaurus terms (fired by words, and
    by meaning). With tantivy they search on its background threads meanwhile. `light`: their hits
    may be light (see `_made_whole`)."""
    batches = [whole if whole is not None else _start(text, viewer, kinds, limit=POOL, light=light)]
    if scope.relation:
        batches.append(
            _start(text, viewer, kinds, limit=POOL_SCOPED, regions=sorted(scope.relation), light=light)
        )
    if themes:
        batches.append(_start(text, viewer, kinds, limit=POOL_SCOPED, themes=sorted(themes), light=light))
    by_terms = [
        (weight, _start(terms, viewer, kinds, limit=POOL_THESAURUS, max_terms=None, light=light))
        for terms, weight in ((expanded, THESAURUS_WEIGHT), (expanded_near, NEAR_WEIGHT))
        if terms and weight > 0
    ]
    return _Begun(batches=batches, by_terms=by_terms)


def _retrieve(
    text: str,
    viewer: Viewer | None,
    kinds: Sequence[str],
    scope: Scope,
    themes: Sequence[str],
    first: list[SearchHit] | None,
    qvec: Any,
    extra: Sequence[Row],
    expanded: str = "",
    expanded_near: str = "",
    cvec: Any = None,
    begun: _Begun | None = None,
    ivec: Any = None,
) -> list[_Pooled]:
    found: dict[str, _Pooled] = {}
    # the words queries first: they search on a background thread while the vector searches run
    if begun is None:
        whole = (lambda: first) if first is not None else None
        begun = _begin_words(text, viewer, kinds, scope, themes, expanded, expanded_near, whole)
    batches, by_terms = begun.batches, begun.by_terms
    near: list[Row] = []
    if qvec is not None:
        # the nearest over the whole collection, within the area (when it has one), and to what the
        # fired thesaurus lines stand for (when any fired)
        area = sorted(code for code, how in scope.relation.items() if how != "country")
        searches: list[tuple[Any, int, list[str] | None]] = [
            (qvec, max(DENSE_POOL.get(kind, DENSE_POOL_OTHER) for kind in kinds), None)
        ]
        if area:
            searches.append((qvec, max(DENSE_POOL_SCOPED.get(kind, 0) for kind in kinds), area))
        if cvec is not None:
            searches.append((cvec, max(DENSE_POOL_CONCEPT.get(kind, 0) for kind in kinds), None))
        distinct = DISTINCT if DISTINCT_POOLS.issuperset(kinds) else None
        for vec, depth, regions in searches:
            near.extend(
                row
                for row, _cos in vectors.nearest(
                    vec,
                    kinds,
                    _vkeys(viewer),
                    depth,
                    regions=regions,
                    distinct=distinct,
                    scan=DISTINCT_SCAN,
                    crowding=CROWDING,
                )
            )
    for batch in batches:
        for hit in batch():
            if hit.key not in found:
                found[hit.key] = _Pooled(hit=hit)
    best = max((p.hit.score for p in found.values()), default=0.0) or 1.0
    for p in found.values():
        p.text = p.hit.score / best
    # The thesaurus terms as a query of their own, relative to their own best: a report on
    # "verzilting" for "de sloot wordt zout" counts as found by words, at most THESAURUS_WEIGHT. What
    # the asker's words and the terms both find adds up (to at most 1): each confirms the other.
    words = {key: p.text for key, p in found.items()}
    terms: dict[str, float] = defaultdict(float)
    for weight, started in by_terms:
        hits = started()
        top = max((h.score for h in hits), default=0.0) or 1.0
        for hit in hits:
            p = found.setdefault(hit.key, _Pooled(hit=hit))
            value = weight * hit.score / top
            terms[hit.key] += value
            p.text = min(1.0, p.text + value)
            if value > words.get(hit.key, 0.0):
                p.by_thesaurus = True
    _made_whole(found, viewer)
    if PART_ONLY < 1 and PART_ONLY_KINDS.intersection(kinds):
        _part_only(found, words, terms, analysis.query_stems(text))
    if qvec is not None:
        _found_by_meaning(found, near)
        for row in extra:
            if row.key not in found:
                found[row.key] = _Pooled(hit=_row_hit(row, 0.0), lexical=False)
        for key, cos in vectors.similarity(qvec, list(found)).items():
            found[key].cosine = cos
        for key, cos in (vectors.similarity(cvec, list(found)) if cvec is not None else {}).items():
            found[key].concept = cos
        # the signal by meaning ranks as the pools did: less crowding (the reasons keep the cosine)
        crowd = vectors.crowding(list(found), CROWDING)
        meaning = _rescaled([p.cosine - crowd.get(key, 0.0) for key, p in found.items()])
        concept = (
            _rescaled([p.concept - crowd.get(key, 0.0) for key, p in found.items()])
            if cvec is not None
            else None
        )
        for i, p in enumerate(found.values()):
            p.meaning = meaning[i] if concept is None else max(meaning[i], CONCEPT_MEANING * concept[i])
            p.by_concept = concept is not None and CONCEPT_MEANING * concept[i] > meaning[i]
        if ivec is not None:
            _item_led(found, ivec, kinds, viewer, crowd)
    return list(found.values())


def _part_only(
    found: dict[str, _Pooled], words: dict[str, float], terms: dict[str, float], stems: frozenset[str]
) -> None:
    """A candidate found by the asker's words whose text holds none of them as a whole word, only as
    parts of its compounds (*beplantingsplannen*, *participatieplannen* for "plannen"), counts
    PART_ONLY times its words score; what the thesaurus terms found it by stays. A hit without its
    texts, or with them cut short (made from its vector row, `META_TEXT`), is left as it is."""
    for key, value in words.items():
        p = found[key]
        if value <= 0 or p.hit.type not in PART_ONLY_KINDS:
            continue
        if not any(p.hit.texts) or (p.cut and len("\n".join(p.hit.texts)) >= vectors.META_TEXT):
            continue  # its text is missing or cut short here: the whole word may stand further on
        if analysis.holds_whole(" ".join((p.hit.title, *p.hit.texts)), stems):
            continue
        p.text = min(1.0, PART_ONLY * value + terms.get(key, 0.0))
        p.by_thesaurus = terms.get(key, 0.0) > PART_ONLY * value


def _found_by_meaning(found: dict[str, _Pooled], rows: Iterable[Row]) -> None:
    """Mark these rows found by meaning, adding those the pool lacks (with no words score)."""
    for row in rows:
        if row.key not in found:
            found[row.key] = _Pooled(hit=_row_hit(row, 0.0), lexical=False)
        found[row.key].found_by_meaning = True


def _item_led(
    found: dict[str, _Pooled], ivec: Any, kinds: Sequence[str], viewer: Viewer | None, crowd: dict[str, float]
) -> None:
    """Add the ITEM_LED_POOL nearest to what the best items say (`ivec[0]`, their mean) and the
    ITEM_EACH_POOL nearest to each of the best items (`ivec[1:]`) to the pool, found by meaning; a
    candidate's meaning signal becomes its closeness to the mean, and then its closeness to the best
    of the items (weighted by their place, ITEM_EACH_DECAY), each less crowding and rescaled within
    the pool, times ITEM_LED_MEANING / ITEM_EACH_MEANING, where that is larger. `crowd`: the pool's
    crowding so far (only the candidates added here are looked up)."""
    import numpy as np

    mean, each = ivec[0], ivec[1:]
    if ITEM_LED_MEANING > 0:
        near = vectors.nearest(mean, kinds, _vkeys(viewer), ITEM_LED_POOL, crowding=CROWDING)
        _found_by_meaning(found, (row for row, _score in near))
    if ITEM_EACH_MEANING > 0:
        for vec in each:
            near = vectors.nearest(vec, kinds, _vkeys(viewer), ITEM_EACH_POOL, crowding=CROWDING)
            _found_by_meaning(found, (row for row, _score in near))
    keys = list(found)
    crowd = {**crowd, **vectors.crowding([key for key in keys if key not in crowd], CROWDING)}
    if ITEM_LED_MEANING > 0:
        sims = vectors.similarity(mean, keys)
        led = _rescaled([sims.get(key, 0.0) - crowd.get(key, 0.0) for key in keys])
        for p, value in zip(found.values(), led, strict=True):
            p.meaning = max(p.meaning, ITEM_LED_MEANING * value)
    if ITEM_EACH_MEANING > 0 and len(each):
        weights = np.array([(1.0 - ITEM_EACH_DECAY) ** j for j in range(len(each))], dtype=np.float32)
        mat = vectors.vectors_of(keys)
        with embedding.blas_threads():
            best = ((mat @ each.T) * weights).max(axis=1)
        per = _rescaled([float(b) - crowd.get(key, 0.0) for key, b in zip(keys, best, strict=True)])
        for p, value in zip(found.values(), per, strict=True):
            p.meaning = max(p.meaning, ITEM_EACH_MEANING * value)


def _item_vectors(items: Sequence[Candidate]) -> Any:
    """The normalised mean vector of the ITEM_LED best items, then each of the ITEM_EACH best
    (None without items or vectors)."""
    import numpy as np

    keys = [f"knowledge:{c.id}" for c in items[: max(ITEM_LED, ITEM_EACH)]]
    if not keys or (ITEM_LED_MEANING <= 0 and (ITEM_EACH <= 0 or ITEM_EACH_MEANING <= 0)):
        return None
    vecs = vectors.vectors_of(keys)
    mean = vecs[:ITEM_LED].mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm <= 0:
        return None
    each = vecs[:ITEM_EACH]
    each = each / np.maximum(np.linalg.norm(each, axis=1, keepdims=True), 1e-9)
    return np.vstack([mean / norm, each]).astype(np.float32)


def _rescaled(cosines: list[float]) -> list[float]:
    """Rescaled within the pool: the encoder's cosines are low and close together (0.1-0.5), so what
    counts is how a candidate stands against the others: the median is 0, the best 1 (at least
    MEANING_SPAN below the best, so that in a small pool tiny differences stay small)."""
    if not cosines:
        return []
    ordered = sorted(cosines)
    top = ordered[-1]
    low = max(MEANING_FLOOR, min(ordered[len(ordered) // 2], top - MEANING_SPAN))
    if top <= low:
        return [0.0] * len(cosines)
    return [max(0.0, (c - low) / (top - low)) for c in cosines]


def _concept_query(qvec: Any, lines: Any) -> Any:
    """The question's vector moved towards what the thesaurus lines that fired stand for (the mean
    of their terms' vectors, `lines`), CONCEPT_ALPHA times as much; None when none fired."""
    import numpy as np

    if qvec is None or lines is None:
        return None
    concept = lines.mean(axis=0)
    concept = concept / max(float(np.linalg.norm(concept)), 1e-9)
    v = qvec + CONCEPT_ALPHA * concept
    return (v / max(float(np.linalg.norm(v)), 1e-9)).astype(np.float32)


def _marked_words(snippet: str, limit: int = 4) -> list[str]:
    out: list[str] = []
    for word in _MARK.findall(snippet or ""):
        w = word.lower()
        if w not in out:
            out.append(w)
    return out[:limit]


def _region_reason(kind: str, code: str, scope: Scope) -> str:
    rel = scope.relation[code]
    where = scope.names.get(code, code)
    area = scope.via.get(code, "")
    expert = kind == "person"
    if rel == "direct":
        msg = _("deskundige voor %(r)s") if expert else _("gaat over %(r)s")
    elif rel in ("broader", "country"):
        msg = (
            _("deskundige voor %(r)s, waar %(a)s in ligt")
            if expert
            else _("gaat over %(r)s, waar %(a)s in ligt")
        )
    elif rel == "narrower":
        msg = _("deskundige voor %(r)s, binnen %(a)s") if expert else _("gaat over %(r)s, binnen %(a)s")
    else:
        msg = (
            _("deskundige voor %(r)s, dat overlapt met %(a)s")
            if expert
            else _("gaat over %(r)s, dat overlapt met %(a)s")
        )
    return msg % {"r": where, "a": area}


def _signals(
    pooled: _Pooled,
    scope: Scope,
    themes: frozenset[str],
    hybrid: bool = True,
    guessed: bool = False,
    closeness: dict[str, float] | None = None,
) -> float:
    """The weighted sum of the text, meaning, theme and region signals (no bonuses). Without
    embeddings (`hybrid` False) the meaning weight goes to the text signal. Themes the engine
    `guessed` are weak evidence; so is, for a person, a theme of theirs close in meaning to the
    question (`closeness`, from theme_closeness). The area counts in proportion to how relevant the
    candidate is."""
    hit = pooled.hit
    theme = theme_credit(themes, hit.themes)
    if guessed:
        theme = max(theme, _closest_theme(hit, closeness)[1]) * GUESSED_THEMES
    code = scope.best(hit.regions)
    region = RELATION_WEIGHT[scope.relation[code]] if code else 0.0
    relevance = max(pooled.text, pooled.meaning if hybrid else 0.0)
    if hybrid and pooled.found_by_meaning:
        relevance = max(relevance, FOUND_BY_MEANING)
    if relevance <= 0:
        region = 0.0
    elif REGION_FULL_AT > 0:
        region *= min(1.0, relevance / REGION_FULL_AT)
    if hybrid:
        text = WEIGHTS["text"] * pooled.text + WEIGHTS["meaning"] * pooled.meaning
    else:
        text = (WEIGHTS["text"] + WEIGHTS["meaning"]) * pooled.text
    return text + WEIGHTS["theme"] * theme + WEIGHTS["region"] * region


def _closest_theme(hit: SearchHit, closeness: dict[str, float] | None) -> tuple[str, float]:
    """The candidate's theme closest in meaning to the question, and how close (0 when it counts not:
    another kind of candidate, or no closeness given)."""
    best, slug = 0.0, ""
    if closeness and hit.type in THEME_CLOSENESS_KINDS:
        for t in hit.themes:
            if closeness.get(t, 0.0) > best:
                best, slug = closeness[t], t
    return slug, best


@dataclass
class _Scored:
    pooled: _Pooled
    score: float
    extra: list[str]  # reasons from bonuses
    key: str


def _finish(
    s: _Scored,
    scope: Scope,
    themes: frozenset[str],
    labels: dict[str, str],
    parsed: ParsedQuery,
    decision: str = "",
    sentence: str = "",
    concept: thesaurus.Expansion | None = None,
    expansions: Sequence[thesaurus.Expansion] = (),
) -> Candidate:
    """A shown candidate: its snippet, URL and reasons are made only for those that are shown.
    `sentence`: its sentence closest in meaning to the question, when it was found by meaning;
    `expansions`: the thesaurus terms for the question's everyday words."""
    hit = s.pooled.hit
    snip = hit.snippet or snippet(list(hit.texts), parsed)
    reasons: list[str] = []
    words = _marked_words(snip)
    if words:
        reasons.append(_("deelt de woorden: %(w)s") % {"w": ", ".join(words)})
    if s.pooled.by_thesaurus and expansions:
        said = _thesaurus_reason(hit, expansions)
        if said:
            reasons.append(said[0])
            if not words:
                snip = said[1]
    if sentence and concept is not None:
        parts = {"w": ", ".join((concept.terms or concept.concept)[:3]), "p": concept.phrase, "s": sentence}
        reasons.append(
            _("gaat over hetzelfde als de vakwoorden %(w)s voor iets als „%(p)s”: „%(s)s”") % parts
            if concept.near
            else _("gaat over hetzelfde als de vakwoorden %(w)s voor „%(p)s”: „%(s)s”") % parts
        )
    elif sentence:
        reasons.append(_("gaat over hetzelfde: „%(s)s”") % {"s": sentence})
    if not snip and sentence:
        snip = escape(sentence)
    shared = sorted(themes & set(hit.themes))
    if shared:
        names = ", ".join(labels.get(t, t) for t in shared[:3])
        reasons.append(
            _("deelt het thema %(t)s") % {"t": names}
            if len(shared) == 1
            else _("deelt de thema's %(t)s") % {"t": names}
        )
    code = scope.best(hit.regions)
    if code:
        reasons.append(_region_reason(hit.type, code, scope))
    reasons.extend(s.extra)
    return Candidate(
        kind=hit.type,
        id=hit.id,
        slug=hit.slug,
        title=hit.title,
        url=_url(hit.type, hit.slug),
        score=round(min(1.0, max(0.0, s.score)), 4),
        reasons=reasons,
        snippet=snip,
        state=hit.kind if hit.type == "question" else "",
        decision=decision,
    )


@lru_cache(maxsize=4096)
def _parsed_term(term: str) -> ParsedQuery:
    """A thesaurus term as a query (the terms are few and recur from question to question)."""
    return parse_query(term)


def _thesaurus_reason(hit: SearchHit, expansions: Sequence[thesaurus.Expansion]) -> tuple[str, str] | None:
    """'gebruikt het vakwoord verzilting voor „sloot wordt zout”' for the first expansion with terms
    in the candidate's title or text (named as the thesaurus writes them; "voor iets als" when the
    phrase fired by meaning), and a snippet of its text with those terms marked."""
    texts = [hit.title, *hit.texts]
    for e in expansions:
        present = [t for t in e.terms if mentions(texts, _parsed_term(t))]
        if present:
            said = {"w": ", ".join(present[:3]), "p": e.phrase}
            return (
                # near: the phrase is the thesaurus's, close in meaning to the asker's words
                _("gebruikt het vakwoord %(w)s voor iets als „%(p)s”") % said
                if e.near
                else _("gebruikt het vakwoord %(w)s voor „%(p)s”") % said,
                snippet(list(hit.texts), parse_query(" ".join(present))),
            )
    return None


def _top(scored: list[_Scored], limit: int, collapse: bool = False) -> list[_Scored]:
    """The best `limit`; with `collapse`, near-duplicates of a better one (see DISTINCT) after the
    different ones, each saying which one it resembles."""
    scored.sort(key=lambda c: (-c.score, c.key))
    if not collapse or not scored or scored[0].pooled.hit.type not in COLLAPSE_KINDS:
        return scored[:limit]
    # the best few times `limit` usually hold `limit` different ones: only those are read at first
    head = max(4 * limit, 64)
    vecs = vectors.vectors_of([c.pooled.hit.key for c in scored[:head]])
    kept = greedy_distinct(vecs, DISTINCT, limit)
    if len(kept) < limit and len(scored) > head:  # more copies than the head holds: read them all
        vecs = vectors.vectors_of([c.pooled.hit.key for c in scored])
        kept = greedy_distinct(vecs, DISTINCT, limit)
    if len(kept) >= limit or len(kept) == len(scored):
        return [scored[i] for i in kept]
    chosen = set(kept)
    rest = [i for i in range(len(scored)) if i not in chosen][: limit - len(kept)]
    like = (vecs[rest] @ vecs[kept].T).argmax(axis=1)
    for i, j in zip(rest, like, strict=True):
        title = scored[kept[int(j)]].pooled.hit.title
        scored[i].extra.append(_("lijkt sterk op „%(t)s”, hoger in de lijst") % {"t": title})
    return [scored[i] for i in (*kept, *rest)]


MEANING_SENTENCES = 2  # summary sentences per candidate considered for "gaat over hetzelfde"
MEANING_SHOWN = 5  # only the first five shown of a kind get that reason (one encoder pass for all)


def _closest_sentences(
    shown: Sequence[_Scored], qvec: Any, concepts: tuple[list[thesaurus.Expansion], Any] = ([], None)
) -> dict[str, tuple[str, thesaurus.Expansion | None]]:
    """For shown candidates found by meaning alone (they share no word with the question), the
    sentence of their title and summary closest in meaning to the question: one batch for all. For
    those whose meaning came from the thesaurus lines that fired (`concepts`: the lines and their
    terms' vectors), the sentence closest to one of those lines, and that line."""
    if qvec is None:
        return {}
    fired, lines = concepts
    need = [
        s
        for s in shown[:MEANING_SHOWN]
        if not s.pooled.lexical
        and ((s.pooled.by_concept and lines is not None) or s.pooled.cosine >= MEANING_REASON)
    ]
    if not need:
        return {}
    texts: list[str] = []
    owner: list[_Scored] = []
    for s in need:
        hit = s.pooled.hit
        # a person's title is their name, which says nothing about what they know
        title = [] if hit.type == "person" else [hit.title]
        pieces = [*title, *embedding.sentences(hit.texts[0], limit=MEANING_SENTENCES)]
        for piece in pieces:
            if piece.strip():
                texts.append(piece)
                owner.append(s)
    vecs = embedding.encode(texts)
    by_question = vecs @ qvec
    by_line = vecs @ lines.T if lines is not None else None
    best: dict[str, tuple[float, str, thesaurus.Expansion | None]] = {}
    for n, (s, text) in enumerate(zip(owner, texts, strict=True)):
        if s.pooled.by_concept and by_line is not None:
            line = int(by_line[n].argmax())
            sim, why = float(by_line[n][line]), fired[line]
        else:
            sim, why = float(by_question[n]), None
        if s.key not in best or sim > best[s.key][0]:
            best[s.key] = (sim, text, why)
    return {key: (text, why) for key, (_sim, text, why) in best.items()}


def _url(kind: str, slug: str) -> str:
    if kind == "knowledge":
        return reverse("knowledge:detail", args=[slug])
    if kind == "question":
        return reverse("brokering:detail", args=[slug])
    return reverse("atlas:detail", args=[ENTITY_PLURAL[kind], slug])


@dataclass
class MatchInput:
    """What matching needs of a question (a saved one, or an evaluation/intake text)."""

    text: str
    regions: list[Region]
    themes: list[str]  # slugs chosen by the asker
    exclude_question_id: int | None = None
    hub_id: int | None = None  # the hub whose brokers' earlier verdicts inform the ranking


def _thesaurus_lines(text: str, qvec: Any) -> tuple[list[thesaurus.Expansion], list[thesaurus.Expansion]]:
    """The thesaurus lines that fire for `text`: by their words, and (with the question's vector
    `qvec`; none without embeddings) by meaning: the NEAR_TOP closest, above NEAR_FLOOR and within
    NEAR_GAP of the best."""
    fired = thesaurus.expand(text)
    if qvec is None:
        return fired, []
    return fired, thesaurus.near(text, floor=NEAR_FLOOR, top=NEAR_TOP, fired=fired, whole=qvec, gap=NEAR_GAP)


def question_input(question: Question) -> MatchInput:
    return MatchInput(
        text=clean_text(question.title, question.text, question.context),
        regions=list(question.regions.all().defer("geometry")),
        themes=[t.slug for t in question.themes.all()],
        exclude_question_id=question.pk,
        hub_id=question.owner_hub_id,
    )


# --------------------------------------------------------------------------------------------------
# Learning from the hub's earlier verdicts

FEEDBACK_WEIGHT = 0.3  # how much a verdict on a very similar earlier question moves a candidate
FEEDBACK_FLOOR = 0.4  # earlier questions less similar in meaning than this say nothing
FEEDBACK_ROWS = 5000  # the hub's most recent verdicts considered


def feedback_prior(inp: MatchInput, qvec: Any) -> dict[str, float]:
    """ "kind:id" -> a value in [-1, 1]: candidates the hub's brokers accepted (+) or rejected (-) for
    earlier questions like this one, weighted by how close in meaning those questions are. Two
    queries (the verdicts; the vectors are in memory)."""
    if inp.hub_id is None or qvec is None:
        return {}
    verdicts = MatchFeedback.objects.filter(question__owner_hub_id=inp.hub_id)
    if inp.exclude_question_id is not None:
        verdicts = verdicts.exclude(question_id=inp.exclude_question_id)
    rows = list(
        verdicts.order_by("-at").values_list("question_id", "kind", "target_id", "decision")[:FEEDBACK_ROWS]
    )
    if not rows:
        return {}
    sims = vectors.similarity(qvec, {f"question:{qid}" for qid, *_rest in rows})
    prior: dict[str, float] = defaultdict(float)
    for qid, kind, target_id, decision in rows:
        sim = sims.get(f"question:{qid}", 0.0)
        if sim <= FEEDBACK_FLOOR:
            continue
        weight = (sim - FEEDBACK_FLOOR) / (1 - FEEDBACK_FLOOR)
        sign = 1.0 if decision == MatchFeedback.Decision.ACCEPTED else -1.0
        prior[f"{kind}:{target_id}"] += sign * weight
    return {k: max(-1.0, min(1.0, v)) for k, v in prior.items() if v}


def _feedback_rows(prior: dict[str, float], kinds: Sequence[str], viewer: Viewer | None) -> list[Row]:
    """Candidates accepted for similar earlier questions, as the viewer may see them, for the pool."""
    keys = _vkeys(viewer)
    out = []
    for key, value in sorted(prior.items()):
        kind = key.split(":", 1)[0]
        if value <= 0 or kind not in kinds:
            continue
        row = vectors.row(key)
        if row is not None and (keys is None or set(keys) & set(row.visibility)):
            out.append(row)
    return out


def rank(
    inp: MatchInput,
    *,
    viewer: Viewer | None,
    limit: int = 10,
    skip: frozenset[str] = frozenset(),
    accepted: frozenset[str] = frozenset(),
    hybrid: bool = True,
) -> Matches:
    """The engine: candidates of every kind for `inp`, as `viewer` may see them. `skip` holds
    "kind:id" keys never to return (rejected), `accepted` those to mark. `hybrid` False: words only
    (for comparison in the benchmark). It sees the search index and the stored vectors as they were
    when it began (their generations read once: see freshness.pinned)."""
    with freshness.pinned():
        found = _rank(inp, viewer, limit, skip, accepted, hybrid)
    # what the first matching loaded (thesaurus, encoder, word lists) lives as long as the process
    lifetime.settle("matching-hybrid" if hybrid and vectors.enabled() else "matching")
    return found


def _rank(
    inp: MatchInput,
    viewer: Viewer | None,
    limit: int,
    skip: frozenset[str],
    accepted: frozenset[str],
    hybrid: bool,
) -> Matches:
    labels, _by_id, _words = _theme_table()
    if not inp.text.strip():
        return Matches()
    # each kind's words query over the whole collection, begun now: with tantivy they search on a
    # background thread while the question is encoded and the thesaurus consulted
    # light hits (key and score) where the vector rows in memory hold the rest: building ~665 hits
    # from the index's stored documents cost ~10 ms of CPU per matching
    light = hybrid and vectors.enabled()
    begun = {
        kinds: _start(inp.text, viewer, list(kinds), limit=POOL, light=light)
        for kinds in (("knowledge",), ("question",), ("person",), GROUP_KINDS)
    }
    qvec = vectors.query_vector(inp.text) if hybrid else None
    hybrid = qvec is not None
    # the passes over the two large matrices run on a background thread while the thesaurus is
    # consulted (its phrases are encoded on this one)
    vectors.warm_soon(qvec, LARGE_KINDS)
    expansions, near = _thesaurus_lines(inp.text, qvec)
    expanded = thesaurus.expansion_text(expansions)
    expanded_near = thesaurus.expansion_text(near)
    expansions = [*expansions, *near]
    fired_lines = thesaurus.concepts(expansions) if hybrid else ([], None)
    cvec = _concept_query(qvec, fired_lines[1])
    vectors.warm_soon(cvec, LARGE_KINDS)

    item_hits = begun["knowledge",]()
    guessed = not inp.themes
    prior = feedback_prior(inp, qvec)
    themes = list(inp.themes) or _suggested_slugs(inp.text, viewer, item_hits, 3, qvec)
    theme_set = frozenset(themes)
    closeness = theme_closeness(qvec) if guessed else None
    scope = region_scope(inp.regions)
    out = Matches()
    parsed = parse_query(inp.text)

    # every kind's words queries begun now, in the order the kinds are scored: tantivy's threads
    # search the next kinds' while this thread scores the first ones
    words: dict[tuple[str, ...], _Begun] = {
        kinds: _begin_words(inp.text, viewer, kinds, scope, themes, expanded, expanded_near, whole, light)
        for kinds, whole in (
            (("knowledge",), lambda: item_hits),
            (("question",), begun["question",]),
            (("person",), begun["person",]),
            (GROUP_KINDS, begun[GROUP_KINDS]),
        )
    }

    def scored(kinds: Sequence[str], bonus: Any = None, ivec: Any = None) -> list[Candidate]:
        cands = []
        extra = _feedback_rows(prior, kinds, viewer)
        for pooled in _pool(
            inp.text,
            viewer,
            kinds,
            scope,
            themes,
            qvec=qvec,
            extra=extra,
            expanded=expanded,
            expanded_near=expanded_near,
            cvec=cvec,
            begun=words[tuple(kinds)],
            ivec=ivec,
        ):
            hit = pooled.hit
            key = f"{hit.type}:{hit.id}"
            if key in skip:
                continue
            if hit.type == "question" and (
                hit.id == inp.exclude_question_id or hit.kind in CLOSED_QUESTION_STATES
            ):
                continue
            score, why = _signals(pooled, scope, theme_set, hybrid, guessed, closeness), []
            if bonus is not None:
                plus, why = bonus(hit)
                score += plus
            if prior.get(key):
                score += FEEDBACK_WEIGHT * prior[key]
                if prior[key] > 0:
                    why = [*why, _("geaccepteerd bij een vergelijkbare vraag in deze hub")]
            cands.append(_Scored(pooled=pooled, score=score, extra=why, key=key))
        if (
            hybrid
            and ITEMS_NEAR_BEST > 0
            and ITEMS_NEAR_BEST_MEANING > 0
            and kinds == ["knowledge"]
            and cands
        ):
            _near_best_items(cands, scope, theme_set, guessed, closeness)
        shown = _top(cands, limit, collapse=hybrid)
        _with_texts(shown, viewer)
        for c in shown:
            close, value = _closest_theme(c.pooled.hit, closeness)
            if value >= THEME_CLOSENESS_REASON and close not in theme_set:
                name = labels.get(close, close)
                c.extra.insert(
                    0, _("werkt aan het thema %(t)s, dat in betekenis bij de vraag past") % {"t": name}
                )
        sentences = _closest_sentences(shown, qvec, fired_lines)
        return [
            _finish(
                c,
                scope,
                theme_set,
                labels,
                parsed,
                "accepted" if c.key in accepted else "",
                *sentences.get(c.key, ("", None)),
                expansions,
            )
            for c in shown
        ]

    def answered_item(hit: SearchHit) -> tuple[float, list[str]]:
        if hit.kind == KnowledgeItem.Kind.ANSWERED_QUESTION:
            return BONUS_ANSWERED, [_("een eerder beantwoorde kennisvraag")]
        return 0.0, []

    def answered_question(hit: SearchHit) -> tuple[float, list[str]]:
        if hit.kind == ANSWERED_KIND:
            return BONUS_ANSWERED, [_("is al beantwoord")]
        return 0.0, []

    out.items = scored(["knowledge"], answered_item)
    ivec = _item_vectors(out.items) if hybrid else None
    # the people's passes near the best items run on the vector-pass thread while the earlier
    # questions are scored on this one
    vectors.warm_soon(ivec, ["person"])
    out.questions = scored(["question"], answered_question)
    out.people = scored(["person"], _person_evidence(out.items, out.questions, scope), ivec)
    out.groups = scored(list(GROUP_KINDS))
    return out


def _near_best_items(
    cands: list[_Scored],
    scope: Scope,
    themes: frozenset[str],
    guessed: bool,
    closeness: dict[str, float] | None,
) -> None:
    """Items scored again by their closeness to the ITEMS_NEAR_BEST best different ones (see there):
    where that closeness, rescaled within the pool, is larger than an item's meaning signal, it
    becomes its meaning signal and its score follows. An item's closeness to itself does not count.
    The candidates are changed in place (their pooled signals replaced, never modified: a pool may be
    shared, `pool_memo`)."""
    import dataclasses

    import numpy as np

    # copies: where fewer than ITEMS_NEAR_BEST are different, `_top` notes the resemblance in the
    # reasons, which the ranking proper does once
    best = _top([dataclasses.replace(c, extra=[]) for c in cands], ITEMS_NEAR_BEST, collapse=True)
    keys = [c.key for c in cands]
    with embedding.blas_threads():
        close = vectors.vectors_of(keys) @ vectors.vectors_of([c.key for c in best]).T
    own = {c.key: j for j, c in enumerate(best)}
    for i, key in enumerate(keys):
        if key in own:
            close[i, own[key]] = -1.0
    weights = np.array([(1.0 - ITEMS_NEAR_BEST_DECAY) ** j for j in range(len(best))], dtype=np.float32)
    nearest = (close * weights).max(axis=1)
    crowd = vectors.crowding(keys, CROWDING)
    values = _rescaled([float(b) - crowd.get(k, 0.0) for k, b in zip(keys, nearest, strict=True)])
    for c, value in zip(cands, values, strict=True):
        meaning = ITEMS_NEAR_BEST_MEANING * value
        if meaning > c.pooled.meaning:
            before = _signals(c.pooled, scope, themes, True, guessed, closeness)
            c.pooled = dataclasses.replace(c.pooled, meaning=meaning)
            c.score += _signals(c.pooled, scope, themes, True, guessed, closeness) - before


def _person_evidence(items: list[Candidate], questions: list[Candidate], scope: Scope) -> Any:
    """Evidence for people beyond their profile: they wrote one of the top items, or were a source
    of the answer to one of the top earlier questions."""
    top_items = {c.id: c for c in items[:10]}
    top_questions = {c.id: c for c in questions[:5] if c.state == ANSWERED_KIND}
    wrote: dict[int, str] = {}
    for person_id, item_id in KnowledgeItem.author_people.through.objects.filter(
        knowledgeitem_id__in=list(top_items)
    ).values_list("person_id", "knowledgeitem_id"):
        wrote.setdefault(person_id, top_items[item_id].title)
    answered: dict[int, str] = {}
    if top_questions:
        rows = Answer.source_people.through.objects.filter(
            answer__question_id__in=list(top_questions)
        ).values_list("person_id", "answer__question_id")
        areas = dict(
            Question.regions.through.objects.filter(question_id__in=list(top_questions))
            .order_by("question_id", "region__name")
            .values_list("question_id", "region__name")
        )
        for person_id, question_id in rows:
            answered.setdefault(person_id, areas.get(question_id, ""))

    def bonus(hit: SearchHit) -> tuple[float, list[str]]:
        extra, why = 0.0, []
        if hit.id in wrote:
            extra += BONUS_AUTHOR
            why.append(_("schreef „%(t)s”") % {"t": wrote[hit.id]})
        if hit.id in answered:
            extra += BONUS_ANSWERER
            why.append(
                _("beantwoordde een vergelijkbare vraag in %(r)s") % {"r": answered[hit.id]}
                if answered[hit.id]
                else _("beantwoordde een vergelijkbare vraag")
            )
        return extra, why

    return bonus


# --------------------------------------------------------------------------------------------------
# Entry points for pages, API and the benchmark


def match(*, viewer: Viewer, question: Question, limit: int = 10) -> Matches:
    """Candidates for a question, for those who broker it (the broker, the hub's coordinators,
    administrators); rejected candidates left out, accepted ones marked."""
    roles = permissions.question_roles(viewer, question)
    if not roles & transitions.WORKERS:
        raise PermissionDenied("question")
    feedback = list(MatchFeedback.objects.filter(question=question).select_related("actor"))
    skip = frozenset(
        f"{f.kind}:{f.target_id}" for f in feedback if f.decision == MatchFeedback.Decision.REJECTED
    )
    accepted = frozenset(
        f"{f.kind}:{f.target_id}" for f in feedback if f.decision == MatchFeedback.Decision.ACCEPTED
    )
    matches = rank(question_input(question), viewer=viewer, limit=limit, skip=skip, accepted=accepted)
    matches.accepted = [f for f in feedback if f.decision == MatchFeedback.Decision.ACCEPTED]
    return matches


def similar_questions(
    *,
    viewer: Viewer | None,
    text: str,
    region_codes: list[str] | None = None,
    exclude_id: int | None = None,
    limit: int = 5,
) -> list[Candidate]:
    """Earlier questions like this text (for the intake): answered ones first, then by score."""
    words = clean_text(text)
    if not words.strip():
        return []
    regions = list(Region.objects.filter(code__in=region_codes or []).defer("geometry", "description"))
    labels, _by_id, _words = _theme_table()
    scope = region_scope(regions)
    themes = frozenset(_suggested_slugs(words, viewer, None, 3))
    qvec = vectors.query_vector(words)
    expansions, near = _thesaurus_lines(words, qvec)
    expanded = thesaurus.expansion_text(expansions)
    expansions = [*expansions, *near]
    cands = []
    for pooled in _pool(
        words,
        viewer,
        ["question"],
        scope,
        sorted(themes),
        qvec=qvec,
        expanded=expanded,
        expanded_near=thesaurus.expansion_text(near),
    ):
        hit = pooled.hit
        if hit.id == exclude_id or hit.kind in CLOSED_QUESTION_STATES:
            continue
        score = _signals(pooled, scope, themes, qvec is not None, guessed=True)
        if hit.kind == ANSWERED_KIND:
            score += BONUS_ANSWERED
        if score >= MIN_SIMILAR:
            cands.append(_Scored(pooled=pooled, score=score, extra=[], key=hit.key))
    cands.sort(key=lambda c: (c.pooled.hit.kind != ANSWERED_KIND, -c.score, c.key))
    parsed = parse_query(words)
    shown = cands[:limit]
    sentences = _closest_sentences(shown, qvec)
    return [
        _finish(
            c,
            scope,
            themes,
            labels,
            parsed,
            sentence=sentences.get(c.key, ("", None))[0],
            expansions=expansions,
        )
        for c in shown
    ]


def candidate_lookup(*, viewer: Viewer, question: Question, kind: str, target_id: int) -> Candidate | None:
    """The candidate as matching shows it now (for storing its score, rank and reason with the broker's
    verdict), or None when it is not among the candidates."""
    matches = rank(question_input(question), viewer=viewer, limit=50)
    for group in (matches.items, matches.people, matches.groups, matches.questions):
        for position, cand in enumerate(group, start=1):
            if cand.kind == kind and cand.id == target_id:
                cand.state = cand.state or ""
                cand.rank = position
                return cand
    return None
