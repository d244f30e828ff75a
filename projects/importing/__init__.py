"""Importing project sheets: every row read and checked first, then all written at once, or nothing.

By phase:
- sheets.py: the file, as Excel and LibreOffice write it (CSV in any of their dialects, or XLSX);
- columns.py: which field each column fills, and how a cell is split;
- rows.py: each row read into what it states about a project, or errors naming its cells;
- matching.py: the rows handed to the write layer (projects.services), which matches them to
  stored projects and records and checks them; its answers become errors with a row and a column;
- writing.py: the whole import, written in one transaction when no row has an error;
- report.py: what the admin's preview and the command show.
"""

from django.conf import settings

from .columns import map_headers
from .report import CellError, ImportReport
from .sheets import Sheet, SheetError, SheetLimits, read_sheet, read_sheet_file
from .writing import import_sheet


def sheet_limits() -> SheetLimits:
    """The bounds the settings set on every sheet read (IMPORT_MAX_BYTES and the rest)."""
    return SheetLimits(
        max_bytes=settings.IMPORT_MAX_BYTES,
        max_rows=settings.IMPORT_MAX_ROWS,
        max_columns=settings.IMPORT_MAX_COLUMNS,
        max_unzipped_bytes=settings.IMPORT_MAX_UNZIPPED_BYTES,
    )


__all__ = [
    "CellError",
    "ImportReport",
    "Sheet",
    "SheetError",
    "SheetLimits",
    "import_sheet",
    "map_headers",
    "read_sheet",
    "read_sheet_file",
    "sheet_limits",
]
