"""The evaluation set for matching (files in `evaluation/`): a judged corpus (`corpus.json`: knowledge items, experts and earlier
answered questions, clearly synthetic) that the demo loads beside its distractors, and questions as
people in areas ask them with graded judgments (`questions.json`). See README.md for how they were
made; `plek bench match` (bench.py) measures the engine against plain BM25 on them."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from plek.atlas.models import Organisation, Person, Region, Theme
from plek.brokering.models import Answer, Question, QuestionEvent
from plek.brokering.routing import desk_for_regions
from plek.core.models import Visibility
from plek.core.outbox import search_outbox_add
from plek.knowledge.models import KnowledgeItem

HERE = Path(__file__).resolve().parent / "evaluation"
SOURCE_NAME = "PLeK evaluatieset"
OPEN_GROUPS = {
    "visibility": Visibility.PUBLIC,
    "expertise_visibility": Visibility.PUBLIC,
    "regions_visibility": Visibility.PUBLIC,
    "affiliation_visibility": Visibility.PUBLIC,
}


def read(name: str) -> Any:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


def corpus() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = read("corpus.json")
    return data


def questions() -> list[dict[str, Any]]:
    path = HERE / "questions.json"
    return read("questions.json") if path.exists() else []


# The mismatch set: questions phrased as residents, farmers, entrepreneurs and officials ask them,
# items written as reports and policy pages are, sharing no content word (see README.md).
def mismatch_corpus() -> dict[str, list[dict[str, Any]]]:
    data: dict[str, list[dict[str, Any]]] = read("mismatch_corpus.json")
    return data


def mismatch_questions(split: str | None = None) -> list[dict[str, Any]]:
    """The mismatch questions, all or those of one split ("train" or "test")."""
    rows: list[dict[str, Any]] = read("mismatch_questions.json")
    return [r for r in rows if split is None or r["split"] == split]


# Everyday words that say nothing about a topic (besides the search stopwords): asking words, modal
# verbs, quantities, time. The no-shared-content-word check ignores them.
FUNCTION_WORDS = frozenset(
    [
        "wil",
        "willen",
        "graag",
        "veel",
        "meer",
        "iets",
        "iemand",
        "weet",
        "weten",
        "kun",
        "kunt",
        "kan",
        "doe",
        "doen",
        "ga",
        "gaan",
        "gaat",
        "komt",
        "komen",
        "zie",
        "zien",
        "hoor",
        "hoorde",
        "zei",
        "zeggen",
        "nu",
        "nog",
        "steeds",
        "elk",
        "elke",
        "alle",
        "alles",
        "hele",
        "heel",
        "echt",
        "zo",
        "zoiets",
        "andere",
        "ander",
        "anderen",
        "eigen",
        "zelf",
        "welke",
        "wanneer",
        "waarom",
        "waar",
        "hoe",
        "wat",
        "wie",
        "dan",
        "daar",
        "dat",
        "toch",
        "ja",
        "nee",
        "jaar",
        "jaren",
        "dag",
        "dagen",
        "straks",
        "vorige",
        "vroeger",
        "eerst",
        "zodat",
        "nieuw",
        "nieuwe",
        "mag",
        "mogen",
        "moet",
        "moeten",
        "krijg",
        "krijgen",
        "hebben",
        "heb",
        "lukt",
        "helpt",
        "helpen",
        "tips",
        "klopt",
        "gewoon",
        "even",
        "paar",
        "zes",
        "vier",
        "vijf",
        "drie",
        "twee",
        "één",
    ]
)


def content_terms(text: str) -> set[str]:
    """The terms a text is indexed as (stems and compound parts), function words and numbers left out."""
    from plek.knowledge.search.analysis import field_tokens, stem

    skip = {stem(w) for w in FUNCTION_WORDS}
    return {t for t, _pos in field_tokens(text) if t not in skip and not t.isdigit()}


def person_slug(row: dict[str, Any]) -> str:
    return f"{slugify(row['name'])[:90]}-{row['key']}".lower()


def question_slug(row: dict[str, Any]) -> str:
    return f"{slugify(row['title'])[:90]}-{row['key']}".lower()


def item_slug(row: dict[str, Any]) -> str:
    return f"{slugify(row['title'])[:90]}-{row['key']}".lower()


ORG_KINDS = (
    ("waterschap", "water_board"),
    ("gemeente", "municipality"),
    ("provincie", "province"),
    ("ministerie", "ministry"),
    ("universiteit", "university"),
    ("hogeschool", "uas"),
    ("university", "university"),
    ("instituut", "research_institute"),
    ("coöperatie", "civil_society"),
    ("bureau", "company"),
)


def _org_kind(name: str) -> str:
    low = name.lower()
    return next((kind for word, kind in ORG_KINDS if word in low), "civil_society")


MISMATCH_PREFIX = "m-"


def _shipped_loaded() -> bool:
    return (
        KnowledgeItem.objects.filter(source_name=SOURCE_NAME)
        .exclude(source_identifier__startswith=MISMATCH_PREFIX)
        .exists()
    )


def _mismatch_loaded() -> bool:
    return KnowledgeItem.objects.filter(
        source_name=SOURCE_NAME, source_identifier__startswith=MISMATCH_PREFIX
    ).exists()


def is_loaded() -> bool:
    return _shipped_loaded() and _mismatch_loaded()


@transaction.atomic
def load_corpus() -> dict[str, int]:
    """Load the judged corpora, the shipped one and the mismatch one (idempotent: a part that is there
    is left alone). Marked synthetic."""
    counts = {"items": 0, "people": 0, "questions": 0}
    if not _shipped_loaded():
        counts = _load(corpus())
    if not _mismatch_loaded():
        extra = _load({"items": mismatch_corpus()["items"], "people": mismatch_corpus()["people"]})
        counts = {k: counts[k] + extra[k] for k in counts}
    return counts


def _load(data: dict[str, list[dict[str, Any]]]) -> dict[str, int]:
    regions = {r.code: r for r in Region.objects.defer("geometry", "description")}
    themes = {t.slug: t for t in Theme.objects.all()}
    orgs: dict[str, Organisation] = {}
    people: dict[str, Person] = {}
    for row in data["people"]:
        person = Person.objects.create(
            slug=person_slug(row),
            name=row["name"],
            role=row.get("role", ""),
            email=f"{row['key']}@voorbeeld.nl",
            expertise=row.get("expertise", ""),
            is_synthetic=True,
            **OPEN_GROUPS,
        )
        person.regions.set([regions[c] for c in row.get("regions", []) if c in regions])
        person.themes.set([themes[s] for s in row.get("themes", []) if s in themes])
        if row.get("organisation"):
            name = row["organisation"]
            if name not in orgs:
                orgs[name] = Organisation.objects.filter(name=name).first() or Organisation.objects.create(
                    slug=f"{slugify(name)[:100]}-eval", name=name, kind=_org_kind(name), is_synthetic=True
                )
            person.organisations.add(orgs[name])
        people[row["key"]] = person
    items: dict[str, KnowledgeItem] = {}
    for row in data["items"]:
        item = KnowledgeItem.objects.create(
            slug=item_slug(row),
            title=row["title"],
            summary=row.get("summary", ""),
            body=row.get("body", ""),
            kind=row["kind"],
            category=KnowledgeItem.CATEGORY_OF[row["kind"]],
            scale=row.get("scale", "regional"),
            date=row.get("date") or None,
            language=row.get("language", "nl"),
            provenance="made_here",
            source_name=SOURCE_NAME,
            source_identifier=row["key"],
            visibility=Visibility.PUBLIC,
            is_synthetic=True,
        )
        item.regions.set([regions[c] for c in row.get("regions", []) if c in regions])
        item.themes.set([themes[s] for s in row.get("themes", []) if s in themes])
        item.author_people.set([people[k] for k in row.get("authors", []) if k in people])
        items[row["key"]] = item
    made_questions = 0
    now = timezone.now()
    for n, row in enumerate(data.get("answered_questions", [])):
        qregions = [regions[c] for c in row.get("regions", []) if c in regions]
        asked = now - dt.timedelta(days=400 - n * 20)
        q = Question.objects.create(
            slug=question_slug(row),
            title=row["title"],
            text=row["text"],
            asker_role=row.get("asker_role", "practice"),
            state=Question.State.CLOSED,
            submitted_at=asked,
            state_changed_at=asked + dt.timedelta(days=30),
            visibility=Visibility.PUBLIC,
            owner_hub=desk_for_regions([r.pk for r in qregions]),
            is_synthetic=True,
        )
        q.regions.set(qregions)
        q.themes.set([themes[s] for s in row.get("themes", []) if s in themes])
        QuestionEvent.objects.create(question=q, from_state=None, to_state=Question.State.SUBMITTED, at=asked)
        QuestionEvent.objects.create(
            question=q,
            from_state=Question.State.MATCHING,
            to_state=Question.State.ANSWERED,
            at=asked + dt.timedelta(days=21),
        )
        QuestionEvent.objects.create(
            question=q,
            from_state=Question.State.ANSWERED,
            to_state=Question.State.CLOSED,
            at=asked + dt.timedelta(days=30),
        )
        answer_item = KnowledgeItem.objects.create(
            slug=f"antwoord-{question_slug(row)}"[:120],
            title=row["title"],
            summary=row["text"],
            body=row["answer"],
            kind="answered_question",
            category="practice",
            scale="local",
            date=(asked + dt.timedelta(days=21)).date(),
            provenance="made_here",
            source_name=SOURCE_NAME,
            source_identifier=f"answer-{row['key']}",
            visibility=Visibility.PUBLIC,
            is_synthetic=True,
        )
        answer_item.regions.set(qregions)
        answer_item.themes.set(q.themes.all())
        answer = Answer.objects.create(
            question=q, text=row["answer"], knowledge_item=answer_item, from_existing=True
        )
        answer.source_items.set([items[k] for k in row.get("sources", []) if k in items])
        answer.source_people.set([people[k] for k in row.get("experts", []) if k in people])
        answer_item.author_people.set([people[k] for k in row.get("experts", []) if k in people])
        for kind, obj in (("question", q), ("knowledge", answer_item)):
            search_outbox_add(kind, obj.pk)
        made_questions += 1
    for item in items.values():
        search_outbox_add("knowledge", item.pk)
    for person in people.values():
        search_outbox_add("person", person.pk)
    for org in orgs.values():
        search_outbox_add("organisation", org.pk)
    return {"items": len(items), "people": len(people), "questions": made_questions}


# --------------------------------------------------------------------------------------------------
# Metrics


def dcg(gains: Sequence[float]) -> float:
    return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


def ndcg_at(ranked: Sequence[str], judged: dict[str, int], k: int = 10) -> float:
    ideal = dcg(sorted(judged.values(), reverse=True)[:k])
    if ideal == 0:
        return 0.0
    return dcg([judged.get(key, 0) for key in ranked[:k]]) / ideal


def recall_at(ranked: Sequence[str], judged: dict[str, int], k: int = 10) -> float:
    relevant = {key for key, g in judged.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant & set(ranked[:k])) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], judged: dict[str, int]) -> float:
    for i, key in enumerate(ranked, start=1):
        if judged.get(key, 0) > 0:
            return 1.0 / i
    return 0.0


@dataclass
class Scores:
    ndcg: list[float] = field(default_factory=list)
    recall: list[float] = field(default_factory=list)
    rr: list[float] = field(default_factory=list)

    def add(self, ranked: Sequence[str], judged: dict[str, int], k: int = 10) -> None:
        self.ndcg.append(ndcg_at(ranked, judged, k))
        self.recall.append(recall_at(ranked, judged, k))
        self.rr.append(reciprocal_rank(ranked[:k], judged))

    def summary(self) -> dict[str, float]:
        def mean(xs: list[float]) -> float:
            return round(sum(xs) / len(xs), 4) if xs else 0.0

        return {"ndcg@10": mean(self.ndcg), "recall@10": mean(self.recall), "mrr": mean(self.rr)}


def judged_items(row: dict[str, Any]) -> dict[str, int]:
    """The judged items of a question, plus the published answer (a knowledge item of kind "answered
    question") of each earlier question judged relevant to it: that answer answers it directly."""
    judged = dict(row.get("relevant_items", {}))
    for key in row.get("relevant_questions", []):
        judged.setdefault(f"answer-{key}", 2)
    return judged


def key_maps() -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """Database ids -> evaluation keys, for items, people and earlier questions."""
    items = dict(KnowledgeItem.objects.filter(source_name=SOURCE_NAME).values_list("pk", "source_identifier"))
    data = corpus()
    by_slug = {person_slug(p): p["key"] for p in [*data["people"], *mismatch_corpus()["people"]]}
    people = {
        pk: by_slug[s] for pk, s in Person.objects.filter(slug__in=list(by_slug)).values_list("pk", "slug")
    }
    qslugs = {question_slug(q): q["key"] for q in data.get("answered_questions", [])}
    qs = {pk: qslugs[s] for pk, s in Question.objects.filter(slug__in=list(qslugs)).values_list("pk", "slug")}
    return items, people, qs


def mismatch_pool() -> frozenset[str]:
    """The documents the mismatch set was judged over: its own corpus (items, hard distractors, experts).
    Nothing else in the database was judged for its questions (see README.md)."""
    data = mismatch_corpus()
    return frozenset(r["key"] for r in [*data["items"], *data["people"]])


def condensed(ranked: Sequence[str], pool: frozenset[str]) -> list[str]:
    """A ranking with the documents outside the judged pool left out, order kept ("condensed list",
    Sakai 2007): an unjudged document is neither a hit nor a miss."""
    return [key for key in ranked if key in pool]


def score(
    engine: Callable[[dict[str, Any]], tuple[list[int], list[int]]],
    rows: list[dict[str, Any]] | None = None,
    maps: tuple[dict[int, str], dict[int, str], dict[int, str]] | None = None,
    pool: frozenset[str] | None = None,
) -> dict[str, Scores]:
    """Run `engine(question_row) -> (ranked item ids, ranked person ids)` over the questions and keep
    each question's figures, items and people. With a `pool`, rankings are condensed to it before the
    cut at 10 (the engine should then rank deeper)."""
    items, people, _qs = maps or key_maps()
    per = {"items": Scores(), "people": Scores()}
    for row in rows if rows is not None else questions():
        item_ids, person_ids = engine(row)
        ranked_items = [items.get(i, f"?{i}") for i in item_ids]
        ranked_people = [people.get(i, f"?{i}") for i in person_ids]
        if pool is not None:
            ranked_items, ranked_people = condensed(ranked_items, pool), condensed(ranked_people, pool)
        per["items"].add(ranked_items, judged_items(row))
        per["people"].add(ranked_people, row.get("relevant_people", {}))
    return per


def evaluate(
    engine: Callable[[dict[str, Any]], tuple[list[int], list[int]]],
    rows: list[dict[str, Any]] | None = None,
    maps: tuple[dict[int, str], dict[int, str], dict[int, str]] | None = None,
    pool: frozenset[str] | None = None,
) -> dict[str, dict[str, float]]:
    """The mean figures of :func:`score`."""
    return {kind: s.summary() for kind, s in score(engine, rows, maps, pool).items()}


BOOTSTRAP_RESAMPLES = 10000


def paired(
    a: Sequence[float], b: Sequence[float], *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 15
) -> dict[str, Any]:
    """How system a compares with system b on the same questions (one figure per question each):
    the mean difference a - b; a 95 % interval of that mean by bootstrap (the questions resampled with
    replacement, nearest-rank 2.5th and 97.5th percentiles of the resampled means; seeded, so a run
    is repeatable); on how many questions a is better, worse or the same; and the two-sided sign test
    (exact binomial, ties left out): how likely so lopsided a count is when neither system is better."""
    if len(a) != len(b):
        raise ValueError("paired figures need the same questions")
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    n = len(diff)
    if n == 0:
        return {"mean": 0.0, "low": 0.0, "high": 0.0, "better": 0, "worse": 0, "same": 0, "sign_p": 1.0}
    better = int((diff > 1e-9).sum())
    worse = int((diff < -1e-9).sum())
    rng = np.random.default_rng(seed)
    means = np.sort(diff[rng.integers(0, n, size=(resamples, n))].mean(axis=1))
    return {
        "mean": round(float(diff.mean()), 4),
        "low": round(float(means[math.ceil(0.025 * resamples) - 1]), 4),
        "high": round(float(means[math.ceil(0.975 * resamples) - 1]), 4),
        "better": better,
        "worse": worse,
        "same": n - better - worse,
        "sign_p": round(sign_test(better, worse), 4),
    }


def sign_test(better: int, worse: int) -> float:
    """Two-sided exact sign test: the chance, with no real difference (each untied question a fair
    coin), of a split at least as uneven as `better` against `worse`."""
    n = better + worse
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(better, worse) + 1)) / 2**n
    return min(1.0, 2 * tail)
