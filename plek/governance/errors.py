"""Domain errors of governance; pages answer them with a clear message, the API with 409."""

from __future__ import annotations

from plek.core.errors import PlekError


class TransitionNotAllowed(PlekError):
    """The workflow (signal, proposal, standard) has no such step from the current state."""

    def __init__(self, workflow: str, from_state: str, to_state: str, possible: list[str]):
        self.workflow = workflow
        self.from_state = from_state
        self.to_state = to_state
        self.possible = possible
        super().__init__(f"{workflow}: transition {from_state} -> {to_state} is not allowed")
