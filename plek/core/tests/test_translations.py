"""Every interface string has an English translation, and the compiled catalogue matches it."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

PO = Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po"


def _entries() -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) per entry, header and obsolete entries left out."""
    out = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = [ln for ln in block.splitlines() if not ln.startswith("#~")]
        text = "\n".join(lines)
        msgid = "".join(re.findall(r'^(?:msgid|msgid_plural)? ?"(.*)"$', text.split("msgstr")[0], re.M))
        if "msgid" not in text or not msgid:
            continue
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


def test_the_compiled_catalogue_is_up_to_date() -> None:
    catalogue = gettext.GNUTranslations(PO.with_suffix(".mo").open("rb"))
    stale = [m for m, v, _ in _entries() if "%(" not in m and "\\" not in m and catalogue.gettext(m) != v][
        :10
    ]
    assert not stale, f"run `plek compilemessages`: {stale}"
