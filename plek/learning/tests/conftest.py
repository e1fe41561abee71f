"""Fixtures of the area-learning tests: a trajectory in Noord-Holland with agenda items, built
through the services (as people would)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from plek.atlas.models import Hub
from plek.atlas.permissions import Viewer, viewer_for
from plek.learning import services
from plek.learning.models import AgendaItem, Trajectory

ADMIN = Viewer(is_admin=True)


def make_trajectory(
    *,
    viewer: Viewer = ADMIN,
    title: str = "Zoetwater in de Kop",
    regions: tuple[str, ...] = ("PV27",),
    themes: tuple[str, ...] = ("water-bodem",),
    visibility: str = "public",
    hub: Hub | None = None,
    started: dt.date = dt.date(2024, 1, 1),
    **extra: Any,
) -> Trajectory:
    data = {
        "title": title,
        "area_process": "Gebiedsproces zoetwater",
        "goal": "Samen leren over zoetwater.",
        "phase": "exploration",
        "started_on": started.isoformat(),
        "regions": list(regions),
        "themes": list(themes),
        "visibility": visibility,
        "owner_hub": hub.slug if hub else "",
        **extra,
    }
    form = services.trajectory_form(viewer=viewer, data=data)
    return services.trajectory_save(viewer=viewer, form=form)


def add_item(
    trajectory: Trajectory,
    *,
    text: str = "Hoe kunnen we water vasthouden terwijl de bodem daalt?",
    barrier: str = "",
    day: dt.date = dt.date(2024, 2, 1),
    viewer: Viewer = ADMIN,
    **extra: Any,
) -> AgendaItem:
    data = {
        "kind": "question",
        "text": text,
        "barrier": barrier,
        "status": "new",
        "valid_from": day.isoformat(),
    }
    data.update(extra)
    form = services.agenda_form(trajectory=trajectory, data=data)
    return services.agenda_item_create(viewer=viewer, trajectory=trajectory, form=form)


def change_item(item: AgendaItem, *, day: dt.date, viewer: Viewer = ADMIN, **fields: Any) -> AgendaItem:
    item = AgendaItem.objects.select_related("trajectory").get(pk=item.pk)
    data = {
        "kind": item.kind,
        "text": item.text,
        "ambition": item.ambition,
        "barrier": item.barrier,
        "owner": item.owner,
        "status": item.status,
        "actions": item.actions,
        "valid_from": day.isoformat(),
    }
    data.update(fields)
    form = services.agenda_form(trajectory=item.trajectory, item=item, data=data)
    return services.agenda_item_change(viewer=viewer, item=item, form=form)


@pytest.fixture
def viewers(cast: dict[str, Any]) -> dict[str, Viewer]:
    return {name: viewer_for(user) for name, user in cast.items()}


@pytest.fixture
def trajectory(hub: Hub) -> Trajectory:
    return make_trajectory(hub=hub)
