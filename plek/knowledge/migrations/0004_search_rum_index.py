"""The PostgreSQL search table gets field lengths (for BM25) and a RUM index on its vector (GIN when the
rum extension is missing). Derived state outside Django's models: on SQLite, or when the PostgreSQL
search backend is neither configured nor has a table yet, this does nothing."""

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
        PostgresBackend(using=connection.alias).ensure()


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0003_provenance_rows_and_local_fields")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=True)]
