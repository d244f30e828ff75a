"""Hostile and broken project sheets, made on demand (no binaries in the repository).

Each is small on disk and claims, hides or breaks something that once took the importer down or
would: an archive that unzips to hundreds of megabytes, a cell in the last row or column of the
grid, XML with entities, a million columns, encodings no spreadsheet writes, an image named .csv.
The tests upload every one (tests/projects/test_hostile_files.py); `benchmarks/hostile_files.py`
runs each through `import_projects` in its own process and prints its time and peak memory.

    python -m tests.hostile_files FOLDER     # write them all into FOLDER
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

SHEET_PATH = "xl/worksheets/sheet1.xml"
OOXML = "http://schemas.openxmlformats.org"
SPREADSHEET_NS = f"{OOXML}/spreadsheetml/2006/main"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
RELATIONSHIP = f"{OOXML}/officeDocument/2006/relationships"

# The parts of a workbook with one sheet, as Excel writes them, the sheet left to each file.
CONTENT_TYPES = (
    f'{XML_DECLARATION}<Types xmlns="{OOXML}/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{MAIN_TYPE}.sheet.main+xml"/>'
    f'<Override PartName="/{SHEET_PATH}" ContentType="{MAIN_TYPE}.worksheet+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'{XML_DECLARATION}<Relationships xmlns="{OOXML}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIP}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    f'{XML_DECLARATION}<workbook xmlns="{SPREADSHEET_NS}" xmlns:r="{RELATIONSHIP}">'
    '<sheets><sheet name="Progetti" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'{XML_DECLARATION}<Relationships xmlns="{OOXML}/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{RELATIONSHIP}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)


def cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>'


def sheet_xml(rows: str, *, dimension: str = "", prolog: str = "") -> bytes:
    dimension_element = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f"{XML_DECLARATION}{prolog}"
        f'<worksheet xmlns="{SPREADSHEET_NS}">{dimension_element}<sheetData>{rows}</sheetData></worksheet>'
    ).encode()


HEADER_AND_ONE_ROW = f'<row r="1">{cell("A1", "Titolo")}</row><row r="2">{cell("A2", "Progetto di prova")}</row>'


def workbook(*sheet_parts: bytes) -> bytes:
    """An XLSX archive around the given sheet XML (given in parts, so that a large one is never whole in memory)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with archive.open(SHEET_PATH, "w") as sheet:
            for part in sheet_parts:
                sheet.write(part)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """0.2 MB on disk, 200 MB of sheet XML once unzipped: the same empty row over and over."""
    head, tail = sheet_xml(HEADER_AND_ONE_ROW).split(b"</sheetData>")
    filler = b'<row r="3"><c r="A3"/></row>' * (1024 * 1024 // 28)
    return workbook(head, *[filler] * 200, b"</sheetData>" + tail)


def zip_bomb_lying_about_its_size() -> bytes:
    """The same bomb, its sheet declaring 1 KB: the declared sizes pass, the unzipping must stop."""
    data = bytearray(zip_bomb())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        local_header = archive.getinfo(SHEET_PATH).header_offset
        directory = archive.start_dir
    # The uncompressed size in the sheet's local header (offset 22) and in its central directory
    # entry (offset 24); the entries follow one another, each 46 bytes plus three lengths.
    struct.pack_into("<I", data, local_header + 22, 1024)
    while data[directory : directory + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, directory + 28)
        if data[directory + 46 : directory + 46 + name_length] == SHEET_PATH.encode():
            struct.pack_into("<I", data, directory + 24, 1024)
        directory += 46 + name_length + extra_length + comment_length
    return bytes(data)


def many_parts() -> bytes:
    """A workbook of 5,000 parts (each zip member costs memory and time to list, whatever its size)."""
    buffer = io.BytesIO(workbook(sheet_xml(HEADER_AND_ONE_ROW)))
    with zipfile.ZipFile(buffer, "a") as archive:
        for number in range(5_000):
            archive.writestr(f"xl/media/image{number}.bin", b"")
    return buffer.getvalue()


def row_1048576() -> bytes:
    """Two rows of data, the second claimed in the last row Excel has."""
    return workbook(
        sheet_xml(f'<row r="1">{cell("A1", "Titolo")}</row><row r="1048576">{cell("A1048576", "x")}</row>')
    )


def column_xfd() -> bytes:
    """A value in the last column Excel has, XFD (16,384)."""
    return workbook(sheet_xml(f'<row r="1">{cell("A1", "Titolo")}{cell("XFD1", "x")}</row>'))


def dimension_of_the_whole_grid() -> bytes:
    """A sheet of two cells whose <dimension> claims all 17 billion: read as what it holds."""
    return workbook(sheet_xml(HEADER_AND_ONE_ROW, dimension="A1:XFD1048576"))


def entity_expansion() -> bytes:
    """'Billion laughs': ten entities each ten times the one before, a gigabyte of text once expanded."""
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10))
    return workbook(
        sheet_xml(
            f'<row r="1">{cell("A1", "Titolo")}</row><row r="2">{cell("A2", "&a9;")}</row>',
            prolog=f"<!DOCTYPE worksheet [{entities}]>",
        )
    )


def external_entity() -> bytes:
    """An entity that would read a file of the server into a cell."""
    return workbook(
        sheet_xml(
            f'<row r="1">{cell("A1", "Titolo")}</row><row r="2">{cell("A2", "&secret;")}</row>',
            prolog='<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
        )
    )


def broken_xml() -> bytes:
    """The sheet's XML cut in the middle of a tag."""
    return workbook(sheet_xml(HEADER_AND_ONE_ROW)[:-40])


def a_million_columns() -> bytes:
    return ("Titolo" + ";x" * 1_000_000 + "\r\nProgetto di prova\r\n").encode()


def a_million_rows() -> bytes:
    return b"Titolo\r\n" + b"x\r\n" * 1_000_000


def a_cell_past_the_csv_field_limit() -> bytes:
    """One unclosed quote: the rest of the file becomes one cell."""
    return b'Titolo;Periodo\r\n"Progetto;2024\r\n' + b"x" * 500_000 + b"\r\n"


def utf16_without_bom() -> bytes:
    return "Titolo;Periodo\r\nProgetto;2024\r\n".encode("utf-16-le")


def bytes_windows_1252_lacks() -> bytes:
    """Neither UTF-8 nor Windows-1252: 0x81 and 0x8D are not characters in either."""
    return b"Titolo;Periodo\r\nProgetto \x81\x8d;2024\r\n"


def utf8_bom_then_latin1() -> bytes:
    return b"\xef\xbb\xbf" + "Titolo;Periodo\r\nCittà;2024\r\n".encode("latin-1")


def png_image() -> bytes:
    """A real 1×1 PNG."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def ods_named_xlsx() -> bytes:
    """What LibreOffice saves by default, renamed."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


def old_excel() -> bytes:
    """The start of an OLE2 compound file, as .xls and password-protected workbooks are."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4096


@dataclass(frozen=True)
class HostileFile:
    name: str
    make: Callable[[], bytes]
    refused_because: str  # a phrase of the message that refuses it ("" when it is read as what it holds)


HOSTILE_FILES = [
    HostileFile("zip-bomb.xlsx", zip_bomb, "unzips to"),
    HostileFile("zip-bomb-lying-sizes.xlsx", zip_bomb_lying_about_its_size, "archive is damaged"),
    HostileFile("five-thousand-parts.xlsx", many_parts, "more than the 1,000 a sheet needs"),
    HostileFile("cell-in-row-1048576.xlsx", row_1048576, "row 1,048,576"),
    HostileFile("cell-in-column-xfd.xlsx", column_xfd, "beyond column"),
    HostileFile("dimension-whole-grid.xlsx", dimension_of_the_whole_grid, ""),
    HostileFile("entity-expansion.xlsx", entity_expansion, "entities"),
    HostileFile("external-entity.xlsx", external_entity, "entities"),
    HostileFile("broken-xml.xlsx", broken_xml, "XML is broken"),
    HostileFile("million-columns.csv", a_million_columns, "beyond column"),
    HostileFile("million-rows.csv", a_million_rows, "past row"),
    HostileFile("unclosed-quote.csv", a_cell_past_the_csv_field_limit, "quote left open"),
    HostileFile("utf16-without-bom.csv", utf16_without_bom, "binary"),
    HostileFile("neither-utf8-nor-1252.csv", bytes_windows_1252_lacks, "neither UTF-8 nor Windows-1252"),
    HostileFile("utf8-bom-then-latin1.csv", utf8_bom_then_latin1, "not UTF-8"),
    HostileFile("image.csv", png_image, "binary"),
    HostileFile("image.xlsx", png_image, "not a readable XLSX"),
    HostileFile("opendocument.xlsx", ods_named_xlsx, "OpenDocument"),
    HostileFile("old-excel.xlsx", old_excel, "old Excel"),
]


def write_all(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for hostile in HOSTILE_FILES:
        path = folder / hostile.name
        path.write_bytes(hostile.make())
        paths.append(path)
    return paths


if __name__ == "__main__":
    for path in write_all(Path(sys.argv[1])):
        print(f"{path.stat().st_size:>12,} bytes  {path}")
