"""Reading project sheets as editors receive them: CSV from Excel or LibreOffice, or XLSX.

Excel and LibreOffice in an Italian locale write `;`-separated CSV, in UTF-8 with a BOM or in
Windows-1252, with CRLF line ends and quoted cells holding new lines. Nothing here guesses
silently: a file that is empty, binary, too large or in an encoding it cannot read is refused with
a message that says which.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from openpyxl import load_workbook

CSV_DELIMITERS = (";", ",", "\t")
XLSX_MAGIC = b"PK\x03\x04"
UTF8_BOM = b"\xef\xbb\xbf"


class SheetError(ValueError):
    """The file cannot be read as a sheet at all; nothing from it is used."""


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


def read_sheet(data: bytes, *, filename: str = "", max_bytes: int | None = None) -> Sheet:
    if not data:
        raise SheetError("the file is empty")
    if max_bytes is not None and len(data) > max_bytes:
        raise SheetError(f"the file is {len(data) / 1e6:.1f} MB, over the limit of {max_bytes / 1e6:.1f} MB")
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
        return read_xlsx(data)
    return read_csv(data)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM or not), else Windows-1252."""
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


def read_csv(data: bytes) -> Sheet:
    text, encoding = decode(data)
    if not text.strip():
        raise SheetError("the file is empty")
    delimiter = sniff_delimiter(_first_line(text))
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as error:
        raise SheetError(f"the CSV cannot be read: {error}") from None
    return _sheet(rows, encoding=encoding, delimiter=delimiter)


def _sheet(rows: list[list], **details) -> Sheet:
    """Blank rows dropped, each row keeping the number the spreadsheet shows for it."""
    numbered = [(number, row) for number, row in enumerate(rows, start=1) if any(str(cell).strip() for cell in row)]
    if not numbered:
        raise SheetError("the file is empty")
    (_, headers), body = numbered[0], numbered[1:]
    if not body:
        raise SheetError("the sheet has a header row but no rows under it")
    return Sheet(
        headers=[str(h).strip() for h in headers],
        rows=[row for _, row in body],
        numbers=[number for number, _ in body],
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


def read_xlsx(data: bytes) -> Sheet:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise SheetError(f"the file is not a readable XLSX workbook ({error.__class__.__name__})") from None
    try:
        worksheet = workbook.worksheets[0]
        rows = [[_xlsx_cell(value) for value in row] for row in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()
    if not any(any(str(cell).strip() for cell in row) for row in rows):
        raise SheetError("the workbook's first sheet is empty")
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    return _sheet(rows, encoding="xlsx")
