"""Change history: services call `history_record` inside their transaction."""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Sequence
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from plek.core.freshness import topics_changed, topics_of
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


def snapshot(
    instance: models.Model, fields: list[str], related: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Values of the given fields (many-to-many as sorted lists of labels). `related` may give the
    objects of many-to-many fields already at hand (a bulk write), so they are not queried."""
    values: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            if related is not None and name in related:
                values[name] = sorted(str(o) for o in related[name])
            else:
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
    topics = topics_of(type(instance))
    if topics:
        topics_changed(*topics)  # also when the write itself sent no signal (QuerySet.update)
    return ChangeLog.objects.create(
        content_type=ContentType.objects.get_for_model(type(instance)),
        object_id=instance.pk,
        object_repr=str(instance)[:300],
        action=action,
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        changes=changes or {},
        source=source,
    )


def history_record_many(
    *,
    model: type[models.Model],
    rows: Sequence[tuple[models.Model, str, dict[str, Any]]],
    source: str = "web",
) -> None:
    """`history_record` for many instances of one model in one INSERT: (instance, action, changes)
    each, with no actor (bulk writes are made by the system: a harvest, an import)."""
    if not rows:
        return
    topics = topics_of(model)
    if topics:
        topics_changed(*topics)  # bulk_create sends no model signal
    content_type = ContentType.objects.get_for_model(model)
    ChangeLog.objects.bulk_create(
        [
            ChangeLog(
                content_type=content_type,
                object_id=instance.pk,
                object_repr=str(instance)[:300],
                action=action,
                changes=changes or {},
                source=source,
            )
            for instance, action, changes in rows
        ]
    )


def history_for(instance: models.Model, limit: int = 50) -> list[ChangeLog]:
    return list(
        ChangeLog.objects.filter(
            content_type=ContentType.objects.get_for_model(type(instance)), object_id=instance.pk
        ).select_related("actor")[:limit]
    )
