"""Reading project sheets as editors receive them: CSV from Excel or LibreOffice, XLSX, or ODS.

Excel and LibreOffice in an Italian locale write `;`-separated CSV, in UTF-8 with a BOM or in
Windows-1252, with CRLF line ends and quoted cells holding new lines; Excel's "Unicode text" is
tab-separated UTF-16. LibreOffice saves its own OpenDocument sheets (.ods) by default, and many
Italian public administrations use nothing else. Nothing here guesses silently: a file that is
empty, binary, too large or in an encoding it cannot read is refused with a message that says which.

Whatever a file claims, it is read within fixed bounds (SheetLimits): its size is checked before it
is read, an archive's parts (XLSX or ODS) are checked for their unzipped size before any is parsed
(a zip bomb is refused, and a part that lies about its size fails its checksum), its XML is parsed
by defusedxml (no entity expansion, no external entities, see projects.checks), the dimension a
sheet declares is ignored and rows are never padded to the widest, and rows and columns are capped.
An ODS is parsed as a stream, keeping nothing but the row being read, and the rows and cells it
claims to repeat (up to the whole grid) are never expanded past the limits: repeated blank rows and
cells cost nothing at all.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from xml.etree.ElementTree import ParseError

from defusedxml.ElementTree import DefusedXMLParser
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

CSV_DELIMITERS = (";", ",", "\t")
XLSX_MAGIC = b"PK\x03\x04"  # any zip archive: XLSX and ODS alike
# Old binary Excel (.xls) and password-protected workbooks are OLE2 compound files.
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
OPENDOCUMENT_MIMETYPE = b"application/vnd.oasis.opendocument."
# A template (.ots) names itself "...spreadsheet-template" and reads the same.
ODS_MIMETYPE = OPENDOCUMENT_MIMETYPE + b"spreadsheet"
ODS_CONTENT = "content.xml"
ODS_MANIFEST = "META-INF/manifest.xml"
# How much of a part is given to the XML parser at a time.
XML_CHUNK = 64 * 1024
# What the libraries raise, depending on where a broken archive breaks them: the archive, the XML
# (ParseError is a SyntaxError, defusedxml's refusals are ValueErrors), or the cells' contents.
ARCHIVE_ERRORS = (
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
    max_unzipped_bytes: int = 100 * 1024 * 1024  # all the parts of an XLSX or ODS archive, unzipped
    max_parts: int = 1_000  # members of an XLSX or ODS archive


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list]  # cells are str, or datetime.date for the date cells of XLSX and ODS
    encoding: str = ""
    delimiter: str = ""
    # The spreadsheet's own number of each row (the header is 1), blank rows counted.
    numbers: list[int] | None = None

    def row_numbers(self) -> list[int]:
        return self.numbers or list(range(2, len(self.rows) + 2))

    def __len__(self) -> int:
        return len(self.rows)


def readable_size(size: int) -> str:
    # In the units of the settings (IMPORT_MAX_MB is in binary megabytes), the number as the language writes it.
    if size < 1024:
        return ngettext("%(count)s byte", "%(count)s bytes", size) % {"count": size}
    if size < 1024 * 1024:
        return f"{number_format(size / 1024, decimal_pos=0)} KB"
    return f"{number_format(size / 1024 / 1024, decimal_pos=1)} MB"


def _count(number: int) -> str:
    """A count as the language writes it: 1,048,576 in English, 1.048.576 in Italian."""
    return number_format(number, force_grouping=True)


def read_sheet_file(file: Path | BinaryIO, *, filename: str = "", limits: SheetLimits = SheetLimits()) -> Sheet:
    """A sheet from a path or an open binary file, never reading more than one byte past the size limit."""
    if isinstance(file, Path):
        with file.open("rb") as opened:
            return read_sheet_file(opened, filename=filename or file.name, limits=limits)
    # Not the size the file says it has (a pipe or a device says 0): what it gives, up to the limit.
    data = file.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise SheetError(_("the file is over the limit of %(limit)s") % {"limit": readable_size(limits.max_bytes)})
    return read_sheet(data, filename=filename, limits=limits)


def read_sheet(data: bytes, *, filename: str = "", limits: SheetLimits = SheetLimits()) -> Sheet:
    """A sheet from a file's bytes: an archive is an XLSX, or an ODS by its "mimetype" part (or its name); else CSV."""
    if not data:
        raise SheetError(_("the file is empty"))
    if len(data) > limits.max_bytes:
        raise SheetError(
            _("the file is %(size)s, over the limit of %(limit)s")
            % {"size": readable_size(len(data)), "limit": readable_size(limits.max_bytes)}
        )
    if data.startswith(OLE2_MAGIC):
        raise SheetError(
            _(
                "the file is an old Excel workbook (.xls) or a password-protected one: "
                "save it without a password as XLSX, ODS or CSV"
            )
        )
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".ods")):
        if check_archive(data, limits, filename=filename) == "ods":
            return _read_ods(data, limits)
        return _read_xlsx(data, limits)
    return read_csv(data, limits)


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding it was read with: UTF-8 (BOM or not), UTF-16 with its BOM, else Windows-1252."""
    if data.startswith(UTF16_BOMS):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as error:
            raise SheetError(
                _("the file starts as UTF-16 but byte %(byte)s is not UTF-16") % {"byte": error.start}
            ) from None
    if b"\x00" in data[:65536]:
        raise SheetError(_("the file is binary, not a CSV text file (save the sheet as CSV, XLSX or ODS)"))
    if data.startswith(UTF8_BOM):
        try:
            return data[len(UTF8_BOM) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise SheetError(
                _("the file starts as UTF-8 but byte %(byte)s is not UTF-8") % {"byte": error.start}
            ) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as error:
        raise SheetError(
            _("the file is neither UTF-8 nor Windows-1252 (byte %(byte)s); save it as CSV UTF-8")
            % {"byte": error.start}
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
        raise SheetError(_("the file is empty"))
    delimiter = sniff_delimiter(_first_line(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        return _sheet(enumerate(reader, start=1), limits, encoding=encoding, delimiter=delimiter)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            raise SheetError(
                _("a cell is longer than %(limit)s characters (is a quote left open?)")
                % {"limit": _count(csv.field_size_limit())}
            ) from None
        raise SheetError(_("the CSV cannot be read: %(error)s") % {"error": error}) from None


def _is_blank(cells: list) -> bool:
    return not any(str(cell).strip() for cell in cells if cell is not None)


def _beyond_columns(number: int, width: int, limits: SheetLimits) -> SheetError:
    return SheetError(
        _("row %(row)s has a value beyond column %(limit)s, the most a project sheet can have (it has %(count)s)")
        % {"row": number, "limit": limits.max_columns, "count": _count(width)}
    )


def _within_columns(number: int, cells, limits: SheetLimits) -> list:
    """The row's cells up to the column limit: a wider row is refused unless all it has beyond it is blank."""
    beyond = cells[limits.max_columns :]
    # Counting the empty cells is C speed: a row padded to column XFD costs next to nothing.
    if beyond and beyond.count(None) + beyond.count("") != len(beyond) and not _is_blank(beyond):
        raise _beyond_columns(number, len(cells), limits)
    return list(cells[: limits.max_columns])


def _sheet(rows: Iterable[tuple[int, list]], limits: SheetLimits, *, cell=None, **details) -> Sheet:
    """Blank rows dropped, each row keeping the number the spreadsheet shows for it.

    `rows` gives each row with its number and is iterated, never held whole: a row past the limits
    stops the reading there. `cell` turns each kept cell into a value (for XLSX).
    """
    headers, numbered = None, []
    for number, cells in rows:
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
                _(
                    "the sheet has a value in row %(row)s, past row %(limit)s, "
                    "the last one import reads: split it into several files"
                )
                % {"row": _count(number), "limit": _count(limits.max_rows + 1)}
            )
        numbered.append((number, cells))
    if headers is None:
        raise SheetError(_("the file is empty"))
    if not numbered:
        raise SheetError(_("the sheet has a header row but no rows under it"))
    return Sheet(
        headers=[str(h).strip() if h is not None else "" for h in headers],
        rows=[cells for _, cells in numbered],
        numbers=[number for number, _ in numbered],
        **details,
    )


def _typed_cell(value):
    """A cell as the importer takes it: dates as dates, whole numbers without their ".0", the rest as text."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def check_archive(data: bytes, limits: SheetLimits, *, filename: str = "") -> str:
    """Refuse an archive that would unzip past the limits, before any part of it is parsed; say what it holds.

    The sizes are the ones the archive declares; zipfile never unzips a part past its declared
    size (a part that lies fails its checksum), so they bound what is read. Returns "ods" for an
    OpenDocument sheet (by its "mimetype" part, or by its name when it has none), else "xlsx".
    """
    named_ods = filename.lower().endswith(".ods")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > limits.max_parts:
                raise SheetError(
                    _("the workbook has %(count)s parts, more than the %(limit)s a sheet needs")
                    % {"count": _count(len(parts)), "limit": _count(limits.max_parts)}
                )
            unzipped = sum(part.file_size for part in parts)
            if unzipped > limits.max_unzipped_bytes:
                raise SheetError(
                    _("the workbook unzips to %(size)s, over the limit of %(limit)s")
                    % {"size": readable_size(unzipped), "limit": readable_size(limits.max_unzipped_bytes)}
                )
            names = set(archive.namelist())
            if "mimetype" in names:
                # An OpenDocument file starts with a part naming its kind (read no further than a name's length).
                with archive.open("mimetype") as part:
                    mimetype = part.read(100)
                if mimetype.startswith(ODS_MIMETYPE):
                    return "ods"
                if mimetype.startswith(OPENDOCUMENT_MIMETYPE):
                    raise SheetError(
                        _(
                            "the file is an OpenDocument file but not a sheet (%(kind)s): "
                            "save the sheet as ODS, XLSX or CSV"
                        )
                        % {"kind": mimetype.decode("ascii", "replace").strip()}
                    )
            if "[Content_Types].xml" in names:  # every XLSX has it, whatever its name
                return "xlsx"
            return "ods" if named_ods else "xlsx"
    except SheetError:
        raise
    except ARCHIVE_ERRORS as error:
        raise _unreadable("ods" if named_ods else "xlsx", error) from None


def _unreadable(kind: str, error: BaseException) -> SheetError:
    if kind == "ods":
        return SheetError(_("the file is not a readable OpenDocument sheet (%(reason)s)") % {"reason": _reason(error)})
    return SheetError(_("the file is not a readable XLSX workbook (%(reason)s)") % {"reason": _reason(error)})


def _reason(error: BaseException) -> str:
    """A broken file's fault in a few words, without the library's internals."""
    while error.__cause__ is not None:  # openpyxl wraps what broke it in a ValueError of its own
        error = error.__cause__
    if isinstance(error, ParseError):
        return _("its XML is broken: %(error)s") % {"error": error}
    if error.__class__.__module__.startswith("defusedxml"):
        return _("its XML declares entities, which a sheet never needs")
    if isinstance(error, zipfile.BadZipFile):
        return _("the archive is damaged: %(error)s") % {"error": error}
    said = str(error).strip("'\"")
    return f"{error.__class__.__name__}: {said}" if said and len(said) <= 120 else error.__class__.__name__


def _read_xlsx(data: bytes, limits: SheetLimits) -> Sheet:
    """An XLSX archive that check_archive has let through."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ARCHIVE_ERRORS as error:
        raise _unreadable("xlsx", error) from None
    try:
        if not workbook.worksheets:
            raise SheetError(_("the workbook has no sheet"))
        worksheet = workbook.worksheets[0]
        # The declared <dimension> may claim the whole grid: without it, each row is only as wide
        # as its own last cell, and rows missing from the file are not made up.
        worksheet.reset_dimensions()
        rows = enumerate(worksheet.iter_rows(values_only=True), start=1)
        return _sheet(rows, limits, cell=_typed_cell, encoding="xlsx")
    except SheetError:
        raise
    except ARCHIVE_ERRORS as error:
        raise SheetError(
            _("the workbook's first sheet cannot be read (%(reason)s)") % {"reason": _reason(error)}
        ) from None
    finally:
        workbook.close()


def read_xlsx(data: bytes, limits: SheetLimits = SheetLimits()) -> Sheet:
    check_archive(data, limits)
    return _read_xlsx(data, limits)


# --- OpenDocument -------------------------------------------------------------------------------

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
CALCEXT = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}"
MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
ODS_CELLS = {f"{TABLE}table-cell", f"{TABLE}covered-table-cell"}
ODS_PARAGRAPHS = {f"{TEXT}p", f"{TEXT}h"}
# Inside a cell, text that is not the cell's: its comment, notes, shapes anchored to it, a table in it.
ODS_NOT_THE_CELLS_TEXT = {f"{OFFICE}annotation", f"{TEXT}note", f"{TEXT}ruby-text", f"{TABLE}table"}
NUMBER_TYPES = {"float", "percentage", "currency"}
ODS_BOOLEANS = {"true": True, "false": False}
ODS_BOOLEAN_FORMULAS = {"of:=TRUE()": True, "of:=FALSE()": False}
ODS_TIME = re.compile(r"PT(\d+)H(\d+)M(\d+)(?:\.(\d+))?S")
ODS_WHITESPACE = re.compile(r"[ \t\r\n]+")


def xml_parser(target) -> DefusedXMLParser:
    """A streaming XML parser calling `target` (start, end, data), refusing entity declarations and external entities.

    The parser builds nothing: what is kept is up to the target. projects.checks verifies the refusals.
    """
    return DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True, forbid_external=True)


def _repeat(attrib: dict, name: str) -> int:
    """How many times an element counts (number-rows-repeated, number-columns-repeated, text:c): 1 unless said."""
    said = attrib.get(name)
    return max(int(said), 1) if said is not None else 1


def _ods_date(value: str) -> dt.date:
    # A date ("2024-03-01") or a date and time ("2024-03-01T10:30:00"): the day either way.
    return dt.datetime.fromisoformat(value).date()


def _ods_time(value: str) -> dt.time:
    # A time of day is a duration in ODS ("PT10H30M00S").
    match = ODS_TIME.fullmatch(value)
    if match is None:
        raise ValueError(value)
    hours, minutes, seconds, fraction = match.groups()
    microseconds = int((fraction or "0")[:6].ljust(6, "0"))
    return dt.time(int(hours), int(minutes), int(seconds), microseconds)


def _ods_cell(attrib: dict, text: str):
    """A cell's value as _typed_cell takes it: from the value LibreOffice stores, not the text it shows for it.

    Numbers, percentages and currencies are their number (25% is 0.25, as in XLSX); a value that
    cannot be read falls back to the text the cell shows.
    """
    kind = attrib.get(f"{OFFICE}value-type")
    if attrib.get(f"{CALCEXT}value-type") == "error":  # a formula's error, shown as "#DIV/0!", "Err:502"...
        return text
    # LibreOffice keeps the booleans of an XLSX it opened as these formulas, of type float.
    if attrib.get(f"{TABLE}formula") in ODS_BOOLEAN_FORMULAS:
        return ODS_BOOLEAN_FORMULAS[attrib[f"{TABLE}formula"]]
    try:
        if kind in NUMBER_TYPES:
            return float(attrib[f"{OFFICE}value"])
        if kind == "date":
            return _ods_date(attrib[f"{OFFICE}date-value"])
        if kind == "time":
            return _ods_time(attrib[f"{OFFICE}time-value"])
        if kind == "boolean":
            return ODS_BOOLEANS[attrib[f"{OFFICE}boolean-value"]]
    except (KeyError, ValueError, OverflowError):
        return text
    if kind == "string":
        return attrib.get(f"{OFFICE}string-value", text)
    return text


class ReadEnough(Exception):
    """Raised by a parser's target to stop the parser at once, in the middle of what it was given."""


class OdsTableReader:
    """The rows of the first table of an ODS content.xml, read as the parser meets them (its target).

    Nothing of the document is kept but the row being read. Each finished row that is not blank is
    queued with its number and how many times it repeats; a blank row is only counted, whatever
    number of rows it claims, and a cell repeated across columns is written out only as far as
    the column limit. What refuses the file (a value beyond the column limit, a cell too long) is
    queued in its row's place, so that the rows before it are judged first, as in the other formats.
    """

    def __init__(self, limits: SheetLimits, *, max_cell_characters: int):
        self.limits = limits
        self.max_cell_characters = max_cell_characters
        self.rows: deque[tuple[int, list | SheetError, int]] = deque()
        self.found = False  # the first table has started
        self.finished = False  # it has ended, or the file is refused: nothing more is parsed
        self.depth = 0
        self.in_spreadsheet = False
        self.table_depth = 0
        self.skip_depth = 0  # inside something whose text is not the cell's
        self.number = 1  # the spreadsheet's number of the row being read
        # The row being read: its cells, how many times it repeats, the columns its cells took so
        # far, how many of its cells end with a value and the column of its last value.
        self.cells: list | None = None
        self.repeat = self.position = self.used = self.last_value = 0
        # The cell being read: its attributes, its finished paragraphs and the one being read.
        self.cell: dict | None = None
        self.cell_depth = 0
        self.paragraphs: list[str] = []
        self.parts: list[str] | None = None
        self.length = 0
        self.after_space = False  # the paragraph's text so far ends with a space it was given as text

    def take(self) -> Iterator[tuple[int, list]]:
        """The rows read so far, a repeated row given with each of its numbers (until the caller stops asking)."""
        while self.rows:
            number, cells, repeat = self.rows.popleft()
            if isinstance(cells, SheetError):
                raise cells
            for offset in range(repeat):
                yield number + offset, cells

    def _refuse(self, error: SheetError) -> None:
        self.rows.append((self.number, error, 1))
        self._finish()

    def _finish(self) -> None:
        self.finished = True
        raise ReadEnough

    # The parser's callbacks.

    def start(self, tag: str, attrib: dict) -> None:
        self.depth += 1
        if self.skip_depth:
            return
        if self.cell is not None:
            self._inside_cell(tag, attrib)
        elif not self.found:
            if tag == f"{OFFICE}spreadsheet":
                self.in_spreadsheet = True
            elif tag == f"{TABLE}table" and self.in_spreadsheet:
                self.found, self.table_depth = True, self.depth
        elif tag == f"{TABLE}table-row":
            self._row_start(attrib)
        elif tag in ODS_CELLS and self.cells is not None:
            self.cell, self.cell_depth = attrib, self.depth
            self.paragraphs, self.parts, self.length = [], None, 0

    def end(self, tag: str) -> None:
        depth = self.depth
        self.depth -= 1
        if self.skip_depth:
            if depth == self.skip_depth:
                self.skip_depth = 0
        elif self.cell is not None:
            if depth == self.cell_depth:
                self._cell_end(tag)
            elif tag in ODS_PARAGRAPHS and self.parts is not None:
                self._paragraph_end()
        elif self.found:
            if tag == f"{TABLE}table-row" and self.cells is not None:
                self._row_end()
            elif depth == self.table_depth:
                self._finish()

    def data(self, text: str) -> None:
        if self.parts is None or self.skip_depth:
            return
        # As ODF reads a paragraph: a run of white space is one space, and none opens or closes
        # the paragraph (the spaces that count are written as <text:s/>, tabs as <text:tab/>).
        if "  " in text or "\n" in text or "\t" in text or "\r" in text:
            text = ODS_WHITESPACE.sub(" ", text)
        if text.startswith(" ") and (not self.parts or self.after_space):
            text = text[1:]
        if text:
            self._add_text(text)
            self.after_space = text.endswith(" ")

    # A cell's text.

    def _inside_cell(self, tag: str, attrib: dict) -> None:
        if tag in ODS_NOT_THE_CELLS_TEXT or tag.startswith(DRAW):
            self.skip_depth = self.depth
        elif tag in ODS_PARAGRAPHS:
            if self.parts is None:
                self.parts, self.after_space = [], False
                self.length += 1 if self.paragraphs else 0  # the new line that will join it to the one before
        elif self.parts is None:
            return
        elif tag == f"{TEXT}s":
            # A count of spaces may claim billions: never more than the cell can still take.
            room = self.max_cell_characters - self.length + 1
            self._add_text(" " * min(_repeat(attrib, f"{TEXT}c"), room))
            self.after_space = False
        elif tag == f"{TEXT}tab":
            self._add_text("\t")
            self.after_space = False
        elif tag == f"{TEXT}line-break":
            self._add_text("\n")
            self.after_space = False

    def _add_text(self, text: str) -> None:
        self.length += len(text)
        if self.length > self.max_cell_characters:
            self._refuse_too_long()
        self.parts.append(text)

    def _refuse_too_long(self) -> None:
        self._refuse(
            SheetError(
                _("row %(row)s has a cell longer than %(limit)s characters")
                % {"row": self.number, "limit": _count(self.max_cell_characters)}
            )
        )

    def _paragraph_end(self) -> None:
        if self.after_space:
            self.parts[-1] = self.parts[-1][:-1]
        self.paragraphs.append("".join(self.parts))
        self.parts = None

    def _cell_end(self, tag: str) -> None:
        attrib, text = self.cell, "\n".join(self.paragraphs)
        self.cell = None
        # A cell covered by a merged one shows nothing, whatever it still holds.
        value = "" if tag == f"{TABLE}covered-table-cell" else _typed_cell(_ods_cell(attrib, text))
        if isinstance(value, str) and len(value) > self.max_cell_characters:  # an office:string-value
            self._refuse_too_long()
        self._add_cell(value, _repeat(attrib, f"{TABLE}number-columns-repeated"))

    # Rows.

    def _row_start(self, attrib: dict) -> None:
        self.repeat = _repeat(attrib, f"{TABLE}number-rows-repeated")
        self.cells, self.position, self.used, self.last_value = [], 0, 0, 0

    def _add_cell(self, value, repeat: int) -> None:
        start = self.position
        self.position = end = start + repeat
        if value == "":
            return  # blank cells are written out only when a value follows them (below)
        max_columns = self.limits.max_columns
        if start < max_columns:
            self.cells.extend([""] * (start - len(self.cells)))
            self.cells.extend([value] * (min(end, max_columns) - start))
        if not isinstance(value, str) or value.strip():  # a date, or text that is not only spaces
            self.used, self.last_value = len(self.cells), end

    def _row_end(self) -> None:
        cells, self.cells = self.cells, None
        if self.last_value > self.limits.max_columns:
            self._refuse(_beyond_columns(self.number, self.last_value, self.limits))
            return
        if self.used:
            del cells[self.used :]
            self.rows.append((self.number, cells, self.repeat))
        self.number += self.repeat


class _EncryptionFinder:
    """Whether an ODS manifest says that its parts are encrypted (the file was saved with a password)."""

    finished = False

    def start(self, tag: str, attrib: dict) -> None:
        if tag == f"{MANIFEST}encryption-data":
            self.finished = True
            raise ReadEnough


def _feed(parser: DefusedXMLParser, part: BinaryIO, target) -> Iterator[None]:
    """Give the parser the part a chunk at a time, until its target has read enough or the part ends."""
    while not target.finished:
        chunk = part.read(XML_CHUNK)
        try:
            if chunk:
                parser.feed(chunk)
            else:
                parser.close()
                return
        except ReadEnough:
            pass  # the parser stopped where the target stopped it: what follows is never parsed
        yield


def _refuse_encrypted(archive: zipfile.ZipFile) -> None:
    if ODS_MANIFEST not in archive.namelist():
        return
    finder = _EncryptionFinder()
    with archive.open(ODS_MANIFEST) as part:
        for _chunk in _feed(xml_parser(finder), part, finder):
            if finder.finished:
                raise SheetError(
                    _(
                        "the sheet is saved with a password: save it again without one "
                        "(File > Save As, with “Save with password” unticked)"
                    )
                )


def _ods_rows(archive: zipfile.ZipFile, limits: SheetLimits) -> Iterator[tuple[int, list]]:
    # As long as a CSV cell may be: a cell's text is bounded whatever its <text:s/> claim.
    reader = OdsTableReader(limits, max_cell_characters=csv.field_size_limit())
    with archive.open(ODS_CONTENT) as part:
        for _chunk in _feed(xml_parser(reader), part, reader):
            yield from reader.take()
    yield from reader.take()
    if not reader.found:
        raise SheetError(_("the workbook has no sheet"))


def _read_ods(data: bytes, limits: SheetLimits) -> Sheet:
    """An OpenDocument sheet that check_archive has let through: the first table of content.xml."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            _refuse_encrypted(archive)
            if ODS_CONTENT not in archive.namelist():
                raise SheetError(
                    _("the file is not a readable OpenDocument sheet (%(reason)s)")
                    % {"reason": _("it has no content.xml")}
                )
            return _sheet(_ods_rows(archive, limits), limits, encoding="ods")
    except SheetError:
        raise
    except ARCHIVE_ERRORS as error:
        raise _unreadable("ods", error) from None


def read_ods(data: bytes, limits: SheetLimits = SheetLimits()) -> Sheet:
    check_archive(data, limits, filename="sheet.ods")
    return _read_ods(data, limits)
