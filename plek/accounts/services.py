from __future__ import annotations

from typing import Any

from django.db import transaction
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
        return False  # not found (or not theirs): nothing changed, the caller says so
    history_record(instance=token, action="delete", actor=user)
    token.delete()
    return True


def personal_data_collect(*, user: User) -> dict[str, Any]:
    """Everything PLeK holds about this account, one section per layer (GDPR art. 15/20)."""
    from plek.accounts.personal_data import sections

    data: dict[str, Any] = {
        "format": "plek-personal-data/1",
        "generated_at": timezone.now().isoformat(),
    }
    for section in sections():
        data[section.key] = section.collect(user)
    return data


@transaction.atomic
def account_erase(*, user: User) -> None:
    """Erase an account (GDPR art. 17) — the ONE place erasure happens.

    Every registered section scrubs its own rows (highest layer first): profiles go, the search
    index forgets them (outbox, after commit), what stays on the public record keeps the fact but
    not the name. History rows about the account and its tokens lose their personal data; rows the
    account wrote keep what happened, without who. Then the account itself is deleted (its
    e-mail addresses, second factors, tokens, memberships, supports and follows cascade)."""
    from django.contrib.contenttypes.models import ContentType

    from plek.accounts.personal_data import sections
    from plek.core.models import ChangeLog

    for section in reversed(sections()):
        section.erase(user)
    user_ct = ContentType.objects.get_for_model(User)
    token_ct = ContentType.objects.get_for_model(ApiToken)
    token_ids = list(ApiToken.objects.filter(user=user).values_list("pk", flat=True))
    ChangeLog.objects.filter(content_type=user_ct, object_id=user.pk).update(
        object_repr=f"[gewist] #{user.pk}", changes={}
    )
    ChangeLog.objects.filter(content_type=token_ct, object_id__in=token_ids).update(
        object_repr="[gewist]", changes={}
    )
    ChangeLog.objects.filter(actor=user).update(actor=None)
    user.delete()
