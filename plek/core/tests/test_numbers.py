from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import Client
from django.utils import translation

from plek.core.numbers import fmt_date, fmt_number


@pytest.mark.parametrize(
    ("lang", "value", "digits", "expected"),
    [
        ("nl", 8364.9, None, "8.364,9"),
        ("en", 8364.9, None, "8,364.9"),
        ("nl", -91324, 0, "-91.324"),
        ("en", -91324, 0, "-91,324"),
        ("nl", 10022.43, None, "10.022,43"),
        ("en", 1234567.891, 2, "1,234,567.89"),
        ("nl", -0.0001, 1, "0,0"),
        ("nl", None, None, ""),
        ("nl", 3, None, "3"),
    ],
)
def test_numbers_follow_the_viewer_language(
    lang: str, value: object, digits: int | None, expected: str
) -> None:
    with translation.override(lang):
        assert fmt_number(value, digits) == expected


def test_template_filters_localise_numbers_and_dates() -> None:
    tpl = Template(
        "{% load plek_format %}{{ v|num:1 }} {{ d|precise_date:'year' }} {{ d|precise_date:'month' }}"
    )
    ctx = Context({"v": 10022.43, "d": dt.date(2000, 1, 1)})
    with translation.override("nl"):
        assert tpl.render(ctx) == "10.022,4 2000 januari 2000"
    with translation.override("en"):
        assert tpl.render(ctx) == "10,022.4 2000 January 2000"


def test_a_year_only_date_is_shown_as_its_year() -> None:
    assert fmt_date(dt.date(2000, 1, 1), "year") == "2000"
    with translation.override("nl"):
        assert fmt_date(dt.date(2030, 6, 15)) == "15 juni 2030"


@pytest.mark.django_db
def test_every_page_links_a_favicon_that_exists() -> None:
    client = Client()
    page = client.get("/").content.decode()
    assert 'rel="icon"' in page
    redirect = client.get("/favicon.ico")
    assert redirect.status_code == 301
    icon = client.get(redirect["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)  # type: ignore[attr-defined]
