"""Record that an entity changed, for the search index (applied after commit)."""

from __future__ import annotations

from django.db import transaction

from plek.core.freshness import SEARCH_KINDS, topics_changed
from plek.core.hooks import hooks
from plek.core.models import SearchOutbox


def search_outbox_add(entity_type: str, entity_id: int, op: str = "upsert") -> None:
    SearchOutbox.objects.create(entity_type=entity_type, entity_id=entity_id, op=op)
    topics_changed(SEARCH_KINDS.get(entity_type, "atlas"))  # also when no model signal was sent
    transaction.on_commit(_dispatch, robust=True)


def search_outbox_add_many(entity_type: str, entity_ids: list[int], op: str = "upsert") -> None:
    """`search_outbox_add` for many entities in one INSERT (bulk writes, such as a harvested page)."""
    if not entity_ids:
        return
    SearchOutbox.objects.bulk_create(
        [SearchOutbox(entity_type=entity_type, entity_id=pk, op=op) for pk in entity_ids]
    )
    topics_changed(SEARCH_KINDS.get(entity_type, "atlas"))
    transaction.on_commit(_dispatch, robust=True)


def _dispatch() -> None:
    """Hand the outbox to whoever applies it (`hooks.search_dispatch`; a task enqueue)."""
    if hooks.search_dispatch is not None:
        hooks.search_dispatch()
