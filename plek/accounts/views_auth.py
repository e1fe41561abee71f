"""Sign-in and sign-up pages: django-allauth's views under PLeK's Dutch addresses. A sign-in that
hits the failure limit answers 429 with Retry-After instead of a plain form error."""

from __future__ import annotations

from typing import Any

from allauth.account.views import LoginView as AllauthLoginView
from django.conf import settings
from django.http import HttpResponse


class LoginView(AllauthLoginView):
    def form_invalid(self, form: Any) -> HttpResponse:
        response: HttpResponse = super().form_invalid(form)
        if any(e.code == "too_many_login_attempts" for e in form.errors.as_data().get("__all__", [])):
            response.status_code = 429
            response["Retry-After"] = str(settings.LOGIN_RATE_WINDOW_SECONDS)
        return response


login = LoginView.as_view()
