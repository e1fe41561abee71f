"""The kinds of notification, who gets them, and how they are delivered by default. A person chooses
per kind: e-mail at once, a daily digest, only in the list on the site, or off."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.TextChoices):
    IMMEDIATE = "immediate", _("direct per e-mail")
    DIGEST = "digest", _("dagelijks overzicht per e-mail")
    IN_APP = "in_app", _("alleen op de site")
    OFF = "off", _("uit")


@dataclass(frozen=True)
class Kind:
    key: str
    label: object  # a lazy string
    audience: object
    default: str = Channel.IMMEDIATE


KINDS: dict[str, Kind] = {
    k.key: k
    for k in [
        Kind("question_received", _("Uw vraag is ontvangen"), _("vraagstellers")),
        Kind("question_matched", _("Uw vraag is in contact gebracht"), _("vraagstellers")),
        Kind("question_answered", _("Uw vraag is beantwoord"), _("vraagstellers")),
        Kind("question_rate", _("Beoordeel het antwoord"), _("vraagstellers"), Channel.DIGEST),
        Kind("queue_new", _("Nieuwe vraag in mijn wachtrij"), _("kennismakelaars")),
        Kind("question_overdue", _("Vraag wacht te lang (opgeschaald)"), _("kennismakelaars")),
        Kind("referral_received", _("Doorverwezen vraag ontvangen"), _("kennismakelaars")),
        Kind("introduction", _("Introductie bij een kennisvraag"), _("deskundigen")),
        Kind("introduction_reminder", _("Herinnering aan een introductie"), _("deskundigen"), Channel.DIGEST),
        Kind("signal_new", _("Nieuw signaal"), _("groepsleden"), Channel.DIGEST),
        Kind("proposal_agenda", _("Voorstel op de agenda"), _("groepsleden"), Channel.DIGEST),
        Kind("decision", _("Besluit genomen"), _("groepsleden"), Channel.DIGEST),
    ]
}
