"""A believable, clearly marked synthetic field on top of the real reference set.

Everything generated here has `is_synthetic=True` (names say "(demo)" on hubs) and is seeded, so two
runs give the same data. `scale="national"` writes with bulk inserts."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from plek.atlas.models import (
    Hub,
    HubMembership,
    Network,
    NetworkMember,
    Organisation,
    Person,
    Programme,
    Region,
    RegionContainment,
    Relation,
    Theme,
)
from plek.core.models import Scale, Visibility

FIRST = [
    "Anouk",
    "Bram",
    "Daan",
    "Eva",
    "Fleur",
    "Gijs",
    "Hanna",
    "Iris",
    "Jeroen",
    "Joost",
    "Karin",
    "Lotte",
    "Maarten",
    "Marieke",
    "Noor",
    "Pieter",
    "Ruben",
    "Sanne",
    "Sophie",
    "Thijs",
    "Tim",
    "Wouter",
    "Yvonne",
    "Femke",
    "Bas",
    "Lisa",
    "Mark",
    "Ingrid",
    "Hans",
    "Esther",
    "Sjoerd",
    "Aukje",
    "Geert",
    "Rianne",
    "Mohamed",
    "Fatima",
    "Yusuf",
    "Samira",
    "Priya",
    "Tjitske",
    "Wietske",
    "Hidde",
    "Floor",
    "Kees",
    "Annelies",
    "Ton",
    "Ellen",
    "Frank",
    "Jolanda",
]
PREFIX = ["", "", "", "de ", "van ", "van der ", "van den ", "ter "]
LAST = [
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "Boer",
    "Mulder",
    "Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Dekker",
    "Dijkstra",
    "Brouwer",
    "Wit",
    "Dijk",
    "Graaf",
    "Leeuwen",
    "Berg",
    "Kok",
    "Jacobs",
    "Vries",
    "Vermeulen",
    "Postma",
    "Hoekstra",
    "Kramer",
    "Schouten",
    "Willems",
    "Veenstra",
    "Kuipers",
    "Wouters",
    "Haan",
    "Bosch",
    "Huisman",
    "Koster",
    "Prins",
    "Blom",
    "Akkerman",
    "Zwart",
    "Schipper",
    "Sluis",
    "El Amrani",
    "Yilmaz",
    "Nijboer",
    "Wijnberg",
    "Hofstra",
    "Terpstra",
]
ROLES = [
    "beleidsadviseur ruimte",
    "gebiedsregisseur",
    "projectleider energietransitie",
    "onderzoeker",
    "lector",
    "hoogleraar",
    "agrarisch ondernemer",
    "bewoner en initiatiefnemer",
    "adviseur waterbeheer",
    "programmamanager",
    "kennismakelaar",
    "ecoloog",
    "stedenbouwkundige",
    "omgevingsmanager",
    "data-analist",
    "wethouder",
    "secretaris dorpsraad",
    "adviseur circulaire bouw",
]
EXPERTISE = {
    "wonen": "woningbouwprogrammering, flexwonen en betaalbare woningen in kleine kernen",
    "woningbouw": "versnellen van woningbouw op binnenstedelijke locaties",
    "water-bodem": "water en bodem sturend in gebiedsprocessen, grondwaterstanden",
    "waterberging": "waterberging in polders en piekberging bij extreme neerslag",
    "bodemdaling": "bodemdaling in veenweidegebieden en vernatting",
    "klimaatadaptatie": "stresstesten, risicodialogen en klimaatadaptieve inrichting",
    "hitte-droogte": "hittestress in wijken en droogte op de hoge zandgronden",
    "biodiversiteit-natuur": "natuurinclusief bouwen en herstel van biodiversiteit in het landelijk gebied",
    "stikstof": "stikstofdepositie op Natura 2000-gebieden en emissiearme stallen",
    "energie": "regionale energiestrategie en participatie bij energieprojecten",
    "wind-zon": "zonneparken en windturbines met lokaal eigendom",
    "warmtetransitie": "aardgasvrije wijken en warmtenetten",
    "netcongestie": "netcongestie, energiehubs en slim laden op bedrijventerreinen",
    "circulaire-landbouw": "kringlooplandbouw, mestverwerking en korte ketens",
    "circulaire-economie": "circulair bouwen, hergebruik van materialen en grondstoffenakkoorden",
    "duurzame-industrie": "verduurzaming van industrieclusters en waterstof",
    "leefbaarheid": "brede welvaart, voorzieningen in dorpen en leefbaarheid van wijken",
    "bereikbaarheid": "mobiliteitshubs en bereikbaarheid van het platteland",
    "economie": "regionale economie, bedrijventerreinen en arbeidsmarkt",
    "landschap": "landschapsbiografie, ruimtelijke kwaliteit en ontwerpend onderzoek",
    "defensie": "ruimtebehoefte van defensie en meervoudig ruimtegebruik",
}
NETWORK_WORDS = [
    ("Kennisnetwerk", Network.Kind.KNOWLEDGE),
    ("Leernetwerk", Network.Kind.LEARNING),
    ("Praktijkgemeenschap", Network.Kind.PRACTICE),
    ("Kenniskring", Network.Kind.KNOWLEDGE),
    ("Leerkring", Network.Kind.LEARNING),
]
ORG_PATTERNS = [
    (Organisation.Kind.RESEARCH_INSTITUTE, "Kenniscentrum {t} {r}"),
    (Organisation.Kind.UNIVERSITY, "Universiteit {r}"),
    (Organisation.Kind.UAS, "Hogeschool {r}"),
    (Organisation.Kind.COMPANY, "Adviesbureau {l} {t}"),
    (Organisation.Kind.COMPANY, "{l} Ingenieurs"),
    (Organisation.Kind.CIVIL_SOCIETY, "Stichting {t} {r}"),
    (Organisation.Kind.RESIDENTS, "Energiecoöperatie {r}"),
    (Organisation.Kind.RESIDENTS, "Dorpsraad {r}"),
    (Organisation.Kind.KNOWLEDGE_NETWORK, "Netwerk {t} {r}"),
    (Organisation.Kind.AGENCY, "Uitvoeringsorganisatie {t} {r}"),
]
HUBS = [
    ("Kennishub Noord-Holland", ["PV27"]),
    ("Kennishub Foodvalley", ["ES-FOODVALLEY", "RES-FOODVALLEY"]),
    ("Kennishub Drenthe", ["PV22"]),
    ("Kennishub Zuid-Limburg", ["PV31"]),
    ("Kennishub Groningen", ["PV20"]),
    ("Kennishub Fryslân", ["PV21"]),
    ("Kennishub Zeeland", ["PV29"]),
    ("Kennishub Utrecht", ["PV26"]),
    ("Kennishub Zuid-Holland", ["PV28"]),
    ("Kennishub Brabant", ["PV30"]),
    ("Kennishub Gelderland", ["PV25"]),
    ("Kennishub Overijssel-Flevoland", ["PV23", "PV24"]),
]
SIZES = {
    "small": {"hubs": 5, "organisations": 120, "people": 300, "networks": 60, "relations": 600},
    "national": {"hubs": 12, "organisations": 5000, "people": 20000, "networks": 2000, "relations": 200000},
}


def _bulk(model: Any, objs: Iterable[Any], batch: int = 2000) -> None:
    model.objects.bulk_create(list(objs), batch_size=batch)


def _refresh_statistics() -> None:
    """Let the query planner see the new row counts. Without statistics SQLite takes every
    `visibility = 'public'` index as selective and walks most of a table for a region page."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _pools(home: dict[int, int | None]) -> dict[int, list[int]]:
    """Entity ids grouped by their province."""
    out: dict[int, list[int]] = defaultdict(list)
    for eid, prov in home.items():
        if prov is not None:
            out[prov].append(eid)
    return out


class Demo:
    def __init__(
        self, scale: str = "small", seed: int = 2026, progress: Callable[[str, int], None] | None = None
    ):
        self.size = SIZES[scale]
        self.rng = random.Random(seed)  # nosec B311 # seeded demo data, not security
        self.progress = progress or (lambda label, n: None)

    def _name(self) -> str:
        r = self.rng
        return f"{r.choice(FIRST)} {r.choice(PREFIX)}{r.choice(LAST)}"

    @transaction.atomic
    def run(self) -> dict[str, int]:
        rng = self.rng
        themes = list(Theme.objects.all())
        top_themes = [t for t in themes if t.parent_id is None]
        regions = {r.code: r for r in Region.objects.all()}
        munis = [r for r in regions.values() if r.kind == Region.Kind.MUNICIPALITY]
        provinces = [r for r in regions.values() if r.kind == Region.Kind.PROVINCE]
        res = [r for r in regions.values() if r.kind == Region.Kind.RES_REGION]
        regional_pool = provinces + res + [r for r in regions.values() if r.kind == Region.Kind.WATER_BOARD]
        muni_province = dict(
            RegionContainment.objects.filter(child__kind="municipality", parent__kind="province").values_list(
                "child_id", "parent_id"
            )
        )
        programmes = list(Programme.objects.all())
        user_model = get_user_model()

        # Hubs and their people with accounts.
        hubs: list[Hub] = []
        for name, codes in HUBS[: self.size["hubs"]]:
            hub, _ = Hub.objects.get_or_create(
                slug=slugify(name),
                defaults={
                    "name": name,
                    "is_synthetic": True,
                    "introduction": (
                        f"{name} (demo) verbindt praktijk, beleid en onderzoek in de regio. "
                        "Wij beantwoorden kennisvragen, organiseren gebiedsleren en ondersteunen "
                        "strategische keuzes met scenario's en trends."
                    ),
                },
            )
            hub_regions = [regions[c] for c in codes if c in regions] or [rng.choice(provinces)]
            hub.regions.set(hub_regions)
            hub.themes.set(rng.sample(top_themes, 4))
            hubs.append(hub)
        self.progress("hubs", len(hubs))

        accounts = [
            ("beheerder", "Platformbeheerder (demo)", True, None, None),
            ("coordinator", "Kim de Makelaar (demo)", False, 0, HubMembership.Role.COORDINATOR),
            ("lid", "Lars Lid (demo)", False, 0, HubMembership.Role.MEMBER),
            ("buitenstaander", "Bo Buitenstaander (demo)", False, None, None),
        ]
        for username, display, admin, hub_index, role in accounts:
            user, created = user_model.objects.get_or_create(
                username=username,
                defaults={"display_name": display, "email": f"{username}@demo.plek.localhost"},
            )
            if created:
                user.set_password("demo-wachtwoord")
                user.is_superuser = user.is_staff = admin
                user.save()
            if hub_index is not None and role:
                HubMembership.objects.get_or_create(hub=hubs[hub_index], user=user, defaults={"role": role})

        # Every region's province(s): the field is mostly local, so most links stay inside a province.
        province_ids = {p.pk for p in provinces}
        region_provinces: dict[int, list[int]] = defaultdict(list)
        for p in provinces:
            region_provinces[p.pk].append(p.pk)
        for parent_id, child_id in RegionContainment.objects.values_list("parent_id", "child_id"):
            if parent_id in province_ids and child_id not in province_ids:
                region_provinces[child_id].append(parent_id)
            elif child_id in muni_province and parent_id not in province_ids:
                region_provinces[parent_id].append(muni_province[child_id])
        hub_province = {
            h.pk: sorted(set().union(*(region_provinces.get(r.pk, ()) for r in h.regions.all())))
            for h in hubs
        }

        # Organisations: one per province and municipality government, plus synthetic ones.
        orgs: list[Organisation] = []
        org_home: dict[str, Region] = {}  # slug -> the region the organisation works in
        existing = set(Organisation.objects.values_list("slug", flat=True))
        for region in provinces + munis:
            kind = (
                Organisation.Kind.PROVINCE
                if region.kind == Region.Kind.PROVINCE
                else Organisation.Kind.MUNICIPALITY
            )
            label = (
                f"Provincie {region.name}"
                if kind == Organisation.Kind.PROVINCE
                else f"Gemeente {region.name}"
            )
            slug = slugify(label)
            if slug not in existing:
                orgs.append(
                    Organisation(
                        slug=slug,
                        name=label,
                        kind=kind,
                        is_synthetic=False,
                        description=f"Overheid: {label}.",
                    )
                )
                org_home[slug] = region
                existing.add(slug)
        target = self.size["organisations"]
        for n in range(target):
            kind, pattern = rng.choice(ORG_PATTERNS)
            region = rng.choice(munis if rng.random() < 0.6 else provinces)
            theme = rng.choice(top_themes)
            name = pattern.format(t=theme.label_nl, r=region.name, l=rng.choice(LAST))
            slug = slugify(name)[:100]
            if slug in existing:
                slug = f"{slug}-{n}"
            existing.add(slug)
            org_home[slug] = region
            orgs.append(
                Organisation(
                    slug=slug,
                    name=name,
                    kind=kind,
                    is_synthetic=True,
                    description=f"{name} (demo) werkt aan {theme.label_nl.lower()}.",
                    owner_hub=rng.choice(hubs) if rng.random() < 0.2 else None,
                )
            )
        _bulk(Organisation, orgs)
        org_id_by_slug = dict(Organisation.objects.filter(slug__in=list(org_home)).values_list("slug", "id"))
        org_region, org_theme = [], []
        org_province: dict[int, int | None] = {}
        for slug, region in org_home.items():
            oid = org_id_by_slug[slug]
            org_region.append(Organisation.regions.through(organisation_id=oid, region_id=region.pk))
            org_province[oid] = region.pk if region.pk in province_ids else muni_province.get(region.pk)
            for t in rng.sample(themes, 2):
                org_theme.append(Organisation.themes.through(organisation_id=oid, theme_id=t.pk))
        _bulk(Organisation.regions.through, org_region, 5000)
        _bulk(Organisation.themes.through, org_theme, 5000)
        self.progress("organisations", len(org_home))
        org_ids = list(org_province)
        orgs_in = _pools(org_province)

        def pick(ids: list[int], pools: dict[int, list[int]], prov: int | None, local: float = 0.85) -> int:
            """Mostly an entity of the same province, sometimes one from anywhere."""
            if prov is not None and pools.get(prov) and rng.random() < local:
                return rng.choice(pools[prov])
            return rng.choice(ids)

        # People (knowledge holders) with consent and per-group visibility.
        people = []
        person_home: dict[str, Region] = {}
        vis_levels = [Visibility.PUBLIC] * 5 + [Visibility.MEMBERS] * 3 + [Visibility.HUB, Visibility.PRIVATE]
        now = timezone.now()
        used = set(Person.objects.values_list("slug", flat=True))
        for i in range(self.size["people"]):
            name = self._name()
            slug = slugify(name)
            if slug in used:
                slug = f"{slug}-{i}"
            used.add(slug)
            theme = rng.choice(themes)
            kinds = rng.sample(["practice", "research", "policy"], rng.choice([1, 1, 2]))
            person_home[slug] = rng.choice(munis)
            people.append(
                Person(
                    slug=slug,
                    name=name,
                    role=rng.choice(ROLES),
                    is_synthetic=True,
                    email=f"{slug}@voorbeeld.nl",
                    expertise=EXPERTISE.get(theme.slug, EXPERTISE["wonen"]),
                    knowledge_kinds=kinds,
                    consent_at=now,
                    consent_basis=Person.ConsentBasis.FORM,
                    owner_hub=rng.choice(hubs),
                    visibility=Visibility.PUBLIC if rng.random() < 0.85 else Visibility.MEMBERS,
                    contact_visibility=rng.choice([Visibility.PRIVATE, Visibility.MEMBERS, Visibility.HUB]),
                    affiliation_visibility=rng.choice(vis_levels),
                    expertise_visibility=rng.choice(vis_levels),
                    regions_visibility=rng.choice(vis_levels),
                )
            )
        _bulk(Person, people)
        person_id_by_slug = dict(Person.objects.filter(slug__in=list(person_home)).values_list("slug", "id"))
        p_theme, p_region, p_org = [], [], []
        person_province: dict[int, int | None] = {}
        for slug, muni in person_home.items():
            pid = person_id_by_slug[slug]
            prov = muni_province.get(muni.pk)
            person_province[pid] = prov
            for t in rng.sample(themes, rng.choice([1, 2, 3])):
                p_theme.append(Person.themes.through(person_id=pid, theme_id=t.pk))
            p_region.append(Person.regions.through(person_id=pid, region_id=muni.pk))
            if prov is not None and rng.random() < 0.3:
                p_region.append(Person.regions.through(person_id=pid, region_id=prov))
            p_org.append(
                Person.organisations.through(person_id=pid, organisation_id=pick(org_ids, orgs_in, prov, 0.9))
            )
        _bulk(Person.themes.through, p_theme, 5000)
        _bulk(Person.regions.through, p_region, 5000)
        _bulk(Person.organisations.through, p_org, 5000)
        self.progress("people", len(person_home))
        person_ids = list(person_province)
        people_in = _pools(person_province)

        # Networks at all scales; their members mostly come from the network's own province(s).
        networks = []
        for i in range(self.size["networks"]):
            word, net_kind = rng.choice(NETWORK_WORDS)
            theme = rng.choice(top_themes)
            roll = rng.random()
            if roll < 0.45:
                region, scale = rng.choice(munis), Scale.LOCAL
            elif roll < 0.9:
                region, scale = rng.choice(regional_pool), Scale.REGIONAL
            else:
                region, scale = regions["NL"], Scale.NATIONAL
            name = f"{word} {theme.label_nl} {region.name}"
            networks.append(
                Network(
                    slug=f"{slugify(name)[:100]}-{i}",
                    name=name,
                    kind=net_kind,
                    scale=scale,
                    is_synthetic=True,
                    description=f"{name} (demo): deelnemers uit praktijk, beleid en onderzoek delen kennis over "
                    f"{theme.label_nl.lower()} in {region.name}.",
                    visibility=Visibility.PUBLIC if rng.random() < 0.9 else Visibility.HUB,
                    owner_hub=rng.choice(hubs),
                )
            )
            networks[-1]._region = region  # type: ignore[attr-defined]
            networks[-1]._theme = theme  # type: ignore[attr-defined]
        _bulk(Network, networks)
        net_id_by_slug = dict(Network.objects.filter(is_synthetic=True).values_list("slug", "id"))
        n_region, n_theme, n_prog, n_member = [], [], [], []
        network_province: dict[int, int | None] = {}
        for spec in networks:
            nid = net_id_by_slug[spec.slug]
            spec.pk = nid
            region = spec._region  # type: ignore[attr-defined]
            provs = region_provinces.get(region.pk, [])
            network_province[nid] = provs[0] if len(provs) == 1 else (rng.choice(provs) if provs else None)
            n_region.append(Network.regions.through(network_id=nid, region_id=region.pk))
            n_theme.append(Network.themes.through(network_id=nid, theme_id=spec._theme.pk))  # type: ignore[attr-defined]
            if programmes and rng.random() < 0.4:
                n_prog.append(
                    Network.programmes.through(network_id=nid, programme_id=rng.choice(programmes).pk)
                )
            members: set[int] = set()
            for _ in range(rng.randint(2, 6)):
                prov = rng.choice(provs) if provs else None
                members.add(pick(person_ids, people_in, prov, 0.9))
            for pid in members:
                n_member.append(NetworkMember(network_id=nid, person_id=pid))
            partners: set[int] = set()
            for _ in range(rng.randint(1, 3)):
                prov = rng.choice(provs) if provs else None
                partners.add(pick(org_ids, orgs_in, prov, 0.9))
            for oid in partners:
                n_member.append(
                    NetworkMember(network_id=nid, organisation_id=oid, role=NetworkMember.Role.PARTNER)
                )
        _bulk(Network.regions.through, n_region, 5000)
        _bulk(Network.themes.through, n_theme, 5000)
        _bulk(Network.programmes.through, n_prog, 5000)
        _bulk(NetworkMember, n_member, 5000)
        national = [net for net in networks if net.scale == Scale.NATIONAL]
        parents = [net for net in networks if net.scale != Scale.NATIONAL and rng.random() < 0.1]
        if national:
            for net in parents:
                net.parent = rng.choice(national)
            Network.objects.bulk_update(parents, ["parent"], batch_size=1000)
        self.progress("networks", len(networks))
        net_ids = list(network_province)
        nets_in = _pools(network_province)

        # Relations: typed by what they connect, mostly within a province, a few across.
        hub_ids = [h.pk for h in hubs]
        hubs_in = _pools({h: (p[0] if p else None) for h, p in hub_province.items()})
        programme_ids = [p.pk for p in programmes]
        province_of = {"organisation": org_province, "network": network_province, "person": person_province}
        pools: dict[str, tuple[list[int], dict[int, list[int]]]] = {
            "organisation": (org_ids, orgs_in),
            "network": (net_ids, nets_in),
            "person": (person_ids, people_in),
            "hub": (hub_ids, hubs_in),
            "programme": (programme_ids, {}),
        }
        # (source type, target type, weight, plausible kinds)
        K = Relation.Kind
        shapes = [
            ("person", "organisation", 5, [K.WORKS_WITH, K.ADVISES, K.KNOWLEDGE_PARTNER]),
            ("person", "network", 4, [K.MEMBER_OF, K.COORDINATES]),
            ("person", "person", 4, [K.WORKS_WITH, K.ADVISES]),
            ("person", "hub", 1, [K.MEMBER_OF, K.ADVISES]),
            ("person", "programme", 1, [K.ADVISES, K.WORKS_WITH]),
            ("organisation", "organisation", 5, [K.WORKS_WITH, K.FUNDS, K.KNOWLEDGE_PARTNER]),
            ("organisation", "network", 4, [K.MEMBER_OF, K.FUNDS, K.COORDINATES, K.KNOWLEDGE_PARTNER]),
            ("organisation", "hub", 1, [K.KNOWLEDGE_PARTNER, K.PART_OF, K.FUNDS]),
            ("organisation", "programme", 1, [K.WORKS_WITH, K.KNOWLEDGE_PARTNER, K.FUNDS]),
            ("organisation", "person", 1, [K.FUNDS, K.COORDINATES]),
            ("network", "network", 2, [K.WORKS_WITH, K.PART_OF]),
            ("network", "organisation", 2, [K.WORKS_WITH, K.ADVISES]),
            ("network", "hub", 1, [K.PART_OF, K.WORKS_WITH]),
            ("network", "programme", 1, [K.WORKS_WITH, K.PART_OF]),
        ]
        shapes = [sh for sh in shapes if pools[sh[0]][0] and pools[sh[1]][0]]
        shape_weights = [sh[2] for sh in shapes]
        target_n = self.size["relations"]
        seen: set[tuple[str, str, int, str, int]] = set()
        batch: list[Relation] = []
        made = attempts = 0
        random_ = rng.random
        while made < target_n and attempts < target_n * 3 and shapes:
            attempts += 1
            s_type, t_type, _w, rel_kinds = rng.choices(shapes, shape_weights)[0]
            s_ids = pools[s_type][0]
            s_id = rng.choice(s_ids)
            t_ids, t_pools = pools[t_type]
            t_id = pick(t_ids, t_pools, province_of[s_type].get(s_id), 0.85)
            rel_kind = rng.choice(rel_kinds)
            key = (rel_kind, s_type, s_id, t_type, t_id)
            if key in seen or (s_type == t_type and s_id == t_id):
                continue
            seen.add(key)
            batch.append(
                Relation(
                    kind=rel_kind,
                    source_type=s_type,
                    source_id=s_id,
                    target_type=t_type,
                    target_id=t_id,
                    source_note="synthetische demodata",
                    is_synthetic=True,
                    visibility=Visibility.PUBLIC if random_() < 0.9 else Visibility.MEMBERS,
                )
            )
            made += 1
            if len(batch) >= 20000:
                _bulk(Relation, batch, 5000)
                self.progress("relations", len(batch))
                batch = []
        _bulk(Relation, batch, 5000)
        self.progress("relations", len(batch))
        _refresh_statistics()
        return {
            "hubs": Hub.objects.count(),
            "organisations": Organisation.objects.count(),
            "people": Person.objects.count(),
            "networks": Network.objects.count(),
            "relations": Relation.objects.count(),
        }
