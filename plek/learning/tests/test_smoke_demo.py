"""The demo builds three trajectories through the services, and every page of them renders."""

from __future__ import annotations

from typing import Any

import pytest

from plek.learning.demo import learning_demo
from plek.learning.models import AgendaVersion, Lesson, Trajectory


@pytest.mark.django_db
def test_demo_builds_trajectories_with_a_year_of_history_and_every_page_renders(
    client: Any, ref: None
) -> None:
    counts = learning_demo()
    assert counts["trajectories"] == 3
    assert learning_demo() == {}  # idempotent
    for t in Trajectory.objects.all():
        dates = list(AgendaVersion.objects.filter(item__trajectory=t).values_list("valid_from", flat=True))
        assert (max(dates) - min(dates)).days > 365
        for url in (
            f"/leertrajecten/{t.slug}/",
            f"/leertrajecten/{t.slug}/agenda/",
            f"/leertrajecten/{t.slug}/agenda/?van=2020-01-01&tot=2099-01-01",
            f"/leertrajecten/{t.slug}/agenda/1/",
            f"/leertrajecten/{t.slug}/tijdlijn/",
            f"/leertrajecten/{t.slug}/leergeschiedenis/",
            f"/leertrajecten/{t.slug}/export.json",
            f"/leertrajecten/{t.slug}/export.md",
            f"/leertrajecten/{t.slug}/sessies/{t.sessions.first().pk}/",
        ):
            assert client.get(url).status_code == 200, url
    for url in ("/leertrajecten/", "/lessen/", "/leren/drempels/"):
        assert client.get(url).status_code == 200, url
    lesson = Lesson.objects.first()
    assert client.get(f"/lessen/{lesson.slug}/").status_code == 200
    assert Lesson.objects.filter(knowledge_item__isnull=False).count() == 2
