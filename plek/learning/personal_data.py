"""The learning part of "Mijn gegevens": participation in learning trajectories (see
plek.accounts.personal_data)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from plek.learning.models import Participant


class _LearningSection:
    key = "learning"
    title = _("Leertrajecten")
    kept = _(
        "Uw deelname blijft meetellen in de samenstelling van het leertraject, maar uw naam en"
        " organisatie worden gewist."
    )

    def collect(self, user: Any) -> list[dict[str, Any]]:
        return [
            {
                "trajectory": p.trajectory.title,
                "name": p.name,
                "organisation": p.organisation,
                "background": p.background,
                "scale": p.scale,
            }
            for p in Participant.objects.filter(user=user).select_related("trajectory").order_by("id")
        ]

    def erase(self, user: Any) -> None:
        Participant.objects.filter(user=user).update(name="[gewist]", organisation="", user=None)


SECTION = _LearningSection()
