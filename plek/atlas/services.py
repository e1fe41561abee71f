"""Writes to the Atlas. Every write is permission-checked here, atomic, and leaves a history row."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from plek.atlas import permissions
from plek.atlas.forms import FORMS
from plek.atlas.models import Hub, HubMembership, Invitation, Person, Region, RegionContainment
from plek.atlas.permissions import Viewer
from plek.core.erasure import erasure_record
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.freshness import REGIONS, topics_changed
from plek.core.history import diff, history_record, snapshot
from plek.core.models import ChangeLog, Scale, Visibility
from plek.core.outbox import search_outbox_add

# Kinds the search index holds; their writes leave an outbox row in the same transaction.
SEARCHABLE = {"person", "organisation", "network", "hub", "programme"}


def unique_slug(
    model: type[models.Model], text: str, *, exclude_pk: int | None = None, max_length: int = 110
) -> str:
    base = slugify(text)[:max_length].strip("-") or "item"
    candidate, n = base, 2
    qs = model._default_manager.all()
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    existing = set(qs.filter(slug__startswith=base).values_list("slug", flat=True))
    while candidate in existing:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _tracked_fields(form: forms.ModelForm) -> list[str]:
    model = form._meta.model
    names = [f for f in form._meta.fields or [] if f in {fld.name for fld in model._meta.get_fields()}]
    return names


def _errors(form: forms.BaseForm) -> dict[str, list[str]]:
    return {field: [str(e) for e in errs] for field, errs in form.errors.items()}


def entity_form(
    kind: str, *, viewer: Viewer, data: Any = None, instance: models.Model | None = None
) -> forms.ModelForm:
    return FORMS[kind](data=data, instance=instance, viewer=viewer)


@transaction.atomic
def entity_save(*, viewer: Viewer, kind: str, form: forms.ModelForm, source: str = "web") -> Any:
    """Create or update an Atlas entity from a bound form; raises PermissionDenied/ValidationFailed."""
    instance = form.instance
    creating = instance.pk is None
    if creating and not permissions.can_create(viewer, kind):
        raise PermissionDenied(kind)
    if not creating and not permissions.can_change(viewer, instance, kind):
        raise PermissionDenied(kind)
    if not form.is_valid():
        raise ValidationFailed(_errors(form))
    fields = _tracked_fields(form)
    before = {} if creating else snapshot(type(instance).objects.get(pk=instance.pk), fields)
    before_consent = (
        None
        if creating or kind != "person"
        else Person.objects.values_list("consent_at", "consent_basis", "consent_groups").get(pk=instance.pk)
    )
    obj = form.save(commit=False)
    if hasattr(obj, "slug") and not obj.slug:
        obj.slug = unique_slug(type(obj), getattr(obj, "name", "") or getattr(obj, "label_nl", ""))
    if creating and hasattr(obj, "created_by_id") and viewer.is_authenticated:
        obj.created_by = viewer.user
    if hasattr(obj, "owner_hub_id") and obj.owner_hub_id is None and len(viewer.hub_ids) == 1 and creating:
        obj.owner_hub_id = next(iter(viewer.hub_ids))
    if kind == "person":
        person_consent_apply(person=obj, viewer=viewer, before=before_consent)
    obj.save()
    form.save_m2m()
    if kind == "region" and "parents" in form.cleaned_data:
        region_set_parents(region=obj, parents=list(form.cleaned_data["parents"]))
    after = snapshot(obj, fields)
    if kind in SEARCHABLE:
        search_outbox_add(kind, obj.pk)
    history_record(
        instance=obj,
        action="create" if creating else "update",
        actor=viewer.user,
        changes=diff(before, after),
        source=source,
    )
    return obj


@transaction.atomic
def entity_delete(*, viewer: Viewer, kind: str, instance: models.Model, source: str = "web") -> None:
    if not permissions.can_delete(viewer, instance, kind):
        raise PermissionDenied(kind)
    if kind == "person":
        person_erase(person=instance, actor=viewer.user, source=source)
        return
    history_record(instance=instance, action="delete", actor=viewer.user, source=source)
    if kind in SEARCHABLE:
        search_outbox_add(kind, instance.pk, "delete")
    instance.delete()


def person_consent_apply(*, person: Any, viewer: Viewer, before: tuple[Any, ...] | None) -> None:
    """Consent as data, applied before a person is saved (web form, coordinator's form, API, import).

    The person's own page counts as consent ("self"); a basis without a date means "now"; whoever
    changed the consent is recorded. Without consent the profile is private whatever visibility
    was asked for (kept in `visibility_requested` until consent is given); groups outside the
    consent stay private."""
    from django.utils import timezone

    private = Visibility.PRIVATE
    if person.account_id and person.account_id == viewer.user_id and person.consent_at is None:
        person.consent_at, person.consent_basis = timezone.now(), Person.ConsentBasis.SELF
        person.consent_groups = []
    if person.consent_basis and person.consent_at is None:
        person.consent_at = timezone.now()
    now = (person.consent_at, person.consent_basis, person.consent_groups)
    if now != (before or (None, "", [])) and person.consent_at is not None:
        person.consent_recorded_by = viewer.user if viewer.is_authenticated and viewer.user else None
    if person.consent_at is None:
        if person.visibility != private:
            person.visibility_requested, person.visibility = person.visibility, private
        return
    if person.visibility_requested:
        if person.visibility == private:
            person.visibility = person.visibility_requested
        person.visibility_requested = ""
    for group in Person.FIELD_GROUPS:
        if person.consent_groups and group not in person.consent_groups:
            setattr(person, f"{group}_visibility", private)


CONSENT_BY_OTHERS = [
    Person.ConsentBasis.FORM,
    Person.ConsentBasis.EMAIL,
    Person.ConsentBasis.PAPER,
    Person.ConsentBasis.VERBAL,
]


@transaction.atomic
def person_consent_record(
    *,
    viewer: Viewer,
    person: Person,
    given_on: Any,
    basis: str,
    groups: list[str],
    source: str = "web",
) -> Person:
    """A coordinator (or administrator) records the consent a knowledge holder gave on a form, by
    e-mail, on paper or in conversation: when, how and for which field groups; who recorded it is
    kept. The profile then shows at the visibility that was asked for (see `person_consent_apply`)."""
    import datetime as dt

    from django.utils import timezone

    if not permissions.can_record_consent(viewer, person):
        raise PermissionDenied("person")
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if not isinstance(given_on, dt.date) or given_on > today:
        errors["given_on"] = [_("Geef de datum waarop de toestemming gegeven is; niet in de toekomst.")]
    if basis not in CONSENT_BY_OTHERS:
        errors["basis"] = [_("Kies hoe de toestemming gegeven is.")]
    unknown = [g for g in groups if g not in Person.FIELD_GROUPS]
    if unknown:
        errors["groups"] = [_("Onbekend onderdeel: %(g)s.") % {"g": ", ".join(unknown)}]
    if errors:
        raise ValidationFailed(errors)
    locked = Person.objects.select_for_update().get(pk=person.pk)
    before = (locked.consent_at, locked.consent_basis, locked.consent_groups)
    fields = ["visibility", *[f"{g}_visibility" for g in Person.FIELD_GROUPS], "consent_at", "consent_basis"]
    old = snapshot(locked, [*fields, "consent_groups"])
    moment = (
        timezone.now()
        if given_on == today
        else timezone.make_aware(dt.datetime.combine(given_on, dt.time(12, 0)))
    )
    locked.consent_at, locked.consent_basis = moment, basis
    locked.consent_groups = sorted(set(groups)) if set(groups) != set(Person.FIELD_GROUPS) else []
    person_consent_apply(person=locked, viewer=viewer, before=before)
    locked.save()
    history_record(
        instance=locked,
        action="update",
        actor=viewer.user,
        changes=diff(old, snapshot(locked, [*fields, "consent_groups"])),
        source=source,
    )
    search_outbox_add("person", locked.pk)
    return locked


@transaction.atomic
def person_erase(*, person: Any, actor: Any, source: str = "web") -> None:
    """Erase a knowledge-holder profile (AVG/GDPR art. 17): the search index forgets it, the
    history keeps that a profile existed and who erased it, but none of its personal data.
    Callers check permission (entity_delete, or the account's own erasure)."""
    history_record(instance=person, action="delete", actor=actor, source=source)
    search_outbox_add("person", person.pk, "delete")
    ChangeLog.objects.filter(
        content_type=ContentType.objects.get_for_model(Person), object_id=person.pk
    ).update(object_repr=f"[gewist] #{person.pk}", changes={})
    erasure_record("atlas.person", person.pk)  # so that a restore of an older backup erases again
    person.delete()


def region_set_parents(*, region: Region, parents: list[Region]) -> None:
    RegionContainment.objects.filter(child=region, kind=RegionContainment.Kind.CONTAINS).exclude(
        parent__in=parents
    ).delete()
    existing = set(RegionContainment.objects.filter(child=region).values_list("parent_id", flat=True))
    RegionContainment.objects.bulk_create(
        [RegionContainment(parent=p, child=region, source="PLeK") for p in parents if p.pk not in existing]
    )
    topics_changed("atlas", REGIONS)  # bulk_create sends no model signal


@transaction.atomic
def hub_membership_set(*, viewer: Viewer, hub: Hub, user: Any, role: str | None) -> HubMembership | None:
    """Add, change or (role=None) remove a member of a hub. Coordinators of the hub and admins only."""
    if not permissions.can_change(viewer, hub, "hub"):
        raise PermissionDenied("hub")
    existing = HubMembership.objects.select_for_update().filter(hub=hub, user=user).first()
    leaving_coordination = (
        existing is not None
        and existing.role == HubMembership.Role.COORDINATOR
        and role != HubMembership.Role.COORDINATOR
    )
    if existing is not None and leaving_coordination and not viewer.is_admin:
        others = HubMembership.objects.filter(hub=hub, role=HubMembership.Role.COORDINATOR).exclude(
            pk=existing.pk
        )
        if not others.exists():
            raise ValidationFailed({"role": [_("Een kennishub houdt minstens één coördinator.")]})
    if role is None:
        if existing:
            history_record(
                instance=hub, action="update", actor=viewer.user, changes={"member_removed": str(user)}
            )
            existing.delete()
        return None
    if role not in HubMembership.Role.values:
        raise ValidationFailed({"role": [f"unknown role {role}"]})
    membership, _created = HubMembership.objects.update_or_create(hub=hub, user=user, defaults={"role": role})
    history_record(
        instance=hub, action="update", actor=viewer.user, changes={"member": {"new": f"{user}: {role}"}}
    )
    return membership


def person_data_export(*, viewer: Viewer, person: Any) -> dict[str, Any]:
    """Everything PLeK holds about a person (AVG/GDPR access): for the person and administrators."""
    if not permissions.can_export_person_data(viewer, person):
        raise PermissionDenied("person")
    from plek.core.history import history_for

    fields = [name for names in Person.FIELD_GROUPS.values() for name in names]
    data: dict[str, Any] = snapshot(person, ["name", *fields, "visibility"])
    data.update(
        {
            "slug": person.slug,
            "consent_at": person.consent_at.isoformat() if person.consent_at else None,
            "visibility_per_group": {g: getattr(person, f"{g}_visibility") for g in Person.FIELD_GROUPS},
            "networks": sorted(str(link.network) for link in person.network_links.select_related("network")),
            "history": [
                {"at": e.at.isoformat(), "action": e.action, "changes": e.changes}
                for e in history_for(person, 500)
            ],
        }
    )
    return data


@transaction.atomic
def custom_area_create(
    *, viewer: Viewer, name: str, municipalities: list[Region], name_en: str = "", description: str = ""
) -> Region:
    """A coordinator's own area ("Gelderse Vallei") made of municipalities.

    It contains its municipalities; a province that holds all of them contains the area, provinces
    that hold only some of them overlap it, so the area's page and filters inherit across levels."""
    if not permissions.can_create_custom_area(viewer):
        raise PermissionDenied("region")
    name = " ".join(name.split())[:200]
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Geef het gebied een naam.")]
    elif Region.objects.filter(kind=Region.Kind.CUSTOM, name__iexact=name).exists():
        errors["name"] = [_("Er is al een eigen gebied met deze naam.")]
    if not municipalities:
        errors["municipalities"] = [_("Kies minstens één gemeente.")]
    elif any(m.kind != Region.Kind.MUNICIPALITY for m in municipalities):
        errors["municipalities"] = [_("Een eigen gebied bestaat uit gemeenten.")]
    if errors:
        raise ValidationFailed(errors)
    base = "EIGEN-" + (slugify(name).upper()[:30] or "GEBIED")
    code, n = base, 2
    while Region.objects.filter(code__iexact=code).exists():
        code, n = f"{base}-{n}", n + 1
    area = Region.objects.create(
        code=code,
        code_system=Region.CodeSystem.PLEK,
        code_verified=False,
        verification_note=_("Eigen gebied, samengesteld uit gemeenten."),
        name=name,
        name_en=" ".join(name_en.split())[:200],
        kind=Region.Kind.CUSTOM,
        scale=Scale.REGIONAL,
        description=description[:5000],
    )
    RegionContainment.objects.bulk_create(
        [RegionContainment(parent=area, child=m, source="PLeK") for m in municipalities]
    )
    province_links = RegionContainment.objects.filter(
        child__in=municipalities, parent__kind=Region.Kind.PROVINCE, kind=RegionContainment.Kind.CONTAINS
    ).values_list("parent_id", "child_id")
    held: dict[int, set[int]] = {}
    for province_id, child_id in province_links:
        held.setdefault(province_id, set()).add(child_id)
    RegionContainment.objects.bulk_create(
        [
            RegionContainment(
                parent_id=province_id,
                child=area,
                kind=RegionContainment.Kind.CONTAINS
                if len(children) == len(municipalities)
                else RegionContainment.Kind.OVERLAPS,
                source="PLeK",
            )
            for province_id, children in held.items()
        ]
    )
    history_record(
        instance=area,
        action="create",
        actor=viewer.user,
        changes={"municipalities": {"old": None, "new": sorted(m.code for m in municipalities)}},
    )
    return area


# ---- invitations ---------------------------------------------------------------------------------


class InvitationUnusable(Exception):
    """The link is unknown, used or expired (`reason` says which)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _invitation_hash(raw: str) -> str:
    import hashlib

    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *, viewer: Viewer, email: str, role: str, hub: Hub | None = None, body: str = "", base_url: str = ""
) -> tuple[Invitation, str]:
    """Invite someone to a role; e-mails the link (after commit). Returns the row and the secret."""
    import datetime as dt
    import secrets

    from django.conf import settings
    from django.core.mail import send_mail
    from django.core.validators import validate_email
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import timezone

    from plek.accounts.models import BodyMembership

    errors: dict[str, list[str]] = {}
    email = (email or "").strip()
    try:
        validate_email(email)
    except forms.ValidationError:
        errors["email"] = [_("Geef een geldig e-mailadres.")]
    if role not in Invitation.Role.values:
        errors["role"] = [_("Kies een rol.")]
    elif role in (Invitation.Role.BODY_MEMBER, Invitation.Role.BODY_SECRETARY):
        if body not in BodyMembership.Body.values:
            errors["body"] = [_("Kies het orgaan.")]
        hub = None
    else:
        body = ""
        if hub is None:
            errors["hub"] = [_("Kies de kennishub.")]
    if errors:
        raise ValidationFailed(errors)
    if not permissions.can_invite(viewer, role, hub_id=hub.pk if hub else None, body=body):
        raise PermissionDenied("invitation")
    raw = secrets.token_urlsafe(32)
    days = int(getattr(settings, "PLEK_INVITATION_DAYS", 14))
    invitation = Invitation.objects.create(
        email=email,
        role=role,
        hub=hub,
        body=body,
        token_hash=_invitation_hash(raw),
        created_by=viewer.user,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    history_record(instance=invitation, action="create", actor=viewer.user, changes={"role": role})
    base = (base_url or settings.SITE_URL).rstrip("/")
    link = base + reverse("atlas:invitation-accept", args=[raw])
    target = hub.name if hub else BodyMembership.Body(body).label
    text = render_to_string(
        "atlas/invitation_email.txt",
        {
            "link": link,
            "role": invitation.get_role_display(),
            "target": target,
            "inviter": str(viewer.user),
            "expires_at": invitation.expires_at,
        },
    )
    subject = _("Uitnodiging voor PLeK: %(role)s, %(target)s") % {
        "role": invitation.get_role_display(),
        "target": target,
    }
    transaction.on_commit(lambda: send_mail(subject, text, None, [email]))
    return invitation, raw


def invitation_lookup(raw: str, *, for_update: bool = False) -> Invitation:
    """The usable invitation for a link secret, or InvitationUnusable("unknown"|"used"|"expired")."""
    from django.utils import timezone

    rows = Invitation.objects.select_related("hub")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    invitation = rows.filter(token_hash=_invitation_hash(raw or "")).first()
    if invitation is None:
        raise InvitationUnusable("unknown")
    if invitation.accepted_at is not None:
        raise InvitationUnusable("used")
    if invitation.expires_at <= timezone.now():
        raise InvitationUnusable("expired")
    return invitation


@transaction.atomic
def invitation_accept(
    *, raw: str, user: Any = None, username: str = "", password: str = "", display_name: str = ""
) -> Any:
    """Take up an invitation: as the signed-in `user`, or by making an account with the invited
    address (the link proved it) and one's own password. Grants the named role; the link is spent."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model, password_validation
    from django.utils import timezone

    from plek.accounts.models import BodyMembership

    invitation = invitation_lookup(raw, for_update=True)
    User = get_user_model()
    if user is None:
        errors: dict[str, list[str]] = {}
        username = (username or "").strip()
        display_name = (display_name or "").strip()
        if not username or len(username) > 150:
            errors["username"] = [_("Kies een gebruikersnaam van hoogstens 150 tekens.")]
        elif User.objects.filter(username__iexact=username).exists():
            errors["username"] = [_("Deze gebruikersnaam is al in gebruik.")]
        if not display_name:
            errors["display_name"] = [_("Vul de naam in die anderen zien.")]
        if User.objects.filter(email__iexact=invitation.email).exists():
            errors["__all__"] = [
                _(
                    "Er is al een account met dit e-mailadres. Log in en open de link opnieuw om de uitnodiging aan te nemen."
                )
            ]
        candidate = User(username=username, email=invitation.email, display_name=display_name)
        try:
            password_validation.validate_password(password or "", candidate)
        except forms.ValidationError as exc:
            errors["password"] = list(exc.messages)
        if errors:
            raise ValidationFailed(errors)
        candidate.set_password(password)
        candidate.save()
        EmailAddress.objects.create(user=candidate, email=invitation.email, verified=True, primary=True)
        user = candidate
    R = Invitation.Role
    if invitation.role in (R.BODY_MEMBER, R.BODY_SECRETARY):
        body_role = (
            BodyMembership.Role.SECRETARY
            if invitation.role == R.BODY_SECRETARY
            else BodyMembership.Role.MEMBER
        )
        membership, created = BodyMembership.objects.get_or_create(
            user=user, body=invitation.body, defaults={"role": body_role}
        )
        if not created and body_role == BodyMembership.Role.SECRETARY and membership.role != body_role:
            membership.role = body_role
            membership.save(update_fields=["role"])
    else:
        hub = invitation.hub
        assert hub is not None  # nosec B101 # narrows the type for mypy; the caller checked it
        role = (
            HubMembership.Role.COORDINATOR
            if invitation.role == R.HUB_COORDINATOR
            else HubMembership.Role.MEMBER
        )
        existing = HubMembership.objects.filter(hub=hub, user=user).first()
        if existing is None:
            HubMembership.objects.create(hub=hub, user=user, role=role)
        elif role == HubMembership.Role.COORDINATOR and existing.role != role:
            existing.role = role
            existing.save(update_fields=["role"])
        history_record(
            instance=hub,
            action="update",
            actor=user,
            changes={"member": {"new": f"{user}: {invitation.role}"}},
        )
        if invitation.role == R.HUB_EXPERT and not Person.objects.filter(account=user).exists():
            # The expert's own profile: private until they give consent on their own page.
            Person.objects.create(
                slug=unique_slug(Person, str(user)),
                name=str(user),
                email=invitation.email,
                account=user,
                owner_hub=hub,
                created_by=user,
                visibility=Visibility.PRIVATE,
                visibility_requested=Visibility.MEMBERS,
            )
            search_outbox_add("person", Person.objects.get(account=user).pk)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    history_record(instance=invitation, action="update", actor=user, changes={"accepted": True})
    return user
