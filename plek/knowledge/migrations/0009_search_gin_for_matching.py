"""The PostgreSQL search table finds and counts matches through GIN indexes: one on the whole vector
and one on each sample (`<table>_words<b>`, replacing the RUM sample indexes `<table>_sample<b>`), while
the RUM indexes keep ordering ranked candidates. A bitmap of several words through RUM read positions it
did not need (38 ms against GIN's 10 at 100,000 documents). Building the GIN indexes takes about 3 s per
100,000 documents; searches keep working meanwhile, writes to the search table wait. The same step as
0004 (`PostgresBackend.ensure()` creates whatever is missing): on SQLite, or when the PostgreSQL search
backend is neither configured nor has a table yet, it does nothing."""

from __future__ import annotations

import importlib

from django.db import migrations

ensure_search_table = importlib.import_module("plek.knowledge.migrations.0004_search_rum_index").forwards


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0008_search_head_and_sample")]

    operations = [migrations.RunPython(ensure_search_table, migrations.RunPython.noop, elidable=True)]
