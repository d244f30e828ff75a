"""One record per project, the same for the JSON and the CSV export (which imports back unchanged),
and the import template: the headers editors may use, with one example row.

`project_record` makes the record of one project read with `with_export_data()`; the exports make
the same records with `export_records`, from plain rows read a chunk at a time (see there). Both go
through `make_record`, so that the record is written once.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import operator
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from functools import partial
from itertools import groupby, islice
from typing import Any

import orjson
from django.db.models import CharField, IntegerField, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone

from partners.models import Partner
from registry.enums import Reach, Role, TargetGroup, Theme
from registry.sql import among

from . import periods, status
from .models import Participation, Programme, Project, ProjectTargetGroup, ProjectTheme, Territory
from .names import tidy_name
from .sql import CompiledQuery, Joined, read_ahead

EXPORT_COLUMNS = [
    "slug",
    "title",
    "acronym",
    "code",
    "cup",
    "summary",
    "lead_partner",
    "partners",
    "funders",
    "programmes",
    "start",
    "end",
    "duration_months",
    "status",
    "themes",
    "target_groups",
    "territories",
    "municipalities",
    "countries",
    "website",
    "sources",
    # Added after the first release: after the others, so that a reader of the CSV by position keeps working.
    "kind",
    "application_year",
    "general_objective",
    "specific_objectives",
    "activities",
    "beneficiaries",
    "people_reached",
    "target_groups_indirect",
    "programme_funders",
    "territory_details",
    "related",
]
LIST_SEPARATOR = "; "
# Lists of free texts (objectives, activities, territories with their notes, programmes' funders with the reason)
# are written in a CSV cell one item per line: their items may hold "; " themselves.
LINE_SEPARATOR = "\n"
# Between an organisation's name and its unit (the office or department), as sources write them:
# "Comune di Brescia – Assessorato alla Casa e Inclusione Sociale". The import reads it back
# (projects.importing.matching.OrganisationUnits).
UNIT_DASH = " – "
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The project's own fields a record is made from, in the order `make_record` takes them; the JSON ones last.
JSON_FIELDS = ("countries", "sources")
RECORD_FIELDS = (
    "slug", "title", "acronym", "code", "cup", "summary", "start", "start_precision", "end", "end_precision",
    "duration_months", "website", "kind", "application_year", "general_objective", "specific_objectives",
    "activities", "beneficiaries", "people_reached", *JSON_FIELDS,
)  # fmt: skip
LEAD = Role.LEAD.value
DIRECT, INDIRECT = Reach.DIRECT.value, Reach.INDIRECT.value


class _Rank(dict):
    """Each code's position in its vocabulary; a code no longer in it goes last."""

    def __missing__(self, code: str) -> int:
        return len(self)


_THEME_RANK = _Rank({code: position for position, code in enumerate(Theme.values)})
_TARGET_GROUP_RANK = _Rank({code: position for position, code in enumerate(TargetGroup.values)})
# Organisation names and municipality codes kept across chunks at most (a few MB; codes are shared strings).
KEPT_ACROSS_CHUNKS = 500_000
# The streamed text is handed over in pieces of about this many characters (bytes for the JSON), not one per record.
PIECE_SIZE = 1 << 16


# Excel reads a CSV as UTF-8 only when it starts with this mark (else as the system's code page).
BOM = "\ufeff"


class ItalianExcel(csv.excel):
    """A CSV as Excel reads and writes it in an Italian locale, where the comma is the decimal mark:
    `;` between cells, CRLF after each row (and the file starts with `BOM`)."""

    delimiter = ";"


def make_record(
    fields: Sequence,
    *,
    partners: Sequence[tuple[str, str, str, str]],
    funders: Sequence[str],
    programme_funders: list[dict],
    programmes: Sequence[str],
    territories: Sequence[tuple[str, str, int, str]],
    municipalities: list[str],
    themes: Iterable[str],
    target_groups: Iterable[str],
    target_groups_indirect: Iterable[str],
    related: list[str],
    today: dt.date,
) -> dict:
    """The export's record: the project's `RECORD_FIELDS` values; its (name, role, unit, inferred_because)
    links in the list's order; its funders' and programmes' names in name order, and the funders inferred
    from its programmes (`ProgrammeFunders.reached`); its territories' (name, basis, number of
    municipalities, note) in name order and its sorted municipality codes; its direct and indirect target
    groups; and the sorted slugs of its related published projects."""
    (
        slug, title, acronym, code, cup, summary, start, start_precision, end, end_precision, duration_months,
        website, kind, application_year, general_objective, specific_objectives, activities, beneficiaries,
        people_reached, countries, sources,
    ) = fields  # fmt: skip
    return {
        "slug": slug,
        "title": title,
        "acronym": acronym,
        "code": code,
        "cup": cup,
        "summary": summary,
        "lead_partner": next((name for name, role, _, _ in partners if role == LEAD), ""),
        "partners": [
            {"name": name, "role": role, "unit": unit, "inferred_because": because}
            for name, role, unit, because in partners
        ],
        "funders": list(funders),
        "programmes": list(programmes),
        "start": periods.stored_bound(start, start_precision).iso() if start else "",
        "end": periods.stored_bound(end, end_precision).iso() if end else "",
        "duration_months": duration_months,
        "status": status.status_on(start, end, today),
        "themes": sorted(themes, key=_THEME_RANK.__getitem__),
        "target_groups": sorted(target_groups, key=_TARGET_GROUP_RANK.__getitem__),
        "territories": [name for name, _, _, _ in territories],
        "municipalities": municipalities,
        "countries": list(countries),
        "website": website,
        "sources": [source.get("url") or source.get("document", "") for source in sources],
        "kind": kind,
        "application_year": application_year,
        "general_objective": general_objective,
        "specific_objectives": text_lines(specific_objectives),
        "activities": text_lines(activities),
        "beneficiaries": beneficiaries,
        "people_reached": people_reached,
        "target_groups_indirect": sorted(target_groups_indirect, key=_TARGET_GROUP_RANK.__getitem__),
        "programme_funders": programme_funders,
        "territory_details": [
            {"name": name, "basis": basis, "municipality_count": count, "note": note}
            for name, basis, count, note in territories
        ],
        "related": related,
    }


def text_lines(text: str) -> list[str]:
    """A text kept one item per line (objectives, activities): its lines, blank ones left out."""
    return [line for line in map(str.strip, text.splitlines()) if line]


class ProgrammeFunders:
    """Every programme's parent, funders and the reason the registry gives for them, read in one query the
    first time they are needed (programmes are counted in hundreds), to tell which funders a project
    has through its programmes."""

    def __init__(self, using: str | None = None):
        self.using = using  # None: where the router sends the read
        self._loaded = False
        self.parents: dict[int, int | None] = {}
        self.names: dict[int, str] = {}
        self.because: dict[int, str] = {}
        self.funders: dict[int, list[str]] = {}

    def load(self) -> None:
        """Read them, if not read yet."""
        if self._loaded:
            return
        rows = (
            Programme.objects.using(self.using)
            .order_by("funders__name", "pk")
            .values_list("pk", "parent_id", "name", "funders_inferred_because", "funders__name")
        )
        for pk, parent_id, name, because, funder in rows:
            self.parents[pk], self.names[pk], self.because[pk] = parent_id, name, because
            funders = self.funders.setdefault(pk, [])
            if funder is not None:
                funders.append(funder)
        self._loaded = True

    def reached(self, programme_ids: Iterable[int], named: Iterable[str]) -> list[dict]:
        """The funders of these programmes (in their order), and of the programmes above them, that are not
        among the funders `named` for the project: {"name", "programme" (the one that names the funder),
        "because" (why the registry names that programme's funders; empty when a source names them)}."""
        self.load()
        seen, found = set(named), []
        for pk in programme_ids:
            visited = set()
            while pk is not None and pk not in visited:
                visited.add(pk)
                for funder in self.funders.get(pk, ()):
                    if funder not in seen:
                        seen.add(funder)
                        found.append({"name": funder, "programme": self.names[pk], "because": self.because[pk]})
                pk = self.parents.get(pk)
        return found


def project_record(project: Project) -> dict:
    """The export's record of one project; expects a queryset built with `with_export_data()` (and, to read
    the related projects without a query each, `prefetch_related("related")`). Many projects' records are
    made by `export_records`, which reads the programmes once for all."""
    territories = project.territories.all()
    funders = [funder.name for funder in project.funders.all()]
    programmes = list(project.programmes.all())
    links = project.target_group_links.all()
    return make_record(
        [getattr(project, name) for name in RECORD_FIELDS],
        partners=[
            (link.partner.name, link.role, link.unit, link.inferred_because) for link in project.participations.all()
        ],
        funders=funders,
        programme_funders=ProgrammeFunders().reached([p.pk for p in programmes], funders) if programmes else [],
        programmes=[programme.name for programme in programmes],
        territories=[(t.name, t.basis, len(t.municipalities.all()), t.note) for t in territories],
        municipalities=sorted({m.istat_code for t in territories for m in t.municipalities.all()}),
        themes=[link.theme for link in project.theme_links.all()],
        target_groups=[link.target_group for link in links if link.reach == DIRECT],
        target_groups_indirect=[link.target_group for link in links if link.reach == INDIRECT],
        related=sorted(other.slug for other in project.related.all() if other.is_published),
        today=timezone.localdate(),
    )


class _Shared:
    """What the chunks of one export share: organisation names and territories' municipality codes kept
    across chunks (see KeptAcrossChunks), and the programmes' funders."""

    def __init__(self, using: str | None = None):
        self.partner_names = KeptAcrossChunks(partial(_partner_names, using=using))
        self.municipality_codes = KeptAcrossChunks(partial(_municipality_codes, using=using), empty=(), weight=len)
        self.funders_of_programmes = ProgrammeFunders(using)

    def chunk(self, ids: list[int], rows: list[list[tuple]]) -> _Chunk:
        """A chunk of this export, from its ids and the rows of each of `CHUNK_QUERIES`."""
        return _Chunk(ids, rows, self)


def export_records(projects: QuerySet, *, chunk_size: int) -> Iterator[dict]:
    """The record of every project in the queryset, in its order, equal to `project_record`'s.

    Only the projects' ids are read from the queryset (whatever its filters, one query streamed by
    the database); the records are then made a chunk of ids at a time from plain rows, in the same
    few queries per chunk whatever its size, so memory stays flat however many projects there are.
    On PostgreSQL the database reads the next chunk's rows while this chunk's records are made
    (`projects.sql.read_ahead`, which says what that asks of the caller). Every read goes to the database
    the queryset reads from when the first record is asked for, so that the export reads one copy of the data.
    """
    projects = projects.using(projects.db)
    ids = projects.prefetch_related(None).values_list("pk", flat=True).iterator(chunk_size=chunk_size)
    chunks = iter(lambda: list(islice(ids, chunk_size)), [])
    today = timezone.localdate()
    shared = _Shared(projects.db)
    try:
        # Closed before the ids' cursor, whatever the way out: a cursor cannot be closed in pipeline mode.
        with closing(read_ahead(chunks, CHUNK_QUERIES, then=shared.chunk, using=projects.db)) as read:
            for chunk in read:
                yield from chunk.records(today)
                del chunk  # freed before the next chunk is made, not after
    finally:
        # The ids' server-side cursor closed now, not when the garbage collector finds it (a traceback that holds
        # this frame can keep it for long): by then the transaction it was opened in may be gone.
        ids.close()


def records_of(ids: list[int]) -> list[dict]:
    """The records of these projects, in this order, made at once (a page of the API): no query for the ids."""
    if not ids:
        return []
    ids = list(ids)
    return list(_Shared().chunk(ids, [query.rows(ids) for query in CHUNK_QUERIES]).records(timezone.localdate()))


class _Chunk:
    """A chunk of projects' rows, from which their records are made: read by the 5 `CHUNK_QUERIES` whatever the
    chunk's size, then by one query each for the organisations' names and the territories' municipality codes not
    read by an earlier chunk, and, once in the whole export, one for the programmes' funders.

    What is kept for the whole chunk is tuples of plain values (the rows, each project's links, its JSON
    fields still as text), which Python's cycle collector soon stops tracking: lists and decoded JSON kept
    that long were scanned by full collections over and over (20 for 100,000 projects against 2 now, a
    sixth of the export's time)."""

    def __init__(self, ids: list[int], rows: list[list[tuple]], shared: _Shared):
        participation_rows, named_link_rows, territory_rows, code_rows, field_rows = rows
        self.ids = ids
        self.fields = {row[0]: row[1:] for row in field_rows}
        self.participations = _grouped(participation_rows)
        self.funders, self.programmes, self.related = _named_links(named_link_rows)
        self.territories = _grouped(territory_rows)
        self.codes = _codes_of(code_rows)
        self.names = shared.partner_names.load(link[0] for links in self.participations.values() for link in links)
        self.places = shared.municipality_codes.load(link[0] for links in self.territories.values() for link in links)
        self.funders_of_programmes = shared.funders_of_programmes
        if self.programmes:
            # Read now, not by the first record that needs them: the next chunk's queries may be on their way.
            self.funders_of_programmes.load()

    def records(self, today: dt.date) -> Iterator[dict]:
        """The records of the chunk's projects, in the order of its ids."""
        plain = len(RECORD_FIELDS) - len(JSON_FIELDS)
        fields, participations, territories, names, places = (
            self.fields, self.participations, self.territories, self.names, self.places
        )  # fmt: skip
        funders, programmes, related, funders_of_programmes = (
            self.funders, self.programmes, self.related, self.funders_of_programmes
        )  # fmt: skip
        themes, direct, indirect = self.codes[""], self.codes[DIRECT], self.codes[INDIRECT]
        for pk in self.ids:
            if pk not in fields:  # deleted since its id was read
                continue
            links = territories.get(pk, ())
            if len(links) == 1:
                municipalities = list(places[links[0][0]])
            else:
                municipalities = sorted({code for link in links for code in places[link[0]]})
            row = fields[pk]
            named_funders = funders.get(pk, ())
            its_programmes = programmes.get(pk, ())
            yield make_record(
                (*row[:plain], *map(orjson.loads, row[plain:])),
                partners=[
                    (names[partner_id], role, unit, because)
                    for partner_id, role, unit, because in participations.get(pk, ())
                ],
                funders=named_funders,
                programme_funders=funders_of_programmes.reached([pk_ for pk_, _ in its_programmes], named_funders)
                if its_programmes
                else [],
                programmes=[name for _, name in its_programmes],
                territories=[
                    (name, basis, len(places[territory_id]), note) for territory_id, name, basis, note in links
                ],
                municipalities=municipalities,
                themes=themes[pk].split(",") if pk in themes else (),
                target_groups=direct[pk].split(",") if pk in direct else (),
                target_groups_indirect=indirect[pk].split(",") if pk in indirect else (),
                related=list(related.get(pk, ())),
                today=today,
            )


# The queries of a chunk's records, compiled once (projects.sql.CompiledQuery): for the twenty records of a page of
# the API, Django compiling them took as long as the database running them.


def _field_rows(ids: Sequence[int]) -> QuerySet:
    """(id, the record's own fields…, its JSON fields as text) of each project."""
    as_text = [Cast(name, TextField()) for name in JSON_FIELDS]
    return (
        Project.objects.filter(among("pk", ids))
        .order_by()
        .values_list("pk", *RECORD_FIELDS[: -len(JSON_FIELDS)], *as_text)
    )


def _participation_rows(ids: Sequence[int]) -> QuerySet:
    return (
        Participation.objects.filter(among("project_id", ids))
        .order_by("project_id", "role_order", "order", "pk")
        .values_list("project_id", "partner_id", "role", "unit", "inferred_because")
    )


def _territory_rows(ids: Sequence[int]) -> QuerySet:
    return (
        Project.territories.through.objects.filter(among("project_id", ids))
        .order_by("project_id", "territory__name")
        .values_list("project_id", "territory_id", "territory__name", "territory__basis", "territory__note")
    )


def _named_link_rows(ids: Sequence[int]) -> QuerySet:
    def link(kind: int) -> Value:
        return Value(kind, output_field=IntegerField())

    return (
        Project.funders.through.objects.filter(among("project_id", ids))
        .annotate(link=link(_FUNDER))
        .values_list("project_id", "link", "funder_id", "funder__name")
        .union(
            Project.programmes.through.objects.filter(among("project_id", ids))
            .annotate(link=link(_PROGRAMME))
            .values_list("project_id", "link", "programme_id", "programme__name"),
            Project.related.through.objects.filter(among("from_project_id", ids), to_project__is_published=True)
            .annotate(link=link(_RELATED))
            .values_list("from_project_id", "link", "to_project_id", "to_project__slug"),
            all=True,
        )
        .order_by("project_id", "link", "funder__name")
    )


def _code_rows(ids: Sequence[int]) -> QuerySet:
    return (
        ProjectTheme.objects.filter(among("project_id", ids))
        .order_by()
        .values("project_id")
        .annotate(group=Value("", output_field=CharField()), codes=Joined("theme"))
        .values_list("project_id", "group", "codes")
        .union(
            ProjectTargetGroup.objects.filter(among("project_id", ids))
            .order_by()
            .values("project_id", "reach")
            .annotate(codes=Joined("target_group"))
            .values_list("project_id", "reach", "codes"),
            all=True,
        )
    )


def _partner_name_rows(ids: Sequence[int]) -> QuerySet:
    return Partner.objects.filter(among("pk", ids)).order_by().values_list("pk", "name")


def _municipality_code_rows(ids: Sequence[int]) -> QuerySet:
    """Each territory's municipality codes, joined by commas in no particular order."""
    links = Territory.municipalities.through.objects.filter(among("territory_id", ids)).order_by()
    return links.values("territory_id").annotate(codes=Joined("municipality_id")).values_list("territory_id", "codes")


FIELD_ROWS = CompiledQuery(_field_rows)
PARTICIPATION_ROWS = CompiledQuery(_participation_rows)
TERRITORY_ROWS = CompiledQuery(_territory_rows)
NAMED_LINK_ROWS = CompiledQuery(_named_link_rows)
CODE_ROWS = CompiledQuery(_code_rows)
PARTNER_NAME_ROWS = CompiledQuery(_partner_name_rows)
MUNICIPALITY_CODE_ROWS = CompiledQuery(_municipality_code_rows)
# What a chunk is read from, in the order _Chunk takes their rows; sent together (projects.sql.read_ahead), the
# projects' own fields last: their rows, 4 MB for 2,500 projects, can fill the socket and hold up the queries after.
CHUNK_QUERIES = (PARTICIPATION_ROWS, NAMED_LINK_ROWS, TERRITORY_ROWS, CODE_ROWS, FIELD_ROWS)

_FUNDER, _PROGRAMME, _RELATED = 0, 1, 2


def _named_links(rows: list[tuple]) -> tuple[dict[int, tuple], dict[int, tuple], dict[int, tuple]]:
    """Each project's funders' names (in name order), (id, name) of its programmes (in name order), and
    the sorted slugs of its related published projects, from the rows of NAMED_LINK_ROWS."""
    funders: dict[int, tuple] = {}
    programmes: dict[int, tuple] = {}
    related: dict[int, tuple] = {}
    for (project_id, kind), links in groupby(rows, _project_and_kind):
        if kind == _FUNDER:
            funders[project_id] = tuple([name for _, _, _, name in links])
        elif kind == _PROGRAMME:
            programmes[project_id] = tuple([(pk, name) for _, _, pk, name in links])
        else:
            related[project_id] = tuple(sorted([slug for _, _, _, slug in links]))
    return funders, programmes, related


_project_and_kind = operator.itemgetter(0, 1)


def _codes_of(rows: list[tuple]) -> dict[str, dict[int, str]]:
    """Each project's theme codes (under "") and target-group codes by reach (under "direct" and "indirect"),
    joined by commas in no particular order, from the rows of CODE_ROWS (one per project and kind)."""
    # Flat dicts of strings, which the cycle collector does not track (see _Chunk).
    found: dict[str, dict[int, str]] = {"": {}, DIRECT: {}, INDIRECT: {}}
    for project_id, group, joined in rows:
        found[group][project_id] = joined
    return found


def _grouped(rows: Iterable[tuple]) -> dict[int, tuple]:
    """Rows of (project id, value, value…) ordered by project id: each project's (value, value…) in their order."""
    return {project_id: tuple([row[1:] for row in links]) for project_id, links in groupby(rows, _first)}


_first = operator.itemgetter(0)


class KeptAcrossChunks:
    """Values read by id when a chunk first needs them and kept for the chunks after it, since projects
    share organisations and territories; past `KEPT_ACROSS_CHUNKS` items in all they are dropped and
    read again as needed, so that memory stays flat however many there are."""

    def __init__(self, read: Callable[[list[int]], dict[int, Any]], *, empty: Any = None, weight=lambda value: 1):
        self.read, self.empty, self.weight = read, empty, weight
        self.values: dict[int, Any] = {}
        self.size = 0

    def load(self, ids: Iterable[int]) -> dict[int, Any]:
        """Make sure these ids are held (an id the database does not know gets `empty`); all held values."""
        if self.size > KEPT_ACROSS_CHUNKS:
            self.values.clear()
            self.size = 0
        missing = {id_ for id_ in ids if id_ not in self.values}
        if missing:
            found = self.read(list(missing))
            for id_ in missing:
                value = self.values[id_] = found.get(id_, self.empty)
                self.size += self.weight(value)
        return self.values


def _partner_names(partner_ids: list[int], using: str | None) -> dict[int, str]:
    return dict(PARTNER_NAME_ROWS.rows(partner_ids, using))


def _municipality_codes(territory_ids: list[int], using: str | None) -> dict[int, tuple[str, ...]]:
    """Each territory's municipality codes, sorted; one string per code however many territories hold it."""
    return {
        territory_id: tuple(sorted(map(sys.intern, codes.split(","))))
        for territory_id, codes in MUNICIPALITY_CODE_ROWS.rows(territory_ids, using)
    }


def escape_formula(value: str) -> str:
    """Keep a cell that a spreadsheet would run as a formula as plain text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def organisation_text(name: str, unit: str) -> str:
    """An organisation as a CSV cell names it: its name, then its unit after `UNIT_DASH` when it has one."""
    return name + UNIT_DASH + unit if unit else name


def territory_text(item: dict) -> str:
    """A territory's details as the CSV writes them: "Astigiano (inferred, 118 comuni: note)"."""
    count = item["municipality_count"]
    text = f"{item['name']} ({item['basis']}, {count} {'comune' if count == 1 else 'comuni'}"
    return text + (f": {tidy_name(item['note'])})" if item["note"] else ")")


def programme_funder_text(item: dict) -> str:
    """A funder inferred from a programme as the CSV writes it: "Commissione europea (Erasmus+: reason)"."""
    return f"{item['name']} ({item['programme']}" + (f": {tidy_name(item['because'])})" if item["because"] else ")")


# The columns a CSV cell writes otherwise than by joining the list with LIST_SEPARATOR.
CSV_FORMATS: dict[str, Callable[[list], str]] = {
    "partners": lambda items: LIST_SEPARATOR.join(
        [f"{organisation_text(item['name'], item['unit'])} [{item['role']}]" for item in items]
    ),
    "specific_objectives": LINE_SEPARATOR.join,
    "activities": LINE_SEPARATOR.join,
    "territory_details": lambda items: LINE_SEPARATOR.join(map(territory_text, items)),
    "programme_funders": lambda items: LINE_SEPARATOR.join(map(programme_funder_text, items)),
}


def csv_cell(name: str, value) -> str:
    if value is None:
        return ""
    if name in CSV_FORMATS:
        value = CSV_FORMATS[name](value)
    elif isinstance(value, list):
        value = LIST_SEPARATOR.join(map(str, value))
    elif type(value) is not str:
        value = str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_row(record: dict) -> list[str]:
    """The record's cells in `EXPORT_COLUMNS` order: what `csv_cell` gives for each, in one pass."""
    values = list(_export_values(record))
    for position, write in _CSV_FORMATS_AT:
        values[position] = write(values[position])
    row = []
    for value in values:
        if value is None:
            value = ""
        elif type(value) is list:
            try:
                value = LIST_SEPARATOR.join(value)
            except TypeError:  # not only strings
                value = LIST_SEPARATOR.join(map(str, value))
        elif type(value) is not str:
            value = str(value)
        row.append("'" + value if value.startswith(FORMULA_STARTS) else value)
    return row


_export_values = operator.itemgetter(*EXPORT_COLUMNS)
_CSV_FORMATS_AT = [(EXPORT_COLUMNS.index(name), write) for name, write in CSV_FORMATS.items()]


def csv_line(cells: list[str], delimiter: str) -> str:
    """One row as `csv.writer` writes it with the excel dialect's quoting (a cell is quoted when it holds
    the delimiter, a quote or a line break), written with string methods: several times faster."""
    return (
        delimiter.join(
            [
                '"' + cell.replace('"', '""') + '"'
                if '"' in cell or delimiter in cell or "\n" in cell or "\r" in cell
                else cell
                for cell in cells
            ]
        )
        + "\r\n"
    )


def csv_lines(records: Iterable[dict], *, excel: bool = False) -> Iterator[str]:
    """The CSV export: a header and one row per record, handed over in pieces of about `PIECE_SIZE`;
    with `excel`, as Excel opens it in an Italian locale (`ItalianExcel`, after a BOM)."""
    delimiter = ItalianExcel.delimiter if excel else csv.excel.delimiter
    pieces = [BOM] if excel else []
    pieces.append(csv_line(EXPORT_COLUMNS, delimiter))
    size = 0
    for record in records:
        line = csv_line(csv_row(record), delimiter)
        pieces.append(line)
        size += len(line)
        if size >= PIECE_SIZE:
            yield "".join(pieces)
            pieces, size = [], 0
    yield "".join(pieces)


def json_chunks(records: Iterable[dict]) -> Iterator[bytes]:
    """The JSON export, in UTF-8: a list of records, one per line, handed over in pieces of about `PIECE_SIZE`.

    Written by orjson, three times faster than the standard library's encoder for a record: what the JSON export
    cost most beside making the records."""
    pieces, size, separator = [b"["], 1, b"\n"
    for record in records:
        text = orjson.dumps(record)
        pieces += (separator, text)
        size += len(text) + 2
        separator = b",\n"
        if size >= PIECE_SIZE:
            yield b"".join(pieces)
            pieces, size = [], 0
    pieces.append(b"\n]\n")
    yield b"".join(pieces)


# The import template's columns: the Italian headers editors see, and the field each fills.
TEMPLATE_COLUMNS = [
    ("Titolo", "title"), ("Acronimo", "acronym"), ("Codice", "code"), ("CUP", "cup"), ("Tipo", "kind"),
    ("Anno candidatura", "application_year"), ("Sintesi", "summary"), ("Obiettivo generale", "general_objective"),
    ("Obiettivi", "specific_objectives"), ("Attività", "activities"), ("Destinatari", "beneficiaries"),
    ("Persone raggiunte", "people_reached"), ("Capofila", "lead_partner"), ("Partner", "partners"),
    ("Enti sostenitori", "supporting"), ("Membri", "members"), ("Ente finanziatore", "funders"),
    ("Programma", "programmes"), ("Periodo", "period"), ("Data inizio", "start"), ("Data fine", "end"),
    ("Durata", "duration_months"), ("Territorio", "territories"), ("Comuni", "municipalities"),
    ("Paesi", "countries"), ("Temi", "themes"), ("Sito", "website"), ("Fonte", "sources"),
]  # fmt: skip


def template_sheet() -> str:
    """The import template: Italian headers and one row taken from a published project, as Excel
    saves a CSV in an Italian locale (UTF-8 with BOM, `;`, CRLF)."""
    example = (
        Project.objects.published().exclude(cup="").with_export_data().first()
        or Project.objects.published().with_export_data().first()
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect=ItalianExcel)
    writer.writerow([header for header, _ in TEMPLATE_COLUMNS])
    if example is not None:
        roles = {
            role: [organisation_text(p.partner.name, p.unit) for p in example.participations.all() if p.role == role]
            for role in Role
        }
        values = {
            "title": example.title, "acronym": example.acronym, "code": example.code, "cup": example.cup,
            "kind": example.get_kind_display(), "application_year": example.application_year or "",
            "summary": example.summary, "general_objective": example.general_objective,
            "specific_objectives": example.specific_objectives, "activities": example.activities,
            "beneficiaries": example.beneficiaries, "people_reached": example.people_reached,
            "lead_partner": LIST_SEPARATOR.join(roles[Role.LEAD]),
            "partners": LIST_SEPARATOR.join(roles[Role.PARTNER]),
            "supporting": LIST_SEPARATOR.join(roles[Role.SUPPORTING]),
            "members": LIST_SEPARATOR.join(roles[Role.MEMBER]),
            "funders": LIST_SEPARATOR.join(f.name for f in example.funders.all()),
            "programmes": LIST_SEPARATOR.join(p.name for p in example.programmes.all()),
            "period": example.period_text, "start": "" if example.period_text else example.start_iso,
            "end": "" if example.period_text else example.end_iso,
            "duration_months": example.duration_months or "",
            "territories": LIST_SEPARATOR.join(t.name for t in example.territories.all()),
            "municipalities": "", "countries": LIST_SEPARATOR.join(example.countries),
            "themes": LIST_SEPARATOR.join(str(label) for label in example.theme_labels),
            "website": example.website,
            "sources": LIST_SEPARATOR.join(s.get("url") or s.get("document", "") for s in example.sources),
        }  # fmt: skip
        writer.writerow([escape_formula(str(values[name])) for _, name in TEMPLATE_COLUMNS])
    return BOM + buffer.getvalue()
