"""Synthetic projects for measuring the registry at national scale (`manage.py generate_projects`).

Everything here is invented, and marked so (projects.services.synthetic): project codes
`SYN-<seed>-<n>`, a source saying who made them, territories whose note says so. What it invents
looks like the sector's data so that filters, counts and search meet realistic shapes:
- organisations with Italian names of the kinds that run such projects (comuni of real
  municipalities, cooperative sociali, associazioni and APS, fondazioni, consorzi, ASL, università…),
  each based in a real municipality, taking part in projects with a skewed (Zipf) frequency, so
  that a few take part in thousands and most in a handful, and mostly in their own region;
- territories of 1 to 80 real municipalities, mostly small, around a centre and within its
  province (spilling into the region when the province is too small);
- the seed's funders and programmes reused by name, plus regional programmes, national
  programmes and foundations' calls below them (a programme → call tree), each with the years its
  projects start in;
- periods from 2014 to 2028 written as sources write them (years, months, days, durations, open
  ends, none at all) and read by projects.periods, the parser every import uses;
- themes, target groups with their reach, and Italian texts built from each theme's vocabulary.

Generation is deterministic: project n of a seed is made from its own random.Random(f"{seed}:{n}"),
the organisations from the seed and their number, territories from their centre and size alone (so that a
territory's name always stands for the same municipalities, whichever seed names it), funders
and programmes from fixed lists. `SyntheticRegistry` only makes inputs; `synthetic_write` hands
them to the write layer (projects.services) in chunks, one transaction each.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import itertools
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from partners.models import Partner
from registry.enums import ChangeKind, PartnerKind, ProgrammeKind, Reach, Role, TargetGroup, Theme
from registry.history import change_set

from . import periods
from .models import Funder, Municipality, Programme, Project
from .names import fold_name
from .services import (
    RECORD_MODELS,
    ParticipationInput,
    ProjectBatch,
    ProjectInput,
    RecordIndex,
    m2m_sync,
    planner_statistics_refresh,
    record_upsert,
    records_create,
    slugs_allocate,
    synthetic_code,
    synthetic_sources,
)
from .services.synthetic import SYNTHETIC_NOTE

FIRST_YEAR, LAST_YEAR = 2014, 2028
MAX_TERRITORY_SIZE = 80
DRAFT_SHARE = 0.03
# Zipf's law over the organisations' ranks: the first ones take part in thousands of projects.
ZIPF_EXPONENT, ZIPF_OFFSET = 1.0, 2
LOCAL_SHARE = 0.8  # of an organisation's partners, those drawn from the project's own region
CAPITAL_WEIGHT = 25  # how much likelier a provincial capital is as the centre of a territory


def default_organisations(projects: int) -> int:
    """How many organisations take part in `projects` projects: 10,000 at 100,000 (grows as n^0.8)."""
    return max(20, round(projects**0.8))


@dataclass(frozen=True)
class Place:
    """A municipality as the generator reads it (ISTAT code, name, province and region)."""

    code: str
    name: str
    province_code: str
    province_name: str
    region_code: str
    region_name: str

    @property
    def region(self) -> str:
        """The region's Italian name ("Valle d'Aosta", not "Valle d'Aosta/Vallée d'Aoste")."""
        return self.region_name.split("/")[0]


@dataclass(frozen=True)
class OrganisationSpec:
    name: str
    kind: str
    city: str
    region_code: str  # "" for national organisations, drawn for projects anywhere
    place_code: str  # the municipality it is based in


@dataclass(frozen=True)
class TerritorySpec:
    name: str
    codes: frozenset[str]


@dataclass(frozen=True)
class ProgrammeSpec:
    name: str
    short_name: str = ""
    kind: str = ProgrammeKind.PROGRAMME
    parent: str = ""
    funders: tuple[str, ...] = ()
    years: tuple[int, int] = (FIRST_YEAR, 2027)  # the years its projects start in
    description: str = ""


@dataclass
class SyntheticProject:
    input: ProjectInput
    territories: list[TerritorySpec] = field(default_factory=list)


# --- vocabularies -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThemeWords:
    titles: tuple[str, ...]
    objectives: tuple[str, ...]
    activities: tuple[str, ...]
    targets: tuple[str, ...]  # TargetGroup codes this theme is mostly for
    roles: tuple[str, ...]  # what a partner does in it


THEME_WORDS = {
    Theme.HOUSING: ThemeWords(
        titles=(
            "Percorsi di autonomia abitativa",
            "Abitare in rete",
            "Casa e comunità",
            "Accompagnamento all'abitare",
            "Una casa per ripartire",
            "Coabitazioni solidali",
            "Agenzia sociale per la casa",
            "Housing sociale e inclusione",
        ),
        objectives=(
            "favorire l'accesso alla casa e l'autonomia abitativa",
            "prevenire gli sfratti e la grave marginalità abitativa",
            "accompagnare l'uscita dai centri di accoglienza verso soluzioni abitative stabili",
            "ampliare l'offerta di alloggi a canone calmierato",
        ),
        activities=(
            "intermediazione con i proprietari e garanzie sugli affitti",
            "accompagnamento alla ricerca di un alloggio",
            "appartamenti di transizione e coabitazioni",
            "contributi per caparre, traslochi e utenze",
            "educazione all'abitare e gestione del bilancio familiare",
            "iscrizione anagrafica e residenza fittizia per chi vive in strada",
            "mediazione dei conflitti di vicinato nei condomini",
        ),
        targets=("leaving_reception", "housing_hardship", "international_protection", "families_with_minors"),
        roles=("gestione degli alloggi", "ricerca di proprietari disponibili", "accompagnamento educativo"),
    ),
    Theme.WORK_TRAINING: ThemeWords(
        titles=(
            "Percorsi di inserimento lavorativo",
            "Lavoro e cittadinanza",
            "Competenze per il futuro",
            "Formazione e tirocini per l'integrazione",
            "Dal campo al lavoro regolare",
            "Bilancio di competenze e orientamento",
            "Impresa e integrazione",
            "Mestieri in rete",
        ),
        objectives=(
            "rafforzare l'occupabilità dei cittadini di paesi terzi",
            "contrastare lo sfruttamento lavorativo e il caporalato in agricoltura",
            "riconoscere titoli di studio e competenze acquisite all'estero",
            "accompagnare i giovani verso la formazione professionale e il lavoro",
        ),
        activities=(
            "bilancio di competenze e orientamento al lavoro",
            "tirocini extracurricolari con indennità di partecipazione",
            "corsi di formazione professionale nei settori della logistica, della ristorazione e dell'assistenza",
            "accompagnamento al riconoscimento dei titoli di studio",
            "incontro tra domanda e offerta con le imprese del territorio",
            "sportello per l'autoimpiego e il microcredito",
            "corsi per la patente di guida e per la sicurezza sul lavoro",
        ),
        targets=("third_country_nationals", "neet", "young_people", "international_protection"),
        roles=("orientamento e tirocini", "formazione professionale", "rapporti con le imprese"),
    ),
    Theme.HEALTH: ThemeWords(
        titles=(
            "Salute senza confini",
            "Cura e accoglienza",
            "Benessere psicologico e inclusione",
            "Accesso ai servizi sanitari",
            "Prendersi cura",
            "Salute mentale e migrazione",
            "Ponti per la salute",
        ),
        objectives=(
            "facilitare l'accesso ai servizi sanitari territoriali",
            "prendere in carico il disagio psicologico e i traumi legati alla migrazione",
            "promuovere la salute delle donne e dei minori",
            "formare gli operatori sanitari all'approccio transculturale",
        ),
        activities=(
            "supporto psicologico individuale e di gruppo",
            "consulenza etnopsichiatrica per i servizi",
            "accompagnamento all'iscrizione al Servizio sanitario nazionale e alla scelta del medico",
            "campagne di prevenzione e vaccinazione",
            "ambulatorio di prossimità per persone senza tessera sanitaria",
            "percorsi per le vittime di tratta e di violenza di genere",
        ),
        targets=("asylum_seekers", "refugees", "humanitarian_protection", "cas_guests"),
        roles=("supporto psicologico", "presa in carico sanitaria", "formazione degli operatori"),
    ),
    Theme.MEDIATION: ThemeWords(
        titles=(
            "Mediazione interculturale nei servizi",
            "Parole in comune",
            "Ponti di mediazione",
            "Lingue e servizi",
            "Mediare per includere",
            "Sportelli interculturali",
        ),
        objectives=(
            "garantire la mediazione linguistico-culturale nei servizi pubblici",
            "ridurre le barriere linguistiche nell'accesso ai diritti",
            "qualificare il lavoro dei mediatori interculturali",
        ),
        activities=(
            "mediazione linguistico-culturale negli ospedali, nelle scuole e negli uffici comunali",
            "interpretariato telefonico e traduzione di documenti",
            "sportello informativo su permesso di soggiorno, ricongiungimento familiare e cittadinanza",
            "assistenza legale e orientamento ai servizi",
            "formazione e aggiornamento dei mediatori",
        ),
        targets=("third_country_nationals", "migrant_background", "asylum_seekers", "practitioners"),
        roles=("mediazione linguistico-culturale", "sportello informativo", "consulenza legale"),
    ),
    Theme.SCHOOLING_FAMILIES: ThemeWords(
        titles=(
            "Scuola aperta",
            "Crescere insieme",
            "Famiglie in rete",
            "Italiano per tutti",
            "A scuola di cittadinanza",
            "Comunità educanti",
            "Parole per crescere",
        ),
        objectives=(
            "contrastare la dispersione scolastica dei ragazzi con background migratorio",
            "sostenere la genitorialità e il ricongiungimento familiare",
            "favorire l'apprendimento della lingua italiana",
            "accompagnare i minori stranieri non accompagnati verso l'autonomia",
        ),
        activities=(
            "corsi di lingua italiana L2 per adulti, anche con servizio di babysitting",
            "doposcuola e sostegno allo studio",
            "laboratori per genitori e figli",
            "corsi di alfabetizzazione e preparazione all'esame di terza media",
            "tutori volontari per i minori stranieri non accompagnati",
            "orientamento delle famiglie ai servizi educativi per la prima infanzia",
        ),
        targets=("families_with_minors", "unaccompanied_minors", "young_people", "migrant_background"),
        roles=("corsi di lingua italiana", "doposcuola", "laboratori con le famiglie"),
    ),
    Theme.NETWORKS_GOVERNANCE: ThemeWords(
        titles=(
            "Governance multilivello dell'integrazione",
            "Reti territoriali per l'inclusione",
            "Servizi pubblici più accessibili",
            "Comuni in rete",
            "Capacità amministrativa e integrazione",
            "Territori accoglienti",
        ),
        objectives=(
            "rafforzare la rete tra enti locali, terzo settore e servizi pubblici",
            "qualificare i servizi pubblici rivolti ai cittadini stranieri",
            "costruire un piano territoriale per l'integrazione",
        ),
        activities=(
            "tavoli di coordinamento tra comuni, prefettura, questura e terzo settore",
            "formazione degli operatori degli sportelli anagrafici e dei servizi sociali",
            "mappatura dei servizi e carta dei servizi multilingue",
            "piattaforma informativa condivisa tra gli enti della rete",
            "protocolli d'intesa con i centri per l'impiego",
        ),
        targets=("practitioners", "third_country_nationals", "sai_guests"),
        roles=("coordinamento della rete", "formazione degli operatori", "monitoraggio e valutazione"),
    ),
    Theme.AWARENESS: ThemeWords(
        titles=(
            "Cittadinanza attiva",
            "Voci della comunità",
            "Contro le discriminazioni",
            "Incontri interculturali",
            "Partecipare per integrare",
            "Sport e inclusione",
            "Biblioteche accoglienti",
        ),
        objectives=(
            "contrastare il razzismo e le discriminazioni",
            "promuovere la partecipazione civica dei cittadini di origine straniera",
            "favorire l'incontro tra la comunità locale e i nuovi cittadini",
        ),
        activities=(
            "campagne di sensibilizzazione nelle scuole e sui social",
            "eventi sportivi e culturali interculturali",
            "laboratori teatrali e musicali",
            "percorsi di cittadinanza attiva e volontariato",
            "gruppi di conversazione in biblioteca",
            "festival delle culture con le associazioni della diaspora",
        ),
        targets=("local_community", "migrant_background", "young_people"),
        roles=("comunicazione e sensibilizzazione", "animazione territoriale", "eventi culturali"),
    ),
}

TARGET_WORDS = {
    "asylum_seekers": "richiedenti asilo",
    "international_protection": "titolari di protezione internazionale",
    "humanitarian_protection": "titolari di protezione speciale",
    "refugees": "rifugiati",
    "unaccompanied_minors": "minori stranieri non accompagnati",
    "third_country_nationals": "cittadini di paesi terzi",
    "migrant_background": "persone con background migratorio",
    "families_with_minors": "famiglie con minori",
    "young_people": "giovani migranti",
    "neet": "giovani NEET",
    "cas_guests": "ospiti dei centri di accoglienza straordinaria",
    "sai_guests": "persone accolte nel Sistema di accoglienza e integrazione",
    "leaving_reception": "persone in uscita dall'accoglienza",
    "housing_hardship": "persone in grave disagio abitativo",
    "practitioners": "operatori dei servizi pubblici e del privato sociale",
    "local_community": "la comunità locale",
}
# Groups a project reaches through others: they are mostly indirect beneficiaries.
MOSTLY_INDIRECT = {TargetGroup.PRACTITIONERS.value, TargetGroup.LOCAL_COMMUNITY.value}

ACRONYMS = (
    "PONTI", "RADICI", "APPRODI", "INTRECCI", "ORIZZONTI", "TRAME", "SOLCHI", "ROTTE", "ALI", "PASSI",
    "INCONTRI", "MOSAICO", "SEMI", "VOCI", "TERRE", "NODI", "ORME", "BUSSOLA", "CROCEVIA", "FILI",
    "ARCIPELAGO", "APPRODO", "CAMMINI", "LEGAMI", "SPAZI", "RETI", "INSIEME", "ABITARE", "LAVORI", "PAROLE",
    "FARO", "ATLANTE", "MAPPE", "SCALO", "VELE", "ANCORA", "SOGLIE", "VARCHI", "TESSERE", "RIVA",
)  # fmt: skip
ACRONYM_SUFFIXES = ("", "", "", " 2", " 3", " PLUS", " 2.0", " NEXT")
HEADS = (
    "Il Ponte", "La Rete", "Il Sentiero", "La Bussola", "L'Approdo", "Il Girasole", "La Rondine", "Arcobaleno",
    "Terra Nuova", "Mondo Aperto", "Porte Aperte", "Nuovi Orizzonti", "Oltre il Confine", "Casa dei Popoli",
    "Il Mosaico", "La Tenda", "Il Melograno", "La Fenice", "L'Ulivo", "Il Faro", "La Strada", "Il Cammino",
    "Crescere Insieme", "Mani Tese", "Il Seme", "La Lanterna", "Il Quadrifoglio", "La Clessidra", "Il Villaggio",
    "Progetto Accoglienza", "Nuova Cittadinanza", "Senza Frontiere", "Il Granello", "La Sorgente", "L'Aquilone",
    "Il Filo", "La Radice", "Il Tiglio", "La Quercia", "L'Orizzonte", "Il Crocevia", "La Bottega", "Il Cortile",
    "La Piazza", "Il Volo", "Il Mappamondo", "La Zattera", "Il Gabbiano", "Mille Colori", "Terre di Mezzo",
)  # fmt: skip
TAILS = (
    "", "", "", "", "Solidale", "Sociale", "Onlus", "2000", "Insieme", "Nuova", "del Sud", "del Nord",
    "per l'Integrazione", "Intercultura", "Futuro", "Comunità", "Servizi", "Lavoro", "Accoglienza", "Aperta",
)  # fmt: skip
NATIONAL = (
    ("Consorzio nazionale Accoglienza Solidale", PartnerKind.NETWORK),
    ("Associazione nazionale Mediatori Interculturali", PartnerKind.THIRD_SECTOR),
    ("Rete italiana per l'Integrazione dei Rifugiati", PartnerKind.NETWORK),
    ("Fondazione Studi sulle Migrazioni", PartnerKind.FOUNDATION),
    ("Centro nazionale di ricerca sulle Migrazioni e l'Asilo", PartnerKind.UNIVERSITY),
    ("Federazione nazionale Cooperative di Inclusione", PartnerKind.NETWORK),
    ("Istituto italiano Salute e Migrazione", PartnerKind.PUBLIC_BODY),
    ("Osservatorio giuridico su Asilo e Migrazioni", PartnerKind.THIRD_SECTOR),
    ("Forum nazionale del Terzo Settore per l'Accoglienza", PartnerKind.NETWORK),
    ("Agenzia nazionale Lavoro e Inclusione", PartnerKind.PUBLIC_BODY),
)
PARTNER_COUNTS = (0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5, 6, 7, 8, 10)
DURATIONS = (6, 9, 12, 12, 12, 18, 18, 24, 24, 24, 24, 30, 36, 36, 36, 48)
EU_COUNTRIES = ("FR", "ES", "DE", "GR", "PT", "BE", "NL", "AT", "SE", "PL", "RO", "SI", "HR", "MT", "IE")
OTHER_SENTENCES = (
    "Le attività si svolgono in stretto raccordo con i servizi sociali dei comuni e con il terzo settore.",
    "Un'équipe multidisciplinare di educatori, mediatori, psicologi e assistenti sociali segue ogni percorso.",
    "Il progetto valorizza le esperienze delle associazioni della diaspora e il volontariato locale.",
    "Al termine è prevista una valutazione d'impatto con indicatori condivisi tra i partner.",
    "I percorsi sono personalizzati e costruiti insieme ai partecipanti.",
    "Particolare attenzione è rivolta alle donne e alle persone più vulnerabili.",
    "Le buone pratiche sperimentate saranno raccolte in un manuale per gli operatori.",
    "",
    "",
)


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng: random.Random, items: list, cumulative: list[float]):
    return items[bisect.bisect(cumulative, rng.random() * cumulative[-1])]


THEMES = tuple(THEME_WORDS)
TARGET_GROUPS = tuple(TargetGroup.values)
MONTHS = periods.MONTH_NAMES
# How sources write a period, and how often: none, a duration, open ends, years, months, days.
PERIOD_FORMS, PERIOD_SHARES = zip(
    *(
        (lambda start, end, months: "", 0.07),
        (lambda start, end, months: f"{months} mesi", 0.04),
        (lambda start, end, months: f"dal {MONTHS[start.month]} {start.year}", 0.03),
        (lambda start, end, months: f"dal {start.year}", 0.02),
        (lambda start, end, months: f"fino a {MONTHS[end.month]} {end.year}", 0.02),
        (lambda start, end, months: f"{start.year} - {end.year}", 0.20),
        (
            lambda start, end, months: (
                f"{MONTHS[start.month].capitalize()} {start.year} - {MONTHS[end.month].capitalize()} {end.year}"
            ),
            0.17,
        ),
        (lambda start, end, months: f"{start.month:02d}/{start.year} - {end.month:02d}/{end.year}", 0.12),
        (lambda start, end, months: f"{start:%d/%m/%Y} - {end:%d/%m/%Y}", 0.18),
        (lambda start, end, months: f"{months} mesi ({start.year} – {end.year})", 0.15),
    ),
    strict=True,
)
PERIOD_SHARES = _cumulative(PERIOD_SHARES)
SUPPORTING_ROLES = ("messa a disposizione di spazi", "diffusione dei risultati", "sostegno istituzionale")


def _capitals(places: list[Place]) -> set[str]:
    """ISTAT codes of provincial capitals, told by the province's name (Asti; Pesaro e Urbino; Forlì-Cesena)."""
    capitals = set()
    for place in places:
        name, province = fold_name(place.name), fold_name(place.province_name)
        if name == province or province.startswith(name + " ") or name.startswith(province + " "):
            capitals.add(place.code)
    return capitals


class SyntheticRegistry:
    """Inputs for the write layer: funders, programmes, organisations and projects, all from the seed."""

    def __init__(self, places: list[Place], *, seed: int, organisations: int):
        if not places:
            raise ValueError("no municipalities to place projects in")
        self.seed = seed
        self.places = sorted(places, key=lambda place: place.code)
        self.by_code = {place.code: place for place in self.places}
        self.capitals = _capitals(self.places)
        self.by_province: dict[str, list[Place]] = {}
        self.by_region: dict[str, list[Place]] = {}
        for place in self.places:
            self.by_province.setdefault(place.province_code, []).append(place)
            self.by_region.setdefault(place.region_code, []).append(place)
        self.regions = {code: members[0].region for code, members in self.by_region.items()}
        self._territories: dict[tuple[str, int], TerritorySpec] = {}
        self._centre_weights = _cumulative([CAPITAL_WEIGHT if p.code in self.capitals else 1 for p in self.places])
        self.funders: list[str] = []
        self.programmes: list[ProgrammeSpec] = []
        self.funding_groups: dict[str, list[ProgrammeSpec]] = {}
        self.foundations: dict[str, list[str]] = {}  # region code -> foundation names
        self._funding()
        self.organisations = self._organisations(organisations)
        self.organisation_by_name = {spec.name: spec for spec in self.organisations}
        self._organisation_pools()

    # --- funding --------------------------------------------------------------------------------

    def _group(self, group: str, *programmes: ProgrammeSpec, umbrella: bool = False) -> None:
        """Programmes and calls a project may name, drawn together; an umbrella (the first) is named by none."""
        self.programmes.extend(programmes)
        self.funding_groups.setdefault(group, []).extend(programmes[1:] if umbrella else programmes)

    def _funding(self) -> None:
        """Funders and programmes with their calls, parents first; the seed's under their seed names."""
        ce, interior = "Commissione europea", "Ministero dell'Interno"
        labour = "Ministero del Lavoro e delle Politiche Sociali"
        self.funders += [ce, interior, labour, "Fondazione CRC", "Fondazione Compagnia di San Paolo"]
        fami = "Fondo Asilo, Migrazione e Integrazione"
        fami_old = ProgrammeSpec(
            "Fondo Asilo, Migrazione e Integrazione (FAMI) 2014-2020",
            "FAMI 2014-2020",
            parent=fami,
            funders=(ce, interior),
            years=(2015, 2021),
        )
        fami_new = ProgrammeSpec(
            "Fondo Asilo, Migrazione e Integrazione 2021-2027",
            "FAMI 2021-2027",
            parent=fami,
            funders=(ce, interior),
            years=(2022, 2027),
        )
        self._group("fami", ProgrammeSpec(fami, "FAMI", funders=(ce, interior)), fami_old, fami_new, umbrella=True)
        self._group(
            "fami",
            *(
                ProgrammeSpec(name, kind=ProgrammeKind.CALL, parent=parent.name, funders=parent.funders, years=years)
                for parent, name, years in (
                    (fami_old, "FAMI 2014-2020 – Avviso per l'inserimento socio-lavorativo", (2017, 2020)),
                    (fami_old, "FAMI 2014-2020 – Avviso per la formazione civico-linguistica", (2015, 2019)),
                    (fami_old, "FAMI 2014-2020 – Avviso per la qualificazione dei servizi pubblici", (2016, 2020)),
                    (fami_old, "FAMI 2014-2020 – Avviso per i minori stranieri non accompagnati", (2016, 2021)),
                    (fami_new, "FAMI 2021-2027 – Avviso per l'integrazione dei cittadini stranieri", (2022, 2026)),
                    (fami_new, "FAMI 2021-2027 – Avviso contro lo sfruttamento lavorativo", (2023, 2027)),
                    (fami_new, "FAMI 2021-2027 – Avviso per la mediazione interculturale nei servizi", (2023, 2027)),
                )
            ),
        )
        self._group(
            "erasmus",
            ProgrammeSpec("Erasmus+", funders=(ce,)),
            ProgrammeSpec(
                "Programma Erasmus+ KA220 – Partenariati di Cooperazione (VET)",
                "Erasmus+ KA220 (VET)",
                parent="Erasmus+",
                funders=(ce,),
                years=(2021, 2027),
            ),
            ProgrammeSpec(
                "Programma Erasmus+ KA210 – Partenariati su piccola scala",
                "Erasmus+ KA210",
                parent="Erasmus+",
                funders=(ce,),
                years=(2021, 2027),
            ),
            umbrella=True,
        )
        self._group(
            "san_paolo",
            ProgrammeSpec(
                "bando Territori Inclusivi",
                "Territori Inclusivi",
                kind=ProgrammeKind.CALL,
                funders=("Fondazione Compagnia di San Paolo",),
                years=(2021, 2024),
            ),
        )
        for name, short, years, call, call_years in (
            (
                "Programma operativo nazionale Inclusione 2014-2020",
                "PON Inclusione 2014-2020",
                (2016, 2021),
                "PON Inclusione 2014-2020 – Avviso per i servizi di contrasto alla povertà",
                (2017, 2021),
            ),
            (
                "Programma nazionale Inclusione e lotta alla povertà 2021-2027",
                "PN Inclusione 2021-2027",
                (2022, 2027),
                "PN Inclusione 2021-2027 – Avviso per le persone in grave marginalità",
                (2023, 2027),
            ),
        ):
            programme = ProgrammeSpec(name, short, funders=(labour, ce), years=years)
            self._group(
                "national",
                programme,
                ProgrammeSpec(call, kind=ProgrammeKind.CALL, parent=name, funders=programme.funders, years=call_years),
            )
        for code, region in sorted(self.regions.items()):
            self._regional_funding(code, region, ce)

    def _regional_funding(self, code: str, region: str, ce: str) -> None:
        regione = f"Regione {region}"
        self.funders.append(regione)
        old = ProgrammeSpec(
            f"Programma operativo regionale FSE {region} 2014-2020",
            f"POR FSE {region} 2014-2020",
            funders=(regione, ce),
            years=(2015, 2021),
        )
        new = ProgrammeSpec(
            f"Programma regionale FSE+ {region} 2021-2027",
            f"PR FSE+ {region} 2021-2027",
            funders=(regione, ce),
            years=(2022, 2027),
        )
        calls = (
            (old, f"{region} – Avviso per l'inclusione attiva dei cittadini stranieri 2018", (2018, 2020)),
            (new, f"{region} – Avviso per l'inclusione socio-lavorativa 2023", (2023, 2025)),
            (new, f"{region} – Avviso per i servizi di mediazione interculturale 2024", (2024, 2026)),
        )
        self._group(
            f"region:{code}",
            old,
            new,
            *(
                ProgrammeSpec(name, kind=ProgrammeKind.CALL, parent=parent.name, funders=(regione,), years=years)
                for parent, name, years in calls
            ),
        )
        # Community foundations (two per region at most), each with a welfare programme and its calls.
        for capital in [place for place in self.by_region[code] if place.code in self.capitals][:2]:
            foundation = f"Fondazione di Comunità di {capital.name}"
            welfare = ProgrammeSpec(
                f"{foundation} – Programma Welfare e coesione sociale", funders=(foundation,), years=(2014, 2027)
            )
            self.funders.append(foundation)
            self.foundations.setdefault(code, []).append(foundation)
            self._group(
                f"foundation:{foundation}",
                welfare,
                *(
                    ProgrammeSpec(
                        f"{foundation} – Bando Comunità accoglienti {year}",
                        kind=ProgrammeKind.CALL,
                        parent=welfare.name,
                        funders=(foundation,),
                        years=(year, year + 1),
                    )
                    for year in (2016, 2019, 2022, 2025)
                ),
            )

    def _funding_for(self, rng: random.Random, centre: Place) -> tuple[list[str], list[str], tuple[int, int], bool]:
        """The programmes and funders a project names, the years it may start in, and whether it is European."""
        draw = rng.random()
        programme: ProgrammeSpec | None = None
        funders: list[str] = []
        if draw < 0.27:
            programme = rng.choice(self.funding_groups["fami"])
        elif draw < 0.52:
            programme = rng.choice(self.funding_groups[f"region:{centre.region_code}"])
        elif draw < 0.60:
            programme = rng.choice(self.funding_groups["national"])
        elif draw < 0.78:
            foundations = self.foundations.get(centre.region_code) or ["Fondazione CRC"]
            foundation = rng.choice(foundations)
            group = self.funding_groups.get(f"foundation:{foundation}")
            if group and rng.random() < 0.7:
                programme = rng.choice(group)
            else:
                funders = [foundation]
        elif draw < 0.81:
            programme = rng.choice(self.funding_groups["erasmus"])
        elif draw < 0.83:
            programme = self.funding_groups["san_paolo"][0]
        if programme is None:
            return [], funders, (FIRST_YEAR, LAST_YEAR - 1), False
        if rng.random() < 0.4:
            funders = list(programme.funders)
        return [programme.name], funders, programme.years, programme.parent == "Erasmus+"

    # --- organisations --------------------------------------------------------------------------

    def _organisations(self, count: int) -> list[OrganisationSpec]:
        """`count` organisations with distinct names, by rank (the busiest first)."""
        rng = random.Random(f"organisations:{self.seed}")
        specs: list[OrganisationSpec] = []
        seen: set[str] = set()
        for name, kind in NATIONAL[: min(len(NATIONAL), max(1, count // 100))]:
            seen.add(fold_name(name))
            specs.append(OrganisationSpec(name, kind, "Roma", "", "058091"))
        invented: list[tuple[float, OrganisationSpec]] = []
        attempts = 0
        while len(specs) + len(invented) < count:
            attempts += 1
            if attempts > 100 * count:
                raise ValueError(f"cannot invent {count} distinct organisation names")
            home = _pick(rng, self.places, self._centre_weights)
            name, kind = self._organisation_name(rng, home)
            if name and fold_name(name) not in seen:
                seen.add(fold_name(name))
                # The busiest organisations (the first ranks) are mostly those of the provincial capitals.
                rank = rng.random() * (0.1 if home.code in self.capitals else 1)
                invented.append((rank, OrganisationSpec(name, kind, home.name, home.region_code, home.code)))
        invented.sort(key=lambda pair: pair[0])
        return specs + [spec for _, spec in invented]

    def _organisation_name(self, rng: random.Random, home: Place) -> tuple[str, str]:
        """A name and a kind of organisation based in `home`; an empty name when that kind does not fit it."""
        draw = rng.random()
        province, capital = home.province_name.split("/")[0], home.code in self.capitals
        named = rng.choice(HEADS) + (f" {tail}" if (tail := rng.choice(TAILS)) else "")
        if rng.random() < 0.4:
            named += f" {home.name}" if rng.random() < 0.5 else f" di {home.name}"
        if draw < 0.18:
            return f"Comune di {home.name}", PartnerKind.PUBLIC_BODY
        if draw < 0.24:
            return rng.choice(
                (
                    f"ASL {province}",
                    f"Azienda USL di {province}",
                    f"Ambito territoriale sociale di {home.name}",
                    f"Consorzio intercomunale dei servizi sociali di {home.name}",
                    f"CPIA {rng.randint(1, 3)} {province}",
                    f"Unione dei Comuni di {home.name}",
                )
            ), PartnerKind.PUBLIC_BODY
        if draw < 0.26:
            return (f"Università degli Studi di {home.name}" if capital else ""), PartnerKind.UNIVERSITY
        if draw < 0.76:
            return rng.choice(
                (
                    f"Cooperativa sociale {named}",
                    f"{named} Società Cooperativa Sociale",
                    f"{named} scs",
                    f"Associazione {named}",
                    f"Associazione {named} APS",
                    f"APS {named}",
                    f"{named} ODV",
                    f"Associazione di volontariato {named}",
                    f"Caritas diocesana di {home.name}" if capital else "",
                    f"Comitato ARCI di {province}",
                    f"ACLI provinciali di {province}",
                )
            ), PartnerKind.THIRD_SECTOR
        if draw < 0.84:
            return rng.choice((f"Fondazione {named}", f"Fondazione {named} ETS")), PartnerKind.FOUNDATION
        if draw < 0.93:
            return rng.choice(
                (f"Consorzio {named}", f"Consorzio di cooperative sociali {named}", f"Rete {named}")
            ), PartnerKind.NETWORK
        if draw < 0.98:
            return rng.choice((f"{named} S.r.l. Impresa sociale", f"{named} Servizi S.r.l.")), PartnerKind.COMPANY
        return rng.choice((f"Centro Studi {named}", f"Istituto di ricerca {named}")), PartnerKind.UNIVERSITY

    def _organisation_pools(self) -> None:
        """Zipf weights by rank, over all organisations and within each region."""
        weights = [1 / (rank + ZIPF_OFFSET) ** ZIPF_EXPONENT for rank in range(len(self.organisations))]
        self._everyone = _cumulative(weights)
        members: dict[str, list[int]] = {}
        self._comune_of: dict[str, int] = {}
        for rank, spec in enumerate(self.organisations):
            if spec.region_code:
                members.setdefault(spec.region_code, []).append(rank)
            if spec.name.startswith("Comune di "):
                self._comune_of[spec.place_code] = rank
        self._regional = {code: (ranks, _cumulative([weights[r] for r in ranks])) for code, ranks in members.items()}

    def _organisation(self, rng: random.Random, region_code: str, taken: set[int]) -> str | None:
        """An organisation not yet in the project: mostly from its region, by Zipf weight."""
        for _ in range(10):
            if region_code in self._regional and rng.random() < LOCAL_SHARE:
                ranks, cumulative = self._regional[region_code]
                rank = _pick(rng, ranks, cumulative)
            else:
                rank = bisect.bisect(self._everyone, rng.random() * self._everyone[-1])
            if rank not in taken:
                taken.add(rank)
                return self.organisations[rank].name
        return None

    def _participations(self, rng: random.Random, centre: Place, words: ThemeWords) -> list[ParticipationInput]:
        taken: set[int] = set()
        links = []
        if rng.random() < 0.95:
            comune = self._comune_of.get(centre.code)
            if comune is not None and rng.random() < 0.3:
                taken.add(comune)
                name = self.organisations[comune].name
            else:
                name = self._organisation(rng, centre.region_code, taken)
            description = "Coordinamento, monitoraggio e rendicontazione" if rng.random() < 0.25 else ""
            links.append(ParticipationInput(name=name, role=Role.LEAD, description=description))
        supporting = rng.randint(1, 3) if rng.random() < 0.25 else 0
        for role, count in ((Role.PARTNER, rng.choice(PARTNER_COUNTS)), (Role.SUPPORTING, supporting)):
            for _ in range(count):
                name = self._organisation(rng, centre.region_code, taken)
                if name is None:
                    continue
                description = ""
                if rng.random() < 0.25:
                    description = (
                        rng.choice(words.roles) if role == Role.PARTNER else rng.choice(SUPPORTING_ROLES)
                    ).capitalize()
                links.append(ParticipationInput(name=name, role=role, description=description))
        return links

    # --- territories ----------------------------------------------------------------------------

    @staticmethod
    def _territory_size(rng: random.Random) -> int:
        """Skewed: nearly half name one municipality, a few dozens of them."""
        draw = rng.random()
        if draw < 0.45:
            return 1
        if draw < 0.73:
            return rng.randint(2, 5)
        if draw < 0.88:
            return rng.randint(6, 15)
        if draw < 0.97:
            return rng.randint(16, 40)
        return rng.randint(41, MAX_TERRITORY_SIZE)

    def territory(self, centre: Place, size: int) -> TerritorySpec:
        """The `size` municipalities around `centre`: its province first, then its region. The same centre
        and size always give the same territory, under the same name."""
        region = self.by_region[centre.region_code]
        size = max(1, min(size, len(region), MAX_TERRITORY_SIZE))
        key = (centre.code, size)
        if key in self._territories:
            return self._territories[key]
        if size == 1:
            territory = TerritorySpec(f"{centre.name} ({centre.province_code})", frozenset({centre.code}))
            self._territories[key] = territory
            return territory
        rng = random.Random(f"territory:{centre.code}:{size}")
        province = [place for place in self.by_province[centre.province_code] if place.code != centre.code]
        if len(province) >= size - 1:
            chosen = rng.sample(province, size - 1)
            others = "un comune limitrofo" if size == 2 else f"{size - 1} comuni limitrofi"
            name = f"{centre.name} e {others} ({centre.province_code})"
        else:
            rest = [place for place in region if place.province_code != centre.province_code]
            chosen = province + rng.sample(rest, size - 1 - len(province))
            name = f"{centre.name} e altri {size - 1} comuni ({centre.region})"
        territory = TerritorySpec(name, frozenset({centre.code, *(place.code for place in chosen)}))
        self._territories[key] = territory
        return territory

    def _where(self, rng: random.Random, centre: Place, territory: TerritorySpec | None) -> str:
        """Where the project works, in words ("a Cuneo", "tra Alba e Bra", "in provincia di Cuneo")."""
        if territory is None:
            return "su tutto il territorio nazionale"
        if len(territory.codes) == 1:
            return f"{'ad' if centre.name[0] in 'AEIOUÀÈÉÌÒÙ' else 'a'} {centre.name}"
        if len({self.by_code[code].province_code for code in territory.codes}) > 1:
            return f"in {len(territory.codes)} comuni della regione {centre.region}"
        others = [self.by_code[code].name for code in sorted(territory.codes) if code != centre.code]
        draw = rng.random()
        if draw < 0.3:
            return f"nel territorio di {centre.name}"
        if draw < 0.5:
            return f"in provincia di {centre.province_name.split('/')[0]}"
        if draw < 0.75 or len(others) < 2:
            return f"tra {centre.name} e {rng.choice(others)}"
        return f"nei comuni di {centre.name}, {_listed(rng.sample(others, 2))}"

    # --- projects -------------------------------------------------------------------------------

    def project(self, number: int) -> SyntheticProject:
        """Project `number` of this seed: the same inputs every time."""
        rng = random.Random(f"{self.seed}:{number}")
        centre = _pick(rng, self.places, self._centre_weights)
        territories = []
        if rng.random() >= 0.02:  # the others work nationwide, in no named territory
            territories.append(self.territory(centre, self._territory_size(rng)))
            if rng.random() < 0.1:
                other = rng.choice(self.by_region[centre.region_code])
                territories.append(self.territory(other, rng.choice((1, 1, 2, 3, 5))))
        territories = list({territory.name: territory for territory in territories}.values())
        themes = [rng.choice(THEMES)]
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            theme = rng.choice(THEMES)
            if theme not in themes:
                themes.append(theme)
        words = THEME_WORDS[themes[0]]
        programmes, funders, years, european = self._funding_for(rng, centre)
        countries = ["IT", *rng.sample(EU_COUNTRIES, rng.randint(2, 4))] if european else []
        if not territories:
            countries = countries or ["IT"]
        groups = self._target_groups(rng, themes)
        participations = self._participations(rng, centre, words)
        where = self._where(rng, centre, territories[0] if territories else None)
        period = self._period(rng, years)
        acronym = rng.choice(ACRONYMS) + rng.choice(ACRONYM_SUFFIXES) if rng.random() < 0.55 else ""
        code = synthetic_code(seed=self.seed, number=number)
        values = {
            "title": self._title(rng, words, groups, where),
            "acronym": acronym,
            "code": code,
            **self._texts(rng, themes, groups, where, acronym, participations),
            **period,
            "application_year": (
                max(FIRST_YEAR, period["start"].year - 1) if period["start"] and rng.random() < 0.4 else None
            ),
            "countries": countries,
            "sources": synthetic_sources(seed=self.seed),
            "is_published": rng.random() >= DRAFT_SHARE,
        }
        item = ProjectInput(
            values=values,
            slug=code.lower(),  # what slugify makes of it
            participations=participations,
            funders=funders,
            programmes=programmes,
            territories=[territory.name for territory in territories],
            themes=[str(theme) for theme in themes],
            target_groups=groups,
            label=code,
        )
        return SyntheticProject(input=item, territories=territories)

    @staticmethod
    def _target_groups(rng: random.Random, themes: list[str]) -> dict[str, str]:
        pool = list(dict.fromkeys(code for theme in themes for code in THEME_WORDS[theme].targets))
        chosen = rng.sample(pool, min(len(pool), rng.randint(1, 3)))
        if rng.random() < 0.3:
            chosen.append(rng.choice(TARGET_GROUPS))
        return {
            code: Reach.INDIRECT.value if code in MOSTLY_INDIRECT and rng.random() < 0.8 else Reach.DIRECT.value
            for code in dict.fromkeys(chosen)
        }

    @staticmethod
    def _title(rng: random.Random, words: ThemeWords, groups: dict[str, str], where: str) -> str:
        base = rng.choice(words.titles)
        draw = rng.random()
        if draw < 0.35:
            return f"{base} per {TARGET_WORDS[next(iter(groups))]} {where}"
        if draw < 0.7:
            return f"{base} {where}"
        return f"{base}: {rng.choice(words.objectives)} {where}"

    def _texts(
        self,
        rng: random.Random,
        themes: list[str],
        groups: dict[str, str],
        where: str,
        acronym: str,
        participations: list[ParticipationInput],
    ) -> dict[str, str]:
        main = THEME_WORDS[themes[0]]
        objectives = list(dict.fromkeys(o for theme in themes for o in THEME_WORDS[theme].objectives))
        objectives = rng.sample(objectives, min(len(objectives), rng.randint(2, 4)))
        activities = list(dict.fromkeys(a for theme in themes for a in THEME_WORDS[theme].activities))
        activities = rng.sample(activities, min(len(activities), rng.randint(3, 6)))
        direct = [TARGET_WORDS[code] for code, reach in groups.items() if reach == Reach.DIRECT]
        indirect = [TARGET_WORDS[code] for code, reach in groups.items() if reach == Reach.INDIRECT]
        targets = _listed(direct or indirect)
        subject = acronym.split()[0] if acronym and rng.random() < 0.5 else "Il progetto"
        verb = rng.choice(("intende", "si propone di", "mira a", "ha l'obiettivo di"))
        lead = next((p.name for p in participations if p.role == Role.LEAD), "")
        others = sum(1 for p in participations if p.role != Role.LEAD)
        network = (
            f"È promosso da {lead}" + (f" con {others} enti partner." if others else ".")
            if lead
            else f"È realizzato da una rete di {len(participations)} enti senza un capofila."
        )
        summary = " ".join(
            sentence
            for sentence in (
                f"{subject} {verb} {objectives[0]} per {targets} {where}.",
                f"Prevede {_listed(activities[:3])}.",
                network,
                rng.choice(OTHER_SENTENCES),
            )
            if sentence
        )
        beneficiaries = " ".join(
            part
            for part in (
                f"Diretti: {_listed(direct)}." if direct else "",
                f"Indiretti: {_listed(indirect)}." if indirect else "",
            )
            if part
        )
        reached = rng.random()
        return {
            "summary": summary,
            "general_objective": f"{main.objectives[0][0].upper()}{main.objectives[0][1:]} {where}.",
            "specific_objectives": "\n".join(f"{o[0].upper()}{o[1:]}" for o in objectives),
            "activities": "\n".join(f"Fase {i}) {a[0].upper()}{a[1:]}" for i, a in enumerate(activities, start=1)),
            "beneficiaries": beneficiaries,
            "people_reached": (
                f"{rng.randrange(20, 600, 10)} persone"
                if reached < 0.3
                else f"{(low := rng.randrange(10, 200, 10))}-{low + rng.randrange(10, 100, 10)} utenti per anno"
                if reached < 0.5
                else f"{rng.randint(5, 80)} nuclei familiari"
                if reached < 0.6
                else ""
            ),
        }

    # --- periods --------------------------------------------------------------------------------

    @staticmethod
    def _period(rng: random.Random, years: tuple[int, int]) -> dict:
        """A period written as sources write it, read by the parser every import uses (projects.periods)."""
        first, last = max(FIRST_YEAR, years[0]), min(LAST_YEAR - 1, years[1])
        start = dt.date(rng.randint(first, max(first, last)), rng.randint(1, 12), rng.randint(1, 28))
        months = rng.choice(DURATIONS)
        end = _add_months(start, months) - dt.timedelta(days=1)
        capped = end.year > LAST_YEAR
        if capped:
            end = dt.date(LAST_YEAR, 12, 31)
        text = _pick(rng, PERIOD_FORMS, PERIOD_SHARES)(start, end, months)
        if capped and "mesi" in text:
            text = f"{start.year} - {end.year}"  # the source's duration would run past the last year
        if not text:
            return {**periods.period_fields(periods.Period()), "period_text": "", "duration_months": None}
        period = periods.parse_period(text)
        return {**periods.period_fields(period), "period_text": text, "duration_months": period.duration_months}


def _listed(items: list[str]) -> str:
    """ "a, b e c" """
    items = list(items)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} e {items[-1]}"


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# --- writing ------------------------------------------------------------------------------------------


class SyntheticError(Exception):
    """Synthetic data that the write layer refuses, or that would touch a project it did not make."""


@dataclass
class SyntheticReport:
    projects: dict[str, int] = field(default_factory=lambda: {"new": 0, "changed": 0, "unchanged": 0})
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_MODELS, 0))


def registry_places() -> list[Place]:
    """The municipalities in the registry, in ISTAT order."""
    rows = Municipality.objects.order_by("istat_code").values_list(
        "istat_code", "name", "province_code", "province_name", "region_code", "region_name"
    )
    return [Place(*row) for row in rows]


def synthetic_write(
    registry: SyntheticRegistry,
    numbers: range,
    *,
    chunk: int = 5000,
    progress: Callable[[int, SyntheticReport], None] | None = None,
) -> SyntheticReport:
    """Hand projects `numbers` of the registry's seed to the write layer, `chunk` at a time, one
    transaction each; the funders, programmes and organisations they name are created first when missing."""
    report = SyntheticReport()
    indexes = {kind: RecordIndex.load(model) for kind, model in RECORD_MODELS.items()}
    label = f"generate_projects --seed {registry.seed}"
    with change_set(ChangeKind.GENERATED, label):
        _write_funding(registry, indexes, report)
    chunks = [range(first, min(first + chunk, numbers.stop)) for first in range(numbers.start, numbers.stop, chunk)]
    done = 0
    # The planner keeps the counts the registry had when the run began until something reads them again
    # (autovacuum lags behind a bulk load, or is off): at 510,000 of a million projects, one query planned
    # for the seed's sizes took 25 s a chunk. So the statistics are read again each time the projects double.
    refresh_at = max(chunk, Project.objects.count())
    # The next chunk is made in a thread while this one is written: it runs while this thread waits
    # for the database. Only that thread makes projects, and it touches no database.
    with ThreadPoolExecutor(max_workers=1) as maker:
        pending = maker.submit(_make, registry, chunks[0]) if chunks else None
        for position in range(len(chunks)):
            projects = pending.result()
            if position + 1 < len(chunks):
                pending = maker.submit(_make, registry, chunks[position + 1])
            with change_set(ChangeKind.GENERATED, label):
                _write_chunk(registry, projects, indexes, report)
            done += len(projects)
            if done >= refresh_at and position + 1 < len(chunks):
                planner_statistics_refresh()
                refresh_at = 2 * done
            if progress:
                progress(done, report)
    return report


def _make(registry: SyntheticRegistry, numbers: range) -> list[SyntheticProject]:
    return [registry.project(number) for number in numbers]


def _write_funding(registry: SyntheticRegistry, indexes: dict[str, RecordIndex], report: SyntheticReport) -> None:
    sources = synthetic_sources(seed=registry.seed)
    for name in registry.funders:
        if _find(indexes["funder"], name) is None:
            record_upsert(model=Funder, index=indexes["funder"], name=name, values={"sources": sources})
            report.created["funder"] += 1
    for spec in registry.programmes:
        if _find(indexes["programme"], spec.name) is not None:
            continue
        values = {
            "short_name": spec.short_name,
            "kind": spec.kind,
            "parent": _find(indexes["programme"], spec.parent) if spec.parent else None,
            "description": spec.description,
            "sources": sources,
        }
        slug = slugs_allocate(model=Programme, texts=[spec.short_name or spec.name])[0]
        programme, _ = record_upsert(
            model=Programme, index=indexes["programme"], name=spec.name, values=values, slug=slug
        )
        m2m_sync(manager=programme.funders, wanted=[_find(indexes["funder"], name) for name in spec.funders])
        report.created["programme"] += 1


def _write_chunk(
    registry: SyntheticRegistry,
    projects: list[SyntheticProject],
    indexes: dict[str, RecordIndex],
    report: SyntheticReport,
) -> None:
    sources = synthetic_sources(seed=registry.seed)
    names = dict.fromkeys(link.name for project in projects for link in project.input.participations)
    new = []
    for name in names:
        if _find(indexes["partner"], name) is None:
            spec = registry.organisation_by_name[name]
            new.append(Partner(name=name, kind=spec.kind, city=spec.city, country="IT", sources=sources))
    records_create(model=Partner, records=new)
    for partner in new:
        indexes["partner"].add(partner)
    report.created["partner"] += len(new)
    batch = ProjectBatch([project.input for project in projects], records=indexes)
    for project in projects:
        for territory in project.territories:
            if _find(indexes["territory"], territory.name) is None:
                batch.new_territory(territory.name, set(territory.codes)).note = SYNTHETIC_NOTE
                report.created["territory"] += 1
    for project in projects:
        item = project.input
        try:
            match = batch.match(item)
        except ValueError as error:
            raise SyntheticError(f"{item.label}: {error}") from None
        if match.project is not None and match.project.code != item.values["code"]:
            raise SyntheticError(
                f"{item.label} would be written over «{match.project.title}», which generate_projects did not make"
            )
        change = batch.plan(item, match)
        if change.errors:
            raise SyntheticError(f"{item.label}: {change.errors}")
        report.projects[change.outcome] += 1
    batch.write()


def _find(index: RecordIndex, name: str):
    try:
        return index.find(name)
    except ValueError as error:  # AmbiguousName: two stored records fold like a name the generator uses
        raise SyntheticError(str(error)) from None
