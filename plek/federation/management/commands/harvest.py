"""`plek harvest run SOURCE_ID | due | allow HOST`: harvest now, queue due sources, allow a host."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from plek.atlas.permissions import Viewer
from plek.federation.harvest import execute
from plek.federation.models import HarvestRun, HarvestSource
from plek.federation.services import allowed_host_add, harvest_due


class Command(BaseCommand):
    help = (
        "Harvesting. 'run ID': harvest one source now in this process and print its report; 'due': queue "
        "runs of every source whose schedule is due (run it from cron, e.g. every 10 minutes); "
        "'allow HOST': let sources on an internal address be harvested (administrators)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["run", "due", "allow"])
        parser.add_argument("target", nargs="?", default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        action, target = options["action"], options["target"]
        if action == "due":
            runs = harvest_due()
            self.stdout.write(f"Queued {len(runs)} harvest runs.")
            return
        if action == "allow":
            if not target:
                raise CommandError("name the host to allow")
            allowed_host_add(viewer=Viewer(is_authenticated=True, is_admin=True), host=target)
            self.stdout.write(f"Harvesting from {target} is allowed.")
            return
        source = HarvestSource.objects.filter(pk=target).first() if (target or "").isdigit() else None
        if source is None:
            raise CommandError(f"no harvest source {target!r}")
        run = execute(HarvestRun.objects.create(source=source, trigger="command"))
        report = {
            k: getattr(run, k)
            for k in (
                "status",
                "pages",
                "fetched",
                "created",
                "updated",
                "unchanged",
                "withdrawn",
                "refused",
                "error",
            )
        }
        report["problems"] = run.problems[:20]
        report["notes"] = run.notes[:20]
        self.stdout.write(json.dumps(report, ensure_ascii=False))
        if run.status == HarvestRun.Status.FAILED:
            raise CommandError(run.error)
