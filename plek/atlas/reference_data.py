"""Loads the official reference set (regions, themes, national programmes) into the Atlas.

Idempotent: rows are matched on their code or slug, so running it again updates in place."""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.text import slugify

from plek.atlas.models import (
    Milestone,
    Programme,
    ProgrammeBudget,
    ProgrammeStatusChange,
    Region,
    RegionContainment,
    Theme,
)
from plek.core.models import Scale

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

# slug, parent slug, Dutch label, English label
THEMES: list[tuple[str, str | None, str, str]] = [
    ("wonen", None, "Wonen", "Housing"),
    ("woningbouw", "wonen", "Woningbouw", "Housing construction"),
    ("wonen-en-zorg", "wonen", "Wonen en zorg", "Housing and care"),
    ("water-bodem", None, "Water en bodem", "Water and soil"),
    ("waterberging", "water-bodem", "Waterberging", "Water storage"),
    ("bodemdaling", "water-bodem", "Bodemdaling en veenweide", "Land subsidence and peat meadows"),
    ("waterkwaliteit", "water-bodem", "Waterkwaliteit", "Water quality"),
    ("klimaatadaptatie", None, "Klimaatadaptatie", "Climate adaptation"),
    ("hitte-droogte", "klimaatadaptatie", "Hitte en droogte", "Heat and drought"),
    ("biodiversiteit-natuur", None, "Biodiversiteit en natuur", "Biodiversity and nature"),
    ("stikstof", None, "Stikstof", "Nitrogen"),
    ("energie", None, "Duurzaam energiesysteem", "Sustainable energy system"),
    ("wind-zon", "energie", "Wind en zon op land", "Onshore wind and solar"),
    ("warmtetransitie", "energie", "Warmtetransitie", "Heat transition"),
    ("netcongestie", "energie", "Netcongestie", "Grid congestion"),
    ("circulaire-landbouw", None, "Circulaire landbouw", "Circular agriculture"),
    ("circulaire-economie", None, "Circulaire economie", "Circular economy"),
    ("duurzame-industrie", None, "Duurzame industrie", "Sustainable industry"),
    ("leefbaarheid", None, "Leefbaarheid en brede welvaart", "Liveability and broad prosperity"),
    ("bereikbaarheid", None, "Bereikbaarheid", "Accessibility and mobility"),
    ("economie", None, "Regionale economie", "Regional economy"),
    ("landschap", None, "Landschap en ruimtelijke kwaliteit", "Landscape and spatial quality"),
    ("defensie", None, "Defensie en ruimte", "Defence and space"),
    # How regions work rather than what about: a third of real knowledge questions (issue 15).
    ("samenwerking-governance", None, "Samenwerking en governance", "Collaboration and governance"),
    ("uitvoeringskracht", None, "Uitvoeringskracht", "Capacity to deliver"),
    ("kennis-leren", None, "Kennis en leren", "Knowledge and learning"),
    ("financiering", None, "Financiering en verdienmodellen", "Funding and business models"),
    ("participatie", None, "Participatie", "Participation"),
]

# What each theme covers (Dutch, English): shown where a theme is chosen, and matched by meaning when the
# engine suggests themes for a question (plek.brokering.matching). Written as a glossary defines a theme,
# with the policy terms and the everyday words for the same things, without looking at any evaluation
# question (issue 15).
THEME_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    "wonen": (
        (
            "Alles over wonen in de regio: woningtekort, betaalbare huur- en koopwoningen, de woningmarkt, "
            "doorstroming, starters en ouderen, leegstand en de kwaliteit van wijken. Ook woonbeleid, "
            "woonvisies, woondeals en huisvesting van arbeidsmigranten, studenten en statushouders."
        ),
        (
            "Everything about housing in the region: housing shortage, affordable rental and owner-occupied "
            "homes, the housing market, moving on, starters and older people, vacancy and neighbourhood "
            "quality. Also housing policy, housing deals and housing for labour migrants, students and "
            "refugees."
        ),
    ),
    "woningbouw": (
        (
            "Het bouwen van nieuwe woningen: bouwlocaties, nieuwbouwwijken, inbreiding en uitbreiding, "
            "flexwoningen, kantoren ombouwen tot woningen en vertraging door stikstof, netcongestie of "
            "procedures. Ook bouwtempo, grondprijzen, omgevingsplannen en samenwerking met corporaties en "
            "ontwikkelaars."
        ),
        (
            "Building new homes: building sites, new housing estates, infill and expansion, temporary (flex)"
            " homes, converting offices, and delays from nitrogen, grid congestion or procedures. Also "
            "building pace, land prices, zoning and environmental plans, and working with housing "
            "associations and developers."
        ),
    ),
    "wonen-en-zorg": (
        (
            "Wonen voor mensen die zorg of steun nodig hebben, zoals ouderen en mensen met een beperking. "
            "Denk aan langer thuis wonen, levensloopbestendige woningen, zorgwoningen, hofjes, "
            "mantelzorgwoningen, beschermd wonen, woonzorgvisies en samenwerking tussen gemeente, corporatie"
            " en zorg."
        ),
        (
            "Housing for people who need care or support, such as older people and people with disabilities."
            " Think of ageing in place, lifetime-proof homes, care housing, courtyard homes, granny annexes,"
            " sheltered housing, housing-and-care plans and cooperation between council, housing association"
            " and care providers."
        ),
    ),
    "water-bodem": (
        (
            "Hoe water en bodem de inrichting van een gebied bepalen (water en bodem sturend): grondwater, "
            "waterpeil, dijken, overstromingsrisico, bodemkwaliteit en vervuilde grond. Ook de rol van "
            "waterschappen, drinkwater en de vraag waar je wel of niet kunt bouwen of boeren."
        ),
        (
            "How water and soil shape the use of an area ('water and soil as guiding principles'): "
            "groundwater, water levels, dikes, flood risk, soil quality and polluted land. Also the role of "
            "water boards, drinking water and where you can or cannot build or farm."
        ),
    ),
    "waterberging": (
        (
            "Ruimte om te veel water tijdelijk op te vangen en vast te houden, bij hoosbuien of hoogwater. "
            "Denk aan waterbergingsgebieden, retentie, wadi's, overloopgebieden, ruimte voor de rivier, "
            "water vasthouden op het land, sponswerking en wateroverlast in straten, kelders en op akkers."
        ),
        (
            "Space to temporarily catch and hold excess water during cloudbursts or high river levels. Think"
            " of water storage areas, retention basins, swales (wadis), overflow areas, room for the river, "
            "keeping water on the land, the sponge effect and flooding of streets, basements and fields."
        ),
    ),
    "bodemdaling": (
        (
            "Het zakken van de bodem, vooral in veenweidegebieden, door ontwatering en oxidatie van veen. "
            "Gaat over verzakte huizen en funderingsschade (paalrot), CO2-uitstoot uit veen, hogere "
            "waterpeilen, onderwaterdrainage, natte teelten zoals lisdodde en de toekomst van melkveehouders"
            " in het veen."
        ),
        (
            "The sinking of the ground, especially in peat meadow areas, caused by drainage and peat "
            "oxidation. Covers sagging houses and foundation damage (pile rot), CO2 emissions from peat, "
            "higher water levels, subsurface drainage, wet crops (paludiculture) and the future of dairy "
            "farms on peat."
        ),
    ),
    "waterkwaliteit": (
        (
            "Hoe schoon het water is in sloten, beken, rivieren, meren en grondwater. Gaat over de "
            "Kaderrichtlijn Water (KRW), mest en nitraat, bestrijdingsmiddelen, medicijnresten, PFAS, "
            "blauwalg, bufferstroken langs sloten, drinkwaterbronnen en maatregelen van boeren en "
            "waterschappen."
        ),
        (
            "How clean the water is in ditches, streams, rivers, lakes and groundwater. Covers the Water "
            "Framework Directive (WFD), manure and nitrate, pesticides, drug residues, PFAS, blue-green "
            "algae, buffer strips along ditches, drinking water sources and measures by farmers and water "
            "boards."
        ),
    ),
    "klimaatadaptatie": (
        (
            "Je voorbereiden op de gevolgen van klimaatverandering: meer hevige regen, hitte, droogte en "
            "overstromingen. Denk aan klimaatbestendig bouwen en inrichten, stresstesten, risicodialogen, "
            "groene daken, tegels eruit en groen erin, en wat bewoners zelf kunnen doen."
        ),
        (
            "Preparing for the effects of climate change: more heavy rain, heat, drought and flooding. Think"
            " of climate-proof building and design, stress tests, risk dialogues, green roofs, replacing "
            "paving with plants (Delta Plan on Spatial Adaptation) and what residents can do themselves."
        ),
    ),
    "hitte-droogte": (
        (
            "Omgaan met hittegolven en lange droge periodes. Gaat over hittestress in stenige wijken, koele "
            "plekken, schaduw en bomen, gezondheid van ouderen, watertekort, lage grondwaterstanden, "
            "beregeningsverboden, droogteschade aan gewassen en natuur, zoetwater en verzilting."
        ),
        (
            "Dealing with heatwaves and long dry spells. Covers heat stress in paved neighbourhoods, cool "
            "spots, shade and trees, health of older people, water shortages, low groundwater levels, "
            "irrigation bans, drought damage to crops and nature, freshwater supply and salinisation."
        ),
    ),
    "biodiversiteit-natuur": (
        (
            "De rijkdom aan planten, dieren en leefgebieden en hoe we die beschermen en herstellen. Denk aan"
            " Natura 2000, het Natuurnetwerk Nederland, natuurinclusief bouwen en boeren, insecten en bijen,"
            " weidevogels, houtwallen, groen in de stad, nieuwe natuur en natuurbeheer."
        ),
        (
            "The variety of plants, animals and habitats and how we protect and restore them. Think of "
            "Natura 2000, the Nature Network Netherlands, nature-inclusive building and farming, insects and"
            " bees, meadow birds, hedgerows, urban green spaces, new nature and nature management."
        ),
    ),
    "stikstof": (
        (
            "Neerslag van stikstof (ammoniak uit de landbouw, stikstofoxiden uit verkeer, industrie en bouw)"
            " op kwetsbare natuur. Gaat over kritische depositiewaarden, natuurvergunningen, AERIUS, "
            "PAS-melders, uitkoop- en verplaatsingsregelingen voor boeren, emissiearme stallen en "
            "stilgelegde bouwprojecten."
        ),
        (
            "Deposition of nitrogen (ammonia from farming, nitrogen oxides from traffic, industry and "
            "construction) on vulnerable nature. Covers critical deposition values, nature permits, AERIUS, "
            "PAS reporters, buy-out and relocation schemes for farmers, low-emission barns and stalled "
            "building projects."
        ),
    ),
    "energie": (
        (
            "De overstap naar een energiesysteem zonder fossiele brandstoffen. Gaat over de Regionale "
            "Energiestrategie (RES), opwekken, opslaan en vervoeren van energie, waterstof, energie "
            "besparen, energiecoöperaties, ruimte voor energie-infrastructuur en de energierekening."
        ),
        (
            "The shift to an energy system without fossil fuels. Covers the Regional Energy Strategy (RES), "
            "generating, storing and transporting energy, hydrogen, energy saving, local energy "
            "cooperatives, space for energy infrastructure and energy bills."
        ),
    ),
    "wind-zon": (
        (
            "Windmolens en zonnepanelen op land: windparken, zonneparken of zonneweides, zon op daken en "
            "parkeerplaatsen. Gaat over locatiekeuze, afstand tot huizen, geluid en slagschaduw, draagvlak, "
            "de zonneladder, lokaal eigendom (50% lokaal), vergunningen en inpassing in het landschap."
        ),
        (
            "Wind turbines and solar panels on land: wind farms, solar parks or solar fields, solar on roofs"
            " and car parks. Covers siting, distance to homes, noise and shadow flicker, local support, the "
            "solar ladder, local ownership (50% local), permits and fitting them into the landscape."
        ),
    ),
    "warmtetransitie": (
        (
            "Huizen en gebouwen van het aardgas af halen en anders verwarmen. Denk aan warmtenetten "
            "(stadsverwarming), warmtepompen, isoleren, aardgasvrije wijken, transitievisie warmte, "
            "wijkuitvoeringsplannen, restwarmte, aquathermie, geothermie en de kosten voor bewoners en "
            "huurders."
        ),
        (
            "Taking homes and buildings off natural gas and heating them another way. Think of heat networks"
            " (district heating), heat pumps, insulation, gas-free neighbourhoods, heat transition plans, "
            "residual heat, aquathermal and geothermal energy and the costs for residents and tenants."
        ),
    ),
    "netcongestie": (
        (
            "Het stroomnet is op veel plekken vol. Bedrijven, nieuwe woningen en zonne- en windparken "
            "krijgen dan geen (zwaardere) aansluiting of moeten wachten. Gaat over wachtlijsten bij "
            "netbeheerders, netuitbreiding, flexibele contracten, energiehubs, batterijen en "
            "congestiemanagement."
        ),
        (
            "The electricity grid is full in many places, so businesses, new homes and solar and wind farms "
            "cannot get a (larger) connection or have to wait. Covers grid operator waiting lists, grid "
            "expansion, flexible contracts, energy hubs, battery storage, smart charging and congestion "
            "management."
        ),
    ),
    "circulaire-landbouw": (
        (
            "Landbouw waarin kringlopen van mest, voer en mineralen zo veel mogelijk gesloten zijn "
            "(kringlooplandbouw). Gaat over samenwerking tussen akkerbouw en veehouderij, extensiveren, "
            "bodemgezondheid, korte ketens en streekproducten, het verdienmodel van boeren en de toekomst "
            "van het platteland."
        ),
        (
            "Farming that closes the loops of manure, feed and nutrients as much as possible (circular "
            "agriculture). Covers cooperation between arable and livestock farmers, extensification, soil "
            "health, short supply chains and local food, farmers' income and the future of the countryside."
        ),
    ),
    "circulaire-economie": (
        (
            "Een economie zonder afval, waarin grondstoffen en producten zo lang mogelijk opnieuw worden "
            "gebruikt. Denk aan recycling, repareren, hergebruik van bouwmaterialen, circulair en biobased "
            "bouwen (hout, vlas, hennep), afval scheiden, circulair inkopen en ruimte voor "
            "recyclingbedrijven."
        ),
        (
            "An economy without waste, where raw materials and products are reused for as long as possible. "
            "Think of recycling, repair, reusing building materials, circular and bio-based construction "
            "(timber, flax, hemp), waste separation, circular procurement and space for recycling firms."
        ),
    ),
    "duurzame-industrie": (
        (
            "Industrie en bedrijventerreinen verduurzamen: minder CO2-uitstoot, elektrificatie, waterstof, "
            "CO2-opslag, restwarmte en schonere productie. Gaat over industrieclusters, maatwerkafspraken "
            "met grote uitstoters, verduurzaming van het mkb, vergunningen en aansluiting op het stroomnet."
        ),
        (
            "Making industry and business parks sustainable: lower CO2 emissions, electrification, hydrogen,"
            " carbon capture and storage, residual heat and cleaner production. Covers industrial clusters, "
            "tailored agreements with large emitters, greening SMEs, permits and grid connections."
        ),
    ),
    "leefbaarheid": (
        (
            "Hoe prettig het is om te wonen en te leven in een dorp, wijk of regio. Gaat over voorzieningen "
            "(winkel, school, huisarts, dorpshuis), veiligheid, gezondheid, krimp en vergrijzing, meedoen, "
            "kansengelijkheid en brede welvaart: welzijn naast geld, nu en later."
        ),
        (
            "How pleasant it is to live in a village, neighbourhood or region. Covers local facilities "
            "(shop, school, GP, community centre), safety, health, population decline and ageing, social "
            "cohesion, equal opportunities and broad prosperity: well-being beyond money, now and later."
        ),
    ),
    "bereikbaarheid": (
        (
            "Hoe mensen en goederen zich verplaatsen en plekken kunnen bereiken. Denk aan openbaar vervoer "
            "en buslijnen op het platteland, fiets en snelfietspaden, wegen en files, OV-knooppunten, "
            "deelmobiliteit, parkeren, vrachtverkeer en logistiek, en bereikbaarheid van werk, school en "
            "zorg."
        ),
        (
            "How people and goods travel and reach places. Think of public transport and rural bus services,"
            " cycling and fast cycle routes, roads and traffic jams, transport hubs, shared mobility, "
            "parking, freight and logistics, and access to jobs, schools and care."
        ),
    ),
    "economie": (
        (
            "De economie van een regio: bedrijven, banen, arbeidsmarkt en innovatie. Gaat over "
            "bedrijventerreinen, mkb en ondernemers, personeelstekort, vestigingsklimaat, regio deals, "
            "toerisme en recreatie, winkelcentra, arbeidsmigratie en samenwerking tussen overheid, onderwijs"
            " en bedrijven."
        ),
        (
            "The economy of a region: businesses, jobs, the labour market and innovation. Covers business "
            "parks, SMEs and entrepreneurs, staff shortages, business climate, region deals, tourism and "
            "recreation, shopping centres, labour migration and cooperation between government, education "
            "and business."
        ),
    ),
    "landschap": (
        (
            "Hoe een gebied eruitziet en voelt, en hoe nieuwe functies daar goed in passen. Gaat over "
            "ruimtelijke kwaliteit, landschapsbeleid, erfgoed, verrommeling, grote distributiecentra "
            "(XXL-dozen), inpassing van windmolens en woningen, dorpsranden, ruimtelijk ontwerp en verdeling"
            " van schaarse ruimte."
        ),
        (
            "What an area looks and feels like, and how new functions fit into it. Covers spatial quality, "
            "landscape policy, heritage, cluttering of the countryside, large distribution centres (XXL "
            "boxes), fitting in wind turbines and housing, village edges, spatial design and dividing scarce"
            " space."
        ),
    ),
    "defensie": (
        (
            "De ruimte die Defensie nodig heeft en wat dat betekent voor de regio. Denk aan nieuwe of "
            "grotere kazernes, oefenterreinen, schietbanen, laagvliegroutes, vliegbases, munitieopslag, "
            "geluidsoverlast, veiligheidszones, huisvesting van militairen en de afweging met wonen, natuur "
            "en landbouw."
        ),
        (
            "The space the armed forces need and what it means for the region. Think of new or larger "
            "barracks, training grounds, firing ranges, low-flying routes, air bases, ammunition storage, "
            "noise nuisance, safety zones, housing for military staff and trade-offs with housing, nature "
            "and farming."
        ),
    ),
    "samenwerking-governance": (
        (
            "Hoe overheden en partners samen opgaven in een gebied oppakken. Gaat over samenwerking tussen "
            "Rijk, provincie, gemeenten en waterschappen, gebiedsprocessen, wie waarover beslist, "
            "bestuurlijke afspraken, de Omgevingswet, programma's als NOVEX en samenwerken met bedrijven en "
            "maatschappelijke partners."
        ),
        (
            "How governments and partners tackle area challenges together. Covers cooperation between "
            "national government, provinces, municipalities and water boards, area processes, who decides "
            "what, administrative agreements, the Environment and Planning Act, programmes such as NOVEX and"
            " working with business and civil society."
        ),
    ),
    "uitvoeringskracht": (
        (
            "Of overheden en partners genoeg mensen, kennis en middelen hebben om plannen echt uit te "
            "voeren. Gaat over personeelstekort bij gemeenten, capaciteit en expertise, snellere procedures "
            "en vergunningen, projectorganisatie, van plan naar uitvoering en specialisten delen tussen "
            "organisaties."
        ),
        (
            "Whether governments and partners have enough people, expertise and resources to actually carry "
            "out plans. Covers staff shortages at councils, capacity and expertise, faster procedures and "
            "permits, project organisation, moving from plan to delivery and sharing specialists between "
            "organisations."
        ),
    ),
    "kennis-leren": (
        (
            "Kennis verzamelen, delen en gebruiken bij regionale opgaven. Denk aan onderzoek, data en "
            "monitoring, kennisinstellingen en hogescholen, voorbeelden uit de praktijk, leernetwerken, "
            "communities of practice, evaluaties, opleidingen en de vraag: wie weet hier al iets van en hoe "
            "leren regio's van elkaar?"
        ),
        (
            "Gathering, sharing and using knowledge for regional challenges. Think of research, data and "
            "monitoring, knowledge institutes and universities, examples from practice, learning networks, "
            "communities of practice, evaluations, training and the question: who already knows this and how"
            " can regions learn from each other?"
        ),
    ),
    "financiering": (
        (
            "Hoe plannen en projecten betaald worden en wie de kosten en opbrengsten heeft. Gaat over "
            "subsidies en fondsen, geld van het Rijk, regio deals, provinciale budgetten, grondexploitatie, "
            "kostenverhaal, publiek-private samenwerking, revolverende fondsen, verdienmodellen voor boeren "
            "en ondernemers en geldstromen combineren."
        ),
        (
            "How plans and projects are paid for and who bears the costs and benefits. Covers subsidies and "
            "funds, national government money, region deals, provincial budgets, land development, cost "
            "recovery, public-private partnerships, revolving funds, business models for farmers and "
            "entrepreneurs and combining funding streams."
        ),
    ),
    "participatie": (
        (
            "Inwoners, boeren, ondernemers en organisaties betrekken bij plannen en besluiten. Denk aan "
            "inspraak, bewonersavonden, burgerpanels, burgerinitiatieven, Right to Challenge, participatie "
            "onder de Omgevingswet, draagvlak, omgaan met weerstand en zorgen, en mensen bereiken die minder"
            " snel meedoen."
        ),
        (
            "Involving residents, farmers, entrepreneurs and organisations in plans and decisions. Think of "
            "consultation, residents' evenings, citizens' panels, citizen initiatives, Right to Challenge, "
            "participation under the Environment and Planning Act, public support, handling resistance and "
            "reaching people who rarely take part."
        ),
    ),
}


def _read(name: str) -> list[dict[str, str]]:
    with (REFERENCE_DIR / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _verified(text: str) -> bool:
    low = text.lower()
    return not (low.strip() == "no" or low.startswith("no ") or "unverified" in low or "verify" in low)


@transaction.atomic
def themes_load() -> int:
    for position, (slug, parent_slug, nl, en) in enumerate(THEMES):
        parent = Theme.objects.get(slug=parent_slug) if parent_slug else None
        description, description_en = THEME_DESCRIPTIONS.get(slug, ("", ""))
        Theme.objects.update_or_create(
            slug=slug,
            defaults={
                "label_nl": nl,
                "label_en": en,
                "description": description,
                "description_en": description_en,
                "parent": parent,
                "position": position,
            },
        )
    return len(THEMES)


def _region(code: str, **values: Any) -> Region:
    region, _ = Region.objects.update_or_create(code=code, defaults=values)
    return region


def _contain(
    parent: Region, child: Region, *, verified: bool = True, kind: str = "contains", source: str = ""
) -> None:
    RegionContainment.objects.update_or_create(
        parent=parent, child=child, defaults={"verified": verified, "kind": kind, "source": source}
    )


@transaction.atomic
def regions_load() -> dict[str, int]:
    cbs, tooi, plek = Region.CodeSystem.CBS, Region.CodeSystem.TOOI, Region.CodeSystem.PLEK
    nl = _region(
        "NL",
        name="Nederland",
        name_en="the Netherlands",
        kind=Region.Kind.COUNTRY,
        scale=Scale.NATIONAL,
        code_system=Region.CodeSystem.ISO,
    )
    provinces: dict[str, Region] = {}
    by_name: dict[str, Region] = {}
    for row in _read("provinces.csv"):
        p = _region(
            row["cbs_code"],
            name=row["name"],
            name_en=row["name_en"],
            kind=Region.Kind.PROVINCE,
            scale=Scale.REGIONAL,
            code_system=cbs,
        )
        provinces[p.code] = p
        by_name[row["name"]] = p
        _contain(nl, p, source="CBS")
    by_name["Friesland"] = by_name["Fryslân"]
    safety: dict[str, Region] = {}
    for row in _read("veiligheidsregios.csv"):
        vr = _region(
            row["vr_code"],
            name=row["name"],
            kind=Region.Kind.SAFETY_REGION,
            scale=Scale.REGIONAL,
            code_system=cbs,
        )
        safety[vr.code] = vr
    municipalities: dict[str, Region] = {}
    for row in _read("municipalities_2025.csv"):
        m = _region(
            row["gm_code"],
            name=row["name"],
            kind=Region.Kind.MUNICIPALITY,
            scale=Scale.LOCAL,
            code_system=cbs,
            valid_from=dt.date(2023, 1, 1),
        )
        municipalities[m.code] = m
        _contain(provinces[row["province_code"]], m, source="CBS")
        if row.get("veiligheidsregio_code") in safety:
            _contain(safety[row["veiligheidsregio_code"]], m, source="CBS")
    for row in _read("waterschappen.csv"):
        ws = _region(
            row["tooi_code"],
            name=row["name"],
            kind=Region.Kind.WATER_BOARD,
            scale=Scale.REGIONAL,
            code_system=tooi,
            code_verified="corroborated" in row["code_verification"],
            verification_note=row["code_verification"][:300],
        )
        for pname in filter(None, (s.strip() for s in row["provinces_indicative_unverified"].split(";"))):
            if pname in by_name:
                _contain(by_name[pname], ws, kind="overlaps", verified=False, source="indicatief")
    res: dict[str, Region] = {}
    for row in _read("res_regions.csv"):
        code = row["cbs_es_code_if_verified"].strip() or "RES-" + slugify(row["name"]).upper()
        r = _region(
            code,
            name=row["name"],
            kind=Region.Kind.RES_REGION,
            scale=Scale.REGIONAL,
            code_system=cbs if code.startswith("ES") else plek,
            code_verified=code.startswith("ES"),
            verification_note=row["note"][:300],
        )
        res[row["name"]] = r
        for pname in filter(None, (s.strip() for s in row["provinces"].split(";"))):
            if pname in by_name:
                _contain(by_name[pname], r, kind="overlaps", verified=False, source="RES-indeling 2020")
    for row in _read("res_memberships.csv"):
        _contain(
            res[row["res_region"]],
            municipalities[row["gm_code"]],
            verified=row["verified"] == "yes",
            source=row["source"][:300],
        )
    for row in _read("novex_areas.csv"):
        n = _region(
            f"NOVEX{int(row['nr']):02d}",
            name=row["name"],
            kind=Region.Kind.NOVEX_AREA,
            scale=Scale.REGIONAL,
            code_system=plek,
            code_verified=False,
            verification_note="Geen officiële code; nummering van PLeK",
        )
        for pname in filter(None, (s.strip() for s in row["provinces_indicative"].split(";"))):
            if pname in by_name:
                _contain(by_name[pname], n, kind="overlaps", verified=False, source="indicatief")
    corop: dict[str, Region] = {}
    for row in _read("corop_regions.csv"):
        corop[row["cr_code"]] = _region(
            row["cr_code"],
            name=row["name"],
            kind=Region.Kind.COROP_REGION,
            scale=Scale.REGIONAL,
            code_system=cbs,
            code_verified=row["verified_in_cbs_excerpt"].strip().lower().startswith("yes"),
            verification_note=row["verified_in_cbs_excerpt"][:300],
        )
    # Every municipality's COROP region (CBS "Gebieden in Nederland", 2024 edition) and RES region
    # (a 2020 third-party list checked against public pages for 13 of 30 regions: unverified); see
    # reference/README.md. A membership res_memberships.csv states keeps its own verification.
    stated = {(row["res_region"], row["gm_code"]) for row in _read("res_memberships.csv")}
    for row in _read("municipality_regions.csv"):
        if row["gm_code"] not in municipalities:
            continue
        m = municipalities[row["gm_code"]]
        if row["corop_code"] in corop:
            _contain(corop[row["corop_code"]], m, source="CBS Gebieden in Nederland 2024 (COROP)")
        if row["res_region"] in res and (row["res_region"], row["gm_code"]) not in stated:
            _contain(
                res[row["res_region"]],
                m,
                verified=False,
                source="RES-indeling 2020 (lijst van derden, niet geverifieerd)",
            )
    return {
        "provinces": len(provinces),
        "municipalities": len(municipalities),
        "safety_regions": len(safety),
        "res_regions": len(res),
    }


_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@transaction.atomic
def programmes_load() -> int:
    path = REFERENCE_DIR / "programmes.json"
    rows = json.loads(path.read_text(encoding="utf-8"))
    themes = {t.slug: t for t in Theme.objects.all()}
    kinds_regions: dict[str, list[Region]] = {}
    for row in rows:
        programme, _ = Programme.objects.update_or_create(
            slug=row["slug"],
            defaults={
                "abbr": row.get("abbr", ""),
                "name": row["name"],
                "description": row.get("description", ""),
                "lead_ministry": row.get("lead_ministry", "")[:100],
                "partners": row.get("partners", ""),
                "start_year": row.get("start_year"),
                "start_note": (row.get("start_note") or "")[:300],
                "horizon_year": row.get("horizon_year"),
                "horizon_note": (row.get("horizon_note") or "")[:300],
                "knowledge_programme": row.get("knowledge_programme", ""),
                "status": row.get("status", "active"),
                "scale": row.get("scale", "national"),
                "source_url": row.get("source_url", "")[:500],
                "verification": row.get("verification", "verified"),
                "verification_note": (row.get("verification_note") or "")[:300],
            },
        )
        programme.themes.set([themes[s] for s in row.get("themes", []) if s in themes])
        regions: list[Region] = []
        for kind in row.get("region_kinds", []):
            if kind not in kinds_regions:
                kinds_regions[kind] = list(Region.objects.filter(kind=kind))
            # Municipal programmes reach every municipality; that is the same as the country.
            regions.extend(kinds_regions[kind] if kind != "municipality" else [])
        if not regions or "country" in row.get("region_kinds", []):
            regions.extend(Region.objects.filter(code="NL"))
        programme.regions.set(regions)
        programme.milestones.all().delete()
        Milestone.objects.bulk_create(
            Milestone(
                programme=programme,
                date=dt.date.fromisoformat(m["date"]),
                date_precision=m.get("date_precision", "day"),
                kind=m["kind"],
                label=m["label"][:300],
                verified=bool(m.get("verified", True)),
            )
            for m in row.get("milestones", [])
            if _DATE.match(m.get("date", ""))
        )
        programme.status_history.all().delete()
        ProgrammeStatusChange.objects.bulk_create(
            ProgrammeStatusChange(
                programme=programme,
                status=s["status"],
                date=dt.date.fromisoformat(s["date"]),
                date_precision=s.get("date_precision", "day"),
                note=s.get("note", "")[:500],
            )
            for s in row.get("status_history", [])
            if _DATE.match(s.get("date", ""))
        )
        for b in row.get("budgets", []):  # whole-country lines with their source; kept on reload
            ProgrammeBudget.objects.update_or_create(
                programme=programme,
                year=b.get("year"),
                region=None,
                description=b.get("description", "")[:300],
                defaults={
                    "amount_eur": b["amount_eur"],
                    "source": b["source"][:300],
                    "source_url": b.get("source_url", "")[:500],
                    "verified": bool(b.get("verified", False)),
                    "public": True,
                },
            )
    return len(rows)


def reference_load() -> dict[str, int]:
    counts = {"themes": themes_load()}
    counts.update(regions_load())
    if (REFERENCE_DIR / "programmes.json").exists():
        counts["programmes"] = programmes_load()
    return counts
