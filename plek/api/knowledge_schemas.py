"""Request and response shapes of the knowledge base and search endpoints of API v1.

Same conventions as plek.api.schemas: snake_case in Python, lowerCamelCase in JSON; input models
check JSON types (400), the knowledge form checks the rules (422 naming the property). Nested
input objects (`authors`, `identifiers`, `provenance`) mirror the representation, so what a GET
returns can be sent back."""

from __future__ import annotations

import datetime as dt
from typing import Literal
from uuid import UUID

from pydantic import Field, create_model

from plek.api.schemas import (
    VIS,
    VISIBILITY_HELP,
    ApiModel,
    Codes,
    InputModel,
    IsoDate,
    ItemRef,
    PageQuery,
    RegionRef,
    ScaleLiteral,
    ThemeRef,
    choice,
    patch_model,
)
from plek.core.models import Scale, Visibility
from plek.knowledge.models import EmbedRun, KnowledgeItem
from plek.knowledge.selectors import MAX_QUERY_CHARS, SEARCH_TYPES

KINDS = KnowledgeItem.Kind.values
CATEGORIES = KnowledgeItem.Category.values
LANGUAGES = KnowledgeItem.Language.values
PROVENANCES = KnowledgeItem.Provenance.values
MAX_SEARCH_PAGE = 500

KindLiteral = Literal[tuple(KINDS)]  # type: ignore[valid-type]
CategoryLiteral = Literal[tuple(CATEGORIES)]  # type: ignore[valid-type]
LanguageLiteral = Literal[tuple(LANGUAGES)]  # type: ignore[valid-type]
SearchTypeLiteral = Literal[tuple(SEARCH_TYPES)]  # type: ignore[valid-type]
ReachLiteral = Literal["direct", "broader", "narrower"]
EmbedStatusLiteral = Literal[tuple(EmbedRun.Status.values)]  # type: ignore[valid-type]
EmbedModeLiteral = Literal[tuple(EmbedRun.Mode.values)]  # type: ignore[valid-type]
EmbedStageLiteral = Literal[tuple(EmbedRun.Stage.values)]  # type: ignore[valid-type]

# ---- knowledge items -------------------------------------------------------------------------------


class Authors(ApiModel):
    people: list[ItemRef] = Field(description="Knowledge holders; only those you may see are listed.")
    organisations: list[ItemRef] = Field(description="Organisations; only those you may see are listed.")


class Identifiers(ApiModel):
    doi: str
    handle: str
    isbn: str
    url: str


class ProvenanceSourceOut(ApiModel):
    source_name: str = Field(description="The harvest source (for a PLeK instance: its hub).")
    original_identifier: str = Field(description="The record's identifier at the source.")
    original_url: str
    licence: str
    harvested_at: dt.datetime = Field(description="When the record was last taken over.")
    last_seen: dt.datetime = Field(description="When the source last delivered the record.")
    withdrawn_at: dt.datetime | None = Field(description="When the source withdrew the record.")


class ProvenanceOut(ApiModel):
    kind: str = Field(description="made_here | imported | harvested")
    source_name: str
    source_identifier: str = Field(description="The identifier at the source (imported or harvested).")
    local_fields: list[str] = Field(
        default_factory=list, description="Fields edited here after harvesting; a harvest keeps them."
    )
    withdrawn_at: dt.datetime | None = Field(None, description="Set when every source withdrew the item.")
    sources: list[ProvenanceSourceOut] = Field(
        default_factory=list, description="Every source that delivers this work (one item, several sources)."
    )


class AttachmentOut(ApiModel):
    id: int
    name: str = Field(description="The original file name.")
    content_type: str
    size: int = Field(description="Bytes.")
    url: str = Field(description="Download URL (the same visibility rules as the item).")


class KnowledgeOut(ApiModel):
    """A knowledge item: practice, research or policy knowledge with provenance and history."""

    uuid: UUID = Field(description="Stable identifier; unlike the slug it never changes.")
    slug: str
    kind: str = Field(description=" | ".join(KINDS))
    category: str = Field(description="practice | research | policy (follows from kind).")
    title: str
    summary: str
    body: str = Field(description="The text as Markdown source.")
    body_html: str = Field(description="The text rendered to sanitised HTML (no scripts, no raw HTML).")
    language: str = Field(description=" | ".join(LANGUAGES))
    date: IsoDate | None
    authors: Authors
    themes: list[ThemeRef]
    regions: list[RegionRef]
    scale: str
    identifiers: Identifiers
    licence: str
    visibility: str = Field(description=VISIBILITY_HELP)
    owner_hub: str | None = Field(description="Slug of the hub that keeps this item.")
    provenance: ProvenanceOut
    version: int = Field(description="Raised on every change of title, summary or body.")
    attachments: list[AttachmentOut]
    created_at: dt.datetime
    updated_at: dt.datetime


class KnowledgePage(ApiModel):
    """One page of knowledge items."""

    items: list[KnowledgeOut]
    page: int = Field(description="This page's number (1-based).")
    page_size: int
    total: int = Field(description="Number of items on all pages.")
    next: str | None = Field(description="URL of the next page; null on the last page.")


class RelatedItem(ApiModel):
    slug: str
    title: str
    kind: str
    category: str
    summary: str
    date: IsoDate | None
    score: float = Field(description="How alike (higher is closer); only for ordering.")
    url: str = Field(description="API URL of the item.")


class RelatedItems(ApiModel):
    items: list[RelatedItem] = Field(description="Most alike first; only items you may see.")


# ---- search ------------------------------------------------------------------------------------------


class SearchHitOut(ApiModel):
    type: str = Field(description=" | ".join(SEARCH_TYPES))
    slug: str
    title: str
    snippet: str = Field(description="HTML: escaped text with <mark>…</mark> around the matched words.")
    score: float = Field(description="Relevance; 0 when sorted by date.")
    date: IsoDate | None
    kind: str = Field(description="Kind of knowledge, organisation or network; programme status.")
    scale: str
    regions: list[RegionRef]
    themes: list[ThemeRef] = Field(description="Including the parents of the themes it is tagged with.")
    reach: ReachLiteral | None = Field(
        description="With a region filter: direct (tagged to the region), broader (to a region "
        "containing it) or narrower (to a region inside it); null without one."
    )
    url: str = Field(description="API URL of the thing found.")


class FacetValue(ApiModel):
    value: str = Field(description="The value to filter on (theme slug, region code, year, …).")
    count: int
    label: str | None = Field(description="Display name for themes and regions; null otherwise.")


class SearchFacets(ApiModel):
    type: list[FacetValue]
    theme: list[FacetValue]
    region: list[FacetValue]
    scale: list[FacetValue]
    kind: list[FacetValue]
    year: list[FacetValue]
    language: list[FacetValue]


class SearchResults(ApiModel):
    """One page of search results with counts per facet over all matches you may see."""

    items: list[SearchHitOut]
    total: int = Field(description="Number of matches on all pages (an estimate when `totalEstimated`).")
    total_estimated: bool = Field(
        description="True when `total` and the facet counts are estimates: the PostgreSQL search engine "
        "counts the first 500 matches exactly and estimates beyond them; tantivy always counts exactly."
    )
    page: int
    page_size: int
    next: str | None = Field(description="URL of the next page; null on the last page.")
    relaxed: bool = Field(
        description="True when nothing had all the words and any of them was matched instead."
    )
    facets: SearchFacets


# ---- the search index and its vectors (administrators) ------------------------------------------------


class EmbedRunOut(ApiModel):
    """One embedding run in the worker (`plek search embed --in-worker`, the page /zoeken/vectoren/)."""

    id: int
    mode: EmbedModeLiteral = Field(  # type: ignore[valid-type]
        description="embed: bring every vector up to date; reindex: rebuild the word index first."
    )
    status: EmbedStatusLiteral = Field(  # type: ignore[valid-type]
        description="As shown: a running run whose worker stopped beating (no heartbeat for longer "
        "than the worker staleness limit) is `interrupted`; it no longer blocks a new run."
    )
    status_label: str = Field(description="The status in the caller's language (Dutch by default).")
    active: bool = Field(description="Waiting or running: it can be stopped, and a new start joins it.")
    stage: EmbedStageLiteral | None = Field(  # type: ignore[valid-type]
        description="index (the word index, reindex only) or vectors; null before the run began."
    )
    kind: str | None = Field(description="The document type being checked (e.g. knowledge); null before.")
    done: int = Field(description="Documents of this stage checked so far.")
    total: int = Field(description="Documents this stage checks (0 until planned).")
    percent: int = Field(ge=0, le=100, description="done of total, rounded down.")
    rate: float | None = Field(description="Documents per second, smoothed; null before the first batches.")
    eta_seconds: int | None = Field(
        description="While running with a known rate: seconds left for the documents still to check."
    )
    embedded: int | None = Field(description="Texts run through the encoder; set when the run is done.")
    cancel_requested: bool = Field(description="A stop was asked; a running run stops between two batches.")
    error: str = Field(description="Why a failed run failed; empty otherwise.")
    requested_by: str | None = Field(description="Who asked for it (username); null from the command line.")
    created_at: dt.datetime
    started_at: dt.datetime | None
    heartbeat_at: dt.datetime | None = Field(
        description="The worker's last sign of life for this run (written with the progress)."
    )
    finished_at: dt.datetime | None


class SearchVectorsOut(ApiModel):
    """The search index, its stored vectors and the latest embedding run."""

    documents: int = Field(description="Documents in the search index.")
    vectors: int = Field(description="Documents with a stored vector.")
    pending: int = Field(description="Changes in the search outbox that the worker has not applied yet.")
    enabled: bool = Field(description="Whether vectors are on (PLEK_EMBEDDINGS); off, a start answers 422.")
    no_worker: bool = Field(
        description="The latest run waits in the database queue, but no worker was seen lately."
    )
    run: EmbedRunOut | None = Field(description="The latest run; null before the first.")


# ---- query parameters --------------------------------------------------------------------------------


class KnowledgeQuery(PageQuery):
    theme: str | None = Field(None, max_length=80, description="Theme slug; includes its sub-themes.")
    region: str | None = Field(
        None, max_length=40, description="Region code; includes every region it contains."
    )
    kind: KindLiteral | None = None  # type: ignore[valid-type]
    category: CategoryLiteral | None = None  # type: ignore[valid-type]
    scale: ScaleLiteral | None = None
    language: LanguageLiteral | None = None  # type: ignore[valid-type]
    year: int | None = Field(None, ge=1, le=9999, description="Year of the item's date.")


class RelatedQuery(ApiModel):
    limit: int = Field(5, ge=1, le=20, description="At most this many items.")


class SearchQueryParams(PageQuery):
    q: str = Field(
        "",
        max_length=MAX_QUERY_CHARS,
        description=f'Words to find (at most {MAX_QUERY_CHARS} characters). "a phrase", prefix* '
        "and word OR word work; other characters are plain text. Empty: everything, newest first.",
    )
    type: SearchTypeLiteral | None = Field(  # type: ignore[valid-type]
        None, description="Only things of this type."
    )
    theme: str | None = Field(None, max_length=80, description="Theme slug; includes its sub-themes.")
    region: str | None = Field(
        None,
        max_length=40,
        description="Region code; also finds what is tagged to regions containing it or inside it "
        "(see `reach`).",
    )
    scale: ScaleLiteral | None = None
    kind: str | None = Field(None, max_length=40, description="Kind (as in the `kind` facet).")
    year: int | None = Field(None, ge=1, le=9999)
    language: LanguageLiteral | None = None  # type: ignore[valid-type]
    sort: Literal["relevance", "date"] = "relevance"
    page: int = Field(
        1, ge=1, le=MAX_SEARCH_PAGE, description=f"Page number, from 1 (at most {MAX_SEARCH_PAGE})."
    )


# ---- request bodies ---------------------------------------------------------------------------------


class AuthorsIn(InputModel):
    people: Codes = Field(default_factory=list, description="Slugs of knowledge holders.")
    organisations: Codes = Field(default_factory=list, description="Slugs of organisations.")


class IdentifiersIn(InputModel):
    doi: str = ""
    handle: str = ""
    isbn: str = ""
    url: str = Field(default="", description="An http(s) URL.")


class ProvenanceIn(InputModel):
    kind: str = choice(PROVENANCES, default=KnowledgeItem.Provenance.MADE_HERE)
    source_name: str = Field(default="", description="Required when kind is harvested.")
    source_identifier: str = ""


class KnowledgeIn(InputModel):
    title: str
    kind: str = choice(KINDS, "The category follows from it.")
    summary: str = ""
    body: str = Field("", description="Markdown; raw HTML is not rendered.")
    language: str = choice(LANGUAGES, default=KnowledgeItem.Language.NL)
    date: IsoDate | None = None
    themes: Codes = Field(default_factory=list, description="Theme slugs.")
    regions: Codes = Field(default_factory=list, description="Region codes.")
    scale: str = choice(Scale.values, default=Scale.REGIONAL)
    authors: AuthorsIn = Field(default_factory=AuthorsIn)
    identifiers: IdentifiersIn = Field(default_factory=IdentifiersIn)
    licence: str = "CC BY 4.0"
    provenance: ProvenanceIn = Field(default_factory=ProvenanceIn)
    visibility: str = choice(VIS, VISIBILITY_HELP, Visibility.PUBLIC)
    owner_hub: str | None = Field(None, description="Slug of one of your hubs.")


AuthorsPatch = patch_model(AuthorsIn, "AuthorsPatch")
IdentifiersPatch = patch_model(IdentifiersIn, "IdentifiersPatch")
ProvenancePatch = patch_model(ProvenanceIn, "ProvenancePatch")

# KnowledgeIn with the nested objects partial too: `{"identifiers": {"doi": "…"}}` changes the DOI only.
_KnowledgePatchFields = create_model(  # type: ignore[call-overload]
    "KnowledgePatchFields",
    __base__=KnowledgeIn,
    authors=(AuthorsPatch, Field(None)),
    identifiers=(IdentifiersPatch, Field(None)),
    provenance=(ProvenancePatch, Field(None)),
)
KnowledgePatch = patch_model(_KnowledgePatchFields, "KnowledgePatch")
