"""The governance part of "Mijn gegevens": signals, supports, follows, comments, proposals (see
plek.accounts.personal_data)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from plek.governance.models import ConsultationComment, Follow, Proposal, Signal, SignalSupport


class _GovernanceSection:
    key = "governance"
    title = _("Signalen, steun, reacties en volgen")
    kept = _(
        "Uw steun en wat u volgt worden verwijderd. Gemelde signalen, voorstellen en reacties op"
        " consultaties blijven zonder uw naam bestaan; een besluit in het openbare besluitenlog houdt"
        " het feit vast, niet wie het vastlegde."
    )

    def collect(self, user: Any) -> dict[str, Any]:
        return {
            "signals_raised": [
                {"id": s.pk, "title": s.title, "state": s.state, "created_at": s.created_at.isoformat()}
                for s in Signal.objects.filter(raised_by=user).order_by("created_at", "id")
            ],
            "supports": [
                {"signal": s.signal.title, "at": s.at.isoformat()}
                for s in SignalSupport.objects.filter(user=user).select_related("signal").order_by("at", "id")
            ],
            "follows": [
                {"target": f.target, "target_id": f.target_id, "frequency": f.frequency}
                for f in Follow.objects.filter(user=user).order_by("target", "target_id")
            ],
            "consultation_comments": [
                {"section": c.section, "text": c.text, "at": c.at.isoformat()}
                for c in ConsultationComment.objects.filter(author=user).order_by("at", "id")
            ],
            "proposals_written": [
                {"id": p.pk, "title": p.title, "state": p.state}
                for p in Proposal.objects.filter(author=user).order_by("id")
            ],
        }

    def erase(self, user: Any) -> None:
        return None  # supports and follows cascade; the rest keeps the fact (on_delete=SET_NULL)


SECTION = _GovernanceSection()
