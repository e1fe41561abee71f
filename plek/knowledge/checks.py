"""System checks of the knowledge app, run by every `plek` command (and `plek check`)."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register

from plek.knowledge.search import analysis


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
