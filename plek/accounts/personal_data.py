"""What PLeK holds about one account (GDPR art. 15/20) and its erasure (art. 17).

Each layer registers a section in `hooks.personal_data_sections` (plek/platform/registry.py): an object with
`key`, `title`, `collect(user) -> dict|list` and `erase(user) -> None`. Lower layers never import
higher ones; the account service only walks the registered list (highest layer first on erasure).
"""

from __future__ import annotations

from typing import Any, Protocol

from django.utils.translation import gettext_lazy as _

from plek.accounts.models import ApiToken, BodyMembership
from plek.core.hooks import hooks


class Section(Protocol):
    key: str
    title: Any
    kept: Any

    def collect(self, user: Any) -> Any: ...

    def erase(self, user: Any) -> None: ...


def sections() -> list[Section]:
    return [ACCOUNT_SECTION, *hooks.personal_data_sections]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


class _AccountSection:
    key = "account"
    title = _("Account")
    kept = _("Niets: het account, de e-mailadressen, API-sleutels en rollen in organen worden verwijderd.")

    def collect(self, user: Any) -> dict[str, Any]:
        from allauth.account.models import EmailAddress
        from allauth.mfa.models import Authenticator

        return {
            "username": user.username,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "email_addresses": [
                {"email": e.email, "verified": e.verified, "primary": e.primary}
                for e in EmailAddress.objects.filter(user=user).order_by("email")
            ],
            "second_factors": sorted(
                Authenticator.objects.filter(user=user).values_list("type", flat=True).distinct()
            ),
            "api_tokens": [
                {
                    "name": t.name,
                    "prefix": t.prefix,
                    "created_at": _iso(t.created_at),
                    "last_used_at": _iso(t.last_used_at),
                }
                for t in ApiToken.objects.filter(user=user).order_by("created_at")
            ],
            "body_roles": [
                {"body": m.body, "role": m.role, "since": _iso(m.since)}
                for m in BodyMembership.objects.filter(user=user).order_by("body")
            ],
        }

    def erase(self, user: Any) -> None:
        return None  # the account row and everything that cascades from it go last, in account_erase


ACCOUNT_SECTION = _AccountSection()
