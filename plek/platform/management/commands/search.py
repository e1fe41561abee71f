"""`plek search reindex|embed|status|apply|verify`: the search index and the vectors beside it are
derived state, rebuilt from the database; `verify` compares the index with the database and exits 1
when they differ (last line: JSON). `embed` embeds only what changed (resumable, with a progress bar)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from plek.core.models import SearchOutbox, SearchVector
from plek.knowledge.indexing import embed_all, index_verify, outbox_apply, reindex
from plek.knowledge.search import get_backend


class Command(BaseCommand):
    help = (
        "Rebuild the search index and vectors (reindex), embed what changed (embed), apply pending "
        "changes (apply), or show the state (status)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["reindex", "embed", "apply", "status", "verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        backend = get_backend()
        if options["action"] == "reindex":
            started = time.perf_counter()
            with tqdm(desc="reindex", unit="docs", disable=options["verbosity"] < 1) as bar:

                def progress(label: str, n: int) -> None:
                    bar.set_postfix_str(label)
                    bar.update(n)

                with tqdm(desc="vectors", unit="docs", disable=options["verbosity"] < 1) as vbar:

                    def embed_progress(label: str, n: int) -> None:
                        vbar.set_postfix_str(label)
                        vbar.update(n)

                    counts = reindex(progress=progress, embed_progress=embed_progress)
            self.stdout.write(
                f"Indexed {counts} with {backend.name} in {time.perf_counter() - started:.1f} s"
            )
        elif options["action"] == "verify":
            result = index_verify()
            self.stdout.write(json.dumps(result))
            if not result["equal"]:
                raise CommandError("the search index differs from the database")
        elif options["action"] == "embed":
            started = time.perf_counter()
            with tqdm(desc="vectors", unit="docs", disable=options["verbosity"] < 1) as ebar:

                def step(label: str, n: int) -> None:
                    ebar.set_postfix_str(label)
                    ebar.update(n)

                done = embed_all(progress=step)
            self.stdout.write(f"Embedded {done} documents in {time.perf_counter() - started:.1f} s")
        elif options["action"] == "apply":
            self.stdout.write(f"Applied {outbox_apply()} outbox rows")
        else:
            self.stdout.write(
                f"backend={backend.name} documents={backend.count()} size_bytes={backend.size_bytes()} "
                f"pending={SearchOutbox.objects.count()} vectors={SearchVector.objects.count()} "
                f"healthy={backend.healthy()}"
            )
