"""Questions without a desk (`owner_hub` empty, from before routing always found one) go to the
national desk, which this creates when there are any. See plek/brokering/routing.py."""

from django.db import migrations

SLUG = "landelijk-kennisloket"


def give_desks(apps, schema_editor):  # type: ignore[no-untyped-def]
    Question = apps.get_model("brokering", "Question")
    Hub = apps.get_model("atlas", "Hub")
    deskless = Question.objects.filter(owner_hub__isnull=True)
    if not deskless.exists():
        return
    desk, _ = Hub.objects.get_or_create(
        slug=SLUG,
        defaults={
            "name": "Landelijk kennisloket",
            "introduction": (
                "Het landelijk kennisloket neemt vragen aan die over heel Nederland gaan, en vragen uit "
                "gebieden waar (nog) geen kennishub met een coördinator is."
            ),
            "offers_brokering": True,
            "offers_area_learning": False,
            "offers_strategy": False,
        },
    )
    deskless.update(owner_hub=desk)


class Migration(migrations.Migration):
    dependencies = [("brokering", "0003_desks_programme_brokers_escalation")]

    operations = [migrations.RunPython(give_desks, migrations.RunPython.noop)]
