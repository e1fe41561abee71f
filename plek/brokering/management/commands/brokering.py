"""`plek brokering overlap`: cluster similar questions now (run it nightly from cron or a timer).
`plek brokering escalate`: move overdue questions one desk up (run it hourly or daily from cron).
`plek brokering remind`: remind introduced people (with an account) of introductions still pending."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from plek.brokering.overlap import overlap_run
from plek.brokering.services import (
    introductions_remind,
    questions_escalate_overdue,
    questions_reroute_unstaffed,
)


class Command(BaseCommand):
    help = (
        "Knowledge brokering jobs: `overlap` clusters similar questions across hubs and programmes; "
        "`escalate` moves overdue questions one desk up with a notice; `remind` reminds experts of "
        "introductions that still wait for their answer."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["overlap", "escalate", "remind"])

    def handle(self, *args: Any, job: str, **options: Any) -> None:
        if job == "remind":
            self.stdout.write(f"remind: {introductions_remind()} reminders")
            return
        if job == "escalate":
            rerouted = questions_reroute_unstaffed()
            moved = questions_escalate_overdue()
            self.stdout.write(f"escalate: {len(moved)} overdue, {len(rerouted)} at a hub without coordinator")
            return
        run = overlap_run()
        self.stdout.write(f"overlap: {run.questions} questions, {run.clusters} clusters")
