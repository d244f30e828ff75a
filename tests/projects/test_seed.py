"""The seed data, checked against the five seed documents (fixtures/sources/*.txt) through the public export,
and the idempotence of `load_seed` and `bootstrap`.

Every expectation here was read from the documents themselves, not from the YAML transcription: this is
an independent check of that transcription. Organisation names are matched on the words the documents
use for them, in the order the documents list them.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.db.models import Q
from django.test import Client

from partners.models import Partner
from projects.models import (
    Funder,
    Municipality,
    Participation,
    Programme,
    Project,
    ProjectTargetGroup,
    ProjectTheme,
    Territory,
)
from projects.seed import SeedError, load_seed
from tests.pages import content, export_csv, section

pytestmark = pytest.mark.django_db

DOC_000 = "000_c9e18c8c9772872a.txt"  # the list of project sheets
DOC_001 = "001_468d43dea2fcf707.txt"  # INTARSI
DOC_002 = "002_a5682a8e836e8668.txt"  # Così, Comuni Solidali e Inclusivi - In cammino
DOC_003 = "003_4e1f2c198755a669.txt"  # A.L.I.
DOC_004 = "004_fe4e1acc417e4d56.txt"  # social posts


@pytest.fixture(scope="module")
def records(django_db_setup, django_db_blocker) -> list[dict]:
    """/projects/export.json as loaded once per session (read only)."""
    with django_db_blocker.unblock():
        return json.loads(content(Client().get("/projects/export.json")))


def norm(text: str) -> str:
    """Case, curly apostrophes and spacing do not count when comparing with the documents."""
    return " ".join(text.replace("’", "'").replace("‘", "'").casefold().split())


def one(records, description: str, predicate) -> dict:
    found = [record for record in records if predicate(record)]
    assert len(found) == 1, f"expected one project for {description}, found {[r['title'] for r in found]}"
    return found[0]


def titled(records, words: str) -> dict:
    return one(records, f"title with «{words}»", lambda r: norm(words) in norm(r["title"]))


def led_by(records, lead: str) -> dict:
    return one(records, f"lead partner «{lead}»", lambda r: norm(lead) in norm(r["lead_partner"]))


def names(record, role: str) -> list[str]:
    return [item["name"] for item in record["partners"] if item["role"] == role]


def assert_names_match(actual: list[str], expected_words: list[str]) -> None:
    """One organisation per expected name, in the document's order, each named with the document's words."""
    assert len(actual) == len(expected_words), actual
    mismatched = [
        (name, words) for name, words in zip(actual, expected_words, strict=True) if norm(words) not in norm(name)
    ]
    assert mismatched == []


def codes(*names_in_province: str, province: str) -> set[str]:
    found = dict(
        Municipality.objects.filter(province_code=province, name__in=names_in_province).values_list(
            "name", "istat_code"
        )
    )
    assert sorted(found) == sorted(names_in_province), "a name below is not ISTAT's"
    return set(found.values())


def province(code: str) -> set[str]:
    return set(Municipality.objects.filter(province_code=code).values_list("istat_code", flat=True))


def funded_by(client, funder_name: str) -> set[str]:
    slug = Funder.objects.get(name=funder_name).slug
    return {record["slug"] for record in json.loads(content(client.get("/projects/export.json", {"funder": slug})))}


# === 000: the list of project sheets ==========================================================


@pytest.fixture
def arlekin(records):
    return titled(records, "ARLEKIN")


def test_seed_arlekin_runs_from_2024_to_2027(arlekin):
    assert (arlekin["start"], arlekin["end"]) == ("2024", "2027")


def test_seed_arlekin_is_led_by_the_cnam(arlekin):
    assert "conservatoire national des arts et métiers" in norm(arlekin["lead_partner"])


def test_seed_arlekin_is_in_the_erasmus_ka220_programme(arlekin):
    assert [p for p in arlekin["programmes"] if "erasmus+" in norm(p) and "ka220" in norm(p)]


def test_seed_arlekin_works_in_france_italy_portugal_spain_and_belgium(arlekin):
    assert arlekin["countries"] == ["FR", "IT", "PT", "ES", "BE"]


def test_seed_arlekin_names_its_website(arlekin):
    assert arlekin["website"] == "https://arlekinpro.eu/"


@pytest.fixture
def andirivieni(records):
    return led_by(records, "Associazione ANDIRIVIENI")


def test_seed_andirivieni_housing_project_runs_from_may_2024_to_december_2025(andirivieni):
    assert (andirivieni["start"], andirivieni["end"]) == ("2024-05", "2025-12")


def test_seed_andirivieni_housing_project_is_funded_by_fondazione_crc(andirivieni):
    assert (andirivieni["funders"], andirivieni["programmes"]) == (["Fondazione CRC"], [])


def test_seed_andirivieni_housing_project_is_in_the_province_of_cuneo(andirivieni):
    assert andirivieni["municipalities"] and set(andirivieni["municipalities"]) <= province("CN")


@pytest.fixture
def samadhi(records):
    return one(records, "Samadhi", lambda r: "samadhi" in norm(r["title"]) and "ananda" not in norm(r["title"]))


@pytest.fixture
def ananda(records):
    return one(records, "Ananda", lambda r: "ananda" in norm(r["title"]) and "samadhi" not in norm(r["title"]))


def test_seed_samadhi_runs_from_2022_to_february_2023(samadhi):
    assert (samadhi["start"], samadhi["end"]) == ("2022", "2023-02")


def test_seed_ananda_runs_from_february_2024_to_july_2025(ananda):
    assert (ananda["start"], ananda["end"]) == ("2024-02", "2025-07")


@pytest.mark.parametrize("phase", ["samadhi", "ananda"])
def test_seed_samadhi_and_ananda_are_led_by_prefettura_di_asti(request, phase):
    assert request.getfixturevalue(phase)["lead_partner"] == "Prefettura di Asti"


@pytest.mark.parametrize("phase", ["samadhi", "ananda"])
def test_seed_samadhi_and_ananda_are_funded_by_fami(request, phase):
    programmes = request.getfixturevalue(phase)["programmes"]
    assert len(programmes) == 1 and "fondo asilo, migrazione e integrazione" in norm(programmes[0])


@pytest.mark.parametrize("phase", ["samadhi", "ananda"])
def test_seed_samadhi_and_ananda_cover_the_whole_province_of_asti(request, phase):
    assert set(request.getfixturevalue(phase)["municipalities"]) == province("AT")


@pytest.mark.parametrize("phase, other", [("samadhi", "ananda"), ("ananda", "samadhi")])
def test_seed_samadhi_and_ananda_link_to_each_other_on_their_pages(client, request, phase, other):
    page = content(client.get(f"/projects/{request.getfixturevalue(phase)['slug']}/"))
    assert f'href="/projects/{request.getfixturevalue(other)["slug"]}/"' in section(page, "Related projects")


@pytest.fixture
def cuneo(records):
    return led_by(records, "Comune di Cuneo")


def test_seed_cuneo_housing_project_lasts_36_months_from_2025_to_2028(cuneo):
    assert (cuneo["start"], cuneo["end"], cuneo["duration_months"]) == ("2025", "2028", 36)


def test_seed_cuneo_housing_project_is_funded_by_fami_2021_2027(cuneo):
    assert len(cuneo["programmes"]) == 1
    assert (
        "fondo asilo, migrazione e integrazione" in norm(cuneo["programmes"][0])
        and "2021-2027" in cuneo["programmes"][0]
    )


def test_seed_cuneo_housing_project_is_in_cuneo(cuneo):
    assert codes("Cuneo", province="CN") <= set(cuneo["municipalities"]) <= province("CN")


def test_seed_cuneo_housing_project_page_states_the_people_reached(client, cuneo):
    page = content(client.get(f"/projects/{cuneo['slug']}/"))
    assert '<dt>People reached</dt><dd lang="it">120-140 utenti per anno</dd>' in page


def test_seed_cuneo_housing_project_page_states_the_period_and_duration_the_sheet_gives(client, cuneo):
    # The sheet writes "36 mesi (2025 – 2028)": the page gives both facts in its one date style.
    page = content(client.get(f"/projects/{cuneo['slug']}/"))
    assert '<dt>Period</dt><dd><time datetime="2025">2025</time> – <time datetime="2028">2028</time></dd>' in page
    assert "<dt>Duration</dt><dd>36 months</dd>" in page


@pytest.fixture
def tantintenti(records):
    return led_by(records, "Cooperativa Tantintenti Soc. Coop. Sociale ONLUS")


def test_seed_tantintenti_project_runs_from_march_2024_to_december_2025(tantintenti):
    assert (tantintenti["start"], tantintenti["end"]) == ("2024-03", "2025-12")


def test_seed_tantintenti_project_is_funded_by_compagnia_di_san_paolo(tantintenti):
    assert "Fondazione Compagnia di San Paolo" in tantintenti["funders"]


def test_seed_biellese_is_the_74_municipalities_of_the_province_of_biella(tantintenti):
    assert len(province("BI")) == 74
    assert set(tantintenti["municipalities"]) == province("BI")


# === 002 (and 000): Così, Comuni Solidali e Inclusivi - In cammino ===========================


NORD_ASTIGIANO = [
    # the 5 municipalities of the SAI, then the Rete SAI and the Basso Monferrato, each once;
    # «Mareto» is Maretto, «Baldichieri» is Baldichieri d'Asti, «Cerreto» is Cerreto d'Asti (all in AT)
    "Monale",
    "Castellero",
    "Cortandone",
    "Chiusano d'Asti",
    "Settime",
    "Maretto",
    "Roatto",
    "Baldichieri d'Asti",
    "Cantarana",
    "Albugnano",
    "Aramengo",
    "Camerano Casasco",
    "Capriglio",
    "Cerreto d'Asti",
    "Cinaglio",
    "Cocconato",
    "Cortanze",
    "Montafia",
    "Passerano Marmorito",
    "Pino d'Asti",
    "San Paolo Solbrito",
    "Soglio",
    "Viale",
]


@pytest.fixture
def cosi(records):
    return one(records, "Così", lambda r: norm(r["title"]) == norm("Così, Comuni Solidali e Inclusivi - In cammino"))


def test_seed_cosi_is_led_by_ass_piam_onlus(cosi):
    assert cosi["lead_partner"] == "Ass. PIAM onlus"


def test_seed_cosi_has_the_seven_partners_of_the_full_sheet(cosi):
    assert_names_match(
        names(cosi, "partner"),
        [
            "ARGO SCS",
            "Comune di Chiusano d'Asti",
            "Comune di Castellero",
            "Comune di Cortandone",
            "Comune di Monale",
            "Comune di Settime",
            "BEWOOD ASD",
        ],
    )


def test_seed_cosi_is_in_the_bando_territori_inclusivi(cosi):
    assert [p for p in cosi["programmes"] if "territori inclusivi" in norm(p)]


def test_seed_cosi_is_funded_by_compagnia_di_san_paolo(client, cosi):
    assert cosi["slug"] in funded_by(client, "Fondazione Compagnia di San Paolo")


def test_seed_cosi_runs_from_december_2023_to_december_2025(cosi):
    assert (cosi["start"], cosi["end"]) == ("2023-12", "2025-12")


def test_seed_nord_astigiano_is_exactly_the_23_municipalities_the_sheet_names(cosi):
    assert len(NORD_ASTIGIANO) == len(set(NORD_ASTIGIANO)) == 23
    assert set(cosi["municipalities"]) == codes(*NORD_ASTIGIANO, province="AT")


def test_seed_nord_astigiano_includes_maretto_misspelt_mareto_in_the_sheet(cosi):
    assert codes("Maretto", province="AT") <= set(cosi["municipalities"])


def test_seed_cosi_is_one_project_citing_both_documents_that_describe_it(cosi):
    assert {f"sources/{DOC_000}", f"sources/{DOC_002}"} <= set(cosi["sources"])


# === 001: INTARSI =============================================================================


@pytest.fixture
def intarsi(records):
    return one(records, "code PROG-2832", lambda r: r["code"] == "PROG-2832")


def test_seed_intarsi_has_its_title(intarsi):
    assert norm(intarsi["title"]) == norm("INTARSI - Azioni in rete per una comunità accogliente")


def test_seed_intarsi_has_its_cup(intarsi):
    assert intarsi["cup"] == "I69E19001100002"


def test_seed_intarsi_is_led_by_unione_dei_comuni_valle_del_savio(intarsi):
    assert intarsi["lead_partner"] == "Unione dei Comuni Valle del Savio"


INTARSI_PARTNERS = [
    "Comune di Modena",
    "ANCI Emilia-Romagna",
    "Ippogrifo",
    "CIAC",
    "Comune di Rimini",
    "Azienda Pubblica di Servizi alla Persona del Distretto Cesena Valle Savio",
    "Comune di Ravenna",
    "Consorzio Fantasia",
    "C.I.D.A.S.",
    "Comune di Reggio Emilia",
]


def test_seed_intarsi_has_exactly_its_ten_partners_in_order(intarsi):
    assert_names_match(names(intarsi, "partner"), INTARSI_PARTNERS)


def test_seed_intarsi_has_no_supporting_body(intarsi):
    assert names(intarsi, "supporting") == []


def test_seed_intarsi_is_funded_by_the_commission_and_the_ministry_of_the_interior(intarsi):
    assert sorted(intarsi["funders"]) == ["Commissione europea", "Ministero dell'Interno"]


def test_seed_intarsi_is_in_fami_2014_2020(intarsi):
    assert len(intarsi["programmes"]) == 1
    assert (
        "fondo asilo, migrazione e integrazione" in norm(intarsi["programmes"][0])
        and "2014-2020" in intarsi["programmes"][0]
    )


def test_seed_intarsi_lasts_26_months_with_no_dates_given(intarsi):
    assert (intarsi["duration_months"], intarsi["start"], intarsi["end"]) == (26, "", "")


def test_seed_intarsi_page_gives_2019_as_the_year_of_application(client, intarsi):
    page = content(client.get(f"/projects/{intarsi['slug']}/"))
    assert "<dt>Year of application</dt><dd>2019</dd>" in page


def test_seed_intarsi_cites_its_document(intarsi):
    assert f"sources/{DOC_001}" in intarsi["sources"]


def test_seed_intarsi_csv_row(client, intarsi):
    header, *rows = export_csv(client)
    row = dict(zip(header, next(row for row in rows if row[0] == intarsi["slug"]), strict=True))
    partners = row["partners"].split("; ")
    assert partners[0] == "Unione dei Comuni Valle del Savio [lead]"
    assert [item.endswith(" [partner]") for item in partners[1:]] == [True] * 10
    assert (row["code"], row["cup"], row["duration_months"], row["start"], row["end"]) == (
        "PROG-2832",
        "I69E19001100002",
        "26",
        "",
        "",
    )
    assert row["funders"] == "Commissione europea; Ministero dell'Interno"


# === 003: A.L.I. ==============================================================================


@pytest.fixture
def ali(records):
    return one(
        records, "A.L.I.", lambda r: norm(r["title"]).startswith(norm("A.L.I. – Abitare, Lavorare, Integrarsi"))
    )


def test_seed_ali_is_led_by_prefettura_di_padova(ali):
    assert ali["lead_partner"] == "Prefettura di Padova"


def test_seed_ali_has_its_five_partners_in_order(ali):
    assert_names_match(
        names(ali, "partner"),
        ["Comune di Reggio Emilia", "Infrastrutture Sociali", "GEA", "AttivaMente Onlus", "Fondazione E-35"],
    )


def test_seed_ali_has_its_six_supporting_bodies_in_order(ali):
    assert_names_match(
        names(ali, "supporting"),
        [
            "Comune di Padova",
            "Prefettura di Vicenza",
            "Prefettura di Reggio Emilia",
            "Comune di Brescia",
            "ACLI provinciale Brescia",
            "Confcooperative provincia di Brescia",
        ],
    )


def test_seed_ali_runs_from_october_2018_to_march_2020(ali):
    assert (ali["start"], ali["end"]) == ("2018-10", "2020-03")


def test_seed_ali_names_no_funder_and_no_programme(ali):
    assert (ali["funders"], ali["programmes"]) == ([], [])


def test_seed_ali_cites_its_document(ali):
    assert f"sources/{DOC_003}" in ali["sources"]


def test_seed_comune_di_reggio_emilia_is_one_organisation_in_intarsi_and_ali(intarsi, ali):
    assert Partner.objects.filter(name="Comune di Reggio Emilia").count() == 1
    assert (
        "Comune di Reggio Emilia" in names(intarsi, "partner"),
        "Comune di Reggio Emilia" in names(ali, "partner"),
    ) == (True, True)


def test_seed_comune_di_reggio_emilia_page_lists_intarsi_and_ali(client, intarsi, ali):
    partner = Partner.objects.get(name="Comune di Reggio Emilia")
    page = content(client.get(f"/partners/{partner.slug}/"))
    assert f'href="/projects/{intarsi["slug"]}/"' in page and f'href="/projects/{ali["slug"]}/"' in page


# === 004: social posts ========================================================================


@pytest.fixture
def rart(records):
    return one(
        records,
        "RART",
        lambda r: "rete asilo e rifugio torino" in norm(r["title"]) or "rart" in norm(r["title"]).split(),
    )


RART_MEMBERS = [
    "Altrimodi",
    "Babel",
    "Animazione Valdocco",
    "CISV",
    "Diaconia Valdese",
    "Esserci",
    "Crescere Insieme",
    "IL PUNTO",
    "Liberitutti",
    "Orso",
    "Progetto Tenda",
    "Zenith",
]


def test_seed_rart_has_its_twelve_members_as_network_members_in_order(rart):
    assert_names_match(names(rart, "member"), RART_MEMBERS)
    assert names(rart, "supporting") == []


def test_seed_rart_has_no_lead_partner(rart):
    assert (rart["lead_partner"], names(rart, "lead")) == ("", [])


def test_seed_rart_is_in_torino(rart):
    assert codes("Torino", province="TO") <= set(rart["municipalities"])


def test_seed_rart_started_when_its_protocol_was_signed_in_february_2023(rart):
    assert rart["start"] == "2023-02"


def test_seed_modena_service_centre_has_the_title_of_the_post(records):
    titled(records, "Da Centro Stranieri a Centro Servizi: un nuovo spazio per l'inclusione sociale a Modena")


def test_seed_modena_service_centre_is_in_the_pr_fesr_2021_2027(records):
    project = titled(records, "Da Centro Stranieri a Centro Servizi")
    assert [p for p in project["programmes"] if "fesr" in norm(p) and "2021-2027" in p]


def test_seed_modena_service_centre_is_in_modena(records):
    assert codes("Modena", province="MO") <= set(
        titled(records, "Da Centro Stranieri a Centro Servizi")["municipalities"]
    )


def test_seed_mete_di_inclusione_urbana_is_funded_by_the_ministry_of_labour(records):
    project = titled(records, "Mete di Inclusione Urbana")
    assert [f for f in project["funders"] if norm(f).startswith("ministero del lavoro")]


def test_seed_mete_di_inclusione_urbana_is_in_rome(records):
    assert codes("Roma", province="RM") <= set(titled(records, "Mete di Inclusione Urbana")["municipalities"])


def test_seed_semiinaria_is_in_verona(records):
    assert codes("Verona", province="VR") <= set(titled(records, "SEMIinARIA")["municipalities"])


def test_seed_libri_names_the_partners_of_the_post(records):
    partners = [
        norm(name) for name in names(titled(records, "LiBri"), "partner") + names(titled(records, "LiBri"), "lead")
    ]
    expected = [
        "ANVITA",
        "Bibliothèques Sans Frontières",
        "European Bureau of Library, Information and Documentation Associations",
        "FRSI",
        "Asociatia Comunitatile Viitorului",
    ]
    assert [words for words in expected if not any(norm(words) in name for name in partners)] == []


def test_seed_milano_welcome_center_is_in_milan(records):
    assert codes("Milano", province="MI") <= set(titled(records, "Milano Welcome Center")["municipalities"])


def test_seed_carta_per_l_integrazione_names_unhcr(records):
    project = titled(records, "Carta per l'Integrazione delle persone rifugiate")
    assert [item for item in project["partners"] if "unhcr" in norm(item["name"])]


def test_seed_carta_per_l_integrazione_is_a_national_network_with_brescia_a_member():
    carta = Project.objects.get(slug="carta-per-lintegrazione-delle-persone-rifugiate")
    assert carta.kind == "network" and carta.countries == ["IT"]
    assert not carta.territories.exists(), "the Carta's territory is Italy, not its newest member's town"
    assert list(carta.participations.filter(role="member").values_list("partner__name", flat=True)) == [
        "Comune di Brescia"
    ]


@pytest.mark.parametrize(
    ("slug", "kind"),
    [("rart", "network"), ("milano-welcome-center", "service"), ("semiinaria", "proposal"), ("intarsi", "project")],
)
def test_seed_records_say_what_kind_of_initiative_they_are(slug, kind):
    assert Project.objects.get(slug=slug).kind == kind


def test_seed_a_lead_partner_read_from_a_hashtag_is_marked_as_inferred():
    lead = Project.objects.get(slug="milano-welcome-center").participations.get(role="lead")
    assert lead.partner.name == "Comune di Milano" and "#ComuneDiMilano" in lead.inferred_because


def test_seed_ali_names_the_unit_of_comune_di_brescia_as_the_source_does():
    link = Project.objects.get(acronym="A.L.I.").participations.get(partner__name="Comune di Brescia")
    assert link.unit == "Assessorato alla Casa e Inclusione Sociale"


def test_seed_programme_funders_no_source_names_are_marked_as_inferred():
    fami = Programme.objects.get(short_name="FAMI")
    assert set(fami.funders.values_list("name", flat=True)) == {"Commissione europea", "Ministero dell'Interno"}
    assert fami.funders_inferred_because
    assert Programme.objects.get(short_name="PR FESR 2021-2027").funders_inferred_because


def test_seed_every_territory_says_how_its_municipalities_were_drawn():
    bases = dict(Territory.objects.values_list("name", "basis"))
    assert bases["Nord Astigiano"] == "stated"
    assert bases["Emilia-Romagna"] == "inferred"
    assert bases["Territori provinciali di Padova, Vicenza, Reggio Emilia e Brescia"] == "inferred"
    assert bases["Cuneese e Saluzzese"] == "inferred"  # the source names no town of the two areas
    assert bases["Cuneese"] == "partial"  # the source names Cuneo
    assert not Territory.objects.exclude(basis="stated").filter(note="").exists(), "every reading says why"


def test_seed_regione_toscana_notice_is_not_a_project(records):
    assert [
        r["title"]
        for r in records
        if "toscana" in norm(r["title"]) or "partecipazione attiva dei cittadini" in norm(r["title"])
    ] == []


def regione_toscana_notices():
    return (
        Programme.objects.filter(
            Q(name__icontains="Toscana")
            | Q(description__icontains="Regione Toscana")
            | Q(funders__name__icontains="Toscana")
        )
        .filter(Q(name__icontains="avviso") | Q(description__icontains="avviso pubblico"))
        .distinct()
    )


def test_seed_regione_toscana_notice_is_a_call_for_proposals():
    assert list(regione_toscana_notices().values_list("kind", flat=True)) == ["call"]


def test_seed_regione_toscana_notice_is_part_of_the_regional_fse_plus_2021_2027_programme():
    parent = regione_toscana_notices().get().parent
    assert parent is not None and "2021-2027" in parent.name
    assert "fse+" in norm(parent.name) or "fondo sociale europeo plus" in norm(parent.name + " " + parent.description)


# === all documents ============================================================================


def test_seed_every_project_is_published(records):
    assert not Project.objects.filter(is_published=False).exists()
    assert len(records) == Project.objects.count()


@pytest.mark.parametrize("document", [DOC_000, DOC_001, DOC_002, DOC_003, DOC_004])
def test_seed_every_document_is_the_source_of_a_project(document):
    cited = {source.get("document", "") for project in Project.objects.all() for source in project.sources}
    assert f"sources/{document}" in cited


def test_seed_every_project_names_its_sources(records):
    assert [r["title"] for r in records if not r["sources"]] == []


# === idempotence ==============================================================================


def snapshot() -> dict:
    """Every row the seed writes, in a comparable form."""

    def through(field) -> list:
        columns = [f.attname for f in field.through._meta.fields if f.attname != "id"]
        return sorted(field.through.objects.values_list(*columns))

    return {
        "municipalities": Municipality.objects.count(),
        "projects": list(Project.objects.order_by("pk").values()),
        "partners": list(Partner.objects.order_by("pk").values()),
        "participations": list(Participation.objects.order_by("pk").values()),
        "programmes": list(Programme.objects.order_by("pk").values()),
        "territories": list(Territory.objects.order_by("pk").values()),
        "themes": list(ProjectTheme.objects.order_by("pk").values()),
        "target_groups": list(ProjectTargetGroup.objects.order_by("pk").values()),
        "territory_municipalities": through(Territory.municipalities),
        "project_territories": through(Project.territories),
        "project_funders": through(Project.funders),
        "project_programmes": through(Project.programmes),
        "programme_funders": through(Programme.funders),
        "related": through(Project.related),
    }


def test_load_seed_a_second_time_changes_nothing():
    load_seed(settings.SEED_DIR)
    before = snapshot()
    report = load_seed(settings.SEED_DIR)
    assert (report.changed_anything(), snapshot() == before) == (False, True)


def test_load_seed_a_second_time_reports_0_new_and_0_changed():
    load_seed(settings.SEED_DIR)
    lines = load_seed(settings.SEED_DIR).lines()
    assert lines and [line for line in lines if ": 0 new, 0 changed, " not in line] == []


def test_bootstrap_a_second_time_changes_nothing_and_says_so():
    call_command("bootstrap", "--skip-static", stdout=io.StringIO())
    before = snapshot()
    output = io.StringIO()
    call_command("bootstrap", "--skip-static", stdout=output)
    counted = [line for line in output.getvalue().splitlines() if " new, " in line]
    assert snapshot() == before
    assert len(counted) >= 2 and [line for line in counted if "0 new, 0 changed" not in line] == []
    assert "Seed data already up to date." in output.getvalue()


def copy_of_the_seed(tmp_path, edit) -> Path:
    """The seed folder copied to tmp_path, each project entry passed through edit(file name, entry)."""
    target = tmp_path / "seed"
    shutil.copytree(settings.SEED_DIR, target)
    for path in sorted(target.glob("projects-*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for entry in data.get("projects", []):
            edit(path.name, entry)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return target


def test_load_seed_with_a_wrong_reference_stops_and_writes_nothing(tmp_path):
    first_title = {}

    def edit(file_name, entry):
        if not first_title:
            first_title["title"] = entry["title"]
            entry["summary"] = "Fx: this must never reach the database."
        entry.setdefault("partners", [])
        entry["partners"] = list(entry["partners"] or []) + ["Fx organisation that does not exist"]

    before = snapshot()
    with pytest.raises(SeedError, match="Fx organisation that does not exist"):
        load_seed(copy_of_the_seed(tmp_path, edit))
    assert snapshot() == before


def test_load_seed_removes_a_related_link_taken_out_of_the_seed(tmp_path):
    assert Project.objects.filter(related__isnull=False).exists()
    load_seed(copy_of_the_seed(tmp_path, lambda file_name, entry: entry.pop("related", None)))
    assert not Project.objects.filter(related__isnull=False).exists()


def test_an_organisation_a_sheet_wrote_another_way_is_the_one_the_seed_names(tmp_path):
    imported = Partner.objects.create(name="COOPERATIVA  nuova alba", slug="cooperativa-nuova-alba-fx")
    partners = Partner.objects.count()

    def edit(file_name, entry):
        if entry["title"] == "Samadhi":
            entry["partners"] = list(entry.get("partners") or []) + ["Cooperativa Nuova Alba"]

    seed = copy_of_the_seed(tmp_path, edit)
    organisations = yaml.safe_load((seed / "organisations.yaml").read_text(encoding="utf-8"))
    organisations["partners"].append({"name": "Cooperativa Nuova Alba", "kind": "third_sector"})
    (seed / "organisations.yaml").write_text(yaml.safe_dump(organisations, allow_unicode=True), encoding="utf-8")

    load_seed(seed)

    imported.refresh_from_db()
    assert Partner.objects.count() == partners
    assert (imported.name, imported.kind) == ("Cooperativa Nuova Alba", "third_sector")
    assert Participation.objects.filter(partner=imported, project__title="Samadhi").exists()


def test_a_seed_title_corrected_in_the_files_updates_the_project_it_names(tmp_path):
    """Every seed project has a slug of its own, so a corrected title is a change, never a second project."""
    projects = Project.objects.count()
    samadhi = Project.objects.get(title="Samadhi")

    load_seed(
        copy_of_the_seed(
            tmp_path,
            lambda f, entry: entry.update(title="Samadhi (prima fase)") if entry["title"] == "Samadhi" else None,
        )
    )

    assert Project.objects.count() == projects
    assert Project.objects.get(pk=samadhi.pk).title == "Samadhi (prima fase)"


def test_every_seed_project_names_its_slug():
    for path in sorted(settings.SEED_DIR.glob("projects-*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8"))["projects"]
        assert [entry["title"] for entry in entries if not entry.get("slug")] == [], path.name


def test_a_seed_project_whose_slug_an_editor_changed_loads_again(tmp_path):
    Project.objects.filter(slug="ananda").update(slug="ananda-progetto")
    projects = Project.objects.count()

    report = load_seed(settings.SEED_DIR)

    assert Project.objects.count() == projects and not report.changed_anything()
    assert Project.objects.get(slug="ananda-progetto").related.filter(slug="samadhi").exists()


def test_two_seed_entries_that_are_one_name_written_two_ways_stop_the_load(tmp_path):
    seed = copy_of_the_seed(tmp_path, lambda file_name, entry: None)
    organisations = yaml.safe_load((seed / "organisations.yaml").read_text(encoding="utf-8"))
    organisations["funders"] += [{"name": "Fondazione Zeta-Uno"}, {"name": "FONDAZIONE ZETA UNO"}]
    (seed / "organisations.yaml").write_text(yaml.safe_dump(organisations, allow_unicode=True), encoding="utf-8")
    before = snapshot()

    with pytest.raises(SeedError, match="are one name written two ways"):
        load_seed(seed)
    assert snapshot() == before
