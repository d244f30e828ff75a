import datetime as dt
import io

import pytest

from projects.importing import SheetError, SheetLimits, read_sheet

ROWS = [
    ["Titolo", "Attività", "Periodo"],
    ["Progetto «Così»", "Fase 1) uno\nFase 2) due", "Maggio 2024 - Dicembre 2025"],
]


def italian_csv(rows, *, encoding="utf-8", bom=False, delimiter=";", newline="\r\n") -> bytes:
    lines = []
    for row in rows:
        cells = [
            '"' + cell.replace('"', '""') + '"' if any(c in cell for c in f'{delimiter}"\n') else cell for cell in row
        ]
        lines.append(delimiter.join(cells))
    data = newline.join(lines).encode(encoding)
    return (b"\xef\xbb\xbf" if bom else b"") + data


@pytest.mark.parametrize(
    "options",
    [
        {"encoding": "utf-8", "bom": True},
        {"encoding": "utf-8", "bom": False},
        {"encoding": "cp1252"},
        {"encoding": "utf-8", "delimiter": ","},
        {"encoding": "utf-8", "newline": "\n"},
        {"encoding": "cp1252", "delimiter": "\t"},
    ],
)
def test_csv_as_spreadsheets_write_it_is_read_with_its_quoted_new_lines(options):
    sheet = read_sheet(italian_csv(ROWS, **options))

    assert sheet.headers == ROWS[0]
    assert sheet.rows == [ROWS[1]]


def test_windows_1252_is_detected_when_the_bytes_are_not_utf8():
    sheet = read_sheet(italian_csv(ROWS, encoding="cp1252"))

    assert sheet.encoding == "cp1252"
    assert sheet.rows[0][0] == "Progetto «Così»"


def test_semicolons_inside_quoted_cells_do_not_decide_the_delimiter():
    data = italian_csv([["Titolo", "Partner"], ["A", "Uno; Due"]], delimiter=",")

    sheet = read_sheet(data)

    assert sheet.delimiter == ","
    assert sheet.rows == [["A", "Uno; Due"]]


def test_blank_lines_are_skipped():
    sheet = read_sheet(b"Titolo;Periodo\r\n\r\nA;2024\r\n;\r\n")

    assert sheet.rows == [["A", "2024"]]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"\r\n \r\n", "empty"),
        (bytes(range(256)) * 4, "binary"),
        (b"Titolo\r\n\x81\x8d\x8f", "neither UTF-8 nor Windows-1252"),
        (b"\xef\xbb\xbfTitolo\r\n\xff", "UTF-8"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(data, message):
    with pytest.raises(SheetError, match=message):
        read_sheet(data)


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(SheetError, match="over the limit"):
        read_sheet(b"Titolo\r\n" + b"x" * 2000, limits=SheetLimits(max_bytes=1000))


def test_a_binary_file_with_an_xlsx_name_that_is_not_a_workbook_is_refused():
    with pytest.raises(SheetError, match="not a readable XLSX"):
        read_sheet(b"PK\x03\x04 not really a zip", filename="schede.xlsx")


def test_xlsx_cells_keep_dates_as_dates_and_whole_numbers_as_text():
    openpyxl = pytest.importorskip("openpyxl")
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Titolo", "Data inizio", "Durata"])
    sheet.append(["Progetto", dt.datetime(2024, 3, 1), 26])
    buffer = io.BytesIO()
    workbook.save(buffer)

    read = read_sheet(buffer.getvalue(), filename="schede.xlsx")

    assert read.headers == ["Titolo", "Data inizio", "Durata"]
    assert read.rows == [["Progetto", dt.date(2024, 3, 1), "26"]]
