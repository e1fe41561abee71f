"""Change history: services call `history_record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from plek.core.freshness import topic_of, topics_changed
from plek.core.models import ChangeLog


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple | set):
        return sorted(_plain(v) for v in value)
    return value


def snapshot(instance: models.Model, fields: list[str]) -> dict[str, Any]:
    """Values of the given fields (many-to-many as sorted lists of labels)."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(str(o) for o in getattr(instance, name).all()) if instance.pk else []
        else:
            values[name] = _plain(getattr(instance, name))
    return values


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        key: {"old": before.get(key), "new": after.get(key)}
        for key in after
        if before.get(key) != after.get(key)
    }


def history_record(
    *,
    instance: models.Model,
    action: str,
    actor: Any = None,
    changes: dict[str, Any] | None = None,
    source: str = "web",
) -> ChangeLog:
    topic = topic_of(type(instance))
    if topic is not None:
        topics_changed(topic)  # also when the write itself sent no signal (QuerySet.update)
    return ChangeLog.objects.create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        object_repr=str(instance)[:300],
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        changes=changes or {},
        source=source,
    )


def history_for(instance: models.Model, limit: int = 50) -> list[ChangeLog]:
    return list(
        ChangeLog.objects.filter(
            content_type=ContentType.objects.get_for_model(type(instance)), object_id=instance.pk
        ).select_related("actor")[:limit]
    )
