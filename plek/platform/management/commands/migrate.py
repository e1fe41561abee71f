"""`plek migrate`: Django's migrate, one node at a time.

When several app nodes start at once (a rolling deploy, a restarted cluster), each runs `plek migrate`.
Django's command reads the plan and then applies it, so two nodes would both try to create the same
tables. Here the command first takes a lock — a PostgreSQL advisory lock held for the session, or a
file lock beside a SQLite database — so the second node waits, then finds nothing left to do."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from typing import Any

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

LOCK_KEY = 0x504C654B  # "PLeK": the advisory lock id every node agrees on


@contextlib.contextmanager
def migration_lock(database: str) -> Iterator[None]:
    connection = connections[database]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    elif connection.vendor == "sqlite" and connection.settings_dict["NAME"] not in ("", ":memory:"):
        path = f"{os.path.abspath(str(connection.settings_dict['NAME']))}.migrate-lock"
        with open(path, "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                # Closed before the next node may start: closing the last connection checkpoints the
                # WAL, and a node opening the database meanwhile (its JSON1 check) could meet that
                # lock and report "SQLite does not support JSONFields" (seen once in the full suite).
                connection.close()
                fcntl.flock(handle, fcntl.LOCK_UN)
    else:
        yield


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Only one node migrates at a time (a database or file lock)."

    def handle(self, *args: Any, **options: Any) -> None:
        with migration_lock(options["database"]):
            super().handle(*args, **options)
