from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from plek.core.models import WorkerHeartbeat
from plek.core.selectors import page_rows


@pytest.mark.django_db
def test_page_rows_counts_once_and_reads_one_page(django_assert_num_queries: Any) -> None:
    now = timezone.now()
    for i in range(5):
        WorkerHeartbeat.objects.create(worker_id=f"zz-page-{i}", started_at=now, seen_at=now)
    qs = WorkerHeartbeat.objects.filter(worker_id__startswith="zz-page-").order_by("worker_id")
    with django_assert_num_queries(2):
        rows, total = page_rows(qs, 2, 2)
    assert [w.worker_id for w in rows] == ["zz-page-2", "zz-page-3"] and total == 5
    rows, total = page_rows(qs, 3, 2)
    assert [w.worker_id for w in rows] == ["zz-page-4"] and total == 5
    # past the end: the count only, no page query
    with django_assert_num_queries(1):
        rows, total = page_rows(qs, 4, 2)
    assert rows == [] and total == 5
