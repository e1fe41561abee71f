"""Invitations through the API: POST /invitations sends one (the secret goes only into the e-mail),
GET /invitations lists those the caller sent (administrators: all)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router
from ninja.responses import Status
from pydantic import Field

from plek.api.auth import viewer
from plek.api.common import API_ROOT, Operations, created, or_404, paginate
from plek.api.schemas import ApiModel, IdPath, InputModel, PageQuery, page_model
from plek.atlas import selectors as atlas_selectors
from plek.atlas import services
from plek.atlas.models import Invitation
from plek.core.errors import PermissionDenied, ValidationFailed

router = Router()
_op = Operations(router, tag="invitations", exclude_unset=False)

RoleLiteral = Literal["hub_member", "hub_expert", "hub_coordinator", "body_member", "body_secretary"]


class InvitationIn(InputModel):
    email: str = Field(..., min_length=3, max_length=254, description="Where the link is sent.")
    role: RoleLiteral = Field(
        ...,
        description="hub_member / hub_expert (a hub's coordinators), body_member (the body's secretary), "
        "hub_coordinator / body_secretary (administrators).",
    )
    hub: str | None = Field(None, description="Hub slug, for hub roles.")
    body: Literal["initiative", "steering"] | None = Field(None, description="The body, for body roles.")


class InvitationOut(ApiModel):
    id: int
    email: str
    role: str
    hub: str | None = Field(None, description="Hub slug (hub roles).")
    body: str | None = Field(None, description="initiative | steering (body roles).")
    status: Literal["open", "accepted", "expired"]
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None = None


InvitationPage = page_model("InvitationPage", InvitationOut)


def invitation_out(invitation: Invitation, now: dt.datetime) -> dict[str, Any]:
    status = "accepted" if invitation.accepted_at else ("expired" if invitation.expires_at <= now else "open")
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "role": invitation.role,
        "hub": invitation.hub.slug if invitation.hub else None,
        "body": invitation.body or None,
        "status": status,
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
        "accepted_at": invitation.accepted_at,
    }


@_op("get", "/invitations", InvitationPage, "listInvitations", "Invitations the caller sent")
def list_invitations(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    from django.utils import timezone

    from plek.atlas.permissions import may_invite_anyone

    v = viewer(request)
    if not may_invite_anyone(v):
        raise PermissionDenied("invitation")
    rows = atlas_selectors.invitation_list(viewer=v)
    now = timezone.now()
    return paginate(request, rows, query, lambda items: [invitation_out(i, now) for i in items])


@_op(
    "post",
    "/invitations",
    {201: InvitationOut},
    "createInvitation",
    "Invite someone to a role (the link is e-mailed)",
)
def create_invitation(request: HttpRequest, payload: InvitationIn, response: HttpResponse) -> Status:
    from django.utils import timezone

    v = viewer(request)
    hub = None
    if payload.hub:
        hub = atlas_selectors.hub_find(payload.hub)
        if hub is None:
            raise ValidationFailed({"hub": [f"There is no hub '{payload.hub}'."]})
    invitation, _raw = services.invitation_create(
        viewer=v,
        email=payload.email,
        role=payload.role,
        hub=hub,
        body=payload.body or "",
        base_url=request.build_absolute_uri("/"),
    )
    body = invitation_out(invitation, timezone.now())
    return created(request, response, f"{API_ROOT}/invitations/{invitation.pk}", body)


@_op("get", "/invitations/{id}", InvitationOut, "getInvitation", "One invitation the caller sent")
def get_invitation(request: HttpRequest, id: IdPath) -> dict[str, Any]:
    from django.utils import timezone

    v = viewer(request)
    invitation = or_404(
        atlas_selectors.invitation_get(viewer=v, pk=id),
        f"There is no invitation {id} (or you did not send it).",
    )
    return invitation_out(invitation, timezone.now())
