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

from .columns import map_headers
from .report import CellError, ImportReport
from .sheets import Sheet, SheetError, read_sheet
from .writing import import_sheet

__all__ = ["CellError", "ImportReport", "Sheet", "SheetError", "import_sheet", "map_headers", "read_sheet"]
