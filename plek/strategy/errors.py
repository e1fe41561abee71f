from __future__ import annotations


class StrategyError(Exception):
    """A refused or invalid request; `field` names the input at fault (for forms and problem+json)."""

    def __init__(
        self, message: str, *, field: str = "", status: int = 400, errors: list[str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status
        self.errors = errors or []


class Forbidden(StrategyError):
    def __init__(self, message: str = "Dat mag u niet.") -> None:
        super().__init__(message, status=403)
