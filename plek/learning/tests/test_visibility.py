"""A private trajectory never leaks: not through lists, pages, search, API, exports, lessons from
elsewhere or the national barrier view (acceptance 3). Its members do see it."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.test import Client

from plek.atlas.exporters import export_atlas
from plek.atlas.permissions import Viewer
from plek.knowledge.indexing import outbox_apply, viewer_keys
from plek.knowledge.search import get_backend
from plek.knowledge.search.base import SearchQuery
from plek.learning import selectors, services
from plek.learning.models import Trajectory
from plek.learning.tests.conftest import ADMIN, add_item, make_trajectory
from plek.learning.tests.test_lessons import make_lesson

pytestmark = pytest.mark.django_db
SECRET = "Geheimzinnige stikstofdeal in het veenweidegebied"
BARRIER = "Verkokerde budgetten per programma maken gebiedsgerichte financiering onmogelijk."


@pytest.fixture
def private(hub: Any, cast: dict[str, Any]) -> Trajectory:
    t = make_trajectory(title=SECRET, visibility="private", hub=hub, regions=("PV30",))
    services.participant_add(
        viewer=ADMIN,
        trajectory=t,
        data={"name": "Olga", "background": "practice", "scale": "local", "user": "outsider"},
    )
    add_item(t, text="Hoe sluiten we de geheime deal?", barrier=BARRIER, day=dt.date(2024, 2, 1))
    lesson = make_lesson(t, title="Geheime les over de stikstofdeal", regions=("PV30",))
    services.lesson_publish(viewer=ADMIN, lesson=lesson)
    public = make_trajectory(title="Open traject", regions=("PV27",))
    add_item(public, text="Hoe financieren we samen?", barrier=BARRIER, day=dt.date(2024, 2, 1))
    outbox_apply()
    return Trajectory.objects.get(pk=t.pk)


def _viewer(cast: dict[str, Any], role: str) -> Viewer:
    from plek.atlas.permissions import viewer_for

    return viewer_for(cast[role])


SEES = {"anonymous": False, "member": False, "outsider": True, "coordinator": True, "admin": True}


@pytest.mark.parametrize("role", list(SEES))
def test_a_private_trajectory_shows_only_to_its_members(
    private: Trajectory, cast: dict[str, Any], role: str
) -> None:
    # outsider is a participant with an account here; member is in the hub but not in the trajectory.
    v = _viewer(cast, role)
    sees = SEES[role]
    assert (selectors.trajectory_get(viewer=v, slug=private.slug) is not None) is sees
    client = Client()
    if cast[role] is not None:
        client.force_login(cast[role])
    for url in (
        f"/leertrajecten/{private.slug}/",
        f"/leertrajecten/{private.slug}/agenda/",
        f"/leertrajecten/{private.slug}/leergeschiedenis/",
        f"/leertrajecten/{private.slug}/export.json",
        f"/api/v1/learning-trajectories/{private.slug}",
        f"/api/v1/learning-trajectories/{private.slug}/agenda",
    ):
        assert client.get(url).status_code == (200 if sees else 404), url
    for url in (
        "/leertrajecten/",
        "/api/v1/learning-trajectories",
        "/leren/drempels/",
        "/api/v1/recurring-barriers",
        "/lessen/",
        "/api/v1/lessons",
    ):
        body = client.get(url).content.decode()
        assert (SECRET in body or private.slug in body or "geheime" in body.lower()) is sees, url
    hits = get_backend().query(
        SearchQuery(text="stikstofdeal", viewer_keys=viewer_keys(v), limit=20, facets=True)
    )
    # Coordinators of the owning hub reach a private trajectory through its hub's pages, not search
    # (the index has no coordinator key; a hub key would open it to every hub member).
    assert (hits.total > 0) is (sees and role != "coordinator")
    assert all(h.type in ("trajectory", "lesson", "knowledge") for h in hits.hits)


def test_the_national_barrier_view_leaves_out_what_the_viewer_may_not_see(
    private: Trajectory, cast: dict[str, Any]
) -> None:
    other = make_trajectory(title="Derde traject", regions=("PV25",))
    add_item(other, text="Hoe verdelen we geld?", barrier=BARRIER, day=dt.date(2024, 3, 1))
    admin_view = selectors.recurring_barriers(viewer=ADMIN)
    assert [len(c.trajectories) for c in admin_view] == [3]
    public_view = selectors.recurring_barriers(viewer=Viewer())
    assert [sorted(t.title for t in c.trajectories) for c in public_view] == [
        ["Derde traject", "Open traject"]
    ]


def test_exports_leave_out_private_trajectories(private: Trajectory) -> None:
    out = io.StringIO()
    export_atlas(out, viewer=Viewer(), fmt="json")
    data = json.loads(out.getvalue())
    assert [t["title"] for t in data["learning_trajectories"]] == ["Open traject"]
    assert SECRET not in out.getvalue()
    out = io.StringIO()
    export_atlas(out, viewer=ADMIN, fmt="json")
    assert sorted(t["title"] for t in json.loads(out.getvalue())["learning_trajectories"]) == sorted(
        ["Open traject", SECRET]
    )


def test_lessons_from_elsewhere_never_suggest_a_private_trajectorys_lesson(private: Trajectory) -> None:
    searching = make_trajectory(title="Zoekend traject", regions=("PV25",))
    add_item(searching, text="Hoe sluiten we een stikstofdeal?", day=dt.date(2024, 2, 1))
    outbox_apply()
    assert selectors.lessons_from_elsewhere(viewer=Viewer(), trajectory=searching) == []
    assert selectors.lessons_from_elsewhere(viewer=ADMIN, trajectory=searching) != []
