"""Domain errors raised by services; pages and API turn them into 4xx answers."""

from __future__ import annotations


class PlekError(Exception):
    """Base class of errors a user can act on."""


class PermissionDenied(PlekError):
    pass


class NotFound(PlekError):
    pass


class ValidationFailed(PlekError):
    """Invalid input; `errors` maps field name to a list of messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))


class TransitionNotAllowed(PlekError):
    """A workflow (a question, signal, proposal, standard version, ...) has no such step from its
    current state; nothing changed. `possible` lists the steps that exist from here. Pages answer
    409 with a clear message, the API 409 problem+json."""

    def __init__(
        self, from_state: str | None, to_state: str, *, workflow: str = "", possible: list[str] | None = None
    ):
        self.workflow = workflow
        self.from_state = from_state
        self.to_state = to_state
        self.possible = list(possible or [])
        where = f"{workflow}: " if workflow else ""
        super().__init__(f"{where}transition {from_state} -> {to_state} is not allowed")
