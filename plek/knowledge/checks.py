"""System checks of the knowledge app, run by every `plek` command (and `plek check`)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Warning, register

from plek.knowledge.search import analysis, thesaurus


@register()
def check_dutch_lexicon(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Search analysis splits compounds and corrects stems with the OpenTaal word list: without it
    the index would hold other words than on a machine that has it. Say so loudly, before serving."""
    if analysis.lexicon_path() is None:
        return [
            Error(
                "The OpenTaal Dutch word list (/usr/share/dict/dutch) is not installed.",
                hint="apt-get install wdutch (CI installs it in .ci/run).",
                id="plek.E010",
            )
        ]
    return []


@register()
def check_thesaurus(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    """The domain thesaurus (plek/knowledge/search/thesaurus_nl.tsv) is edited by hand: a malformed
    line is left out of matching; say which, so it can be fixed."""
    return [
        Warning(
            f"The thesaurus {thesaurus.PATH} has a malformed {message}; matching leaves it out.",
            hint="Each line: everyday phrases, one TAB, policy terms (both comma-separated).",
            id="plek.W011",
        )
        for message in thesaurus.problems()
    ]
