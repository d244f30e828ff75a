"""Reading project sheets as editors receive them: CSV from Excel or LibreOffice, or XLSX.

Excel and LibreOffice in an Italian locale write `;`-separated CSV, in UTF-8 with a BOM or in
Windows-1252, with CRLF line ends and quoted cells holding new lines; Excel's "Unicode text" is
tab-separated UTF-16. Nothing here guesses silently: a file that is empty, binary, too large or in
an encoding it cannot read is refused with a message that says which.

Whatever a file claims, it is read within fixed bounds (SheetLimits): its size is checked before it
is read, an XLSX archive's parts are checked for their unzipped size before any is parsed (a zip
bomb is refused, and a part that lies about its size fails its checksum), its XML is parsed by
defusedxml (no entity expansion, no external entities, see projects.checks), the dimension a sheet
declares is ignored and rows are never padded to the widest, and rows and columns are capped.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

CSV_DELIMITERS = (";", ",", "\t")
XLSX_MAGIC = b"PK\x03\x04"
# Old binary Excel (.xls) and password-protected workbooks are OLE2 compound files.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# What openpyxl raises, depending on where a broken workbook breaks it: the archive, the XML
# (ParseError is a SyntaxError, defusedxml's refusals are ValueErrors), or the cells' contents.
XLSX_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,  # a compression method zipfile does not know
    RuntimeError,  # an encrypted zip member
    ParseError,
    InvalidFileException,
    OSError,  # "File contains no valid workbook part" (the data is in memory: no other OSError can come)
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    AttributeError,
    OverflowError,
)


class SheetError(ValueError):
    """The file cannot be read as a sheet at all; nothing from it is used."""


@dataclass(frozen=True)
class SheetLimits:
    """How much of a file is ever read, whatever it claims; projects.importing.sheet_limits() reads the settings."""

    max_bytes: int = 10 * 1024 * 1024
    max_rows: int = 50_000  # rows under the header
    max_columns: int = 200
    max_unzipped_bytes: int = 100 * 1024 * 1024  # all the parts of an XLSX archive, unzipped
    max_parts: int = 1_000  # members of an XLSX archive


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list]  # cells are str, or datetime.date for XLSX date cells
    encoding: str = ""
    delimiter: str = ""
    # The spreadsheet's own number of each row (the header is 1), blank rows counted.
    numbers: list[int] | None = None

    def row_numbers(self) -> list[int]:
        return self.numbers or list(range(2, len(self.rows) + 2))

    def __len__(self) -> int:
        return len(self.rows)


def readable_size(size: int) -> str:
    # In the units of the settings (IMPORT_MAX_MB is in binary megabytes).
    if size < 1024:
        return f"{size} bytes"
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 / 1024:.1f} MB"


def read_sheet_file(file: Path | BinaryIO, *, filename: str = "", limits: SheetLimits = SheetLimits()) -> Sheet:
    """A sheet from a path or an open binary file, never reading more than one byte past the size limit."""
    if isinstance(file, Path):
        with file.open("rb") as opened:
            return read_sheet_file(opened, filename=filename or file.name, limits=limits)
    # Not the size the file says it has (a pipe or a device says 0): what it gives, up to the limit.
    data = file.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise SheetError(f"the file is over the limit of {readable_size(limits.max_bytes)}")
    return read_sheet(data, filename=filename, limits=limits)


def read_sheet(data: bytes, *, filename: str = "", limits: SheetLimits = SheetLimits()) -> Sheet:
    if not data:
        raise SheetError("the file is empty")
    if len(data) > limits.max_bytes:
        raise SheetError(
            f"the file is {readable_size(len(data))}, over the limit of {readable_size(limits.max_bytes)}"
        )
    if data.startswith(OLE2_MAGIC):
        raise SheetError(
            "the file is an old Excel workbook (.xls) or a password-protected one: "
            "save it without a password as XLSX or as CSV"
        )
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return read_xlsx(data, limits)
    return read_csv(data, limits)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM or not), UTF-16 with its BOM, else Windows-1252."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise SheetError(f"the file starts as UTF-16 but byte {error.start} is not UTF-16") from None
    if b"\x00" in data[:65536]:
        raise SheetError("the file is binary, not a CSV text file (save the sheet as CSV or XLSX)")
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise SheetError(f"the file starts as UTF-8 but byte {error.start} is not UTF-8") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise SheetError(
            f"the file is neither UTF-8 nor Windows-1252 (byte {error.start}); save it as CSV UTF-8"
        ) from None


def sniff_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most cells, counted outside quotes."""
    counts = dict.fromkeys(CSV_DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(CSV_DELIMITERS, key=lambda d: counts[d])
    # A one-column sheet has no delimiter in its header: Excel in Italy would have used ';'.
    return best if counts[best] else ";"


def _first_line(text: str) -> str:
    """The header line, which may itself hold quoted new lines."""
    quoted = False
    for position, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char in "\r\n" and not quoted:
            return text[:position]
    return text


def read_csv(data: bytes, limits: SheetLimits = SheetLimits()) -> Sheet:
    text, encoding = decode(data)
    if not text.strip():
        raise SheetError("the file is empty")
    delimiter = sniff_delimiter(_first_line(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return _sheet(reader, limits, encoding=encoding, delimiter=delimiter)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise SheetError(
                f"a cell is longer than {csv.field_size_limit():,} characters (is a quote left open?)"
            ) from None
        raise SheetError(f"the CSV cannot be read: {error}") from None


def _is_blank(cells: list) -> bool:
    return not any(str(cell).strip() for cell in cells if cell is not None)


def _within_columns(number: int, cells, limits: SheetLimits) -> list:
    """The row's cells up to the column limit: a wider row is refused unless all it has beyond it is blank."""
    beyond = cells[limits.max_columns :]
    # Counting the empty cells is C speed: a row padded to column XFD costs next to nothing.
    if beyond and beyond.count(None) + beyond.count("") != len(beyond) and not _is_blank(beyond):
        raise SheetError(
            f"row {number} has a value beyond column {limits.max_columns}, "
            f"the most a project sheet can have (it has {len(cells):,})"
        )
    return list(cells[: limits.max_columns])


def _sheet(rows, limits: SheetLimits, *, cell=None, **details) -> Sheet:
    """Blank rows dropped, each row keeping the number the spreadsheet shows for it.

    `rows` is iterated, never held whole: a row past the limits stops the reading there. `cell`
    turns each kept cell into a value (for XLSX).
    """
    headers, numbered = None, []
    for number, cells in enumerate(rows, start=1):
        cells = _within_columns(number, cells, limits)
        if cell is not None:
            cells = [cell(value) for value in cells]
        if _is_blank(cells):
            continue
        if headers is None:
            headers = cells
            continue
        # By the number the spreadsheet shows: blank rows count, so a cell claimed in row 1,048,576
        # stops the reading as soon as it is met.
        if number > limits.max_rows + 1:
            raise SheetError(
                f"the sheet has a value in row {number:,}, past row {limits.max_rows + 1:,}, "
                "the last one import reads: split it into several files"
            )
        numbered.append((number, cells))
    if headers is None:
        raise SheetError("the file is empty")
    if not numbered:
        raise SheetError("the sheet has a header row but no rows under it")
    return Sheet(
        headers=[str(h).strip() if h is not None else "" for h in headers],
        rows=[cells for _, cells in numbered],
        numbers=[number for number, _ in numbered],
        **details,
    )


def _xlsx_cell(value):
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_archive(data: bytes, limits: SheetLimits) -> None:
    """Refuse an archive that would unzip past the limits, before any part of it is parsed.

    The sizes are the ones the archive declares; zipfile never unzips a part past its declared
    size (a part that lies fails its checksum), so they bound what is read.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > limits.max_parts:
                raise SheetError(
                    f"the workbook has {len(parts):,} parts, more than the {limits.max_parts:,} a sheet needs"
                )
            unzipped = sum(part.file_size for part in parts)
            if unzipped > limits.max_unzipped_bytes:
                size, limit = readable_size(unzipped), readable_size(limits.max_unzipped_bytes)
                raise SheetError(f"the workbook unzips to {size}, over the limit of {limit}")
            # LibreOffice's own format starts with a part naming it (read no further than its start).
            if "mimetype" in archive.namelist():
                with archive.open("mimetype") as part:
                    if part.read(len(ODS_MIMETYPE)) == ODS_MIMETYPE:
                        raise SheetError("the file is an OpenDocument sheet (.ods): save it as XLSX or as CSV")
    except SheetError:
        raise
    except XLSX_ERRORS as error:
        raise SheetError(f"the file is not a readable XLSX workbook ({_reason(error)})") from None


def _reason(error: BaseException) -> str:
    """A broken file's fault in a few words, without the library's internals."""
    while error.__cause__ is not None:  # openpyxl wraps what broke it in a ValueError of its own
        error = error.__cause__
    if isinstance(error, ParseError):
        return f"its XML is broken: {error}"
    if error.__class__.__module__.startswith("defusedxml"):
        return "its XML declares entities, which a sheet never needs"
    if isinstance(error, zipfile.BadZipFile):
        return f"the archive is damaged: {error}"
    said = str(error).strip("'\"")
    return f"{error.__class__.__name__}: {said}" if said and len(said) <= 120 else error.__class__.__name__


def read_xlsx(data: bytes, limits: SheetLimits = SheetLimits()) -> Sheet:
    check_archive(data, limits)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except XLSX_ERRORS as error:
        raise SheetError(f"the file is not a readable XLSX workbook ({_reason(error)})") from None
    try:
        if not workbook.worksheets:
            raise SheetError("the workbook has no sheet")
        worksheet = workbook.worksheets[0]
        # The declared <dimension> may claim the whole grid: without it, each row is only as wide
        # as its own last cell, and rows missing from the file are not made up.
        worksheet.reset_dimensions()
        return _sheet(worksheet.iter_rows(values_only=True), limits, cell=_xlsx_cell, encoding="xlsx")
    except SheetError:
        raise
    except XLSX_ERRORS as error:
        raise SheetError(f"the workbook's first sheet cannot be read ({_reason(error)})") from None
    finally:
        workbook.close()
