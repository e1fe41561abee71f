"""Staff (administrators, coordinators, secretaries) set up a second factor before anything else,
when PLEK_REQUIRE_MFA_FOR_STAFF is on (the default in production)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from plek.atlas.permissions import needs_second_factor, viewer_for

SESSION_FLAG = "plek_second_factor_ok"
# Where a signed-in staff member without a second factor may still go.
EXEMPT_PREFIXES = (
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/uitloggen/",
    "/accounts/logout/",
    "/static/",
    "/i18n/",
    "/api/",
)


def has_second_factor(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    # An authenticator app or a security key (WebAuthn); recovery codes alone are no factor.
    T = Authenticator.Type
    return Authenticator.objects.filter(user=user, type__in=[T.TOTP, T.WEBAUTHN]).exists()


class RequireSecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            getattr(settings, "PLEK_REQUIRE_MFA_FOR_STAFF", False)
            and request.user.is_authenticated
            and not request.session.get(SESSION_FLAG)
            and not request.path.startswith(EXEMPT_PREFIXES)
        ):
            if not needs_second_factor(viewer_for(request.user)):
                pass
            elif has_second_factor(request.user):
                request.session[SESSION_FLAG] = True
            else:
                messages.info(
                    request,
                    _(
                        "Uw rol vraagt om tweestapsverificatie. Stel eerst een authenticator-app of"
                        " een beveiligingssleutel in; daarna kunt u verder."
                    ),
                )
                # The choice page: an authenticator app (TOTP) or a security key (WebAuthn).
                return HttpResponseRedirect(reverse("mfa_index"))
        return self.get_response(request)
