"""PLeK's adapters for django-allauth: who counts as verified, where people land, MFA labels."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.stages import EmailVerificationStage
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


class VouchedEmailVerificationStage(EmailVerificationStage):
    """Accounts that never went through sign-up (made by an administrator, the demo, an import or
    an invitation whose link proved the address) have no e-mail address rows: nothing to verify.
    Everyone who signed up has a row, unverified until the link in the e-mail is followed."""

    def handle(self) -> Any:
        from allauth.account.models import EmailAddress

        user = self.login.user
        if user is not None and user.pk and not EmailAddress.objects.filter(user_id=user.pk).exists():
            return None, True
        return super().handle()


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        stages = super().get_login_stages()
        return [
            "plek.accounts.adapter.VouchedEmailVerificationStage"
            if s == "allauth.account.stages.EmailVerificationStage"
            else s
            for s in stages
        ]

    def get_client_ip(self, request: HttpRequest) -> str:
        # Tests and the built-in server may lack REMOTE_ADDR; count those together, never fail.
        try:
            return super().get_client_ip(request)
        except PermissionDenied:
            return "0.0.0.0"  # noqa: S104  # nosec B104 - a bucket name, not a bind address

    def get_email_verification_redirect_url(self, email_address: Any) -> str:
        return str(settings.LOGIN_REDIRECT_URL)


class MFAAdapter(DefaultMFAAdapter):
    pass
