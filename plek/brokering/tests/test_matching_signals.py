"""Fair signals (issue 15): partial theme credit between parent and child, guessed themes as weak
evidence, areas graded with COROP/RES containment and "Nederland" neutral, an off-topic item in the
right area kept low, process themes in the taxonomy, and the "gaat over hetzelfde" reason for a
candidate found by meaning alone."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.utils import translation
from django.utils.text import slugify

from plek.atlas.models import Region, RegionContainment, Theme
from plek.atlas.tests.factories import PersonFactory
from plek.brokering import matching
from plek.brokering.matching import MatchInput, rank
from plek.knowledge import vectors
from plek.knowledge.indexing import reindex
from plek.knowledge.models import KnowledgeItem
from plek.knowledge.search import thesaurus


def item(title: str, summary: str, *, region: str, themes: tuple[str, ...] = ()) -> KnowledgeItem:
    obj = KnowledgeItem.objects.create(
        slug=slugify(title)[:100], title=title, summary=summary, kind="report", category="research"
    )
    obj.regions.set([Region.objects.get(code=region)])
    obj.themes.set(Theme.objects.filter(slug__in=themes))
    return obj


def test_theme_credit_gives_parents_partial_credit_and_does_not_dilute(ref: None) -> None:
    matching.theme_table_clear()
    assert matching.theme_credit(["waterberging"], ["waterberging", "water-bodem"]) == 1.0
    assert matching.theme_credit(["waterberging"], ["water-bodem"]) == pytest.approx(matching.PARENT_CREDIT)
    assert matching.theme_credit(["waterberging"], ["stikstof"]) == 0.0
    # a second question theme the candidate lacks costs little, not half
    assert matching.theme_credit(["waterberging", "stikstof"], ["waterberging"]) == pytest.approx(0.875)
    assert matching.theme_credit([], ["waterberging"]) == 0.0


def test_process_themes_exist_with_english_labels(ref: None) -> None:
    labels = dict(
        Theme.objects.filter(
            slug__in=[
                "samenwerking-governance",
                "uitvoeringskracht",
                "kennis-leren",
                "financiering",
                "participatie",
            ]
        ).values_list("slug", "label_en")
    )
    assert len(labels) == 5 and all(labels.values())


def test_every_corop_and_res_region_contains_municipalities(ref: None) -> None:
    for kind in (Region.Kind.COROP_REGION, Region.Kind.RES_REGION):
        regions = Region.objects.filter(kind=kind)
        assert regions.count() >= 30
        for region in regions:
            assert RegionContainment.objects.filter(
                parent=region, kind=RegionContainment.Kind.CONTAINS
            ).exists(), region.code
    twente = Region.objects.get(kind=Region.Kind.COROP_REGION, name="Twente")
    enschede = RegionContainment.objects.get(parent=twente, child__code="GM0153")
    assert enschede.verified  # COROP from CBS
    assert not RegionContainment.objects.get(
        parent__kind=Region.Kind.RES_REGION, child__code="GM0153"
    ).verified


@pytest.fixture
def twente(ref: None) -> dict[str, Any]:
    inside = item(
        "Droogte op de zandgronden van Enschede",
        "Grondwater en beregening in een droge zomer.",
        region="GM0153",
        themes=("hitte-droogte",),
    )
    national = item(
        "Droogte op de zandgronden: landelijke aanpak",
        "Grondwater en beregening in een droge zomer, voor heel Nederland.",
        region="NL",
        themes=("hitte-droogte",),
    )
    off_topic = item(
        "Woningbouw in Enschede",
        "Nieuwe starterswoningen in de binnenstad.",
        region="GM0153",
        themes=("woningbouw",),
    )
    reindex()
    return {"inside": inside, "national": national, "off_topic": off_topic}


def test_picking_a_corop_region_lifts_what_lies_inside_it(twente: dict[str, Any]) -> None:
    corop = Region.objects.get(kind=Region.Kind.COROP_REGION, name="Twente")
    text = "droogte zandgronden grondwater beregening"
    scope = matching.region_scope([corop])
    assert scope.relation.get("GM0153") == "narrower"
    picked = rank(MatchInput(text=text, regions=[corop], themes=[]), viewer=None)
    assert picked.items[0].id == twente["inside"].pk
    assert any("binnen" in r for r in picked.items[0].reasons)
    # the off-topic item in the area does not come before the national one on the topic
    ids = [c.id for c in picked.items]
    if twente["off_topic"].pk in ids:
        assert ids.index(twente["national"].pk) < ids.index(twente["off_topic"].pk)


def test_nederland_is_neutral(twente: dict[str, Any]) -> None:
    nl = Region.objects.get(code="NL")
    text = "droogte zandgronden grondwater beregening"
    assert matching.region_scope([nl]).relation == {}
    with_nl = rank(MatchInput(text=text, regions=[nl], themes=[]), viewer=None)
    without = rank(MatchInput(text=text, regions=[], themes=[]), viewer=None)
    assert [c.id for c in with_nl.items] == [c.id for c in without.items]


def test_guessed_themes_count_less_than_chosen_ones(twente: dict[str, Any]) -> None:
    text = "droogte zandgronden grondwater beregening"
    chosen = rank(MatchInput(text=text, regions=[], themes=["hitte-droogte"]), viewer=None)
    guessed = rank(MatchInput(text=text, regions=[], themes=[]), viewer=None)
    score = {c.id: c.score for c in chosen.items}
    weak = {c.id: c.score for c in guessed.items}
    assert weak[twente["inside"].pk] < score[twente["inside"].pk]


def heat_report() -> KnowledgeItem:
    """A report on heat stress in dairy cattle in policy words, beside an item on another topic (not
    indexed yet)."""
    heat = item(
        "Warmtebelasting bij melkvee",
        "Ventilatie, verneveling en beschaduwing in de stal tegen een verminderde melkgift bij rundvee.",
        region="NL",
    )
    item("Woningbouw in kleine kernen", "Starterswoningen en levensloopbestendig bouwen.", region="NL")
    return heat


@pytest.fixture
def no_thesaurus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Words as the asker wrote them, without the thesaurus's terms."""
    monkeypatch.setattr(thesaurus, "entries", lambda: ())


@pytest.fixture
def koeien_thesaurus(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = thesaurus.parse("koeien hijgen, koeien heet\thittestress, warmtebelasting, melkvee\n")
    monkeypatch.setattr(thesaurus, "entries", lambda: tuple(entries))


def test_a_candidate_found_by_meaning_says_what_it_is_about(ref: None, no_thesaurus: None) -> None:
    heat = heat_report()
    reindex()
    found = rank(
        MatchInput(text="Mijn koeien hijgen als het heet is en geven minder", regions=[], themes=[]),
        viewer=None,
    )
    top = found.items[0]
    assert top.id == heat.pk
    assert not any(r.startswith("deelt de woorden") for r in top.reasons)
    assert any(r.startswith("gaat over hetzelfde: „") for r in top.reasons), top.reasons
    # words only: nothing shares a word, so nothing is found
    lexical = rank(
        MatchInput(text="Mijn koeien hijgen als het heet is en geven minder", regions=[], themes=[]),
        viewer=None,
        hybrid=False,
    )
    assert heat.pk not in [c.id for c in lexical.items]


def test_a_person_found_by_meaning_is_never_said_to_be_about_their_name(
    ref: None, no_thesaurus: None
) -> None:
    """A person's title is their name, and the encoder reads meaning into names ("de Boer" is close to
    a farmer's question): "gaat over hetzelfde" quotes what they know, or nothing."""
    short = expert("Bram de Boer", "Stalklimaat", region="NL", theme="hitte-droogte")
    text = "Mijn koeien hijgen als het heet is en geven minder"
    reindex()
    qvec = vectors.query_vector(text)
    # found by meaning alone (no shared word), close enough for the reason, its name the closest text
    assert vectors.similarity(qvec, [f"person:{short.pk}"])[f"person:{short.pk}"] >= matching.MEANING_REASON
    found = rank(MatchInput(text=text, regions=[], themes=[]), viewer=None)
    (person,) = [c for c in found.people if c.id == short.pk]
    assert not any(r.startswith("deelt de woorden") for r in person.reasons)
    # nothing of the short profile is worth quoting, and the name is no substitute
    assert not any("Bram de Boer" in r for r in person.reasons), person.reasons


@pytest.mark.parametrize("hybrid", [True, False])
def test_the_thesaurus_finds_a_report_in_policy_words_and_says_so(
    ref: None, koeien_thesaurus: None, hybrid: bool
) -> None:
    """An everyday question ("mijn koeien hijgen") shares no word with a report on warmtebelasting
    bij melkvee; the thesaurus's terms find it by words, with or without meaning, and the reason names
    the term and the everyday phrase it stands for."""
    heat = heat_report()
    other = item("Melkvee en weidegang", "Beweiding op veenweide en de melkprijs.", region="NL")
    reindex()
    found = rank(
        MatchInput(text="Mijn koeien hijgen als het heet is en geven minder", regions=[], themes=[]),
        viewer=None,
        hybrid=hybrid,
    )
    ids = [c.id for c in found.items]
    assert heat.pk in ids and other.pk in ids
    if not hybrid:  # by words alone: two of the thesaurus's terms against one
        assert ids[:2] == [heat.pk, other.pk]
    shown = found.items[ids.index(heat.pk)]
    assert "gebruikt het vakwoord warmtebelasting, melkvee voor „koeien hijgen”" in shown.reasons
    assert not any(r.startswith("deelt de woorden") for r in shown.reasons)
    # without the thesaurus, words alone find neither
    thesaurus_off = matching.THESAURUS_WEIGHT
    try:
        matching.THESAURUS_WEIGHT = 0.0
        plain = rank(
            MatchInput(text="Mijn koeien hijgen als het heet is en geven minder", regions=[], themes=[]),
            viewer=None,
            hybrid=False,
        )
    finally:
        matching.THESAURUS_WEIGHT = thesaurus_off
    assert heat.pk not in [c.id for c in plain.items]


def test_a_thesaurus_line_close_in_meaning_finds_the_report_and_says_so(
    ref: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The question "Mijn koeien hijgen als het heet is" fires no phrase by its words ("heet" is not "hitte"), but
    "koeien hitte" is close in meaning: its terms find the report, and the reason says the phrase was
    like the asker's, not theirs. Words alone (no encoder) do not."""
    found_entries = tuple(thesaurus.parse("koeien hitte\twarmtebelasting, melkvee\n"))
    monkeypatch.setattr(thesaurus, "entries", lambda: found_entries)
    heat = heat_report()
    reindex()
    question = MatchInput(text="Mijn koeien hijgen als het heet is", regions=[], themes=[])
    assert thesaurus.expand(question.text) == []
    found = rank(question, viewer=None)
    top = found.items[0]
    assert top.id == heat.pk
    assert "gebruikt het vakwoord warmtebelasting, melkvee voor iets als „koeien hitte”" in top.reasons
    with translation.override("en"):
        english = rank(question, viewer=None).items[0].reasons
    assert "uses the term warmtebelasting, melkvee for something like “koeien hitte”" in english
    # off: no such reason; words alone: not found at all
    monkeypatch.setattr(matching, "NEAR_TOP", 0)
    assert not any("voor iets als" in r for c in rank(question, viewer=None).items for r in c.reasons)
    monkeypatch.undo()
    monkeypatch.setattr(thesaurus, "entries", lambda: found_entries)
    assert heat.pk not in [c.id for c in rank(question, viewer=None, hybrid=False).items]


def test_a_thesaurus_line_far_below_the_best_one_does_not_fire(
    ref: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Of the lines close in meaning, only those within NEAR_GAP of the best fire: a line about
    something else ("kroeg dicht" for a question about cows in the heat) adds no terms and finds
    nothing by them, however low the floor."""
    found_entries = tuple(
        thesaurus.parse("koeien hitte\twarmtebelasting, melkvee\nkroeg dicht\thoreca, dorpscafé\n")
    )
    monkeypatch.setattr(thesaurus, "entries", lambda: found_entries)
    heat = heat_report()
    pub = item(
        "Het dorpscafé en de horeca op het platteland", "Sluiting van cafés in kleine kernen.", region="NL"
    )
    reindex()
    question = MatchInput(text="Mijn koeien hijgen als het heet is", regions=[], themes=[])
    monkeypatch.setattr(matching, "NEAR_FLOOR", 0.0)
    scores = {e.terms[0]: e.near for e in thesaurus.near(question.text, floor=0.0, top=2)}
    assert scores["warmtebelasting"] - scores["horeca"] > matching.NEAR_GAP  # far below the best

    def like(found: Any) -> dict[int, list[str]]:
        return {c.id: [r for r in c.reasons if "voor iets als" in r] for c in found.items}

    gapped = like(rank(question, viewer=None))
    assert gapped[heat.pk] and not gapped.get(pub.pk)  # the café is not found by the thesaurus
    monkeypatch.setattr(matching, "NEAR_GAP", None)  # without the gap, both lines fire
    both = like(rank(question, viewer=None))
    assert both[heat.pk] and both.get(pub.pk) == [
        "gebruikt het vakwoord horeca, dorpscafé voor iets als „kroeg dicht”"
    ]


def test_the_area_counts_only_for_relevant_candidates_and_by_distance(ref: None) -> None:
    """The area signal: nothing for a candidate relevant neither in words nor in meaning (an off-topic
    item that merely lies in the chosen province), graded by distance otherwise; "Nederland" as the
    country around a chosen area counts least."""
    from plek.knowledge.search.base import SearchHit

    province = Region.objects.get(code="PV23")  # Overijssel
    scope = matching.region_scope([province])

    def pooled(region: str, text: float = 0.0, meaning: float = 0.0, found_by_meaning: bool = False) -> Any:
        hit = SearchHit(
            key="knowledge:1",
            type="knowledge",
            id=1,
            slug="x",
            title="x",
            score=text,
            snippet="",
            regions=[region],
            themes=[],
            date=None,
            kind="report",
            scale="",
        )
        return matching._Pooled(hit=hit, text=text, meaning=meaning, found_by_meaning=found_by_meaning)

    area = matching.WEIGHTS["region"]
    words = matching.WEIGHTS["text"]
    assert matching._signals(pooled("PV23"), scope, frozenset()) == 0.0  # off-topic: no area credit
    assert matching._signals(pooled("PV23", text=0.5), scope, frozenset()) == pytest.approx(
        words * 0.5 + area
    )
    inside = matching._signals(pooled("GM0153", meaning=0.5), scope, frozenset())
    country = matching._signals(pooled("NL", meaning=0.5), scope, frozenset())
    direct = matching._signals(pooled("PV23", meaning=0.5), scope, frozenset())
    assert direct > inside > country > matching._signals(pooled("PV29", meaning=0.5), scope, frozenset())
    # Found among the nearest in meaning, though below the pool's median similarity (its rescaled
    # meaning 0): relevant, as a candidate sharing a word is; words-only scoring has no such thing.
    near = pooled("PV23", found_by_meaning=True)
    assert matching._signals(near, scope, frozenset()) == pytest.approx(area)
    assert matching._signals(near, scope, frozenset(), hybrid=False) == 0.0


MONEY = "Er is geen geld voor het nieuwe speelveld. Hoe komen we aan budget?"


def test_theme_closeness_ranks_themes_by_meaning(ref: None) -> None:
    matching.theme_table_clear()
    closeness = matching.theme_closeness(vectors.query_vector(MONEY))
    assert max(closeness, key=closeness.__getitem__) == "financiering"
    assert closeness["financiering"] == 1.0
    # only the themes above the median count, each in (0, 1]
    assert 0 < len(closeness) <= Theme.objects.count() // 2
    assert all(0 < v <= 1 for v in closeness.values())
    assert matching.theme_closeness(None) == {}


def expert(name: str, expertise: str, *, region: str, theme: str) -> Any:
    return PersonFactory(
        name=name,
        expertise=expertise,
        regions=[Region.objects.get(code=region)],
        themes=list(Theme.objects.filter(slug=theme)),
        visibility="public",
        expertise_visibility="public",
    )


@pytest.fixture
def money_experts(ref: None) -> dict[str, Any]:
    finance = expert(
        "Fenna Fonds",
        "Verdienmodellen, revolverende fondsen, subsidieregelingen en cofinanciering.",
        region="NL",
        theme="financiering",
    )
    village = expert(
        "Dirk Dorpshuis",
        "Dorpshuizen, voorzieningen en vrijwilligerswerk in kleine kernen.",
        region="PV23",
        theme="leefbaarheid",
    )
    # what the collection holds on playing fields is about liveability, so that is the theme guessed
    for n in (1, 2):
        item(
            f"Een nieuw speelveld in de wijk ({n})",
            "Ontwerp en onderhoud van een speelveld voor kinderen in de buurt.",
            region="PV23",
            themes=("leefbaarheid",),
        )
    reindex()
    matching.theme_table_clear()
    return {"finance": finance, "village": village}


def test_a_persons_theme_close_in_meaning_counts_when_the_asker_chose_none(
    money_experts: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    enschede = [Region.objects.get(code="GM0153")]
    found = rank(MatchInput(text=MONEY, regions=enschede, themes=[]), viewer=None)
    assert "financiering" not in matching._suggested_slugs(MONEY, None, None, 3, vectors.query_vector(MONEY))
    people = [c.id for c in found.people]
    finance, village = money_experts["finance"].pk, money_experts["village"].pk
    # the national expert on financing comes before the provincial one who is nearer the area
    assert people.index(finance) < people.index(village)
    top = found.people[0]
    assert any(r.startswith("werkt aan het thema Financiering") for r in top.reasons), top.reasons
    with translation.override("en"):
        english = rank(MatchInput(text=MONEY, regions=enschede, themes=[]), viewer=None).people[0]
    theme = Theme.objects.get(slug="financiering")
    label = theme.label_en or theme.label_nl  # as the theme picker shows it
    assert f"works on the theme {label}, which is close in meaning to the question" in english.reasons
    # without the closeness in meaning, the financing expert loses exactly that weak theme credit
    # (the guessed theme, liveability, already gave the other expert full credit)
    score = {c.id: c.score for c in found.people}
    monkeypatch.setattr(matching, "THEME_CLOSENESS_KINDS", frozenset())
    plain = rank(MatchInput(text=MONEY, regions=enschede, themes=[]), viewer=None).people
    before = {c.id: c.score for c in plain}
    lift = matching.WEIGHTS["theme"] * matching.GUESSED_THEMES
    assert score[finance] - before[finance] == pytest.approx(lift, abs=1e-3)
    assert score[village] == pytest.approx(before[village], abs=1e-4)
    assert not any(r.startswith("werkt aan het thema") for c in plain for r in c.reasons)


def test_the_askers_own_themes_are_not_overruled_by_closeness(
    money_experts: dict[str, Any], no_thesaurus: None
) -> None:
    # (without the thesaurus: its funding terms would find the finance expert by words, which is
    # not what this is about)
    enschede = [Region.objects.get(code="GM0153")]
    chosen = rank(MatchInput(text=MONEY, regions=enschede, themes=["leefbaarheid"]), viewer=None)
    assert chosen.people[0].id == money_experts["village"].pk
    assert not any(r.startswith("werkt aan het thema") for c in chosen.people for r in c.reasons)
    # words only: no meaning, so no closeness either
    lexical = rank(MatchInput(text=MONEY, regions=enschede, themes=[]), viewer=None, hybrid=False)
    assert not any(r.startswith("werkt aan het thema") for c in lexical.people for r in c.reasons)


def test_an_expert_in_the_area_is_a_candidate_though_many_elsewhere_are_closer_in_meaning(
    ref: None, no_thesaurus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At national scale an area's expert is one of thousands close in meaning: besides the nearest
    over the whole country, the nearest within the question's area are candidates too (as the
    people who may be seen; the country itself is no area)."""
    question = "Het water in onze sloten smaakt naar de zee en de fruitbomen krijgen bruine bladeren"
    elsewhere = [
        expert(f"Expert {n}", text, region=code, theme="waterkwaliteit")
        for n, (text, code) in enumerate(
            [
                ("Verzilting van sloten en zout grondwater bij fruitteelt.", "PV27"),
                ("Zoutschade aan fruitbomen door brak slootwater.", "PV28"),
                ("Zilt water in sloten en schade aan boomgaarden.", "NL"),
            ]
        )
    ]
    zeeland = expert(
        "Zeeuwse hydroloog",
        "Chloridemonitoring en onttrekkingsbeleid in polders.",
        region="PV29",
        theme="waterkwaliteit",
    )
    hidden = expert(
        "Verborgen hydroloog", "Chloridemonitoring in Zeeuwse polders.", region="PV29", theme="waterkwaliteit"
    )
    hidden.visibility = "hub"
    hidden.save()
    # the area of a person counts only where their areas may be seen (then the search document has
    # them); here they may, unlike the other experts'
    for person in (zeeland, hidden):
        person.regions_visibility = "public"
        person.save()
    reindex()
    kapelle = [Region.objects.get(code="GM0678")]
    monkeypatch.setattr(matching, "DENSE_POOL", {**matching.DENSE_POOL, "person": 2})

    def people() -> list[int]:
        return [c.id for c in rank(MatchInput(text=question, regions=kapelle, themes=[]), viewer=None).people]

    found = people()
    assert zeeland.pk in found and hidden.pk not in found
    assert {e.pk for e in elsewhere} <= set(found)
    # it shares no word with the question; without the area's own nearest it is no candidate
    lexical = rank(MatchInput(text=question, regions=kapelle, themes=[]), viewer=None, hybrid=False)
    assert zeeland.pk not in [c.id for c in lexical.people]
    monkeypatch.setattr(matching, "DENSE_POOL_SCOPED", {**matching.DENSE_POOL_SCOPED, "person": 0})
    assert zeeland.pk not in people()


def test_what_the_askers_words_and_the_thesaurus_terms_both_find_adds_up(
    ref: None, koeien_thesaurus: None
) -> None:
    """A report the asker's own words find and the thesaurus's terms find too is confirmed twice: its
    text signal is the sum of the two (each relative to the best of its own query), at most 1."""
    both = item("Koeien en warmtebelasting", "Hittestress bij koeien op warme dagen.", region="NL")
    terms_only = heat_report()  # "Warmtebelasting bij melkvee": only the thesaurus's terms
    words_only = item("Koeien in de wei", "Weidegang van koeien.", region="NL")
    reindex()
    text = "Mijn koeien hijgen als het heet is"
    expanded = thesaurus.expansion_text(thesaurus.expand(text))
    assert expanded
    scope = matching.region_scope([])
    pooled = {
        p.hit.id: p
        for p in matching._retrieve(text, None, ["knowledge"], scope, [], None, None, (), expanded)
    }

    def relative(query: str, **kw: Any) -> dict[int, float]:
        hits = matching._query(query, None, ["knowledge"], **kw)
        top = max(h.score for h in hits)
        return {h.id: h.score / top for h in hits}

    words = relative(text, limit=matching.POOL)
    terms = relative(expanded, limit=matching.POOL_THESAURUS, max_terms=None)
    assert both.pk in words and both.pk in terms
    assert pooled[both.pk].text == pytest.approx(min(1.0, words[both.pk] + terms[both.pk]))
    assert pooled[both.pk].text > max(words[both.pk], terms[both.pk])
    assert pooled[terms_only.pk].text == pytest.approx(terms[terms_only.pk])
    assert pooled[terms_only.pk].by_thesaurus and not pooled[words_only.pk].by_thesaurus
    assert pooled[words_only.pk].text == pytest.approx(words[words_only.pk])


def test_what_the_thesaurus_terms_mean_finds_a_report_in_still_other_words_and_says_so(
    ref: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "De sloot achter ons huis wordt zout" fires *verzilting, zoutindringing*; a report on
    chloride in polder water uses neither those terms nor the asker's words. The question's vector
    moved towards what the fired line stands for finds it (the nearest to the question alone are
    switched off here), and the reason names the terms, the phrase and the report's closest sentence."""
    found_entries = tuple(thesaurus.parse("sloot wordt zout, brak water\tverzilting, zoutindringing\n"))
    monkeypatch.setattr(thesaurus, "entries", lambda: found_entries)
    report = item(
        "Chloridegehalte in kustpolders",
        "Metingen van chloride in het oppervlaktewater van de Zeeuwse kustpolders.",
        region="NL",
    )
    item("Woningbouw in kleine kernen", "Starterswoningen en levensloopbestendig bouwen.", region="NL")
    item("Fietspaden langs provinciale wegen", "Veilige fietsroutes voor scholieren.", region="NL")
    # found by the asker's words, and closer to the question alone than the report
    ditch = item("De sloot achter het huis", "Wie onderhoudt de sloot achter ons huis?", region="NL")
    item("Een huis aan het water", "Wonen langs een sloot of vaart.", region="NL")
    reindex()
    question = MatchInput(text="De sloot achter ons huis wordt zout", regions=[], themes=[])
    monkeypatch.setattr(matching, "DENSE_POOL", {**matching.DENSE_POOL, "knowledge": 0})
    monkeypatch.setattr(matching, "DENSE_POOL_CONCEPT", {**matching.DENSE_POOL_CONCEPT, "knowledge": 1})
    found = rank(question, viewer=None)
    ids = [c.id for c in found.items]
    assert report.pk in ids and ditch.pk in ids
    reasons = found.items[ids.index(report.pk)].reasons
    assert not any(r.startswith(("deelt de woorden", "gebruikt het vakwoord")) for r in reasons), reasons
    assert (
        "gaat over hetzelfde als de vakwoorden verzilting, zoutindringing voor „sloot wordt zout”: "
        "„Chloridegehalte in kustpolders”"
        in reasons
        or "gaat over hetzelfde als de vakwoorden verzilting, zoutindringing voor „sloot wordt zout”: "
        "„Metingen van chloride in het oppervlaktewater van de Zeeuwse kustpolders.”"
        in reasons
    ), reasons
    with translation.override("en"):
        english = next(c for c in rank(question, viewer=None).items if c.id == report.pk).reasons
    assert any(
        r.startswith("is about the same as the terms verzilting, zoutindringing for “sloot") for r in english
    )
    # without that search it is no candidate; nor by words alone
    monkeypatch.setattr(matching, "DENSE_POOL_CONCEPT", {**matching.DENSE_POOL_CONCEPT, "knowledge": 0})
    assert report.pk not in [c.id for c in rank(question, viewer=None).items]
    assert report.pk not in [c.id for c in rank(question, viewer=None, hybrid=False).items]


def test_the_meaning_signal_is_the_larger_of_the_questions_and_the_fired_terms_each_rescaled(
    ref: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each candidate's closeness to the question and to the question moved towards the fired terms,
    less its crowding, are rescaled within the pool (median 0, best 1); the meaning signal is the
    larger, the second times CONCEPT_MEANING."""
    import numpy as np

    found_entries = tuple(thesaurus.parse("sloot wordt zout\tverzilting, zoutindringing\n"))
    monkeypatch.setattr(thesaurus, "entries", lambda: found_entries)
    for n, (title, summary) in enumerate(
        [
            ("Chloridegehalte in kustpolders", "Metingen van chloride in oppervlaktewater."),
            ("Slootonderhoud door bewoners", "Maaien en baggeren van sloten achter het huis."),
            ("Woningbouw in kleine kernen", "Starterswoningen en levensloopbestendig bouwen."),
            ("Zoet water voor de fruitteelt", "Beregening en waterbuffers op het perceel."),
            ("Fietspaden langs provinciale wegen", "Veilige fietsroutes voor scholieren."),
        ]
    ):
        item(title, summary, region="NL", themes=("water-bodem",) if n % 2 else ())
    reindex()
    text = "De sloot achter ons huis wordt zout"
    qvec = vectors.query_vector(text)
    fired = thesaurus.concepts(thesaurus.expand(text))
    cvec = matching._concept_query(qvec, fired[1])
    concept = fired[1][0] / np.linalg.norm(fired[1][0])
    expected_c = qvec + matching.CONCEPT_ALPHA * concept
    assert np.allclose(cvec, expected_c / np.linalg.norm(expected_c), atol=1e-5)
    expanded = thesaurus.expansion_text(thesaurus.expand(text))
    pooled = matching._retrieve(
        text, None, ["knowledge"], matching.region_scope([]), [], None, qvec, (), expanded, "", cvec
    )
    assert len(pooled) == 5

    def rescaled(values: list[float]) -> list[float]:
        ordered = sorted(values)
        top, low = ordered[-1], max(0.0, min(ordered[len(ordered) // 2], ordered[-1] - matching.MEANING_SPAN))
        return [max(0.0, (v - low) / (top - low)) for v in values]

    crowd = vectors.crowding([p.hit.key for p in pooled], matching.CROWDING)
    assert len(crowd) == 5 and all(v > 0 for v in crowd.values())
    by_q = rescaled([vectors.similarity(qvec, [p.hit.key])[p.hit.key] - crowd[p.hit.key] for p in pooled])
    by_c = rescaled([vectors.similarity(cvec, [p.hit.key])[p.hit.key] - crowd[p.hit.key] for p in pooled])
    for p, q, c in zip(pooled, by_q, by_c, strict=True):
        assert p.meaning == pytest.approx(max(q, matching.CONCEPT_MEANING * c), abs=1e-5)
        assert p.by_concept == (matching.CONCEPT_MEANING * c > q)
    assert any(p.by_concept for p in pooled) and not all(p.by_concept for p in pooled)


TWENTE_TOWNS = ("Almelo", "Hengelo", "Enschede", "Oldenzaal", "Borne", "Rijssen")


def test_near_duplicates_take_one_place_in_the_pool_by_meaning_and_are_shown_after_different_ones(
    ref: None, no_thesaurus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One lesson published for six towns (cosine ~0.97 to each other) fills a pool by meaning of 3;
    passed over as near-duplicates, the pool reaches a report that shares no word with the question.
    In the ranking the copies after the first come after the different documents and say which one
    they resemble; words only ranks them as before."""
    family = [
        item(
            f"Lessen over netcongestie ({town})",
            "Ondernemers op bedrijventerreinen wachten op een aansluiting op het elektriciteitsnet. De"
            " netbeheerder, de gemeente en de ondernemers delen de schaarse capaciteit met een"
            " energiehub en slim laden.",
            region="PV23",
        )
        for town in TWENTE_TOWNS
    ]
    report = item(
        "Wachtlijst voor een zwaardere aansluiting",
        "Ondernemingen die groeien wachten jaren op extra transportcapaciteit; de capaciteitskaart laat"
        " zien waar nog ruimte is.",
        region="PV23",
    )
    item("Kaas maken op de boerderij", "Een boer in Friesland verkoopt zijn kaas in het dorp.", region="PV22")
    reindex()
    monkeypatch.setattr(matching, "DENSE_POOL", {**matching.DENSE_POOL, "knowledge": 3})
    monkeypatch.setattr(matching, "DENSE_POOL_SCOPED", {**matching.DENSE_POOL_SCOPED, "knowledge": 0})
    monkeypatch.setattr(matching, "DENSE_POOL_CONCEPT", {**matching.DENSE_POOL_CONCEPT, "knowledge": 0})
    question = MatchInput(
        text="Ons bedrijf wil uitbreiden maar krijgt geen stroom van de netbeheerder", regions=[], themes=[]
    )
    copies = {obj.pk for obj in family}

    found = rank(question, viewer=None, limit=20).items
    ids = [c.id for c in found]
    assert report.pk in ids and copies <= set(ids)
    first = next(i for i, c in enumerate(found) if c.id in copies)
    later = [c for c in found[first + 1 :] if c.id in copies]
    assert len(later) == 5
    # every different document comes before the second copy
    second = ids.index(later[0].id)
    assert all(c.id in copies for c in found[second:])
    shown_first = found[first].title
    assert all(f"lijkt sterk op „{shown_first}”, hoger in de lijst" in c.reasons for c in later)
    assert not any("lijkt sterk op" in r for c in found[:second] for r in c.reasons)

    # without passing over near-duplicates and without crowding, the pool of 3 holds copies only; the
    # report shares no word with the question, so it is no candidate
    monkeypatch.setattr(matching, "DISTINCT_POOLS", frozenset())
    crowding = matching.CROWDING
    monkeypatch.setattr(matching, "CROWDING", {})
    assert report.pk not in [c.id for c in rank(question, viewer=None, limit=20).items]
    # crowding alone reaches it too: each copy's five nearest others are copies (cosine ~0.97)
    monkeypatch.setattr(matching, "CROWDING", crowding)
    assert report.pk in [c.id for c in rank(question, viewer=None, limit=20).items]
    # words only: no vectors, nothing collapsed
    lexical = rank(question, viewer=None, limit=20, hybrid=False).items
    assert not any("lijkt sterk op" in r for c in lexical for r in c.reasons)
    assert {c.id for c in lexical[:6]} == copies


def test_a_family_of_near_duplicates_votes_once_in_the_theme_guess(
    ref: None, no_thesaurus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The themes guessed from the best items: six copies of one lesson (tagged with an unrelated
    theme here) count as one item, so two different reports outvote them."""
    for town in TWENTE_TOWNS:
        item(
            f"Lessen over netcongestie ({town})",
            "Ondernemers op bedrijventerreinen wachten op een aansluiting op het elektriciteitsnet. De"
            " netbeheerder, de gemeente en de ondernemers delen de schaarse capaciteit.",
            region="PV23",
            themes=("defensie",),
        )
    item(
        "Wachtlijst bij de netbeheerder voor ondernemers",
        "Ondernemers die uitbreiden wachten jaren op een zwaardere aansluiting op het elektriciteitsnet.",
        region="PV23",
        themes=("netcongestie",),
    )
    item(
        "Capaciteitskaart van het elektriciteitsnet",
        "Waar de netbeheerder nog ruimte heeft voor ondernemers die willen uitbreiden.",
        region="PV23",
        themes=("netcongestie",),
    )
    reindex()
    text = "Ons bedrijf wil uitbreiden maar de netbeheerder heeft geen ruimte op het elektriciteitsnet"
    assert matching.suggest_themes(text)[0].slug == "netcongestie"
    monkeypatch.setattr(matching, "DISTINCT", 1.01)  # nothing counts as a near-duplicate
    assert matching.suggest_themes(text)[0].slug == "defensie"


def hydrologist_among(generalists: list[str]) -> Any:
    """An expert on salt water among generalists (all national, on water quality), indexed."""
    hydrologist = expert(
        "Hydroloog kustzone",
        "Chloridemonitoring, zoutindringing en verzilting in polders en kustgebieden.",
        region="NL",
        theme="waterkwaliteit",
    )
    for n, text in enumerate(generalists):
        expert(f"Generalist {n}", text, region="NL", theme="waterkwaliteit")
    reindex()
    return hydrologist


def one_person_by_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the one person nearest to the question and the one nearest to the best items' mean are
    found by meaning (no concept query)."""
    monkeypatch.setattr(matching, "DENSE_POOL", {**matching.DENSE_POOL, "person": 1})
    monkeypatch.setattr(matching, "DENSE_POOL_CONCEPT", {**matching.DENSE_POOL_CONCEPT, "person": 0})
    monkeypatch.setattr(matching, "ITEM_LED_POOL", 1)


def test_people_are_also_found_near_what_the_best_items_say(
    ref: None, no_thesaurus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lay question finds the report by meaning; the expert who works in the report's terms shares
    no word with the question and is not among the people nearest to it, but is nearest to the best
    items' mean vector: found by meaning, with that closeness (less crowding, rescaled within the pool)
    as their meaning signal where it is larger. Without it (ITEM_LED_MEANING 0) they are no candidate.
    (Each best item on its own, ITEM_EACH, is off here: see the next test.)"""
    import numpy as np

    monkeypatch.setattr(matching, "ITEM_EACH", 0)

    report = item(
        "Verzilting van sloten in de kustpolders",
        "Zout grondwater dringt de sloten in; chloride schaadt de fruitteelt en de beregening.",
        region="NL",
    )
    item("Fietspaden langs provinciale wegen", "Veilige fietsroutes voor scholieren.", region="NL")
    hydrologist = hydrologist_among(
        [
            "Smaak en geur van water: wat proeft u en waarom.",
            "Onze zee, stranden en het leven onder water.",
            "Tuinieren met kinderen: bomen, bladeren en seizoenen.",
        ]
    )
    one_person_by_meaning(monkeypatch)
    question = MatchInput(text="Het water in onze sloot smaakt naar de zee", regions=[], themes=[])
    qvec = vectors.query_vector(question.text)
    nearest_to_question = vectors.nearest(qvec, ["person"], ["public"], 1, crowding=matching.CROWDING)
    assert nearest_to_question[0][0].id != hydrologist.pk

    found = rank(question, viewer=None)
    assert found.items[0].id == report.pk
    assert hydrologist.pk in [c.id for c in found.people]

    # the pool itself: what the best items say, and the meaning signal that follows from it
    ivec = matching._item_vectors(found.items)
    best = vectors.vectors_of([f"knowledge:{c.id}" for c in found.items[: matching.ITEM_LED]]).mean(axis=0)
    assert ivec.shape == (1, best.shape[0])
    assert np.allclose(ivec[0], best / np.linalg.norm(best), atol=1e-6)
    plain = matching._retrieve(question.text, None, ["person"], matching.region_scope([]), [], None, qvec, ())
    led = matching._retrieve(
        question.text, None, ["person"], matching.region_scope([]), [], None, qvec, (), ivec=ivec
    )
    assert hydrologist.pk not in [p.hit.id for p in plain]
    by_key = {p.hit.key: p for p in led}
    assert by_key[f"person:{hydrologist.pk}"].found_by_meaning
    crowd = vectors.crowding(list(by_key), matching.CROWDING)
    sims = vectors.similarity(ivec[0], list(by_key))
    rescaled = matching._rescaled([sims[k] - crowd[k] for k in by_key])
    before = {p.hit.key: p.meaning for p in plain}
    for (key, p), value in zip(by_key.items(), rescaled, strict=True):
        assert p.meaning == pytest.approx(max(before.get(key, 0.0), value), abs=1e-6)
    assert by_key[f"person:{hydrologist.pk}"].meaning == pytest.approx(1.0)

    monkeypatch.setattr(matching, "ITEM_LED_MEANING", 0.0)
    assert hydrologist.pk not in [c.id for c in rank(question, viewer=None).people]


def test_people_are_also_found_near_each_of_the_best_items_on_its_own(
    ref: None, no_thesaurus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The best items are a report on salt water and two on rural buses. Their mean lies nearer the
    buses, so the expert on salt water is not the person nearest to it; nearest to the salt report
    alone, they are found (ITEM_EACH), with their closeness to the best of the items (the
    second counting 1 - ITEM_EACH_DECAY), less crowding and rescaled within the pool, as their
    meaning signal where it is larger. Without the items on their own they are no candidate."""
    import numpy as np

    salt = item(
        "Verzilting van sloten in de kustpolders",
        "Zout grondwater dringt de sloten in; chloride schaadt de fruitteelt en de beregening.",
        region="NL",
    )
    bus = item(
        "Buurtbussen en vervoer op afroep in dunbevolkte dorpen",
        "Vrijwilligers rijden de buurtbus; de lijnbus is verdwenen uit de kleine kernen.",
        region="NL",
    )
    bus_too = item(
        "Deelauto's en buurtbussen: mobiliteit op het platteland",
        "Waar de lijnbus verdween, rijden dorpsbewoners elkaar en de buurtbus naar de stad.",
        region="NL",
    )
    hydrologist = hydrologist_among(
        [
            "Kustdorpen: zout water in de sloten en buurtbussen die niet meer rijden.",
            "Water en wegen in de provincie: beheer en onderhoud.",
            "Vervoer op afroep en de buurtbus in kleine kernen.",
        ]
    )
    one_person_by_meaning(monkeypatch)
    monkeypatch.setattr(matching, "DENSE_POOL_SCOPED", {**matching.DENSE_POOL_SCOPED, "person": 0})
    monkeypatch.setattr(matching, "ITEM_EACH_POOL", 1)
    monkeypatch.setattr(matching, "ITEM_EACH_DECAY", 0.5)
    question = MatchInput(text="Ons dorp ligt achter de dijk en alles wordt anders", regions=[], themes=[])
    qvec = vectors.query_vector(question.text)
    vecs = vectors.vectors_of([f"knowledge:{salt.pk}", f"knowledge:{bus.pk}"])
    mean = vectors.vectors_of([f"knowledge:{i.pk}" for i in (salt, bus, bus_too)]).mean(axis=0)
    mean /= np.linalg.norm(mean)
    ivec = np.vstack([mean, vecs]).astype(np.float32)
    hkey = f"person:{hydrologist.pk}"
    assert vectors.nearest(mean, ["person"], ["public"], 1, crowding=matching.CROWDING)[0][0].key != hkey
    assert vectors.nearest(vecs[0], ["person"], ["public"], 1, crowding=matching.CROWDING)[0][0].key == hkey

    def pool(vectors_of_items: Any) -> dict[str, Any]:
        scope = matching.region_scope([])
        found = matching._retrieve(
            question.text, None, ["person"], scope, [], None, qvec, (), ivec=vectors_of_items
        )
        return {p.hit.key: p for p in found}

    mean_only = pool(ivec[:1])
    assert hkey not in mean_only
    by_key = pool(ivec)
    assert by_key[hkey].found_by_meaning
    # the meaning signal: the largest of the question's, the mean's and the best of the items' (the
    # second counting half); with the salt report second, the hydrologist's closeness counts half
    plain = {key: p.meaning for key, p in pool(None).items()}
    for order in ([0, 1], [1, 0]):
        items_now = np.vstack([mean, vecs[order]]).astype(np.float32)
        by_key = pool(items_now)
        keys = list(by_key)
        crowd = vectors.crowding(keys, matching.CROWDING)
        sims = vectors.similarity(mean, keys)
        led = matching._rescaled([sims[k] - crowd[k] for k in keys])
        closeness = ((vectors.vectors_of(keys) @ vecs[order].T) * np.array([1.0, 0.5])).max(axis=1)
        each = matching._rescaled([float(c) - crowd[k] for k, c in zip(keys, closeness, strict=True)])
        for key, a, b in zip(keys, led, each, strict=True):
            assert by_key[key].meaning == pytest.approx(max(plain.get(key, 0.0), a, b), abs=1e-5)
        assert max(led[keys.index(hkey)], plain.get(hkey, 0.0)) < 1.0
        if order == [0, 1]:
            assert by_key[hkey].meaning == pytest.approx(1.0)
        else:
            assert by_key[hkey].meaning < 0.9


def test_items_close_to_the_best_items_count_as_close_in_meaning(
    ref: None, no_thesaurus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report on chloride under the polders shares no word with "het water in onze sloot smaakt
    naar de zee" and is not close to it, but it is close to the best item, on salt ditches: with
    ITEMS_NEAR_BEST its meaning signal is its closeness to the best two items (the second counting
    1 - ITEMS_NEAR_BEST_DECAY; an item's closeness to itself not counted), less crowding and
    rescaled within the pool, where that is larger, and its score follows; it then ranks above an
    item on beaches that was closer to the question. Without the rule it ranks below it."""
    import numpy as np

    salt = item(
        "Verzilting van sloten in de kustpolders",
        "Zout water in de sloten: de smaak van de zee in het water voor de fruitteelt.",
        region="NL",
    )
    chloride = item(
        "Verzilting in de kustpolders: het chloridegehalte van de percelen",
        "Chloride gemeten in drainage en grondwater van de kustpolders; verzilting bedreigt de fruitteelt.",
        region="NL",
    )
    beach = item(
        "Strandsuppleties en duinen",
        "Zand voor de stranden als de zeespiegel stijgt; zwemmen in zee blijft veilig.",
        region="NL",
    )
    for n, text in enumerate(["Fietspaden langs provinciale wegen", "Zonnepanelen op sportvelden"]):
        item(f"{text} ({n})", f"{text}: ervaringen van gemeenten.", region="NL")
    reindex()
    question = MatchInput(text="Het water in onze sloot smaakt naar de zee", regions=[], themes=[])

    def order(near_best: int) -> list[int]:
        monkeypatch.setattr(matching, "ITEMS_NEAR_BEST", near_best)
        return [c.id for c in rank(question, viewer=None).items]

    without, with_rule = order(0), order(2)
    assert without[0] == with_rule[0] == salt.pk
    assert without.index(chloride.pk) > without.index(beach.pk)
    assert with_rule.index(chloride.pk) < with_rule.index(beach.pk)

    # the arithmetic, on the candidates themselves
    qvec = vectors.query_vector(question.text)
    scope, themes = matching.region_scope([]), frozenset[str]()
    pooled = matching._retrieve(question.text, None, ["knowledge"], scope, [], None, qvec, ())
    cands = [
        matching._Scored(
            pooled=p, score=matching._signals(p, scope, themes, True, True, None), extra=[], key=p.hit.key
        )
        for p in pooled
    ]
    before = {c.key: (c.pooled.meaning, c.score) for c in cands}
    best = [c.key for c in matching._top(list(cands), 2, collapse=True)]
    monkeypatch.setattr(matching, "ITEMS_NEAR_BEST_DECAY", 0.5)
    matching._near_best_items(cands, scope, themes, True, None)
    keys = [c.key for c in cands]
    close = vectors.vectors_of(keys) @ vectors.vectors_of(best).T
    for j, key in enumerate(best):
        close[keys.index(key), j] = -1.0
    crowd = vectors.crowding(keys, matching.CROWDING)
    nearest = (close * np.array([1.0, 0.5])).max(axis=1)
    expected = matching._rescaled([float(v) - crowd[k] for k, v in zip(keys, nearest, strict=True)])
    for c, value in zip(cands, expected, strict=True):
        meaning, score = before[c.key]
        assert c.pooled.meaning == pytest.approx(max(meaning, value), abs=1e-5)
        assert c.score == pytest.approx(
            score
            + matching._signals(c.pooled, scope, themes, True, True, None)
            - matching._signals(
                dataclasses.replace(c.pooled, meaning=meaning), scope, themes, True, True, None
            ),
            abs=1e-6,
        )
    assert {c.pooled.hit.key: c.pooled for c in cands}[f"knowledge:{chloride.pk}"].meaning > before[
        f"knowledge:{chloride.pk}"
    ][0]
    # the pool's own signals were replaced, not changed (pools may be shared)
    assert [p.meaning for p in pooled] == [before[p.hit.key][0] for p in pooled]


def test_a_candidate_sharing_a_word_only_inside_its_own_compounds_counts_less(
    ref: None, no_thesaurus: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "plannen" is a part of *beplantingsplannen* and *participatieplannen*: such a profile is found
    by the word, but shares a part of a word, not the word. Its words score counts PART_ONLY times;
    a profile with "plannen" itself keeps its score and now ranks above it."""
    parts = expert(
        "Bea Beplanting",
        "Beplantingsplannen, participatieplannen en wijkplannen voor dorpen.",
        region="NL",
        theme="landschap",
    )
    whole = expert(
        "Wim Uitvoering",
        "Van nota naar straat: plannen die echt worden uitgevoerd.",
        region="NL",
        theme="uitvoeringskracht",
    )
    reindex()
    text = "We hebben mooie plannen maar er gebeurt niks"
    scope = matching.region_scope([])

    def pooled() -> dict[int, Any]:
        return {p.hit.id: p for p in matching._retrieve(text, None, ["person"], scope, [], None, None, ())}

    def people() -> list[int]:
        return [
            c.id
            for c in rank(
                MatchInput(text=text, regions=[], themes=[]), viewer=None, limit=10, hybrid=False
            ).people
        ]

    monkeypatch.setattr(matching, "PART_ONLY", 1.0)
    before, order_before = pooled(), people()
    monkeypatch.setattr(matching, "PART_ONLY", 0.25)
    after, order_after = pooled(), people()
    assert before[parts.pk].text > 0 and before[whole.pk].text > 0
    assert after[parts.pk].text == pytest.approx(0.25 * before[parts.pk].text)
    assert after[whole.pk].text == pytest.approx(before[whole.pk].text)
    assert order_before.index(parts.pk) < order_before.index(whole.pk)  # three compounds outweighed one word
    assert order_after.index(whole.pk) < order_after.index(parts.pk)
    # only for the kinds named: groups and earlier questions keep their words score
    monkeypatch.setattr(matching, "PART_ONLY_KINDS", frozenset({"knowledge"}))
    assert pooled()[parts.pk].text == pytest.approx(before[parts.pk].text)
