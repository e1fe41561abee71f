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
        "a\tb\tc\n",
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
