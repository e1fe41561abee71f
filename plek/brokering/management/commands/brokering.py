"""`plek brokering overlap`: cluster similar questions now (run it nightly from cron or a timer)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from plek.brokering.overlap import overlap_run


class Command(BaseCommand):
    help = "Knowledge brokering jobs: `overlap` clusters similar questions across hubs and programmes."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["overlap"])

    def handle(self, *args: Any, job: str, **options: Any) -> None:
        run = overlap_run()
        self.stdout.write(f"overlap: {run.questions} questions, {run.clusters} clusters")
