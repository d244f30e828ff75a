"""Matching rows to the registry: each readable row is planned by the write layer (projects.services),
whose answers are turned back into errors that name the row and the column.

Three things are the sheet's own and are settled here before a row is handed over: which of its
organisation cells name a unit after the organisation (OrganisationUnits), which territory the
municipalities of its Comuni column make, and which of its sources are the ones already stored.
"""

from __future__ import annotations

from collections import defaultdict

from django.utils.translation import gettext as _

from registry.enums import Role

from ..exports import UNIT_DASH
from ..models import Project, Territory
from ..names import fold_name
from ..services import AmbiguousName, ProjectBatch, ProjectMatchError
from ..services.bulk import chunked
from ..services.matching import RecordIndex
from .columns import NAME_LENGTH, UNIT_LENGTH, SheetColumns
from .report import CellError
from .rows import RowError, SheetRow

# The sheet's columns a field or link of the write layer is read from, most likely first.
FIELD_COLUMNS = {
    "period_text": ("period", "duration"),
    "start": ("start", "period", "duration"),
    "start_precision": ("start", "period", "duration"),
    "end": ("end", "period", "duration"),
    "end_precision": ("end", "period", "duration"),
    "duration_months": ("duration", "duration_months", "period"),
    "participations": ("lead_partner", "partners", "supporting", "members"),
    "territories": ("territories", "municipalities"),
    "target_groups": ("target_groups", "target_groups_indirect", "beneficiaries"),
    "slug": ("slug", "title"),
}


def match_rows(rows: list[SheetRow], *, columns: SheetColumns, publish: bool) -> ProjectBatch:
    """Plan every readable row in one batch; the errors found are added to the rows."""
    readable = [row for row in rows if not row.errors]
    batch = ProjectBatch([row.input for row in readable], publish=publish)
    units = OrganisationUnits(batch.records("partner"), readable) if "participations" in columns.links else None
    places = TerritoryPlanner(batch, readable)

    def add_error(row: SheetRow, field: str, message: str) -> None:
        row.errors.append(CellError(row.number, columns.label(*FIELD_COLUMNS.get(field, (field,))), message))

    for row in readable:
        try:
            if units is not None:
                units.read(row)
            places.plan(row)
            match = batch.match(row.input)
        except RowError as error:
            add_error(row, error.column, error.message)
            continue
        except ProjectMatchError as error:
            add_error(row, error.field, str(error))
            continue
        if row.keep_groups_of and match.project is not None:
            keep_stored_groups(row, match.project, row.keep_groups_of)
        if match.project is not None:
            keep_stored_sources(row, match.project)
            try:
                check_period(row, match.project)
            except RowError as error:
                add_error(row, error.column, error.message)
                continue
        row.change = batch.plan(row.input, match)
        for field, messages in row.change.errors.items():
            for message in messages:
                add_error(row, field, message)
    return batch


def keep_stored_groups(row: SheetRow, project: Project, reach: str) -> None:
    """A sheet with one target-groups column leaves the stored groups of the other reach as they are, but for
    those the column names."""
    for link in project.target_group_links.all():
        if link.reach == reach:
            row.input.target_groups.setdefault(link.target_group, reach)


class OrganisationUnits:
    """Which organisation cells name an organisation and its unit: "Comune di Brescia – Assessorato alla
    Casa e Inclusione Sociale" is the Comune di Brescia, its unit the Assessorato (as the export writes it).

    Names of organisations hold the same dash ("CNAM – Conservatoire National des Arts et Métiers"), so a
    cell is split only when what comes before a dash is known as an organisation and the whole cell is not:
    1. a cell that is an organisation's name (matched as every name is: exactly, else folded) is that name;
    2. else, at the last dash whose left part is an organisation the registry has, or a name the sheet
       gives on its own in another cell, the left part is the organisation and the rest is its unit
       ("Roma Capitale – Dipartimento Politiche Sociali – Ufficio Casa", with "Roma Capitale –
       Dipartimento Politiche Sociali" an organisation, has the unit "Ufficio Casa");
    3. else the whole cell is the name of an organisation (a new one, with no unit).
    A cell with no unit leaves the unit stored as it is. The same organisation named twice with one role
    keeps the unit either cell gives; two different units for it are an error.
    """

    def __init__(self, index: RecordIndex, rows: list[SheetRow]):
        self.index = index
        # Names the sheet gives on their own, folded: an organisation the registry does not have yet is known
        # by them (a lead named alone in the lead column and with its unit in the partners column).
        self.named = {fold_name(item.name) for row in rows for item in row.input.participations or ()}

    def _is_organisation(self, name: str, *, in_sheet: bool) -> bool:
        try:
            if self.index.find(name) is not None:
                return True
        except AmbiguousName:
            return True  # reported when the row is planned
        return in_sheet and fold_name(name) in self.named

    def split(self, text: str) -> tuple[str, str | None]:
        """(organisation, unit) of a cell; the unit None when the cell names none."""
        if UNIT_DASH not in text or self._is_organisation(text, in_sheet=False):
            return text, None
        parts = text.split(UNIT_DASH)
        for cut in range(len(parts) - 1, 0, -1):
            name = UNIT_DASH.join(parts[:cut]).strip()
            if name and self._is_organisation(name, in_sheet=True):
                return name, UNIT_DASH.join(parts[cut:]).strip() or None
        return text, None

    def read(self, row: SheetRow) -> None:
        """Split the units from the row's organisation cells; RowError for a name or unit too long."""
        if row.input.participations is None:
            return
        kept: dict[tuple[str, str], tuple] = {}
        participations = []
        for item, column in zip(row.input.participations, row.organisation_columns, strict=True):
            item.name, item.unit = self.split(item.name)
            if len(item.name) > NAME_LENGTH:
                raise RowError(
                    column,
                    _("«%(name)s…» is longer than %(limit)s characters")
                    % {"name": item.name[:40], "limit": NAME_LENGTH},
                )
            if item.unit is not None and len(item.unit) > UNIT_LENGTH:
                raise RowError(
                    column,
                    _("the unit «%(unit)s…» is longer than %(limit)s characters")
                    % {"unit": item.unit[:40], "limit": UNIT_LENGTH},
                )
            key = (fold_name(item.name), item.role)
            if key not in kept:
                kept[key] = (item, column)
                participations.append(item)
                continue
            first, _column = kept[key]
            if item.unit is not None and first.unit is not None and fold_name(item.unit) != fold_name(first.unit):
                raise RowError(
                    column,
                    _("«%(name)s» is named twice as %(role)s, with the units «%(first)s» and «%(second)s»")
                    % {
                        "name": item.name,
                        "role": str(Role(item.role).label).lower(),
                        "first": first.unit,
                        "second": item.unit,
                    },
                )
            if first.unit is None:
                first.unit = item.unit
        row.input.participations = participations
        row.organisation_columns = [kept[(fold_name(item.name), item.role)][1] for item in participations]


def keep_stored_sources(row: SheetRow, project: Project) -> None:
    """A sheet lists each source by its address only (as the export writes it): the same list keeps
    the titles and dates stored with it."""

    def written(sources: list[dict]) -> list[str]:
        return [source.get("url") or source.get("document", "") for source in sources]

    if "sources" in row.values and written(row.values["sources"]) == written(project.sources):
        del row.values["sources"]


def check_period(row: SheetRow, project: Project) -> None:
    """A sheet giving only the start (or only the end) must agree with the other end already stored."""
    start = row.values["start"] if "start" in row.values else project.start
    end = row.values["end"] if "end" in row.values else project.end
    if start and end and end < start:
        column = "end" if "end" in row.values else "start"
        raise RowError(
            column, _("the period would end (%(end)s) before it starts (%(start)s)") % {"end": end, "start": start}
        )


class TerritoryPlanner:
    """Which territory the municipalities of a row's Comuni column belong to.

    Municipalities listed in a row must lie in the territories it names, or make a new territory: the
    one the row names that does not exist yet, or, when the row names none, «Comuni di <project>».
    """

    def __init__(self, batch: ProjectBatch, rows: list[SheetRow]):
        self.batch = batch
        self.index = batch.records("territory")
        # The municipalities of the stored territories the sheet names, in one query.
        names = {name for row in rows for name in (row.input.territories or [])}
        names |= {self._default_name(row) for row in rows if row.municipalities}
        stored = []
        for name in names:
            try:
                territory = self.index.find(name)
            except AmbiguousName:
                continue  # reported when the row is planned
            if territory is not None and territory.pk is not None:
                stored.append(territory.pk)
        self.codes: dict[int, set[str]] = defaultdict(set)
        for chunk in chunked(sorted(stored)):
            through = Territory.municipalities.through.objects.filter(territory_id__in=chunk)
            for territory_id, code in through.values_list("territory_id", "municipality_id"):
                self.codes[territory_id].add(code)

    @staticmethod
    def _default_name(row: SheetRow) -> str:
        # A record's name, stored and published: Italian whatever language the editor reads the admin in.
        return f"Comuni di {row.values.get('acronym') or row.values['title']}"[:255]

    def _find(self, name: str) -> Territory | None:
        try:
            return self.index.find(name)
        except AmbiguousName as error:
            raise RowError("territories", str(error)) from None

    def _codes(self, territory: Territory) -> set[str]:
        planned = self.batch.planned_codes(territory)
        return planned if planned is not None else self.codes[territory.pk]

    def plan(self, row: SheetRow) -> None:
        if row.input.territories is None:
            return
        # "Valle Ups; VALLE UPS" is one territory named twice: the first spelling is kept.
        names: dict[str, str] = {}
        for name in row.input.territories:
            names.setdefault(fold_name(name), name)
        row.input.territories = list(names.values())
        found = [(name, self._find(name)) for name in row.input.territories]
        stored = [territory for _name, territory in found if territory is not None and territory.pk is not None]
        planned = [(name, territory) for name, territory in found if territory is not None and territory.pk is None]
        new_names = [name for name, territory in found if territory is None]
        covered = set().union(*(self._codes(territory) for territory in stored))
        extra = [code for code in row.municipalities if code not in covered]
        if not new_names and not planned and extra:
            if stored:
                raise RowError(
                    "municipalities",
                    _(
                        "%(count)s municipalities are not in %(territories)s: "
                        "name a new territory for them in the territory column"
                    )
                    % {"count": len(extra), "territories": ", ".join(t.name for t in stored)},
                )
            name = self._default_name(row)
            row.input.territories = [*row.input.territories, name]
            territory = self._find(name)
            if territory is None:
                new_names = [name]
            elif territory.pk is not None and set(row.municipalities) != self._codes(territory):
                # Made by an earlier import of the same row: it must hold the same municipalities.
                raise RowError(
                    "municipalities", _("the territory «%(name)s» exists with other municipalities") % {"name": name}
                )
            elif territory.pk is None:
                planned = [(name, territory)]
        if len(new_names) + len(planned) > 1 and row.municipalities:
            raise RowError(
                "territories",
                _("%(count)s new territories but one list of municipalities: one new territory per row")
                % {"count": len(new_names) + len(planned)},
            )
        for name, territory in planned:
            if self._codes(territory) != set(extra):
                raise RowError(
                    "municipalities",
                    _("the new territory «%(name)s» has other municipalities in an earlier row") % {"name": name},
                )
        for name in new_names:
            self.batch.new_territory(name, set(extra))
