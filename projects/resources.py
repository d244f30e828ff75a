"""django-import-export for project sheets: the admin's upload, preview, confirm and export.

The stock library stops short of what editors need here, so the registry's own pieces close the gaps:
- format: tablib reads CSV with a comma and one encoding, and the editor picks the format by hand;
  ProjectSheet hands the bytes and the uploaded file's name to projects.importing.read_sheet, which
  tells the format from the file itself (CSV as Excel and LibreOffice write it in an Italian locale,
  XLSX, OpenDocument) and refuses binary, empty or oversized files with a message instead of an
  exception name; the upload form (SheetImportForm) asks for the file only;
- rows: ManyToManyWidget drops names it does not find and ForeignKeyWidget runs a query per row;
  ProjectResource instead runs projects.importing, which hands the rows to the write layer
  (projects.services) to resolve every name of the sheet with one query per table, reports
  unknown municipalities with suggestions, shows which organisations, funders, programmes and
  territories will be created, and writes in bulk;
- preview: the stock page lists each row's errors in a badge shown on hover and an update as the
  names of the fields it changes; here (ImportPreview, templates/admin/projects/project/import.html)
  every error is text, grouped by row under a summary that links to each row, and each changed
  project shows every changed field before and after, all bounded by LISTED_ROWS;
- atomicity: bulk mode skips many-to-many fields and can write part of a file; here the whole
  file is checked before anything is written, in one transaction, and a file with any error
  writes nothing, in the admin and in `import_projects` alike;
- export: IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only strips a leading `=`; the export here
  keeps every cell that starts with `=`, `+`, `-` or `@` as text (see exports.escape_formula).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from types import SimpleNamespace

import tablib
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.text import Truncator, capfirst
from django.utils.translation import get_language, gettext, ngettext
from import_export import fields, resources
from import_export.formats import base_formats
from import_export.results import Error, Result, RowResult

from registry.enums import Reach, Role, TargetGroup, Theme

from . import exports, periods
from .exports import TEMPLATE_COLUMNS, UNIT_DASH
from .forms import ProjectImportForm
from .importing import CellError, ImportReport, Sheet, SheetError, import_sheet, read_sheet, sheet_limits
from .importing.report import LISTED_NAMES, LISTED_ROWS
from .importing.rows import SheetRow
from .models import Participation, Project, ProjectTargetGroup, ProjectTheme
from .services import RECORD_MODELS, ProjectChange
from .services.bulk import chunked

# Projects whose records the admin's export makes at a time.
EXPORT_CHUNK_SIZE = 2000
OUTCOME_TO_IMPORT_TYPE = {
    "new": RowResult.IMPORT_TYPE_NEW,
    "changed": RowResult.IMPORT_TYPE_UPDATE,
    "unchanged": RowResult.IMPORT_TYPE_SKIP,
}
# What the file picker offers; any other file is read too, and refused with a reason if it is no sheet.
ACCEPTED_FILES = ",".join(
    [
        ".csv", ".txt", ".tsv", ".xlsx", ".ods", "text/csv", "text/plain",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.spreadsheet",
    ]
)  # fmt: skip


def sheet_to_dataset(sheet: Sheet) -> tablib.Dataset:
    width = len(sheet.headers)
    rows = [tuple((list(row) + [""] * width)[:width]) for row in sheet.rows]
    return tablib.Dataset(*rows, headers=sheet.headers)


# --- the import's one format, and the upload form that does not ask for it ---------------------------

# The name the editor's file was uploaded under, while the admin reads it (see uploaded_as).
_upload_name: ContextVar[str] = ContextVar("upload_name", default="")


@contextmanager
def uploaded_as(name: str) -> Iterator[None]:
    """Within it, ProjectSheet reads the bytes it is handed as the file the editor uploaded under `name`.

    django-import-export makes the format and hands it the bytes alone, in the upload's step and again
    in the confirmation's; the admin wraps both in this, so that read_sheet sees the name too.
    """
    token = _upload_name.set(name or "")
    try:
        yield
    finally:
        _upload_name.reset(token)


class ProjectSheet(base_formats.Format):
    """The admin's one import format: whatever sheet the editor uploads, told by its bytes and its name
    (projects.importing.read_sheet: CSV in any of the dialects Excel and LibreOffice write, XLSX, ODS)."""

    def __init__(self, encoding=None, filename: str = "", **kwargs):
        # The admin passes its encoding; the bytes are decoded by projects.importing.sheets instead.
        self.encoding = encoding
        self.filename = filename

    def get_title(self):
        return "sheet"

    def create_dataset(self, in_stream):
        data = in_stream if isinstance(in_stream, bytes) else in_stream.encode("utf-8")
        name = self.filename or _upload_name.get()
        return sheet_to_dataset(read_sheet(data, filename=name, limits=sheet_limits()))

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def can_import(self):
        return True

    def can_export(self):
        return False


class SheetImportForm(ProjectImportForm):
    """The admin's upload, asking for the file only: ProjectSheet tells its format from the file itself.

    django-import-export's form asks for a format (a select its guess_format.js fills in from the file's
    extension, or with one format a read-only text beside a hidden input) and the admin reads it back as
    an index into the import formats. Here the field is gone, the index is always the one format's, and
    neither the script nor the jQuery it needs is loaded.
    """

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        del self.fields["format"]
        upload = self.fields["import_file"]
        upload.widget.attrs["accept"] = ACCEPTED_FILES
        upload.help_text = gettext(
            "A CSV file (separated by ; or ,, UTF-8 or Windows-1252), an Excel workbook (XLSX) or a LibreOffice "
            "one (ODS): the format is recognised from the file."
        )

    def clean(self):
        data = super().clean()
        data["format"] = "0"  # ProjectSheet, the admin's only import format
        return data

    @property
    def media(self):
        return forms.Media()


class ProjectSheetCSV(base_formats.Format):
    """The admin's export as CSV (imports back through ProjectSheet)."""

    def __init__(self, encoding=None, **kwargs):
        self.encoding = encoding

    def get_title(self):
        return "csv"

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
        return False

    def can_export(self):
        return True


class ProjectSheetXLSX(ProjectSheetCSV):
    """The admin's export as an Excel workbook."""

    def get_title(self):
        return "xlsx"

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
        # At confirm time the admin passes the preview's history mark (projects.importing.freshness).
        self.report = report = import_sheet(
            sheet, dry_run=dry_run, publish=self.publish, changed_after=kwargs.get("history_mark")
        )
        return self.result_from_report(report)

    def result_from_report(self, report: ImportReport) -> Result:
        """The report as django-import-export's Result (its totals, its rows for the admin's log), with what the
        preview shows on it as `result.preview` (an ImportPreview)."""
        result = self.get_result_class()()
        result.total_rows = len(report.rows)
        result.busy = report.busy
        result.diff_headers = ["title"]
        result.unknown_columns, result.more_unknown_columns = report.listed_unknown_columns()
        result.created = {kind: names for kind, names in report.created.items() if names}
        # Close names of stored organisations for the new ones ("did you mean"), when the report has them.
        result.suggestions = getattr(report, "suggestions", {}) or {}
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
            row_result.diff = [row_result.object_repr]
            result.increment_row_result_total(row_result)
            result.append_row_result(row_result)
        result.preview = ImportPreview.of(report, suggestions=result.suggestions)
        return result


# --- the admin's preview -------------------------------------------------------------------------

SHORT_TEXT = 160  # characters of a long text the preview shows; the whole text is one click away
SHORT_LIST = 8  # items of a long list the preview shows
# Beside the title, what the preview shows of a new project (the period and the links are added).
NEW_PROJECT_FIELDS = ("acronym", "kind", "code", "cup")
PERIOD_FIELDS = {"start": "start", "start_precision": "start", "end": "end", "end_precision": "end"}


@dataclass
class Shown:
    """A value as the preview shows it: words, or a list; a long one shortened, with the whole of it kept."""

    text: str = ""
    items: list[str] = field(default_factory=list)
    full: str = ""  # the whole text (a list one item a line) when what is shown is shortened
    empty: bool = False


@dataclass
class ShownField:
    label: str
    after: Shown
    before: Shown | None = None  # for a changed project


@dataclass
class RowWithErrors:
    number: int
    title: str
    errors: list[CellError]

    @property
    def anchor(self) -> str:
        return f"row-{self.number}"


@dataclass
class ProjectRow:
    """A new or changed project: its row, its title, where the admin edits it, and its fields."""

    number: int
    title: str
    fields: list[ShownField]
    url: str = ""


@dataclass
class NewRecords:
    """The records of one kind the import creates: (name, the "did you mean" sentence, or "")."""

    label: str
    names: list[tuple[str, str]]
    more: int = 0


@dataclass
class ImportPreview:
    """What the admin's preview shows of a report, every list bounded by LISTED_ROWS or LISTED_NAMES."""

    errors: list[RowWithErrors]
    more_errors: int
    changed: list[ProjectRow]
    more_changed: int
    new: list[ProjectRow]
    more_new: int
    records: list[NewRecords]
    file_errors: list[str]

    @classmethod
    def of(cls, report: ImportReport, *, suggestions: dict) -> ImportPreview:
        with_errors = [row for row in report.rows if row.errors]
        changed = [row for row in report.rows if not row.errors and row.outcome == "changed"]
        new = [row for row in report.rows if not row.errors and row.outcome == "new"]
        names = StoredNames([row.change for row in changed[:LISTED_ROWS]])
        return cls(
            errors=[
                RowWithErrors(row.number, row.values.get("title", ""), row.errors) for row in with_errors[:LISTED_ROWS]
            ],
            more_errors=max(0, len(with_errors) - LISTED_ROWS),
            changed=[changed_project(row, names) for row in changed[:LISTED_ROWS]],
            more_changed=max(0, len(changed) - LISTED_ROWS),
            new=[new_project(row) for row in new[:LISTED_ROWS]],
            more_new=max(0, len(new) - LISTED_ROWS),
            records=new_records(report.created, suggestions),
            file_errors=list(report.file_errors),
        )


def shown_text(text: str) -> Shown:
    if len(text) <= SHORT_TEXT:
        return Shown(text=text)
    return Shown(text=Truncator(text).chars(SHORT_TEXT), full=text)


def shown_list(items: list[str]) -> Shown:
    if not items:
        return empty()
    shortened = [Truncator(item).chars(SHORT_TEXT) for item in items[:SHORT_LIST]]
    if len(items) <= SHORT_LIST and shortened == items:
        return Shown(items=items)
    return Shown(items=shortened, full="\n".join(items))


def empty() -> Shown:
    return Shown(text=gettext("(empty)"), empty=True)


def field_label(name: str) -> str:
    return capfirst(str(Project._meta.get_field(name).verbose_name))


def shown_value(name: str, value) -> Shown:
    """A stored value of a project's field in words: a choice by its label, a list as a list, a long text
    shortened."""
    if value is None or value == "" or value == [] or value == {}:
        return empty()
    if isinstance(value, bool):
        return Shown(text=gettext("yes") if value else gettext("no"))
    model_field = Project._meta.get_field(name)
    if model_field.choices:
        return Shown(text=str(dict(model_field.flatchoices).get(value, value)))
    if name == "duration_months":
        return Shown(text=ngettext("%(count)s month", "%(count)s months", value) % {"count": value})
    if name == "countries":
        return Shown(text=", ".join(value))
    if name == "sources":
        return shown_list([source.get("title") or source.get("url") or source.get("document", "") for source in value])
    if name in ("specific_objectives", "activities"):
        return shown_list([line for line in str(value).splitlines() if line.strip()])
    if isinstance(value, dt.date):
        return Shown(text=value.isoformat())
    return shown_text(str(value))


def shown_bound(date: dt.date | None, precision: str) -> Shown:
    """A start or an end at the precision the source gave: "maggio 2024", "2024", "1 maggio 2024"."""
    if date is None:
        return empty()
    try:
        bound = periods.Bound(date, periods.Precision(precision))
    except ValueError:  # a date stored without its precision
        bound = periods.Bound(date, periods.Precision.DAY)
    return Shown(text=bound.label(get_language() or "it"))


def changed_fields(change: ProjectChange) -> list[ShownField]:
    """Each field the row changes, before and after; a start or an end with its precision as one."""
    project, shown, done = change.project, [], set()
    order = [model_field.name for model_field in Project._meta.concrete_fields]
    for name in sorted(change.fields, key=lambda name: order.index(name) if name in order else len(order)):
        bound = PERIOD_FIELDS.get(name)
        if bound is not None:
            if bound in done:
                continue
            done.add(bound)
            precision = f"{bound}_precision"
            before = shown_bound(
                change.before.get(bound, getattr(project, bound)),
                change.before.get(precision, getattr(project, precision)),
            )
            after = shown_bound(getattr(project, bound), getattr(project, precision))
            shown.append(ShownField(field_label(bound), after, before))
            continue
        shown.append(
            ShownField(
                field_label(name), shown_value(name, getattr(project, name)), shown_value(name, change.before[name])
            )
        )
    return shown


class StoredNames:
    """The names of the records the stored links of some projects point to, a query per kind of record
    (the projects were read with the keys of their links only)."""

    def __init__(self, changes: list[ProjectChange]):
        wanted: dict[str, set[int]] = {kind: set() for kind in RECORD_MODELS}
        for change in changes:
            if "participations" in change.changed_links:
                wanted["partner"].update(p.partner_id for p in change.stored.participations)
            for link in ("funders", "programmes", "territories"):
                if link in change.changed_links:
                    wanted[LINK_KINDS[link]].update(change.stored.records[link])
        self.names: dict[str, dict[int, str]] = {kind: {} for kind in RECORD_MODELS}
        for kind, pks in wanted.items():
            for chunk in chunked(sorted(pks)):
                self.names[kind].update(RECORD_MODELS[kind].objects.filter(pk__in=chunk).values_list("pk", "name"))

    def name(self, kind: str, pk: int) -> str:
        return self.names[kind].get(pk, "?")


LINK_KINDS = {"funders": "funder", "programmes": "programme", "territories": "territory"}


def link_label(link: str) -> str:
    if link == "participations":
        return capfirst(str(Participation._meta.verbose_name_plural))
    if link == "themes":
        return capfirst(str(ProjectTheme._meta.verbose_name_plural))
    if link == "target_groups":
        return capfirst(str(ProjectTargetGroup._meta.verbose_name_plural))
    return field_label(link)


def participation_text(name: str, role: str, unit: str | None) -> str:
    """ "Comune di Brescia – Assessorato alla Casa (lead partner)": the organisation, its unit, its role."""
    named = f"{name}{UNIT_DASH}{unit}" if unit else name
    return f"{named} ({str(Role(role).label).lower()})"


def group_text(code: str, reach: str) -> str:
    label = str(TargetGroup(code).label)
    return f"{label} ({str(Reach(reach).label).lower()})" if reach == Reach.INDIRECT else label


def stored_links(change: ProjectChange, link: str, names: StoredNames) -> list[str]:
    stored = change.stored
    if link == "participations":
        return [participation_text(names.name("partner", p.partner_id), p.role, p.unit) for p in stored.participations]
    if link == "themes":
        return sorted(str(Theme(theme).label) for _, theme in stored.themes)
    if link == "target_groups":
        return sorted(group_text(t.target_group, t.reach) for t in stored.target_groups)
    return sorted(names.name(LINK_KINDS[link], pk) for pk in stored.records[link])


def wanted_links(change: ProjectChange, link: str) -> list[str]:
    wanted = change.links[link]
    if link == "participations":
        stored = {(p.partner_id, p.role): p.unit for p in change.stored.participations}
        # An organisation named without its unit keeps the unit stored (texts: description, unit, reason).
        return [
            participation_text(
                partner.name, role, texts[1] if texts[1] is not None else stored.get((partner.pk, role))
            )
            for partner, role, _order, texts in wanted
        ]
    if link == "themes":
        return sorted(str(Theme(code).label) for code in wanted)
    if link == "target_groups":
        return sorted(group_text(code, reach) for code, reach in wanted.items())
    return sorted(record.name for record in wanted)


def changed_project(row: SheetRow, names: StoredNames) -> ProjectRow:
    change = row.change
    shown = changed_fields(change)
    for link in change.changed_links:
        shown.append(
            ShownField(
                link_label(link),
                shown_list(wanted_links(change, link)),
                shown_list(stored_links(change, link, names)),
            )
        )
    url = reverse("admin:projects_project_change", args=[change.project.pk])
    return ProjectRow(row.number, change.project.title, shown, url)


def new_project(row: SheetRow) -> ProjectRow:
    """A new project's main fields: kind and identifiers, period, organisations, funding, places, themes, summary."""
    change, project = row.change, row.change.project
    shown = [
        ShownField(field_label(name), shown_value(name, getattr(project, name)))
        for name in NEW_PROJECT_FIELDS
        if getattr(project, name)
    ]
    period = periods.Period(project.start_bound, project.end_bound, project.duration_months)
    if period.label():
        shown.append(ShownField(gettext("Period"), Shown(text=period.label(get_language() or "it"))))
    for link in ("participations", "funders", "programmes", "territories", "themes", "target_groups"):
        if change.links.get(link):
            shown.append(ShownField(link_label(link), shown_list(wanted_links(change, link))))
    if project.summary:
        shown.append(ShownField(field_label("summary"), shown_value("summary", project.summary)))
    return ProjectRow(row.number, project.title, shown)


def new_records(created: dict[str, list[str]], suggestions: dict) -> list[NewRecords]:
    """The records an import creates, by kind; the names close to a stored one first, each with its
    "did you mean"."""
    listed = []
    for kind, names in created.items():
        if not names:
            continue
        asked = sorted(names, key=lambda name: name not in suggestions)
        listed.append(
            NewRecords(
                label=capfirst(str(RECORD_MODELS[kind]._meta.verbose_name_plural)),
                names=[(name, did_you_mean(name, suggestions.get(name))) for name in asked[:LISTED_NAMES]],
                more=max(0, len(names) - LISTED_NAMES),
            )
        )
    return listed


def did_you_mean(name: str, close) -> str:
    """ "«Coop. Sociale Il Ponte» will be created: did you mean «Cooperativa sociale Il Ponte onlus»?" """
    if not close:
        return ""
    names = [close] if isinstance(close, str) else list(close)
    return gettext("«%(name)s» will be created: did you mean %(names)s?") % {
        "name": name,
        "names": gettext(" or ").join(f"«{other}»" for other in names),
    }
