"""The shared request and response shapes of API v1: base models, references, pages, problems,
bounded numbers and dates, PATCH models. Each app's shapes live in `<app>_schemas.py`.

Python stays snake_case; JSON is lowerCamelCase through aliases (both spellings are accepted on
input). Input models check JSON types and required properties (400); the rules (blank values,
choices, unknown codes, dates in order) are checked by the same Django forms the pages use, and
answer 422 naming the field."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from django.conf import settings
from ninja import P, PathEx
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

from plek.core.models import Scale, Visibility

# Integers from clients are bounded so that an out-of-range number is a 400 naming the field, never a
# database overflow (SQLite and PostgreSQL integers are 64-bit; ids here fit 32 bits).
MAX_INT = 2**31 - 1
MAX_PAGE = 100_000
Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Int32 = Annotated[int, Field(ge=-MAX_INT - 1, le=MAX_INT)]
Year = Annotated[int, Field(ge=1, le=9999)]


ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: Any) -> Any:
    """Dates only as YYYY-MM-DD: pydantic would also read a number (`asOf=0`) as a Unix time."""
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and ISO_DATE.fullmatch(value.strip()):
        return value.strip()
    raise ValueError("Expected a date as YYYY-MM-DD.")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]
IdPath = PathEx[int, P(ge=1, le=MAX_INT, description="Numeric id.")]


def _title(name: str, info: Any) -> str:
    return to_camel(name)


class ApiModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, field_title_generator=_title)


class InputModel(ApiModel):
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, field_title_generator=_title, extra="forbid"
    )


def choice(values: list[str], description: str = "", default: Any = ..., **kw: Any) -> Any:
    """A string documented with its allowed values; the form checks them (422 when wrong)."""
    extra: Any = {"enum": list(values)}
    return Field(default, description=description or None, json_schema_extra=extra, **kw)


ScaleLiteral = Literal["local", "regional", "national"]
HowLiteral = Literal["direct", "via", "within"]
VISIBILITY_HELP = "public | members (signed-in) | hub (members of the owning hub) | private"

# ---- problems -------------------------------------------------------------------------------------


class InvalidParam(ApiModel):
    name: str = Field(description="The parameter or property, as sent (lowerCamelCase).")
    reason: str


class Problem(ApiModel):
    """RFC 9457 problem details."""

    type: str = Field(description="A URI naming the kind of problem; `about:blank` for plain HTTP errors.")
    title: str
    status: int
    detail: str
    instance: str | None = Field(None, description="The path of the request.")
    invalid_params: list[InvalidParam] | None = None


# ---- references -----------------------------------------------------------------------------------


class RegionRef(ApiModel):
    code: str = Field(description="Official code, e.g. GM0363 (CBS) or PV27.")
    name: str
    kind: str


class ThemeRef(ApiModel):
    slug: str
    label: str


class ItemRef(ApiModel):
    slug: str
    name: str


# ---- lists ------------------------------------------------------------------------------------------


def page_model(name: str, item: type[BaseModel]) -> type[BaseModel]:
    return create_model(  # type: ignore[call-overload,no-any-return]
        name,
        __base__=ApiModel,
        __doc__=f"One page of {item.__name__.removesuffix('Out')} items.",
        items=(list[item], ...),  # type: ignore[valid-type]
        page=(int, Field(description="This page's number (1-based).")),
        page_size=(int, ...),
        total=(int, Field(description="Number of items on all pages.")),
        next=(str | None, Field(description="URL of the next page; null on the last page.")),
    )


# ---- query parameters ------------------------------------------------------------------------------


class PageQuery(ApiModel):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")
    page_size: int = Field(
        settings.API_DEFAULT_PAGE_SIZE,
        ge=1,
        le=settings.API_MAX_PAGE_SIZE,
        description=f"Items per page (at most {settings.API_MAX_PAGE_SIZE}).",
    )


# ---- request bodies ------------------------------------------------------------------------------

Codes = list[str]
VIS = Visibility.values
SCALES = Scale.values


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def patch_model(model: type[InputModel], name: str, exclude: tuple[str, ...] = ()) -> type[InputModel]:
    """The same properties (but those in `exclude`), none required: a PATCH changes only what it
    sends. A property that cannot be null on create cannot be null here either (send it, or leave
    it out)."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name in exclude:
            continue
        extra = dict(info.json_schema_extra) if isinstance(info.json_schema_extra, dict) else {}

        def schema_extra(schema: dict[str, Any], extra: dict[str, Any] = extra) -> None:
            _no_default(schema)
            schema.update(extra)

        kwargs: dict[str, Any] = {"default": None, "json_schema_extra": schema_extra}
        if info.description:
            kwargs["description"] = info.description
        # Keep the constraints (bounds, lengths) of the create model.
        annotation = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
        fields[field_name] = (annotation, FieldInfo(**kwargs))
    doc = "Send only the properties to change; the others keep their current values."
    return create_model(name, __base__=InputModel, __doc__=doc, **fields)  # type: ignore[call-overload,no-any-return]
