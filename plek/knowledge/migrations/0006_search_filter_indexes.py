"""The PostgreSQL search table gets btree indexes on the filter columns year, type, scale and kind, so a
search with words and a filter counts its matches through the indexes. Built here, at upgrade time,
rather than by the first search after the upgrade (building them on a large table takes a while and
holds off writes). The same step as 0004 (`PostgresBackend.ensure()` creates whatever is missing): on
SQLite, or when the PostgreSQL search backend is neither configured nor has a table yet, it does
nothing."""

from __future__ import annotations

import importlib

from django.db import migrations

ensure_search_table = importlib.import_module("plek.knowledge.migrations.0004_search_rum_index").forwards


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0005_knowledge_owner_level_indexes")]

    operations = [migrations.RunPython(ensure_search_table, migrations.RunPython.noop, elidable=True)]
