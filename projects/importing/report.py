"""What an import says back: every error with its row and column, and what it did or would do.

The messages are made while the import runs, in the language then active (the admin's request's, or the
command's); the few words put around them here are translated when they are shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

if TYPE_CHECKING:  # the rows refer back to this module for CellError
    from .rows import SheetRow

# However many a sheet has, a report lists this many errors and unknown columns and sums up the rest.
LISTED_ERRORS = 100
LISTED_ROWS = 100  # rows with errors, and new and changed projects, in the admin's preview
LISTED_NAMES = 100  # new records of each kind, in the admin's preview
LISTED_COLUMNS = 20
LISTED_HEADER_LENGTH = 60


@dataclass
class CellError:
    row: int  # as the editor counts it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ImportReport:
    rows: list[SheetRow]
    unknown_columns: list[str]
    file_errors: list[str] = field(default_factory=list)
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> names of new records
    # new organisation's name -> up to 3 stored organisations with a close name ("did you mean …")
    suggestions: dict[str, list[str]] = field(default_factory=dict)
    busy: bool = False  # another import held the lock: nothing is wrong with the file

    @property
    def errors(self) -> list[CellError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors or self.errors)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    def listed_errors(self) -> tuple[list[CellError], int]:
        """The first errors, and how many more there are."""
        errors = self.errors
        return errors[:LISTED_ERRORS], max(0, len(errors) - LISTED_ERRORS)

    def listed_unknown_columns(self) -> tuple[list[str], int]:
        """The first unknown columns, each shortened to a readable length, and how many more there are."""
        listed = [
            header if len(header) <= LISTED_HEADER_LENGTH else header[: LISTED_HEADER_LENGTH - 1] + "…"
            for header in islice(self.unknown_columns, LISTED_COLUMNS)
        ]
        return listed, max(0, len(self.unknown_columns) - LISTED_COLUMNS)


def new_records_line(kind: str, names: list[str]) -> str:
    """ "New partners: A; B", the records of one kind an import creates (or would create), as the command says."""
    count, listed = len(names), "; ".join(names)
    if kind == "partner":
        text = ngettext("New partner: %(names)s", "New partners: %(names)s", count)
    elif kind == "funder":
        text = ngettext("New funder: %(names)s", "New funders: %(names)s", count)
    elif kind == "programme":
        text = ngettext("New programme: %(names)s", "New programmes: %(names)s", count)
    elif kind == "territory":
        text = ngettext("New territory: %(names)s", "New territories: %(names)s", count)
    else:
        text = "%(kind)s: %(names)s"
    return text % {"names": listed, "kind": kind}
