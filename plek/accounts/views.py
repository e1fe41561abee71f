"""The signed-in user's own pages: API tokens (made, shown once, revoked) and "Mijn gegevens"."""

from __future__ import annotations

import json
from typing import cast

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from plek.accounts.models import User
from plek.accounts.selectors import api_token_list
from plek.accounts.services import account_erase, api_token_create, api_token_revoke, personal_data_collect


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
            "tokens": api_token_list(user=cast(User, request.user)),
            "raw": raw,
            "error": error,
        },
        status=422 if error else 200,
    )


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    if not api_token_revoke(user=request.user, pk=pk):  # type: ignore[arg-type]
        # Someone else's token, or one that no longer exists: nothing was revoked, and we say so.
        raise Http404(_("Deze sleutel bestaat niet (meer) bij uw account; er is niets ingetrokken."))
    messages.success(request, _("Sleutel ingetrokken."))
    return redirect("accounts:tokens")


@login_required
@require_http_methods(["GET"])
def my_data(request: HttpRequest) -> HttpResponse:
    """Everything PLeK holds about the signed-in person, with download and erasure."""
    from plek.accounts.personal_data import sections

    user = cast(User, request.user)
    data = personal_data_collect(user=user)
    rendered = [
        {
            "key": s.key,
            "title": s.title,
            "kept": s.kept,
            "json": json.dumps(data[s.key], indent=2, ensure_ascii=False),
        }
        for s in sections()
    ]
    return render(request, "accounts/my_data.html", {"sections": rendered, "data": data})


@login_required
@require_http_methods(["GET"])
def my_data_download(request: HttpRequest) -> HttpResponse:
    data = personal_data_collect(user=cast(User, request.user))
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="plek-mijn-gegevens.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def my_data_erase(request: HttpRequest) -> HttpResponse:
    from plek.accounts.personal_data import sections

    user = cast(User, request.user)
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            errors["confirm"] = _("Vink aan dat u uw account en gegevens wilt wissen.")
        if user.has_usable_password() and not user.check_password(request.POST.get("password", "")):
            errors["password"] = _("Dit wachtwoord klopt niet.")
        if not errors:
            logout(request)
            account_erase(user=user)
            messages.success(request, _("Uw account en gegevens zijn gewist."))
            return redirect("atlas:home")
    return render(
        request,
        "accounts/my_data_erase.html",
        {"sections": sections(), "errors": errors, "needs_password": user.has_usable_password()},
        status=422 if errors else 200,
    )
