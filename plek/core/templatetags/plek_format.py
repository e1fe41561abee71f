"""Template filters for numbers and dates in the viewer's language (see plek.core.numbers)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from plek.core.numbers import fmt_date, fmt_number

register = template.Library()


@register.filter
def num(value: Any, digits: Any = None) -> str:
    """{{ value|num }} or {{ value|num:1 }}: grouped thousands, localised decimal sign."""
    places = None if digits in (None, "") else int(digits)
    return fmt_number(value, places)


@register.filter
def precise_date(value: dt.date | None, precision: str = "day") -> str:
    """{{ m.date|precise_date:m.date_precision }}: "2000" for a year-only date."""
    return fmt_date(value, precision or "day")
