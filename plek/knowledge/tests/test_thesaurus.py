"""The domain thesaurus (everyday words -> the terms reports use): its file parses, a phrase fires only
when all its words are in the text (as the index analyses them: stems and compound parts), and terms
the text already uses are not added again."""

from __future__ import annotations

from typing import Any

import pytest

from plek.knowledge.search import thesaurus
from plek.knowledge.search.thesaurus import Expansion, ThesaurusError, parse

SAMPLE = """# a comment
sloot wordt zout, brak water\tverzilting, zoutindringing
koeien heet\thittestress, melkvee
geen dak\tdakloosheid
net vol\tnetcongestie
"""


@pytest.fixture
def sample(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(thesaurus, "entries", lambda: tuple(parse(SAMPLE)))


def test_the_shipped_file_parses_and_covers_every_domain() -> None:
    thesaurus.entries.cache_clear()
    entries = thesaurus.entries()
    lines = [
        line
        for line in thesaurus.PATH.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) >= 300
    assert len(entries) >= len(lines)  # a line with two phrases gives two entries
    assert all(e.needs and e.terms for e in entries)
    # no phrase of one very generic word that would fire on almost any question
    generic = {"water", "boer", "geld", "gemeente", "huis", "probleem", "regio"}
    assert not [e.phrase for e in entries if e.phrase in generic]
    # nearly every line tells its situations (third column), sentences, not phrases that fire
    told = {e.terms: e.situations for e in entries}
    assert sum(1 for s in told.values() if len(s) >= 5) >= 0.9 * len(told)
    assert all(len(t.split()) >= 5 for s in told.values() for t in s)


def test_a_phrase_fires_only_when_all_its_words_are_there(sample: None) -> None:
    found = thesaurus.expand("Het water in onze sloot wordt steeds zouter")
    # "zouter" is not "zout" for the stemmer, so the first phrase does not fire
    assert found == []
    found = thesaurus.expand("Het water in onze sloot wordt zout, wat nu?")
    assert found == [Expansion(phrase="sloot wordt zout", terms=("verzilting", "zoutindringing"))]
    assert thesaurus.expand("Onze sloot is mooi") == []


def test_a_stopword_of_a_phrase_must_be_there_as_written(sample: None) -> None:
    assert thesaurus.expand("Ons dak lekt") == []
    assert thesaurus.expand("Hij heeft geen dak boven zijn hoofd") == [
        Expansion(phrase="geen dak", terms=("dakloosheid",))
    ]


def test_compound_parts_of_the_text_count(sample: None) -> None:
    # "net" is a part of "stroomnet"
    assert [e.phrase for e in thesaurus.expand("Het stroomnet zit vol bij ons")] == ["net vol"]
    assert thesaurus.expand("Het netwerk zit vol") == []  # "netwerk" is never split
    # "brakwater" holds both "brak" and "water" as parts
    assert [e.phrase for e in thesaurus.expand("Er komt brakwater in de polder")] == ["brak water"]


def test_terms_the_text_already_uses_are_not_added(sample: None) -> None:
    found = thesaurus.expand("Mijn koeien hebben het heet, is dat hittestress?")
    assert found == [Expansion(phrase="koeien heet", terms=("melkvee",))]
    assert thesaurus.expansion_text(found) == "melkvee"
    # a term is given once, under the first phrase that has it
    both = thesaurus.expand("De sloot wordt zout, het is brak water")
    assert [e.terms for e in both] == [("verzilting", "zoutindringing")]


@pytest.mark.parametrize(
    "bad",
    [
        "no tab here\n",
        "left\t\n",
        "\tright\n",
        "a\tb\tc\td\n",
    ],
)
def test_a_malformed_line_is_named(bad: str) -> None:
    with pytest.raises(ThesaurusError, match="line 2"):
        parse("# header\n" + bad)


def test_a_malformed_line_in_the_file_is_left_out_logged_and_reported_by_the_check(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An edit gone wrong costs that line, not matching: the rest still fires, the line is logged,
    and the system check (run before every command) names it."""
    from plek.knowledge import checks

    assert checks.check_thesaurus() == []  # the shipped file is clean
    broken = tmp_path / "thesaurus_nl.tsv"
    broken.write_text("# header\nsloot wordt zout verzilting\nkoeien heet\thittestress\n", encoding="utf-8")
    monkeypatch.setattr(thesaurus, "PATH", broken)
    thesaurus.entries.cache_clear()
    try:
        with caplog.at_level("WARNING", logger="plek.knowledge.search.thesaurus"):
            assert [e.phrase for e in thesaurus.expand("Mijn koeien hebben het heet")] == ["koeien heet"]
        assert "line 2" in caplog.text
        found = checks.check_thesaurus()
        assert [w.id for w in found] == ["plek.W011"] and "line 2" in found[0].msg
    finally:
        monkeypatch.undo()
        thesaurus.entries.cache_clear()


def _fired(text: str) -> list[str]:
    return [e.phrase for e in thesaurus.expand(text)]


def test_a_stem_never_matches_a_stopword_and_a_short_word_only_begins_a_word(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """ "bijen" stems to "bij", but "bij Kapelle" is no bee; "mer" (m.e.r.) is the stem of "meer" too,
    so a word of three letters matches only a word that begins with it or a compound part."""
    found = parse("bijen\tbestuivers\nmer\tmilieueffectrapportage\ndak\tdakisolatie\n")
    monkeypatch.setattr(thesaurus, "entries", lambda: tuple(found))
    assert _fired("Sinds de zomer zie ik bij Kapelle bruine bladeren") == []
    assert _fired("Er vliegen minder bijen langs de bloemen") == ["bijen"]
    assert _fired("Mijn moeder kan niet meer rijden") == []
    assert _fired("Is voor de windmolens een mer-beoordeling nodig?") == ["mer"]
    assert _fired("De daken lekken") == ["dak"]
    assert _fired("Er liggen dakpannen op straat") == ["dak"]  # a compound part


def test_the_words_of_a_phrase_must_stand_near_each_other(sample: None) -> None:
    assert _fired("Mijn koeien hebben het heet") == ["koeien heet"]
    far = "Mijn koeien staan in de wei, en wat ik daar van vind is een heet hangijzer in de raad"
    assert _fired(far) == []
    assert thesaurus.WINDOW == 6


NEAR = """koeien hitte, hittestress koeien\thittestress vee, stalklimaat
stroomnet vol, geen stroom\tnetcongestie, transportcapaciteit
"""


@pytest.fixture
def near_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    found = tuple(parse(NEAR))
    monkeypatch.setattr(thesaurus, "entries", lambda: found)


def test_a_line_fires_by_meaning_when_the_askers_words_fall_between_its_phrases(near_sample: None) -> None:
    text = "Mijn koeien hijgen als het heet is"
    assert thesaurus.expand(text) == []  # no phrase fires by its words ("heet" is not "hitte")
    found = thesaurus.near(text, floor=0.5, top=1)
    assert [(e.phrase, e.terms) for e in found] == [("koeien hitte", ("hittestress vee", "stalklimaat"))]
    assert found[0].near >= 0.5
    # the caller's vector of the whole text (matching has it) gives the same, encoded once less
    from plek.knowledge.search import embedding

    given = thesaurus.near(text, floor=0.5, top=1, whole=embedding.encode([text])[0])
    assert [(e.terms, round(e.near, 2)) for e in given] == [(e.terms, round(e.near, 2)) for e in found]
    power = thesaurus.near(
        "Ik krijg geen aansluiting op het elektriciteitsnet voor mijn loods", floor=0.0, top=1
    )
    assert power[0].terms == ("netcongestie", "transportcapaciteit")
    # the closest line first; a floor nothing reaches fires nothing
    both = thesaurus.near(text, floor=0.0, top=2)
    assert [e.terms[0] for e in both] == ["hittestress vee", "netcongestie"]
    assert both[0].near > both[1].near
    assert thesaurus.near(text, floor=2.01, top=5) == []  # the score is at most 1 + NEAR_WHOLE
    # terms the words already gave, or the text uses, are not given again
    fired = [Expansion(phrase="beesten", terms=("stalklimaat",))]
    assert thesaurus.near(text, floor=0.5, top=1, fired=fired)[0].terms == ("hittestress vee",)
    assert thesaurus.near(text + " in de stal, stalklimaat?", floor=0.5, top=1)[0].terms == (
        "hittestress vee",
    )


def test_the_phrases_are_embedded_once_and_read_from_disk_after(
    near_sample: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from plek.knowledge.search import embedding

    first = thesaurus.phrases()
    assert first.matrix.shape == (4, embedding.DIM)
    assert thesaurus.phrases() is first  # kept in memory while the entries stay the same
    files = list(thesaurus._cache_dir().glob("phrases-*.npy"))  # type: ignore[union-attr]
    assert files

    def no_encoder(texts: Any) -> Any:
        raise AssertionError("encoded again")

    monkeypatch.setattr(embedding, "encode", no_encoder)
    again = thesaurus._embed(thesaurus.entries())
    assert (again.matrix == first.matrix).all() and again.phrases == first.phrases
    # a damaged cache file is embedded anew
    for f in files:
        f.write_bytes(b"not numpy")
    monkeypatch.undo()
    monkeypatch.setattr(thesaurus, "entries", lambda: tuple(parse(NEAR)))
    assert (thesaurus._embed(thesaurus.entries()).matrix == first.matrix).all()


def test_a_stretch_sharing_a_word_is_not_enough_the_whole_question_counts_too(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A stretch "de dokter is weg" shares *weg* with "weg ondergelopen", and a stretch alone ranks that first;
    with the whole question counted too, the line about the doctor comes first."""
    found = tuple(
        parse(
            "weg ondergelopen, straat onder water\twateroverlast infrastructuur, afvoercapaciteit\n"
            "huisarts weg, geen dokter meer\thuisartsenzorg, eerstelijnszorg\n"
        )
    )
    monkeypatch.setattr(thesaurus, "entries", lambda: found)
    text = "De bakker en de dokter zijn weg bij ons. Bij ons in Oldambt sluit alles."
    assert thesaurus.near(text, floor=0.0, top=1)[0].terms[0] == "huisartsenzorg"
    monkeypatch.setattr(thesaurus, "NEAR_WHOLE", 0.0)
    assert thesaurus.near(text, floor=0.0, top=1)[0].terms[0] == "wateroverlast infrastructuur"


def test_a_phrase_scores_its_closest_stretch_plus_what_its_whole_line_is_about(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With thousands of phrases, some phrase of an unrelated line is always close to a question by a
    word or two; the whole question is therefore compared with the mean of the line's phrases, not
    with the one phrase."""
    import numpy as np

    from plek.knowledge.search import embedding

    found = tuple(
        parse(
            "hoeveel eten gooien we weg, eten in de container, houdbaarheidsdatum verlopen"
            "\tvoedselverspilling\n"
            "huisarts vertrekt, winkel dicht in het dorp, school gaat dicht\tvoorzieningenniveau\n"
        )
    )
    monkeypatch.setattr(thesaurus, "entries", lambda: found)
    text = "De bakker en de dokter zijn weg bij ons. Bij ons in Oldambt sluit alles."
    parts = thesaurus.stretches(text, thesaurus.NEAR_WINDOW)
    vecs = embedding.encode(parts)
    phrase_vecs = embedding.encode([e.phrase for e in found])
    expected = {}
    for line, rows in (("voedselverspilling", slice(0, 3)), ("voorzieningenniveau", slice(3, 6))):
        mean = phrase_vecs[rows].mean(axis=0)
        about = float(vecs[-1] @ (mean / np.linalg.norm(mean)))
        best = max(float((vecs @ v).max()) for v in phrase_vecs[rows])
        expected[line] = best + thesaurus.NEAR_WHOLE * about
    got = {e.terms[0]: e.near for e in thesaurus.near(text, floor=0.0, top=2)}
    assert got == pytest.approx(expected, abs=2e-3)


def test_the_lines_that_fired_come_once_each_with_the_vector_of_their_policy_terms(
    near_sample: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a fired line stands for in the words of reports: its policy terms embedded as one text,
    once per line however many of its phrases fired (by words or by meaning), cached on disk."""
    import numpy as np

    from plek.knowledge.search import embedding

    by_words = thesaurus.expand("Geen stroom voor mijn hal, het stroomnet is vol")
    assert len(by_words) == 1  # two phrases of one line fire; the line gives its terms once
    by_meaning = thesaurus.near("Mijn koeien hijgen als het heet is", floor=0.5, top=1)
    assert [e.phrase for e in by_meaning] == ["koeien hitte"]
    twice = [*by_words, *by_meaning, Expansion(phrase="stroomnet vol", terms=(), concept=by_words[0].concept)]
    fired, matrix = thesaurus.concepts(twice)
    assert [e.phrase for e in fired] == [by_words[0].phrase, "koeien hitte"]
    expected = embedding.encode(["netcongestie, transportcapaciteit", "hittestress vee, stalklimaat"])
    assert np.allclose(matrix, expected, atol=1e-5)
    # an expansion of no line of the file (or none at all): nothing
    assert thesaurus.concepts([Expansion(phrase="x", terms=("y",))]) == ([], None)
    assert thesaurus.concepts([]) == ([], None)
    assert list(thesaurus._cache_dir().glob("terms-*.npy"))  # type: ignore[union-attr]


def test_a_text_is_checked_against_the_lines_whose_first_word_it_holds_and_the_same_lines_fire(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`expand` looks only at the entries whose first need occurs in the text (a few hundred of the
    shipped file's 12,000), and gives exactly what checking every entry gives, over the evaluation
    questions; a changed list of entries is indexed anew."""
    import json
    from pathlib import Path

    thesaurus.entries.cache_clear()
    every = thesaurus.entries()
    folder = Path(__file__).resolve().parents[2] / "brokering" / "evaluation"  # its questions, as text
    texts = [
        f"{row['title']} {row['text']}"
        for name in ("questions.json", "mismatch_questions.json")
        for row in json.loads((folder / name).read_text(encoding="utf-8"))
    ]
    assert len(texts) >= 150

    class Everything(dict):  # type: ignore[type-arg]
        """An index that offers every entry for every word: checking them all."""

        def __contains__(self, need: object) -> bool:
            return True

        def __getitem__(self, need: str) -> range:
            return range(len(every))

    checked: list[int] = []
    near = thesaurus._near

    def counting(needs: tuple[str, ...], at: dict[str, list[int]]) -> bool:
        checked.append(1)
        return near(needs, at)

    fired = 0
    for text in texts:
        monkeypatch.setattr(thesaurus, "_near", counting)
        got = thesaurus.expand(text)
        monkeypatch.setattr(thesaurus, "_near", near)
        monkeypatch.setattr(thesaurus, "_by_first_need", lambda found: Everything())
        assert got == thesaurus.expand(text), text
        monkeypatch.undo()
        fired += len(got)
    assert fired >= 300
    assert len(checked) < len(texts) * len(every) / 20
    monkeypatch.setattr(thesaurus, "entries", lambda: tuple(parse(SAMPLE)))
    assert [e.phrase for e in thesaurus.expand("Het water in onze sloot wordt zout")] == ["sloot wordt zout"]


def test_a_lines_situations_never_fire_but_tell_by_meaning_what_it_is_about(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The third column: sentences in which people describe the situation. They are not phrases (no
    firing by their words, no nearest phrase); each counts SITUATION_WEIGHT times in the line's mean."""
    import numpy as np

    from plek.knowledge.search import embedding

    situation = "in de supermarkt gaan elke avond kratten brood en groente de container in"
    text = "Bij de supermarkt gaan elke avond kratten brood de container in"
    lines = (
        "voedsel verspillen, houdbaarheidsdatum verlopen\tvoedselverspilling\t" + situation + "\n"
        "dokter vertrekt, school gaat dicht\tvoorzieningenniveau\n"
    )
    found = tuple(parse(lines))
    assert found[0].situations == (situation,) and found[-1].situations == ()
    monkeypatch.setattr(thesaurus, "entries", lambda: found)
    assert thesaurus.expand(situation) == []  # its words fire nothing
    table = thesaurus.phrases()
    assert [p for _line, p in table.phrases] == [e.phrase for e in found]  # not a phrase itself
    vecs = embedding.encode(thesaurus.stretches(text, thesaurus.NEAR_WINDOW))
    phrase_vecs = embedding.encode([e.phrase for e in found])
    mean = phrase_vecs[0] + phrase_vecs[1] + thesaurus.SITUATION_WEIGHT * embedding.encode([situation])[0]
    best = float((vecs @ phrase_vecs[:2].T).max())
    expected = best + thesaurus.NEAR_WHOLE * float(vecs[-1] @ (mean / np.linalg.norm(mean)))
    with_situation = {e.terms[0]: e.near for e in thesaurus.near(text, floor=0.0, top=2)}
    assert with_situation["voedselverspilling"] == pytest.approx(expected, abs=2e-3)
    # without it, the line is further from the text: the situation moved its mean towards it
    bare = tuple(parse(lines.replace("\t" + situation, "")))
    monkeypatch.setattr(thesaurus, "entries", lambda: bare)
    without = {e.terms[0]: e.near for e in thesaurus.near(text, floor=0.0, top=2)}
    assert with_situation["voedselverspilling"] > without["voedselverspilling"] + 0.02
    assert with_situation["voorzieningenniveau"] == pytest.approx(without["voorzieningenniveau"], abs=1e-6)


def test_a_line_far_below_the_best_does_not_fire_by_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    """`gap`: only the lines scoring within it of the best line fire, whatever the floor and the top.
    A line that merely shares a word with the question ("weg") scores far below the one it is about."""
    found = tuple(
        parse(
            "huisarts weg, geen dokter meer in het dorp\thuisartsenzorg, eerstelijnszorg\n"
            "kroeg weg, café dicht\thoreca, dorpscafé\n"
            "weg ondergelopen, straat onder water\twateroverlast infrastructuur\n"
        )
    )
    monkeypatch.setattr(thesaurus, "entries", lambda: found)
    text = "Onze dokter is weg en nu moeten we twintig minuten rijden naar een huisarts"
    every = thesaurus.near(text, floor=0.0, top=3)
    scores = {e.terms[0]: e.near for e in every}
    names = list(scores)
    assert names[0] == "huisartsenzorg" and len(names) == 3
    first, second, third = scores.values()
    # a gap between the second and the third line's distance from the best keeps the first two
    gap = (first - second + first - third) / 2
    assert first - second < gap < first - third
    assert [e.terms[0] for e in thesaurus.near(text, floor=0.0, top=3, gap=gap)] == names[:2]
    # the gap only narrows: the floor and the top still hold, and no gap leaves all three
    assert [e.terms[0] for e in thesaurus.near(text, floor=0.0, top=1, gap=gap)] == ["huisartsenzorg"]
    assert thesaurus.near(text, floor=first + 0.01, top=3, gap=gap) == []
    assert [e.terms[0] for e in thesaurus.near(text, floor=0.0, top=3, gap=0.0)] == ["huisartsenzorg"]
    assert len(thesaurus.near(text, floor=0.0, top=3, gap=None)) == 3
