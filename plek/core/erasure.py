"""The erasure log (GDPR art. 17): which personal records were erased, kept OUTSIDE the backed-up
data (settings.PLEK_ERASURE_LOG, a JSON-lines file), so that `plek restore` of an older backup
erases them again and never brings an erased person back.

An entry names only the model and the primary key — no personal data. It is written after the
erasing transaction commits (an erasure that rolled back is not logged)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from plek.core.models import ChangeLog


def erasure_log_path() -> Path:
    return Path(getattr(settings, "PLEK_ERASURE_LOG", "") or Path(settings.VAR_DIR) / "erasure-log.jsonl")


def _append(entry: dict[str, Any]) -> None:
    path = erasure_log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(entry, sort_keys=True) + "\n"
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def erasure_record(model_label: str, pk: int) -> None:
    """Log that the record `model_label` (e.g. "atlas.person") #pk was erased, once the current
    transaction commits."""
    entry = {"model": model_label.lower(), "pk": int(pk), "at": timezone.now().isoformat()}
    transaction.on_commit(lambda: _append(entry))


def erasure_entries() -> list[dict[str, Any]]:
    path = erasure_log_path()
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entries.append(json.loads(line))
    return entries


def _erase_generic(model_label: str, pk: int) -> bool:
    """Erase again the way the services do: the history keeps that a record existed, none of its
    personal data; the record itself goes."""
    model = apps.get_model(model_label)
    found = model._default_manager.filter(pk=pk).exists()
    ChangeLog.objects.filter(content_type=ContentType.objects.get_for_model(model), object_id=pk).update(
        object_repr=f"[gewist] #{pk}", changes={}
    )
    if found:
        model._default_manager.filter(pk=pk).delete()
    return found


def erasures_reapply() -> dict[str, int]:
    """Re-apply every logged erasure (idempotent). Models can name their own way of erasing in
    settings.PLEK_ERASURE_HANDLERS = {"app.model": "dotted.path(pk) -> bool"}."""
    handlers: dict[str, str] = getattr(settings, "PLEK_ERASURE_HANDLERS", {})
    erased = 0
    entries = erasure_entries()
    with transaction.atomic():
        for entry in entries:
            label, pk = entry["model"], int(entry["pk"])
            handler: Callable[[int], bool] | None = (
                import_string(handlers[label]) if label in handlers else None
            )
            if handler is not None:
                erased += bool(handler(pk))
            else:
                erased += _erase_generic(label, pk)
    return {"entries": len(entries), "erased_again": erased}
