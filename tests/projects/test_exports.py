"""/projects/export.json and /projects/export.csv (projects/exports.py)."""

import csv
import gc
import io
import json

import pytest
from django.core.management import call_command
from django.db import DataError, OperationalError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects import exports, views
from projects.models import Project
from registry.sql import AmongIds
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
from tests.pages import content, export_csv, export_json, listed_titles
from tests.projects.conftest import INFERRED_FUNDERS, NOTE

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="pipeline mode is PostgreSQL's")

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
    "kind",
    "application_year",
    "general_objective",
    "specific_objectives",
    "activities",
    "beneficiaries",
    "people_reached",
    "target_groups_indirect",
    "programme_funders",
    "territory_details",
    "related",
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


# --- JSON ------------------------------------------------------------------------------------


def test_json_export_is_a_list_of_records_with_the_documented_keys(client, full_project):
    records = export_json(client)
    assert records and all(list(record) == DOCUMENTED_FIELDS for record in records)


def test_json_export_is_served_as_json(client):
    response = client.get("/projects/export.json")
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_json_record_of_a_project(client, full_project):
    record = only(export_json(client), full_project)
    lead, first, second, supporter, member = (link.partner for link in full_project.participations_in_order())
    fund = full_project.programmes.get().parent
    first_territory, second_territory = full_project.territories.order_by("name")
    assert record == {
        "slug": full_project.slug,
        "title": full_project.title,
        "acronym": "FXE",
        "code": "PROG-0001",
        "cup": "E12F34000560009",
        "summary": "Sintesi.",
        "lead_partner": lead.name,
        "partners": [
            {"name": lead.name, "role": "lead", "unit": "", "inferred_because": ""},
            {
                "name": first.name,
                "role": "partner",
                "unit": "Assessorato alla Casa e Inclusione Sociale",
                "inferred_because": "",
            },
            {"name": second.name, "role": "partner", "unit": "", "inferred_because": ""},
            {"name": supporter.name, "role": "supporting", "unit": "", "inferred_because": ""},
            {
                "name": member.name,
                "role": "member",
                "unit": "",
                "inferred_because": "Il post la nomina con un hashtag.",
            },
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
        "kind": "network",
        "application_year": 2019,
        "general_objective": "Favorire l'inclusione abitativa.",
        "specific_objectives": ["Primo obiettivo;", "Secondo: casa; lavoro"],
        "activities": ["Fase 1) accoglienza", "Fase 2) inserimento lavorativo"],
        "beneficiaries": "Famiglie con minori; giovani del quartiere",
        "people_reached": "120-140 utenti per anno",
        "target_groups_indirect": ["local_community"],
        # The funder named for the project is not repeated; the other is the fund's, named without a source.
        "programme_funders": [
            {
                "name": fund.funders.exclude(projects=full_project).get().name,
                "programme": fund.name,
                "because": INFERRED_FUNDERS,
            }
        ],
        "territory_details": [
            {"name": first_territory.name, "basis": "inferred", "municipality_count": 2, "note": NOTE},
            {"name": second_territory.name, "basis": "stated", "municipality_count": 1, "note": ""},
        ],
        # Published ones only, by slug.
        "related": sorted(p.slug for p in full_project.related.filter(is_published=True)),
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
    lead, first, second, supporter, member = (link.partner for link in full_project.participations_in_order())
    assert csv_record(client, full_project)["partners"] == (
        f"{lead.name} [lead]; {first.name} – Assessorato alla Casa e Inclusione Sociale [partner]; "
        f"{second.name} [partner]; {supporter.name} [supporting]; {member.name} [member]"
    )


def test_csv_writes_the_new_columns(client, full_project):
    record = csv_record(client, full_project)
    fund = full_project.programmes.get().parent
    commission = fund.funders.exclude(projects=full_project).get()
    first_territory, second_territory = full_project.territories.order_by("name")
    assert {name: record[name] for name in DOCUMENTED_FIELDS[DOCUMENTED_FIELDS.index("kind") :]} == {
        "kind": "network",
        "application_year": "2019",
        "general_objective": "Favorire l'inclusione abitativa.",
        # One item per line, as stored: an item may hold "; " itself.
        "specific_objectives": "Primo obiettivo;\nSecondo: casa; lavoro",
        "activities": "Fase 1) accoglienza\nFase 2) inserimento lavorativo",
        "beneficiaries": "Famiglie con minori; giovani del quartiere",
        "people_reached": "120-140 utenti per anno",
        "target_groups_indirect": "local_community",
        "programme_funders": f"{commission.name} ({fund.name}: {' '.join(INFERRED_FUNDERS.split())})",
        "territory_details": (
            f"{first_territory.name} (inferred, 2 comuni: {' '.join(NOTE.split())})\n"
            f"{second_territory.name} (stated, 1 comune)"
        ),
        "related": "; ".join(sorted(p.slug for p in full_project.related.filter(is_published=True))),
    }
    assert record["target_groups"] == "asylum_seekers; refugees"


def test_target_groups_are_the_direct_ones_and_target_groups_indirect_the_others(client):
    project = make_project(
        target_groups=["refugees", "neet"], target_groups_indirect=["local_community", "practitioners"]
    )
    record = only(export_json(client), project)
    assert (record["target_groups"], record["target_groups_indirect"]) == (
        ["refugees", "neet"],
        ["practitioners", "local_community"],
    )


def test_a_project_with_none_of_the_new_data_has_empty_values(client):
    project = make_project()
    record = only(export_json(client), project)
    assert {name: record[name] for name in DOCUMENTED_FIELDS[DOCUMENTED_FIELDS.index("kind") :]} == {
        "kind": "project",
        "application_year": None,
        "general_objective": "",
        "specific_objectives": [],
        "activities": [],
        "beneficiaries": "",
        "people_reached": "",
        "target_groups_indirect": [],
        "programme_funders": [],
        "territory_details": [],
        "related": [],
    }


def test_funders_inferred_are_those_of_the_programmes_and_the_programmes_above_them_not_named_for_the_project(client):
    named, stated, inferred, grand = (make_funder(name=f"{MARKER} {label} {word()}") for label in "ABCD")
    top = make_programme(funders=[grand, inferred], funders_inferred_because="Lettura del registro.")
    middle = make_programme(funders=[stated, named], parent=top)
    project = make_project(funders=[named], programmes=[make_programme(parent=middle)])
    assert only(export_json(client), project)["programme_funders"] == [
        # Nearest programme first; a source names the middle programme's funders, so no reason.
        {"name": stated.name, "programme": middle.name, "because": ""},
        {"name": inferred.name, "programme": top.name, "because": "Lettura del registro."},
        {"name": grand.name, "programme": top.name, "because": "Lettura del registro."},
    ]


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


# --- the fast path: records from plain rows, chunk by chunk -----------------------------------


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "not-prepared"])
@pytest.mark.parametrize("chunk_size", [1, 3, 1000])
def test_fast_path_records_equal_project_record_for_every_project(varied_projects, settings, chunk_size, prepared):
    settings.PREPARED_STATEMENTS = prepared
    projects = Project.objects.order_by("pk")  # drafts too: the path reads whatever it is given
    expected = [exports.project_record(project) for project in projects.with_export_data()]
    assert list(exports.export_records(projects, chunk_size=chunk_size)) == expected
    assert len(expected) > len(varied_projects)  # the seed's projects are compared as well


def test_fast_path_gives_the_same_records_with_ids_as_a_plain_in_list(varied_projects, monkeypatch):
    # What a database other than PostgreSQL and SQLite would get.
    for vendor in ("postgresql", "sqlite"):
        monkeypatch.delattr(AmongIds, f"as_{vendor}")
    projects = Project.objects.order_by("pk")
    expected = [exports.project_record(project) for project in projects.with_export_data()]
    assert list(exports.export_records(projects, chunk_size=3)) == expected


def test_fast_path_reads_names_and_codes_again_once_it_holds_too_many(varied_projects, monkeypatch):
    projects = Project.objects.order_by("pk")
    expected = [exports.project_record(project) for project in projects.with_export_data()]

    def reads() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert list(exports.export_records(projects, chunk_size=2)) == expected
        tables = ('FROM "partners_partner"', 'FROM "projects_territory_municipalities"')
        return sum(any(table in query["sql"] for table in tables) for query in queries.captured_queries)

    kept = reads()
    monkeypatch.setattr(exports, "KEPT_ACROSS_CHUNKS", 0)
    assert reads() > kept


def test_fast_path_keeps_the_filtered_order_across_chunks(client, monkeypatch):
    monkeypatch.setattr(views, "EXPORT_CHUNK_SIZE", 2)
    tag = word()
    for year in (2021, 2019, 2024, 2020, 2023):
        make_project(title=f"{MARKER} {tag} {year}", period=str(year))
    params = {"q": tag, "sort": "-start"}
    titles = [record["title"] for record in export_json(client, params)]
    assert titles == [f"{MARKER} {tag} {year}" for year in (2024, 2023, 2021, 2020, 2019)]
    assert titles == listed_titles(client, params)


def test_fast_path_applies_the_filters_and_leaves_out_drafts_in_every_chunk(client, monkeypatch):
    monkeypatch.setattr(views, "EXPORT_CHUNK_SIZE", 2)
    tag, biella = word(), municipality("Biella", "BI")
    inside = [
        make_project(title=f"{MARKER} {tag}", territories=[make_territory(municipalities=[biella])]) for _ in range(5)
    ]
    make_project(title=f"{MARKER} {tag}", territories=[make_territory(municipalities=[municipality("Asti", "AT")])])
    make_project(title=f"{MARKER} {tag}", published=False, territories=[make_territory(municipalities=[biella])])
    expected = {project.slug for project in inside}
    params = {"q": tag, "province": "BI"}
    assert {record["slug"] for record in export_json(client, params)} == expected
    assert {row[0] for row in export_csv(client, params)[1:]} == expected


def export_queries(client, url: str, tag: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        content(client.get(url, {"q": tag}))
    return len(queries.captured_queries)


@pytest.mark.parametrize("url", ["/projects/export.json", "/projects/export.csv"])
def test_export_queries_are_the_same_for_each_chunk_whatever_it_holds(client, monkeypatch, url):
    monkeypatch.setattr(views, "EXPORT_CHUNK_SIZE", 10)
    tag = word()

    def add(count: int) -> None:
        # Each with organisations and territories of its own, so that no chunk finds them already read.
        for _ in range(count):
            make_full_project(title=f"{MARKER} {tag} {word()}", territories=[make_territory(), make_territory()])

    add(3)
    one_chunk_of_3 = export_queries(client, url, tag)
    add(7)
    one_chunk_of_10 = export_queries(client, url, tag)
    add(10)
    two_chunks = export_queries(client, url, tag)
    add(10)
    three_chunks = export_queries(client, url, tag)
    per_chunk = two_chunks - one_chunk_of_10
    assert one_chunk_of_3 == one_chunk_of_10
    assert three_chunks == two_chunks + per_chunk
    # Projects, their roles, their funders, programmes and related projects (one query), territories, their
    # themes and target groups (one query), and the organisations' names and the territories' municipalities
    # (these two only for organisations and territories not seen yet). The programmes' funders are read once.
    assert per_chunk == 7


# --- the next chunk read while this one's records are made (projects.sql.read_ahead) -------------


def in_pipeline_mode() -> bool:
    return connection.vendor == "postgresql" and connection.connection.pgconn.pipeline_status != 0


def sent_with(ids: list[int], queries: list[dict]) -> int:
    """How many of these logged queries read projects' rows by exactly these ids (a chunk's queries)."""
    among = " = ANY('{" + ",".join(map(str, ids)) + "}'"
    columns = ('"projects_project"."id"', 'project_id"')  # not an organisation's or a territory's id
    return sum(any(column + among in query["sql"] for column in columns) for query in queries)


@postgresql_only
def test_the_next_chunks_queries_are_sent_before_this_chunks_records_are_handed_over(varied_projects):
    projects = Project.objects.order_by("pk")
    ids = list(projects.values_list("pk", flat=True))
    expected = [exports.project_record(project) for project in projects.with_export_data()]
    with CaptureQueriesContext(connection) as queries:
        records = exports.export_records(projects, chunk_size=2)
        first = next(records)
        sent_before_the_first_record = sent_with(ids[2:4], queries.captured_queries)
        pipelined_while_handed_over = in_pipeline_mode()
        rest = list(records)
    assert [first, *rest] == expected
    assert sent_before_the_first_record == len(exports.CHUNK_QUERIES)
    assert sent_with(ids[4:6], queries.captured_queries) == len(exports.CHUNK_QUERIES)  # each chunk's once
    assert pipelined_while_handed_over
    assert not in_pipeline_mode()


def test_an_export_stopped_half_way_leaves_the_connection_as_it_was(varied_projects):
    projects = Project.objects.order_by("pk")
    ids = list(projects.values_list("pk", flat=True))
    records = exports.export_records(projects, chunk_size=2)
    next(records)
    records.close()  # as a streamed response does when the client goes away
    assert not in_pipeline_mode()
    # A server-side cursor cannot be opened in pipeline mode.
    assert list(projects.values_list("pk", flat=True).iterator(chunk_size=2)) == ids


def test_queries_made_while_a_record_is_handed_over_are_answered(varied_projects):
    projects = Project.objects.order_by("pk")
    made = 0
    for record in exports.export_records(projects, chunk_size=2):
        assert Project.objects.get(slug=record["slug"]).title == record["title"]
        made += 1
    assert made == projects.count() > 4


def failing_for(ids: list[int], monkeypatch) -> None:
    """The territories' query of the chunk of these ids fails in the database (a division by zero)."""
    statement = exports.TERRITORY_ROWS.statement

    def fails_for_that_chunk(chunk, using="default"):
        if list(chunk) == ids:
            return "SELECT 1 / (SELECT count(*) - count(*) FROM projects_project)", []
        return statement(chunk, using)

    monkeypatch.setattr(exports.TERRITORY_ROWS, "statement", fails_for_that_chunk)


@postgresql_only
def test_an_error_in_a_chunk_read_ahead_is_raised_and_leaves_the_connection_usable(varied_projects, monkeypatch):
    projects = Project.objects.order_by("pk")
    ids = list(projects.values_list("pk", flat=True))
    failing_for(ids[4:6], monkeypatch)
    handed_over = []
    with pytest.raises(DataError, match="division by zero"), transaction.atomic():
        handed_over.extend(exports.export_records(projects, chunk_size=2))
    assert len(handed_over) == 4  # the first two chunks' records: the third's rows never came
    assert not in_pipeline_mode()
    assert list(projects.values_list("pk", flat=True).iterator(chunk_size=2)) == ids


@postgresql_only
def test_an_export_that_fails_closes_its_cursor_over_the_ids_in_its_own_transaction(varied_projects, monkeypatch):
    projects = Project.objects.order_by("pk")
    ids = list(projects.values_list("pk", flat=True))
    failing_for(ids[4:6], monkeypatch)
    with pytest.raises(DataError), transaction.atomic():
        list(exports.export_records(projects, chunk_size=2))
    # Closed later by the garbage collector, after its transaction was rolled back, the cursor would fail to
    # close and abort the transaction of whatever runs then.
    gc.collect()
    assert Project.objects.count() == len(ids)


# Outside a transaction, as the site runs: each chunk's pipeline is a transaction of its own.


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_records_read_ahead_are_project_records(seeded):
    assert connection.get_autocommit()
    projects = Project.objects.order_by("pk")
    expected = [exports.project_record(project) for project in projects.with_export_data()]
    assert list(exports.export_records(projects, chunk_size=3)) == expected
    assert len(expected) > 6
    assert not in_pipeline_mode()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_an_export_that_fails_leaves_the_connection_usable(seeded, monkeypatch):
    projects = Project.objects.order_by("pk")
    ids = list(projects.values_list("pk", flat=True))
    failing_for(ids[3:6], monkeypatch)
    with pytest.raises(DataError, match="division by zero"):
        list(exports.export_records(projects, chunk_size=3))
    assert not in_pipeline_mode()
    assert connection.get_autocommit()
    monkeypatch.undo()
    assert [record["slug"] for record in exports.export_records(projects, chunk_size=3)] == list(
        projects.values_list("slug", flat=True)
    )


def test_csv_line_writes_what_the_csv_module_writes():
    cells = ["", "plain", 'say "hi"', "a,b", "a;b", "two\nlines", "cr\rhere", " spaced ", "'=1", "Città"]
    for dialect in (csv.excel, exports.ItalianExcel):
        buffer = io.StringIO()
        csv.writer(buffer, dialect=dialect).writerow(cells)
        assert exports.csv_line(cells, dialect.delimiter) == buffer.getvalue()


def test_csv_row_is_csv_cell_of_each_column(varied_projects):
    for record in exports.export_records(Project.objects.all(), chunk_size=100):
        assert exports.csv_row(record) == [exports.csv_cell(name, record[name]) for name in exports.EXPORT_COLUMNS]


def test_json_export_writes_each_record_as_the_standard_library_would_read_it_back(varied_projects):
    make_project(title=f"{MARKER} Città dell’accoglienza – «È» {word()}")
    records = list(exports.export_records(Project.objects.all(), chunk_size=100))
    written = b"".join(exports.json_chunks(records)).decode("utf-8")
    lines = written.split("\n")
    # One record a line between the brackets, every value as json.dumps would give it (a status is a str enum).
    assert lines[0] == "[" and lines[-2:] == ["]", ""] and len(lines) == len(records) + 3
    assert [json.loads(line.removesuffix(",")) for line in lines[1:-2]] == json.loads(json.dumps(records))
    # Texts in UTF-8 as they are, not escaped; and an empty export is still an array.
    assert all(json.dumps(record["title"], ensure_ascii=False) in written for record in records)
    assert json.loads(b"".join(exports.json_chunks([]))) == []


# --- the CSV for Excel ------------------------------------------------------------------------


def excel_export(client, params: dict) -> bytes:
    response = client.get("/projects/export.csv", {"format": "excel", **params})
    assert response.status_code == 200, content(response)
    assert response["Content-Disposition"] == 'attachment; filename="progetti-excel.csv"'
    return b"".join(response.streaming_content)


def test_excel_csv_starts_with_a_bom_and_separates_cells_with_semicolons_and_rows_with_crlf(client):
    tag = word()
    project = make_project(title=f"{MARKER} Città e perché {tag}", summary="Uno; due, tre\nquattro", countries=["IT"])
    data = excel_export(client, {"q": tag})
    assert data.startswith("\ufeff".encode())
    assert data.count(b"\r\n") == 2  # after the header and the row; the summary's line break stays as it is
    assert f"{MARKER} Città e perché {tag}".encode() in data
    header, row = data.decode("utf-8-sig").split("\r\n", 1)
    assert header == ";".join(DOCUMENTED_FIELDS)
    assert ';"Uno; due, tre\nquattro";' in row
    cells = next(csv.reader(io.StringIO(row), delimiter=";"))
    assert dict(zip(DOCUMENTED_FIELDS, cells, strict=True)) == csv_record(client, project)


def test_excel_csv_imports_back_with_no_change(client, tmp_path):
    path = tmp_path / "progetti-excel.csv"
    path.write_bytes(excel_export(client, {}))
    out = io.StringIO()
    call_command("import_projects", str(path), "--dry-run", stdout=out, stderr=io.StringIO())
    assert f"0 new, 0 changed, {Project.objects.published().count()} unchanged" in out.getvalue()


def test_excel_csv_answers_400_on_a_bad_filter_as_the_csv_does(client):
    response = client.get("/projects/export.csv", {"format": "excel", "theme": "gardening"})
    assert response.status_code == 400 and "theme:" in response.content.decode()


def test_an_unknown_csv_format_is_answered_400_with_what_to_write(client):
    response = client.get("/projects/export.csv", {"format": "xlsx", "theme": "gardening"})
    text = response.content.decode()
    assert response.status_code == 400
    assert "format: Write format=excel" in text and "theme:" in text


def test_the_list_links_to_the_excel_csv_with_the_same_filters(client):
    html = content(client.get("/projects/", {"theme": "housing", "page": "1"}))
    assert 'href="/projects/export.csv?format=excel&amp;theme=housing"' in html


def test_the_excel_csv_link_is_labelled_in_italian(db):
    assert ">CSV per Excel</a>" in content(Client().get("/projects/"))


@pytest.mark.parametrize("url", ["/projects/export.json", "/projects/export.csv"])
def test_a_database_error_half_way_through_an_export_breaks_the_stream(client, monkeypatch, url):
    """What the server needs to cut the response (benchmarks/export_fault.py shows the client seeing it):
    the error leaves the stream after the first chunk's records, and no closing piece follows."""
    monkeypatch.setattr(views, "EXPORT_CHUNK_SIZE", 2)
    monkeypatch.setattr(exports, "PIECE_SIZE", 1)  # every record handed over as it is made
    tag = word()
    for _ in range(5):
        make_project(title=f"{MARKER} {tag}")
    made = exports._Chunk
    chunks = iter(range(100))

    def fails_at_the_second_chunk(*args, **kwargs):
        if next(chunks) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return made(*args, **kwargs)

    monkeypatch.setattr(exports, "_Chunk", fails_at_the_second_chunk)
    response = client.get(url, {"q": tag})
    received = []

    with pytest.raises(OperationalError):
        for piece in response.streaming_content:
            received.append(piece)

    assert response.status_code == 200  # sent before the error: only the cut can tell the client
    assert len(received) >= 2  # the first chunk's records went out
    assert not b"".join(received).rstrip().endswith(b"]")
