"""Synthetic Dutch documents and a fixed query set to measure a search backend.

``run_bench`` CLEARS the backend it is given: pass a scratch one, e.g.
``TantivyBackend(tmpdir)`` or ``PostgresBackend(table="plek_search_bench")``. From the shell::

    python -m plek.knowledge.search.bench --backend tantivy --items 100000
    python -m plek.knowledge.search.bench --backend postgres --items 100000   # uses DATABASE_URL

The last line printed is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from plek.knowledge.search.base import SearchBackend, SearchDoc, SearchQuery

SUBJECTS = [
    "woningbouw",
    "waterberging",
    "stikstofdepositie",
    "bodemdaling",
    "energietransitie",
    "warmtenetten",
    "zonneparken",
    "windenergie",
    "kringlooplandbouw",
    "natuurherstel",
    "klimaatadaptatie",
    "hittestress",
    "veenweidegebieden",
    "gebiedsontwikkeling",
    "netcongestie",
    "mobiliteit",
    "biodiversiteit",
    "drinkwater",
    "grondwater",
    "verzilting",
    "dijkversterking",
    "circulaire bouw",
    "voedselbossen",
    "landschapsherstel",
    "de Omgevingswet",
    "bewonersparticipatie",
    "leefbaarheid",
    "binnenstedelijke verdichting",
    "droogte",
    "wateroverlast",
    "natuurinclusief bouwen",
    "agrarisch natuurbeheer",
    "regionale energiestrategie",
    "grondgebruik",
    "weidevogelbeheer",
    "peilbeheer",
    "aardgasvrije wijken",
    "laadinfrastructuur",
    "bedrijventerreinen",
    "krimpregio's",
    "erfgoed",
    "toerisme",
    "fietsroutes",
    "stadslandbouw",
]
ACTORS = [
    "de gemeente",
    "de provincie",
    "het waterschap",
    "boeren",
    "bewoners",
    "de netbeheerder",
    "woningcorporaties",
    "kennisinstellingen",
    "ondernemers",
    "natuurorganisaties",
    "het Rijk",
    "de omgevingsdienst",
    "een energiecoöperatie",
    "studenten",
    "adviesbureaus",
    "terreinbeheerders",
]
VERBS = [
    "onderzoekt",
    "ontwikkelt",
    "verkent",
    "bespreekt",
    "ondersteunt",
    "financiert",
    "monitort",
    "ontwerpt",
    "evalueert",
    "versnelt",
    "organiseert",
    "begeleidt",
]
OBJECTS = [
    "nieuwe verdienmodellen",
    "ruimtelijke keuzes",
    "de inrichting van het buitengebied",
    "een lerend netwerk",
    "meetgegevens over de bodem",
    "afspraken over grondgebruik",
    "een gebiedsproces",
    "de kosten en baten",
    "scenario's voor 2050",
    "een kennisagenda",
    "praktijkproeven op boerenbedrijven",
    "de rol van inwoners",
    "regels voor vergunningen",
    "de aanleg van groene daken",
    "monitoring van waterkwaliteit",
    "de verduurzaming van woningen",
    "nieuwe natuur langs rivieren",
    "het delen van kennis tussen regio's",
]
NEEDS = [
    "langjarige samenwerking",
    "heldere kaders",
    "ruimte om te experimenteren",
    "goede data",
    "vertrouwen tussen partijen",
    "extra capaciteit bij gemeenten",
    "betere afstemming met het Rijk",
    "financiering voor de lange termijn",
    "kennis van de lokale situatie",
]
BENEFITS = [
    "de bodem minder snel daalt",
    "er meer water wordt vastgehouden",
    "bewoners meedenken",
    "de uitstoot daalt",
    "natuur en landbouw elkaar versterken",
    "de wijk koeler blijft in de zomer",
    "het stroomnet minder belast wordt",
    "er betaalbare woningen bijkomen",
]
SENTENCES = [
    "{Actor} in {region} {verb} {obj} om {subject} te versnellen.",
    "In {year} startte een pilot met {subject} in samenwerking met {actor}.",
    "Belangrijke lessen gaan over {obj}, {obj2} en de rol van {actor}.",
    "Het project combineert {subject} met {subject2}, zodat {benefit}.",
    "Uit het onderzoek blijkt dat {subject} vraagt om {need}.",
    "{Actor} en {actor2} delen hun ervaringen met {subject} in {region}.",
    "De aanpak in {region} laat zien hoe {subject} en {subject2} samengaan.",
    "Volgens {actor} is {need} nodig voor {subject}.",
    "Deze kennis helpt {actor} bij {obj}.",
]
TITLES = [
    "{Subject} in {region}",
    "Lessen uit {subject} in {region}",
    "{Subject}: {obj}",
    "Hoe {region} werkt aan {subject}",
    "Kennisagenda {subject}",
    "Praktijkvoorbeeld {subject} {region}",
    "{Subject} en {subject2}",
    "Handreiking {subject} voor gemeenten",
    "Monitor {subject} {year}",
]
ENGLISH = [
    "Lessons from {subject} in {region} for other regions.",
    "This report studies {subject} and its costs.",
    "Farmers and residents work together on {subject}.",
]
THEMES = {  # slug -> parent
    "water": None,
    "waterberging": "water",
    "droogte": "water",
    "waterkwaliteit": "water",
    "waterveiligheid": "water",
    "energie": None,
    "warmte": "energie",
    "zon-en-wind": "energie",
    "netcongestie": "energie",
    "landbouw": None,
    "kringlooplandbouw": "landbouw",
    "stikstof": "landbouw",
    "veenweide": "landbouw",
    "natuur": None,
    "biodiversiteit": "natuur",
    "natuurherstel": "natuur",
    "wonen": None,
    "woningbouw": "wonen",
    "leefbaarheid": "wonen",
    "klimaat": None,
    "klimaatadaptatie": "klimaat",
    "hittestress": "klimaatadaptatie",
    "mobiliteit": None,
    "bestuur": None,
    "participatie": "bestuur",
    "omgevingswet": "bestuur",
    "economie": None,
    "circulair": "economie",
    "erfgoed": None,
    "toerisme": "economie",
}
REGIONS = {
    "PV20": "Groningen",
    "PV21": "Fryslân",
    "PV22": "Drenthe",
    "PV23": "Overijssel",
    "PV24": "Flevoland",
    "PV25": "Gelderland",
    "PV26": "Utrecht",
    "PV27": "Noord-Holland",
    "PV28": "Zuid-Holland",
    "PV29": "Zeeland",
    "PV30": "Noord-Brabant",
    "PV31": "Limburg",
    "GM0363": "Amsterdam",
    "GM0599": "Rotterdam",
    "GM0518": "Den Haag",
    "GM0344": "Utrecht",
    "GM0772": "Eindhoven",
    "GM0193": "Zwolle",
    "GM0080": "Leeuwarden",
    "GM0106": "Assen",
    "GM0014": "Groningen",
    "GM0202": "Arnhem",
    "GM0268": "Nijmegen",
    "GM0935": "Maastricht",
    "GM0034": "Almere",
    "GM0153": "Enschede",
    "GM0855": "Tilburg",
    "GM0758": "Breda",
    "GM0687": "Middelburg",
    "GM1900": "Súdwest-Fryslân",
    "GM0114": "Emmen",
    "GM0200": "Apeldoorn",
    "GM0228": "Ede",
    "GM0796": "'s-Hertogenbosch",
    "WS0155": "Hollands Noorderkwartier",
    "WS0652": "Rijn en IJssel",
    "WS0653": "Wetterskip Fryslân",
    "ES01": "RES Groningen",
    "ES05": "RES Noord-Holland Noord",
    "CR30": "Achterhoek",
    "NL": "Nederland",
}
TYPES = [("knowledge", 70), ("person", 10), ("organisation", 8), ("network", 5), ("hub", 2), ("programme", 5)]
KINDS = {
    "knowledge": ["practice", "research", "policy"],
    "person": ["practice", "research", "policy"],
    "organisation": ["municipality", "province", "water_board", "university", "company", "civil_society"],
    "network": ["community", "learning"],
    "hub": [""],
    "programme": ["running", "finished"],
}
SCALES = ["local", "regional", "national"]


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _fill(rng: random.Random, template: str, region: str, year: int) -> str:
    choice = rng.choice
    s1, s2, a1, a2, o1, o2 = (
        choice(SUBJECTS),
        choice(SUBJECTS),
        choice(ACTORS),
        choice(ACTORS),
        choice(OBJECTS),
        choice(OBJECTS),
    )
    return template.format(
        subject=s1,
        Subject=_cap(s1),
        subject2=s2,
        actor=a1,
        Actor=_cap(a1),
        actor2=a2,
        obj=o1,
        obj2=o2,
        verb=rng.choice(VERBS),
        region=region,
        year=year,
        need=rng.choice(NEEDS),
        benefit=rng.choice(BENEFITS),
    )


def synthetic_docs(n: int, seed: int = 1) -> Iterator[SearchDoc]:
    """``n`` believable Dutch documents (about 120 words each) with themes, regions, kinds, years and
    visibility spread like the platform's."""
    rng = random.Random(seed)  # nosec B311 # seeded benchmark data
    type_names = [t for t, _ in TYPES]
    type_weights = [w for _, w in TYPES]
    theme_slugs = list(THEMES)
    region_codes = list(REGIONS)
    for i in range(1, n + 1):
        type_ = rng.choices(type_names, type_weights)[0]
        year = rng.randint(2005, 2025)
        codes = rng.sample(region_codes, rng.choice([1, 1, 2, 3]))
        region = REGIONS[codes[0]]
        themes: set[str] = set()
        for leaf in rng.sample(theme_slugs, rng.choice([1, 2, 2, 3])):
            slug: str | None = leaf
            while slug:
                themes.add(slug)
                slug = THEMES[slug]
        english = rng.random() < 0.04
        pool = ENGLISH if english else SENTENCES
        title = _fill(rng, rng.choice(TITLES), region, year)
        summary = " ".join(_fill(rng, rng.choice(pool), region, year) for _ in range(rng.randint(1, 2)))
        body = " ".join(_fill(rng, rng.choice(pool), region, year) for _ in range(rng.randint(5, 12)))
        r = rng.random()
        vis = (
            ["public"]
            if r < 0.80
            else ["members"]
            if r < 0.92
            else [f"hub:{rng.randint(1, 10)}"]
            if r < 0.98
            else [f"user:{rng.randint(1, 500)}"]
        )
        yield SearchDoc(
            key=f"{type_}:{i}",
            type=type_,
            id=i,
            slug=f"{type_}-{i}",
            title=title,
            summary=summary,
            body=body,
            themes=sorted(themes),
            regions=codes,
            scale=rng.choice(SCALES),
            kind=rng.choice(KINDS[type_]),
            year=year if type_ in ("knowledge", "programme") else None,
            language="en" if english else "nl",
            date=datetime.date(year, 1, 1) + datetime.timedelta(days=rng.randint(0, 364)),
            visibility_keys=vis,
        )


QUERY_WORDS = [
    "water",
    "stikstof",
    "woningen",
    "bodemdaling",
    "energie",
    "warmtenet",
    "zon",
    "wind",
    "boeren",
    "natuur",
    "klimaat",
    "gemeente",
    "provincie",
    "waterschap",
    "bewoners",
    "droogte",
    "grondwater",
    "Fryslân",
    "Utrecht",
    "Noord-Holland",
    "pilot",
    "kennisagenda",
    "netcongestie",
    "veenweide",
    "biodiversiteit",
    "verdienmodellen",
    "samenwerking",
    "monitoring",
    "scenario's",
    "participatie",
    "leefbaarheid",
    "mobiliteit",
    "kringloop",
    "landbouw",
    "erfgoed",
    "hitte",
    "daken",
    "dijken",
    "rivieren",
    "financiering",
    "Omgevingswet",
    "data",
    "lessen",
    "ervaringen",
    "waterberging",
    "energietransitie",
    "woningbouw",
    "gebiedsproces",
    "regio",
    "kosten",
]
PHRASES = [
    '"natuurinclusief bouwen"',
    '"regionale energiestrategie"',
    '"agrarisch natuurbeheer"',
    '"aardgasvrije wijken"',
    '"lerend netwerk"',
    '"kosten en baten"',
]
PREFIXES = ["kringl*", "energ*", "wonin*", "klimaatad*", "natuurh*", "stikst*"]


def fixed_queries(n: int = 240, seed: int = 42) -> list[SearchQuery]:
    """A fixed mix: 1-4 words, some phrases and prefixes, about a third with filters, two thirds with
    facets, some sorted by date."""
    rng = random.Random(seed)  # nosec B311 # seeded benchmark data
    out: list[SearchQuery] = []
    for i in range(n):
        r = rng.random()
        if r < 0.08:
            text = rng.choice(PHRASES)
        elif r < 0.14:
            text = rng.choice(PREFIXES) + ("" if rng.random() < 0.5 else " " + rng.choice(QUERY_WORDS))
        else:
            text = " ".join(rng.sample(QUERY_WORDS, rng.choice([1, 1, 2, 2, 2, 3, 4])))
        q = SearchQuery(
            text=text,
            facets=rng.random() < 0.7,
            sort="date" if rng.random() < 0.12 else "relevance",
            limit=20,
            offset=20 if rng.random() < 0.1 else 0,
        )
        if i % 3 == 0:
            f = rng.choice(["types", "themes", "regions", "year", "scale", "kind", "combo"])
            if f == "types":
                q.types = [rng.choice(["knowledge", "person", "organisation"])]
            elif f == "themes":
                q.themes = rng.sample(list(THEMES), 2)
            elif f == "regions":
                q.regions = rng.sample(list(REGIONS), 3)
            elif f == "year":
                q.year = rng.randint(2010, 2025)
            elif f == "scale":
                q.scale = rng.choice(SCALES)
            elif f == "kind":
                q.kind = rng.choice(["practice", "research", "policy"])
            else:
                q.types, q.themes, q.language = ["knowledge"], [rng.choice(list(THEMES))], "nl"
        out.append(q)
    return out


FIXED_QUERIES = fixed_queries()


def _pct(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_bench(
    backend: SearchBackend,
    n_items: int,
    queries: Sequence[SearchQuery] = FIXED_QUERIES,
    viewer_keys: list[str] | None = None,
    *,
    seed: int = 1,
    reindex: bool = True,
    answers: list[tuple[list[str], int]] | None = None,
) -> dict[str, Any]:
    """Index ``n_items`` synthetic documents into ``backend`` (after CLEARING it) and time ``queries``
    as a viewer holding ``viewer_keys`` (default public + members). Times in milliseconds. With
    ``answers``, each query's (hit keys, total) is appended to it, to compare backends."""
    viewer = ["public", "members"] if viewer_keys is None else viewer_keys
    index_s = gen_s = 0.0
    if reindex:
        backend.clear()
        generating = [0.0]

        def timed() -> Iterator[SearchDoc]:  # time spent making the documents is not indexing time
            it = synthetic_docs(n_items, seed)
            while True:
                t0 = time.perf_counter()
                d = next(it, None)
                generating[0] += time.perf_counter() - t0
                if d is None:
                    return
                yield d

        start = time.perf_counter()
        backend.index(timed())
        gen_s = generating[0]
        index_s = time.perf_counter() - start - gen_s
    prepared = [replace(q, viewer_keys=viewer) for q in queries]
    for q in prepared[:20]:  # warm caches
        backend.query(q)
    times, facet_times, relaxed, estimated = [], [], 0, 0
    for q in prepared:
        start = time.perf_counter()
        result = backend.query(q)
        ms = (time.perf_counter() - start) * 1000
        times.append(ms)
        if q.facets:
            facet_times.append(ms)
        relaxed += result.relaxed
        estimated += result.estimated
        if answers is not None:
            answers.append(([h.key for h in result.hits], result.total))
    mlt_times = []
    for i in range(1, 21):
        start = time.perf_counter()
        backend.more_like_this(f"knowledge:{i}", SearchQuery(viewer_keys=viewer, facets=False), limit=5)
        mlt_times.append((time.perf_counter() - start) * 1000)
    return {
        "backend": backend.name,
        "items": backend.count(),
        "queries": len(prepared),
        "p50_ms": round(_pct(times, 0.50), 2),
        "p95_ms": round(_pct(times, 0.95), 2),
        "p99_ms": round(_pct(times, 0.99), 2),
        "mean_ms": round(statistics.fmean(times), 2) if times else 0.0,
        "p95_facets_ms": round(_pct(facet_times, 0.95), 2),
        "mlt_p95_ms": round(_pct(mlt_times, 0.95), 2),
        "slowest": [
            [round(ms, 1), q.text]
            for ms, q in sorted(zip(times, prepared, strict=True), key=lambda t: -t[0])[:3]
        ],
        "relaxed_queries": relaxed,
        "estimated_queries": estimated,
        "index_s": round(index_s, 1),
        "generate_s": round(gen_s, 1),
        "index_mb": round(backend.size_bytes() / 1e6, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["tantivy", "postgres"], default="tantivy")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--dir", help="tantivy index directory (default: a new temporary one)")
    parser.add_argument("--table", default="plek_search_bench", help="PostgreSQL table (scratch)")
    parser.add_argument("--no-reindex", action="store_true", help="query what is already indexed")
    args = parser.parse_args(argv)
    if args.backend == "tantivy":
        from plek.knowledge.search.tantivy_backend import TantivyBackend

        backend: SearchBackend = TantivyBackend(args.dir or tempfile.mkdtemp(prefix="plek-bench-"))
    else:
        import os

        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        django.setup()
        from plek.knowledge.search.postgres_backend import PostgresBackend

        backend = PostgresBackend(table=args.table)
    result = run_bench(backend, args.items, reindex=not args.no_reindex)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
