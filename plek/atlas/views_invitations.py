"""Invitations: who may invite sends them from one page; the invitee takes them up from the link."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from plek.accounts.models import BodyMembership
from plek.atlas import permissions, selectors, services
from plek.atlas.models import Invitation
from plek.atlas.permissions import viewer_for
from plek.core.errors import PermissionDenied, ValidationFailed

UNUSABLE = {
    "unknown": _("Deze uitnodigingslink bestaat niet. Controleer of u de hele link uit de e-mail gebruikt."),
    "used": _("Deze uitnodiging is al aangenomen. U kunt inloggen met het account dat u toen maakte."),
    "expired": _("Deze uitnodiging is verlopen. Vraag degene die u uitnodigde om een nieuwe."),
}


def _choices(request: HttpRequest) -> dict[str, Any]:
    viewer = viewer_for(request.user)
    allowed = permissions.invitation_bodies(viewer)
    bodies = [(b, label) for b, label in BodyMembership.Body.choices if b in allowed]
    roles = [
        (value, label)
        for value, label in Invitation.Role.choices
        if permissions.may_offer_invitation_role(viewer, value, bodies=bool(bodies))
    ]
    return {"hubs": selectors.invitation_hubs(viewer=viewer), "bodies": bodies, "roles": roles}


@login_required
@require_http_methods(["GET", "POST"])
def invitations(request: HttpRequest) -> HttpResponse:
    viewer = viewer_for(request.user)
    if not permissions.may_invite_anyone(viewer):
        return HttpResponseForbidden(_("U mag niemand uitnodigen."))
    errors: dict[str, list[str]] = {}
    values = {"email": "", "role": "", "hub": "", "body": ""}
    status = 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        hub = selectors.hub_find(values["hub"])
        try:
            services.invitation_create(
                viewer=viewer,
                email=values["email"],
                role=values["role"],
                hub=hub,
                body=values["body"],
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        except PermissionDenied:
            errors, status = {"role": [_("Deze uitnodiging mag u niet versturen.")]}, 403
        else:
            messages.success(request, _("Uitnodiging verstuurd naar %(email)s.") % {"email": values["email"]})
            return redirect("atlas:invitations")
    sent = selectors.invitations_sent(viewer=viewer)
    return render(
        request,
        "atlas/invitations.html",
        {"sent": sent[:200], "errors": errors, "values": values, "now": timezone.now(), **_choices(request)},
        status=status,
    )


@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    try:
        invitation = services.invitation_lookup(token)
    except services.InvitationUnusable as exc:
        return render(request, "atlas/invitation_unusable.html", {"reason": UNUSABLE[exc.reason]}, status=410)
    errors: dict[str, list[str]] = {}
    values = {"username": "", "display_name": ""}
    if request.method == "POST":
        values = {k: request.POST.get(k, "").strip() for k in values}
        password, again = request.POST.get("password1", ""), request.POST.get("password2", "")
        try:
            if request.user.is_authenticated:
                services.invitation_accept(raw=token, user=request.user)
                user = request.user
            else:
                if password != again:
                    raise ValidationFailed({"password2": [_("De twee wachtwoorden zijn niet gelijk.")]})
                user = services.invitation_accept(raw=token, password=password, **values)
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        except services.InvitationUnusable as exc:
            return render(
                request, "atlas/invitation_unusable.html", {"reason": UNUSABLE[exc.reason]}, status=410
            )
        except ValidationFailed as exc:
            errors = exc.errors
        else:
            messages.success(
                request, _("Welkom! U bent nu %(role)s.") % {"role": invitation.get_role_display()}
            )
            return redirect("accounts:my_data")
    target = invitation.hub.name if invitation.hub else BodyMembership.Body(invitation.body).label
    return render(
        request,
        "atlas/invitation_accept.html",
        {
            "invitation": invitation,
            "target": target,
            "errors": errors,
            "general_errors": errors.get("__all__", []),
            "values": values,
        },
        status=422 if errors else 200,
    )
