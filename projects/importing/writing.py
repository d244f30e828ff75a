"""An import from start to end: read every row, match them all, then write all of them or nothing."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partners.duplicates import similar_names

from ..models import Municipality
from ..services import ImportBusy, import_lock, planner_statistics_refresh
from .columns import SheetColumns
from .freshness import stale_rows
from .matching import match_rows
from .report import ImportReport
from .rows import RowReader
from .sheets import Sheet


def import_sheet(
    sheet: Sheet,
    *,
    dry_run: bool,
    publish: bool = False,
    wait_seconds: float | None = None,
    changed_after: int | None = None,
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
        report.file_errors.append(_("the sheet has no title column (Titolo or title)"))
    for header in columns.duplicates:
        report.file_errors.append(
            _("the column %(header)s names a field another column names too") % {"header": header}
        )
    if report.file_errors:
        return report
    if dry_run:
        _check_and_write(sheet, columns, report, publish=publish, write=False, changed_after=changed_after)
        return report
    wait = settings.IMPORT_LOCK_WAIT_SECONDS if wait_seconds is None else wait_seconds
    try:
        with transaction.atomic(), import_lock(wait_seconds=wait):
            _check_and_write(sheet, columns, report, publish=publish, write=True, changed_after=changed_after)
    except ImportBusy:
        report.busy = True
        report.file_errors.append(
            _(
                "another import held the registry for more than %(seconds)s s; nothing was imported: "
                "try again in a few minutes"
            )
            % {"seconds": f"{wait:g}"}
        )
        return report
    except IntegrityError:
        # Another writer (an editor in the admin) stored a name or an address this import was about to create.
        report.rows, report.created = [], {}
        report.file_errors.append(
            _("the registry changed while the file was being imported; nothing was imported: import it again")
        )
        return report
    if report.count("new") or report.count("changed"):
        planner_statistics_refresh()
    return report


def _check_and_write(
    sheet: Sheet, columns: SheetColumns, report: ImportReport, *, publish: bool, write: bool, changed_after=None
):
    reader = RowReader(columns, Municipality.objects.index())
    report.rows = [reader.read(number, cells) for number, cells in zip(sheet.row_numbers(), sheet.rows, strict=True)]
    batch = match_rows(report.rows, columns=columns, publish=publish)
    if changed_after is not None:
        stale_rows(report.rows, changed_after)  # changed by someone else since the preview
    report.created = batch.created()
    # Before writing: once stored, the new organisations would be the closest names to themselves.
    report.suggestions = similar_names(record.name for record in batch.new_records["partner"])
    if write and not report.has_errors:
        batch.write()
