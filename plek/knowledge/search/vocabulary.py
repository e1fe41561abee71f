"""Word parts the decompounder may split Dutch compounds into.

A curated list of common parts of Dutch words in spatial planning, water, energy, agriculture, nature,
climate and public administration, written for this project (no third-party word list). The platform
adds its own theme labels and region names at start-up through
:func:`plek.knowledge.search.analysis.register_vocabulary`.

Entries are written in their plain (lowercase) form; diacritics are folded when loaded. A part is at
least three letters long. Three further tables steer the splitter:

* ``ALIASES``: a form that occurs inside compounds and stands for another word
  (``zonne`` in *zonneparken* is ``zon``), so both index as the same stem;
* ``ATOMIC``: words that are never split although they could be, because their parts would give false
  matches (*netwerk* is not about the electricity *net*, *waterstof* not about *water*);
* linking morphemes (``s``, ``e``, ``en``) are handled by the splitter itself.
"""

from __future__ import annotations

_SPATIAL = """
ruimte ruimtelijk ordening plan plannen planning bestemming omgeving visie beleid beleids programma
strategie agenda gebied ontwikkeling ontwikkelaar inrichting transformatie herstructurering stad
stads stedelijk dorp dorps kern wijk buurt regio regionaal provincie provinciaal gemeente gemeentelijk
rijk land landelijk platteland landschap landschappelijk woning wonen woon bouw bouwen huis huizen
markt opgave locatie kavel terrein bedrijf bedrijven bedrijfs industrie haven kantoor winkel centrum
mobiliteit verkeer weg wegen spoor fiets auto vervoer station knoop punt infrastructuur leefbaarheid
leef kwaliteit gezondheid veiligheid erfgoed cultuur historie recreatie toerisme groen blauw grijs
openbaar publiek privaat ruimtegebruik functie menging verdichting uitbreiding inbreiding ontwerp
kaart atlas zone zones rand ring lint as corridor knooppunt stelsel structuur plaats plein straat
laan park parken tuin tuinen erf erven schuur boerderij gebouw gebouwen pand panden dak daken gevel
vastgoed grondprijs grondbeleid eigendom eigenaar huur koop sociaal betaalbaar middenhuur starter
senior zorg school onderwijs sport speel jeugd jongeren ouderen bewoner bewoners burger burgers
inwoner inwoners ondernemer ondernemers overheid overheden instelling partner partners
samenwerking samen werking werk werken werkgelegenheid economie economisch arbeid vestiging
oppervlak oppervlakte hectare vierkante meter afstand grens grenzen grensoverschrijdend
wet wetgeving regel regels regeling vergunning procedure besluit besluitvorming participatie
inspraak initiatief initiatieven proces aanpak methode instrument instrumenten monitor monitoring
indicator indicatoren scenario scenario's verkenning studie onderzoek kennis kennisbank hub netwerk
praktijk praktijken ervaring lessen leer leren lerend traject trajecten project projecten pilot
proef proeftuin innovatie opschaling uitvoering realisatie financiering fonds subsidie budget
investering kosten baten waarde waardering maatschappij maatschappelijk opgaven transitie
"""

_WATER = """
water waterschap schap berging beheer beheerder dijk dijken versterking kering keringen zee kust
rivier rivieren beek beken sloot sloten kanaal kanalen meer meren plas plassen polder polders peil
peilbeheer grond afvalwater afval riool riolering regen hemel neerslag droogte overstroming
overlast zoet zout verzilting delta estuarium uiterwaard uiterwaarden buffer retentie infiltratie
afvoer aanvoer gemaal stuw sluis sluizen zuivering hergebruik drink drinkwater grondwater oever
oevers stroom stroomgebied bekken dal dalen hoogwater laagwater waterstand vaarweg scheepvaart
haven havens kade kaden duin duinen strand zand zandsuppletie suppletie slib klei kwel
wateroverlast waterkwaliteit waterveiligheid waterkwantiteit ecologisch
"""

_ENERGY = """
energie warmte koude net netten congestie netcongestie zon zonne wind park molen molens turbine
turbines paneel panelen opwek opwekking opslag batterij waterstof gas aardgas elektriciteit
elektrisch stroom kabel kabels leiding leidingen besparing isolatie duurzaam duurzaamheid
hernieuwbaar biomassa geothermie bodemwarmte cooperatie lokaal laad laadpaal paal palen pomp
warmtepomp emissie uitstoot koolstof klimaat neutraal akkoord bod veld velden akker daken
zonneveld zonnepark windpark windmolen windturbine warmtenet warmtebron bron bronnen aquathermie
restwarmte rest hoogspanning spanning station stations transformator capaciteit vraag aanbod
fossiel fossiele brandstof brandstoffen besparen verduurzaming woonlasten lasten
"""

_FARMING = """
landbouw boer boeren boerin bedrijf akkerbouw veehouderij vee houderij melk melkvee koe koeien
varken varkens pluimvee kip kippen geit geiten schaap schapen stal stallen mest bemesting gewas
gewassen teelt tuinbouw kas kassen fruit fruitteelt grondgebruik gebruik bodem daling bodemdaling
vruchtbaarheid kringloop kring loop voedsel voer veevoer weide weiden grasland gras graslanden
akkers natuur inclusief biologisch extensief extensivering intensief stikstof depositie ammoniak
fosfaat nitraat reductie piek belasting piekbelasting zone emissiearm arm uitkoop verplaatsing
omschakeling verbreding agrarisch agrariers agrarier perceel percelen kavelruil ruil erfpacht pacht
boerderij boerderijen korte keten ketens afzet verdienmodel verdien model modellen teler telers
zuivel vlees eiwit gewasbescherming bestrijding middel middelen drainage beregening sloten bufferstrook
strook stroken rand randen akkerrand beheerpakket pakket
"""

_NATURE = """
natuur natura netwerk habitat soort soorten biodiversiteit ecologie ecosysteem ecosystemen bos bossen
heide veen venen veenweide moeras moerassen wad wadden herstel verbinding verbindingen ecoduct fauna
flora passage vogel vogels insect insecten bij bijen bloem bloemen boom bomen plant planten struweel
haag hagen houtwal houtwallen singel singels poel poelen leefgebied kwetsbaar beschermd bescherming
reservaat gebieden stilte wildernis rust verstoring beleving wandel wandelen fietsen route routes
wild weidevogel weidevogels akkervogel grutto kievit otter bever das vleermuis vis vissen trek
"""

_CLIMATE = """
klimaat adaptatie adaptief mitigatie hitte stress hittestress extreem robuust bestendig weer
overstroming schade risico risico's kwetsbaarheid weerbaarheid veerkracht koeling schaduw vergroening
ontharding verharding tegel tegels regenwater afkoppeling afkoppelen sponswerking spons stresstest
risicodialoog dialoog zeespiegel stijging zeespiegelstijging temperatuur
"""

_GENERAL = """
nieuw nieuwe oud oude groot klein hoog laag noord zuid oost west midden boven beneden binnen buiten
over onder achter voor eigen gemeen gemeenschap gemeenschappelijk publieke private digitaal digitale
data informatie gegevens systeem systemen dienst diensten loket team raad college staten kamer
minister ministerie rijksoverheid rijks waterschappen provincies gemeenten veiligheidsregio
omgevingsdienst omgevingswet omgevingsvisie omgevingsplan kader kaders norm normen doel doelen
opgave afspraak afspraken deal deals pact convenant overleg tafel tafels
jaar jaren tijd tijden dag dagen toekomst heden verleden kans kansen risico vraagstuk vraagstukken
oplossing oplossingen keuze keuzes ambitie ambities inzet resultaat resultaten effect effecten
impact gevolgen circulair circulaire grondstof grondstoffen materiaal materialen hout steen beton
staal glas plastic recycling hergebruiken kringloopeconomie ketenaanpak
"""

WORDS: frozenset[str] = frozenset(
    w
    for block in (_SPATIAL, _WATER, _ENERGY, _FARMING, _NATURE, _CLIMATE, _GENERAL)
    for w in block.split()
    if "'" not in w
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
