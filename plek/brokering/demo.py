"""The brokering part of `plek demo`: the judged evaluation corpus (experts, reports, earlier answered
questions; synthetic) and a set of questions in every stage of the workflow, then the overlap job."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from plek.atlas.models import Hub, HubMembership, Programme, Region, Theme
from plek.brokering import evalset, routing
from plek.brokering.models import ProgrammeBroker, Question, QuestionEvent
from plek.brokering.overlap import overlap_run
from plek.core.models import Visibility
from plek.core.outbox import search_outbox_add

S = Question.State
# The path each demo question has taken so far (the last state is where it stands).
PATHS = [
    [S.SUBMITTED],
    [S.SUBMITTED, S.TRIAGED],
    [S.SUBMITTED, S.TRIAGED, S.MATCHING],
    [S.SUBMITTED, S.TRIAGED, S.MATCHING, S.CONNECTED],
]


def demo_desks() -> dict[str, Any]:
    """The national desk with a coordinator, and a broker for a national programme (demo accounts,
    password `demo-wachtwoord`), so that every demo question has someone who answers for it."""
    users = get_user_model().objects
    desk = routing.national_desk()
    made: dict[str, Any] = {"desk": desk}
    for username, display in [
        ("loket", "Noor van het Landelijk Kennisloket (demo)"),
        ("programma", "Pim Programmamakelaar (demo)"),
        ("gelderland", "Gerrit van Gelderland (demo)"),
    ]:
        user, created = users.get_or_create(
            username=username, defaults={"display_name": display, "email": f"{username}@demo.plek.localhost"}
        )
        if created:
            user.set_password("demo-wachtwoord")
            user.save()
        made[username] = user
    HubMembership.objects.get_or_create(
        hub=desk, user=made["loket"], defaults={"role": HubMembership.Role.COORDINATOR}
    )
    # The province hub of Gelderland is staffed; the Foodvalley hub is not, so its questions go there.
    gelderland = Hub.objects.filter(slug="kennishub-gelderland").first()
    if gelderland is not None:
        HubMembership.objects.get_or_create(
            hub=gelderland, user=made["gelderland"], defaults={"role": HubMembership.Role.COORDINATOR}
        )
    programme = Programme.objects.filter(slug="np-res").first() or Programme.objects.order_by("name").first()
    if programme is not None:
        ProgrammeBroker.objects.get_or_create(programme=programme, user=made["programma"])
    made["programme"] = programme
    return made


@transaction.atomic
def demo_questions(count: int = 16) -> int:
    if Question.objects.filter(is_synthetic=True, slug__startswith="demo-").exists():
        return 0
    desks = demo_desks()
    users = get_user_model().objects
    asker = users.filter(username="buitenstaander").first()
    coordinator = users.filter(username="coordinator").first()
    # Who brokers at each desk: a coordinator of that desk (only the demo's staffed desks have one).
    desk_broker: dict[int, Any] = {desks["desk"].pk: desks["loket"]}
    if coordinator is not None:
        for membership in HubMembership.objects.filter(user=coordinator, role=HubMembership.Role.COORDINATOR):
            desk_broker[membership.hub_id] = coordinator
    rows = evalset.questions()[:count]
    codes = {c for row in rows for c in row.get("regions", [])}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes).defer("geometry", "description")}
    themes = {t.slug: t for t in Theme.objects.all()}
    now = timezone.now()
    for n, row in enumerate(rows):
        path = PATHS[n % len(PATHS)]
        programme = desks["programme"] if n == 5 else None  # one question referred to a programme
        if programme is not None:
            path = [S.SUBMITTED, S.TRIAGED, S.REFERRED]
        asked = now - dt.timedelta(days=3 + 2 * n)
        qregions = [regions[c] for c in row.get("regions", []) if c in regions]
        desk = routing.desk_for_regions([r.pk for r in qregions])
        broker = desk_broker.get(desk.pk)
        q = Question.objects.create(
            slug=f"demo-{row['id']}",
            title=row["title"],
            text=row["text"],
            context=row.get("context", ""),
            asker=asker,
            created_by=asker,
            asker_role=row.get("asker_role", "practice"),
            state=path[-1],
            submitted_at=asked,
            state_changed_at=asked + dt.timedelta(days=len(path) - 1),
            visibility=Visibility.PUBLIC if n % 5 else Visibility.MEMBERS,
            owner_hub=desk,
            broker=broker if len(path) > 1 else None,
            share_contact=n % 2 == 0,
            referred_to_programme=programme,
            is_synthetic=True,
        )
        q.regions.set(qregions)
        q.themes.set([themes[s] for s in row.get("themes", []) if s in themes])
        previous = None
        for step, state in enumerate(path):
            QuestionEvent.objects.create(
                question=q,
                from_state=previous,
                to_state=state,
                actor=asker if state == S.SUBMITTED else broker,
                at=asked + dt.timedelta(days=step),
                details={"programme": programme.name} if state == S.REFERRED and programme else {},
                note="Landelijke regelgeving: het programma weet dit beter." if state == S.REFERRED else "",
            )
            previous = state
        search_outbox_add("question", q.pk)
    return len(rows)


def demo_step(*, scale: str, seed: int, progress: Any = None, **_: Any) -> dict[str, int]:
    loaded = evalset.load_corpus()
    made = demo_questions()
    run = overlap_run()
    return {
        "evaluation_items": loaded["items"],
        "evaluation_people": loaded["people"],
        "answered_questions": loaded["questions"],
        "open_questions": made,
        "overlap_clusters": run.clusters,
    }
