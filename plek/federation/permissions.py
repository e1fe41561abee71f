"""Who may manage harvest sources: administrators, and the coordinators of the source's hub."""

from __future__ import annotations

from typing import Any

from plek.atlas.permissions import Viewer


def can_create(viewer: Viewer, hub_id: int | None) -> bool:
    if viewer.is_admin:
        return True
    return hub_id is not None and hub_id in viewer.coordinator_hub_ids


def can_manage(viewer: Viewer, source: Any) -> bool:
    return can_create(viewer, source.owner_hub_id)


def can_import(viewer: Viewer) -> bool:
    return viewer.is_admin or bool(viewer.coordinator_hub_ids)
