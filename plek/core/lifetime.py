"""What lives as long as the process, moved out of the garbage collector's reach once it is loaded.

`config/wsgi.py` freezes what start-up loaded. Other large, long-lived things load on first use: the
sentence vectors (`plek.knowledge.vectors` freezes after loading them), and on a process's first
matching the thesaurus's phrase table, the encoder's vocabulary, the word lists and their caches.
Left in the collector's reach, each full collection walked them again: at national scale one in
about ten matchings paid 40-60 ms for it, which made up the slowest matchings' whole excess.

`settle(reason)` collects and then freezes everything alive, once per reason and process, after the
code that loads such things has run (matching calls it after its first matching). Off with
``settings.PLEK_GC_SETTLE = False`` (the tests: a freeze would keep every test's leftovers alive).
"""

from __future__ import annotations

import gc
import threading

from django.conf import settings

_settled: set[str] = set()
_lock = threading.Lock()


def freeze() -> None:
    """Collect what is garbage now, then move everything alive out of the collector's reach."""
    gc.collect()
    gc.freeze()


def settle(reason: str) -> bool:
    """`freeze()` the first time this reason comes up in this process (and the setting allows);
    whether it did."""
    if not getattr(settings, "PLEK_GC_SETTLE", True):
        return False
    with _lock:
        if reason in _settled:
            return False
        _settled.add(reason)
    freeze()
    return True
