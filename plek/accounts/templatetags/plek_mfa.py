"""Which second factors a person has set up (for the sign-in page: offer only what works)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def mfa_types(user: Any) -> frozenset[str]:
    if user is None or not getattr(user, "pk", None):
        return frozenset()
    from allauth.mfa.models import Authenticator

    return frozenset(Authenticator.objects.filter(user=user).values_list("type", flat=True))
