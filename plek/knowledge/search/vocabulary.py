"""Planning-specific additions to the OpenTaal word list, which is the vocabulary of parts.

The decompounder (:func:`plek.knowledge.search.analysis.split_compound`) splits a Dutch compound into
words of the OpenTaal list (Debian ``wdutch``, :func:`plek.knowledge.search.analysis.lexicon`) of at
least four letters, cut only where Dutch hyphenation (``pyphen``, nl_NL) allows a syllable break. This
module holds only what that list does not give, written for this project; the platform adds its theme
labels and region names at start-up through :func:`plek.knowledge.search.analysis.register_vocabulary`.

Entries are written in their plain (lowercase) form; diacritics are folded when loaded.

* ``EXTRA``: planning words that are not in OpenTaal and cannot be split into its words
  (*aquathermie*, *houderij*);
* ``SHORT_PARTS``: three-letter words that may be parts (*zon*, *net*, *dak*, *vee*) — the list's other
  three-letter words (*ben*, *den*, *ver*, *ham*) would cut ordinary words apart (*boterham*);
* ``ALIASES``: a form that occurs inside compounds and stands for another word (``zonne`` in
  *zonneparken* is ``zon``), so both index as the same stem;
* ``ATOMIC``: words that are never split although they could be, because their parts would give false
  matches (*netwerk* is not about the electricity *net*, *waterstof* not about *water*);
* ``NOT_PARTS``: OpenTaal words that are also affixes or word endings, never parts (*ruimtelijk* is not
  about a *lijk*, *mogelijkheden* not about *heden*, *levering* not about a *ring*);
* linking morphemes (``s``, ``e``, ``en``) are handled by the splitter itself.
"""

from __future__ import annotations


def _listed(text: str) -> frozenset[str]:
    return frozenset(text.split())


EXTRA: frozenset[str] = _listed(
    """
    aquathermie geothermie houderij
    """
)

SHORT_PARTS: frozenset[str] = _listed(
    """
    arm bij bod bos dag dak dal das erf gas hub kas kip koe net vee vis wad weg wet zee zon
    """
)

# A form inside compounds -> the word it stands for (both are indexed as the stem of the latter).
ALIASES: dict[str, str] = {
    "zonne": "zon",
    "stads": "stad",
    "steden": "stad",
    "dorps": "dorp",
    "rijks": "rijk",
    "beleids": "beleid",
    "bedrijfs": "bedrijf",
    "huizen": "huis",
    "woon": "wonen",
    "leef": "leven",
    "leer": "leren",
    "laad": "laden",
    "verdien": "verdienen",
    "wandel": "wandelen",
    "koeien": "koe",
    "kippen": "kip",
    "schapen": "schaap",
    "bomen": "boom",
    "bijen": "bij",
}

# Words that are never split into their parts (the parts would mean something else).
ATOMIC: frozenset[str] = frozenset(
    [
        "netwerk",
        "netwerken",
        "wetenschap",
        "wetenschappen",
        "wetenschappelijk",
        "landschap",
        "landschappen",
        "waterstof",
        "koolstof",
        "stikstof",
        "landbouw",
        "tuinbouw",
        "akkerbouw",
        "veehouderij",
        "gemeente",
        "gemeenten",
        "gemeenschap",
        "bestemming",
        "bestemmingen",
        "verbinding",
        "verbindingen",
        "bewoner",
        "bewoners",
        "ondernemer",
        "ondernemers",
        "overheid",
        "overheden",
        "economie",
        "samenwerking",
        "werking",
        "verkenning",
        "instelling",
        "bescherming",
        "verduurzaming",
        "opwekking",
        "omschakeling",
        "beregening",
    ]
)

# OpenTaal words that are also affixes of derived words: never a part (a later part also never starts
# with one of the suffixes: *gemeenschappelijk* is not *gemeen* + *schappelijk*).
NOT_PARTS: frozenset[str] = _listed(
    """
    baar bare ding heden isme king lijk loos loze mede ring schap schappen tering
    eraan eraf erbij erdoor erin erna erom erop eruit ervan
    """
)
