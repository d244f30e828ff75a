"""Matching rows to the registry: each readable row is planned by the write layer (projects.services),
whose answers are turned back into errors that name the row and the column.

Two things are the sheet's own and are settled here before a row is handed over: which territory
the municipalities of its Comuni column make, and which of its sources are the ones already stored.
"""

from __future__ import annotations

from collections import defaultdict

from ..models import Project, Territory
from ..names import fold_name
from ..services import AmbiguousName, ProjectBatch, ProjectMatchError
from ..services.bulk import chunked
from .columns import SheetColumns
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
    "participations": ("lead_partner", "partners", "supporting"),
    "territories": ("territories", "municipalities"),
    "target_groups": ("target_groups", "beneficiaries"),
    "slug": ("slug", "title"),
}


def match_rows(rows: list[SheetRow], *, columns: SheetColumns, publish: bool) -> ProjectBatch:
    """Plan every readable row in one batch; the errors found are added to the rows."""
    readable = [row for row in rows if not row.errors]
    batch = ProjectBatch([row.input for row in readable], publish=publish)
    places = TerritoryPlanner(batch, readable)

    def add_error(row: SheetRow, field: str, message: str) -> None:
        row.errors.append(CellError(row.number, columns.label(*FIELD_COLUMNS.get(field, (field,))), message))

    for row in readable:
        try:
            places.plan(row)
            match = batch.match(row.input)
        except RowError as error:
            add_error(row, error.column, error.message)
            continue
        except ProjectMatchError as error:
            add_error(row, error.field, str(error))
            continue
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
        raise RowError(column, f"the period would end ({end}) before it starts ({start})")


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
        stored = [territory for _, territory in found if territory is not None and territory.pk is not None]
        planned = [(name, territory) for name, territory in found if territory is not None and territory.pk is None]
        new_names = [name for name, territory in found if territory is None]
        covered = set().union(*(self._codes(territory) for territory in stored))
        extra = [code for code in row.municipalities if code not in covered]
        if not new_names and not planned and extra:
            if stored:
                raise RowError(
                    "municipalities",
                    f"{len(extra)} municipalities are not in {', '.join(t.name for t in stored)}: "
                    "name a new territory for them in the territory column",
                )
            name = self._default_name(row)
            row.input.territories = [*row.input.territories, name]
            territory = self._find(name)
            if territory is None:
                new_names = [name]
            elif territory.pk is not None and set(row.municipalities) != self._codes(territory):
                # Made by an earlier import of the same row: it must hold the same municipalities.
                raise RowError("municipalities", f"the territory «{name}» exists with other municipalities")
            elif territory.pk is None:
                planned = [(name, territory)]
        if len(new_names) + len(planned) > 1 and row.municipalities:
            raise RowError(
                "territories",
                f"{len(new_names) + len(planned)} new territories but one list of municipalities: "
                "one new territory per row",
            )
        for name, territory in planned:
            if self._codes(territory) != set(extra):
                raise RowError(
                    "municipalities", f"the new territory «{name}» has other municipalities in an earlier row"
                )
        for name in new_names:
            self.batch.new_territory(name, set(extra))
