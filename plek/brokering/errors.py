"""Domain errors of brokering; pages answer them with a clear message, the API with 409."""

from __future__ import annotations

from plek.core.errors import PlekError


class TransitionNotAllowed(PlekError):
    """The question's workflow has no such step from its current state (see transitions.TRANSITIONS)."""

    def __init__(self, from_state: str | None, to_state: str):
        self.from_state = from_state
        self.to_state = to_state
        super().__init__(f"transition {from_state} -> {to_state} is not allowed")
