"""Believable, clearly marked synthetic knowledge items (is_synthetic=True), seeded."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from plek.atlas.models import Organisation, Person, Region, Theme
from plek.core.models import Scale, Visibility
from plek.knowledge.models import KnowledgeItem, KnowledgeVersion

SIZES = {"small": 300, "national": 100_000}

TOPICS: dict[str, list[str]] = {
    "wonen": [
        "woningbouw in kleine kernen",
        "flexwonen op tijdelijke locaties",
        "betaalbare woningen voor starters",
        "woningsplitsing in bestaande wijken",
        "wonen en zorg voor ouderen",
    ],
    "water-bodem": [
        "water en bodem sturend bij nieuwe woonwijken",
        "grondwaterstanden in zandgebieden",
        "bodemkwaliteit en hergebruik van grond",
    ],
    "waterberging": [
        "waterberging in polders",
        "piekberging bij extreme neerslag",
        "groenblauwe waterberging in de stad",
    ],
    "bodemdaling": [
        "vernatting van veenweiden",
        "bodemdaling en funderingsschade",
        "onderwaterdrainage in veengebieden",
    ],
    "klimaatadaptatie": [
        "klimaatadaptieve inrichting van wijken",
        "stresstest en risicodialoog",
        "hittestress in binnensteden",
    ],
    "biodiversiteit-natuur": [
        "natuurinclusief bouwen",
        "herstel van biodiversiteit in het landelijk gebied",
        "ecologische verbindingszones",
    ],
    "stikstof": [
        "stikstofdepositie op Natura 2000-gebieden",
        "emissiearme stallen en stikstofreductie",
        "extensivering rond stikstofgevoelige natuur",
    ],
    "energie": [
        "participatie bij windparken",
        "lokaal eigendom van zonneparken",
        "regionale energiestrategie",
    ],
    "netcongestie": ["netcongestie op bedrijventerreinen", "energiehubs en slim laden"],
    "warmtetransitie": ["aardgasvrije wijken", "collectieve warmtenetten met restwarmte"],
    "circulaire-landbouw": [
        "kringlooplandbouw en korte ketens",
        "mestverwerking in de regio",
        "eiwittransitie op boerenbedrijven",
    ],
    "circulaire-economie": [
        "circulair bouwen met hergebruikte materialen",
        "grondstoffenakkoorden in de regio",
    ],
    "duurzame-industrie": ["verduurzaming van industrieclusters", "waterstof voor de maakindustrie"],
    "leefbaarheid": ["brede welvaart in krimpgebieden", "voorzieningen in dorpen"],
    "bereikbaarheid": ["mobiliteitshubs op het platteland", "bereikbaarheid van voorzieningen"],
    "landschap": ["landschapsbiografie als basis voor ontwerp", "ruimtelijke kwaliteit bij energieprojecten"],
}
KIND_TITLES = {
    "experience": "Ervaringen met {t} in {r}",
    "case": "Praktijkvoorbeeld: {t} in {r}",
    "lesson": "Lessen uit {r} over {t}",
    "area_profile": "Gebieds-DNA van {r}",
    "story": "Het verhaal van {t} in {r}",
    "publication": "{T}: een verkenning voor {r}",
    "report": "Rapport {t} ({r})",
    "dataset": "Dataset {t} in {r}",
    "method": "Methode voor {t}",
    "model": "Rekenmodel {t}",
    "policy_document": "Beleidsnotitie {t} {r}",
    "programme_product": "Kennisproduct {t}",
}
OPENINGS = [
    "In {r} werken bewoners, ondernemers en overheden samen aan {t}.",
    "Dit document beschrijft hoe {r} omgaat met {t} en welke keuzes daarbij gemaakt zijn.",
    "Onderzoekers en praktijkmensen brachten in {r} in kaart wat werkt bij {t}.",
]
MIDDLES = [
    "De belangrijkste les: begin vroeg met de mensen in het gebied en maak ruimte voor hun praktijkkennis.",
    "Waterschap, gemeente en provincie stemden hun planningen af, zodat deadlines van nationale programma's niet botsten.",
    "Een kennismakelaar verbond de vraag van het gebied met onderzoek van een hogeschool en een landelijk kennisinstituut.",
    "De ruimtelijke puzzel van wonen, water, natuur en energie bleek alleen in samenhang op te lossen.",
    "Metingen van grondwater, bodem en stikstofdepositie gaven het gesprek een gedeelde feitenbasis.",
]


def _text(rng: random.Random, topic: str, region: str) -> tuple[str, str]:
    summary = rng.choice(OPENINGS).format(r=region, t=topic)
    body = "\n\n".join(
        [
            summary,
            "## Aanpak",
            rng.choice(MIDDLES),
            "## Resultaten",
            rng.choice(MIDDLES),
            f"- {rng.choice(MIDDLES)}\n- Zie ook de kennisbank over {topic}.",
        ]
    )
    return summary, body


@transaction.atomic
def knowledge_demo(n: int, *, seed: int = 2026, progress: Callable[[str, int], None] | None = None) -> int:
    rng = random.Random(seed)  # nosec B311 # seeded demo data, not security
    themes = {t.slug: t for t in Theme.objects.all()}
    regions = list(
        Region.objects.filter(kind__in=["municipality", "province", "res_region", "water_board", "country"])
    )
    by_kind: dict[str, list[Region]] = {}
    for r in regions:
        by_kind.setdefault(r.kind, []).append(r)
    people = list(Person.objects.filter(is_synthetic=True).values_list("pk", flat=True)[:5000])
    orgs = list(Organisation.objects.values_list("pk", flat=True)[:5000])
    kinds = [
        k for k in KnowledgeItem.Kind.values if k in KIND_TITLES
    ]  # answered questions come from brokering
    topics = [(slug, topic) for slug, ts in TOPICS.items() if slug in themes for topic in ts]
    existing = set(KnowledgeItem.objects.values_list("slug", flat=True))
    from plek.atlas.models import Hub

    hubs = list(Hub.objects.values_list("pk", flat=True))
    batch: list[tuple[KnowledgeItem, str, Region]] = []
    made = 0
    start = dt.date(2015, 1, 1)
    today = dt.date.today()

    def flush() -> None:
        nonlocal batch
        if not batch:
            return
        KnowledgeItem.objects.bulk_create([b[0] for b in batch], batch_size=2000)
        saved = {
            i.slug: i.pk
            for i in KnowledgeItem.objects.filter(slug__in=[b[0].slug for b in batch]).only("pk", "slug")
        }
        tt, rr, pp, oo, vv = [], [], [], [], []
        for item, slug, region in batch:
            pk = saved[item.slug]
            theme = themes[slug]
            tt.append(KnowledgeItem.themes.through(knowledgeitem_id=pk, theme_id=theme.pk))
            if theme.parent_id and rng.random() < 0.5:
                tt.append(KnowledgeItem.themes.through(knowledgeitem_id=pk, theme_id=theme.parent_id))
            rr.append(KnowledgeItem.regions.through(knowledgeitem_id=pk, region_id=region.pk))
            if people and rng.random() < 0.6:
                pp.append(
                    KnowledgeItem.author_people.through(knowledgeitem_id=pk, person_id=rng.choice(people))
                )
            if orgs and rng.random() < 0.5:
                oo.append(
                    KnowledgeItem.author_organisations.through(
                        knowledgeitem_id=pk, organisation_id=rng.choice(orgs)
                    )
                )
            vv.append(
                KnowledgeVersion(
                    item_id=pk, version=1, title=item.title, summary=item.summary, body=item.body
                )
            )
        KnowledgeItem.themes.through.objects.bulk_create(tt, batch_size=5000, ignore_conflicts=True)
        KnowledgeItem.regions.through.objects.bulk_create(rr, batch_size=5000)
        KnowledgeItem.author_people.through.objects.bulk_create(pp, batch_size=5000)
        KnowledgeItem.author_organisations.through.objects.bulk_create(oo, batch_size=5000)
        KnowledgeVersion.objects.bulk_create(vv, batch_size=5000)
        if progress:
            progress("knowledge", len(batch))
        batch = []

    for i in range(n):
        slug, topic = rng.choice(topics)
        kind = rng.choice(kinds)
        roll = rng.random()
        if roll < 0.55 and by_kind.get("municipality"):
            region, scale = rng.choice(by_kind["municipality"]), Scale.LOCAL
        elif roll < 0.9:
            pool = (
                by_kind.get("province", []) + by_kind.get("res_region", []) + by_kind.get("water_board", [])
            )
            region, scale = rng.choice(pool), Scale.REGIONAL
        else:
            region, scale = by_kind["country"][0], Scale.NATIONAL
        title = KIND_TITLES[kind].format(t=topic, T=topic[:1].upper() + topic[1:], r=region.name)
        item_slug = f"{slugify(title)[:110]}-{i}"
        if item_slug in existing:
            continue
        summary, body = _text(rng, topic, region.name)
        item = KnowledgeItem(
            slug=item_slug,
            kind=kind,
            category=KnowledgeItem.CATEGORY_OF[kind],
            title=title,
            summary=summary,
            body=body,
            language="nl",
            date=min(today, start + dt.timedelta(days=rng.randint(0, 4300))),
            scale=scale,
            visibility=rng.choices(
                [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.HUB, Visibility.PRIVATE],
                weights=[80, 12, 6, 2],
            )[0],
            provenance=rng.choice(["made_here", "made_here", "imported"]),
            licence="CC BY 4.0",
            source_name="synthetische demodata",
            is_synthetic=True,
            owner_hub_id=rng.choice(hubs) if hubs else None,
        )
        batch.append((item, slug, region))
        made += 1
        if len(batch) >= 5000:
            flush()
    flush()
    return made


def demo_step(
    *, scale: str, seed: int, items: int | None = None, progress: Any = None, **_: Any
) -> dict[str, int]:
    from plek.knowledge.indexing import reindex

    n = items if items is not None else SIZES.get(scale, 300)
    made = knowledge_demo(n, seed=seed, progress=progress)
    counts = reindex(progress=progress)
    return {"knowledge_items": made, "indexed": sum(counts.values())}
