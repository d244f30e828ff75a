"""Importing project sheets: every row read and checked first, then all written at once, or nothing.

A sheet (projects.sheets.Sheet) is read in three passes:
1. each row becomes a ProjectRow (texts, period, names of organisations, funders, programmes,
   territories, municipalities), and every cell that cannot be read becomes an error naming its
   row and column;
2. the rows are matched to existing projects by natural key (CUP, else code, else slug) and to
   existing organisations, funders, programmes and territories by name (case and repeated spaces
   ignored), with one query per table for the whole sheet;
3. if no row has an error, the new and changed projects and their links are written in bulk in
   one transaction. A file with any error writes nothing.

The Django admin (through django-import-export, see resources.py) and the `import_projects`
command both run this.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection, transaction
from django.utils.text import slugify

from partners.models import Partner, PartnerKind, Role

from . import periods
from .exports import FIELDS as EXPORT_FIELDS
from .models import (
    Funder,
    Participation,
    Programme,
    Project,
    ProjectTargetGroup,
    ProjectTheme,
    Reach,
    TargetGroup,
    Territory,
    Theme,
    cup_validator,
)
from .places import MunicipalityIndex, MunicipalityNotFound, fold_name
from .sheets import Sheet

# Header (folded: lower case, no accents) -> field. The export's own keys are accepted as they are.
HEADER_ALIASES = {
    "titolo": "title", "nome progetto": "title", "progetto": "title",
    "acronimo": "acronym", "sigla": "acronym",
    "codice": "code", "codice progetto": "code",
    "sintesi": "summary", "descrizione": "summary",
    "obiettivo generale": "general_objective",
    "obiettivi": "specific_objectives", "obiettivi specifici": "specific_objectives",
    "attivita": "activities",
    "destinatari": "beneficiaries",
    "capofila": "lead_partner", "leader": "lead_partner", "ente capofila": "lead_partner",
    "partner": "partners", "partners": "partners",
    "enti sostenitori": "supporting", "supporting bodies": "supporting", "sostenitori": "supporting",
    "ente finanziatore": "funders", "enti finanziatori": "funders", "fonte di finanziamento": "funders",
    "finanziatore": "funders",
    "programma": "programmes", "programmi": "programmes", "bando": "programmes",
    "periodo": "period",
    "data inizio": "start", "inizio": "start",
    "data fine": "end", "fine": "end",
    "durata": "duration",
    "territorio": "territories", "territori": "territories",
    "comuni": "municipalities",
    "paesi": "countries", "paese": "countries",
    "temi": "themes", "tema": "themes",
    "sito": "website", "sito web": "website",
    "fonte": "sources", "fonti": "sources",
    "persone raggiunte": "people_reached",
    "anno candidatura": "application_year", "candidatura": "application_year",
}
FIELDS = set(EXPORT_FIELDS) | set(HEADER_ALIASES.values()) | {
    "general_objective", "specific_objectives", "activities", "beneficiaries", "supporting",
    "period", "duration", "people_reached", "application_year",
}
# Derived from the period, exported for readers, never read back.
IGNORED_FIELDS = {"status"}
LIST_SPLIT = re.compile(r"\s*(?:;|\r?\n)\s*")
BULLET = re.compile(r"^(?:[-•*·▪◦‣–—]|\d+[.)])\s+")
ROLE_SUFFIX = re.compile(r"^(?P<name>.+?)\s*\[(?P<role>lead|partner|supporting)\]$")
MAX_TEXT = {"title": 300, "acronym": 40, "code": 40, "people_reached": 200, "period": 200}


def fold_header(header: str) -> str:
    return fold_name(header.replace("_", " ")).strip()


def map_headers(headers: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column position -> field, and the headers that name no field (reported, then ignored)."""
    columns, unknown = {}, []
    for position, header in enumerate(headers):
        raw = header.strip().lstrip("\ufeff")
        folded = fold_header(raw)
        name = raw if raw in FIELDS else HEADER_ALIASES.get(folded) or (folded.replace(" ", "_") if folded.replace(" ", "_") in FIELDS else None)
        if name is None:
            if raw:
                unknown.append(raw)
            continue
        if name in IGNORED_FIELDS:
            continue
        columns[position] = name
    return columns, unknown


def duplicate_headers(headers: list[str]) -> list[str]:
    """Headers naming a field another column already names (the second would be lost)."""
    seen, duplicates = set(), []
    for position, name in map_headers(headers)[0].items():
        if name in seen:
            duplicates.append(headers[position].strip())
        seen.add(name)
    return duplicates


def split_lines(value: str) -> list[str]:
    """Objectives and activities: one per line (a ';' inside one is part of its text)."""
    items = []
    for part in (value or "").splitlines():
        part = BULLET.sub("", part.strip()).strip()
        if part:
            items.append(part)
    return items


def split_list(value: str) -> list[str]:
    """A multi-valued cell: split on ';' or new lines, bullets and duplicates dropped, order kept."""
    items = []
    for part in LIST_SPLIT.split(value or ""):
        part = BULLET.sub("", part.strip()).strip()
        if part and part not in items:
            items.append(part)
    return items


def normalise_name(name: str) -> str:
    """The key organisations, funders and programmes are matched on: case and spaces ignored."""
    return " ".join(name.split()).casefold()


class RowError(Exception):
    def __init__(self, column: str, message: str):
        self.column = column
        self.message = message
        super().__init__(message)


@dataclass
class CellError:
    row: int  # as the editor counts it: the header is row 1
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ProjectRow:
    number: int
    values: dict = field(default_factory=dict)  # Project fields
    partners: list[tuple[str, str]] = field(default_factory=list)  # (name, role)
    funders: list[str] = field(default_factory=list)
    programmes: list[str] = field(default_factory=list)
    territories: list[str] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)  # ISTAT codes
    themes: list[str] = field(default_factory=list)
    target_groups: dict[str, str] = field(default_factory=dict)  # code -> reach
    explicit_reach: set[str] = field(default_factory=set)  # codes written with [direct] or [indirect]
    target_groups_complete: bool = True
    errors: list[CellError] = field(default_factory=list)
    # Filled in by matching
    project: Project | None = None
    outcome: str = ""  # new, changed, unchanged, error
    changes: list[str] = field(default_factory=list)
    created_names: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        if self.values.get("cup"):
            return ("cup", self.values["cup"])
        if self.values.get("code"):
            return ("code", self.values["code"])
        return ("slug", self.values["slug"])


@dataclass
class ImportReport:
    rows: list[ProjectRow]
    unknown_columns: list[str]
    file_errors: list[str] = field(default_factory=list)
    created: dict[str, list[str]] = field(default_factory=dict)  # kind -> names of new records

    @property
    def errors(self) -> list[CellError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.file_errors or self.errors)

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)


class ThemeVocabulary:
    """Themes and target groups by code or by label (Italian or English), case and accents ignored."""

    def __init__(self):
        from django.utils import translation

        self.themes = self._index(Theme, translation)
        self.target_groups = self._index(TargetGroup, translation)

    @staticmethod
    def _index(choices, translation) -> dict[str, str]:
        index = {}
        for code in choices.values:
            index[fold_header(code)] = code
            for language in ("it", "en"):
                with translation.override(language):
                    index[fold_header(str(choices(code).label))] = code
        return index


class SheetImporter:
    def __init__(self, sheet: Sheet, *, publish: bool = False):
        self.sheet = sheet
        self.publish = publish
        self.columns, self.unknown = map_headers(sheet.headers)
        self.duplicates = duplicate_headers(sheet.headers)
        # With a field named twice, the first column wins (the sheet is refused anyway).
        seen = set()
        for position in sorted(self.columns):
            if self.columns[position] in seen:
                del self.columns[position]
            seen.add(self.columns.get(position))
        self.headers = {position: sheet.headers[position].strip() for position in self.columns}
        present = set(self.columns.values())
        # Links the sheet speaks of; the others are left as they are on existing projects.
        self.links = {
            link for link, columns in (
                ("partners", {"lead_partner", "partners", "supporting"}),
                ("funders", {"funders"}),
                ("programmes", {"programmes"}),
                ("territories", {"territories", "municipalities"}),
                ("themes", {"themes"}),
                ("target_groups", {"target_groups", "beneficiaries"}),
            )
            if columns & present
        }
        self.municipalities = MunicipalityIndex.from_database()
        self.vocabulary = ThemeVocabulary()

    # --- pass 1: read -------------------------------------------------------------------------

    def run(self, *, dry_run: bool) -> ImportReport:
        report = ImportReport(rows=[], unknown_columns=self.unknown)
        if "title" not in self.columns.values():
            report.file_errors.append("the sheet has no title column (Titolo or title)")
        for header in self.duplicates:
            report.file_errors.append(f"the column {header} names a field another column names too")
        if report.file_errors:
            return report
        rows = [self.read_row(number, cells) for number, cells in zip(self.sheet.row_numbers(), self.sheet.rows)]
        report.rows = rows
        self.check_duplicates(rows)
        self.match(rows, report)
        if not report.has_errors and not dry_run:
            self.write(rows, report)
        return report

    def column_label(self, name: str) -> str:
        for position, field_name in self.columns.items():
            if field_name == name:
                return self.headers[position]
        return name

    def read_row(self, number: int, cells: list) -> ProjectRow:
        row = ProjectRow(number=number)
        cell = {}
        for position, name in self.columns.items():
            value = cells[position] if position < len(cells) else ""
            if isinstance(value, dt.date):
                cell[name] = value
                continue
            value = str(value).strip()
            # The export writes a formula-like cell as '=…, '+…, '-…, '@…; read it back as written.
            if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
                value = value[1:]
            cell[name] = value
        beyond = [str(value).strip() for value in cells[len(self.sheet.headers):] if str(value).strip()]
        if beyond:
            row.errors.append(CellError(number, "-", f"{len(beyond)} cells beyond the last column "
                                        f"(«{beyond[0][:40]}»): is there an unquoted ; inside a cell?"))
        readers = [
            self.read_texts, self.read_identifiers, self.read_period, self.read_organisations,
            self.read_funding, self.read_places, self.read_vocabularies, self.read_links,
        ]
        for reader in readers:
            try:
                reader(row, cell)
            except RowError as error:
                row.errors.append(CellError(number, self.column_label(error.column), error.message))
        return row

    def _text(self, cell: dict, name: str) -> str:
        value = cell.get(name, "")
        if isinstance(value, dt.date):
            value = value.isoformat()
        limit = MAX_TEXT.get(name)
        if limit and len(value) > limit:
            raise RowError(name, f"longer than {limit} characters")
        return value

    def read_texts(self, row: ProjectRow, cell: dict) -> None:
        title = self._text(cell, "title")
        if not title:
            raise RowError("title", "the title is empty")
        row.values["title"] = title
        # A column the sheet does not have leaves that field of an existing project as it is.
        for name in ("acronym", "summary", "general_objective", "people_reached"):
            if name in cell:
                row.values[name] = self._text(cell, name)
        for name in ("specific_objectives", "activities"):
            if name in cell:
                row.values[name] = "\n".join(split_lines(self._text(cell, name)))

    def read_identifiers(self, row: ProjectRow, cell: dict) -> None:
        row.values["code"] = self._text(cell, "code")
        cup = self._text(cell, "cup").replace(" ", "").upper()
        if cup:
            try:
                cup_validator(cup)
            except Exception:
                raise RowError("cup", f"«{cup}» is not a CUP (15 characters, such as I69E19001100002)") from None
        row.values["cup"] = cup
        slug = slugify(self._text(cell, "slug") or row.values.get("title", ""))[:255]
        if not slug:
            raise RowError("title", "a slug cannot be made from the title")
        row.values["slug"] = slug
        year = self._text(cell, "application_year")
        if year:
            if not re.fullmatch(r"\d{4}", year):
                raise RowError("application_year", f"«{year}» is not a year")
            row.values["application_year"] = int(year)

    def read_period(self, row: ProjectRow, cell: dict) -> None:
        """Only the parts of the period whose columns the sheet has are set; the others stay as they are."""
        columns = {"period", "start", "end", "duration", "duration_months"} & set(cell)
        if not columns:
            return
        text = self._text(cell, "period")
        duration_column = "duration" if "duration" in cell else "duration_months"
        duration_cell = self._text(cell, duration_column)
        start = end = duration = None
        has_start = has_end = "period" in cell  # a Periodo column states the whole period, even empty
        if text:
            try:
                period = periods.parse_period(text)
            except periods.PeriodError as error:
                raise RowError("period", str(error)) from None
            start, end, duration = period.start, period.end, period.duration_months
        if "start" in cell:
            has_start = True
            start = self._bound(cell["start"], "start", as_end=False) if cell["start"] else start
        if "end" in cell:
            has_end = True
            end = self._bound(cell["end"], "end", as_end=True) if cell["end"] else end
        if duration_cell:
            if re.fullmatch(r"[0-9]{1,4}", duration_cell):
                duration = int(duration_cell)
            else:
                # "Durata: ottobre 2018 – marzo 2020" and "Durata: 26 mesi" are both seen in sheets.
                try:
                    parsed = periods.parse_period(duration_cell)
                except periods.PeriodError as error:
                    raise RowError(duration_column, str(error)) from None
                duration = parsed.duration_months or duration
                if parsed.start and not (has_start and start):
                    start, end, has_start, has_end = parsed.start, parsed.end, True, True
                    text = text or duration_cell
            if duration is not None and not 1 <= duration <= 1200:
                raise RowError(duration_column, f"{duration} months is not a plausible duration")
        try:
            periods.check_order(start, end)
        except periods.PeriodError as error:
            raise RowError("end" if "end" in cell else "period", str(error)) from None
        if "period" in cell or text:
            row.values["period_text"] = text
        if has_start:
            row.values.update(start=start.date if start else None, start_precision=start.precision.value if start else "")
        if has_end:
            row.values.update(end=end.date if end else None, end_precision=end.precision.value if end else "")
        if duration_cell or "period" in cell:
            row.values["duration_months"] = duration

    def _bound(self, value, column: str, *, as_end: bool) -> periods.Bound:
        if isinstance(value, dt.date):
            return periods.Bound(value, periods.Precision.DAY)
        try:
            return periods.parse_bound(value, as_end=as_end)
        except periods.PeriodError as error:
            raise RowError(column, str(error)) from None

    def read_organisations(self, row: ProjectRow, cell: dict) -> None:
        seen = set()

        def add(name: str, role: str, column: str) -> None:
            match = ROLE_SUFFIX.match(name)
            if match:
                name, role = match["name"].strip(), match["role"]
            key = (normalise_name(name), role)
            if key in seen:
                return
            seen.add(key)
            if len(name) > 255:
                raise RowError(column, f"«{name[:40]}…» is longer than 255 characters")
            row.partners.append((" ".join(name.split()), role))

        for name in split_list(self._text(cell, "lead_partner")):
            add(name, Role.LEAD, "lead_partner")
        for name in split_list(self._text(cell, "partners")):
            add(name, Role.PARTNER, "partners")
        for name in split_list(self._text(cell, "supporting")):
            add(name, Role.SUPPORTING, "supporting")
        # Stored lead first, then partners, then supporting bodies: compare and write in that order.
        order = list(Role.values)
        row.partners.sort(key=lambda item: order.index(item[1]))
        leads = {normalise_name(name) for name, role in row.partners if role == Role.LEAD}
        if len(leads) > 1:
            raise RowError("lead_partner", f"a project has one lead partner, this row names {len(leads)}")

    def read_funding(self, row: ProjectRow, cell: dict) -> None:
        row.funders = self._names(cell, "funders")
        row.programmes = self._names(cell, "programmes")

    def _names(self, cell: dict, column: str) -> list[str]:
        names = [" ".join(name.split()) for name in split_list(self._text(cell, column))]
        for name in names:
            if len(name) > 255:
                raise RowError(column, f"«{name[:40]}…» is longer than 255 characters")
        return names

    def read_places(self, row: ProjectRow, cell: dict) -> None:
        row.territories = self._names(cell, "territories")
        codes, problems = [], []
        for text in split_list(self._text(cell, "municipalities")):
            if re.fullmatch(r"[0-9]{4,5}", text):
                text = text.zfill(6)  # a spreadsheet keeps ISTAT codes as numbers and drops their leading zeros
            try:
                code = self.municipalities.resolve(text)
            except MunicipalityNotFound as error:
                problems.append(str(error))
                continue
            if code not in codes:
                codes.append(code)
        if problems:
            raise RowError("municipalities", "; ".join(problems))
        row.municipalities = codes
        if "countries" not in cell:
            return
        countries = [code.upper() for code in split_list(self._text(cell, "countries"))]
        wrong = [code for code in countries if not re.fullmatch(r"[A-Z]{2}", code)]
        if wrong:
            raise RowError("countries", f"{', '.join(wrong)}: use two-letter ISO 3166 codes such as IT or FR")
        row.values["countries"] = countries

    def read_vocabularies(self, row: ProjectRow, cell: dict) -> None:
        themes = []
        for text in split_list(self._text(cell, "themes")):
            code = self.vocabulary.themes.get(fold_header(text))
            if code is None:
                raise RowError("themes", f"«{text}» is not a theme (accepted: {', '.join(Theme.values)})")
            if code not in themes:
                themes.append(code)
        row.themes = themes
        for text in split_list(self._text(cell, "target_groups")):
            reach = None
            match = re.fullmatch(r"(?P<name>.+?)\s*\[(?P<reach>direct|indirect)\]", text)
            if match:
                text, reach = match["name"], match["reach"]
            code = self.vocabulary.target_groups.get(fold_header(text))
            if code is None:
                raise RowError("target_groups", f"«{text}» is not a target group (accepted: {', '.join(TargetGroup.values)})")
            row.target_groups.setdefault(code, reach or Reach.DIRECT)
            if reach:
                row.explicit_reach.add(code)
        # "Destinatari" in a sheet is the source's own words; terms of the vocabulary found in it
        # become target groups, and the words are kept as they are.
        beneficiaries = self._text(cell, "beneficiaries")
        if "beneficiaries" in cell:
            row.values["beneficiaries"] = beneficiaries
        for text in split_list(beneficiaries):
            code = self.vocabulary.target_groups.get(fold_header(text))
            if code:
                row.target_groups.setdefault(code, Reach.DIRECT)
        # Only a target-groups column says which groups a project has; groups found in the
        # Destinatari words are added to those it has.
        row.target_groups_complete = "target_groups" in cell

    def read_links(self, row: ProjectRow, cell: dict) -> None:
        if "website" in cell:
            self.read_website(row, cell)
        if "sources" in cell:
            sources = []
            for text in split_list(self._text(cell, "sources")):
                if re.match(r"^https?://", text):
                    self._check_url(text, "sources")
                    sources.append({"title": text, "url": text})
                else:
                    sources.append({"title": text, "document": text})
            row.values["sources"] = sources

    @staticmethod
    def _check_url(value: str, column: str) -> None:
        try:
            URLValidator(schemes=["http", "https"])(value)
        except ValidationError:
            raise RowError(column, f"«{value[:80]}» is not a web address") from None
        if len(value) > 200:
            raise RowError(column, "a web address longer than 200 characters")

    def read_website(self, row: ProjectRow, cell: dict) -> None:
        website = self._text(cell, "website")
        if website and not re.match(r"^https?://", website):
            website = "https://" + website
        if website:
            self._check_url(website, "website")
        row.values["website"] = website

    def check_duplicates(self, rows: list[ProjectRow]) -> None:
        first = {}
        for row in rows:
            if row.errors:
                continue
            if row.key in first:
                column, value = row.key
                row.errors.append(
                    CellError(row.number, self.column_label(column if column != "slug" else "title"),
                              f"the same project as row {first[row.key]} ({column} {value})")
                )
            else:
                first[row.key] = row.number

    # --- pass 2: match --------------------------------------------------------------------------

    def match(self, rows: list[ProjectRow], report: ImportReport) -> None:
        valid = [row for row in rows if not row.errors]
        self.existing = self.load_projects(valid)
        self.partners = {normalise_name(p.name): p for p in Partner.objects.only("pk", "name")}
        self.funders = {normalise_name(f.name): f for f in Funder.objects.only("pk", "name")}
        self.programmes = {}
        for programme in Programme.objects.only("pk", "name", "short_name"):
            self.programmes[normalise_name(programme.name)] = programme
            if programme.short_name:
                self.programmes.setdefault(normalise_name(programme.short_name), programme)
        self.territories = {normalise_name(t.name): t for t in Territory.objects.only("pk", "name")}
        territory_codes = defaultdict(set)
        through = Territory.municipalities.through.objects.filter(territory_id__in=[t.pk for t in self.territories.values()])
        for territory_id, code in through.values_list("territory_id", "municipality_id"):
            territory_codes[territory_id].add(code)
        self.territory_codes = territory_codes
        self.new_territories: dict[str, set[str]] = {}
        self.noted: set[tuple[str, str]] = set()
        for kind, names in (("partner", self.partners), ("funder", self.funders), ("programme", self.programmes)):
            report.created.setdefault(kind, [])
        report.created.setdefault("territory", [])

        claimed: dict[int, int] = {}  # project pk -> the row that matched it
        for row in rows:
            if row.errors:
                row.outcome = "error"
                continue
            try:
                self.resolve_territories(row, report)
            except RowError as error:
                row.errors.append(CellError(row.number, self.column_label(error.column), error.message))
                row.outcome = "error"
                continue
            for name, _role in row.partners:
                if normalise_name(name) not in self.partners:
                    self._note_new(report, row, "partner", name)
            for name in row.funders:
                if normalise_name(name) not in self.funders:
                    self._note_new(report, row, "funder", name)
            for name in row.programmes:
                if normalise_name(name) not in self.programmes:
                    self._note_new(report, row, "programme", name)
            try:
                row.project = self.find_project(row)
                if row.project is not None:
                    if row.project.pk in claimed:
                        raise RowError("title", f"the same project as row {claimed[row.project.pk]} («{row.project.title}»)")
                    claimed[row.project.pk] = row.number
                    row.changes = self.differences(row, row.project)
                    self.check_period(row, row.project)
            except RowError as error:
                row.errors.append(CellError(row.number, self.column_label(error.column), error.message))
                row.outcome = "error"
                continue
            row.outcome = "new" if row.project is None else "changed" if row.changes else "unchanged"

    def find_project(self, row: ProjectRow) -> Project | None:
        """The existing project the row is: by CUP, else code, else slug; keys that disagree are an error."""
        found = []
        for column in ("cup", "code", "slug"):
            value = row.values.get(column)
            if not value:
                continue
            matches = self.existing[column].get(value, [])
            if len(matches) > 1:
                raise RowError(column, f"{len(matches)} projects have {column} {value}: give the CUP to tell them apart")
            if matches:
                found.append((column, value, matches[0]))
        if not found:
            return None
        column, value, project = found[0]
        for other_column, other_value, other in found[1:]:
            if other.pk != project.pk and other_column != "slug":
                raise RowError(
                    other_column,
                    f"{column} {value} is «{project.title}» but {other_column} {other_value} is «{other.title}»",
                )
        for key in ("cup", "code"):
            mine, theirs = row.values.get(key), getattr(project, key)
            if mine and theirs and mine != theirs:
                raise RowError(key, f"«{project.title}», found by {column} {value}, has {key} {theirs}, not {mine}")
        return project

    @staticmethod
    def check_period(row: ProjectRow, project: Project) -> None:
        """A sheet giving only the start (or only the end) must agree with the other end already stored."""
        start = row.values.get("start", project.start) if "start" in row.values else project.start
        end = row.values.get("end", project.end) if "end" in row.values else project.end
        if start and end and end < start:
            raise RowError("end" if "end" in row.values else "start", f"the period would end ({end}) before it starts ({start})")

    def _note_new(self, report: ImportReport, row: ProjectRow, kind: str, name: str) -> None:
        key = (kind, normalise_name(name))
        if key not in self.noted:
            self.noted.add(key)
            report.created[kind].append(name)
        row.created_names.append(f"{kind}: {name}")

    def resolve_territories(self, row: ProjectRow, report: ImportReport) -> None:
        """Territories by name; municipalities listed in the row must lie in them or make a new one."""
        known = [self.territories[normalise_name(n)] for n in row.territories if normalise_name(n) in self.territories]
        new_names = [n for n in row.territories if normalise_name(n) not in self.territories]
        covered = set().union(*(self.territory_codes[t.pk] for t in known)) if known else set()
        extra = [code for code in row.municipalities if code not in covered]
        if not new_names and extra:
            if known:
                raise RowError(
                    "municipalities",
                    f"{len(extra)} municipalities are not in {', '.join(t.name for t in known)}: "
                    "name a new territory for them in the territory column",
                )
            name = f"Comuni di {row.values.get('acronym') or row.values['title']}"[:255]
            row.territories.append(name)
            if normalise_name(name) in self.territories:
                # Made by an earlier import of the same row: it must hold the same municipalities.
                territory = self.territories[normalise_name(name)]
                if set(row.municipalities) != self.territory_codes[territory.pk]:
                    raise RowError("municipalities", f"the territory «{name}» exists with other municipalities")
                return
            new_names = [name]
        if len(new_names) > 1 and row.municipalities:
            raise RowError("territories", f"{len(new_names)} new territories but one list of municipalities: one new territory per row")
        for name in new_names:
            key = normalise_name(name)
            codes = set(extra)
            if key in self.new_territories and self.new_territories[key] != codes:
                raise RowError("municipalities", f"the new territory «{name}» has other municipalities in an earlier row")
            if key not in self.new_territories:
                self.new_territories[key] = codes
                self._note_new(report, row, "territory", name)

    def load_projects(self, rows: list[ProjectRow]) -> dict[str, dict[str, list[Project]]]:
        """Existing projects by CUP, by code and by slug, with the links that are compared; one query per table."""
        values = {column: {row.values[column] for row in rows if row.values.get(column)} for column in ("cup", "code", "slug")}
        projects: dict[int, Project] = {}
        for column, wanted in values.items():
            wanted = list(wanted)
            for start in range(0, len(wanted), 500):
                for pk in Project.objects.filter(**{f"{column}__in": wanted[start:start + 500]}).values_list("pk", flat=True):
                    projects[pk] = None
        ids = list(projects)
        for start in range(0, len(ids), 500):
            for project in Project.objects.filter(pk__in=ids[start:start + 500]).prefetch_related(
                "participations__partner", "funders", "programmes", "territories", "theme_links", "target_group_links"
            ):
                projects[project.pk] = project
        found: dict[str, dict[str, list[Project]]] = {"cup": defaultdict(list), "code": defaultdict(list), "slug": defaultdict(list)}
        for project in projects.values():
            for column in found:
                if getattr(project, column):
                    found[column][getattr(project, column)].append(project)
        return found

    SIMPLE_FIELDS = (
        "title", "acronym", "summary", "general_objective", "specific_objectives", "activities",
        "beneficiaries", "people_reached", "period_text", "start", "start_precision", "end",
        "end_precision", "duration_months", "countries", "website", "sources", "code", "cup",
        "application_year",
    )

    def differences(self, row: ProjectRow, project: Project) -> list[str]:
        """The fields and links the row would change; it also drops values that only look different."""
        values = row.values
        if "sources" in values:
            # The export writes each source as its URL or document: the same list keeps the titles.
            def written(sources):
                return [source.get("url") or source.get("document", "") for source in sources]

            if written(values["sources"]) == written(project.sources):
                del values["sources"]
        dates = ("start", "start_precision", "end", "end_precision")
        if "period_text" not in values and any(name in values and values[name] != getattr(project, name) for name in dates):
            values["period_text"] = ""  # the stated period no longer matches the dates
        if "duration_months" in values and values["duration_months"] is None and "period_text" not in values:
            del values["duration_months"]
        # A target group named without its reach keeps the reach it has.
        current_groups = {link.target_group: link.reach for link in project.target_group_links.all()}
        if not row.target_groups_complete:
            row.target_groups = {**row.target_groups, **current_groups}
        for code in row.target_groups:
            if code in current_groups and code not in row.explicit_reach:
                row.target_groups[code] = current_groups[code]

        changes = [
            name for name in self.SIMPLE_FIELDS
            if name in values and values[name] != getattr(project, name)
            and not (name in ("code", "cup") and not values[name])
        ]
        current_partners = [(normalise_name(link.partner.name), link.role) for link in project.participations.all()]
        if "partners" in self.links and current_partners != [(normalise_name(name), role) for name, role in row.partners]:
            changes.append("partners")
        for name, registry, manager in (
            ("funders", self.funders, project.funders),
            ("programmes", self.programmes, project.programmes),
            ("territories", self.territories, project.territories),
        ):
            wanted = {registry[normalise_name(n)].pk if normalise_name(n) in registry else n for n in getattr(row, name)}
            if name in self.links and wanted != {obj.pk for obj in manager.all()}:
                changes.append(name)
        if "themes" in self.links and {link.theme for link in project.theme_links.all()} != set(row.themes):
            changes.append("themes")
        if "target_groups" in self.links and current_groups != row.target_groups:
            changes.append("target_groups")
        return changes

    # --- pass 3: write --------------------------------------------------------------------------

    @transaction.atomic
    def write(self, rows: list[ProjectRow], report: ImportReport) -> None:
        # New records of every kind in one statement each, with slugs that are free.
        created = {
            "partner": (Partner, self.partners, {"kind": PartnerKind.OTHER}),
            "funder": (Funder, self.funders, {}),
            "programme": (Programme, self.programmes, {}),
            "territory": (Territory, self.territories, {}),
        }
        for kind, (model, registry, extra) in created.items():
            names = report.created[kind]
            if not names:
                continue
            slugs = self._free_slugs(model, names)
            objects = model.objects.bulk_create([model(name=name, slug=slug, **extra) for name, slug in zip(names, slugs)])
            for obj in objects:
                registry[normalise_name(obj.name)] = obj
        insert_rows(
            Territory.municipalities.through,
            ["territory_id", "municipality_id"],
            [
                (self.territories[normalise_name(name)].pk, code)
                for name in report.created["territory"]
                for code in sorted(self.new_territories[normalise_name(name)])
            ],
        )

        to_write = [row for row in rows if row.outcome in ("new", "changed")]
        new_projects = []
        for row in to_write:
            if row.outcome == "new":
                row.project = Project(is_published=self.publish)
                new_projects.append(row.project)
            for name, value in row.values.items():
                if name in ("code", "cup") and not value and row.outcome == "changed":
                    continue
                setattr(row.project, name, value)
        for project, slug in zip(new_projects, self._free_slugs(Project, [p.slug for p in new_projects])):
            project.slug = slug
        Project.objects.bulk_create(new_projects, batch_size=500)
        changed = [row.project for row in to_write if row.outcome == "changed"]
        if changed:
            Project.objects.bulk_update(changed, list(self.SIMPLE_FIELDS), batch_size=500)

        # Links of changed projects are replaced where the sheet speaks of them (new projects have none).
        replaced = {
            "partners": Participation, "themes": ProjectTheme, "target_groups": ProjectTargetGroup,
            "funders": Project.funders.through, "programmes": Project.programmes.through,
            "territories": Project.territories.through,
        }
        changed_ids = [row.project.pk for row in to_write if row.outcome == "changed"]
        for chunk_start in range(0, len(changed_ids), 500):
            chunk = changed_ids[chunk_start:chunk_start + 500]
            for link in self.links:
                replaced[link].objects.filter(project_id__in=chunk).delete()

        # Links as plain tuples of column values: tens of thousands of them are written per sheet.
        link_rows: dict[str, list[tuple]] = defaultdict(list)
        role_order = list(Role.values)
        for row in to_write:
            project_id = row.project.pk
            keep_all = row.outcome == "new"  # a changed project keeps the links the sheet does not speak of
            if keep_all or "partners" in self.links:
                counters = defaultdict(int)
                for name, role in row.partners:
                    counters[role] += 1
                    partner_id = self.partners[normalise_name(name)].pk
                    link_rows["partners"].append((project_id, partner_id, role, role_order.index(role), counters[role], ""))
            if keep_all or "themes" in self.links:
                link_rows["themes"] += [(project_id, code) for code in row.themes]
            if keep_all or "target_groups" in self.links:
                link_rows["target_groups"] += [(project_id, code, reach) for code, reach in row.target_groups.items()]
            for link, registry in (("funders", self.funders), ("programmes", self.programmes), ("territories", self.territories)):
                if keep_all or link in self.links:
                    ids = dict.fromkeys(registry[normalise_name(name)].pk for name in getattr(row, link))
                    link_rows[link] += [(project_id, other_id) for other_id in ids]
        columns = {
            "partners": ["project_id", "partner_id", "role", "role_order", "order", "description"],
            "themes": ["project_id", "theme"],
            "target_groups": ["project_id", "target_group", "reach"],
            "funders": ["project_id", "funder_id"],
            "programmes": ["project_id", "programme_id"],
            "territories": ["project_id", "territory_id"],
        }
        for link, rows_of_link in link_rows.items():
            insert_rows(replaced[link], columns[link], rows_of_link)

    @staticmethod
    def _free_slugs(model, texts: list[str]) -> list[str]:
        """A slug for each text, unused in the table and among themselves (name-2, name-3… on a clash)."""
        bases = [slugify(text)[:240] or "voce" for text in texts]
        taken = set()
        for start in range(0, len(bases), 1000):
            taken.update(model.objects.filter(slug__in=bases[start:start + 1000]).values_list("slug", flat=True))
        # Only a base already in use can have numbered variants in use too.
        for base in set(bases) & taken:
            taken.update(model.objects.filter(slug__startswith=f"{base}-").values_list("slug", flat=True))
        slugs = []
        for base in bases:
            slug, number = base, 2
            while slug in taken:
                slug, number = f"{base}-{number}", number + 1
            taken.add(slug)
            slugs.append(slug)
        return slugs


def insert_rows(model, columns: list[str], rows: list[tuple]) -> None:
    """Insert rows of column values: PostgreSQL's COPY where there is one, bulk_create elsewhere.

    Link rows are the bulk of an import (five or more per project); building a model instance for
    each costs more than the database does to store it.
    """
    if not rows:
        return
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(model._meta.db_table)
        names = ", ".join(connection.ops.quote_name(model._meta.get_field(c).column) for c in columns)
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)
        return
    model.objects.bulk_create([model(**dict(zip(columns, values))) for values in rows], batch_size=1000)


def import_sheet(sheet: Sheet, *, dry_run: bool, publish: bool = False) -> ImportReport:
    return SheetImporter(sheet, publish=publish).run(dry_run=dry_run)


TEMPLATE_COLUMNS = [
    ("Titolo", "title"), ("Acronimo", "acronym"), ("Codice", "code"), ("CUP", "cup"), ("Sintesi", "summary"),
    ("Obiettivo generale", "general_objective"), ("Obiettivi", "specific_objectives"), ("Attività", "activities"),
    ("Destinatari", "beneficiaries"), ("Capofila", "lead_partner"), ("Partner", "partners"),
    ("Enti sostenitori", "supporting"), ("Ente finanziatore", "funders"), ("Programma", "programmes"),
    ("Periodo", "period"), ("Data inizio", "start"), ("Data fine", "end"), ("Durata", "duration_months"),
    ("Territorio", "territories"), ("Comuni", "municipalities"), ("Paesi", "countries"), ("Temi", "themes"),
    ("Sito", "website"), ("Fonte", "sources"),
]


def template_sheet() -> str:
    """The import template: Italian headers and one row taken from a published project, as Excel
    saves a CSV in an Italian locale (UTF-8 with BOM, `;`, CRLF)."""
    import csv
    import io

    from .exports import escape_formula

    example = (
        Project.objects.published().exclude(cup="").with_export_data().first()
        or Project.objects.published().with_export_data().first()
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([header for header, _ in TEMPLATE_COLUMNS])
    if example is not None:
        roles = {role: [link.partner.name for link in example.participations.all() if link.role == role] for role in Role}
        values = {
            "title": example.title, "acronym": example.acronym, "code": example.code, "cup": example.cup,
            "summary": example.summary, "general_objective": example.general_objective,
            "specific_objectives": example.specific_objectives, "activities": example.activities,
            "beneficiaries": example.beneficiaries,
            "lead_partner": "; ".join(roles[Role.LEAD]), "partners": "; ".join(roles[Role.PARTNER]),
            "supporting": "; ".join(roles[Role.SUPPORTING]),
            "funders": "; ".join(f.name for f in example.funders.all()),
            "programmes": "; ".join(p.name for p in example.programmes.all()),
            "period": example.period_text, "start": "" if example.period_text else example.start_iso,
            "end": "" if example.period_text else example.end_iso,
            "duration_months": example.duration_months or "",
            "territories": "; ".join(t.name for t in example.territories.all()),
            "municipalities": "", "countries": "; ".join(example.countries),
            "themes": "; ".join(str(label) for label in example.theme_labels),
            "website": example.website,
            "sources": "; ".join(s.get("url") or s.get("document", "") for s in example.sources),
        }
        writer.writerow([escape_formula(str(values[name])) for _, name in TEMPLATE_COLUMNS])
    return "\ufeff" + buffer.getvalue()
