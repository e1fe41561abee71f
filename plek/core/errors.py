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
