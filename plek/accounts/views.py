"""The signed-in user's own page: API tokens (made, shown once, revoked)."""

from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from plek.accounts.models import ApiToken, User
from plek.accounts.services import api_token_create, api_token_revoke


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    raw = None
    error = None
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if not name or len(name) > 100:
            error = _("Geef de sleutel een naam van hoogstens 100 tekens.")
        else:
            _token, raw = api_token_create(user=request.user, name=name)  # type: ignore[arg-type]
    return render(
        request,
        "accounts/tokens.html",
        {
            "tokens": ApiToken.objects.filter(user=cast(User, request.user)).order_by("-created_at"),
            "raw": raw,
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    api_token_revoke(user=request.user, pk=pk)  # type: ignore[arg-type]
    messages.success(request, _("Sleutel ingetrokken."))
    return redirect("accounts:tokens")
