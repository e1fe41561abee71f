"""Every interface string has an English translation, and the compiled catalogue matches it."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
# Apps that keep their own catalogue (made by `make messages`) are checked the same way.
APP_POS = sorted(ROOT.glob("*/locale/en/LC_MESSAGES/django.po"))


def _entries(po: Path = PO) -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) per entry, header and obsolete entries left out; a msgid with a
    context is given as gettext stores it ("context\x04msgid")."""
    out = []
    for block in po.read_text(encoding="utf-8").split("\n\n"):
        lines = [ln for ln in block.splitlines() if not ln.startswith("#~")]
        text = "\n".join(lines)
        msgid = "".join(re.findall(r'^(?:msgid|msgid_plural)? ?"(.*)"$', text.split("msgstr")[0], re.M))
        if "msgid" not in text or not msgid:
            continue
        context = re.search(r'^msgctxt "(.*)"$', text, re.M)
        if context:  # gettext keeps "context\x04msgid" as the key
            msgid = context.group(1) + "\x04" + msgid
        strs = re.findall(r'^msgstr(?:\[\d\])? ("(?:.*)"(?:\n".*")*)', text, re.M)
        value = "".join(re.findall(r'"(.*)"', strs[0])) if strs else ""
        out.append((msgid, value, "#, fuzzy" in text or ", fuzzy" in text))
    return out


def test_every_string_is_translated_and_none_is_fuzzy() -> None:
    entries = _entries()
    assert len(entries) > 400
    missing = [m for m, v, _ in entries if not v]
    fuzzy = [m for m, _, f in entries if f]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


@pytest.mark.parametrize("po", APP_POS, ids=lambda p: p.parts[-5])
def test_every_app_catalogue_is_translated_and_compiled(po: Path) -> None:
    entries = _entries(po)
    missing = [m for m, v, _ in entries if not v]
    fuzzy = [m for m, _, f in entries if f]
    assert not missing, f"{po}: untranslated: {missing[:10]}"
    assert not fuzzy, f"{po}: fuzzy: {fuzzy[:10]}"
    catalogue = gettext.GNUTranslations(po.with_suffix(".mo").open("rb"))
    stale = [m for m, v, _ in entries if "%(" not in m and "\\" not in m and catalogue.gettext(m) != v][:10]
    assert not stale, f"run `make messages`: {stale}"


def test_the_compiled_catalogue_is_up_to_date() -> None:
    catalogue = gettext.GNUTranslations(PO.with_suffix(".mo").open("rb"))
    stale = [m for m, v, _ in _entries() if "%(" not in m and "\\" not in m and catalogue.gettext(m) != v][
        :10
    ]
    assert not stale, f"run `plek compilemessages`: {stale}"


# The keywords `makemessages` gives xgettext for Python (django/core/management/commands/makemessages.py)
XGETTEXT_KEYWORDS = (
    "gettext_noop",
    "gettext_lazy",
    "ngettext_lazy:1,2",
    "pgettext:1c,2",
    "npgettext:1c,2,3",
    "pgettext_lazy:1c,2",
    "npgettext_lazy:1c,2,3",
)


def _source_msgids(tmp: Path) -> set[str]:
    """The msgids `makemessages` would find: xgettext over the Python sources and over the templates
    turned into Python by Django's own `templatize`, as makemessages does."""
    from django.utils.translation.template import templatize

    sources = [p for p in ROOT.rglob("*.py") if "tests" not in p.parts and "migrations" not in p.parts]
    for n, template in enumerate(sorted(ROOT.rglob("templates/**/*.html"))):
        out = tmp / f"template_{n}.py"
        out.write_text(
            templatize(template.read_text(encoding="utf-8"), origin=str(template)), encoding="utf-8"
        )
        sources.append(out)
    listing = tmp / "files.txt"
    listing.write_text("\n".join(str(p) for p in sources), encoding="utf-8")
    pot = tmp / "source.pot"
    subprocess.run(
        [
            shutil.which("xgettext") or "xgettext",
            "--language=Python",
            "--from-code=UTF-8",
            "--force-po",
            *(f"--keyword={k}" for k in XGETTEXT_KEYWORDS),
            f"--files-from={listing}",
            f"--output={pot}",
        ],
        check=True,
        capture_output=True,
    )
    return {msgid for msgid, _value, _fuzzy in _entries(pot)}


def test_every_string_in_the_source_is_in_a_catalogue(tmp_path: Path) -> None:
    """A new `_("…")` or `{% translate %}` needs `make messages` and its English: otherwise the
    English interface shows it in Dutch (as a model field's label once did)."""
    found = _source_msgids(tmp_path)
    assert len(found) > 400
    known = {msgid for po in (PO, *APP_POS) for msgid, _value, _fuzzy in _entries(po)}
    missing = sorted(found - known)
    assert not missing, f"run `make messages` and translate: {missing[:10]}"
