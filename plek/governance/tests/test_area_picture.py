"""An area's whole picture (region page), the map measures and a programme's regional picture: what
each app contributes through the hooks region_sections / map_measures / programme_parts (plek/platform/registry.py), with
visibility applied inside the queries and a fixed number of queries whatever the data size.

Lives in governance (the highest app it touches) so it may create rows of every lower app."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from plek.atlas.models import Hub, Programme, ProgrammeBudget, Region, Theme
from plek.atlas.permissions import viewer_for
from plek.atlas.picture import programme_picture, region_scope, region_sections
from plek.atlas.selectors import map_measure, region_overview
from plek.brokering.models import Question
from plek.core.models import Visibility
from plek.governance.models import Decision, Proposal, Signal
from plek.knowledge.models import KnowledgeItem
from plek.learning.models import Lesson, Trajectory
from plek.strategy.models import Indicator, Observation, Study, Target

pytestmark = pytest.mark.django_db

_n = itertools.count()


def _slug(prefix: str) -> str:
    return f"{prefix}-{next(_n)}"


def knowledge(regions: list[Region], visibility: str = Visibility.PUBLIC, **kw: Any) -> KnowledgeItem:
    item = KnowledgeItem.objects.create(
        slug=_slug("k"),
        kind="case",
        category="practice",
        title=kw.pop("title", "Kennis"),
        visibility=visibility,
        **kw,
    )
    item.regions.set(regions)
    return item


def question(
    regions: list[Region], state: str = "submitted", visibility: str = Visibility.PUBLIC, **kw: Any
) -> Question:
    q = Question.objects.create(
        slug=_slug("q"),
        title=kw.pop("title", "Vraag"),
        text="Wat weten we?",
        asker_role="practice",
        state=state,
        visibility=visibility,
        **kw,
    )
    q.regions.set(regions)
    return q


def trajectory(regions: list[Region], visibility: str = Visibility.PUBLIC, **kw: Any) -> Trajectory:
    t = Trajectory.objects.create(
        slug=_slug("t"),
        title=kw.pop("title", "Leertraject"),
        area_process="Gebiedsproces",
        goal="Leren",
        started_on=dt.date(2025, 1, 1),
        visibility=visibility,
        **kw,
    )
    t.regions.set(regions)
    return t


def lesson(regions: list[Region], visibility: str = Visibility.PUBLIC, **kw: Any) -> Lesson:
    les = Lesson.objects.create(
        slug=_slug("l"),
        title=kw.pop("title", "Les"),
        insight="Inzicht",
        date=dt.date(2025, 3, 1),
        visibility=visibility,
        **kw,
    )
    les.regions.set(regions)
    return les


def signal(regions: list[Region], **kw: Any) -> Signal:
    s = Signal.objects.create(kind="obstacle", title=kw.pop("title", "Signaal"), description="Knelpunt", **kw)
    s.regions.set(regions)
    return s


def decision(sig: Signal, *, confidential: bool = False) -> Decision:
    p = Proposal.objects.create(
        title="Voorstel" + (" (vertrouwelijk)" if confidential else ""),
        rationale="r",
        expected_effect="e",
        decision_requested="d",
        state="decided",
        confidential=confidential,
        confidential_reason="privacy" if confidential else "",
    )
    p.signals.set([sig])
    return Decision.objects.create(
        proposal=p,
        outcome="adopted",
        text="Besloten",
        confidential=confidential,
        confidential_reason="privacy" if confidential else "",
    )


def indicator(
    regions: list[Region], visibility: str = Visibility.PUBLIC, values: tuple[float, ...] = (1, 2, 3, 4, 5)
) -> Indicator:
    ind = Indicator.objects.create(
        slug=_slug("i"), name="Woningvoorraad", unit="woningen", visibility=visibility
    )
    for r in regions:
        Observation.objects.bulk_create(
            Observation(indicator=ind, region=r, year=2018 + i, value=v) for i, v in enumerate(values)
        )
        Target.objects.create(indicator=ind, region=r, year=2030, value=100)
    return ind


@pytest.fixture
def places(ref: None) -> dict[str, Region]:
    return {code: Region.objects.get(code=code) for code in ("NL", "PV27", "GM0363", "PV22", "GM0106")}


def _picture(user: Any, region: Region) -> dict[str, Any]:
    viewer = viewer_for(user)
    return {s.key: s for s in region_sections(viewer=viewer, scope=region_scope(region))}


# ---- the region page: every section, direct, via and within ------------------------------------------


def test_every_section_with_direct_via_and_within(places: dict[str, Region], hub: Hub) -> None:
    ams, nh, nl = places["GM0363"], places["PV27"], places["NL"]
    knowledge([ams], title="Kennis in Amsterdam")
    knowledge([nh], title="Kennis in Noord-Holland")
    question([ams], title="Open vraag")
    question([nh], state="answered", title="Beantwoorde vraag")
    trajectory([ams], title="Traject Amsterdam")
    lesson([nl], title="Les voor Nederland")
    indicator([nh])
    Study.objects.create(slug="s1", name="Studie Noord-Holland", region=nh)
    decision(signal([ams], title="Knelpunt Amsterdam"))

    sections = _picture(None, ams)
    assert list(sections) == [
        "knowledge",
        "questions_open",
        "questions_answered",
        "trajectories",
        "lessons",
        "indicators",
        "studies",
        "signals",
        "decisions",
    ]
    assert sections["knowledge"].total == 2
    direct, via = sections["knowledge"].items
    assert (direct.label, direct.how) == ("Kennis in Amsterdam", "direct")
    assert (via.label, via.how, via.via) == ("Kennis in Noord-Holland", "via", nh)
    assert sections["lessons"].items[0].how == "via"
    assert [r.code for r in sections["lessons"].items[0].through] == ["PV27", "NL"]
    assert sections["questions_open"].total == 1 and sections["questions_answered"].total == 1
    indicator_item = sections["indicators"].items[0]
    assert indicator_item.how == "via" and indicator_item.note == "niet op koers"  # 5 by 2030, target 100
    assert sections["studies"].items[0].label == "Studie Noord-Holland"
    assert sections["signals"].items[0].label == "Knelpunt Amsterdam"
    assert sections["decisions"].total == 1
    # seen from the province, Amsterdam's things lie within it
    from_nh = _picture(None, nh)
    assert any(i.how == "within" and i.via == ams for i in from_nh["knowledge"].items)


def test_region_page_renders_sections_counts_and_links(client: Any, places: dict[str, Region]) -> None:
    ams = places["GM0363"]
    for i in range(14):
        knowledge([ams], title=f"Kennisitem {i}")
    question([ams], title="Waar laten we het water?")
    response = client.get("/gebieden/GM0363/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="p-knowledge">Kennis <span class="plek-muted">(14)</span>' in html
    assert "Alle 14 bekijken" in html  # 12 shown of 14
    assert "/zoeken/?type=knowledge&amp;region=GM0363" in html
    assert "Waar laten we het water?" in html and "/vragen/?gebied=GM0363" in html


# ---- visibility: private things never shown nor counted ---------------------------------------------------

CAST = ("anonymous", "outsider", "member", "coordinator", "admin")


@pytest.mark.parametrize(
    ("visibility", "seen_by"),
    [
        (Visibility.PUBLIC, set(CAST)),
        (Visibility.MEMBERS, {"outsider", "member", "coordinator", "admin"}),
        (Visibility.HUB, {"member", "coordinator", "admin"}),
        (Visibility.PRIVATE, {"admin"}),
    ],
)
def test_visibility_matrix(
    places: dict[str, Region],
    hub: Hub,
    cast: dict[str, Any],
    django_user_model: Any,
    visibility: str,
    seen_by: set[str],
) -> None:
    ams = places["GM0363"]
    author = django_user_model.objects.create_user(username="author", password="x")
    own = {"owner_hub": hub, "created_by": author}
    knowledge([ams], visibility, **own)
    question([ams], visibility=visibility, **own)
    trajectory([ams], visibility, **own)
    lesson([ams], visibility, **own)
    ind = indicator([ams], visibility)
    Indicator.objects.filter(pk=ind.pk).update(owner_hub=hub, created_by=author)
    Study.objects.create(slug=_slug("s"), name="Studie", region=ams, visibility=visibility, **own)
    keys = ("knowledge", "questions_open", "trajectories", "lessons", "indicators", "studies")
    # whatever its visibility, a question and a trajectory are seen by the owning hub's coordinators
    # (they handle the question; they are members of the trajectory)
    handled = {"questions_open", "trajectories"}
    for who in CAST:
        sections = _picture(cast[who], ams)
        for key in keys:
            expected = 1 if who in seen_by or (who == "coordinator" and key in handled) else 0
            assert sections[key].total == expected, (who, key)
            assert len(sections[key].items) == expected, (who, key)


def test_confidential_decisions_only_for_the_bodies(places: dict[str, Region], cast: dict[str, Any]) -> None:
    from plek.accounts.models import BodyMembership

    ams = places["GM0363"]
    decision(signal([ams]), confidential=True)
    decision(signal([ams]))
    for who in ("anonymous", "outsider", "member", "coordinator"):
        assert _picture(cast[who], ams)["decisions"].total == 1, who
    assert _picture(cast["admin"], ams)["decisions"].total == 2
    BodyMembership.objects.create(user=cast["outsider"], body="initiative", role="member")
    fresh = type(cast["outsider"]).objects.get(pk=cast["outsider"].pk)  # roles are cached per user object
    assert _picture(fresh, ams)["decisions"].total == 2


def test_private_things_do_not_reach_the_page(client: Any, places: dict[str, Region], hub: Hub) -> None:
    ams = places["GM0363"]
    knowledge([ams], Visibility.PRIVATE, title="Geheim rapport", owner_hub=hub)
    question([ams], visibility=Visibility.HUB, title="Vraag van de hub", owner_hub=hub)
    html = client.get("/gebieden/GM0363/").content.decode()
    assert "Geheim rapport" not in html and "Vraag van de hub" not in html
    assert 'id="p-knowledge">Kennis <span class="plek-muted">(0)</span>' in html


# ---- a fixed number of queries --------------------------------------------------------------------------


def _fill(places: dict[str, Region], n: int) -> None:
    ams, nh = places["GM0363"], places["PV27"]
    for i in range(n):
        knowledge([ams if i % 2 else nh])
        question([ams], state="answered" if i % 3 else "submitted")
        trajectory([ams])
        lesson([nh])
        signal([ams])
        Study.objects.create(slug=_slug("s"), name=f"Studie {i}", region=nh)
    indicator([ams, nh])
    decision(signal([ams]))


def test_region_page_queries_do_not_grow_with_the_data(client: Any, places: dict[str, Region]) -> None:
    _fill(places, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/gebieden/GM0363/").status_code == 200
    _fill(places, 15)
    indicator([places["GM0363"]])
    with CaptureQueriesContext(connection) as large:
        assert client.get("/gebieden/GM0363/").status_code == 200
    assert len(large) == len(small)
    assert len(small) <= 45


def test_region_overview_query_count(places: dict[str, Region], django_assert_max_num_queries: Any) -> None:
    _fill(places, 12)
    viewer = viewer_for(None)
    with django_assert_max_num_queries(40):
        data = region_overview(viewer=viewer, region=places["GM0363"])
    assert data["picture"] and data["sections"]


# ---- map measures ------------------------------------------------------------------------------------------


def test_map_measures_count_within_and_respect_visibility(
    places: dict[str, Region], hub: Hub, cast: dict[str, Any]
) -> None:
    ams, nh, dr = places["GM0363"], places["PV27"], places["PV22"]
    knowledge([ams])
    knowledge([nh])
    knowledge([ams], Visibility.PRIVATE, owner_hub=hub)
    question([ams])
    question([ams], state="answered")
    ind = indicator([nh, dr], values=(1, 2, 3))
    anon, admin = viewer_for(None), viewer_for(cast["admin"])

    def values(viewer: Any, measure: str, option: str = "") -> dict[str, Any]:
        rows = map_measure(viewer=viewer, region_kind="province", measure=measure, option=option)
        return {r["region"].code: r["value"] for r in rows}

    assert values(anon, "knowledge")["PV27"] == 2
    assert values(admin, "knowledge")["PV27"] == 3
    assert values(anon, "knowledge")["PV22"] == 0
    assert values(anon, "open_questions")["PV27"] == 1
    by_indicator = values(anon, "indicator", ind.slug)
    assert by_indicator["PV27"] == 3 and by_indicator["PV22"] == 3 and by_indicator["PV20"] is None
    Indicator.objects.filter(pk=ind.pk).update(visibility=Visibility.PRIVATE)
    assert values(anon, "indicator", ind.slug)["PV27"] is None


def test_map_page_measures_and_attribution(client: Any, places: dict[str, Region]) -> None:
    from plek.atlas.boundaries import FIXTURE, boundaries_import

    boundaries_import(FIXTURE, tolerance=0)
    ind = indicator([places["PV27"]])
    response = client.get(f"/kaart/?maat=indicator&keuze={ind.slug}&soort=province")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Grenzen: CBS/Kadaster, CC BY 4.0" in html
    assert 'id="map"' in html and "Woningvoorraad (woningen)" in html
    for measure in ("busyness", "knowledge", "open_questions", "networks"):
        assert client.get(f"/kaart/?maat={measure}&soort=municipality").status_code == 200
    assert client.get("/kaart/?maat=nonsense&soort=nowhere").status_code == 200  # falls back, no 500


# ---- a programme's regional picture ------------------------------------------------------------------------


@pytest.fixture
def programme(ref: None) -> Programme:
    water = Theme.objects.get(slug="water-bodem")
    prog = Programme.objects.create(slug="prog-test", name="Programma Test")
    prog.themes.set([water])
    return prog


def test_programme_picture_by_province_with_visibility(
    places: dict[str, Region], programme: Programme, hub: Hub, cast: dict[str, Any]
) -> None:
    water = programme.themes.get()
    ams, nh, dr_town = places["GM0363"], places["PV27"], places["GM0106"]
    q1 = question([ams], title="Water in Amsterdam")
    q1.themes.set([water])
    q2 = question([dr_town], state="answered", title="Water in Assen")
    q2.themes.set([water])
    question([ams], referred_to_programme=programme, title="Doorverwezen")
    secret = question([ams], visibility=Visibility.PRIVATE, owner_hub=hub, title="Geheim")
    secret.themes.set([water])
    question([ams], title="Over iets anders")  # another theme: not counted
    k = knowledge([nh])
    k.themes.set([water])
    t = trajectory([dr_town])
    t.programmes.set([programme])
    t.agenda_items.create(
        number=1,
        text="Leervraag",
        barrier="Regels botsen",
        opened_on=dt.date(2025, 1, 1),
        changed_on=dt.date(2025, 1, 1),
    )
    les = lesson([ams], trajectory=t)
    s = signal([nh])
    s.themes.set([water])
    knowledge([places["NL"]]).themes.set([water])

    picture = programme_picture(viewer=viewer_for(None), programme=programme)
    rows = {r["region"].code: r["values"] for r in picture["rows"]}
    assert rows["PV27"] == {
        "questions": 2,
        "answers": 0,
        "lessons": 1,
        "barriers": 0,
        "signals": 1,
        "knowledge": 1,
    }
    assert rows["PV22"] == {
        "questions": 1,
        "answers": 1,
        "lessons": 0,
        "barriers": 1,
        "signals": 0,
        "knowledge": 0,
    }
    assert picture["national"]["knowledge"] == 1
    assert les.pk
    admin_rows = {
        r["region"].code: r["values"]
        for r in programme_picture(viewer=viewer_for(cast["admin"]), programme=programme)["rows"]
    }
    assert admin_rows["PV27"]["questions"] == 3  # the private question counts only for those who may see it


def test_programme_page_shows_picture_and_budget(
    client: Any, places: dict[str, Region], programme: Programme, cast: dict[str, Any]
) -> None:
    ProgrammeBudget.objects.create(
        programme=programme, amount_eur=1_500_000_000, source="Kamerbrief", year=None
    )
    ProgrammeBudget.objects.create(
        programme=programme, amount_eur=20_000_000, year=2025, source="Begroting 2025"
    )
    ProgrammeBudget.objects.create(
        programme=programme,
        amount_eur=7_000_000,
        year=2025,
        region=places["PV27"],
        source="Regiodeal",
        public=False,
    )
    html = client.get("/programmas/prog-test/").content.decode()
    assert "Regionaal beeld per provincie" in html
    assert "€ 1.500.000.000" in html and "Begroting 2025" in html
    assert "Regiodeal" not in html  # not public: administrators only
    api = client.get("/api/v1/programmes/prog-test/budget").json()
    assert sorted(line["amountEur"] for line in api["lines"]) == [20_000_000, 1_500_000_000]
    assert {line["source"] for line in api["lines"]} == {"Kamerbrief", "Begroting 2025"}
    assert all(line["public"] for line in api["lines"])
    client.force_login(cast["admin"])
    assert "Regiodeal" in client.get("/programmas/prog-test/").content.decode()
    assert len(client.get("/api/v1/programmes/prog-test/budget").json()["lines"]) == 3


def test_programme_page_queries_do_not_grow(
    client: Any, places: dict[str, Region], programme: Programme
) -> None:
    water = programme.themes.get()

    def add(n: int) -> None:
        for _i in range(n):
            question([places["GM0363"]]).themes.set([water])
            knowledge([places["PV22"]]).themes.set([water])
            signal([places["PV27"]]).themes.set([water])
            ProgrammeBudget.objects.create(
                programme=programme, amount_eur=1, source="x", region=places["PV27"]
            )

    add(1)
    with CaptureQueriesContext(connection) as small:
        client.get("/programmas/prog-test/")
    add(10)
    with CaptureQueriesContext(connection) as large:
        client.get("/programmas/prog-test/")
    assert len(large) == len(small)


@pytest.mark.django_db(transaction=True)
def test_a_members_programme_picture_is_kept_until_a_write_and_stays_their_own(
    shared_cache: None, places: dict[str, Region], programme: Programme, hub: Hub, cast: dict[str, Any]
) -> None:
    """A signed-in viewer's programme picture is cached per person: a repeat visit computes no part,
    a write shows at once, and a hub-only question shows only to members of its hub."""
    from plek.atlas.models import HubMembership

    water = programme.themes.get()
    question([places["GM0363"]], title="Openbaar").themes.set([water])
    question([places["GM0363"]], visibility=Visibility.HUB, owner_hub=hub, title="Hubvraag").themes.set(
        [water]
    )
    member, outsider = cast["member"], cast["outsider"]
    assert HubMembership.objects.filter(user=member, hub=hub).exists()

    def questions(user: Any) -> int:
        picture = programme_picture(viewer=viewer_for(user), programme=programme)
        return next(p.total for p in picture["parts"] if p.key == "questions")

    with CaptureQueriesContext(connection) as first:
        assert questions(member) == 2
    with CaptureQueriesContext(connection) as again:
        assert questions(member) == 2
    assert not [q for q in again.captured_queries if "brokering_question" in q["sql"]]
    assert len(again) < len(first)
    assert questions(outsider) == 1  # another person: their own copy, without the hub's question
    question([places["PV22"]], title="Nieuw").themes.set([water])
    assert questions(member) == 3 and questions(outsider) == 2


def test_busyness_shows_budgets_near_the_area(
    client: Any, places: dict[str, Region], programme: Programme
) -> None:
    programme.regions.set([places["PV27"]])
    ProgrammeBudget.objects.create(
        programme=programme, amount_eur=5_000_000, year=2026, region=places["PV27"], source="Bron NH"
    )
    ProgrammeBudget.objects.create(
        programme=programme, amount_eur=9_000_000, year=2026, region=places["PV22"], source="Bron DR"
    )
    html = client.get("/gebieden/GM0363/drukte/").content.decode()
    assert "Bron NH" in html and "€ 5.000.000" in html
    assert "Bron DR" not in html  # money for another province is not this area's
