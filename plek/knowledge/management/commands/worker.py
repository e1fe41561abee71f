"""`plek worker`: runs background tasks from the database queue (django-tasks-db's db_worker).

Set PLEK_TASKS_BACKEND=database for web processes to enqueue instead of running tasks at once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from plek.knowledge.indexing import outbox_apply


class Command(BaseCommand):
    help = "Process background tasks (search index updates) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Process what is queued, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        # Catch up on anything left in the outbox (e.g. written while no worker ran).
        applied = outbox_apply()
        if applied:
            self.stdout.write(f"Applied {applied} pending search changes")
        backend = settings.TASKS["default"]["BACKEND"]
        if not backend.endswith("DatabaseBackend"):
            self.stdout.write(
                "Tasks run at once in the web process (PLEK_TASKS_BACKEND is not 'database'); nothing to do."
            )
            return
        call_command("db_worker", *(["--batch"] if options["batch"] else []))
