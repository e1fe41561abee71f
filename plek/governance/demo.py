"""Synthetic governance demo (clearly marked): an Initiative group and a Steering group with believable
members, a few signals, one proposal through to a decision with follow-up, and a standard with a
consultation round. Runs through the services, as people would."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from plek.accounts.models import BodyMembership
from plek.atlas.models import Hub, Region, Theme
from plek.atlas.permissions import viewer_for
from plek.governance import services
from plek.governance.forms import (
    ActionForm,
    ActionProgressForm,
    CommentForm,
    MeetingForm,
    ProposalForm,
    SignalForm,
    StandardForm,
    VersionForm,
)
from plek.governance.models import Meeting, MemberProfile, Signal

MEMBERS = [
    # username, display name, body, role, background, scale, organisation
    ("demo-anouk", "Anouk de Vries (demo)", "initiative", "chair", "practice", "local", "Gemeente Zwolle"),
    (
        "demo-ravi",
        "Ravi Ramdin (demo)",
        "initiative",
        "member",
        "research",
        "national",
        "Universiteit Utrecht",
    ),
    (
        "demo-ellen",
        "Ellen Bakker (demo)",
        "initiative",
        "member",
        "policy",
        "regional",
        "Provincie Gelderland",
    ),
    (
        "demo-joost",
        "Joost Hermans (demo)",
        "initiative",
        "member",
        "practice",
        "regional",
        "Waterschap Aa en Maas",
    ),
    (
        "demo-fatima",
        "Fatima El Amrani (demo)",
        "initiative",
        "member",
        "research",
        "regional",
        "Hogeschool Rotterdam",
    ),
    (
        "demo-pieter",
        "Pieter Visser (demo)",
        "initiative",
        "secretary",
        "policy",
        "national",
        "Ministerie van VRO",
    ),
    (
        "demo-marleen",
        "Marleen Jansen (demo)",
        "steering",
        "chair",
        "policy",
        "national",
        "Ministerie van LVVN",
    ),
    ("demo-bas", "Bas Willems (demo)", "steering", "secretary", "policy", "regional", "IPO"),
    ("demo-sanne", "Sanne Kok (demo)", "steering", "member", "research", "national", "NWO"),
    ("demo-henk", "Henk Mulder (demo)", "steering", "member", "practice", "local", "VNG"),
]

SIGNALS = [
    (
        "obstacle",
        "Monitoringsdata van waterschappen niet herbruikbaar",
        "Gemeenten in de regio kunnen meetgegevens over grondwater niet gebruiken door ontbrekende afspraken.",
        "regional",
    ),
    (
        "obstacle",
        "Kennisvragen uit kleine gemeenten blijven liggen",
        "Kleine gemeenten missen capaciteit om kennisvragen te formuleren en op te volgen.",
        "local",
    ),
    (
        "solution",
        "Gedeelde datakluis in de Achterhoek werkt",
        "Een regionale datakluis met standaardafspraken maakt delen eenvoudig.",
        "regional",
    ),
    (
        "obstacle",
        "Onderzoeksresultaten niet vindbaar voor praktijk",
        "Publicaties van kennisinstellingen zijn moeilijk te vinden voor uitvoerders.",
        "national",
    ),
]

STANDARD_BODY = """Deze standaard beschrijft hoe kennishubs met kennisvragen omgaan.

## Vraagarticulatie
Een kennishub maakt een kennisvraag samen met de vrager scherp: wat is de vraag achter de vraag,
wie heeft het antwoord nodig en wanneer.

## Terugkoppeling
De vrager hoort binnen vier weken wat er met de vraag gebeurt.

## Borging
Antwoorden komen, met toestemming, in de kennisbank zodat anderen ervan leren.
"""


def demo_step(*, scale: str = "small", seed: int = 1, progress: Any = None, **_: Any) -> dict[str, int]:
    User = get_user_model()
    if User.objects.filter(username="demo-marleen").exists():
        return {"governance_skipped": 1}
    rng = random.Random(seed)  # nosec B311 # seeded demo data, not security
    with transaction.atomic():
        users = {}
        for username, name, body, role, background, scale_level, org in MEMBERS:
            user = User.objects.create_user(
                username=username, email=f"{username}@demo.plek.localhost", display_name=name
            )
            user.set_unusable_password()
            user.save()
            m = BodyMembership.objects.create(user=user, body=body, role=role, since=dt.date(2026, 1, 1))
            MemberProfile.objects.create(
                membership=m, background=background, scale=scale_level, organisation=org
            )
            users[username] = viewer_for(user)
        ini, chair, secretary = users["demo-ravi"], users["demo-marleen"], users["demo-bas"]
        regions = list(Region.objects.filter(kind=Region.Kind.MUNICIPALITY).order_by("code")[:40])
        themes = list(Theme.objects.order_by("slug")[:20])
        signals: list[Signal] = []
        for i, (kind, title, text, level) in enumerate(SIGNALS):
            raiser = users[MEMBERS[i % len(MEMBERS)][0]]
            data: dict[str, Any] = {"kind": kind, "title": title, "description": text, "scale": level}
            if regions:
                data["regions"] = [rng.choice(regions).code]
            if themes:
                data["themes"] = [rng.choice(themes).slug]
            signal = services.signal_raise(viewer=raiser, form=SignalForm(data=data), source="demo")
            signals.append(signal)
            for supporter in rng.sample(list(users.values()), 3):
                services.signal_support(
                    viewer=supporter,
                    signal=signal,
                    comment="Herkenbaar in onze regio." if rng.random() < 0.5 else "",
                )
        services.signal_transition(viewer=ini, signal=signals[3], to_state="review", source="demo")

        start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=10)
        past = services.meeting_create(
            viewer=chair,
            form=MeetingForm(
                data={
                    "body": "steering",
                    "title": "Stuurgroep kennis- en leersysteem (demo)",
                    "starts_at": start.strftime("%Y-%m-%d %H:%M"),
                    "ends_at": (start + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
                    "location": "Utrecht",
                }
            ),
        )
        nxt = start + dt.timedelta(days=42)
        services.meeting_create(
            viewer=chair,
            form=MeetingForm(
                data={
                    "body": "steering",
                    "title": "Stuurgroep voorjaar (demo)",
                    "starts_at": nxt.strftime("%Y-%m-%d %H:%M"),
                    "ends_at": (nxt + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
                    "location": "Den Haag",
                }
            ),
        )

        proposal = services.proposal_create(
            viewer=ini,
            source="demo",
            form=ProposalForm(
                data={
                    "title": "Regionale afspraken over het delen van monitoringsdata",
                    "rationale": "Twee signalen uit verschillende regio's wijzen op hetzelfde knelpunt; de Achterhoek laat zien dat een gedeelde datakluis werkt.",
                    "expected_effect": "Gemeenten en waterschappen hergebruiken meetgegevens; minder dubbel meten.",
                    "decision_requested": "De Stuurgroep vraagt de kennishubs een standaardafspraak voor datadeling op te stellen.",
                    "signals": [signals[0].pk, signals[2].pk],
                }
            ),
        )
        services.proposal_transition(viewer=ini, proposal=proposal, to_state="submitted", source="demo")
        services.proposal_transition(
            viewer=secretary, proposal=proposal, to_state="scheduled", meeting=past, source="demo"
        )
        services.proposal_transition(
            viewer=chair,
            proposal=proposal,
            to_state="decided",
            source="demo",
            outcome="amended",
            decision_text="Aangenomen, met dien verstande dat eerst twee regio's de afspraak beproeven.",
            reasons="Eerst leren in twee regio's voordat de afspraak landelijk geldt.",
        )
        services.proposal_transition(viewer=chair, proposal=proposal, to_state="follow_up", source="demo")
        action = services.action_add(
            viewer=secretary,
            proposal=proposal,
            form=ActionForm(
                data={
                    "description": "Pilot datadeling in Achterhoek en Noord-Brabant",
                    "owner_name": "Joost Hermans (demo)",
                    "due_date": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
                }
            ),
        )
        services.action_update(
            viewer=secretary,
            action=action,
            form=ActionProgressForm(data={"progress": 40, "status": "in_progress"}, instance=action),
        )
        Meeting.objects.filter(pk=past.pk).update(
            minutes="## Besluiten\n\n* Voorstel datadeling aangenomen met wijzigingen."
        )

        standard = services.standard_create(
            viewer=ini,
            form=StandardForm(
                data={
                    "title": "Standaard kennisvragen behandelen (demo)",
                    "summary": "Hoe kennishubs kennisvragen aannemen, beantwoorden en borgen.",
                }
            ),
            version_form=VersionForm(
                data={
                    "body": STANDARD_BODY,
                    "checklist": "Vragen worden samen met de vrager aangescherpt\nDe vrager hoort binnen vier weken wat er gebeurt\nAntwoorden komen in de kennisbank",
                    "change_summary": "Eerste versie.",
                }
            ),
        )
        version = standard.versions.get()
        services.version_transition(
            viewer=ini,
            version=version,
            to_state="consultation",
            source="demo",
            closes_on=timezone.localdate() + dt.timedelta(days=30),
        )
        for username, section, text in (
            ("demo-henk", "vraagarticulatie", "Geef een voorbeeld van een goed aangescherpte vraag."),
            ("demo-sanne", "terugkoppeling", "Vier weken is kort voor onderzoeksvragen; maak onderscheid."),
        ):
            services.comment_add(
                viewer=users[username],
                version=version,
                form=CommentForm(data={"section": section, "text": text}),
            )
        hubs = list(Hub.objects.order_by("pk")[:3])
    return {
        "governance_members": len(MEMBERS),
        "governance_signals": len(signals),
        "governance_proposals": 1,
        "governance_standards": 1,
        "governance_hubs_seen": len(hubs),
    }
