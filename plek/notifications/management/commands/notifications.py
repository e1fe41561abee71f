"""`plek notifications digest`: send the daily digests (run once a day from cron)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from plek.notifications.tasks import send_digests


class Command(BaseCommand):
    help = "Notification jobs: `digest` e-mails everyone their waiting notifications in one message."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("job", choices=["digest"])

    def handle(self, *args: Any, job: str, **options: Any) -> None:
        self.stdout.write(json.dumps(send_digests()))
