"""Who may see a question and move it along. Pure predicates plus the query filter that applies the
same rule inside the database.

A question follows the Atlas visibility rules (public, platform members, members of the handling hub,
private) and, whatever its visibility, is always visible to those it concerns: the asker, the
coordinators of the hub that handles it, the assigned broker and administrators. So "private" means:
the asker and the people handling the question."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from plek.atlas.permissions import (
    NARROW_LEVELS,
    Viewer,
    is_coordinator,
    level_visible,
    visible_q,
    visible_split,
    works_in_hub,
)
from plek.brokering import transitions


def programme_ids(viewer: Viewer) -> frozenset[int]:
    """The national programmes the viewer is a broker of (one query, remembered for the request)."""
    if not viewer.is_authenticated:
        return frozenset()
    user = viewer.user
    cached = getattr(user, "_plek_programme_ids", None)
    if cached is None:
        cached = frozenset(_brokerships(viewer.user_id).values_list("programme_id", flat=True))
        user._plek_programme_ids = cached
    return cached  # type: ignore[no-any-return]


def _brokerships(user_id: int | None) -> QuerySet[Any]:
    from plek.brokering.models import ProgrammeBroker

    return ProgrammeBroker.objects.filter(user_id=user_id or 0)


def question_roles(viewer: Viewer, question: Any) -> frozenset[str]:
    """The viewer's roles on this question (empty for anonymous visitors and bystanders)."""
    roles: set[str] = set()
    if viewer.is_admin:
        roles.add(transitions.ADMIN)
    if not viewer.is_authenticated:
        return frozenset(roles)
    if question.asker_id is not None and question.asker_id == viewer.user_id:
        roles.add(transitions.ASKER)
    if question.broker_id is not None and question.broker_id == viewer.user_id:
        roles.add(transitions.BROKER)
    if question.owner_hub_id is not None and question.owner_hub_id in viewer.coordinator_hub_ids:
        roles.add(transitions.COORDINATOR)
    programme_id = getattr(question, "referred_to_programme_id", None)
    if programme_id is not None and programme_id in programme_ids(viewer):
        roles.add(transitions.PROGRAMME)
    return frozenset(roles)


def question_visible(viewer: Viewer, question: Any) -> bool:
    if question_roles(viewer, question):
        return True
    return level_visible(
        viewer, question.visibility, hub_id=question.owner_hub_id, owner_user_id=question.created_by_id
    )


def question_q(viewer: Viewer, *, prefix: str = "") -> Q:
    """The database filter equivalent of `question_visible`."""
    if viewer.is_admin:
        return Q()
    q = visible_q(viewer, prefix=prefix)
    if not viewer.is_authenticated:
        return q
    q |= Q(**{f"{prefix}asker_id": viewer.user_id}) | Q(**{f"{prefix}broker_id": viewer.user_id})
    q |= _programme_q(viewer, prefix=prefix)
    if viewer.coordinator_hub_ids:
        q |= Q(**{f"{prefix}owner_hub_id__in": sorted(viewer.coordinator_hub_ids)})
    return q


def question_split(viewer: Viewer, *, prefix: str = "") -> tuple[Q, Q] | None:
    """`question_q` for a signed-in viewer who is not an administrator, as two disjoint parts
    (`plek.atlas.permissions.level_split`): what every signed-in person sees (public and
    members-only questions) and what this viewer sees beyond it — hub-only questions of their hubs,
    and hub-only or private questions they asked, broker, handle for a programme or coordinate.
    None for anonymous visitors and administrators."""
    parts = visible_split(viewer, prefix=prefix)
    if parts is None:
        return None
    shared, extra = parts
    roles = Q(**{f"{prefix}asker_id": viewer.user_id}) | Q(**{f"{prefix}broker_id": viewer.user_id})
    roles |= _programme_q(viewer, prefix=prefix)
    if viewer.coordinator_hub_ids:
        roles |= Q(**{f"{prefix}owner_hub_id__in": sorted(viewer.coordinator_hub_ids)})
    return shared, extra | (roles & Q(**{f"{prefix}visibility__in": list(NARROW_LEVELS)}))


def handled_q(viewer: Viewer) -> Q | None:
    """Questions the viewer works on (a broker queue): None when there are none."""
    if viewer.is_admin:
        return Q()
    if not viewer.is_authenticated:
        return None
    q = Q(broker_id=viewer.user_id) | _programme_q(viewer)
    if viewer.coordinator_hub_ids:
        q |= Q(owner_hub_id__in=sorted(viewer.coordinator_hub_ids))
    return q


def _programme_q(viewer: Viewer, *, prefix: str = "") -> Q:
    """Questions referred to a programme the viewer brokers for (a subquery: no extra query)."""
    return Q(**{f"{prefix}referred_to_programme_id__in": _brokerships(viewer.user_id).values("programme_id")})


def can_submit(viewer: Viewer) -> bool:
    """Anyone signed in may ask a question; no hub membership needed."""
    return viewer.is_authenticated


def can_transition(viewer: Viewer, question: Any, to_state: str) -> bool:
    allowed = transitions.allowed_roles(question.state, to_state)
    return allowed is not None and bool(question_roles(viewer, question) & allowed)


def transitions_for(viewer: Viewer, question: Any) -> list[str]:
    """The steps this viewer may take now (what a page offers as buttons)."""
    roles = question_roles(viewer, question)
    return [
        dst for dst, allowed in transitions.TRANSITIONS.get(question.state, {}).items() if roles & allowed
    ]


def may_ask_for_programme(viewer: Viewer) -> bool:
    """Coordinators of a hub (and administrators) register questions of a national programme."""
    return is_coordinator(viewer)


def brokers_for_programme(viewer: Viewer, programme: Any) -> bool:
    """The programme's brokers and administrators (its inbox)."""
    return viewer.is_admin or programme.pk in programme_ids(viewer)


def may_use_queue(viewer: Viewer) -> bool:
    """Brokers and coordinators: admins, coordinators of a hub, or anyone assigned a question."""
    if is_coordinator(viewer):
        return True
    from plek.brokering.models import Question

    return viewer.is_authenticated and Question.objects.filter(broker_id=viewer.user_id).exists()


# ---- dashboards ---------------------------------------------------------------------------------------


def can_see_hub_dashboard(viewer: Viewer, hub: Any) -> bool:
    """The hub's members (coordinators included) and administrators."""
    return works_in_hub(viewer, hub)


def can_see_national_dashboard(viewer: Viewer) -> bool:
    """Everyone signed in (platform members); what they count depends on what they may see."""
    return viewer.is_authenticated


def can_run_overlap(viewer: Viewer) -> bool:
    """Coordinators of any hub and administrators may start the overlap job by hand (page and API)."""
    return is_coordinator(viewer)
