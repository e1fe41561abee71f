"""Who may see and change indicators and studies: the Atlas rules for things people write
(visibility for reads; hub members create, author or owning hub's coordinators change)."""

from __future__ import annotations

from typing import Any

from plek.atlas.permissions import Viewer, can_view, viewer_for, visible_q

__all__ = ["Viewer", "can_change", "can_create", "can_view", "viewer_for", "visible_q"]


def can_create(viewer: Viewer) -> bool:
    return viewer.is_admin or viewer.is_member


def can_change(viewer: Viewer, obj: Any) -> bool:
    """Edit an indicator or study, import into it, run and cancel its solves."""
    if viewer.is_admin:
        return True
    if not viewer.is_authenticated or not can_view(viewer, obj):
        return False
    if obj.owner_hub_id is not None and obj.owner_hub_id in viewer.coordinator_hub_ids:
        return True
    if obj.owner_hub_id is not None and obj.owner_hub_id in viewer.hub_ids:
        return True  # a study is team work: members of the owning hub run and import
    return viewer.is_member and obj.created_by_id == viewer.user_id
