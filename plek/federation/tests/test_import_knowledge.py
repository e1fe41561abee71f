"""`plek import knowledge FILE`: same form and service as the pages, line + field errors, dry run,
all-or-nothing, --keep-going, de-duplication by DOI/handle/URL."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from plek.core.models import ChangeLog
from plek.knowledge.models import KnowledgeItem

HEADER = "title,kind,summary,themes,regions,doi,handle,url,visibility,owner_hub,date"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: Any) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("import", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue()


def fails(*args: Any) -> CommandError:
    with pytest.raises(CommandError) as info:
        run(*args)
    return info.value


GOOD = (
    f"{HEADER}\n"
    "Waterberging in de polder,publication,Hoe boeren water bergen,water-bodem;klimaatadaptatie,"
    "PV27;GM0363,https://doi.org/10.1234/ABC.1,,,public,kennishub-test,2025-03-01\n"
    "Stikstof en natuurherstel,report,,stikstof,,,1874/12345,,members,,\n"
    '"Wonen, zorg en dorp",case,,wonen-en-zorg,,,,https://example.org/dorp/,public,,\n'
)


def test_valid_csv_creates_items_with_themes_regions_history_and_normalised_doi(
    tmp_path: Path, hub: Any
) -> None:
    out = run("knowledge", write(tmp_path, "kennis.csv", GOOD))
    assert "Imported 3 knowledge rows from kennis.csv: 3 created, 0 updated." in out
    item = KnowledgeItem.objects.get(title="Waterberging in de polder")
    assert item.doi == "10.1234/abc.1"
    assert item.provenance == "imported"
    assert item.category == "research"
    assert sorted(item.themes.values_list("slug", flat=True)) == ["klimaatadaptatie", "water-bodem"]
    assert sorted(item.regions.values_list("code", flat=True)) == ["GM0363", "PV27"]
    assert item.owner_hub == hub
    assert str(item.date) == "2025-03-01"
    assert KnowledgeItem.objects.get(title="Stikstof en natuurherstel").visibility == "members"
    assert ChangeLog.objects.filter(source="import", action="create").count() == 3


def test_errors_name_line_and_field_and_nothing_is_saved(tmp_path: Path, hub: Any) -> None:
    text = (
        f"{HEADER}\n"
        "Goed item,publication,,,,,,,public,,\n"
        ",publication,,,,,,,public,,\n"  # no title
        "Slecht gebied,report,,,XX999,,,,public,,\n"
        "Slecht soort,podcast,,onbekend-thema,,,,,public,,\n"
    )
    err = fails("knowledge", write(tmp_path, "k.csv", text))
    message = str(err)
    assert "line 3, field title" in message
    assert "line 4, field regions" in message
    assert "line 5, field kind" in message
    assert "line 5, field themes" in message
    assert "Nothing was imported" in message
    assert not KnowledgeItem.objects.exists()


def test_keep_going_saves_the_valid_rows_and_reports_the_rest(tmp_path: Path, hub: Any) -> None:
    text = f"{HEADER}\nGoed item,publication,,,,,,,public,,\nFout,podcast,,,,,,,public,,\n"
    err = fails("knowledge", write(tmp_path, "k.csv", text), "--keep-going")
    assert err.returncode == 2
    assert "imported 1 of 2" in str(err) and "line 3, field kind" in str(err)
    assert list(KnowledgeItem.objects.values_list("title", flat=True)) == ["Goed item"]


def test_dry_run_validates_and_changes_nothing(tmp_path: Path, hub: Any) -> None:
    out = run("knowledge", write(tmp_path, "kennis.csv", GOOD), "--dry-run")
    assert "Dry run: all 3 knowledge rows in kennis.csv are valid (3 created, 0 updated)" in out
    assert not KnowledgeItem.objects.exists()
    assert not ChangeLog.objects.exists()


def test_same_doi_twice_in_a_file_is_a_duplicate(tmp_path: Path, hub: Any) -> None:
    text = (
        f"{HEADER}\n"
        "Een,publication,,,,10.1234/x,,,public,,\n"
        "Twee,publication,,,,https://doi.org/10.1234/X,,,public,,\n"
    )
    err = fails("knowledge", write(tmp_path, "k.csv", text))
    assert "line 3, field doi: duplicate of line 2" in str(err)
    assert not KnowledgeItem.objects.exists()


def test_reimport_updates_the_item_found_by_doi_handle_or_url(tmp_path: Path, hub: Any) -> None:
    run("knowledge", write(tmp_path, "kennis.csv", GOOD))
    again = (
        "title,kind,doi,handle,url\n"
        "Waterberging in de polder (herzien),publication,10.1234/abc.1,,\n"
        "Stikstof en natuurherstel (herzien),report,,https://hdl.handle.net/1874/12345,\n"
        "Wonen zorg en dorp (herzien),case,,,https://example.org/dorp\n"
    )
    out = run("knowledge", write(tmp_path, "again.csv", again))
    assert "0 created, 3 updated" in out
    assert KnowledgeItem.objects.count() == 3
    item = KnowledgeItem.objects.get(doi="10.1234/abc.1")
    assert item.title == "Waterberging in de polder (herzien)"
    assert item.version == 2
    # columns absent from the file keep their value
    assert sorted(item.regions.values_list("code", flat=True)) == ["GM0363", "PV27"]


def test_json_file_with_lists_and_item_numbers_in_errors(tmp_path: Path, hub: Any) -> None:
    data = [
        {"title": "Zon op dijken", "kind": "case", "themes": ["energie", "water-bodem"], "regions": ["PV27"]},
        {"title": "Geen soort", "kind": "nope"},
        {"title": "Onbekend veld", "kind": "case", "kleur": "rood"},
    ]
    path = write(tmp_path, "k.json", json.dumps(data, indent=1))
    err = fails("knowledge", path)
    assert "item 2 (line 13), field kind" in str(err)
    assert "item 3 (line 17): unknown field 'kleur'" in str(err)
    assert not KnowledgeItem.objects.exists()
    path = write(tmp_path, "ok.json", json.dumps(data[:1]))
    assert "1 created" in run("knowledge", path)
    assert sorted(KnowledgeItem.objects.get().themes.values_list("slug", flat=True)) == [
        "energie",
        "water-bodem",
    ]


def test_slug_column_updates_and_unknown_slug_is_an_error(tmp_path: Path, hub: Any) -> None:
    run("knowledge", write(tmp_path, "kennis.csv", GOOD))
    slug = KnowledgeItem.objects.get(title="Stikstof en natuurherstel").slug
    out = run("knowledge", write(tmp_path, "s.csv", f"slug,summary\n{slug},Nieuwe samenvatting\n"))
    assert "1 updated" in out
    assert KnowledgeItem.objects.get(slug=slug).summary == "Nieuwe samenvatting"
    err = fails("knowledge", write(tmp_path, "s2.csv", "slug,summary\nbestaat-niet,x\n"))
    assert "line 2, field slug: there is no knowledge item 'bestaat-niet'" in str(err)


def test_wrong_header_and_encoding_are_file_errors(tmp_path: Path, hub: Any) -> None:
    err = fails("knowledge", write(tmp_path, "k.csv", "titel,soort\nx,y\n"))
    assert "unknown columns 'titel', 'soort'" in str(err)
    path = tmp_path / "latin.csv"
    path.write_bytes("title,kind\nZeeuwse kust \xe9\xe9n,case\n".encode("latin-1"))
    err = fails("knowledge", path)
    assert "not valid UTF-8: line 2" in str(err)
