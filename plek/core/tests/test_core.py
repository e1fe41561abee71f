from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/kennishouders/?gebied=%00", "/zoeken/?q=a%00b", "/api/v1/people?q=%00"])
def test_a_nul_byte_gets_a_clear_400(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 400
    if url.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json"
        assert response["API-Version"]


@pytest.mark.django_db
def test_health_includes_the_search_index() -> None:
    body = Client().get("/healthz").json()
    assert body["status"] == "ok"
    assert body["checks"]["search"]["status"] == "ok"
    assert body["checks"]["search"]["backend"] in ("tantivy", "postgres")
