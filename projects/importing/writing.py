"""An import from start to end: read every row, match them all, then write all of them or nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction

from ..models import Municipality
from ..services import ImportBusy, import_lock, planner_statistics_refresh
from .columns import SheetColumns
from .matching import match_rows
from .report import ImportReport
from .rows import RowReader
from .sheets import Sheet


def import_sheet(
    sheet: Sheet, *, dry_run: bool, publish: bool = False, wait_seconds: float | None = None
) -> ImportReport:
    """Check every row of the sheet and, when none has an error and this is not a dry run, write them.

    A real import holds the import lock (projects.services.locks) from before it reads what is
    stored until it has written: a second import waits up to `wait_seconds` (IMPORT_LOCK_WAIT_SECONDS
    unless told) and then reads what the first wrote. One that cannot get the lock, or that finds
    the registry changed under it, writes nothing and says so in the report. The Django admin
    (through django-import-export, see projects/resources.py) and the `import_projects` command
    both call this.
    """
    columns = SheetColumns(sheet.headers)
    report = ImportReport(rows=[], unknown_columns=columns.unknown)
    if "title" not in columns:
        report.file_errors.append("the sheet has no title column (Titolo or title)")
    for header in columns.duplicates:
        report.file_errors.append(f"the column {header} names a field another column names too")
    if report.file_errors:
        return report
    if dry_run:
        _check_and_write(sheet, columns, report, publish=publish, write=False)
        return report
    try:
        wait = settings.IMPORT_LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
        with transaction.atomic(), import_lock(wait_seconds=wait):
            _check_and_write(sheet, columns, report, publish=publish, write=True)
    except ImportBusy as error:
        report.busy = True
        report.file_errors.append(f"{error}; nothing was imported: try again in a few minutes")
        return report
    except IntegrityError:
        # Another writer (an editor in the admin) stored a name or an address this import was about to create.
        report.rows, report.created = [], {}
        report.file_errors.append(
            "the registry changed while the file was being imported; nothing was imported: import it again"
        )
        return report
    if report.count("new") or report.count("changed"):
        planner_statistics_refresh()
    return report


def _check_and_write(sheet: Sheet, columns: SheetColumns, report: ImportReport, *, publish: bool, write: bool):
    reader = RowReader(columns, Municipality.objects.index())
    report.rows = [reader.read(number, cells) for number, cells in zip(sheet.row_numbers(), sheet.rows, strict=True)]
    batch = match_rows(report.rows, columns=columns, publish=publish)
    report.created = batch.created()
    if write and not report.has_errors:
        batch.write()
