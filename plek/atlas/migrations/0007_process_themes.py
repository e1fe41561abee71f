"""Process themes (collaboration, capacity, learning, funding, participation) for installations that
loaded the reference set before they existed; `reference_load()` adds them to new ones."""

from django.db import migrations

PROCESS_THEMES = [
    ("samenwerking-governance", "Samenwerking en governance", "Collaboration and governance"),
    ("uitvoeringskracht", "Uitvoeringskracht", "Capacity to deliver"),
    ("kennis-leren", "Kennis en leren", "Knowledge and learning"),
    ("financiering", "Financiering en verdienmodellen", "Funding and business models"),
    ("participatie", "Participatie", "Participation"),
]


def add_themes(apps, schema_editor):
    Theme = apps.get_model("atlas", "Theme")
    if not Theme.objects.exists():
        return  # an empty database: the reference load brings them with the rest
    start = (Theme.objects.order_by("-position").values_list("position", flat=True).first() or 0) + 1
    for offset, (slug, nl, en) in enumerate(PROCESS_THEMES):
        Theme.objects.get_or_create(
            slug=slug, defaults={"label_nl": nl, "label_en": en, "position": start + offset}
        )


class Migration(migrations.Migration):
    dependencies = [("atlas", "0006_display_names_from_profiles")]

    operations = [migrations.RunPython(add_themes, migrations.RunPython.noop)]
