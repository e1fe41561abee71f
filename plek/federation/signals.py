"""Persistent deleted records for the OAI-PMH provider.

An item the provider exposed (public, not withdrawn) that is deleted, made less visible or
withdrawn leaves an `OaiTombstone`, so harvesters learn of it on their next incremental run; an
item that becomes public again loses its tombstone. Only items that *were* public get one: a
private item never appears, not even as deleted."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save, pre_delete, pre_save
from django.dispatch import receiver
from django.utils import timezone

from plek.core.models import Visibility
from plek.federation.models import OaiTombstone
from plek.knowledge.models import KnowledgeItem


def exposed(visibility: str, withdrawn_at: Any) -> bool:
    return visibility == Visibility.PUBLIC and withdrawn_at is None


def set_text(sets: list[str]) -> str:
    return " " + " ".join(sets) + " "


def item_sets(item: KnowledgeItem) -> list[str]:
    sets = [f"kind:{item.kind}"]
    if item.owner_hub_id:
        hub = item.owner_hub
        if hub is not None:
            sets.append(f"hub:{hub.slug}")
    sets += [f"theme:{slug}" for slug in item.themes.values_list("slug", flat=True)]
    return sets


@receiver(pre_save, sender=KnowledgeItem)
def _remember_exposure(sender: Any, instance: KnowledgeItem, **kwargs: Any) -> None:
    instance._was_exposed = False  # type: ignore[attr-defined]
    if instance.pk and not exposed(instance.visibility, instance.withdrawn_at):
        old = KnowledgeItem.objects.filter(pk=instance.pk).values_list("visibility", "withdrawn_at").first()
        instance._was_exposed = bool(old and exposed(*old))  # type: ignore[attr-defined]


@receiver(post_save, sender=KnowledgeItem)
def _tombstone_on_save(sender: Any, instance: KnowledgeItem, created: bool, **kwargs: Any) -> None:
    if exposed(instance.visibility, instance.withdrawn_at):
        if not created:
            OaiTombstone.objects.filter(item_uuid=instance.uuid).delete()
    elif getattr(instance, "_was_exposed", False):
        OaiTombstone.objects.update_or_create(
            item_uuid=instance.uuid,
            defaults={"datestamp": timezone.now(), "set_specs": set_text(item_sets(instance))},
        )


@receiver(pre_delete, sender=KnowledgeItem)
def _tombstone_on_delete(sender: Any, instance: KnowledgeItem, **kwargs: Any) -> None:
    if exposed(instance.visibility, instance.withdrawn_at):
        OaiTombstone.objects.update_or_create(
            item_uuid=instance.uuid,
            defaults={"datestamp": timezone.now(), "set_specs": set_text(item_sets(instance))},
        )
