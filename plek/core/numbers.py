"""Numbers and dates in the viewer's language: nl 8.364,9 and en 8,364.9, years shown as years."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import formats


def fmt_number(value: Any, digits: int | None = None) -> str:
    """A number with the active language's decimal and thousands separators.

    digits=None keeps up to three significant decimals without trailing zeros; "" for None."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except Exception:
        return str(value)
    if not number.is_finite():
        return str(value)
    if digits is None:
        text = f"{number:.3f}".rstrip("0").rstrip(".") if "." in f"{number:.3f}" else f"{number}"
        number = Decimal(text)
        exponent = number.as_tuple().exponent
        digits = max(0, -exponent) if isinstance(exponent, int) else 0
    else:
        number = round(number, digits)
    if number == 0:
        number = abs(number)  # no "-0"
    return formats.number_format(number, digits, use_l10n=True, force_grouping=True)


def fmt_date(value: dt.date | None, precision: str = "day") -> str:
    """A date as precise as it is known: a year-only date shows as its year, a month as month and year."""
    if value is None:
        return ""
    if precision == "year":
        return str(value.year)
    if precision == "month":
        return formats.date_format(value, "F Y", use_l10n=True)
    return formats.date_format(value, "j F Y", use_l10n=True)
