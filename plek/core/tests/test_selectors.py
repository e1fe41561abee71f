from __future__ import annotations

from typing import Any

import pytest

from plek.atlas.models import Theme
from plek.core.selectors import page_rows


@pytest.mark.django_db
def test_page_rows_counts_once_and_reads_one_page(django_assert_num_queries: Any) -> None:
    for i in range(5):
        Theme.objects.create(slug=f"zz-page-{i}", label_nl=f"Thema {i}", label_en=f"Theme {i}")
    qs = Theme.objects.filter(slug__startswith="zz-page-").order_by("slug")
    with django_assert_num_queries(2):
        rows, total = page_rows(qs, 2, 2)
    assert [t.slug for t in rows] == ["zz-page-2", "zz-page-3"] and total == 5
    rows, total = page_rows(qs, 3, 2)
    assert [t.slug for t in rows] == ["zz-page-4"] and total == 5
    # past the end: the count only, no page query
    with django_assert_num_queries(1):
        rows, total = page_rows(qs, 4, 2)
    assert rows == [] and total == 5
