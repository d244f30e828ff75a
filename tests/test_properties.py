"""Property-based tests (hypothesis): whatever the input, a clear refusal or a right answer; never a crash,
never a 500, never part of a file written.

- the period parser: any text gives a Period whose start is not after its end, or a PeriodError;
- the sheet reader: any bytes give a Sheet within its limits or a SheetError; cells written as
  Excel writes a CSV are read back as they were;
- an import: any sheet of plausible cells is written whole or not at all;
- the list's query string: any parameters, known or not, with any values, answer 200 or 400 (404 for a
  page that does not exist).
"""

import csv
import io
import zipfile

import pytest
from django.db.models import Count
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from projects.filters import ProjectFilter
from projects.importing import SheetError, SheetLimits, import_sheet, read_sheet
from projects.models import Project
from projects.periods import MONTHS, PeriodError, parse_period

# Examples run inside one test's transaction: the fixture is not reset between them, on purpose
# (each example checks what it changed).
DATABASE_EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
LIMITS = SheetLimits(max_rows=50, max_columns=20, max_bytes=64 * 1024)

# Pieces periods are written with, so that the generated texts are often periods and often almost.
month_names = st.sampled_from([*MONTHS, "Maggio", "DICEMBRE", "sett.", "gen"])
years = st.integers(min_value=1890, max_value=2110).map(str)
period_pieces = st.one_of(
    years,
    month_names,
    st.integers(min_value=0, max_value=40).map(str),
    st.sampled_from([" ", "-", " – ", "/", " al ", "dal ", "fino a ", "mesi", "(", ")", "a.s.", "2024/25"]),
    st.text(max_size=3),
)
period_texts = st.one_of(st.text(max_size=40), st.lists(period_pieces, max_size=8).map("".join))


@given(period_texts)
@settings(max_examples=500)
def test_any_text_is_a_period_in_order_or_a_period_error(text):
    try:
        period = parse_period(text)
    except PeriodError as error:
        assert str(error)
        return
    assert period.start or period.end or period.duration_months
    if period.start and period.end:
        assert period.start.date <= period.end.date
    if period.duration_months is not None:
        assert period.duration_months > 0
    assert period.label()


@given(st.binary(max_size=4096), st.sampled_from(["schede.csv", "schede.xlsx", ""]))
@settings(max_examples=300)
def test_any_bytes_are_a_sheet_within_the_limits_or_a_sheet_error(data, filename):
    try:
        sheet = read_sheet(data, filename=filename, limits=LIMITS)
    except SheetError as error:
        assert str(error)
        return
    assert sheet.rows and len(sheet.rows) <= LIMITS.max_rows
    assert all(len(row) <= LIMITS.max_columns for row in [sheet.headers, *sheet.rows])
    assert all(number <= LIMITS.max_rows + 1 for number in sheet.row_numbers())


def zip_of(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


xml_like = st.one_of(
    st.binary(max_size=300),
    st.lists(
        st.sampled_from([b"<", b">", b"/", b"row", b"c", b"sheetData", b' r="A1"', b"<!ENTITY", b"&x;", b"<v>1</v>"])
    ).map(b"".join),
)


@given(
    st.dictionaries(
        st.sampled_from(
            ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/sheet1.xml", "mimetype"]
        ),
        xml_like,
        max_size=5,
    )
)
@settings(max_examples=150)
def test_any_archive_of_broken_parts_is_a_sheet_error(parts):
    try:
        read_sheet(zip_of(parts), filename="schede.xlsx", limits=LIMITS)
    except SheetError as error:
        assert str(error)


# Cells as editors type them: any printable text, with the characters CSV quotes.
cell_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(['"', ";", ",", "\n", "\t"]), max_size=30
)


@given(
    st.lists(st.lists(cell_text, min_size=3, max_size=3), min_size=1, max_size=6),
    st.sampled_from([("utf-8-sig", ";"), ("utf-8", ","), ("utf-16", "\t")]),
)
@settings(max_examples=200)
def test_cells_written_as_excel_writes_them_are_read_back(rows, dialect):
    encoding, delimiter = dialect
    headers = ["Titolo", "Periodo", "Sintesi"]
    rows = [[cell.replace("\r", "") for cell in row] for row in rows]
    assume(any(any(cell.strip() for cell in row) for row in rows))
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows([headers, *rows])

    sheet = read_sheet(buffer.getvalue().encode(encoding))

    kept = [row for row in rows if any(cell.strip() for cell in row)]
    assert sheet.headers == headers
    assert sheet.rows == kept


# --- with the database --------------------------------------------------------------------------

plausible_cells = {
    "Titolo": st.one_of(st.text(max_size=20), st.sampled_from(["Progetto proprietà", "Progetto", ""])),
    "Periodo": st.one_of(period_texts, st.sampled_from(["2024 - 2026", "maggio 2024", "13/2024", ""])),
    "Comuni": st.one_of(st.text(max_size=10), st.sampled_from(["Asti", "Moncalieri; Torino", "Mareto", ""])),
    "Capofila": st.one_of(st.text(max_size=12), st.sampled_from(["Ass. PIAM onlus", "Nuova cooperativa"])),
    "Temi": st.one_of(st.text(max_size=10), st.sampled_from(["Abitare", "lavoro e formazione", "nessuno"])),
}


def registry_counts() -> tuple:
    return (
        Project.objects.count(),
        Project.objects.aggregate(links=Count("participations"))["links"],
        Project.objects.aggregate(places=Count("territories"))["places"],
    )


@pytest.mark.django_db
@DATABASE_EXAMPLES
@given(st.lists(st.fixed_dictionaries(plausible_cells), min_size=1, max_size=4), st.integers(0, 10**6))
def test_an_import_is_written_whole_or_not_at_all(rows, salt):
    headers = list(plausible_cells)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        # A salt in each title, so that one example's projects are new to the next.
        writer.writerow([f"{row[h]} {salt}" if h == "Titolo" and row[h].strip() else row[h] for h in headers])
    try:
        sheet = read_sheet(buffer.getvalue().encode("utf-8"))
    except SheetError:
        return
    before = registry_counts()

    report = import_sheet(sheet, dry_run=False)

    if report.has_errors:
        assert registry_counts() == before
    else:
        titles = {row.values.get("title") for row in report.rows}
        assert Project.objects.filter(title__in=titles).count() == len(titles)


LIST_PARAMETERS = [*ProjectFilter.base_filters, "sort", "page", "per_page", "view", "unknown"]
values = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", "0", "-1", "99999999999999999999", "2024", "abitare", "BI", "asti", "x" * 300, "1e309"]),
)


@pytest.mark.django_db
@DATABASE_EXAMPLES
@given(st.lists(st.tuples(st.sampled_from(LIST_PARAMETERS), values), max_size=5))
def test_any_query_string_of_the_list_answers_200_or_400(client, parameters):
    response = client.get("/projects/", parameters)

    # A page number past the last page (or before the first) is a page that does not exist: 404.
    allowed = {200, 400, 404} if any(name == "page" for name, _ in parameters) else {200, 400}
    assert response.status_code in allowed, (parameters, response.status_code)
