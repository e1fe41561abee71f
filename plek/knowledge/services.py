"""Writes to the knowledge base: permission check, validation, change, version, history, outbox."""

from __future__ import annotations

import logging
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from plek.atlas.permissions import Viewer
from plek.atlas.services import unique_slug
from plek.core.errors import PermissionDenied, ValidationFailed
from plek.core.history import diff, history_record, snapshot
from plek.core.outbox import search_outbox_add
from plek.knowledge import embedruns, permissions
from plek.knowledge.attachments import AttachmentRefused, check_upload, extraction_limits
from plek.knowledge.extraction import extract_bounded
from plek.knowledge.forms import KnowledgeForm
from plek.knowledge.models import Attachment, EmbedRun, KnowledgeItem, KnowledgeVersion

logger = logging.getLogger(__name__)

# Every field the form edits is tracked in the history.
TRACKED = list(KnowledgeForm.Meta.fields)
# Fields a harvest may fill in; the ones edited here are then kept (see KnowledgeItem.local_fields).
HARVESTED_FIELDS = (
    "title",
    "kind",
    "summary",
    "body",
    "language",
    "date",
    "themes",
    "regions",
    "doi",
    "handle",
    "url",
    "licence",
    "visibility",
)


def knowledge_form(
    *, viewer: Viewer, data: Any = None, instance: KnowledgeItem | None = None
) -> KnowledgeForm:
    return KnowledgeForm(data=data, instance=instance, viewer=viewer)


@transaction.atomic
def knowledge_save(
    *, viewer: Viewer, form: KnowledgeForm, upload: UploadedFile | None = None, source: str = "web"
) -> KnowledgeItem:
    """Create or update an item (and optionally add one attachment) in one transaction."""
    instance = form.instance
    creating = instance.pk is None
    if creating and not permissions.can_create(viewer):
        raise PermissionDenied("knowledge")
    if not creating and not permissions.can_change(viewer, instance):
        raise PermissionDenied("knowledge")
    if not form.is_valid():
        raise ValidationFailed({f: [str(e) for e in errs] for f, errs in form.errors.items()})
    checked = None
    if upload is not None:
        try:
            checked = check_upload(upload)
        except AttachmentRefused as exc:
            raise ValidationFailed({"file": [str(exc)]}) from exc
    before = {} if creating else snapshot(KnowledgeItem.objects.get(pk=instance.pk), TRACKED)
    item: KnowledgeItem = form.save(commit=False)
    item.category = KnowledgeItem.CATEGORY_OF[item.kind]
    if creating:
        item.slug = unique_slug(KnowledgeItem, item.title)
        item.created_by = viewer.user if viewer.is_authenticated else None
        if item.owner_hub_id is None and len(viewer.hub_ids) == 1:
            item.owner_hub_id = next(iter(viewer.hub_ids))
    text_changed = creating or any(before.get(k) != getattr(item, k) for k in ("title", "summary", "body"))
    if text_changed and not creating:
        item.version += 1
    item.save()
    form.save_m2m()
    if text_changed:
        KnowledgeVersion.objects.create(
            item=item,
            version=item.version,
            title=item.title,
            summary=item.summary,
            body=item.body,
            changed_by=viewer.user if viewer.is_authenticated else None,
        )
    if checked is not None and upload is not None:
        meta, data = checked
        attachment = Attachment.objects.create(
            item=item,
            file=ContentFile(data, name=upload.name),
            original_name=(upload.name or "bijlage")[:255],
            content_type=meta.content_type,
            size=len(data),
            text=meta.text,
            uploaded_by=viewer.user if viewer.is_authenticated else None,
        )
        transaction.on_commit(lambda: _enqueue_extraction(attachment.pk), robust=True)
    changes = diff(before, snapshot(item, TRACKED))
    if not creating and source != "harvest" and item.provenances.exists():
        # A local edit to a harvested item: the next harvest keeps these fields as they are now.
        edited = sorted(set(item.local_fields) | (set(changes) & set(HARVESTED_FIELDS)))
        if edited != list(item.local_fields):
            item.local_fields = edited
            KnowledgeItem.objects.filter(pk=item.pk).update(local_fields=edited)
    if checked is not None:
        changes["attachment"] = {"old": None, "new": upload.name if upload else None}
    history_record(
        instance=item,
        action="create" if creating else "update",
        actor=viewer.user,
        changes=changes,
        source=source,
    )
    search_outbox_add("knowledge", item.pk)
    return item


def _enqueue_extraction(attachment_id: int) -> None:
    from plek.knowledge.tasks import extract_attachment_text

    extract_attachment_text.enqueue(attachment_id)


def attachment_text_extract(attachment_id: int) -> str:
    """Worker side of an upload: extract the text for search, bounded in time and memory, and save it.
    A file that cannot be read (damaged, too large unpacked, over the limits) keeps an empty text."""
    attachment = Attachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        return "gone"
    with attachment.file.open("rb") as fh:
        data = fh.read()
    result = extract_bounded(attachment.content_type, data, extraction_limits())
    with transaction.atomic():
        updated = Attachment.objects.filter(pk=attachment_id).update(text=result.text)
        if updated:
            search_outbox_add("knowledge", attachment.item_id)
    if result.outcome not in ("ok", "empty"):
        logger.warning("Attachment %s: no text extracted (%s)", attachment_id, result.outcome)
    return result.outcome


@transaction.atomic
def knowledge_delete(*, viewer: Viewer, item: KnowledgeItem, source: str = "web") -> None:
    if not permissions.can_delete(viewer, item):
        raise PermissionDenied("knowledge")
    history_record(instance=item, action="delete", actor=viewer.user, source=source)
    search_outbox_add("knowledge", item.pk, "delete")
    files = [attachment.file for attachment in item.attachments.all()]
    transaction.on_commit(lambda: _delete_files(files))
    item.delete()


@transaction.atomic
def attachment_delete(*, viewer: Viewer, attachment: Attachment) -> None:
    item = attachment.item
    if not permissions.can_change(viewer, item):
        raise PermissionDenied("knowledge")
    history_record(
        instance=item,
        action="update",
        actor=viewer.user,
        changes={"attachment": {"old": attachment.original_name, "new": None}},
    )
    files = [attachment.file]
    transaction.on_commit(lambda: _delete_files(files))
    attachment.delete()
    search_outbox_add("knowledge", item.pk)


def _delete_files(files: list[Any]) -> None:
    """Stored files go only after the database change committed (a rollback keeps them)."""
    for stored in files:
        stored.delete(save=False)


def embed_run_request(*, viewer: Viewer, mode: str = "embed") -> tuple[EmbedRun, bool]:
    """An administrator asks the worker to bring the vectors up to date (or rebuild the index first).
    Joins the run that waits or runs; returns (run, started). A refusal creates no run."""
    if not permissions.can_manage_search(viewer):
        raise PermissionDenied("search")
    return embedruns.queue(mode=mode, requested_by=viewer.user)


def embed_run_cancel(*, viewer: Viewer) -> EmbedRun | None:
    """Stop the run that waits (at once) or runs (between two batches); None when none does."""
    if not permissions.can_manage_search(viewer):
        raise PermissionDenied("search")
    run = embedruns.active_run()
    return embedruns.cancel(run) if run is not None else None
