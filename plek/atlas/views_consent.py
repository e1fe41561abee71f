"""The coordinator's consent form: a hub's coordinators (and administrators) record the consent a
knowledge holder gave outside the platform (a form, an e-mail, paper, a conversation), and see which
profiles of their hubs still have none. Rules: permissions.can_record_consent; writes:
services.person_consent_record."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from plek.atlas import permissions, selectors, services
from plek.atlas.forms import GROUP_LABELS, ConsentRecordForm
from plek.atlas.models import Person
from plek.atlas.permissions import viewer_for
from plek.core.errors import PermissionDenied, ValidationFailed

LIST_LIMIT = 500


def _refuse(viewer: permissions.Viewer, person: Person) -> HttpResponse:
    """Who may not see the profile does not learn it exists; who may see it is told no."""
    if not permissions.can_view(viewer, person):
        raise Http404(person.slug)
    return HttpResponseForbidden(_("U mag de toestemming van deze kennishouder niet vastleggen."))


@login_required
@require_http_methods(["GET", "POST"])
def person_consent(request: HttpRequest, slug: str) -> HttpResponse:
    viewer = viewer_for(request.user)
    person = selectors.person_for_consent(slug)
    if not permissions.can_record_consent(viewer, person):
        return _refuse(viewer, person)
    status = 200
    if request.method == "POST":
        form = ConsentRecordForm(request.POST)
        if form.is_valid():
            try:
                services.person_consent_record(
                    viewer=viewer,
                    person=person,
                    given_on=form.cleaned_data["given_on"],
                    basis=form.cleaned_data["basis"],
                    groups=form.cleaned_data["groups"],
                )
            except PermissionDenied:
                return _refuse(viewer, person)
            except ValidationFailed as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.success(
                    request, _("De toestemming van %(name)s is vastgelegd.") % {"name": person.name}
                )
                return redirect("atlas:person_consent", slug=person.slug)
        status = 422
    else:
        form = ConsentRecordForm(
            initial={
                "given_on": timezone.localdate(),
                "basis": person.consent_basis if person.consent_basis in services.CONSENT_BY_OTHERS else "",
                "groups": person.consent_groups,
            }
        )
    groups = [str(GROUP_LABELS[g]) for g in (person.consent_groups or Person.FIELD_GROUPS)]
    return render(
        request,
        "atlas/person_consent.html",
        {"person": person, "form": form, "groups": groups, "may_view": permissions.can_view(viewer, person)},
        status=status,
    )


@login_required
def consent_missing(request: HttpRequest) -> HttpResponse:
    """Profiles of the viewer's hubs (all of them for administrators) without consent."""
    viewer = viewer_for(request.user)
    if not permissions.can_see_missing_consent(viewer):
        return HttpResponseForbidden(_("Alleen coördinatoren van een kennishub zien deze lijst."))
    people = selectors.people_without_consent(viewer=viewer, limit=LIST_LIMIT)
    context: dict[str, Any] = {"people": people, "limit": LIST_LIMIT}
    context["more"] = len(context["people"]) == LIST_LIMIT
    return render(request, "atlas/consent_missing.html", context)
