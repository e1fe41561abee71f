"""Passing an obstacle or a solution on to the Initiative group, across the layer rule.

Area learning (a recurring barrier) and brokering (a case) sit below governance, so they cannot
import it. They call `pass_on_signal`; governance receives it through `hooks.signal_sink` (registered
in plek/platform/registry.py) and keeps the link back to the source (`source_type`, `source_id`,
`source_url`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from plek.core.hooks import hooks


@dataclass(frozen=True)
class SignalHandoff:
    """What the source hands over. `kind` is "obstacle" or "solution"; `source_type` names the
    source model ("learning.barrier", "brokering.question", ...); region and theme ids refer to
    atlas.Region and atlas.Theme."""

    kind: str
    title: str
    description: str
    source_type: str
    source_id: int
    source_url: str
    region_ids: tuple[int, ...] = ()
    theme_ids: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


class SignalSink(Protocol):
    def __call__(self, *, user: Any, handoff: SignalHandoff) -> str:
        """Create (or find the existing) signal for this source; return its page URL."""


def pass_on_signal(*, user: Any, handoff: SignalHandoff) -> str:
    """Hand the source to the Initiative group; returns the URL of the signal. The sink checks the
    user's permission and raises plek.core.errors.PermissionDenied / ValidationFailed itself."""
    sink: SignalSink | None = hooks.signal_sink
    if sink is None:
        raise ImportError("no signal sink is registered (plek.platform is not installed)")
    return sink(user=user, handoff=handoff)
