"""Email followers a digest of what changed in the signals, proposals and standards they follow.

    plek governance_digest --daily     # run once a day (cron / scheduler)
    plek governance_digest --weekly    # run once a week

Uses Django's email backend (console unless EMAIL_HOST is set)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from plek.governance import services


class Command(BaseCommand):
    help = "Send the daily or weekly governance digest to followers."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--daily", action="store_true", help="Followers who chose a daily digest.")
        group.add_argument("--weekly", action="store_true", help="Followers who chose a weekly digest.")

    def handle(self, *args: Any, **options: Any) -> None:
        frequency = "daily" if options["daily"] else "weekly"
        base = str(getattr(settings, "SITE_URL", "")).rstrip("/")
        sent = services.digest_send(frequency=frequency, base_url=base)
        self.stdout.write(f"{frequency} digest: {sent} email(s) sent.")
