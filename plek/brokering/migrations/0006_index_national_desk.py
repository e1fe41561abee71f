"""The national desk made by migration 0004 (or by `plek demo`, `national_desk()`) before this version was
never put in the search outbox, so it was missing from the search index and had no vector until a full
`plek search reindex` (`plek search verify`: one document missing). Queue it once."""

from django.db import migrations

SLUG = "landelijk-kennisloket"


def queue_desk(apps, schema_editor):  # type: ignore[no-untyped-def]
    Hub = apps.get_model("atlas", "Hub")
    SearchOutbox = apps.get_model("core", "SearchOutbox")
    for pk in Hub.objects.filter(slug=SLUG).values_list("pk", flat=True):
        SearchOutbox.objects.create(entity_type="hub", entity_id=pk, op="upsert")


class Migration(migrations.Migration):
    dependencies = [("brokering", "0005_timeline_names_not_keys"), ("core", "0004_searchvector")]

    operations = [migrations.RunPython(queue_desk, migrations.RunPython.noop)]
