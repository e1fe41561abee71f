"""Timeline rows written before names were stored (issue 11, "names, not keys") hold login names and
slugs in `QuestionEvent.details`: the broker's username, hubs', programmes' and networks' slugs, the
merged-into question's slug. Replace each by the display name it stands for; values that match
nothing (already a name, or the target was deleted) stay as they are. One query per kind."""

from django.db import migrations

BATCH = 2000


def _names(model, field, keys, label):  # type: ignore[no-untyped-def]
    if not keys:
        return {}
    return {
        key: label(obj)
        for obj in model.objects.filter(**{f"{field}__in": sorted(keys)})
        for key in [getattr(obj, field)]
        if label(obj)
    }


def _user_label(user):  # type: ignore[no-untyped-def]
    full = f"{user.first_name} {user.last_name}".strip()
    return user.display_name or full or ""


def backfill(apps, schema_editor):  # type: ignore[no-untyped-def]
    Event = apps.get_model("brokering", "QuestionEvent")
    Question = apps.get_model("brokering", "Question")
    Hub = apps.get_model("atlas", "Hub")
    Programme = apps.get_model("atlas", "Programme")
    Network = apps.get_model("atlas", "Network")
    User = apps.get_model("accounts", "User")
    rows = list(Event.objects.exclude(details={}).only("pk", "details"))
    wanted: dict[str, set[str]] = {k: set() for k in ("user", "hub", "programme", "network", "question")}
    kind_of = {
        "broker": "user",
        "hub": "hub",
        "from_hub": "hub",
        "desk": "hub",
        "programme": "programme",
        "network": "network",
        "merged_into": "question",
    }
    for row in rows:
        for key, value in (row.details or {}).items():
            if key in kind_of and isinstance(value, str):
                wanted[kind_of[key]].add(value)
    names = {
        "user": _names(User, "username", wanted["user"], _user_label),
        "hub": _names(Hub, "slug", wanted["hub"], lambda h: h.name),
        "programme": _names(Programme, "slug", wanted["programme"], lambda p: p.name),
        "network": _names(Network, "slug", wanted["network"], lambda n: n.name),
        "question": _names(Question, "slug", wanted["question"], lambda q: q.title),
    }
    changed = []
    for row in rows:
        details = dict(row.details)
        for key, value in row.details.items():
            kind = kind_of.get(key)
            if kind and isinstance(value, str) and value in names[kind]:
                details[key] = names[kind][value]
        if details != row.details:
            row.details = details
            changed.append(row)
    Event.objects.bulk_update(changed, ["details"], batch_size=BATCH)


class Migration(migrations.Migration):
    dependencies = [
        ("brokering", "0004_every_question_has_a_desk"),
        ("atlas", "0005_merge_0004_invitation_0004_merge_20261203_2239"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
