"""What lives as long as the process is moved out of the garbage collector's reach once loaded
(plek/core/lifetime.py)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from plek.core import lifetime


def test_settle_freezes_once_per_reason_and_only_when_the_setting_allows(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PLEK_GC_SETTLE = True
    monkeypatch.setattr(lifetime, "_settled", set())
    calls: list[str] = []
    monkeypatch.setattr(lifetime, "freeze", lambda: calls.append("freeze"))
    assert lifetime.settle("matching") is True
    assert lifetime.settle("matching") is False
    assert lifetime.settle("other") is True
    assert calls == ["freeze", "freeze"]
    settings.PLEK_GC_SETTLE = False
    assert lifetime.settle("third") is False and calls == ["freeze", "freeze"]


class _Node:
    def __init__(self) -> None:
        self.other: Any = self  # a cycle: only the collector frees it


def test_freeze_collects_the_garbage_first_and_puts_the_living_out_of_reach() -> None:
    gone = _Node()
    dead = weakref.ref(gone)
    del gone  # garbage, but in a cycle
    kept = _Node()
    assert dead() is not None and gc.is_tracked(kept)
    before = gc.get_freeze_count()
    try:
        lifetime.freeze()
        assert dead() is None  # collected, not frozen for ever
        assert gc.get_freeze_count() > before
        assert all(o is not kept for o in gc.get_objects())  # no longer walked by collections
    finally:
        gc.unfreeze()
    assert any(o is kept for o in gc.get_objects())
