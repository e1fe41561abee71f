"""Background work of the knowledge base, run by `plek worker` (or at once in development)."""

from __future__ import annotations

from django_tasks import task

from plek.knowledge.indexing import outbox_apply


@task()
def apply_search_outbox() -> int:
    return outbox_apply()


def dispatch_search_outbox() -> None:
    apply_search_outbox.enqueue()


@task()
def extract_attachment_text(attachment_id: int) -> str:
    """Extract an uploaded attachment's text for search (time and memory bounded); returns the outcome."""
    from plek.knowledge.services import attachment_text_extract

    return attachment_text_extract(attachment_id)


@task()
def embed_vectors(run_id: int) -> str:
    """Embed what has no current vector (or rebuild the index first), with progress on the run's row
    (`plek.knowledge.embedruns`); returns the status the run ended in."""
    from plek.knowledge.embedruns import embed_run_execute

    return embed_run_execute(run_id)
