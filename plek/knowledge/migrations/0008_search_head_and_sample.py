"""The PostgreSQL search table gets two columns PostgreSQL derives itself: `head` (the lexemes of title
and summary, with their own RUM index: ranked candidates of broad word queries) and `bucket` (a hash of
the key in 0..1023, with partial text indexes over its first buckets: totals and facets of a large
table from a fixed sample). Its GIN filter indexes lose fast update (their pending lists slowed every
filtered search until a vacuum) and what those lists held is merged. Adding the generated columns
rewrites the table once: at 1,000,000 documents allow some minutes, during which the search table takes
no writes (reads wait too). The same step as 0004 (`PostgresBackend.ensure()` creates whatever is
missing): on SQLite, or when the PostgreSQL search backend is neither configured nor has a table yet, it
does nothing."""

from __future__ import annotations

import importlib

from django.db import migrations

ensure_search_table = importlib.import_module("plek.knowledge.migrations.0004_search_rum_index").forwards


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0007_embed_runs")]

    operations = [migrations.RunPython(ensure_search_table, migrations.RunPython.noop, elidable=True)]
