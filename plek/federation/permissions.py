"""Who may manage harvest sources: administrators, and the coordinators of the source's hub."""

from __future__ import annotations

from typing import Any

from plek.atlas.permissions import Viewer, is_coordinator


def can_create(viewer: Viewer, hub_id: int | None) -> bool:
    if viewer.is_admin:
        return True
    return hub_id is not None and hub_id in viewer.coordinator_hub_ids


def can_manage(viewer: Viewer, source: Any) -> bool:
    return can_create(viewer, source.owner_hub_id)


def can_import(viewer: Viewer) -> bool:
    """Coordinators of a hub and administrators import knowledge and keep harvest sources."""
    return is_coordinator(viewer)


def can_see_import_job(viewer: Viewer, job: Any) -> bool:
    """An import job is seen by the user who started it (while they may import) and administrators."""
    return can_import(viewer) and (viewer.is_admin or job.user_id == viewer.user_id)
