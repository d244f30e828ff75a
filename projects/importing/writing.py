"""An import from start to end: read every row, match them all, then write all of them or nothing."""

from __future__ import annotations

from ..models import Municipality
from ..services import planner_statistics_refresh
from .columns import SheetColumns
from .matching import match_rows
from .report import ImportReport
from .rows import RowReader
from .sheets import Sheet


def import_sheet(sheet: Sheet, *, dry_run: bool, publish: bool = False) -> ImportReport:
    """Check every row of the sheet and, when none has an error and this is not a dry run, write them.

    The Django admin (through django-import-export, see projects/resources.py) and the
    `import_projects` command both call this.
    """
    columns = SheetColumns(sheet.headers)
    report = ImportReport(rows=[], unknown_columns=columns.unknown)
    if "title" not in columns:
        report.file_errors.append("the sheet has no title column (Titolo or title)")
    for header in columns.duplicates:
        report.file_errors.append(f"the column {header} names a field another column names too")
    if report.file_errors:
        return report
    reader = RowReader(columns, Municipality.objects.index())
    report.rows = [reader.read(number, cells) for number, cells in zip(sheet.row_numbers(), sheet.rows, strict=True)]
    batch = match_rows(report.rows, columns=columns, publish=publish)
    report.created = batch.created()
    if not report.has_errors and not dry_run:
        batch.write()
        if report.count("new") or report.count("changed"):
            planner_statistics_refresh()
    return report
