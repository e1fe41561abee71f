"""`plek migrate`: Django's migrate, one node at a time.

When several app nodes start at once (a rolling deploy, a restarted cluster), each runs `plek migrate`.
Django's command reads the plan and then applies it, so two nodes would both try to create the same
tables. Here the command first takes a lock (before anything else touches the database, the system
checks included) — a PostgreSQL advisory lock held for the session, or a
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
                # WAL, which the next node would otherwise have to wait for.
                connection.close()
                fcntl.flock(handle, fcntl.LOCK_UN)
    else:
        yield


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Only one node migrates at a time (a database or file lock)."

    def execute(self, *args: Any, **options: Any) -> str | None:
        # The lock comes before the system checks, not only before handle(): since Django 5.2 migrate
        # runs them in execute(), and on SQLite one of them (does JSONField work?) opens a write
        # transaction. A node checking while another migrated waited for the whole migration, gave
        # up after the busy timeout on a slow machine and reported "SQLite does not support
        # JSONFields" (fields.E180).
        with migration_lock(options["database"]):
            return super().execute(*args, **options)
