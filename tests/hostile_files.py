"""Hostile and broken project sheets, made on demand (no binaries in the repository).

Each is small on disk and claims, hides or breaks something that once took the importer down or
would: an archive that unzips to hundreds of megabytes, a cell in the last row or column of the
grid, XML with entities, a million columns, encodings no spreadsheet writes, an image named .csv;
and for OpenDocument sheets, rows and cells that claim to repeat across the whole grid, a cell
claiming a billion spaces, a sheet saved with a password, an archive without its content.xml.
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
    return lying_about_its_size(zip_bomb(), SHEET_PATH)


def lying_about_its_size(archive_data: bytes, path: str) -> bytes:
    """The archive with the part at `path` declaring 1 KB, whatever it unzips to."""
    data = bytearray(archive_data)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        local_header = archive.getinfo(path).header_offset
        directory = archive.start_dir
    # The uncompressed size in the part's local header (offset 22) and in its central directory
    # entry (offset 24); the entries follow one another, each 46 bytes plus three lengths.
    struct.pack_into("<I", data, local_header + 22, 1024)
    while data[directory : directory + 4] == b"PK\x01\x02":
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, directory + 28)
        if data[directory + 46 : directory + 46 + name_length] == path.encode():
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


# --- OpenDocument sheets (.ods) ------------------------------------------------------------------

ODS_CONTENT = "content.xml"
ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"'
)
MANIFEST_NS = "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_MANIFEST = (
    f'{XML_DECLARATION}<manifest:manifest xmlns:manifest="{MANIFEST_NS}" manifest:version="1.3">'
    f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{ODS_TYPE}"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
# What LibreOffice writes for a part saved with a password (the key's details shortened).
ENCRYPTED_MANIFEST = ODS_MANIFEST.replace(
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>',
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" manifest:size="2464">'
    '<manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k"'
    ' manifest:checksum="LwT7udmGK235YChnym48t4noIZCbtGa6igw2/c9drgc=">'
    '<manifest:algorithm manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc"'
    ' manifest:initialisation-vector="SDu/BSGKyM/zW5Up3ubYJA=="/>'
    '<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32"'
    ' manifest:iteration-count="100000" manifest:salt="PjrGFaJJ/mgYYAXXChWxUA=="/>'
    "</manifest:encryption-data></manifest:file-entry>",
)


def ods_cell(text: str = "", *, repeat: int = 1) -> str:
    repeated = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if not text:
        return f"<table:table-cell{repeated}/>"
    return f'<table:table-cell office:value-type="string"{repeated}><text:p>{text}</text:p></table:table-cell>'


def ods_row(*cells: str, repeat: int = 1) -> str:
    repeated = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{repeated}>{''.join(cells)}</table:table-row>"


def ods_content(rows: str, *, prolog: str = "") -> bytes:
    return (
        f'{XML_DECLARATION}{prolog}<office:document-content {ODS_NAMESPACES} office:version="1.3">'
        '<office:body><office:spreadsheet><table:table table:name="Progetti">'
        f"{rows}</table:table></office:spreadsheet></office:body></office:document-content>"
    ).encode()


ODS_HEADER_AND_ONE_ROW = ods_row(ods_cell("Titolo")) + ods_row(ods_cell("Progetto di prova"))


def opendocument(*content_parts: bytes, manifest: str = ODS_MANIFEST, content: bool = True) -> bytes:
    """An ODS archive as LibreOffice lays it out, around the given content.xml (given in parts, as for workbook())."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        # First and stored, so that a program can tell the kind of file from its first bytes.
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_TYPE, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", manifest)
        if content:
            with archive.open(ODS_CONTENT, "w") as part:
                for piece in content_parts:
                    part.write(piece)
    return buffer.getvalue()


def ods_named_xlsx() -> bytes:
    """What LibreOffice saves by default, renamed: read as what it is."""
    return opendocument(ods_content(ODS_HEADER_AND_ONE_ROW))


def ods_whole_grid_of_blank_cells() -> bytes:
    """As LibreOffice writes a sheet whose rows or columns have a style: blank cells to column
    16,384 and blank rows to row 1,048,576, a few repeated elements. Read as the two cells it holds."""
    return opendocument(
        ods_content(
            ods_row(ods_cell("Titolo"), ods_cell(repeat=16_383))
            + ods_row(ods_cell("Progetto di prova"), ods_cell(repeat=16_383))
            + ods_row(ods_cell(repeat=16_384), repeat=1_048_574)
        )
    )


def ods_row_1048576() -> bytes:
    """Blank rows repeated down to the last row of the grid, and a value there."""
    return opendocument(
        ods_content(ods_row(ods_cell("Titolo")) + ods_row(ods_cell(), repeat=1_048_574) + ods_row(ods_cell("x")))
    )


def ods_value_repeated_to_the_last_row() -> bytes:
    """One row of values claiming to repeat down to row 1,048,576."""
    return opendocument(ods_content(ods_row(ods_cell("Titolo")) + ods_row(ods_cell("x"), repeat=1_048_575)))


def ods_value_repeated_to_column_xfd() -> bytes:
    """A value claiming to repeat across every column of the grid, to XFD (16,384)."""
    return opendocument(
        ods_content(ods_row(ods_cell("Titolo"), ods_cell("x", repeat=16_383)) + ods_row(ods_cell("Progetto")))
    )


def ods_billion_spaces() -> bytes:
    """A cell claiming a billion spaces, written as one element."""
    spaces = ods_cell('a<text:s text:c="1000000000"/>')
    return opendocument(ods_content(ods_row(ods_cell("Titolo")) + ods_row(spaces)))


def ods_zip_bomb() -> bytes:
    """0.2 MB on disk, 200 MB of content.xml once unzipped: the same blank row over and over."""
    head, tail = ods_content(ODS_HEADER_AND_ONE_ROW).split(b"</table:table>")
    filler = ods_row(ods_cell()).encode() * (1024 * 1024 // len(ods_row(ods_cell())))
    return opendocument(head, *[filler] * 200, b"</table:table>" + tail)


def ods_zip_bomb_lying_about_its_size() -> bytes:
    return lying_about_its_size(ods_zip_bomb(), ODS_CONTENT)


def ods_entity_expansion() -> bytes:
    entities = '<!ENTITY a0 "ha">' + "".join(f'<!ENTITY a{n} "{f"&a{n - 1};" * 10}">' for n in range(1, 10))
    return opendocument(
        ods_content(
            ods_row(ods_cell("Titolo")) + ods_row(ods_cell("&a9;")),
            prolog=f"<!DOCTYPE office:document-content [{entities}]>",
        )
    )


def ods_external_entity() -> bytes:
    return opendocument(
        ods_content(
            ods_row(ods_cell("Titolo")) + ods_row(ods_cell("&secret;")),
            prolog='<!DOCTYPE office:document-content [<!ENTITY secret SYSTEM "file:///etc/passwd">]>',
        )
    )


def ods_entity_in_manifest() -> bytes:
    """The entities in the first part the reader parses, the manifest."""
    prolog = '<!DOCTYPE manifest:manifest [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    return opendocument(ods_content(ODS_HEADER_AND_ONE_ROW), manifest=ODS_MANIFEST.replace("?>", "?>" + prolog, 1))


def ods_without_content() -> bytes:
    return opendocument(content=False)


def ods_broken_xml() -> bytes:
    """content.xml cut in the middle of the first table (what follows the first table is never read)."""
    content = ods_content(ODS_HEADER_AND_ONE_ROW)
    return opendocument(content[: content.index(b"Progetto di prova") + 4])


def ods_encrypted() -> bytes:
    """A manifest saying content.xml is encrypted, and content.xml as ciphertext looks (random bytes)."""
    return opendocument(bytes(range(256)) * 10, manifest=ENCRYPTED_MANIFEST)


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
    HostileFile("opendocument.xlsx", ods_named_xlsx, ""),
    HostileFile("old-excel.xlsx", old_excel, "old Excel"),
    HostileFile("whole-grid-of-blank-cells.ods", ods_whole_grid_of_blank_cells, ""),
    HostileFile("cell-in-row-1048576.ods", ods_row_1048576, "row 1,048,576"),
    HostileFile("value-repeated-to-row-1048576.ods", ods_value_repeated_to_the_last_row, "past row 50,001"),
    HostileFile("value-repeated-to-column-xfd.ods", ods_value_repeated_to_column_xfd, "beyond column 200"),
    HostileFile("billion-spaces.ods", ods_billion_spaces, "longer than 131,072 characters"),
    HostileFile("zip-bomb.ods", ods_zip_bomb, "unzips to"),
    HostileFile("zip-bomb-lying-sizes.ods", ods_zip_bomb_lying_about_its_size, "archive is damaged"),
    HostileFile("entity-expansion.ods", ods_entity_expansion, "entities"),
    HostileFile("external-entity.ods", ods_external_entity, "entities"),
    HostileFile("entity-in-manifest.ods", ods_entity_in_manifest, "entities"),
    HostileFile("without-content.ods", ods_without_content, "not a readable OpenDocument sheet"),
    HostileFile("broken-xml.ods", ods_broken_xml, "XML is broken"),
    HostileFile("saved-with-password.ods", ods_encrypted, "saved with a password"),
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
