"""From database rows to search documents, and the outbox that keeps the index in step.

Every searchable kind has a builder that reads a batch of rows with a fixed number of queries and
returns SearchDocs carrying only what everyone allowed to find the document may see."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from plek.atlas.models import Hub, Network, Organisation, Person, Programme, Theme
from plek.atlas.permissions import Viewer
from plek.core import freshness
from plek.core.hooks import hooks
from plek.core.models import SearchOutbox, Visibility
from plek.knowledge import vectors
from plek.knowledge.models import Attachment, KnowledgeItem
from plek.knowledge.rendering import markdown_to_text
from plek.knowledge.search import get_backend, thesaurus
from plek.knowledge.search.base import SearchDoc

LEVEL_ORDER = {Visibility.PUBLIC: 0, Visibility.MEMBERS: 1, Visibility.HUB: 2, Visibility.PRIVATE: 3}


def visibility_keys(level: str, *, hub_id: int | None, owner_user_id: int | None) -> list[str]:
    """Who may find a document: the keys a viewer must hold one of (see viewer_keys)."""
    keys: list[str] = []
    if level == Visibility.PUBLIC:
        keys.append("public")
    elif level == Visibility.MEMBERS:
        keys.append("members")
    elif level == Visibility.HUB and hub_id is not None:
        keys.append(f"hub:{hub_id}")
    if owner_user_id is not None:
        keys.append(f"user:{owner_user_id}")
    return keys or ["admin-only"]


def viewer_keys(viewer: Viewer) -> list[str] | None:
    """The keys a viewer holds; None for administrators (no filter)."""
    if viewer.is_admin:
        return None
    if not viewer.is_authenticated:
        return ["public"]
    return ["public", "members", *(f"hub:{h}" for h in sorted(viewer.hub_ids)), f"user:{viewer.user_id}"]


def theme_ancestors() -> Callable[[Iterable[int]], list[str]]:
    """A function from theme ids to their slugs plus all ancestors' slugs (one query)."""
    rows = {tid: (slug, parent) for tid, slug, parent in Theme.objects.values_list("id", "slug", "parent_id")}

    def expand(ids: Iterable[int]) -> list[str]:
        out: set[str] = set()
        for tid in ids:
            while tid is not None and tid in rows:
                slug, parent = rows[tid]
                out.add(slug)
                tid = parent
        return sorted(out)

    return expand


def _codes(obj: Any) -> list[str]:
    return sorted(r.code for r in obj.regions.all())


def _owned_keys(obj: Any) -> list[str]:
    return visibility_keys(obj.visibility, hub_id=obj.owner_hub_id, owner_user_id=obj.created_by_id)


def _pairs(through: Any, fk: str, ids: list[int], value: str) -> dict[int, list[Any]]:
    """`{item id: [values]}` from a many-to-many table, without building model instances."""
    out: dict[int, list[Any]] = defaultdict(list)
    for item_id, val in through.objects.filter(**{f"{fk}__in": ids}).values_list(fk, value):
        out[item_id].append(val)
    return out


def build_knowledge(ids: list[int]) -> list[SearchDoc]:
    """Knowledge items read as plain rows (a full reindex of 100,000 items is dominated by this)."""
    themes = theme_ancestors()
    fk = "knowledgeitem_id"
    theme_ids = _pairs(KnowledgeItem.themes.through, fk, ids, "theme_id")
    region_codes = _pairs(KnowledgeItem.regions.through, fk, ids, "region__code")
    people = _pairs(KnowledgeItem.author_people.through, fk, ids, "person__name")
    organisations = _pairs(KnowledgeItem.author_organisations.through, fk, ids, "organisation__name")
    attachments: dict[int, list[str]] = defaultdict(list)
    for item_id, text in (
        Attachment.objects.filter(item_id__in=ids).exclude(text="").values_list("item_id", "text")
    ):
        attachments[item_id].append(text)
    rows = KnowledgeItem.objects.filter(pk__in=ids).values_list(
        "pk",
        "slug",
        "title",
        "summary",
        "body",
        "scale",
        "kind",
        "date",
        "language",
        "visibility",
        "owner_hub_id",
        "created_by_id",
    )
    docs = []
    for pk, slug, title, summary, body, scale, kind, date, language, visibility, hub_id, author_id in rows:
        authors = ", ".join(people.get(pk, []) + organisations.get(pk, []))
        attachment_text = "\n".join(attachments.get(pk, []))[:200_000]
        docs.append(
            SearchDoc(
                key=f"knowledge:{pk}",
                type="knowledge",
                id=pk,
                slug=slug,
                title=title,
                summary=summary,
                body=f"{body}\n{authors}\n{attachment_text}",
                themes=themes(theme_ids.get(pk, [])),
                regions=sorted(region_codes.get(pk, [])),
                scale=scale,
                kind=kind,
                year=date.year if date else None,
                language=language,
                date=date,
                visibility_keys=visibility_keys(visibility, hub_id=hub_id, owner_user_id=author_id),
            )
        )
    return docs


def build_people(ids: list[int]) -> list[SearchDoc]:
    """A person's document holds a field group only when that group is at least as open as the
    profile itself, so nobody who finds the document learns what the person kept closed."""
    themes = theme_ancestors()
    people = Person.objects.filter(pk__in=ids).prefetch_related("themes", "regions", "organisations")
    # Titles of the public items each person wrote, read as plain rows in two index-driven queries
    # (a join filtered on visibility lets SQLite scan every item instead).
    links = list(
        KnowledgeItem.author_people.through.objects.filter(person_id__in=ids).values_list(
            "person_id", "knowledgeitem_id"
        )
    )
    titles = dict(
        KnowledgeItem.objects.filter(
            pk__in={item_id for _, item_id in links}, visibility=Visibility.PUBLIC
        ).values_list("pk", "title")
    )
    authored_titles: dict[int, list[str]] = defaultdict(list)
    for person_id, item_id in links:
        if item_id in titles and len(authored_titles[person_id]) < 100:
            authored_titles[person_id].append(titles[item_id])
    docs = []
    for p in people:
        level = LEVEL_ORDER[Visibility(p.visibility)]

        def opens(group: str, person: Person = p, level: int = level) -> bool:
            return LEVEL_ORDER[Visibility(getattr(person, f"{group}_visibility"))] <= level

        summary, body, doc_themes, regions, kind = "", "", [], [], ""
        if opens("expertise"):
            summary = p.expertise
            doc_themes = themes(t.pk for t in p.themes.all())
            kind = ",".join(p.knowledge_kinds or [])
            body = "\n".join(authored_titles.get(p.pk, []))
        if opens("affiliation"):
            body += "\n" + p.role + "\n" + ", ".join(o.name for o in p.organisations.all())
        if opens("regions"):
            regions = _codes(p)
        docs.append(
            SearchDoc(
                key=f"person:{p.pk}",
                type="person",
                id=p.pk,
                slug=p.slug,
                title=p.name,
                summary=summary,
                body=body,
                themes=doc_themes,
                regions=regions,
                kind=kind,
                visibility_keys=visibility_keys(
                    p.visibility, hub_id=p.owner_hub_id, owner_user_id=p.created_by_id
                )
                + ([f"user:{p.account_id}"] if p.account_id else []),
            )
        )
    return docs


def _entity_builder(
    kind: str, model: Any, fields: Callable[[Any], dict[str, Any]]
) -> Callable[[list[int]], list[SearchDoc]]:
    """A builder for an Atlas entity with themes and regions; `fields` gives what differs per kind."""

    def build(ids: list[int]) -> list[SearchDoc]:
        themes = theme_ancestors()
        return [
            SearchDoc(
                key=f"{kind}:{obj.pk}",
                type=kind,
                id=obj.pk,
                slug=obj.slug,
                themes=themes(t.pk for t in obj.themes.all()),
                regions=_codes(obj),
                **fields(obj),
            )
            for obj in model.objects.filter(pk__in=ids).prefetch_related("themes", "regions")
        ]

    return build


build_organisations = _entity_builder(
    "organisation",
    Organisation,
    lambda o: {
        "title": o.name,
        "summary": o.description,
        "kind": o.kind,
        "visibility_keys": _owned_keys(o),
    },
)
build_networks = _entity_builder(
    "network",
    Network,
    lambda n: {
        "title": n.name,
        "summary": n.description,
        "scale": n.scale,
        "kind": n.kind,
        "visibility_keys": _owned_keys(n),
    },
)
build_hubs = _entity_builder(
    "hub",
    Hub,
    lambda h: {
        "title": h.name,
        "summary": h.introduction,
        "scale": "regional",
        "visibility_keys": ["public"],
    },
)
build_programmes = _entity_builder(
    "programme",
    Programme,
    lambda p: {
        "title": f"{p.name} {p.abbr}".strip(),
        "summary": p.description or p.knowledge_programme,
        "body": f"{p.lead_ministry}\n{p.partners}\n{p.knowledge_programme}",
        "scale": p.scale,
        "kind": p.status,
        "year": p.start_year,
        "visibility_keys": ["public"],
    },
)


BUILDERS: dict[str, tuple[Any, Callable[[list[int]], list[SearchDoc]]]] = {
    "knowledge": (KnowledgeItem, build_knowledge),
    "person": (Person, build_people),
    "organisation": (Organisation, build_organisations),
    "network": (Network, build_networks),
    "hub": (Hub, build_hubs),
    "programme": (Programme, build_programmes),
}


def builders() -> dict[str, tuple[Any, Callable[[list[int]], list[SearchDoc]]]]:
    """The builders above plus those of higher layers (`hooks.search_builders`, `{kind: (Model, build)}`,
    registered in plek/platform/registry.py), merged at call time so no lower layer imports a higher one."""
    merged = {**BUILDERS, **hooks.search_builders}
    return {kind: (model, _plain(build)) for kind, (model, build) in merged.items()}


def _plain(build: Callable[[list[int]], list[SearchDoc]]) -> Callable[[list[int]], list[SearchDoc]]:
    """Summaries and bodies are Markdown where people write them: index (and so snippet) the text a
    reader sees, not its asterisks and link targets."""

    def plain_build(ids: list[int]) -> list[SearchDoc]:
        docs = build(ids)
        for d in docs:
            d.summary = markdown_to_text(d.summary)
            d.body = markdown_to_text(d.body)
        return docs

    return plain_build


def _batches(ids: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def outbox_apply(limit: int = 1000) -> int:
    """Apply pending outbox rows to the index, then delete them: a worker killed half-way leaves its
    rows for the next run (at least once; applying a row twice gives the same index), so no change
    is lost to a crash. Safe to run concurrently with itself."""
    backend = get_backend()
    known = builders()
    applied = 0
    while True:
        rows = list(SearchOutbox.objects.order_by("id")[:limit])
        if not rows:
            return applied
        upserts: dict[str, set[int]] = {}
        deletes: set[str] = set()
        for row in rows:
            if row.entity_type not in known:
                continue  # nothing indexes this kind (yet); `plek search reindex` catches up later
            if row.op == SearchOutbox.Op.DELETE:
                deletes.add(f"{row.entity_type}:{row.entity_id}")
            else:
                upserts.setdefault(row.entity_type, set()).add(row.entity_id)
        for kind, ids in upserts.items():
            docs = known[kind][1](sorted(ids))
            found = {d.id for d in docs}
            deletes.update(f"{kind}:{i}" for i in ids if i not in found)  # gone meanwhile
            backend.index(docs)
            vectors.store(docs)  # after the lexical index, so words are findable first
        if deletes:
            backend.delete(sorted(deletes))
            vectors.remove(sorted(deletes))
        SearchOutbox.objects.filter(pk__in=[r.pk for r in rows]).delete()
        # cached pages that searched these kinds are now out of date
        freshness.bump(freshness.index_changed_topics({r.entity_type for r in rows}))
        applied += len(rows)


def reindex(
    *,
    batch: int = 2000,
    progress: Callable[[str, int], None] | None = None,
    embed: bool = True,
    embed_progress: Callable[[str, int], None] | None = None,
) -> dict[str, int]:
    """Rebuild the whole index from the database, then the vectors (`embed`): documents whose embedded
    text is unchanged keep their vector, so a rerun after an interruption resumes where it stopped."""
    backend = get_backend()
    backend.clear()
    SearchOutbox.objects.all().delete()
    counts: dict[str, int] = {}
    for kind, (model, build) in builders().items():
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))

        def stream(kind: str = kind, ids: list[int] = ids, build: Any = build) -> Iterator[SearchDoc]:
            # One index() call per kind, so the backend commits in its own (large) batches.
            for chunk in _batches(ids, batch):
                yield from build(chunk)
                if progress:
                    progress(kind, len(chunk))

        backend.index(stream())
        counts[kind] = len(ids)
    freshness.bump([freshness.SEARCH_INDEX])
    if embed and vectors.enabled():
        embed_all(progress=embed_progress)
    return counts


def index_verify(*, batch: int = 2000, sample: int = 20) -> dict[str, Any]:
    """Compare the search index with what the database says it should hold: every document present,
    none extra, each with the current title and visibility. `pending` counts outbox rows not yet
    applied (the index may lag by those until the worker runs)."""
    from plek.knowledge.search.base import doc_fingerprint

    expected: dict[str, str] = {}
    for _kind, (model, build) in builders().items():
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        for chunk in _batches(ids, batch):
            for doc in build(chunk):
                expected[doc.key] = doc_fingerprint(doc.title, doc.visibility_keys)
    actual = get_backend().fingerprints()
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    stale = sorted(k for k in set(expected) & set(actual) if expected[k] != actual[k])
    return {
        "equal": not (missing or extra or stale),
        "database_documents": len(expected),
        "index_documents": len(actual),
        "missing": len(missing),
        "extra": len(extra),
        "stale": len(stale),
        "examples": (missing + extra + stale)[:sample],
        "pending": SearchOutbox.objects.count(),
    }


def document_total() -> int:
    """How many search documents the database holds (one per row of every searchable kind)."""
    return sum(model.objects.count() for model, _build in builders().values())


def embed_all(
    *,
    batch: int = 2000,
    progress: Callable[[str, int], None] | None = None,
    plan: Callable[[int], None] | None = None,
) -> int:
    """Embed every searchable document whose text changed since it was last embedded; delete the
    vectors of documents that are gone. Returns how many were embedded.

    `plan` is told the number of documents first; `progress(kind, n)` then reports every document
    checked, per encoder batch (rows a builder returns no document for count as checked too), so the
    reported numbers add up to the planned one. Each batch is committed before it is reported: an
    exception raised by `progress` stops the run between batches and keeps what was stored."""
    embedded = 0
    valid: set[str] = set()
    kinds = [
        (kind, build, list(model.objects.order_by("pk").values_list("pk", flat=True)))
        for kind, (model, build) in builders().items()
    ]
    if plan is not None:
        plan(sum(len(ids) for _kind, _build, ids in kinds))
    for kind, build, ids in kinds:
        valid.update(f"{kind}:{i}" for i in ids)
        step: Callable[[int], None] | None = None
        if progress is not None:

            def step(n: int, kind: str = kind, report: Callable[[str, int], None] = progress) -> None:
                report(kind, n)

        gone = [0]  # rows gone meanwhile (or never a document): reported at the end of the kind

        def documents(
            build: Callable[[list[int]], list[SearchDoc]] = build,
            ids: list[int] = ids,
            gone: list[int] = gone,
        ) -> Iterator[SearchDoc]:
            for chunk in _batches(ids, batch):
                docs = build(chunk)
                gone[0] += len(chunk) - len(docs)
                yield from docs

        # one stream per kind: `store` keeps the encoder processes a batch ahead across the build batches
        embedded += vectors.store(documents(), progress=step)
        if step is not None and gone[0]:
            step(gone[0])
    vectors.prune(valid)
    if vectors.enabled():
        thesaurus.phrases()  # embeds the thesaurus's phrases now (cached on disk), not in a first matching
    return embedded


def search_health() -> dict[str, Any]:
    backend = get_backend()
    healthy = backend.healthy()
    return {
        "status": "ok" if healthy else "error",
        "backend": backend.name,
        "documents": backend.count(),
        "pending": SearchOutbox.objects.count(),
    }
