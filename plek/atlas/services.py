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
from plek.atlas.models import Hub, HubMembership, Person, Region, RegionContainment
from plek.atlas.permissions import Viewer
from plek.core.erasure import erasure_record
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.history import diff, history_record, snapshot
from plek.core.models import ChangeLog
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
    obj = form.save(commit=False)
    if hasattr(obj, "slug") and not obj.slug:
        obj.slug = unique_slug(type(obj), getattr(obj, "name", "") or getattr(obj, "label_nl", ""))
    if creating and hasattr(obj, "created_by_id") and viewer.is_authenticated:
        obj.created_by = viewer.user
    if hasattr(obj, "owner_hub_id") and obj.owner_hub_id is None and len(viewer.hub_ids) == 1 and creating:
        obj.owner_hub_id = next(iter(viewer.hub_ids))
    # Consent is recorded when a person is added here; imported people bring their own (or none).
    if kind == "person" and creating and obj.consent_at is None and source != "import":
        from django.utils import timezone

        obj.consent_at = timezone.now()
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
    history_record(instance=instance, action="delete", actor=viewer.user, source=source)
    if kind in SEARCHABLE:
        search_outbox_add(kind, instance.pk, "delete")
    if kind == "person":
        # Erasure (AVG/GDPR): the history keeps that a profile existed and who erased it, but none
        # of its personal data.
        ChangeLog.objects.filter(
            content_type=ContentType.objects.get_for_model(type(instance)), object_id=instance.pk
        ).update(object_repr=f"[gewist] #{instance.pk}", changes={})
        erasure_record("atlas.person", instance.pk)  # so that a restore of an older backup erases again
    instance.delete()


def region_set_parents(*, region: Region, parents: list[Region]) -> None:
    RegionContainment.objects.filter(child=region, kind=RegionContainment.Kind.CONTAINS).exclude(
        parent__in=parents
    ).delete()
    existing = set(RegionContainment.objects.filter(child=region).values_list("parent_id", flat=True))
    RegionContainment.objects.bulk_create(
        [RegionContainment(parent=p, child=region, source="PLeK") for p in parents if p.pk not in existing]
    )


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
    if not (viewer.is_admin or (viewer.is_authenticated and person.account_id == viewer.user_id)):
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
