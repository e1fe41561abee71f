"""Who may see and change a learning trajectory and what hangs off it. Pure predicates plus the
query filters that apply the same rules inside the database.

A trajectory follows the Atlas visibility levels (public, platform members, members of the owning
hub, private) and is always visible to its own members: the facilitator, participants with an
account, its author, and the coordinators of the owning hub. "Private" therefore means: the
trajectory's members. Everything inside a trajectory (agenda, sessions, timeline, quotes) has the
trajectory's visibility; a lesson is visible when both the lesson and its trajectory are.

Changes: the trajectory itself (title, participants, visibility) is managed by its facilitator,
its author, the owning hub's coordinators and administrators; its members also keep the agenda,
sessions and timeline. Deleting is for the owning hub's coordinators and administrators."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from plek.atlas.permissions import NARROW_LEVELS, Viewer, level_visible, visible_q, visible_split
from plek.core.models import Visibility

ADMIN, COORDINATOR, FACILITATOR, AUTHOR, PARTICIPANT = (
    "admin",
    "coordinator",
    "facilitator",
    "author",
    "participant",
)
MANAGERS = frozenset({ADMIN, COORDINATOR, FACILITATOR, AUTHOR})


def participant_user_ids(trajectory: Any) -> set[int]:
    """User ids of participants with an account (uses the prefetch when there is one)."""
    cache = getattr(trajectory, "_participant_user_ids", None)
    if cache is None:
        cache = {p.user_id for p in trajectory.participants.all() if p.user_id is not None}
        trajectory._participant_user_ids = cache
    return cache  # type: ignore[no-any-return]


def trajectory_roles(viewer: Viewer, trajectory: Any) -> frozenset[str]:
    roles: set[str] = set()
    if viewer.is_admin:
        roles.add(ADMIN)
    if not viewer.is_authenticated:
        return frozenset(roles)
    uid = viewer.user_id
    if trajectory.owner_hub_id is not None and trajectory.owner_hub_id in viewer.coordinator_hub_ids:
        roles.add(COORDINATOR)
    if trajectory.facilitator_id is not None and trajectory.facilitator_id == uid:
        roles.add(FACILITATOR)
    if trajectory.created_by_id is not None and trajectory.created_by_id == uid:
        roles.add(AUTHOR)
    if trajectory.pk is not None and uid in participant_user_ids(trajectory):
        roles.add(PARTICIPANT)
    return frozenset(roles)


def can_view(viewer: Viewer, trajectory: Any) -> bool:
    if trajectory_roles(viewer, trajectory):
        return True
    return level_visible(
        viewer, trajectory.visibility, hub_id=trajectory.owner_hub_id, owner_user_id=trajectory.created_by_id
    )


def roles_q(viewer: Viewer, *, prefix: str = "") -> Q:
    """Trajectories where the viewer has a role (author, facilitator, participant, coordinator)."""
    if viewer.is_admin:
        return Q()
    if not viewer.is_authenticated:
        return Q(pk__in=[])
    uid = viewer.user_id
    q = Q(**{f"{prefix}created_by_id": uid}) | Q(**{f"{prefix}facilitator_id": uid})
    q |= Q(**{f"{prefix}pk__in": _member_subquery(uid)})
    if viewer.coordinator_hub_ids:
        q |= Q(**{f"{prefix}owner_hub_id__in": sorted(viewer.coordinator_hub_ids)})
    return q


def trajectory_q(viewer: Viewer, *, prefix: str = "") -> Q:
    """The database filter equivalent of `can_view` (`prefix` e.g. "trajectory__")."""
    if viewer.is_admin:
        return Q()
    q = visible_q(viewer, prefix=prefix)
    if not viewer.is_authenticated:
        return q
    return q | roles_q(viewer, prefix=prefix)


def _member_subquery(user_id: int | None) -> Any:
    from plek.learning.models import Participant

    return Participant.objects.filter(user_id=user_id or 0).values("trajectory_id")


def can_create(viewer: Viewer) -> bool:
    """Hub members start trajectories (for their hub); administrators too."""
    return viewer.is_admin or viewer.is_member


def can_manage(viewer: Viewer, trajectory: Any) -> bool:
    """Change the trajectory itself: its facts, participants and visibility."""
    return bool(trajectory_roles(viewer, trajectory) & MANAGERS)


def can_contribute(viewer: Viewer, trajectory: Any) -> bool:
    """Keep the agenda, sessions, timeline and lessons: managers and participants."""
    return bool(trajectory_roles(viewer, trajectory))


def can_delete(viewer: Viewer, trajectory: Any) -> bool:
    return bool(trajectory_roles(viewer, trajectory) & {ADMIN, COORDINATOR})


# ---- lessons ----------------------------------------------------------------------------------------


def lesson_visible(viewer: Viewer, lesson: Any) -> bool:
    if lesson.trajectory_id is not None and not can_view(viewer, lesson.trajectory):
        return False
    if lesson.trajectory_id is not None and trajectory_roles(viewer, lesson.trajectory):
        return True
    return level_visible(
        viewer, lesson.visibility, hub_id=lesson.owner_hub_id, owner_user_id=lesson.created_by_id
    )


_SHARED = (Visibility.PUBLIC, Visibility.MEMBERS)


def trajectory_split(viewer: Viewer, *, prefix: str = "") -> tuple[Q, Q] | None:
    """`trajectory_q` as two disjoint parts (`plek.atlas.permissions.level_split`): public and
    members-only trajectories, which every signed-in person sees, and what this viewer sees beyond
    them — hub-only ones of their hubs, and hub-only or private ones they have a role in. None for
    anonymous visitors and administrators."""
    parts = visible_split(viewer, prefix=prefix)
    if parts is None:
        return None
    shared, extra = parts
    narrow = Q(**{f"{prefix}visibility__in": list(NARROW_LEVELS)})
    return shared, extra | (narrow & roles_q(viewer, prefix=prefix))


def lesson_q(viewer: Viewer, *, prefix: str = "") -> Q:
    """The database filter equivalent of `lesson_visible` (`prefix` e.g. "lesson__")."""
    if viewer.is_admin:
        return Q()
    trajectory = f"{prefix}trajectory__"
    in_visible_trajectory = Q(**{f"{trajectory}isnull": True}) | trajectory_q(viewer, prefix=trajectory)
    own = visible_q(viewer, prefix=prefix)
    if viewer.is_authenticated:
        own |= Q(**{f"{trajectory}isnull": False}) & roles_q(viewer, prefix=trajectory)
    return in_visible_trajectory & own


def lesson_split(viewer: Viewer, *, prefix: str = "") -> tuple[Q, Q] | None:
    """`lesson_q` as two disjoint parts (`plek.atlas.permissions.level_split`): lessons every
    signed-in person sees (public or members-only, outside a trajectory or in a public or members-only
    one) and the rest of what this viewer may see — lessons at a narrow level, or in a trajectory at
    one. None for anonymous visitors and administrators."""
    if viewer.is_admin or not viewer.is_authenticated:
        return None
    trajectory = f"{prefix}trajectory__"
    shared_level = ~Q(**{f"{prefix}visibility__in": list(NARROW_LEVELS)})
    shared = shared_level & (
        Q(**{f"{trajectory}isnull": True}) | Q(**{f"{trajectory}visibility__in": list(_SHARED)})
    )
    narrow = Q(**{f"{prefix}visibility__in": list(NARROW_LEVELS)}) | (
        Q(**{f"{trajectory}isnull": False}) & Q(**{f"{trajectory}visibility__in": list(NARROW_LEVELS)})
    )
    return shared, lesson_q(viewer, prefix=prefix) & narrow


def can_create_lesson(viewer: Viewer) -> bool:
    """Hub members (and administrators) write a lesson of their own, outside a trajectory."""
    return viewer.is_admin or viewer.is_member


def can_change_lesson(viewer: Viewer, lesson: Any) -> bool:
    if viewer.is_admin:
        return True
    if lesson.trajectory_id is not None:
        return can_contribute(viewer, lesson.trajectory)
    if not viewer.is_authenticated:
        return False
    coordinates = lesson.owner_hub_id is not None and lesson.owner_hub_id in viewer.coordinator_hub_ids
    return coordinates or lesson.created_by_id == viewer.user_id


def can_publish_lesson(viewer: Viewer, lesson: Any) -> bool:
    """Publishing writes a knowledge item: the knowledge rules (hub members) apply as well."""
    return can_change_lesson(viewer, lesson) and (viewer.is_admin or viewer.is_member)
