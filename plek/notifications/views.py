"""Pages: the person's notifications ("Meldingen"), their preferences, and one-click unsubscribe."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from plek.core.errors import ValidationFailed
from plek.notifications import selectors, services
from plek.notifications.kinds import KINDS, Channel
from plek.notifications.mail import unsubscribe_read


def _int(value: str | None, default: int) -> int:
    try:
        return max(1, min(int(value or default), 10_000))
    except ValueError:
        return default


def notification_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    unread_only = request.GET.get("ongelezen") == "1"
    page = selectors.notification_page(
        user=request.user, page=_int(request.GET.get("pagina"), 1), unread_only=unread_only
    )
    return render(
        request, "notifications/list.html", {"page": page, "unread_only": unread_only, "kinds": KINDS}
    )


@require_POST
def mark_read(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    ids = [int(v) for v in request.POST.getlist("id") if v.isdigit()] or None
    services.notifications_mark_read(user=request.user, ids=ids)
    return redirect("notifications:list")


def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one's own notification read and go where it points (a path on this site only)."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    n = selectors.notification_get(user=request.user, pk=pk)
    if n.read_at is None:
        services.notifications_mark_read(user=request.user, ids=[n.pk])
    if n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts={request.get_host()}):
        return HttpResponseRedirect(n.url)
    return redirect("notifications:list")


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        channels = {k: request.POST.get(f"kind-{k}", "") for k in KINDS}
        try:
            services.preferences_save(user=request.user, channels=channels)
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Uw voorkeuren zijn opgeslagen."))
            return redirect("notifications:preferences")
    rows = selectors.preferences(request.user)
    if errors:  # show what was sent, with the errors beside it
        rows = [(k, label, aud, request.POST.get(f"kind-{k}", ch)) for k, label, aud, ch in rows]
    return render(
        request,
        "notifications/preferences.html",
        {"rows": rows, "channels": Channel.choices, "errors": errors},
        status=400 if errors else 200,
    )


@csrf_exempt  # RFC 8058: mail clients POST "List-Unsubscribe=One-Click" without a session or token
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a confirmation button; POST (the button, or a mail client's one-click request)
    unsubscribes. The signed token is the only credential; no sign-in needed."""
    found = unsubscribe_read(token)
    if found is None:
        return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
    user_id, kind = found
    label = _("alle soorten") if kind == "*" else (KINDS[kind].label if kind in KINDS else kind)
    if request.method == "POST":
        try:
            services.unsubscribe(user_id=user_id, kind=kind)
        except ValidationFailed:
            return render(request, "notifications/unsubscribe.html", {"invalid": True}, status=404)
        return render(request, "notifications/unsubscribe.html", {"done": True, "label": label})
    return render(request, "notifications/unsubscribe.html", {"label": label, "token": token})
