"""/projects/export.json and /projects/export.csv (projects/exports.py)."""

import pytest

from tests.factories import (
    MARKER,
    make_full_project,
    make_funder,
    make_partner,
    make_programme,
    make_project,
    make_territory,
    municipality,
    word,
)
from tests.pages import content, export_csv, export_json

pytestmark = pytest.mark.django_db

DOCUMENTED_FIELDS = [
    "slug",
    "title",
    "acronym",
    "code",
    "cup",
    "summary",
    "lead_partner",
    "partners",
    "funders",
    "programmes",
    "start",
    "end",
    "duration_months",
    "status",
    "themes",
    "target_groups",
    "territories",
    "municipalities",
    "countries",
    "website",
    "sources",
]


def only(records, project) -> dict:
    matching = [record for record in records if record["slug"] == project.slug]
    assert len(matching) == 1, f"{project.slug} is in the export {len(matching)} times"
    return matching[0]


def csv_record(client, project) -> dict:
    tag = project.title.split()[-1]
    header, *rows = export_csv(client, {"q": tag})
    records = [dict(zip(header, row, strict=True)) for row in rows if row[header.index("slug")] == project.slug]
    assert len(records) == 1
    return records[0]


@pytest.fixture
def full_project():
    lead, first, second, supporter = (
        make_partner(name=f"{MARKER} {label} {word()}") for label in ("Capofila", "Uno", "Due", "Sostenitore")
    )
    funder = make_funder()
    programme = make_programme(name=f"{MARKER} Programma {word()}")
    territories = [
        make_territory(
            name=f"{MARKER} A {word()}", municipalities=[municipality("Biella", "BI"), municipality("Asti", "AT")]
        ),
        make_territory(name=f"{MARKER} B {word()}", municipalities=[municipality("Asti", "AT")]),
    ]
    return make_full_project(
        title=f"{MARKER} Export {word()}",
        acronym="FXE",
        code="PROG-0001",
        cup="E12F34000560009",
        summary="Sintesi.",
        period="Maggio 2024 - 2026",
        duration_months=30,
        lead=lead,
        partners=[first, second],
        supporting=[supporter],
        funders=[funder],
        programmes=[programme],
        territories=territories,
        themes=["mediation", "housing"],
        target_groups=["refugees", "asylum_seekers"],
        countries=["IT", "FR"],
        website="https://example.org/fx",
        sources=[
            {"title": "Pagina", "url": "https://example.org/fx/pagina", "accessed": "2026-01-31"},
            {"title": "Documento", "document": "sources/fx.txt"},
        ],
    )


# --- JSON ------------------------------------------------------------------------------------


def test_json_export_is_a_list_of_records_with_the_documented_keys(client, full_project):
    records = export_json(client)
    assert records and all(list(record) == DOCUMENTED_FIELDS for record in records)


def test_json_export_is_served_as_json(client):
    response = client.get("/projects/export.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_json_record_of_a_project(client, full_project):
    record = only(export_json(client), full_project)
    lead, first, second, supporter = (link.partner for link in full_project.participations_in_order())
    assert record == {
        "slug": full_project.slug,
        "title": full_project.title,
        "acronym": "FXE",
        "code": "PROG-0001",
        "cup": "E12F34000560009",
        "summary": "Sintesi.",
        "lead_partner": lead.name,
        "partners": [
            {"name": lead.name, "role": "lead"},
            {"name": first.name, "role": "partner"},
            {"name": second.name, "role": "partner"},
            {"name": supporter.name, "role": "supporting"},
        ],
        "funders": [full_project.funders.get().name],
        "programmes": [full_project.programmes.get().name],
        "start": "2024-05",
        "end": "2026",
        "duration_months": 30,
        "status": full_project.status,
        "themes": ["housing", "mediation"],
        "target_groups": ["asylum_seekers", "refugees"],
        "territories": sorted(territory.name for territory in full_project.territories.all()),
        "municipalities": sorted([municipality("Asti", "AT").istat_code, municipality("Biella", "BI").istat_code]),
        "countries": ["IT", "FR"],
        "website": "https://example.org/fx",
        "sources": ["https://example.org/fx/pagina", "sources/fx.txt"],
    }


def test_json_export_gives_dates_at_their_precision(client):
    project = make_project(period="01/03/2024 - Dicembre 2025")
    record = only(export_json(client), project)
    assert (record["start"], record["end"]) == ("2024-03-01", "2025-12")


def test_json_export_gives_empty_dates_and_no_duration_when_the_source_states_no_period(client):
    project = make_project()
    record = only(export_json(client), project)
    assert (record["start"], record["end"], record["duration_months"], record["status"]) == ("", "", None, "unknown")


def test_json_export_lists_a_municipality_once_when_two_territories_contain_it(client):
    asti = municipality("Asti", "AT")
    project = make_project(territories=[make_territory(municipalities=[asti]), make_territory(municipalities=[asti])])
    assert only(export_json(client), project)["municipalities"] == [asti.istat_code]


def test_json_export_keeps_accented_text_readable(client):
    project = make_project(title=f"{MARKER} Così {word()}")
    response = client.get("/projects/export.json", {"q": project.title.split()[-1]})
    assert "Così" in content(response)


def test_json_export_of_no_project_is_an_empty_list(client):
    assert export_json(client, {"q": word()}) == []


def test_json_export_never_contains_a_draft(client):
    tag = word()
    draft = make_project(title=f"{MARKER} {tag}", published=False)
    assert draft.slug not in {record["slug"] for record in export_json(client)}


# --- CSV -------------------------------------------------------------------------------------


def test_csv_export_is_an_attachment_named_progetti_csv(client):
    response = client.get("/projects/export.csv")
    assert (response["Content-Type"], response["Content-Disposition"]) == (
        "text/csv; charset=utf-8",
        'attachment; filename="progetti.csv"',
    )


def test_csv_header_is_the_documented_field_list(client):
    assert export_csv(client)[0] == DOCUMENTED_FIELDS


def test_csv_has_one_row_per_published_project(client):
    tag = word()
    for _ in range(3):
        make_project(title=f"{MARKER} {tag}")
    make_project(title=f"{MARKER} {tag}", published=False)
    assert len(export_csv(client, {"q": tag})) == 1 + 3


def test_csv_writes_partners_as_name_and_role_joined_by_semicolons(client, full_project):
    lead, first, second, supporter = (link.partner for link in full_project.participations_in_order())
    assert csv_record(client, full_project)["partners"] == (
        f"{lead.name} [lead]; {first.name} [partner]; {second.name} [partner]; {supporter.name} [supporting]"
    )


def test_csv_joins_lists_with_semicolons(client, full_project):
    record = csv_record(client, full_project)
    assert (record["themes"], record["countries"]) == ("housing; mediation", "IT; FR")


def test_csv_writes_dates_at_their_precision_and_a_missing_duration_as_empty(client):
    project = make_project(title=f"{MARKER} {word()}", period="2022 – febbraio 2023")
    record = csv_record(client, project)
    assert (record["start"], record["end"], record["duration_months"]) == ("2022", "2023-02", "")


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_writes_a_cell_a_spreadsheet_would_run_as_a_formula_as_text(client, start):
    tag = word()
    project = make_project(title=f"{MARKER} {tag}", summary=f'{start}HYPERLINK("http://evil.example")')
    assert csv_record(client, project)["summary"] == f'\'{start}HYPERLINK("http://evil.example")'


def test_csv_escapes_a_formula_in_an_organisation_name(client):
    tag = word()
    project = make_project(title=f"{MARKER} {tag}", lead=make_partner(name=f"=cmd|' /C calc'!A0 {tag}"))
    assert csv_record(client, project)["lead_partner"].startswith("'=cmd")


def test_csv_never_contains_a_draft(client):
    draft = make_project(published=False)
    rows = export_csv(client)
    assert draft.slug not in [row[0] for row in rows]


def test_csv_and_json_exports_hold_the_same_projects(client, full_project):
    assert [row[0] for row in export_csv(client)[1:]] == [record["slug"] for record in export_json(client)]


# --- cost ------------------------------------------------------------------------------------


def make_busy_projects(count: int) -> None:
    asti, biella = municipality("Asti", "AT"), municipality("Biella", "BI")
    for _ in range(count):
        make_full_project(
            partners=[make_partner(), make_partner()],
            programmes=[make_programme(parent=make_programme(), funders=[make_funder()]), make_programme()],
            territories=[make_territory(municipalities=[asti, biella]), make_territory(municipalities=[asti])],
        )


@pytest.mark.parametrize("url", ["/projects/export.json", "/projects/export.csv"])
@pytest.mark.parametrize("params", [{}, {"province": "BI", "theme": "housing"}], ids=["all", "filtered"])
def test_export_costs_the_same_queries_however_many_projects_it_holds(
    client, django_assert_max_num_queries, url, params
):
    make_busy_projects(2)
    content(client.get(url, params))
    with django_assert_max_num_queries(15) as few:
        before = content(client.get(url, params))
    make_busy_projects(30)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        after = content(client.get(url, params))
    assert after.count("\n") >= before.count("\n") + 30
    assert len(many.captured_queries) == len(few.captured_queries)
