"""The brokering part of "Mijn gegevens": questions asked and introductions (see
plek.accounts.personal_data)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from plek.brokering.models import Introduction, Question


class _BrokeringSection:
    key = "brokering"
    title = _("Vragen en introducties")
    kept = _(
        "Uw vragen blijven bestaan zonder uw naam of account, zodat het antwoord voor anderen"
        " vindbaar blijft. Introducties aan uw profiel worden met het profiel gewist."
    )

    def collect(self, user: Any) -> dict[str, Any]:
        return {
            "questions": [
                {
                    "slug": q.slug,
                    "title": q.title,
                    "text": q.text,
                    "context": q.context,
                    "state": q.state,
                    "created_at": q.created_at.isoformat(),
                }
                for q in Question.objects.filter(asker=user).order_by("created_at", "id")
            ],
            "introductions": [
                {
                    "question": i.question.title,
                    "status": i.status,
                    "message": i.message,
                    "response_note": i.response_note,
                    "created_at": i.created_at.isoformat(),
                }
                for i in Introduction.objects.filter(person__account=user)
                .select_related("question")
                .order_by("created_at", "id")
            ],
        }

    def erase(self, user: Any) -> None:
        return None  # questions lose their asker when the account goes (on_delete=SET_NULL)


SECTION = _BrokeringSection()
