"""`plek serve`: the production WSGI server (gunicorn), static files served by the app."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

LIMIT_REQUEST_LINE = 8190


class Command(BaseCommand):
    help = "Serve PLeK with gunicorn (workers: 2 x cores + 1, unless WEB_CONCURRENCY is set)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--bind", default=f"127.0.0.1:{os.environ.get('PORT', '8000')}")
        parser.add_argument("--workers", type=int, default=None)
        parser.add_argument("--no-collectstatic", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        workers = options["workers"] or int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
        argv = [
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(workers),
            "--threads",
            "2",
            "--access-logfile",
            "-",
            "--timeout",
            "60",
            "--graceful-timeout",
            "20",
            # gunicorn's default control socket (~/.gunicorn/gunicorn.ctl) is shared by every server on
            # the host: a second `plek serve` would take it from the first. PLeK does not use it.
            "--no-control-socket",
            # Load the application (and import every view, see config/wsgi.py) once, before forking:
            # a worker answers its first request without seconds of imports, and shares the memory.
            "--preload",
            # gunicorn's largest request line (default 4094): longer URLs get gunicorn's own 414
            # page; the API offers POST where a query can be long (/question-suggestions).
            "--limit-request-line",
            str(LIMIT_REQUEST_LINE),
        ]
        self.stdout.write(f"PLeK serving on http://{options['bind']} with {workers} workers")
        os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606  # nosec B606 # fixed argv of our own interpreter
