"""`plek reference load`: (re)load the official reference set; safe to run again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from plek.atlas.reference_data import reference_load


class Command(BaseCommand):
    help = "Load or update regions, themes and national programmes from the reference set."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["load"])

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(str(reference_load()))
