"""Request and response shapes of the Atlas endpoints (`plek/api/atlas.py`): regions, themes,
organisations, people, networks, hubs, programmes, relations, the region overview, busyness and
the network graph. The shared base models and references are in `schemas.py`."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import Field

from plek.api.schemas import (
    SCALES,
    VIS,
    VISIBILITY_HELP,
    ApiModel,
    Codes,
    HowLiteral,
    InputModel,
    Int32,
    IsoDate,
    ItemRef,
    PageQuery,
    RegionRef,
    ScaleLiteral,
    ThemeRef,
    Year,
    choice,
    page_model,
    patch_model,
)
from plek.atlas.models import (
    HubMembership,
    Network,
    Organisation,
    Person,
    Programme,
    Region,
    Relation,
)
from plek.core.models import Scale, Visibility


class EntityRef(ApiModel):
    type: str = Field(description="region | organisation | person | network | hub | programme")
    identifier: str | None = Field(description="Region code or slug; null when you may not see it.")
    name: str | None


# ---- regions and themes --------------------------------------------------------------------------


class RegionOut(ApiModel):
    code: str
    code_system: str
    code_verified: bool
    verification_note: str
    name: str
    name_en: str
    kind: str
    scale: str
    valid_from: IsoDate | None
    valid_until: IsoDate | None
    description: str
    parents: list[RegionRef] = Field(description="Regions that directly contain this one.")


class RegionDetail(RegionOut):
    geometry: dict[str, Any] | None = Field(description="GeoJSON geometry (WGS84), if imported.")


class ThemeOut(ApiModel):
    slug: str
    label: str
    label_nl: str
    label_en: str
    description: str
    parent: str | None = Field(description="Slug of the parent theme.")
    position: int


# ---- owned entities -------------------------------------------------------------------------------


class OrganisationOut(ApiModel):
    slug: str
    name: str
    kind: str
    description: str
    website: str
    regions: list[RegionRef]
    themes: list[ThemeRef]
    visibility: str
    owner_hub: str | None = Field(description="Slug of the hub that keeps this record.")
    updated_at: dt.datetime


class PersonOut(ApiModel):
    """A knowledge holder as the caller may see them. Each field group (contact, affiliation,
    expertise, regions) the person keeps from the caller is left out entirely and listed in
    `hidden`."""

    slug: str
    name: str
    hidden: list[Literal["contact", "affiliation", "expertise", "regions"]]
    email: str | None = Field(None, description="Group contact.")
    phone: str | None = Field(None, description="Group contact.")
    role: str | None = Field(None, description="Group affiliation.")
    organisations: list[ItemRef] | None = Field(None, description="Group affiliation.")
    expertise: str | None = Field(None, description="Group expertise.")
    themes: list[ThemeRef] | None = Field(None, description="Group expertise.")
    knowledge_kinds: list[str] | None = Field(None, description="Group expertise.")
    regions: list[RegionRef] | None = Field(None, description="Group regions.")


class NetworkOut(ApiModel):
    slug: str
    name: str
    kind: str
    scale: str
    description: str
    website: str
    regions: list[RegionRef]
    themes: list[ThemeRef]
    parent: str | None = Field(description="Slug of the network this one is part of.")
    programmes: list[ItemRef]
    visibility: str
    owner_hub: str | None
    updated_at: dt.datetime


class HubOut(ApiModel):
    slug: str
    name: str
    introduction: str
    website: str
    regions: list[RegionRef]
    themes: list[ThemeRef]
    offers_brokering: bool
    offers_area_learning: bool
    offers_strategy: bool
    updated_at: dt.datetime


class MilestoneOut(ApiModel):
    date: IsoDate
    date_precision: str
    kind: str
    label: str
    verified: bool


class StatusChangeOut(ApiModel):
    status: str
    date: IsoDate
    date_precision: str
    note: str


class ProgrammeOut(ApiModel):
    slug: str
    abbr: str
    name: str
    description: str
    lead_ministry: str
    partners: str
    start_year: int | None
    start_note: str
    horizon_year: int | None
    horizon_note: str
    knowledge_programme: str
    status: str
    scale: str
    source_url: str
    verification: str
    verification_note: str
    regions: list[RegionRef]
    themes: list[ThemeRef]
    milestones: list[MilestoneOut]
    status_history: list[StatusChangeOut]
    updated_at: dt.datetime


class RelationOut(ApiModel):
    id: int
    kind: str
    source: EntityRef
    target: EntityRef
    valid_from: IsoDate | None
    valid_until: IsoDate | None
    source_note: str
    visibility: str
    owner_hub: str | None


RegionPage = page_model("RegionPage", RegionOut)
ThemePage = page_model("ThemePage", ThemeOut)
OrganisationPage = page_model("OrganisationPage", OrganisationOut)
PersonPage = page_model("PersonPage", PersonOut)
NetworkPage = page_model("NetworkPage", NetworkOut)
HubPage = page_model("HubPage", HubOut)
ProgrammePage = page_model("ProgrammePage", ProgrammeOut)
RelationPage = page_model("RelationPage", RelationOut)


# ---- region overview, busyness, graph -----------------------------------------------------------


class Touch(ApiModel):
    how: HowLiteral = Field(
        description="direct: linked to the region itself; via: linked to a region containing it; "
        "within: linked to a region inside it."
    )
    via: list[RegionRef] = Field(
        description="The containment path from this region to the linked one (empty when direct)."
    )


class HubTouch(Touch):
    slug: str
    name: str


class ProgrammeTouch(Touch):
    slug: str
    name: str
    abbr: str
    status: str


class NetworkTouch(Touch):
    slug: str
    name: str
    kind: str
    scale: str


class OrganisationTouch(Touch):
    slug: str
    name: str
    kind: str


class PersonTouch(PersonOut, Touch):
    pass


class HubSection(ApiModel):
    items: list[HubTouch]
    total: int


class ProgrammeSection(ApiModel):
    items: list[ProgrammeTouch]
    total: int


class NetworkSection(ApiModel):
    items: list[NetworkTouch]
    total: int


class OrganisationSection(ApiModel):
    items: list[OrganisationTouch]
    total: int


class PersonSection(ApiModel):
    items: list[PersonTouch]
    total: int


class OverviewSections(ApiModel):
    hubs: HubSection
    programmes: ProgrammeSection
    networks: NetworkSection
    organisations: OrganisationSection
    people: PersonSection


class RegionOverview(ApiModel):
    region: RegionOut
    contained_in: list[RegionRef]
    contains: list[RegionRef]
    overlaps: list[RegionRef]
    sections: OverviewSections


class BusyMilestone(ApiModel):
    date: IsoDate
    date_precision: str
    kind: str
    label: str
    verified: bool
    quarter: str = Field(description="e.g. 2026-Q3")
    programme: ItemRef
    via: RegionRef | None = Field(description="The region through which the programme touches this one.")


class QuarterCount(ApiModel):
    quarter: str
    count: int
    busy: bool = Field(
        description="True for the busiest quarter(s) when more than one milestone falls in it."
    )


class Busyness(ApiModel):
    region: RegionRef
    start: IsoDate
    end: IsoDate
    months: int
    milestones: list[BusyMilestone]
    quarters: list[QuarterCount]
    peak: int
    programme_count: int


class GraphNode(ApiModel):
    id: str = Field(description="kind:slug")
    kind: str
    label: str
    slug: str
    degree: int
    betweenness: float
    isolated: bool


class GraphEdge(ApiModel):
    source: str
    target: str
    kind: str


class Graph(ApiModel):
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool
    total_nodes: int
    max_nodes: int


class EntityQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="Text in the name.")
    theme: str | None = Field(None, max_length=80, description="Theme slug; includes its sub-themes.")
    region: str | None = Field(
        None, max_length=40, description="Region code; includes everything in regions it contains."
    )


class OrganisationQuery(EntityQuery):
    kind: Literal[tuple(Organisation.Kind.values)] | None = None  # type: ignore[valid-type]


class PersonQuery(EntityQuery):
    kind: Literal[tuple(Person.KnowledgeKind.values)] | None = Field(  # type: ignore[valid-type]
        None, description="Kind of knowledge."
    )


class NetworkQuery(EntityQuery):
    kind: Literal[tuple(Network.Kind.values)] | None = None  # type: ignore[valid-type]
    scale: ScaleLiteral | None = None


class HubQuery(EntityQuery):
    pass


class ProgrammeQuery(EntityQuery):
    status: Literal[tuple(Programme.Status.values)] | None = None  # type: ignore[valid-type]
    scale: ScaleLiteral | None = None


class RegionQuery(PageQuery):
    q: str | None = Field(None, max_length=200, description="Text in the name, or the exact code.")
    kind: Literal[tuple(Region.Kind.values)] | None = None  # type: ignore[valid-type]
    scale: ScaleLiteral | None = None
    parent: str | None = Field(
        None, max_length=40, description="Region code: only regions it contains (at any depth)."
    )


class ThemeQuery(PageQuery):
    parent: str | None = Field(None, max_length=80, description="Theme slug: only its direct sub-themes.")


class RelationQuery(PageQuery):
    kind: Literal[tuple(Relation.Kind.values)] | None = None  # type: ignore[valid-type]
    source_type: Literal[tuple(Relation.EntityType.values)] | None = None  # type: ignore[valid-type]
    target_type: Literal[tuple(Relation.EntityType.values)] | None = None  # type: ignore[valid-type]


class OverviewQuery(ApiModel):
    limit: int = Field(12, ge=1, le=100, description="Items per section.")


class BusynessQuery(ApiModel):
    start: IsoDate | None = Field(None, description="First day (default: today).")
    months: int = Field(24, ge=1, le=120, description="Length of the period in months.")


class GraphQuery(ApiModel):
    theme: str | None = Field(None, max_length=80, description="Theme slug; includes its sub-themes.")
    scale: ScaleLiteral | None = None
    region: str | None = Field(None, max_length=40, description="Region code; includes contained regions.")


class OrganisationIn(InputModel):
    name: str
    kind: str = choice(Organisation.Kind.values)
    description: str = ""
    website: str = Field("", description="An http(s) URL.")
    regions: Codes = Field(default_factory=list, description="Region codes.")
    themes: Codes = Field(default_factory=list, description="Theme slugs.")
    visibility: str = choice(VIS, VISIBILITY_HELP, Visibility.PUBLIC)
    owner_hub: str | None = Field(None, description="Slug of one of your hubs.")


class PersonIn(InputModel):
    name: str
    role: str = ""
    email: str = ""
    phone: str = ""
    expertise: str = ""
    knowledge_kinds: list[str] = Field(
        default_factory=list, description="Any of: " + ", ".join(Person.KnowledgeKind.values)
    )
    organisations: Codes = Field(default_factory=list, description="Organisation slugs.")
    themes: Codes = Field(default_factory=list, description="Theme slugs.")
    regions: Codes = Field(default_factory=list, description="Region codes.")
    visibility: str = choice(VIS, VISIBILITY_HELP, Visibility.PUBLIC)
    contact_visibility: str = choice(VIS, "Who sees email and phone.", Visibility.PRIVATE)
    affiliation_visibility: str = choice(VIS, "Who sees role and organisations.", Visibility.MEMBERS)
    expertise_visibility: str = choice(VIS, "Who sees expertise and themes.", Visibility.MEMBERS)
    regions_visibility: str = choice(VIS, "Who sees regions.", Visibility.MEMBERS)
    owner_hub: str | None = None
    consent_at: dt.datetime | None = Field(
        None,
        description="When the person consented to this profile being shown (needs consentBasis). "
        "Without consent the profile is private whatever visibility is asked for.",
    )
    consent_basis: str = choice(
        ["", *Person.ConsentBasis.values],
        "How consent was given; a basis without consentAt records consent now.",
        "",
    )
    consent_groups: list[Literal["contact", "affiliation", "expertise", "regions"]] = Field(
        default_factory=list,
        description="Field groups the consent covers (empty: all). Groups outside it stay private.",
    )


class NetworkIn(InputModel):
    name: str
    kind: str = choice(Network.Kind.values, default=Network.Kind.KNOWLEDGE)
    scale: str = choice(SCALES)
    description: str = ""
    website: str = ""
    regions: Codes = Field(default_factory=list, description="Region codes.")
    themes: Codes = Field(default_factory=list, description="Theme slugs.")
    parent: str | None = Field(None, description="Slug of the network this one is part of.")
    programmes: Codes = Field(default_factory=list, description="Programme slugs.")
    visibility: str = choice(VIS, VISIBILITY_HELP, Visibility.PUBLIC)
    owner_hub: str | None = None


class HubIn(InputModel):
    name: str
    introduction: str = ""
    website: str = ""
    regions: Codes = Field(description="Region codes (at least one).")
    themes: Codes = Field(default_factory=list, description="Theme slugs.")
    offers_brokering: bool = True
    offers_area_learning: bool = True
    offers_strategy: bool = True


class ProgrammeIn(InputModel):
    name: str
    abbr: str = ""
    description: str = ""
    lead_ministry: str = ""
    partners: str = ""
    start_year: Year | None = None
    horizon_year: Year | None = None
    knowledge_programme: str = ""
    status: str = choice(Programme.Status.values, default=Programme.Status.ACTIVE)
    scale: str = choice(SCALES, default=Scale.NATIONAL)
    source_url: str = ""
    regions: Codes = Field(default_factory=list, description="Region codes.")
    themes: Codes = Field(default_factory=list, description="Theme slugs.")


class RegionIn(InputModel):
    code: str = Field(description="Official code (letters, digits, hyphens).")
    name: str
    name_en: str = ""
    kind: str = choice(Region.Kind.values)
    scale: str = choice(SCALES)
    valid_from: IsoDate | None = None
    valid_until: IsoDate | None = None
    description: str = ""
    parents: Codes = Field(default_factory=list, description="Codes of regions that directly contain it.")


class ThemeIn(InputModel):
    slug: str
    label_nl: str
    label_en: str
    description: str = ""
    parent: str | None = Field(None, description="Slug of the parent theme.")
    position: Int32 = 0


class RelationIn(InputModel):
    kind: str = choice(Relation.Kind.values)
    source_type: str = choice(Relation.EntityType.values)
    source: str = Field(description="Identifier of the source: region code or slug.")
    target_type: str = choice(Relation.EntityType.values)
    target: str = Field(description="Identifier of the target: region code or slug.")
    valid_from: IsoDate | None = None
    valid_until: IsoDate | None = None
    source_note: str = Field("", description="Where this is known from.")
    visibility: str = choice(VIS, VISIBILITY_HELP, Visibility.PUBLIC)
    owner_hub: str | None = None


OrganisationPatch = patch_model(OrganisationIn, "OrganisationPatch")
PersonPatch = patch_model(PersonIn, "PersonPatch")
NetworkPatch = patch_model(NetworkIn, "NetworkPatch")
HubPatch = patch_model(HubIn, "HubPatch")
ProgrammePatch = patch_model(ProgrammeIn, "ProgrammePatch")
RegionPatch = patch_model(RegionIn, "RegionPatch")
ThemePatch = patch_model(ThemeIn, "ThemePatch")
RelationPatch = patch_model(RelationIn, "RelationPatch")


class BudgetLineOut(ApiModel):
    year: int | None = Field(description="The year; none for the programme's whole period.")
    region: RegionRef | None = Field(description="The area the money is for; none for the whole country.")
    amount_eur: int
    description: str
    source: str
    source_url: str
    verified: bool
    public: bool = Field(description="Lines that are not public are shown to administrators only.")


class ProgrammeBudgetOut(ApiModel):
    programme: ItemRef
    lines: list[BudgetLineOut]


# ---- custom areas, hub members, consent (the pages' forms and services) ------------------------------


class CustomAreaIn(InputModel):
    name: str
    name_en: str = ""
    description: str = ""
    municipalities: Codes = Field(max_length=1000, description="CBS codes of the municipalities (GM…).")


class HubMemberOut(ApiModel):
    username: str
    role: str = choice(HubMembership.Role.values)


class HubMemberIn(InputModel):
    role: str = choice(HubMembership.Role.values, "The member's role in the hub.")


class ConsentIn(InputModel):
    given_on: IsoDate = Field(description="The day the person gave consent (not in the future).")
    basis: str = choice([b for b in Person.ConsentBasis.values if b != "self"], "How the person gave it.")
    groups: list[str] = Field(
        default_factory=list,
        max_length=10,
        description="contact | affiliation | expertise | regions; empty: all of them.",
    )


class ConsentOut(ApiModel):
    consent_at: dt.datetime | None = Field(description="When consent was given; null without consent.")
    basis: str = choice([*Person.ConsentBasis.values, ""], "How; empty without consent.")
    groups: list[str] = Field(description="The field groups consented to; empty: all of them.")
    recorded_by: str | None = Field(description="Who recorded it (username).")
