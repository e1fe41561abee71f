from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from plek.accounts import ratelimit


class RateLimitedAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "rate_limited": _(
            "Te veel mislukte pogingen om in te loggen. Wacht een kwartier en probeer het opnieuw."
        ),
    }

    def clean(self) -> dict[str, Any]:
        username = self.data.get("username", "") or ""
        ip = self.request.META.get("REMOTE_ADDR", "") if self.request else ""
        if ratelimit.is_blocked(username=username, ip=ip):
            raise forms.ValidationError(self.error_messages["rate_limited"], code="rate_limited")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            ratelimit.register_failure(username=username, ip=ip)
            raise
        ratelimit.reset(username=username)
        return cleaned
