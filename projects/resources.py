"""django-import-export for project sheets: the admin's upload, preview, confirm and export.

The stock library stops short of what editors need here, so the registry's own pieces close the gaps:
- formats: tablib reads CSV with a comma and one encoding; ProjectSheetCSV reads what Excel and
  LibreOffice write in an Italian locale (`;` or `,`, UTF-8 with or without BOM, Windows-1252,
  CRLF, quoted new lines) through projects.importing.sheets, and refuses binary, empty or oversized files
  with a message instead of an exception name;
- rows: ManyToManyWidget drops names it does not find and ForeignKeyWidget runs a query per row;
  ProjectResource instead runs projects.importing, which hands the rows to the write layer
  (projects.services) to resolve every name of the sheet with one query per table, reports
  unknown municipalities with suggestions, shows which organisations, funders, programmes and
  territories will be created, and writes in bulk;
- atomicity: bulk mode skips many-to-many fields and can write part of a file; here the whole
  file is checked before anything is written, in one transaction, and a file with any error
  writes nothing, in the admin and in `import_projects` alike;
- export: IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only strips a leading `=`; the export here
  keeps every cell that starts with `=`, `+`, `-` or `@` as text (see exports.escape_formula).
"""

from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import tablib
from django.core.exceptions import ValidationError
from import_export import fields, resources
from import_export.formats import base_formats
from import_export.results import Error, Result, RowResult

from . import exports
from .exports import TEMPLATE_COLUMNS
from .importing import ImportReport, Sheet, SheetError, import_sheet, read_sheet, sheet_limits
from .importing.report import LISTED_ROWS
from .models import Project

# Projects whose records the admin's export makes at a time.
EXPORT_CHUNK_SIZE = 2000
OUTCOME_TO_IMPORT_TYPE = {
    "new": RowResult.IMPORT_TYPE_NEW,
    "changed": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}


def sheet_to_dataset(sheet: Sheet) -> tablib.Dataset:
    width = len(sheet.headers)
    rows = [tuple((list(row) + [""] * width)[:width]) for row in sheet.rows]
    return tablib.Dataset(*rows, headers=sheet.headers)


class ProjectSheetCSV(base_formats.Format):
    """CSV as spreadsheets write it in Italy; read as bytes so that the encoding can be detected."""

    def __init__(self, encoding=None, **kwargs):
        # The admin passes its encoding; the bytes are decoded by projects.importing.sheets instead.
        self.encoding = encoding

    def get_title(self):
        return "csv"

    def create_dataset(self, in_stream):
        data = in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8")
        return sheet_to_dataset(read_sheet(data, limits=sheet_limits()))

    def export_data(self, dataset, **kwargs):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(dataset.headers)
        writer.writerows(dataset)
        return buffer.getvalue()

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def get_extension(self):
        return "csv"

    def get_content_type(self):
        return "text/csv"

    def can_import(self):
        return True

    def can_export(self):
        return True


class ProjectSheetXLSX(ProjectSheetCSV):
    def get_title(self):
        return "xlsx"

    def create_dataset(self, in_stream):
        return sheet_to_dataset(read_sheet(in_stream, filename="sheet.xlsx", limits=sheet_limits()))

    def export_data(self, dataset, **kwargs):
        return dataset.export("xlsx")

    def get_extension(self):
        return "xlsx"

    def get_content_type(self):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ProjectResource(resources.ModelResource):
    """Projects as one row each, the columns of /projects/export.csv (see projects.exports)."""

    # One declared field per export column, so that the admin's export form offers them all.
    locals().update({name: fields.Field(column_name=name, readonly=True) for name in exports.EXPORT_COLUMNS})

    class Meta:
        model = Project
        fields = tuple(exports.EXPORT_COLUMNS)
        export_order = tuple(exports.EXPORT_COLUMNS)
        import_id_fields = ("slug",)

    def __init__(self, *args, publish: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.publish = publish
        self.report: ImportReport | None = None

    def get_user_visible_fields(self):
        # What the admin lists as the columns of a sheet: the template's Italian headers (the
        # export's own column names are accepted too).
        return [SimpleNamespace(column_name=header) for header, _ in TEMPLATE_COLUMNS]

    # --- export ---------------------------------------------------------------------------------

    def export(self, queryset=None, **kwargs) -> tablib.Dataset:
        """The public export's records (drafts included: editors see everything), with formulae kept as text."""
        if queryset is None:
            queryset = Project.objects.all()
        selected = kwargs.get("export_fields") or exports.EXPORT_COLUMNS
        columns = [name for name in exports.EXPORT_COLUMNS if name in selected]
        # The public export's records, made a chunk at a time in a few queries (exports.export_records).
        records = exports.export_records(queryset, chunk_size=EXPORT_CHUNK_SIZE)
        rows = [[exports.csv_cell(name, record[name]) for name in columns] for record in records]
        return tablib.Dataset(*rows, headers=columns)

    # --- import ---------------------------------------------------------------------------------

    def import_data(
        self,
        dataset,
        dry_run=False,
        raise_errors=False,
        use_transactions=None,
        collect_failed_rows=False,
        rollback_on_validation_errors=False,
        **kwargs,
    ) -> Result:
        sheet = Sheet(headers=[str(h or "") for h in (dataset.headers or [])], rows=[list(row) for row in dataset])
        self.report = report = import_sheet(sheet, dry_run=dry_run, publish=self.publish)
        return self.result_from_report(report)

    def result_from_report(self, report: ImportReport) -> Result:
        result = self.get_result_class()()
        result.total_rows = len(report.rows)
        result.busy = report.busy
        result.diff_headers = ["title", "changes"]
        result.unknown_columns, result.more_unknown_columns = report.listed_unknown_columns()
        result.created = {kind: names for kind, names in report.created.items() if names}
        for message in report.file_errors:
            result.append_base_error(Error(SheetError(message)))
        for row in report.rows:
            if row.errors:
                result.totals[RowResult.IMPORT_TYPE_INVALID] += 1
                # However many rows have errors, the page lists the first ones (the totals count them all).
                if len(result.invalid_rows) < LISTED_ROWS:
                    by_column: dict[str, list[str]] = {}
                    for error in row.errors:
                        by_column.setdefault(error.column, []).append(error.message)
                    result.append_invalid_row(
                        row.number, {"title": row.values.get("title", "")}, ValidationError(by_column)
                    )
                continue
            row_result = self.get_row_result_class()()
            row_result.import_type = OUTCOME_TO_IMPORT_TYPE[row.outcome]
            row_result.object_repr = row.values.get("title", "")
            row_result.object_id = row.project.pk if row.project is not None else None
            row_result.instance = row.project
            details = ", ".join(row.changes) if row.changes else ""
            if row.created_names:
                details = "; ".join(filter(None, [details, *(f"+ {name}" for name in row.created_names)]))
            row_result.diff = [row_result.object_repr, details]
            result.increment_row_result_total(row_result)
            result.append_row_result(row_result)
        return result
