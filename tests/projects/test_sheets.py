import datetime as dt
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.etree.ElementTree import XMLParser as ElementTreeParser

import pytest
from django.utils import translation

from projects import checks
from projects.importing import Sheet, SheetError, SheetLimits, import_sheet, read_sheet, read_sheet_file, sheets
from projects.models import Project
from tests.commands import run_command
from tests.hostile_files import ods_cell, ods_content, ods_row, opendocument

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


# --- OpenDocument sheets (.ods) -----------------------------------------------------------------
# The files in tests/files/ods were saved by LibreOffice in an Italian locale (see make_files.py there).

FILES = Path(__file__).resolve().parent.parent / "files" / "ods"


def read_file(name: str, **options) -> Sheet:
    return read_sheet((FILES / name).read_bytes(), filename=name, **options)


def same_sheet(first: Sheet, second: Sheet) -> bool:
    return (first.headers, first.rows, first.numbers) == (second.headers, second.rows, second.numbers)


def test_the_import_template_saved_by_libreoffice_as_ods_reads_as_the_csv_and_the_xlsx():
    ods = read_file("template.ods")

    assert ods.encoding == "ods"
    assert same_sheet(ods, read_file("template.csv"))
    assert same_sheet(ods, read_file("template.xlsx"))
    assert "\n\nIl progetto risponde" in ods.rows[0][ods.headers.index("Sintesi")]


def test_an_ods_keeps_dates_as_dates_whole_numbers_as_text_lines_and_the_rows_own_numbers():
    ods = read_file("progetti.ods")

    assert same_sheet(ods, read_file("progetti.xlsx"))
    assert ods.numbers == [2, 5, 6]  # two blank rows between the first project and the second
    first = dict(zip(ods.headers, ods.rows[0], strict=False))
    assert first["Titolo"] == "Casa e comunità a Forlì"
    assert (first["Data inizio"], first["Data fine"]) == (dt.date(2024, 3, 1), dt.date(2026, 2, 28))
    assert first["Durata"] == "24"  # shown as 24 and stored as 24.0
    assert first["Attività"] == "Fase 1) mappatura degli alloggi\nFase 2) mediazione con i proprietari"
    assert ods.rows[2][ods.headers.index("Comuni")] == "Forlì; Cesena"


@pytest.mark.django_db
def test_the_same_projects_saved_as_csv_xlsx_and_ods_import_to_the_same_rows():
    reports = {
        name: import_sheet(read_file(name), dry_run=True) for name in ("progetti.csv", "progetti.xlsx", "progetti.ods")
    }

    read = {
        name: [(row.number, row.values, row.municipalities, row.errors) for row in report.rows]
        for name, report in reports.items()
    }
    assert read["progetti.ods"] == read["progetti.csv"] == read["progetti.xlsx"]
    assert [row.outcome for row in reports["progetti.ods"].rows] == ["new", "new", "new"]


def test_libreoffice_cells_of_every_type_read_as_the_xlsx_they_were_saved_from():
    ods = read_file("formati.ods")
    cells = dict(zip(ods.headers, ods.rows[0], strict=False))

    assert same_sheet(ods, read_file("formati.xlsx"))
    assert cells["Data fine"] == dt.date(2025, 12, 31)  # a date and time, to its day
    assert (cells["Quota"], cells["Importo"]) == ("0.25", "1234.5")  # the values, not "25%" and "1.234,50 €"
    assert (cells["Ora"], cells["Confermato"]) == ("09:30:00", "True")
    assert cells["Titolo"] == "Progetto «Così»"  # its comment is not its text
    assert cells["Sito"] == "https://www.comune.esempio.it/progetti"  # a link's text
    assert ods.rows[1][:1] + ods.rows[1][-2:] == ["Città  con   spazi", " Inizio con spazio", "a\tb"]
    assert ods.rows[2][:3] == ["Parte in grassetto e normale", "unito su due colonne", ""]
    assert ods.rows[2][-1] == "Riga 1\n\nRiga 3"
    assert "Titolo" not in ods.rows[-1]  # the second sheet is not read


def test_an_ods_saved_with_a_password_by_libreoffice_is_refused_saying_how_to_save_it():
    with pytest.raises(SheetError, match="saved with a password: save it again without one"):
        read_file("protetto.ods")


@pytest.mark.parametrize("filename", ["progetti.xlsx", "progetti.csv", ""])
def test_an_ods_is_known_by_its_mimetype_whatever_its_name(filename):
    sheet = read_sheet((FILES / "progetti.ods").read_bytes(), filename=filename)

    assert sheet.encoding == "ods"
    assert len(sheet) == 3


def test_an_ods_without_its_mimetype_part_is_known_by_its_name():
    data = ods_archive(ods_content(ods_row(ods_cell("Titolo")) + ods_row(ods_cell("Progetto"))), mimetype=False)

    assert read_sheet(data, filename="schede.ods").rows == [["Progetto"]]


def test_a_file_named_ods_that_is_not_an_archive_is_refused_as_an_unreadable_opendocument_sheet():
    with pytest.raises(SheetError, match=r"not a readable OpenDocument sheet \(the archive is damaged"):
        read_sheet(b"Titolo;Periodo\r\nProgetto;2024\r\n", filename="schede.ods")


def test_an_opendocument_text_is_refused_as_not_a_sheet():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        archive.writestr("content.xml", "<x/>")

    with pytest.raises(SheetError, match=r"an OpenDocument file but not a sheet \(application/vnd.oasis"):
        read_sheet(buffer.getvalue(), filename="relazione.odt")


# Hand-made content.xml, for what LibreOffice writes in rarer cases.


def ods_archive(content: bytes, *, mimetype: bool = True) -> bytes:
    if mimetype:
        return opendocument(content)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("content.xml", content)
    return buffer.getvalue()


def typed(kind: str, attributes: str, shown: str = "") -> str:
    return f'<table:table-cell office:value-type="{kind}" {attributes}><text:p>{shown}</text:p></table:table-cell>'


def read_rows(*rows: str) -> Sheet:
    return read_sheet(ods_archive(ods_content(ods_row(ods_cell("Titolo")) + "".join(rows))), filename="x.ods")


@pytest.mark.parametrize(
    ("cell", "value"),
    [
        (ods_cell("a<text:s/>b<text:s text:c='3'/>c"), "a b   c"),
        (ods_cell("<text:s/>spazio in testa"), " spazio in testa"),
        (ods_cell("colonna<text:tab/>colonna"), "colonna\tcolonna"),
        (ods_cell("riga<text:line-break/>riga"), "riga\nriga"),
        (ods_cell("<text:span text:style-name='T1'>in</text:span> grassetto"), "in grassetto"),
        (ods_cell("<text:a xlink:href='https://esempio.it'>esempio.it</text:a>"), "esempio.it"),
        (ods_cell("\n   testo   rientrato\n   su più righe del file\n"), "testo rientrato su più righe del file"),
        (ods_cell("testo<text:note><text:note-citation>1</text:note-citation></text:note>"), "testo"),
        (
            "<table:table-cell office:value-type='string'><office:annotation><text:p>nota</text:p>"
            "</office:annotation><text:p>uno</text:p><text:p>due</text:p></table:table-cell>",
            "uno\ndue",
        ),
        (typed("string", "office:string-value='dal valore'", "mostrato"), "dal valore"),
        (typed("float", "office:value='1500'", "1.500,00"), "1500"),
        (typed("float", "office:value='0.1'", "0,1"), "0.1"),
        (typed("percentage", "office:value='0.25'", "25%"), "0.25"),
        (typed("currency", "office:currency='EUR' office:value='1234.5'", "1.234,50 €"), "1234.5"),
        (typed("float", "office:value='non un numero'", "mostrato"), "mostrato"),
        (typed("date", "office:date-value='2024-03-01'", "01/03/2024"), dt.date(2024, 3, 1)),
        (typed("date", "office:date-value='2024-03-01T23:59:59.5'", "01/03/2024 23:59"), dt.date(2024, 3, 1)),
        (typed("date", "office:date-value='-0044-03-15'", "15/03/-44"), "15/03/-44"),
        (typed("time", "office:time-value='PT09H30M00S'", "09:30"), "09:30:00"),
        (typed("time", "office:time-value='PT36H00M00S'", "36:00:00"), "36:00:00"),
        (typed("boolean", "office:boolean-value='true'", "VERO"), "True"),
        (typed("boolean", "office:boolean-value='false'", "FALSO"), "False"),
        (typed("float", "office:value='0' calcext:value-type='error' table:formula='of:=1/0'", "#DIV/0!"), "#DIV/0!"),
    ],
)
def test_each_kind_of_ods_cell_is_read_as_its_value(cell, value):
    sheet = read_rows(ods_row(cell))

    assert sheet.rows == [[value]]


@pytest.mark.parametrize(
    "cell",
    [
        typed("string", f"office:string-value='{'x' * 131_073}'"),
        ods_cell("x" * 100_000 + "<text:span>" + "y" * 31_073 + "</text:span>"),
        ods_cell("x<text:s text:c='131072'/>"),
    ],
)
def test_an_ods_cell_is_no_longer_than_a_csv_cell_may_be(cell):
    with pytest.raises(SheetError, match="row 2 has a cell longer than 131,072 characters"):
        read_rows(ods_row(cell))


def test_blank_ods_rows_count_in_the_numbers_and_repeated_rows_are_given_each_number():
    sheet = read_rows(
        ods_row(ods_cell(repeat=3), repeat=4),  # rows 2 to 5
        ods_row(ods_cell("uguale"), repeat=3),  # rows 6 to 8
        ods_row(ods_cell("ultima")),
    )

    assert sheet.numbers == [6, 7, 8, 9]
    assert sheet.rows == [["uguale"], ["uguale"], ["uguale"], ["ultima"]]
    sheet.rows[0].append("x")
    assert sheet.rows[1] == ["uguale"]  # each repeated row is a list of its own


def test_repeated_ods_cells_are_written_out_up_to_the_last_value_and_never_padded():
    sheet = read_rows(
        ods_row(ods_cell("a", repeat=2), ods_cell(repeat=2), ods_cell("b"), ods_cell(repeat=16_000)),
        ods_row(ods_cell(repeat=3), ods_cell("c")),
    )

    assert sheet.rows == [["a", "a", "", "", "b"], ["", "", "", "c"]]


def test_a_repeated_ods_cell_reaching_past_the_column_limit_is_refused_with_the_columns_it_claims():
    with pytest.raises(SheetError, match=r"row 2 has a value beyond column 10, .* \(it has 12\)"):
        read_sheet(
            ods_archive(ods_content(ods_row(ods_cell("Titolo")) + ods_row(ods_cell("x", repeat=12)))),
            limits=SheetLimits(max_columns=10),
        )


def test_rows_in_ods_groups_and_header_rows_are_read_in_order():
    sheet = read_sheet(
        ods_archive(
            ods_content(
                f"<table:table-header-rows>{ods_row(ods_cell('Titolo'))}</table:table-header-rows>"
                f"<table:table-row-group>{ods_row(ods_cell('uno'))}"
                f"<table:table-row-group>{ods_row(ods_cell('due'))}</table:table-row-group></table:table-row-group>"
            )
        )
    )

    assert (sheet.headers, sheet.rows, sheet.numbers) == (["Titolo"], [["uno"], ["due"]], [2, 3])


def test_a_table_inside_a_cell_is_not_read_as_rows_of_the_sheet():
    inner = f"<table:table>{ods_row(ods_cell('dentro'))}</table:table>"
    cell = f"<table:table-cell office:value-type='string'><text:p>fuori</text:p>{inner}</table:table-cell>"

    assert read_rows(ods_row(cell)).rows == [["fuori"]]


def test_an_ods_content_without_a_table_is_a_workbook_without_a_sheet():
    content = ods_content("").replace(b'<table:table table:name="Progetti"></table:table>', b"")

    with pytest.raises(SheetError, match="the workbook has no sheet"):
        read_sheet(ods_archive(content))


def test_what_follows_the_first_table_is_never_parsed():
    content = ods_content(ods_row(ods_cell("Titolo")) + ods_row(ods_cell("Progetto")))

    sheet = read_sheet(ods_archive(content.replace(b"</office:spreadsheet>", b"<rotto")))

    assert sheet.rows == [["Progetto"]]


# --- messages in Italian ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "limits", "message"),
    [
        (b"", SheetLimits(), "il file è vuoto"),
        (
            b"Titolo\r\n" + b"x" * 2_000_000,
            SheetLimits(max_bytes=1024 * 1024),
            "il file è di 1,9 MB, oltre il limite di 1,0 MB",
        ),
        (
            b"Titolo\r\n" + b"x\r\n" * 1_500,
            SheetLimits(max_rows=1_000),
            "un valore nella riga 1.002, oltre la riga 1.001",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100,
            SheetLimits(),
            "salvala senza password come XLSX, ODS o CSV",
        ),
    ],
)
def test_the_messages_are_in_italian_with_the_numbers_written_as_in_italy(data, limits, message):
    with translation.override("it"), pytest.raises(SheetError) as refused:
        read_sheet(data, limits=limits)

    assert message in str(refused.value)


def test_an_ods_refusal_is_in_italian():
    with translation.override("it"), pytest.raises(SheetError) as refused:
        read_file("protetto.ods")

    assert "il foglio è salvato con una password" in str(refused.value)
    assert "«Salva con password»" in str(refused.value)


# --- the system check that the ODS reader's parser refuses entities ----------------------------


def test_the_system_check_passes_with_the_defused_parser():
    assert checks.ods_xml_is_defused(None) == []


def test_the_system_check_fails_if_the_reader_parsed_entities(monkeypatch):
    monkeypatch.setattr(sheets, "xml_parser", lambda target: ElementTreeParser(target=target))

    (error,) = checks.ods_xml_is_defused(None)

    assert error.id == "projects.E002"


# --- the import command, the admin, and LibreOffice itself --------------------------------------


@pytest.mark.django_db
def test_the_import_command_reads_an_ods():
    code, out, err = run_command("import_projects", str(FILES / "progetti.ods"), "--dry-run")

    assert (code, err) == (0, "")
    assert "3 new, 0 changed, 0 unchanged, 0 rows with errors (3 rows read)." in out


# The fields of the preview's confirmation form.
CONFIRM_FIELDS = re.compile(r'name="(import_file_name|original_file_name|format|resource)" value="([^"]*)"')


@pytest.mark.django_db
def test_the_admin_previews_and_imports_an_ods(client, editor):
    client.force_login(editor)
    upload = io.BytesIO((FILES / "progetti.ods").read_bytes())
    upload.name = "progetti.ods"

    # Format 1 (XLSX) reads any archive by what it holds; an admin with one format ignores the field.
    preview = client.post("/admin/projects/project/import/", {"format": "1", "import_file": upload})
    fields = dict(CONFIRM_FIELDS.findall(preview.content.decode()))
    confirmed = client.post("/admin/projects/project/process_import/", fields)

    assert preview.status_code == 200
    assert confirmed.status_code == 302
    assert Project.objects.filter(title="Casa e comunità a Forlì", start=dt.date(2024, 3, 1)).exists()


@pytest.mark.django_db
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_the_template_the_admin_gives_saved_as_ods_by_libreoffice_reads_as_the_template(client, editor, tmp_path):
    client.force_login(editor)
    template = tmp_path / "modello.csv"
    template.write_bytes(client.get("/admin/projects/project/import-template.csv").content)
    profile = tmp_path / "profilo"

    convert = ["--convert-to", "ods", "--infilter=CSV:59,34,76,1", "--outdir", str(tmp_path), str(template)]
    soffice = ["soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless"]

    subprocess.run(soffice + convert, check=True, capture_output=True, timeout=180)

    assert same_sheet(read_sheet_file(tmp_path / "modello.ods"), read_sheet_file(template))
