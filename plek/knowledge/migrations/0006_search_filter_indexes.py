"""The PostgreSQL search table gets btree indexes on the filter columns year, type, scale and kind, so a
search with words and a filter counts its matches through the indexes. Built here, at upgrade time,
rather than by the first search after the upgrade (building them on a large table takes a while and
holds off writes). Derived state outside Django's models: on SQLite, or when the PostgreSQL search
backend is neither configured nor has a table yet, this does nothing."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    from django.conf import settings

    from plek.knowledge.search.postgres_backend import TABLE, PostgresBackend

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
        exists = cursor.fetchone()[0]
    if exists or getattr(settings, "PLEK_SEARCH_BACKEND", "tantivy") == "postgres":
        PostgresBackend(using=connection.alias).ensure()  # creates what is missing, indexes included


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0005_knowledge_owner_level_indexes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
