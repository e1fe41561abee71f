"""The area-learning part of `plek demo`: three believable (synthetic) learning trajectories whose
agendas have a history of more than a year, with sessions, timeline events, quotes and lessons.

Everything is written through the services (with an administrator's viewer), so the demo follows
the same rules as people do. Dates are relative to today, so the history always spans the last
one and a half years. Idempotent: an existing demo trajectory is left alone."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from plek.atlas.models import Hub, Region
from plek.atlas.permissions import Viewer
from plek.learning import services
from plek.learning.forms import QuoteForm, SessionForm, TimelineEventForm
from plek.learning.models import AgendaItem, Lesson, Trajectory

ADMIN = Viewer(is_authenticated=False, is_admin=True)


def _region_codes(*candidates: str) -> list[str]:
    codes = [c for c in candidates if Region.objects.filter(code=c).exists()]
    return codes[:1] or ["PV27"]


def _hub(*slugs: str) -> str:
    for slug in slugs:
        if Hub.objects.filter(slug=slug).exists():
            return slug
    return ""


# Per trajectory: facts, participants, agenda items with their changes (days ago, fields), sessions,
# timeline events with quotes, lessons.
TRAJECTORIES: list[dict[str, Any]] = [
    {
        "title": "Zoetwater in Noord-Holland Noord",
        "area_process": "Gebiedsproces zoetwaterbeschikbaarheid Kop van Noord-Holland en West-Friesland",
        "goal": "Samen leren hoe land- en tuinbouw, natuur en drinkwater omgaan met structureel minder "
        "zoetwater, en welke afspraken daarvoor nodig zijn.",
        "phase": "implementation",
        "regions": ("RES-NOORD-HOLLAND-NOORD", "PV27"),
        "themes": ["water-bodem", "hitte-droogte", "circulaire-landbouw"],
        "hub": ("kennishub-noord-holland",),
        "started": 560,
        "participants": [
            ("Anouk Visser", "Hoogheemraadschap (demo)", "policy", "regional"),
            ("Pieter Kos", "Bollenteler, LTO-afdeling (demo)", "practice", "local"),
            ("dr. Sanne de Wit", "Kennisinstituut water (demo)", "research", "national"),
            ("Jeroen Bakker", "Provincie Noord-Holland (demo)", "policy", "regional"),
        ],
        "agenda": [
            {
                "opened": 540,
                "text": "Hoe kunnen we zoetwater eerlijk verdelen tussen bollenteelt, natuur en drinkwater "
                "terwijl de verzilting toeneemt?",
                "ambition": "Een gedragen verdeelafspraak voor droge zomers",
                "barrier": "Budgetten voor water, landbouw en natuur zijn verkokerd per programma, waardoor "
                "gebiedsgerichte maatregelen niet te financieren zijn.",
                "owner": "Anouk Visser",
                "changes": [
                    (420, {"status": "active"}, "Opgepakt na de eye-openerworkshop"),
                    (
                        250,
                        {
                            "text": "Hoe kunnen we zoetwater eerlijk verdelen tussen bollenteelt, natuur en "
                            "drinkwater terwijl de verzilting toeneemt en de vraag groeit?",
                            "status": "reformulated",
                        },
                        "Vraag aangescherpt: de vraag naar drinkwater groeit mee",
                    ),
                    (
                        120,
                        {
                            "status": "active",
                            "actions": [
                                {"what": "Verdeelscenario's doorrekenen", "who": "Sanne de Wit", "due": None}
                            ],
                        },
                        "",
                    ),
                ],
            },
            {
                "opened": 500,
                "text": "Hoe kunnen telers zelf zoetwater vasthouden terwijl de regels voor onttrekking "
                "per gebied verschillen?",
                "ambition": "Meer zoetwaterberging op bedrijfsniveau",
                "barrier": "Vergunningverlening voor wateropslag duurt lang en de regels verschillen per "
                "waterschap en gemeente.",
                "owner": "Pieter Kos",
                "changes": [
                    (380, {"status": "active"}, ""),
                    (90, {"status": "solved"}, "Gezamenlijke vergunningsroute afgesproken"),
                ],
            },
            {
                "opened": 200,
                "text": "Hoe houden we de kennis over de zoetwaterlens vast als projectleiders wisselen?",
                "ambition": "Kennis die blijft",
                "barrier": "",
                "owner": "Jeroen Bakker",
                "changes": [],
            },
        ],
        "sessions": [
            (
                "eye_opener",
                "Eye-openerworkshop zoetwater",
                430,
                "Eye-openerworkshop (RMA)",
                "We zagen dat iedereen over 'genoeg water' iets anders verstond.",
                "Twee leervragen op de agenda gezet.",
                [1, 2],
            ),
            (
                "reflection",
                "Reflectiesessie na de droge zomer",
                260,
                "Tijdlijnmethode",
                "De droogte maakte de verdeelvraag urgent; de oude vraag was te smal.",
                "Agendapunt 1 geherformuleerd.",
                [1],
            ),
            (
                "community",
                "Praktijkgemeenschap telers en waterschap",
                100,
                "Open gesprek",
                "Telers en waterschap spreken nu dezelfde taal over berging.",
                "Vergunningsroute vastgelegd.",
                [2],
            ),
        ],
        "events": [
            (
                550,
                "milestone",
                "Start leertraject",
                "Hoogheemraadschap, provincie, telers",
                "Gebiedspartners besluiten samen te leren.",
                [
                    (
                        "We wisten allemaal dat het water op raakt, "
                        "maar niemand wist van wie het probleem was.",
                        "",
                        "Het probleem had geen eigenaar; dat werd het eerste leerpunt.",
                    )
                ],
            ),
            (
                300,
                "low",
                "Droge zomer: onttrekkingsverbod",
                "Telers, waterschap",
                "Het verbod zette de relaties onder druk.",
                [
                    (
                        "Toen ging het even niet meer over leren, maar over overleven.",
                        "Pieter Kos",
                        "Crisis en leren gaan slecht samen; de monitor hield de agenda vast.",
                    )
                ],
            ),
            (
                250,
                "turning_point",
                "Vraag opnieuw geformuleerd",
                "Alle deelnemers",
                "De verdeelvraag werd breder: ook drinkwater hoort erbij.",
                [],
            ),
            (
                90,
                "high",
                "Gezamenlijke vergunningsroute",
                "Waterschap, gemeenten",
                "Eerste concrete doorbraak.",
                [],
            ),
        ],
        "lessons": [
            {
                "title": "Begin met een gedeeld beeld van de zoetwatervoorraad",
                "insight": "Pas toen telers, waterschap en drinkwaterbedrijf dezelfde kaart van de "
                "zoetwaterlens gebruikten, kon het gesprek over verdelen beginnen.",
                "evidence": "Eye-openerworkshop en twee reflectiesessies.",
                "conditions": "Geldt waar verzilting speelt en meerdere gebruikers van dezelfde bron afhangen.",
                "days": 200,
                "publish": True,
            }
        ],
    },
    {
        "title": "Stikstof en natuur in De Peel",
        "area_process": "Gebiedsprogramma De Peel: natuurherstel rond Natura 2000 en toekomst van de landbouw",
        "goal": "Leren hoe boeren, natuurorganisaties en overheden samen natuurherstel en een "
        "toekomstbestendige landbouw vormgeven.",
        "phase": "design",
        "regions": ("NOVEX11", "PV30"),
        "themes": ["stikstof", "biodiversiteit-natuur", "circulaire-landbouw"],
        "hub": ("kennishub-brabant", "kennishub-zuid-limburg"),
        "started": 620,
        "participants": [
            ("Marieke van Dijk", "Natuurorganisatie (demo)", "practice", "regional"),
            ("Henk Peeters", "Melkveehouder (demo)", "practice", "local"),
            ("Ilse Janssen", "Provincie Noord-Brabant (demo)", "policy", "regional"),
            ("prof. Tom Willems", "Universiteit (demo)", "research", "national"),
        ],
        "agenda": [
            {
                "opened": 600,
                "text": "Hoe kunnen we natuur herstellen rond de Peelvenen terwijl boeren perspectief houden?",
                "ambition": "Natuurherstel en een toekomst voor de landbouw",
                "barrier": "Verkokerde budgetten per programma maken gebiedsgerichte financiering van "
                "maatregelen voor natuur en landbouw onmogelijk.",
                "owner": "Ilse Janssen",
                "changes": [
                    (480, {"status": "active"}, ""),
                    (
                        200,
                        {
                            "actions": [
                                {"what": "Verkenning gebiedsfonds", "who": "Ilse Janssen", "due": None}
                            ]
                        },
                        "Actie toegevoegd",
                    ),
                ],
            },
            {
                "opened": 560,
                "text": "Hoe kunnen vergunningen sneller terwijl de rechtszekerheid blijft?",
                "ambition": "Duidelijkheid voor ondernemers",
                "barrier": "Vergunningverlening duurt lang en de regels voor stikstofruimte verschillen per "
                "provincie en gemeente.",
                "owner": "Henk Peeters",
                "changes": [
                    (400, {"status": "active"}, ""),
                    (150, {"status": "dropped"}, "Landelijk opgepakt"),
                ],
            },
        ],
        "sessions": [
            (
                "reflection",
                "Reflectiesessie gebiedstafel",
                450,
                "Reflexieve monitoring",
                "Boeren voelden zich niet gehoord aan de gebiedstafel.",
                "Spreekrecht aan tafel herzien.",
                [1],
            ),
            (
                "intervision",
                "Intervisie gebiedsmakelaars",
                180,
                "Intervisie (incidentmethode)",
                "Makelaars herkennen dezelfde spanning tussen tempo en draagvlak.",
                "",
                [1, 2],
            ),
        ],
        "events": [
            (
                610,
                "milestone",
                "Eerste gebiedstafel",
                "Provincie, boeren, natuurorganisaties",
                "Start van het gesprek.",
                [],
            ),
            (
                420,
                "low",
                "Boeren verlaten de gebiedstafel",
                "Boerenvertegenwoordiging",
                "Vertrouwen weg na een uitgelekte kaart.",
                [
                    (
                        "Eerst de kaart, dan pas het gesprek: zo voelde het.",
                        "",
                        "Volgorde van informatie bepaalt vertrouwen.",
                    )
                ],
            ),
            (
                300,
                "turning_point",
                "Keukentafelgesprekken",
                "Gebiedsmakelaars",
                "Vertrouwen langzaam terug.",
                [],
            ),
        ],
        "lessons": [
            {
                "title": "Een gebiedsfonds doorbreekt verkokerde budgetten",
                "insight": "Door geld uit verschillende programma's in één gebiedsfonds te bundelen, konden "
                "maatregelen voor natuur, water en landbouw samen gefinancierd worden.",
                "evidence": "Verkenning gebiedsfonds en twee reflectiesessies.",
                "conditions": "Vraagt een trekker die over programmagrenzen heen mag beslissen.",
                "days": 120,
                "publish": True,
            }
        ],
    },
    {
        "title": "Energietransitie RES Foodvalley",
        "area_process": "Regionale Energiestrategie Foodvalley: zon en wind met inwoners",
        "goal": "Leren hoe de regio samen met inwoners en netbeheerder ruimte vindt voor duurzame energie.",
        "phase": "implementation",
        "regions": ("RES-FOODVALLEY", "PV25"),
        "themes": ["energie", "wind-zon", "netcongestie"],
        "hub": ("kennishub-foodvalley",),
        "started": 480,
        "participants": [
            ("Fatima El Amrani", "Energiecoöperatie (demo)", "practice", "local"),
            ("Rob Hendriks", "Netbeheerder (demo)", "practice", "regional"),
            ("Eva Smit", "Regio Foodvalley (demo)", "policy", "regional"),
        ],
        "agenda": [
            {
                "opened": 470,
                "text": "Hoe kunnen inwoners mede-eigenaar worden van zonneparken terwijl het net vol zit?",
                "ambition": "50% lokaal eigendom",
                "barrier": "Verkokerde budgetten en programma's maken gebiedsgerichte financiering van "
                "energieprojecten lastig.",
                "owner": "Fatima El Amrani",
                "changes": [(380, {"status": "active"}, ""), (60, {"owner": "Eva Smit"}, "Nieuwe trekker")],
            },
            {
                "opened": 450,
                "text": "Hoe delen we netcapaciteit tussen bedrijven terwijl de wachtrij groeit?",
                "ambition": "Geen project stil door netcongestie",
                "barrier": "Vergunningverlening en netaansluiting duren lang; regels verschillen per gemeente.",
                "owner": "Rob Hendriks",
                "changes": [(300, {"status": "active"}, "")],
            },
        ],
        "sessions": [
            (
                "community",
                "Praktijkgemeenschap energiecoöperaties",
                350,
                "World café",
                "Coöperaties leren van elkaars participatiemodellen.",
                "Modelovereenkomst gedeeld.",
                [1],
            ),
        ],
        "events": [
            (470, "milestone", "RES 1.0 vastgesteld", "Gemeenten, provincie, waterschap", "", []),
            (
                200,
                "high",
                "Eerste energiehub op een bedrijventerrein",
                "Netbeheerder, ondernemers",
                "Netcapaciteit gedeeld.",
                [
                    (
                        "We dachten dat het net vol was; het bleek vooral slecht verdeeld.",
                        "Rob Hendriks",
                        "Een herkaderde belemmering opent oplossingen.",
                    )
                ],
            ),
        ],
        "lessons": [
            {
                "title": "Netcapaciteit delen via een energiehub",
                "insight": "Bedrijven die samen één aansluiting delen, benutten het net beter dan ieder apart.",
                "evidence": "Eerste energiehub op een bedrijventerrein.",
                "conditions": "Werkt met een vertrouwde trekker en een beheerder voor de gedeelde aansluiting.",
                "days": 150,
                "publish": False,
            }
        ],
    },
]


def _make(spec: dict[str, Any], today: dt.date) -> dict[str, int]:
    counts = {"trajectories": 0, "agenda_versions": 0, "sessions": 0, "events": 0, "lessons": 0}
    regions = _region_codes(*spec["regions"][:1]) + [
        c for c in spec["regions"][1:] if Region.objects.filter(code=c).exists()
    ]
    form = services.trajectory_form(
        viewer=ADMIN,
        data={
            "title": spec["title"],
            "area_process": spec["area_process"],
            "goal": spec["goal"],
            "phase": spec["phase"],
            "started_on": (today - dt.timedelta(days=spec["started"])).isoformat(),
            "regions": regions,
            "themes": spec["themes"],
            "visibility": "public",
            "owner_hub": _hub(*spec["hub"]),
        },
    )
    trajectory = services.trajectory_save(viewer=ADMIN, form=form, source="demo")
    Trajectory.objects.filter(pk=trajectory.pk).update(is_synthetic=True)
    counts["trajectories"] += 1
    for name, organisation, background, scale in spec["participants"]:
        services.participant_add(
            viewer=ADMIN,
            trajectory=trajectory,
            data={"name": name, "organisation": organisation, "background": background, "scale": scale},
            source="demo",
        )
    for entry in spec["agenda"]:
        values = {
            "kind": "question",
            "text": entry["text"],
            "ambition": entry["ambition"],
            "barrier": entry["barrier"],
            "owner": entry["owner"],
            "status": "new",
            "actions": [],
        }
        new_form = services.agenda_form(
            trajectory=trajectory,
            data={**values, "valid_from": (today - dt.timedelta(days=entry["opened"])).isoformat()},
        )
        item = services.agenda_item_create(viewer=ADMIN, trajectory=trajectory, form=new_form, source="demo")
        counts["agenda_versions"] += 1
        for days, change, note in entry["changes"]:
            values.update(change)
            item = AgendaItem.objects.select_related("trajectory").get(pk=item.pk)
            change_form = services.agenda_form(
                trajectory=trajectory,
                item=item,
                data={**values, "valid_from": (today - dt.timedelta(days=days)).isoformat(), "note": note},
            )
            services.agenda_item_change(viewer=ADMIN, item=item, form=change_form, source="demo")
            counts["agenda_versions"] += 1
    participants = list(trajectory.participants.values_list("pk", flat=True))
    for kind, title, days, method, reflections, outcomes, numbers in spec["sessions"]:
        session_form = SessionForm(
            {
                "kind": kind,
                "title": title,
                "date": (today - dt.timedelta(days=days)).isoformat(),
                "method": method,
                "participants": participants,
                "reflections": reflections,
                "outcomes": outcomes,
                "notes": f"**{title}** (demo).\n\n- {reflections}",
                "items_discussed": numbers,
            },
            trajectory=trajectory,
        )
        services.session_save(viewer=ADMIN, trajectory=trajectory, form=session_form, source="demo")
        counts["sessions"] += 1
    for days, kind, title, actors, significance, quotes in spec["events"]:
        event_form = TimelineEventForm(
            {
                "date": (today - dt.timedelta(days=days)).isoformat(),
                "kind": kind,
                "title": title,
                "actors": actors,
                "significance": significance,
            },
            trajectory=trajectory,
        )
        event = services.event_save(viewer=ADMIN, trajectory=trajectory, form=event_form, source="demo")
        counts["events"] += 1
        for text, speaker, commentary in quotes:
            quote_form = QuoteForm(
                {
                    "text": text,
                    "speaker": speaker,
                    "commentary": commentary,
                    "date": event.date.isoformat(),
                    "event": event.pk,
                },
                trajectory=trajectory,
            )
            services.quote_save(viewer=ADMIN, trajectory=trajectory, form=quote_form, source="demo")
    for spec_lesson in spec["lessons"]:
        lesson_form = services.lesson_form(
            viewer=ADMIN,
            data={
                "title": spec_lesson["title"],
                "insight": spec_lesson["insight"],
                "evidence": spec_lesson["evidence"],
                "conditions": spec_lesson["conditions"],
                "regions": regions[:1],
                "themes": spec["themes"],
                "scale": "regional",
                "date": (today - dt.timedelta(days=spec_lesson["days"])).isoformat(),
                "visibility": "public",
                "owner_hub": _hub(*spec["hub"]),
            },
        )
        lesson = services.lesson_save(viewer=ADMIN, form=lesson_form, trajectory=trajectory, source="demo")
        Lesson.objects.filter(pk=lesson.pk).update(is_synthetic=True)
        counts["lessons"] += 1
        if spec_lesson["publish"]:
            lesson.refresh_from_db()
            published = services.lesson_publish(viewer=ADMIN, lesson=lesson, source="demo")
            type(published).objects.filter(pk=published.pk).update(is_synthetic=True)
    return counts


def learning_demo() -> dict[str, int]:
    today = timezone.localdate()
    totals: dict[str, int] = {}
    for spec in TRAJECTORIES:
        if Trajectory.objects.filter(title=spec["title"], is_synthetic=True).exists():
            continue
        with transaction.atomic():
            for key, value in _make(spec, today).items():
                totals[key] = totals.get(key, 0) + value
    return totals


def demo_step(*, scale: str = "small", seed: int = 0, progress: Any = None, **_: Any) -> dict[str, int]:
    from plek.knowledge.indexing import outbox_apply

    counts = learning_demo()
    outbox_apply()
    if progress is not None:
        progress("learning", counts.get("trajectories", 0))
    return counts
