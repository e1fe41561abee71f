"""Accounts without a display name that have a knowledge-holder profile take the profile's name, so
pages, timelines and e-mails show a name rather than a login name (issue 11, "names, not keys")."""

from django.db import migrations


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    User = apps.get_model("accounts", "User")
    Person = apps.get_model("atlas", "Person")
    names = dict(
        Person.objects.filter(account__isnull=False, account__display_name="")
        .exclude(name="")
        .values_list("account_id", "name")
    )
    users = list(User.objects.filter(pk__in=names, first_name="", last_name=""))
    for user in users:
        user.display_name = names[user.pk][:150]
    User.objects.bulk_update(users, ["display_name"], batch_size=2000)


class Migration(migrations.Migration):
    dependencies = [("atlas", "0005_merge_0004_invitation_0004_merge_20261203_2239"), ("accounts", "0001_initial")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
