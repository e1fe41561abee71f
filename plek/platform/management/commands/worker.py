"""`plek worker`: runs background tasks from the database queue (django-tasks-db's db_worker), with a
heartbeat so that tasks of a worker that dies are retried or failed (`plek.core.workers`).

Set PLEK_TASKS_BACKEND=database for web processes to enqueue instead of running tasks at once. Any
number of workers on any number of nodes may run against one PostgreSQL database."""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.crypto import get_random_string

from plek.core import workers
from plek.knowledge.indexing import outbox_apply


class Command(BaseCommand):
    help = "Process background tasks (search index, solves, overlap, harvests, e-mail) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Process what is queued, then exit.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument(
            "--canary",
            type=float,
            metavar="SECONDS",
            help="Do not work: enqueue a no-op task and wait up to SECONDS for some worker to finish it "
            "(exit 1 if none does) — a check that the queue moves.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = settings.TASKS["default"]["BACKEND"]
        if options["canary"] is not None:
            self._canary(options["canary"])
            return
        # Catch up on anything left in the outbox (e.g. written while no worker ran).
        applied = outbox_apply()
        if applied:
            self.stdout.write(f"Applied {applied} pending search changes")
        if not backend.endswith("DatabaseBackend"):
            self.stdout.write(
                "Tasks run at once in the web process (PLEK_TASKS_BACKEND is not 'database'); nothing to do."
            )
            return
        worker_id = f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"
        beat = workers.Heartbeat(worker_id)
        beat.beat()  # registered and stale tasks recovered before the first claim
        beat.start()
        try:
            call_command(
                "db_worker",
                "--worker-id",
                worker_id,
                "--interval",
                str(options["interval"]),
                "--no-startup-delay",
                *(["--batch"] if options["batch"] else []),
            )
        finally:
            beat.stop()
            workers.heartbeat_remove(worker_id=worker_id)

    def _canary(self, timeout: float) -> None:
        result = workers.canary.enqueue()
        deadline = time.monotonic() + timeout
        while not result.is_finished and time.monotonic() < deadline:
            time.sleep(0.2)
            result.refresh()
        if not result.is_finished or result.status != "SUCCESSFUL":
            raise CommandError(f"no worker finished the canary task within {timeout:g} s ({result.status})")
        self.stdout.write(f"Canary task done by {result.return_value}")
