"""Who may do what in governance. Body roles come from accounts.BodyMembership (Initiative group,
Steering group; the Steering group's chair and secretary act for it)."""

from __future__ import annotations

from typing import Any

from plek.accounts.models import BodyMembership
from plek.atlas.permissions import Viewer
from plek.governance import transitions

B = BodyMembership.Body
R = BodyMembership.Role


def body_roles(viewer: Viewer) -> frozenset[str]:
    """The viewer's roles from body membership: initiative, steering, chair, admin (cached per user)."""
    if not viewer.is_authenticated:
        return frozenset()
    cached = getattr(viewer.user, "_plek_gov_roles", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    roles: set[str] = set()
    if viewer.is_admin:
        roles.add(transitions.ADMIN)
    for body, role in BodyMembership.objects.filter(user=viewer.user).values_list("body", "role"):
        if body == B.INITIATIVE:
            roles.add(transitions.INITIATIVE)
        elif body == B.STEERING:
            roles.add("steering")
            if role in (R.CHAIR, R.SECRETARY):
                roles.add(transitions.CHAIR)
    result = frozenset(roles)
    viewer.user._plek_gov_roles = result
    return result


def roles_for(viewer: Viewer, obj: Any = None) -> frozenset[str]:
    roles = set(body_roles(viewer))
    if obj is not None and viewer.is_authenticated and getattr(obj, "raised_by_id", None) == viewer.user_id:
        roles.add(transitions.RAISER)
    return frozenset(roles)


def is_body_member(viewer: Viewer) -> bool:
    """Members of either body (and administrators) see drafts and confidential content."""
    return bool(body_roles(viewer) & {transitions.INITIATIVE, "steering", transitions.ADMIN})


def is_initiative(viewer: Viewer) -> bool:
    return bool(body_roles(viewer) & {transitions.INITIATIVE, transitions.ADMIN})


def is_chair(viewer: Viewer) -> bool:
    return bool(body_roles(viewer) & {transitions.CHAIR, transitions.ADMIN})


def can_raise(viewer: Viewer) -> bool:
    return viewer.is_authenticated


def proposal_visible(viewer: Viewer, proposal: Any) -> bool:
    """Drafts are for the bodies and the author; everything else is public (confidential proposals
    then show only that a decision was taken, see `content_visible`)."""
    if proposal.state != "draft":
        return True
    return is_body_member(viewer) or (viewer.is_authenticated and proposal.author_id == viewer.user_id)


def content_visible(viewer: Viewer, confidential: bool) -> bool:
    return not confidential or is_body_member(viewer)


def steps_for(viewer: Viewer, workflow: str, obj: Any) -> list[str]:
    """The steps this viewer may take now (what a page offers as buttons)."""
    roles = roles_for(viewer, obj)
    table = transitions.TABLES[workflow]
    return [dst for dst, allowed in table.get(obj.state, {}).items() if roles & allowed]


def can_assess(viewer: Viewer, hub: Any) -> bool:
    """A hub's coordinators (and administrators) record its self-assessment."""
    return viewer.is_admin or (viewer.is_authenticated and hub.pk in viewer.coordinator_hub_ids)


def can_update_action(viewer: Viewer, action: Any) -> bool:
    """A follow-up action's progress is kept by its owner and by the chair or secretary."""
    return is_chair(viewer) or (viewer.is_authenticated and action.owner_id == viewer.user_id)
