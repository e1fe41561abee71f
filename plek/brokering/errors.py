"""Brokering's workflow error is the platform's one (`plek.core.errors.TransitionNotAllowed`),
named here for callers that import it from the app."""

from __future__ import annotations

from plek.core.errors import TransitionNotAllowed as TransitionNotAllowed
