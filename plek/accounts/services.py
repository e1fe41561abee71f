from __future__ import annotations

from django.utils import timezone

from plek.accounts.models import ApiToken, User
from plek.core.history import history_record


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; returns the row and the raw token (shown once, never stored)."""
    raw = ApiToken.new_raw()
    token = ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash(raw), prefix=raw[5:13])
    history_record(instance=token, action="create", actor=user)
    return token, raw


def api_token_authenticate(raw: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=ApiToken.hash(raw)).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def api_token_revoke(*, user: User, pk: int) -> bool:
    """Revoke one of the user's own tokens; someone else's token is left alone."""
    token = ApiToken.objects.filter(user=user, pk=pk).first()
    if token is None:
        return False
    history_record(instance=token, action="delete", actor=user)
    token.delete()
    return True
