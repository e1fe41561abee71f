"""The Atlas part of "Mijn gegevens": the knowledge-holder profile and hub roles (see
plek.accounts.personal_data)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from plek.atlas.models import HubMembership, Person
from plek.atlas.permissions import viewer_for


class _AtlasSection:
    key = "atlas"
    title = _("Profiel en kennishubs")
    kept = _(
        "Niets: uw profiel als kennishouder wordt gewist (ook uit de zoekfunctie) en uw rollen in"
        " kennishubs vervallen. In de wijzigingsgeschiedenis blijft alleen staan dat er een profiel was."
    )

    def collect(self, user: Any) -> dict[str, Any]:
        from plek.atlas.services import person_data_export

        person = Person.objects.filter(account=user).first()
        return {
            "profile": person_data_export(viewer=viewer_for(user), person=person) if person else None,
            "hub_roles": [
                {"hub": m.hub.name, "hub_slug": m.hub.slug, "role": m.role, "since": m.since.isoformat()}
                for m in HubMembership.objects.filter(user=user).select_related("hub").order_by("hub__name")
            ],
        }

    def erase(self, user: Any) -> None:
        from plek.atlas.services import person_erase

        person = Person.objects.filter(account=user).first()
        if person is not None:
            person_erase(person=person, actor=None)


SECTION = _AtlasSection()
