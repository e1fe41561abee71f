"""Knowledge items follow the Atlas rules for things people write (see plek.atlas.permissions)."""

from __future__ import annotations

from typing import Any

from plek.atlas.permissions import Viewer, can_view, visible_q


def can_create(viewer: Viewer) -> bool:
    return viewer.is_admin or viewer.is_member


def can_change(viewer: Viewer, item: Any) -> bool:
    if viewer.is_admin:
        return True
    if not viewer.is_authenticated or not can_view(viewer, item):
        return False
    coordinates = item.owner_hub_id is not None and item.owner_hub_id in viewer.coordinator_hub_ids
    return coordinates or (viewer.is_member and item.created_by_id == viewer.user_id)


def can_delete(viewer: Viewer, item: Any) -> bool:
    if viewer.is_admin:
        return True
    return item.owner_hub_id is not None and item.owner_hub_id in viewer.coordinator_hub_ids


def can_see_history(viewer: Viewer, item: Any) -> bool:
    """The owning hub's coordinators and administrators see an item's history and versions."""
    return viewer.is_admin or item.owner_hub_id in viewer.coordinator_hub_ids


def can_manage_search(viewer: Viewer) -> bool:
    """Administrators look after the search index and its vectors (re-embed, stop a run)."""
    return viewer.is_admin


__all__ = [
    "can_change",
    "can_create",
    "can_delete",
    "can_manage_search",
    "can_see_history",
    "can_view",
    "visible_q",
]
