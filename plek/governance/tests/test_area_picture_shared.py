"""A signed-in visitor's region page: what every signed-in person sees is ranked once and shared
(`picture.SharedRows`), only what this person sees beyond it is ranked for them — and the page shows
exactly what the one-piece visibility filter shows, for every kind of viewer.

Also the `ids_in` lookup (plek/core/lookups.py) the ranking uses for its long region lists.

Lives in governance (the highest app it touches) so it may create rows of every lower app."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.test import Client
from django.test.utils import CaptureQueriesContext

from plek.atlas.models import Hub, HubMembership, Network, Organisation, Person, Region
from plek.atlas.permissions import (
    level_q,
    level_split,
    person_group_q,
    person_group_split,
    viewer_for,
    visible_q,
    visible_split,
)
from plek.atlas.picture import SharedRows, region_scope, split_rows
from plek.atlas.selectors import region_overview
from plek.core.lookups import Ids
from plek.core.models import Visibility
from plek.knowledge.models import KnowledgeItem

pytestmark = pytest.mark.django_db

LEVELS = [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.HUB, Visibility.PRIVATE]
_n = itertools.count()


def _users(django_user_model: Any, hub: Hub, other_hub: Hub) -> dict[str, Any]:
    users: dict[str, Any] = {"anonymous": None}
    for name in ("outsider", "member", "coordinator", "elsewhere", "admin"):
        users[name] = django_user_model.objects.create_user(username=f"sh-{name}", password=None)
    HubMembership.objects.create(hub=hub, user=users["member"], role=HubMembership.Role.MEMBER)
    HubMembership.objects.create(hub=hub, user=users["coordinator"], role=HubMembership.Role.COORDINATOR)
    HubMembership.objects.create(hub=other_hub, user=users["elsewhere"], role=HubMembership.Role.MEMBER)
    users["admin"].is_superuser = True
    users["admin"].save()
    return users


def _knowledge_everywhere(users: dict[str, Any], hubs: list[Hub], regions: list[Region]) -> None:
    """Items at every level, owned by every hub, written by every signed-in user (and by nobody),
    linked to one or two of `regions`."""
    writers = [None, *(u for u in users.values() if u is not None)]
    for i, (level, hub, writer) in enumerate(itertools.product(LEVELS, [None, *hubs], writers)):
        item = KnowledgeItem.objects.create(
            slug=f"sh-k-{next(_n)}",
            kind="case",
            title=f"Kennis {i}",
            summary="s",
            body="b",
            visibility=level,
            owner_hub=hub,
            created_by=writer,
        )
        item.regions.set([regions[i % len(regions)], regions[(i * 7) % len(regions)]])


def test_the_split_parts_are_disjoint_and_make_up_the_whole_filter(
    ref: None, hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    users = _users(django_user_model, hub, other_hub)
    _knowledge_everywhere(users, [hub, other_hub], [Region.objects.get(code="GM0363")])
    for who, user in users.items():
        viewer = viewer_for(user)
        whole = set(KnowledgeItem.objects.filter(visible_q(viewer)).values_list("pk", flat=True))
        split = visible_split(viewer)
        if who in ("anonymous", "admin"):
            assert split is None, who  # nothing to share: anonymous pages are cached as they are
            continue
        assert split is not None
        common = set(KnowledgeItem.objects.filter(split[0]).values_list("pk", flat=True))
        extra = set(KnowledgeItem.objects.filter(split[1]).values_list("pk", flat=True))
        assert common & extra == set(), who
        assert common | extra == whole, who
        # the common part is the same for every signed-in person
        assert common == set(
            KnowledgeItem.objects.filter(visibility__in=[Visibility.PUBLIC, Visibility.MEMBERS]).values_list(
                "pk", flat=True
            )
        )
        if who in ("member", "coordinator", "elsewhere", "outsider"):
            assert extra, who  # each wrote hub-only and private items (and members see their hub's)


def test_person_group_split_matches_person_group_q(
    ref: None, hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    users = _users(django_user_model, hub, other_hub)
    accounts = [None, users["member"], users["outsider"]]
    for level, group_level, owner, account, writer in itertools.product(
        LEVELS, LEVELS, [None, hub, other_hub], accounts, [None, users["member"]]
    ):
        if account is not None and Person.objects.filter(account=account).exists():
            account = None
        Person.objects.create(
            slug=f"sh-p-{next(_n)}",
            name="P",
            visibility=level,
            regions_visibility=group_level,
            owner_hub=owner,
            account=account,
            created_by=writer,
        )
    for who, user in users.items():
        viewer = viewer_for(user)
        whole = set(Person.objects.filter(person_group_q(viewer, "regions")).values_list("pk", flat=True))
        split = person_group_split(viewer, "regions")
        if split is None:
            assert who in ("anonymous", "admin")
            continue
        common = set(Person.objects.filter(split[0]).values_list("pk", flat=True))
        extra = set(Person.objects.filter(split[1]).values_list("pk", flat=True))
        assert common & extra == set(), who
        assert common | extra == whole, who


def test_level_split_with_another_owner_field(ref: None, hub: Hub, django_user_model: Any) -> None:
    """`level_split` follows `level_q` for any visibility column and owner field."""
    member = django_user_model.objects.create_user(username="sh-owner", password=None)
    HubMembership.objects.create(hub=hub, user=member, role=HubMembership.Role.MEMBER)
    for level in LEVELS:
        Person.objects.create(slug=f"sh-o-{next(_n)}", name="P", contact_visibility=level)
    Person.objects.create(slug="sh-own", name="Own", contact_visibility=Visibility.PRIVATE, account=member)
    viewer = viewer_for(member)
    split = level_split(viewer, "contact_visibility", owner_field="account")
    assert split is not None
    whole = set(
        Person.objects.filter(level_q(viewer, "contact_visibility", owner_field="account")).values_list(
            "pk", flat=True
        )
    )
    parts = [set(Person.objects.filter(q).values_list("pk", flat=True)) for q in split]
    assert parts[0] | parts[1] == whole and not parts[0] & parts[1]


@pytest.mark.parametrize("code", ["NL", "PV27", "GM0363"])
def test_shared_ranking_equals_the_one_piece_ranking(
    ref: None, hub: Hub, other_hub: Hub, django_user_model: Any, code: str
) -> None:
    """For every viewer, scale level and page size: the same total and the same closest rows, in the
    same order, whether the rows are ranked in one piece or as a shared part plus the viewer's own."""
    users = _users(django_user_model, hub, other_hub)
    regions = list(Region.objects.filter(code__in=["NL", "PV27", "GM0363", "GM0344", "PV26"]))
    _knowledge_everywhere(users, [hub, other_hub], regions)
    links = KnowledgeItem.regions.through
    scope = region_scope(Region.objects.get(code=code))
    for who, user in users.items():
        viewer = viewer_for(user)
        rows = split_rows(
            links.objects.all(), viewer, KnowledgeItem, "knowledgeitem", full=visible_q, split=visible_split
        )
        assert isinstance(rows, SharedRows) == (who not in ("anonymous", "admin")), who
        one_piece = links.objects.filter(visible_q(viewer, prefix="knowledgeitem__"))
        for limit in (1, 3, 8, 500):
            expected = scope.top(one_piece, "knowledgeitem_id", limit)
            got = scope.top(rows, "knowledgeitem_id", limit)
            assert (got.total, got.rows) == (expected.total, expected.rows), (who, limit)
            assert got.total > 0


@pytest.mark.django_db(transaction=True)
def test_a_second_member_reuses_the_shared_part_and_still_sees_only_their_own(
    shared_cache: None, ref: None, hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    users = _users(django_user_model, hub, other_hub)
    nl = Region.objects.get(code="NL")
    ams = Region.objects.get(code="GM0363")
    public = KnowledgeItem.objects.create(
        slug="sh-pub", kind="case", title="Openbare dijkkennis", visibility="public"
    )
    mine = KnowledgeItem.objects.create(
        slug="sh-hub", kind="case", title="Hubkennis Veenweide", visibility="hub", owner_hub=hub
    )
    theirs = KnowledgeItem.objects.create(
        slug="sh-other", kind="case", title="Elders Kwelwater", visibility="hub", owner_hub=other_hub
    )
    for item in (public, mine, theirs):
        item.regions.set([ams])
    overview = lambda user: region_overview(viewer=viewer_for(user), region=nl)  # noqa: E731

    def knowledge_titles(user: Any) -> tuple[int, list[str]]:
        section = next(s for s in overview(user)["picture"] if s.key == "knowledge")
        return section.total, [i.label for i in section.items]

    with CaptureQueriesContext(connection) as first:
        assert knowledge_titles(users["member"]) == (2, ["Openbare dijkkennis", "Hubkennis Veenweide"])
    with CaptureQueriesContext(connection) as second:
        assert knowledge_titles(users["coordinator"]) == (2, ["Openbare dijkkennis", "Hubkennis Veenweide"])
    # the second signed-in person's first visit ranks only their own extra rows
    assert len(second) < len(first)
    assert knowledge_titles(users["elsewhere"]) == (2, ["Openbare dijkkennis", "Elders Kwelwater"])
    assert knowledge_titles(users["outsider"]) == (1, ["Openbare dijkkennis"])

    # a write moves the shared part on at once: nobody sees the old ranking
    with transaction.atomic():
        KnowledgeItem.objects.filter(pk=public.pk).update(visibility="private")
        from plek.core.freshness import topics_changed

        topics_changed("knowledge")
    assert knowledge_titles(users["outsider"]) == (0, [])
    assert knowledge_titles(users["elsewhere"])[0] == 1

    page = Client()
    page.force_login(users["member"])
    html = page.get("/gebieden/NL/").content.decode()
    assert "Hubkennis Veenweide" in html and "Elders Kwelwater" not in html


def test_region_page_touches_split_for_people_organisations_and_networks(
    ref: None, hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    users = _users(django_user_model, hub, other_hub)
    ams = Region.objects.get(code="GM0363")
    for model in (Organisation, Network):
        for level, owner in itertools.product(LEVELS, [None, hub, other_hub]):
            obj = model.objects.create(
                slug=f"sh-{model.__name__}-{next(_n)}",
                name=f"{model.__name__} {level}",
                visibility=level,
                owner_hub=owner,
            )
            obj.regions.set([ams])
    for level, group_level in itertools.product(LEVELS, LEVELS):
        person = Person.objects.create(
            slug=f"sh-person-{next(_n)}",
            name="P",
            visibility=level,
            regions_visibility=group_level,
            owner_hub=hub,
        )
        person.regions.set([ams])
    for who, user in users.items():
        viewer = viewer_for(user)
        sections = region_overview(viewer=viewer, region=Region.objects.get(code="PV27"))["sections"]
        checks: list[tuple[str, type[Any], Q]] = [
            ("organisations", Organisation, visible_q(viewer)),
            ("networks", Network, visible_q(viewer)),
            ("people", Person, person_group_q(viewer, "regions")),
        ]
        for name, model, q in checks:
            expected = model.objects.filter(q, regions=ams).count()
            assert sections[name].total == expected, (who, name)
            shown = {t.obj.pk for t in sections[name].items}
            assert len(shown) == min(expected, 12), (who, name)  # the page shows the first 12
            assert shown <= set(model.objects.filter(q, regions=ams).values_list("pk", flat=True)), (
                who,
                name,
            )


# ---- the ids_in lookup ---------------------------------------------------------------------------------


def test_ids_in_finds_what_in_finds(ref: None) -> None:
    ids = list(Region.objects.order_by("pk").values_list("pk", flat=True))[:150]
    assert set(Region.objects.filter(pk__ids_in=Ids(ids)).values_list("pk", flat=True)) == set(ids)
    assert list(Region.objects.filter(pk__ids_in=ids[:3])) == list(Region.objects.filter(pk__in=ids[:3]))
    links = KnowledgeItem.regions.through
    assert str(links.objects.filter(region_id__ids_in=Ids([3, 1, 3])).query).endswith("IN (1, 3)")
    assert Region.objects.filter(pk__ids_in=Ids([])).count() == 0
    assert Region.objects.filter(Q(pk__ids_in=Ids([])) | Q(code="NL")).count() == 1


def test_ids_in_takes_integers_only(ref: None) -> None:
    with pytest.raises(TypeError):
        Ids(["1"])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        list(Region.objects.filter(pk__ids_in=[1, "2"]))
    assert Ids([2, 1, 2]) == Ids([1, 2]) and hash(Ids([2, 1])) == hash(Ids([1, 2]))
    assert len(Ids([5, 5, 6])) == 2 and list(Ids([6, 5])) == [5, 6]


@pytest.mark.parametrize("kind", ["province", "municipality"])
def test_split_map_counts_equal_the_one_piece_counts(
    ref: None, hub: Hub, other_hub: Hub, django_user_model: Any, kind: str
) -> None:
    """The knowledge map for a signed-in viewer: shared counts plus the viewer's own, region by region,
    the same as counting in one piece (`picture.split_counts`)."""
    from plek.atlas.filters import region_in
    from plek.atlas.picture import count_by_region, split_counts

    users = _users(django_user_model, hub, other_hub)
    regions = list(Region.objects.filter(code__in=["NL", "PV27", "GM0363", "GM0344", "PV26", "GM0106"]))
    _knowledge_everywhere(users, [hub, other_hub], regions)
    links = KnowledgeItem.regions.through
    shown = list(Region.objects.filter(kind=kind))
    for who, user in users.items():
        viewer = viewer_for(user)
        expected = count_by_region(
            shown,
            lambda ids, v=viewer: region_in(
                links.objects.filter(visible_q(v, prefix="knowledgeitem__")), "region_id", ids
            ).values_list("knowledgeitem_id", "region_id"),
        )
        got = split_counts(
            shown,
            links.objects.all(),
            viewer,
            KnowledgeItem,
            "knowledgeitem",
            full=visible_q,
            split=visible_split,
        )
        assert got == expected, who
        assert sum(expected.values()) > 0, who


# ---- the other apps' splits: questions, trajectories, lessons, indicators -----------------------------


def _roles_everywhere(users: dict[str, Any], hubs: list[Hub], region: Region) -> None:
    """Questions, trajectories and lessons at every level and owner hub, with every kind of personal
    grant (asker, broker, programme broker, author, facilitator, participant), all linked to `region`."""
    from plek.atlas.models import Programme
    from plek.brokering.models import ProgrammeBroker, Question
    from plek.learning.models import Lesson, Participant, Trajectory

    programme = Programme.objects.order_by("pk").first()
    assert programme is not None
    ProgrammeBroker.objects.create(programme=programme, user=users["outsider"])
    people = [None, users["member"], users["outsider"], users["elsewhere"]]
    for level, hub, person in itertools.product(LEVELS, [None, *hubs], people):
        for state in ("submitted", "answered"):
            q = Question.objects.create(
                slug=f"sh-q-{next(_n)}",
                title=f"Vraag {next(_n)}",
                text="Wat weten we?",
                asker_role="practice",
                state=state,
                visibility=level,
                owner_hub=hub,
                asker=person,
                broker=users["member"] if person is None else None,
                referred_to_programme=programme if person is None and level == Visibility.PRIVATE else None,
            )
            q.regions.set([region])
        t = Trajectory.objects.create(
            slug=f"sh-t-{next(_n)}",
            title=f"Traject {next(_n)}",
            area_process="Gebiedsproces",
            goal="Leren",
            started_on=datetime.date(2025, 1, 1),
            visibility=level,
            owner_hub=hub,
            created_by=person,
            facilitator=users["elsewhere"] if person is None else None,
        )
        t.regions.set([region])
        if person is not None:
            Participant.objects.create(trajectory=t, name="Deelnemer", background="practice", user=person)
        for trajectory in (None, t):
            for own_level in LEVELS:
                lesson = Lesson.objects.create(
                    slug=f"sh-l-{next(_n)}",
                    title=f"Les {next(_n)}",
                    insight="Inzicht",
                    date=datetime.date(2025, 3, 1),
                    visibility=own_level,
                    owner_hub=hub,
                    created_by=person,
                    trajectory=trajectory,
                )
                lesson.regions.set([region])


def test_question_trajectory_and_lesson_splits_make_up_their_whole_filters(
    ref: None, hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    from plek.brokering.models import Question
    from plek.brokering.permissions import question_q, question_split
    from plek.learning.models import Lesson, Trajectory
    from plek.learning.permissions import lesson_q, lesson_split, trajectory_q, trajectory_split

    users = _users(django_user_model, hub, other_hub)
    _roles_everywhere(users, [hub, other_hub], Region.objects.get(code="GM0363"))
    cases: list[tuple[type[Any], Any, Any]] = [
        (Question, question_q, question_split),
        (Trajectory, trajectory_q, trajectory_split),
        (Lesson, lesson_q, lesson_split),
    ]
    commons: dict[str, list[set[int]]] = {}
    for who, user in users.items():
        viewer = viewer_for(user)
        for model, full, split in cases:
            whole = set(model.objects.filter(full(viewer)).values_list("pk", flat=True))
            parts = split(viewer)
            if who in ("anonymous", "admin"):
                assert parts is None, (who, model)
                continue
            common, extra = (set(model.objects.filter(q).values_list("pk", flat=True)) for q in parts)
            assert not common & extra, (who, model)
            assert common | extra == whole, (who, model)
            assert extra, (who, model)  # everyone has personal grants on narrow rows here
            commons.setdefault(model.__name__, []).append(common)
            # and through a link table's foreign key, as the region page uses them
            links = model.regions.through.objects
            fk = model._meta.model_name
            linked = set(links.filter(full(viewer, prefix=f"{fk}__")).values_list(f"{fk}_id", flat=True))
            by_prefix = split(viewer, prefix=f"{fk}__")
            common_links = set(links.filter(by_prefix[0]).values_list(f"{fk}_id", flat=True))
            assert common_links == common and linked == whole, (who, model)
    for name, seen in commons.items():
        assert all(c == seen[0] for c in seen), name  # the common part is the same for all signed-in


@pytest.mark.parametrize("code", ["NL", "PV27", "GM0363"])
def test_region_sections_with_splits_equal_the_one_piece_sections(
    ref: None, hub: Hub, other_hub: Hub, django_user_model: Any, code: str
) -> None:
    """Open and answered questions, trajectories, lessons and indicators on the region page: for
    every viewer, the totals and the closest items are what the one-piece visibility filters give."""
    from plek.atlas.picture import region_sections
    from plek.brokering.models import Question
    from plek.brokering.permissions import question_q
    from plek.brokering.transitions import OPEN_STATES
    from plek.learning.models import Lesson, Trajectory
    from plek.learning.permissions import lesson_q, trajectory_q
    from plek.strategy.models import Indicator, Observation

    users = _users(django_user_model, hub, other_hub)
    _roles_everywhere(users, [hub, other_hub], Region.objects.get(code="GM0363"))
    for level, owner in itertools.product(LEVELS, [None, hub, other_hub]):
        indicator = Indicator.objects.create(
            slug=f"sh-i-{next(_n)}",
            name=f"Indicator {next(_n)}",
            unit="ha",
            visibility=level,
            owner_hub=owner,
        )
        Observation.objects.create(
            indicator=indicator, region=Region.objects.get(code="PV27"), year=2024, value=1
        )
    scope = region_scope(Region.objects.get(code=code))
    for who, user in users.items():
        viewer = viewer_for(user)
        sections = {s.key: s for s in region_sections(viewer=viewer, scope=scope)}
        one_piece: dict[str, tuple[Any, str, type[Any], str]] = {
            "questions_open": (
                Question.regions.through.objects.filter(
                    question_q(viewer, prefix="question__"), question__state__in=OPEN_STATES
                ),
                "question_id",
                Question,
                "title",
            ),
            "questions_answered": (
                Question.regions.through.objects.filter(
                    question_q(viewer, prefix="question__"), question__state__in=["answered", "closed"]
                ),
                "question_id",
                Question,
                "title",
            ),
            "trajectories": (
                Trajectory.regions.through.objects.filter(trajectory_q(viewer, prefix="trajectory__")),
                "trajectory_id",
                Trajectory,
                "title",
            ),
            "lessons": (
                Lesson.regions.through.objects.filter(lesson_q(viewer, prefix="lesson__")),
                "lesson_id",
                Lesson,
                "title",
            ),
            "indicators": (
                Observation.objects.filter(visible_q(viewer, prefix="indicator__")),
                "indicator_id",
                Indicator,
                "name",
            ),
        }
        for key, (links, entity, model, label) in one_piece.items():
            expected = scope.top(links, entity, 8)
            names = model.objects.in_bulk([eid for eid, _r in expected.rows])
            section = sections[key]
            assert section.total == expected.total, (who, key)
            assert [i.label for i in section.items] == [
                getattr(names[eid], label) for eid, _r in expected.rows
            ], (who, key)
            assert expected.total > 0, (who, key)


@pytest.mark.django_db(transaction=True)
def test_signals_and_decisions_are_one_cached_copy_for_everyone_outside_the_bodies(
    shared_cache: None, ref: None, hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    """Governance depends on the viewer only through body membership: a member, an outsider and an
    anonymous visitor share one computed copy; a body member sees the confidential decision."""
    from plek.accounts.models import BodyMembership
    from plek.atlas.picture import region_sections
    from plek.governance.tests.test_area_picture import decision, signal

    users = _users(django_user_model, hub, other_hub)
    BodyMembership.objects.create(user=users["elsewhere"], body=BodyMembership.Body.INITIATIVE)
    ams = Region.objects.get(code="GM0363")
    decision(signal([ams], title="Open signaal"))
    decision(signal([ams], title="Geheim signaal"), confidential=True)
    scope = region_scope(Region.objects.get(code="PV27"))

    def decisions(user: Any) -> tuple[int, list[str]]:
        section = next(
            s for s in region_sections(viewer=viewer_for(user), scope=scope) if s.key == "decisions"
        )
        return section.total, [i.label for i in section.items]

    assert decisions(None) == (1, ["Voorstel"])
    with CaptureQueriesContext(connection) as member_first:
        assert decisions(users["member"]) == (1, ["Voorstel"])
    with CaptureQueriesContext(connection) as outsider_first:
        assert decisions(users["outsider"]) == (1, ["Voorstel"])
    governance = [q["sql"] for q in outsider_first.captured_queries if "governance_" in q["sql"]]
    assert governance == [], governance  # the outsider's first visit computed no governance section
    assert len(outsider_first) <= len(member_first)
    assert decisions(users["elsewhere"])[0] == 2  # a body member: the confidential decision too


@pytest.mark.django_db(transaction=True)
def test_the_regions_of_a_scope_are_kept_per_process_until_an_atlas_write(
    shared_cache: None, ref: None
) -> None:
    nl = Region.objects.get(code="NL")
    pv27 = Region.objects.get(code="PV27")
    first = region_scope(nl)
    with CaptureQueriesContext(connection) as again:
        second = region_scope(nl)
    assert second.regions[pv27.pk] is first.regions[pv27.pk]  # the memo, no query for the regions
    assert not [q for q in again.captured_queries if "atlas_region" in q["sql"]]
    with transaction.atomic():
        pv27.name = "Noord-Holland (nieuw)"
        pv27.save()
        # inside the writing transaction the memo is not used: the write itself is seen
        assert region_scope(nl).regions[pv27.pk].name == "Noord-Holland (nieuw)"
    assert region_scope(nl).regions[pv27.pk].name == "Noord-Holland (nieuw)"  # after the commit too
    assert region_scope(Region.objects.get(code="GM0363")).regions[pv27.pk].name == "Noord-Holland (nieuw)"


@pytest.mark.django_db(transaction=True)
def test_the_shared_part_outlives_a_write_to_a_person_but_not_one_to_the_regions(
    shared_cache: None, ref: None, hub: Hub, other_hub: Hub, django_user_model: Any
) -> None:
    """The shared rows are (entity, region) pairs: a new person (an atlas write) leaves them cached;
    a region put under the province (a containment write) brings its knowledge into the province's
    picture at once."""
    from plek.atlas.picture import region_sections
    from plek.atlas.services import region_set_parents

    users = _users(django_user_model, hub, other_hub)
    utrecht = Region.objects.get(code="PV26")
    custom = Region.objects.create(code="EIGEN-TEST", name="Proefgebied", kind=Region.Kind.CUSTOM)
    item = KnowledgeItem.objects.create(slug="sh-area", kind="case", title="Kennis in het proefgebied")
    item.regions.set([custom])

    def knowledge(user: Any) -> tuple[int, list[str], int]:
        with CaptureQueriesContext(connection) as ctx:
            scope = region_scope(Region.objects.get(pk=utrecht.pk))
            section = next(
                s for s in region_sections(viewer=viewer_for(user), scope=scope) if s.key == "knowledge"
            )
        links = [q for q in ctx.captured_queries if "knowledgeitem_regions" in q["sql"]]
        return section.total, [i.label for i in section.items], len(links)

    before = knowledge(users["member"])[0]
    Person.objects.create(slug="sh-new-person", name="Nieuwe persoon")
    total, _labels, link_queries = knowledge(users["coordinator"])
    assert total == before
    assert link_queries == 1  # only the coordinator's own extra rows: the shared part came from the cache
    region_set_parents(region=custom, parents=[utrecht])
    total, labels, link_queries = knowledge(users["outsider"])
    assert total == before + 1 and "Kennis in het proefgebied" in labels
    assert link_queries == 2  # the shared part was ranked again
