"""`plek search reindex|status|apply`: the search index is derived state, rebuilt from the database."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from plek.core.models import SearchOutbox
from plek.knowledge.indexing import outbox_apply, reindex
from plek.knowledge.search import get_backend


class Command(BaseCommand):
    help = "Rebuild the search index (reindex), apply pending changes (apply), or show its state (status)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["reindex", "apply", "status"])

    def handle(self, *args: Any, **options: Any) -> None:
        backend = get_backend()
        if options["action"] == "reindex":
            started = time.perf_counter()
            with tqdm(desc="reindex", unit="docs", disable=options["verbosity"] < 1) as bar:

                def progress(label: str, n: int) -> None:
                    bar.set_postfix_str(label)
                    bar.update(n)

                counts = reindex(progress=progress)
            self.stdout.write(
                f"Indexed {counts} with {backend.name} in {time.perf_counter() - started:.1f} s"
            )
        elif options["action"] == "apply":
            self.stdout.write(f"Applied {outbox_apply()} outbox rows")
        else:
            self.stdout.write(
                f"backend={backend.name} documents={backend.count()} size_bytes={backend.size_bytes()} "
                f"pending={SearchOutbox.objects.count()} healthy={backend.healthy()}"
            )
