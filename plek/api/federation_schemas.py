"""Request and response shapes of the federation endpoints of API v1: harvest sources (the console
of coordinators and administrators) and knowledge imports from a file."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from plek.api.schemas import VIS, ApiModel, Codes, InputModel, Int32, choice
from plek.federation.models import HarvestRun, HarvestSource, ImportJob


class HarvestRunOut(ApiModel):
    id: int
    status: str = choice(HarvestRun.Status.values)
    trigger: str = Field(description="manual | schedule | bench.")
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    fetched: int
    created: int
    updated: int
    unchanged: int
    withdrawn: int
    refused: int
    error: str


class HarvestSourceOut(ApiModel):
    id: int
    name: str
    kind: str = choice(HarvestSource.Kind.values)
    base_url: str
    set_spec: str
    schedule: str = choice(HarvestSource.Schedule.values)
    owner_hub: str | None = Field(description="Slug of the hub the source belongs to.")
    default_visibility: str
    paused: bool
    next_run_at: dt.datetime | None


class HarvestSourceDetail(HarvestSourceOut):
    runs: list[HarvestRunOut] = Field(description="The latest runs, newest first (at most 20).")


class HarvestSourceIn(InputModel):
    name: str
    kind: str = choice(HarvestSource.Kind.values, "The protocol of the source.")
    base_url: str = Field(description="https://… on a host the administrators allowed.")
    set_spec: str = ""
    schedule: str = choice(HarvestSource.Schedule.values, default=HarvestSource.Schedule.DAILY)
    owner_hub: str = Field(description="Slug of a hub you coordinate.")
    default_visibility: str = choice(VIS, "Visibility of the items harvested.", default="public")
    default_themes: Codes = Field(default_factory=list, description="Theme slugs.")
    default_regions: Codes = Field(default_factory=list, description="Region codes.")
    mapping_rules: dict[str, str] = Field(default_factory=dict, description='{"keyword": "theme slug"}.')
    page_cap: Int32 = Field(200, description="At most this many pages per run.")


class HarvestSourcePatch(InputModel):
    paused: bool = Field(description="Pause (true) or resume (false) the schedule.")


class KnowledgeImportReportOut(ApiModel):
    """The report of a knowledge import done at once (a small file)."""

    dry_run: bool
    committed: bool = Field(description="Whether anything was saved (never on a dry run).")
    total: int
    created: int
    updated: int


class ImportJobOut(ApiModel):
    """A knowledge import the worker carries out (a large file, or the confirmation of a dry run)."""

    id: int
    name: str
    dry_run: bool
    status: str = choice(ImportJob.Status.values)
    total: int
    done: int
    created: int
    updated: int
    errors: list[str]
    committed: bool
    error: str
    confirmable: bool = Field(description="A dry run without errors that may now be confirmed (once).")
