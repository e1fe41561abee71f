"""The `plek` console script: Django's manage.py with PLeK's settings."""

from __future__ import annotations

import os
import sys


def main() -> None:
    if sys.argv[1:3] == ["bench", "load"]:
        # locust runs on gevent: its monkey patching must come before anything imports ssl or
        # socket (Django's settings do), or ssl recurses without end.
        from gevent import monkey

        monkey.patch_all()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["plek", *sys.argv[1:]])


if __name__ == "__main__":
    main()
