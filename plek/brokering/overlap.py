"""Overlap across hubs and programmes: which questions, asked in different places, are about the same.

`overlap_run` (the job: `plek brokering overlap`, nightly from cron or a timer, and on demand from the
samenhang page) clusters every question that is not merged or declined — open and answered, from every
hub, region and national programme — and stores the clusters. It reads all questions whatever their
visibility; `overlap_clusters` shows each viewer only the members they may see, and leaves out a
cluster with fewer than two of them, so a private question never shows up, not even as a number.

Similarity: cosine of TF-IDF vectors over the analysed words of title and text (the search analyser:
folding, stemming, decompounding), plus a little for each shared theme; questions are joined when the
similarity reaches THRESHOLD (single linkage). Deterministic: the same questions give the same clusters.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import ngettext
from scipy import sparse

from plek.atlas.areas import region_scope_ids
from plek.atlas.filters import theme_scope_ids
from plek.atlas.models import Hub, Programme, Region, Theme
from plek.atlas.permissions import Viewer
from plek.brokering.models import OverlapCluster, OverlapRun, Question
from plek.brokering.permissions import question_q
from plek.knowledge.search.analysis import field_tokens

THRESHOLD = 0.32
THEME_WEIGHT = 0.08  # added to the similarity per shared theme (at most two)
MIN_TERM_LENGTH = 3
EXCLUDED_STATES = (Question.State.MERGED, Question.State.DECLINED)
MAX_QUESTIONS = 200_000


def _tokens(text: str) -> list[str]:
    return [t for t, _ in field_tokens(text) if len(t) >= MIN_TERM_LENGTH and not t.isdigit()]


@transaction.atomic
def overlap_run() -> OverlapRun:
    run = OverlapRun.objects.create()
    rows = list(
        Question.objects.exclude(state__in=EXCLUDED_STATES)
        .order_by("pk")
        .values_list("pk", "title", "text")[:MAX_QUESTIONS]
    )
    themes: dict[int, set[int]] = defaultdict(set)
    for qid, tid in Question.themes.through.objects.filter(question_id__in=[r[0] for r in rows]).values_list(
        "question_id", "theme_id"
    ):
        themes[qid].add(tid)
    clusters = cluster([(pk, f"{title} {title} {text}", themes.get(pk, set())) for pk, title, text in rows])
    surface = _surface_words(rows)
    made = 0
    for members, top_terms in clusters:
        counts = Counter(t for m in members for t in themes.get(m, ()))
        theme_id = min(counts, key=lambda t: (-counts[t], t)) if counts else None
        words = [surface.get(t, t) for t in top_terms[:3]]
        row = OverlapCluster.objects.create(run=run, theme_id=theme_id, terms=", ".join(words)[:300])
        row.questions.set(members)
        made += 1
    run.finished_at = timezone.now()
    run.questions = len(rows)
    run.clusters = made
    run.save(update_fields=["finished_at", "questions", "clusters"])
    OverlapRun.objects.exclude(pk=run.pk).filter(finished_at__isnull=False).exclude(
        pk__in=OverlapRun.objects.filter(finished_at__isnull=False)
        .order_by("-started_at", "-id")
        .values("pk")[:3]
    ).delete()  # keep the last three runs
    return run


def cluster(docs: list[tuple[int, str, set[int]]]) -> list[tuple[list[int], list[str]]]:
    """Clusters (member ids sorted, top shared terms) of the given (id, text, theme ids), size ≥ 2."""
    if len(docs) < 2:
        return []
    vocab: dict[str, int] = {}
    indptr, indices, data = [0], [], []
    for _pk, text, _themes in docs:
        tf = Counter(_tokens(text))
        for term, n in sorted(tf.items()):
            indices.append(vocab.setdefault(term, len(vocab)))
            data.append(1.0 + math.log(n))
        indptr.append(len(indices))
    n = len(docs)
    x = sparse.csr_matrix((np.array(data), np.array(indices), np.array(indptr)), shape=(n, len(vocab)))
    df = np.bincount(x.indices, minlength=len(vocab))
    idf = np.log((1 + n) / (1 + df)) + 1.0
    x = x.multiply(idf).tocsr()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    x = sparse.diags(1.0 / norms) @ x
    sim = (x @ x.T).tocoo()
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j, s in zip(sim.row, sim.col, sim.data, strict=True):
        if i >= j:
            continue
        shared = len(docs[i][2] & docs[j][2])
        if s + THEME_WEIGHT * min(shared, 2) >= THRESHOLD:
            a, b = find(int(i)), find(int(j))
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    terms = {v: k for k, v in vocab.items()}
    out = []
    for members in groups.values():
        if len(members) < 2:
            continue
        weight = np.asarray(x[members].sum(axis=0)).ravel()
        present = np.asarray((x[members] > 0).sum(axis=0)).ravel()
        # terms most members share, heaviest first
        order = sorted(
            np.nonzero(present >= max(2, math.ceil(len(members) / 2)))[0], key=lambda t: (-weight[t], t)
        )
        out.append((sorted(docs[m][0] for m in members), [terms[int(t)] for t in order[:5]]))
    out.sort(key=lambda c: (-len(c[0]), c[0]))
    return out


def _surface_words(rows: Iterable[tuple[int, str, str]]) -> dict[str, str]:
    """For each analysed term, the written word it most often comes from (for readable labels)."""
    seen: dict[str, Counter[str]] = defaultdict(Counter)
    for _pk, title, text in rows:
        for word in f"{title} {text}".split():
            w = word.strip(".,;:!?()\"'«»„”").lower()
            if len(w) < MIN_TERM_LENGTH:
                continue
            for term in _tokens(w)[:1]:
                seen[term][w] += 1
    return {t: min(c, key=lambda w: (-c[w], len(w), w)) for t, c in seen.items()}


# --------------------------------------------------------------------------------------------------
# Reading clusters


@dataclass
class ClusterView:
    cluster: OverlapCluster
    questions: list[Question]
    regions: list[Region] = field(default_factory=list)
    programmes: list[Programme] = field(default_factory=list)
    hubs: list[Hub] = field(default_factory=list)
    theme: Theme | None = None

    @property
    def answered(self) -> list[Question]:
        return [q for q in self.questions if q.state in (Question.State.ANSWERED, Question.State.CLOSED)]

    @property
    def label(self) -> str:
        n, r, p = len(self.questions), len(self.regions), len(self.programmes)
        about = self.cluster.terms or (self.theme.label if self.theme else "")
        text = ngettext("%(n)d vraag over %(t)s", "%(n)d vragen over %(t)s", n) % {"n": n, "t": about}
        where = ngettext("in %(r)d regio", "in %(r)d regio's", r) % {"r": r}
        if p:
            where += " " + ngettext("en %(p)d programma", "en %(p)d programma's", p) % {"p": p}
        return f"{text} {where}"


def latest_run() -> OverlapRun | None:
    return OverlapRun.objects.filter(finished_at__isnull=False).order_by("-started_at", "-id").first()


def overlap_clusters(
    *, viewer: Viewer, theme: Theme | None = None, region: Region | None = None
) -> list[ClusterView]:
    """Clusters of the latest run as the viewer may see them (a fixed number of queries)."""
    run = latest_run()
    if run is None:
        return []
    visible = Question.objects.filter(question_q(viewer)).exclude(state__in=EXCLUDED_STATES)
    members = (
        visible.select_related("programme", "owner_hub")
        .prefetch_related(Prefetch("regions", queryset=Region.objects.defer("geometry", "description")))
        .order_by("-submitted_at", "-id")
    )
    rows = (
        OverlapCluster.objects.filter(run=run)
        .select_related("theme")
        .prefetch_related(Prefetch("questions", queryset=members, to_attr="visible_questions"))
    )
    if theme is not None:
        theme_ids = theme_scope_ids(theme)
        rows = rows.filter(Q(theme_id__in=theme_ids) | Q(questions__themes__in=theme_ids)).distinct()
    scope: set[int] | None = None
    if region is not None:
        scope = set(region_scope_ids(region))
    out = []
    for row in rows:
        qs: list[Question] = list(row.visible_questions)  # type: ignore[attr-defined]
        if scope is not None and not any(r.pk in scope for q in qs for r in q.regions.all()):
            continue
        if len(qs) < 2:
            continue
        regions = {r.pk: r for q in qs for r in q.regions.all()}
        programmes = {q.programme.pk: q.programme for q in qs if q.programme is not None}
        hubs = {q.owner_hub.pk: q.owner_hub for q in qs if q.owner_hub is not None}
        out.append(
            ClusterView(
                cluster=row,
                questions=qs,
                regions=sorted(regions.values(), key=lambda r: r.name),
                programmes=sorted(programmes.values(), key=lambda p: p.name),
                hubs=sorted(hubs.values(), key=lambda h: h.name),
                theme=row.theme,
            )
        )
    out.sort(key=lambda c: (-len(c.questions), c.cluster.pk))
    return out
