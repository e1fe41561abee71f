"""`plek search reindex|embed|status|apply|verify|stop`: the search index and the vectors beside it are
derived state, rebuilt from the database; `verify` compares the index with the database and exits 1
when they differ (last line: JSON). `embed` embeds only what changed (resumable, with a progress bar).

With `--in-worker`, `embed` and `reindex` are handed to `plek worker` as a run whose progress the page
`/zoeken/vectoren/` and `plek search status` show (`plek.knowledge.embedruns`); a run already waiting or
running is joined instead of starting a second; `stop` stops it (a waiting run at once, a running one
between two batches)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from plek.core.errors import ValidationFailed
from plek.core.models import SearchOutbox, SearchVector
from plek.knowledge import embedruns
from plek.knowledge.indexing import embed_all, index_verify, outbox_apply, reindex
from plek.knowledge.search import get_backend
from plek.knowledge.selectors import embed_run_latest


class Command(BaseCommand):
    help = (
        "Rebuild the search index and vectors (reindex), embed what changed (embed), apply pending "
        "changes (apply), show the state (status), or stop the embedding run in the worker (stop)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["reindex", "embed", "apply", "status", "verify", "stop"])
        parser.add_argument(
            "--in-worker",
            action="store_true",
            help="embed/reindex: queue a run for `plek worker` (progress: `plek search status` and the "
            "page /zoeken/vectoren/) instead of running here.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = get_backend()
        if options["in_worker"]:
            if options["action"] not in ("embed", "reindex"):
                raise CommandError("--in-worker goes with embed or reindex")
            self._queue(options["action"])
            return
        if options["action"] == "stop":
            run = embedruns.active_run()
            if run is None:
                self.stdout.write("No embedding run waits or runs")
            else:
                self.stdout.write(f"Asked to stop: {embedruns.describe(embedruns.cancel(run))}")
            return
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
            self.stdout.write(embedruns.describe(embed_run_latest()))

    def _queue(self, mode: str) -> None:
        if not settings.TASKS["default"]["BACKEND"].endswith("DatabaseBackend"):
            self.stdout.write(
                "PLEK_TASKS_BACKEND is not 'database': the run happens here and now, without a worker."
            )
        try:
            run, started = embedruns.queue(mode=mode)
        except ValidationFailed as exc:
            raise CommandError(str(exc)) from exc
        what = "Queued" if started else "Joined the run already there:"
        self.stdout.write(f"{what} {embedruns.describe(run)}")
