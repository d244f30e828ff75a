"""Reading rows: each row of a sheet becomes a ProjectInput for the write layer, or errors naming its cells.

Reading only interprets what a row says (texts, identifiers, a period in Italian, names, places,
themes); which stored project and which organisations those are is decided by matching.

Messages are made as the rows are read, in the language then active: the admin's request's, or
the command's.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify
from django.utils.translation import gettext as _

from registry.enums import InitiativeKind, Reach, Role, TargetGroup, Theme

from .. import periods
from ..exports import UNIT_DASH
from ..models import cup_validator
from ..names import tidy_name
from ..places import MunicipalityIndex, MunicipalityNotFound
from ..services import ParticipationInput, ProjectChange, ProjectInput
from .columns import (
    MAX_LENGTHS,
    NAME_LENGTH,
    UNIT_LENGTH,
    URL_LENGTH,
    SheetColumns,
    Vocabulary,
    fold_header,
    split_lines,
    split_list,
)
from .report import CellError

ROLE_SUFFIX = re.compile(r"^(?P<name>.+?)\s*\[(?P<role>lead|partner|supporting|member)\]$")
REACH_SUFFIX = re.compile(r"(?P<name>.+?)\s*\[(?P<reach>direct|indirect)\]")
FORMULA_STARTS = ("=", "+", "-", "@")
# The organisation columns and the role each gives, unless a name says its own ("Ente [lead]").
ROLE_COLUMNS = (
    ("lead_partner", Role.LEAD), ("partners", Role.PARTNER), ("supporting", Role.SUPPORTING), ("members", Role.MEMBER),
)  # fmt: skip
# A year of application before this or after the next is a typing error.
YEARS = (1950, 2100)
# Made once: a sheet's websites and sources are checked by the thousand.
WEB_ADDRESS = URLValidator(schemes=["http", "https"])


class RowError(Exception):
    """A cell that cannot be read; `column` is the field it fills."""

    def __init__(self, column: str, message: str):
        self.column = column
        self.message = message
        super().__init__(message)


@dataclass
class SheetRow:
    number: int  # as the editor counts it: the header is row 1
    input: ProjectInput = field(default_factory=ProjectInput)
    municipalities: list[str] = field(default_factory=list)  # ISTAT codes of the Comuni column
    # The column each of input.participations was read from, in the same order.
    organisation_columns: list[str] = field(default_factory=list)
    # One target-groups column only: the stored groups of the other reach are kept (see matching).
    keep_groups_of: str | None = None
    errors: list[CellError] = field(default_factory=list)
    change: ProjectChange | None = None  # set by matching

    @property
    def values(self) -> dict:
        return self.input.values

    @property
    def outcome(self) -> str:
        if self.errors or self.change is None:
            return "error"
        return self.change.outcome

    @property
    def project(self):
        return self.change.project if self.change else None

    @property
    def changes(self) -> list[str]:
        return self.change.changes if self.change else []


class RowReader:
    """Reads the rows of one sheet, with the sheet's columns and the registry's places and vocabularies."""

    def __init__(self, columns: SheetColumns, municipalities: MunicipalityIndex):
        self.columns = columns
        self.municipalities = municipalities
        self.vocabulary = Vocabulary()

    def read(self, number: int, cells: list) -> SheetRow:
        row = SheetRow(number=number, input=ProjectInput(label=_("row %(number)s") % {"number": number}))
        cell = {}
        for position, name in self.columns.positions.items():
            value = cells[position] if position < len(cells) else ""
            if isinstance(value, dt.date):
                cell[name] = value
                continue
            value = str(value).strip()
            # The export writes a formula-like cell as '=…, '+…, '-…, '@…; read it back as written.
            if value[:1] == "'" and value[1:2] in FORMULA_STARTS:
                value = value[1:]
            cell[name] = value
        beyond = [str(value).strip() for value in cells[self.columns.width :] if str(value).strip()]
        if beyond:
            row.errors.append(
                CellError(
                    number,
                    "-",
                    _("%(count)s cells beyond the last column («%(first)s»): is there an unquoted ; inside a cell?")
                    % {"count": len(beyond), "first": beyond[0][:40]},
                )
            )
        readers = [
            self.read_texts, self.read_identifiers, self.read_period, self.read_organisations,
            self.read_funding, self.read_places, self.read_vocabularies, self.read_links,
        ]  # fmt: skip
        for reader in readers:
            try:
                reader(row, cell)
            except RowError as error:
                row.errors.append(CellError(number, self.columns.label(error.column), error.message))
        return row

    @staticmethod
    def _text(cell: dict, name: str) -> str:
        value = cell.get(name, "")
        if isinstance(value, dt.date):
            value = value.isoformat()
        limit = MAX_LENGTHS.get(name)
        if limit and len(value) > limit:
            raise RowError(name, _("longer than %(limit)s characters") % {"limit": limit})
        return value

    def read_texts(self, row: SheetRow, cell: dict) -> None:
        title = self._text(cell, "title")
        if not title:
            raise RowError("title", _("the title is empty"))
        row.values["title"] = title
        # A column the sheet does not have leaves that field of an existing project as it is.
        for name in ("acronym", "summary", "general_objective", "people_reached"):
            if name in cell:
                row.values[name] = self._text(cell, name)
        for name in ("specific_objectives", "activities"):
            if name in cell:
                row.values[name] = "\n".join(split_lines(self._text(cell, name)))
        # An empty Tipo cell says nothing: a new project is a project, a stored one keeps its kind.
        kind = self._text(cell, "kind")
        if kind:
            code = self.vocabulary.kinds.get(fold_header(kind))
            if code is None:
                accepted = ", ".join(InitiativeKind.values)
                raise RowError(
                    "kind",
                    _("«%(kind)s» is not a kind of initiative (accepted: %(accepted)s)")
                    % {"kind": kind, "accepted": accepted},
                )
            row.values["kind"] = code

    def read_identifiers(self, row: SheetRow, cell: dict) -> None:
        # An empty CUP or code cell says nothing: it never erases the one stored.
        code = self._text(cell, "code")
        if code:
            row.values["code"] = code
        cup = self._text(cell, "cup").replace(" ", "").upper()
        if cup:
            try:
                cup_validator(cup)
            except ValidationError:
                raise RowError(
                    "cup", _("«%(cup)s» is not a CUP (15 characters, such as I69E19001100002)") % {"cup": cup}
                ) from None
            row.values["cup"] = cup
        row.input.slug = slugify(self._text(cell, "slug"))[:255]
        year = self._text(cell, "application_year")
        if year:
            if not re.fullmatch(r"\d{4}", year):
                raise RowError("application_year", _("«%(year)s» is not a year") % {"year": year})
            if not YEARS[0] <= int(year) <= YEARS[1]:
                raise RowError("application_year", _("%(year)s is not a plausible year") % {"year": year})
            row.values["application_year"] = int(year)

    def read_period(self, row: SheetRow, cell: dict) -> None:
        """Only the parts of the period whose columns the sheet has are set; the others stay as they are."""
        if not {"period", "start", "end", "duration", "duration_months"} & set(cell):
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
                raise RowError(
                    duration_column, _("%(months)s months is not a plausible duration") % {"months": duration}
                )
        try:
            periods.check_order(start, end)
        except periods.PeriodError as error:
            raise RowError("end" if "end" in cell else "period", str(error)) from None
        if "period" in cell or text:
            row.values["period_text"] = text
        if has_start:
            row.values.update(periods.bound_fields("start", start))
        if has_end:
            row.values.update(periods.bound_fields("end", end))
        # A duration is stated by a Durata cell, or (even empty) by a Periodo column.
        if duration_cell or "period" in cell:
            row.values["duration_months"] = duration

    @staticmethod
    def _bound(value, column: str, *, as_end: bool) -> periods.Bound:
        if isinstance(value, dt.date):
            return periods.Bound(value, periods.Precision.DAY)
        try:
            return periods.parse_bound(value, as_end=as_end)
        except periods.PeriodError as error:
            raise RowError(column, str(error)) from None

    def read_organisations(self, row: SheetRow, cell: dict) -> None:
        if "participations" not in self.columns.links:
            return
        row.input.participations = []
        # A name may be followed by its unit ("Comune di Brescia – Assessorato…"), split from it by matching.
        longest = NAME_LENGTH + len(UNIT_DASH) + UNIT_LENGTH
        for column, role in ROLE_COLUMNS:
            for name in self._names(cell, column, longest=longest):
                match = ROLE_SUFFIX.match(name)
                if match:
                    name, role_written = match["name"].strip(), match["role"]
                else:
                    role_written = role
                row.input.participations.append(ParticipationInput(name=name, role=role_written))
                row.organisation_columns.append(column)

    def read_funding(self, row: SheetRow, cell: dict) -> None:
        for link in ("funders", "programmes"):
            if link in self.columns.links:
                setattr(row.input, link, self._names(cell, link))

    def _names(self, cell: dict, column: str, *, longest: int = NAME_LENGTH) -> list[str]:
        names = [tidy_name(name) for name in split_list(self._text(cell, column))]
        for name in names:
            if len(name) > longest:
                raise RowError(
                    column,
                    _("«%(name)s…» is longer than %(limit)s characters") % {"name": name[:40], "limit": longest},
                )
        return names

    def read_places(self, row: SheetRow, cell: dict) -> None:
        if "territories" in self.columns.links:
            row.input.territories = self._names(cell, "territories")
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
            raise RowError(
                "countries",
                _("%(codes)s: use two-letter ISO 3166 codes such as IT or FR") % {"codes": ", ".join(wrong)},
            )
        row.values["countries"] = countries

    def read_vocabularies(self, row: SheetRow, cell: dict) -> None:
        if "themes" in self.columns.links:
            themes = []
            for text in split_list(self._text(cell, "themes")):
                code = self.vocabulary.themes.get(fold_header(text))
                if code is None:
                    raise RowError(
                        "themes",
                        _("«%(text)s» is not a theme (accepted: %(accepted)s)")
                        % {"text": text, "accepted": ", ".join(Theme.values)},
                    )
                themes.append(code)
            row.input.themes = list(dict.fromkeys(themes))
        if "target_groups" not in self.columns.links:
            return
        direct, indirect = "target_groups" in cell, "target_groups_indirect" in cell
        groups: dict[str, str | None] = {}
        # With both columns each says its reach; a target_groups column alone (as exports wrote it before
        # target_groups_indirect) leaves each group the reach it has ("[indirect]" after a code says it).
        for column, reach in (
            ("target_groups", Reach.DIRECT if indirect else None),
            ("target_groups_indirect", Reach.INDIRECT),
        ):
            for text in split_list(self._text(cell, column)):
                written = reach
                match = REACH_SUFFIX.fullmatch(text)
                if match:
                    text, written = match["name"], match["reach"]
                code = self.vocabulary.target_groups.get(fold_header(text))
                if code is None:
                    accepted = ", ".join(TargetGroup.values)
                    raise RowError(
                        column,
                        _("«%(text)s» is not a target group (accepted: %(accepted)s)")
                        % {"text": text, "accepted": accepted},
                    )
                if code in groups and groups[code] != written:
                    raise RowError(
                        column, _("«%(text)s» is named as a direct and as an indirect target group") % {"text": text}
                    )
                groups.setdefault(code, written)
        beneficiaries = self._text(cell, "beneficiaries")
        if "beneficiaries" in cell:
            row.values["beneficiaries"] = beneficiaries
        if not (direct or indirect):
            # "Destinatari" in a sheet is the source's own words; with no target-group column, terms of the
            # vocabulary found in it are added to the groups the project has (with the reach they have, or
            # direct), and the words are kept as they are.
            for text in split_list(beneficiaries):
                code = self.vocabulary.target_groups.get(fold_header(text))
                if code:
                    groups.setdefault(code, None)
        row.input.target_groups = groups
        # A target-group column says which groups of its reach a project has: those it lists replace those
        # stored. With one column only, the stored groups of the other reach are kept (a sheet without the
        # indirect column, say, leaves the indirect groups as they are), but for those it names.
        row.input.target_groups_replace = direct or indirect
        row.keep_groups_of = (
            Reach.INDIRECT if direct and not indirect else Reach.DIRECT if indirect and not direct else None
        )

    def read_links(self, row: SheetRow, cell: dict) -> None:
        if "website" in cell:
            website = self._text(cell, "website")
            if website and not re.match(r"^https?://", website):
                website = "https://" + website
            if website:
                self._check_url(website, "website")
            row.values["website"] = website
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
            WEB_ADDRESS(value)
        except ValidationError:
            raise RowError(column, _("«%(value)s» is not a web address") % {"value": value[:80]}) from None
        if len(value) > URL_LENGTH:
            raise RowError(column, _("a web address longer than %(limit)s characters") % {"limit": URL_LENGTH})
