"""Reads about accounts: a person's own API tokens."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from plek.accounts.models import ApiToken, User


def api_token_list(*, user: User) -> QuerySet[ApiToken]:
    """The user's own tokens, newest first (only their hashes are stored)."""
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def user_find(who: str) -> User | None:
    """The account whose username or e-mail address is `who` (case-insensitive), or None."""
    if not who:
        return None
    return User.objects.filter(Q(username__iexact=who) | Q(email__iexact=who)).first()


def user_by_username(username: str) -> User | None:
    return User.objects.filter(username=username).first() if username else None
