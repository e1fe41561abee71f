"""Who may see and change what in the Atlas. Pure predicates plus the query filters that
apply the same rules inside the database; pages, API and commands all call these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model, Q

from plek.core.models import Visibility


@dataclass(frozen=True)
class Viewer:
    """The requesting user with their hub roles, resolved once per request."""

    user: Any = None
    is_authenticated: bool = False
    is_admin: bool = False
    hub_ids: frozenset[int] = field(default_factory=frozenset)
    coordinator_hub_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def user_id(self) -> int | None:
        return getattr(self.user, "pk", None) if self.is_authenticated else None

    @property
    def is_member(self) -> bool:
        return bool(self.hub_ids)


ANONYMOUS = Viewer()


def viewer_for(user: Any) -> Viewer:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    cached = getattr(user, "_plek_viewer", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    from plek.atlas.models import HubMembership

    rows = list(HubMembership.objects.filter(user=user).values_list("hub_id", "role"))
    viewer = Viewer(
        user=user,
        is_authenticated=True,
        is_admin=bool(user.is_superuser),
        hub_ids=frozenset(h for h, _ in rows),
        coordinator_hub_ids=frozenset(h for h, r in rows if r == HubMembership.Role.COORDINATOR),
    )
    user._plek_viewer = viewer
    return viewer


# ---- visibility -------------------------------------------------------------------------------


def level_visible(viewer: Viewer, level: str, *, hub_id: int | None, owner_user_id: int | None) -> bool:
    """Whether something at visibility `level`, owned by hub `hub_id` and user `owner_user_id`, shows."""
    if viewer.is_admin or level == Visibility.PUBLIC:
        return True
    if not viewer.is_authenticated:
        return False
    if owner_user_id is not None and owner_user_id == viewer.user_id:
        return True
    if level == Visibility.MEMBERS:
        return True
    if level == Visibility.HUB:
        return hub_id is not None and hub_id in viewer.hub_ids
    return False


def level_q(viewer: Viewer, field_name: str, *, prefix: str = "", owner_field: str = "created_by") -> Q:
    """The database filter equivalent of `level_visible` for a visibility column."""
    if viewer.is_admin:
        return Q()
    q = Q(**{f"{prefix}{field_name}": Visibility.PUBLIC})
    if not viewer.is_authenticated:
        return q
    q |= Q(**{f"{prefix}{field_name}": Visibility.MEMBERS})
    if viewer.hub_ids:
        q |= Q(
            **{f"{prefix}{field_name}": Visibility.HUB, f"{prefix}owner_hub_id__in": sorted(viewer.hub_ids)}
        )
    q |= Q(**{f"{prefix}{owner_field}_id": viewer.user_id})
    return q


_SHARED_LEVELS = (Visibility.PUBLIC, Visibility.MEMBERS)
# The levels `level_split` leaves to each viewer: a split of a wider rule (a question's asker, a
# trajectory's participants) adds its own grants on rows at these levels to the extra part.
NARROW_LEVELS = (Visibility.HUB, Visibility.PRIVATE)
_NARROW_LEVELS = NARROW_LEVELS


def level_split(
    viewer: Viewer, field_name: str, *, prefix: str = "", owner_field: str = "created_by"
) -> tuple[Q, Q] | None:
    """`level_q` for a signed-in viewer who is not an administrator, as two disjoint parts whose union
    it is: what every signed-in person sees (public and members-only rows — the same for all, so a
    count or a ranking over them can be computed once and shared) and what this viewer sees beyond
    that (hub-only rows of their hubs, their own hub-only and private rows). Written with positive
    conditions only, so the database can find the second part through the owner indexes. None for
    anonymous visitors and administrators: there is nothing to split."""
    if viewer.is_admin or not viewer.is_authenticated:
        return None
    level = f"{prefix}{field_name}"
    # "not hub-only or private" rather than "public or members" (the same for the four levels): an IN
    # on the level lets SQLite drive a join of link rows from the entity's level index — nearly every
    # row — instead of from the links of the region (a province's knowledge: 216 ms instead of 14).
    shared = ~Q(**{f"{level}__in": list(_NARROW_LEVELS)})
    extra = Q(**{f"{prefix}{owner_field}_id": viewer.user_id, f"{level}__in": list(_NARROW_LEVELS)})
    if viewer.hub_ids:
        extra |= Q(**{level: Visibility.HUB, f"{prefix}owner_hub_id__in": sorted(viewer.hub_ids)})
    return shared, extra


def visible_split(viewer: Viewer, *, prefix: str = "") -> tuple[Q, Q] | None:
    """`visible_q` split as `level_split` does."""
    return level_split(viewer, "visibility", prefix=prefix)


def person_group_split(viewer: Viewer, group: str, *, prefix: str = "") -> tuple[Q, Q] | None:
    """`person_group_q` split as `level_split` does. Both levels must allow a person: with each level
    split into shared S and extra E (and L = S | E), L1 & L2 minus S1 & S2 is (E1 & L2) | (S1 & E2)."""
    first = level_split(viewer, f"{group}_visibility", prefix=prefix, owner_field="account")
    second = visible_split(viewer, prefix=prefix)
    if first is None or second is None:
        return None
    (s1, e1), (s2, e2) = first, second
    # Every extra row is the viewer's own or their hubs': said first (it follows from the rest), so
    # the database finds the few candidates through the owner indexes instead of testing every person.
    owned = Q(**{f"{prefix}account_id": viewer.user_id}) | Q(**{f"{prefix}created_by_id": viewer.user_id})
    if viewer.hub_ids:
        owned |= Q(**{f"{prefix}owner_hub_id__in": sorted(viewer.hub_ids)})
    return s1 & s2, owned & ((e1 & (s2 | e2)) | (s1 & e2))


def visible_q(viewer: Viewer, *, prefix: str = "") -> Q:
    """Filter for OwnedModel rows (organisations, networks, people, relations)."""
    return level_q(viewer, "visibility", prefix=prefix)


def can_view(viewer: Viewer, obj: Model) -> bool:
    if not hasattr(obj, "visibility"):
        return True
    if viewer.is_authenticated and getattr(obj, "account_id", None) == viewer.user_id:
        return True  # one's own knowledge-holder profile, with or without consent
    return level_visible(
        viewer,
        obj.visibility,
        hub_id=getattr(obj, "owner_hub_id", None),
        owner_user_id=getattr(obj, "created_by_id", None),
    )


# ---- people's field groups -----------------------------------------------------------------------


def person_group_visible(viewer: Viewer, person: Any, group: str) -> bool:
    if viewer.is_authenticated and person.account_id == viewer.user_id:
        return True
    return level_visible(
        viewer, getattr(person, f"{group}_visibility"), hub_id=person.owner_hub_id, owner_user_id=None
    )


def person_group_q(viewer: Viewer, group: str, *, prefix: str = "") -> Q:
    """People whose field group `group` the viewer may see (use it when filtering on that group)."""
    return level_q(viewer, f"{group}_visibility", prefix=prefix, owner_field="account") & visible_q(
        viewer, prefix=prefix
    )


# ---- changes ------------------------------------------------------------------------------------
# Reference data (regions, themes, programmes) is kept by platform administrators. Hubs are
# created by administrators and edited by their coordinators. Organisations, people, networks and
# relations are written by hub members; their author and the owning hub's coordinators edit them;
# deleting is for the owning hub's coordinators and administrators.

REFERENCE_KINDS = {"region", "theme", "programme"}
MEMBER_KINDS = {"organisation", "person", "network", "relation"}


def can_create(viewer: Viewer, kind: str) -> bool:
    if viewer.is_admin:
        return True
    if kind in MEMBER_KINDS:
        return viewer.is_member
    return False


def is_coordinator(viewer: Viewer) -> bool:
    """Administrators and the coordinators of any hub (the base of several "coordinators only" rules)."""
    return viewer.is_admin or bool(viewer.coordinator_hub_ids)


def works_in_hub(viewer: Viewer, hub: Any) -> bool:
    """Members of the hub (coordinators included) and administrators: they see its working pages,
    such as the questions dashboard."""
    return viewer.is_admin or (viewer.is_authenticated and hub.pk in viewer.hub_ids)


def can_create_custom_area(viewer: Viewer) -> bool:
    """Coordinators of a hub (and administrators) compose their own areas from municipalities."""
    return is_coordinator(viewer)


def can_see_missing_consent(viewer: Viewer) -> bool:
    """Coordinators see their hubs' profiles without consent; administrators all of them."""
    return is_coordinator(viewer)


def _coordinates(viewer: Viewer, obj: Any) -> bool:
    hub_id = getattr(obj, "owner_hub_id", None)
    return hub_id is not None and hub_id in viewer.coordinator_hub_ids


def can_change(viewer: Viewer, obj: Any, kind: str) -> bool:
    if viewer.is_admin:
        return True
    if not viewer.is_authenticated:
        return False
    if kind == "hub":
        return obj.pk in viewer.coordinator_hub_ids
    if kind in MEMBER_KINDS:
        if kind == "person" and obj.account_id == viewer.user_id:
            return True
        if not can_view(viewer, obj):
            return False
        return (viewer.is_member and obj.created_by_id == viewer.user_id) or _coordinates(viewer, obj)
    return False


def can_delete(viewer: Viewer, obj: Any, kind: str) -> bool:
    if viewer.is_admin:
        return True
    if kind == "person" and viewer.is_authenticated and obj.account_id == viewer.user_id:
        return True  # anyone may erase their own profile
    if kind in MEMBER_KINDS:
        return _coordinates(viewer, obj)
    return False


def can_record_consent(viewer: Viewer, person: Any) -> bool:
    """Who records a knowledge holder's consent on their behalf (the coordinator's consent form):
    administrators, and the coordinators of the hub that owns the profile, whether or not they may
    see it yet (a profile without consent is private). People record their own on their own page."""
    if viewer.is_admin:
        return True
    if not viewer.is_authenticated:
        return False
    return person.account_id != viewer.user_id and _coordinates(viewer, person)


def can_export_person_data(viewer: Viewer, person: Any) -> bool:
    """Everything PLeK holds about a person is downloaded by that person and administrators."""
    return viewer.is_admin or (viewer.is_authenticated and person.account_id == viewer.user_id)


def can_see_history(viewer: Viewer, obj: Any, kind: str) -> bool:
    if viewer.is_admin:
        return True
    if kind == "hub":
        return obj.pk in viewer.coordinator_hub_ids
    return bool(viewer.coordinator_hub_ids) and (
        getattr(obj, "owner_hub_id", None) in viewer.coordinator_hub_ids or kind in REFERENCE_KINDS
    )


# ---- accounts ------------------------------------------------------------------------------------


def needs_second_factor(viewer: Viewer) -> bool:
    """Administrators, hub coordinators and the bodies' secretaries (and chairs) sign in with a
    second factor when PLEK_REQUIRE_MFA_FOR_STAFF is on."""
    if not viewer.is_authenticated:
        return False
    if viewer.is_admin or viewer.coordinator_hub_ids:
        return True
    from plek.accounts.models import BodyMembership

    R = BodyMembership.Role
    return BodyMembership.objects.filter(user=viewer.user, role__in=[R.SECRETARY, R.CHAIR]).exists()


def body_secretary_of(viewer: Viewer) -> frozenset[str]:
    """The bodies (Initiative group, Steering group) this viewer is the secretary of."""
    if not viewer.is_authenticated:
        return frozenset()
    from plek.accounts.models import BodyMembership

    return frozenset(
        BodyMembership.objects.filter(user=viewer.user, role=BodyMembership.Role.SECRETARY).values_list(
            "body", flat=True
        )
    )


def can_invite(viewer: Viewer, role: str, *, hub_id: int | None = None, body: str = "") -> bool:
    """Coordinators invite members and experts to their hub; secretaries invite members of their
    body; administrators invite anyone, and are the only ones who invite coordinators."""
    if not viewer.is_authenticated:
        return False
    if viewer.is_admin:
        return True
    if role in ("hub_member", "hub_expert"):
        return hub_id is not None and hub_id in viewer.coordinator_hub_ids
    if role == "body_member":
        return bool(body) and body in body_secretary_of(viewer)
    return False


def may_invite_anyone(viewer: Viewer) -> bool:
    return is_coordinator(viewer) or bool(body_secretary_of(viewer))


def invitation_bodies(viewer: Viewer) -> frozenset[str]:
    """The bodies the viewer may invite members of: all for administrators, else those they are the
    secretary of."""
    from plek.accounts.models import BodyMembership

    return frozenset(BodyMembership.Body.values) if viewer.is_admin else body_secretary_of(viewer)


def may_offer_invitation_role(viewer: Viewer, role: str, *, bodies: bool) -> bool:
    """Whether the invitation form offers this role (`can_invite` still checks the hub or body
    chosen): administrators every role, coordinators hub members and experts, secretaries body
    members."""
    if viewer.is_admin:
        return True
    if role in ("hub_member", "hub_expert"):
        return bool(viewer.coordinator_hub_ids)
    return role == "body_member" and bodies
