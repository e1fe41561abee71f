"""Strategy's errors are the platform's (`plek.core.errors`) with the one field at fault and the
message to show, so strategy's pages and API can say which input is wrong:

- `StrategyError` is a `ValidationFailed` (errors: field -> messages) carrying `message`, `field`
  and the HTTP `status` to answer with (400, or 409 for a step that is no longer possible);
- `Forbidden` is a `PermissionDenied` first (every generic handler answers 403) and a
  `StrategyError` second, so strategy callers that catch `StrategyError` keep its message."""

from __future__ import annotations

from plek.core.errors import PermissionDenied, ValidationFailed


class StrategyError(ValidationFailed):
    """A refused or invalid request; `field` names the input at fault (for forms and problem+json)."""

    def __init__(
        self, message: str, *, field: str = "", status: int = 400, errors: dict[str, list[str]] | None = None
    ) -> None:
        super().__init__(errors or {field or "__all__": [message]})
        self.args = (message,)
        self.message = message
        self.field = field
        self.status = status


class Forbidden(PermissionDenied, StrategyError):
    def __init__(self, message: str = "Dat mag u niet.") -> None:
        StrategyError.__init__(self, message, status=403)
