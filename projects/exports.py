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
import json
import operator
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import groupby, islice
from typing import Any

from django.db.models import Aggregate, F, Lookup, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from partners.models import Partner
from registry.enums import Role, TargetGroup, Theme

from . import periods, status
from .models import Participation, Project, ProjectTargetGroup, ProjectTheme, Territory

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
]
LIST_SEPARATOR = "; "
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# The project's own fields a record is made from, in the order `make_record` takes them; the JSON ones last.
JSON_FIELDS = ("countries", "sources")
RECORD_FIELDS = (
    "slug", "title", "acronym", "code", "cup", "summary", "start", "start_precision", "end", "end_precision",
    "duration_months", "website", *JSON_FIELDS,
)  # fmt: skip
LEAD = Role.LEAD.value


class _Rank(dict):
    """Each code's position in its vocabulary; a code no longer in it goes last."""

    def __missing__(self, code: str) -> int:
        return len(self)


_THEME_RANK = _Rank({code: position for position, code in enumerate(Theme.values)})
_TARGET_GROUP_RANK = _Rank({code: position for position, code in enumerate(TargetGroup.values)})
# Organisation names and municipality codes kept across chunks at most (a few MB; codes are shared strings).
KEPT_ACROSS_CHUNKS = 500_000
# The streamed text is handed over in pieces of about this many characters, not one per record.
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
    partners: Sequence[tuple[str, str]],
    funders: Sequence[str],
    programmes: Sequence[str],
    territories: list[str],
    municipalities: list[str],
    themes: Iterable[str],
    target_groups: Iterable[str],
    today: dt.date,
) -> dict:
    """The export's record: the project's `RECORD_FIELDS` values, its (name, role) links in the list's order,
    its funders', programmes' and territories' names in name order, and its sorted municipality codes."""
    (
        slug, title, acronym, code, cup, summary, start, start_precision, end, end_precision, duration_months,
        website, countries, sources,
    ) = fields  # fmt: skip
    return {
        "slug": slug,
        "title": title,
        "acronym": acronym,
        "code": code,
        "cup": cup,
        "summary": summary,
        "lead_partner": next((name for name, role in partners if role == LEAD), ""),
        "partners": [{"name": name, "role": role} for name, role in partners],
        "funders": list(funders),
        "programmes": list(programmes),
        "start": periods.stored_bound(start, start_precision).iso() if start else "",
        "end": periods.stored_bound(end, end_precision).iso() if end else "",
        "duration_months": duration_months,
        "status": status.status_on(start, end, today),
        "themes": sorted(themes, key=_THEME_RANK.__getitem__),
        "target_groups": sorted(target_groups, key=_TARGET_GROUP_RANK.__getitem__),
        "territories": territories,
        "municipalities": municipalities,
        "countries": list(countries),
        "website": website,
        "sources": [source.get("url") or source.get("document", "") for source in sources],
    }


def project_record(project: Project) -> dict:
    """The export's record of a project; expects a queryset built with `with_export_data()`."""
    territories = project.territories.all()
    return make_record(
        [getattr(project, name) for name in RECORD_FIELDS],
        partners=[(link.partner.name, link.role) for link in project.participations.all()],
        funders=[funder.name for funder in project.funders.all()],
        programmes=[programme.name for programme in project.programmes.all()],
        territories=[territory.name for territory in territories],
        municipalities=sorted({m.istat_code for t in territories for m in t.municipalities.all()}),
        themes=[link.theme for link in project.theme_links.all()],
        target_groups=[link.target_group for link in project.target_group_links.all()],
        today=timezone.localdate(),
    )


def export_records(projects: QuerySet, *, chunk_size: int) -> Iterator[dict]:
    """The record of every project in the queryset, in its order, equal to `project_record`'s.

    Only the projects' ids are read from the queryset (whatever its filters, one query streamed by
    the database); the records are then made a chunk of ids at a time from plain rows, in the same
    few queries per chunk whatever its size, so memory stays flat however many projects there are.
    """
    ids = projects.prefetch_related(None).values_list("pk", flat=True).iterator(chunk_size=chunk_size)
    partner_names = KeptAcrossChunks(_partner_names)
    municipality_codes = KeptAcrossChunks(_municipality_codes, empty=(), weight=len)
    today = timezone.localdate()
    while chunk := list(islice(ids, chunk_size)):
        yield from _chunk_records(chunk, partner_names, municipality_codes, today)


def records_of(ids: list[int]) -> list[dict]:
    """The records of these projects, in this order, made at once (a page of the API): no query for the ids."""
    partner_names = KeptAcrossChunks(_partner_names)
    municipality_codes = KeptAcrossChunks(_municipality_codes, empty=(), weight=len)
    return list(_chunk_records(list(ids), partner_names, municipality_codes, timezone.localdate())) if ids else []


class _AmongIds(Lookup):
    """The column is one of these ids, given to the database as one parameter however many they are:
    binding thousands of parameters one by one costs the client more than the query costs the database
    (and SQLite before 3.32 refuses more than 999)."""

    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", (*params, *self.rhs)

    def as_postgresql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s::bigint[])", (*params, "{" + ",".join(map(str, self.rhs)) + "}")

    def as_sqlite(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*params, json.dumps(self.rhs))


def _among(field: str, ids: list[int]) -> _AmongIds:
    return _AmongIds(F(field), ids)


def _chunk_records(
    ids: list[int], partner_names: KeptAcrossChunks, municipality_codes: KeptAcrossChunks, today: dt.date
) -> Iterator[dict]:
    """The records of a chunk of ids, in their order.

    What is kept for the whole chunk is tuples of plain values (the rows, each project's links, its JSON
    fields still as text), which Python's cycle collector soon stops tracking: lists and decoded JSON kept
    that long were scanned by full collections over and over (20 for 100,000 projects against 2 now, a
    sixth of the export's time)."""
    plain, as_text = RECORD_FIELDS[: -len(JSON_FIELDS)], [Cast(name, TextField()) for name in JSON_FIELDS]
    fields = {
        row[0]: row[1:]
        for row in Project.objects.filter(_among("pk", ids)).order_by().values_list("pk", *plain, *as_text)
    }
    participations = _grouped(
        Participation.objects.filter(_among("project_id", ids))
        .order_by("project_id", "role_order", "order", "pk")
        .values_list("project_id", "partner_id", "role"),
        pairs=True,
    )
    funders = _grouped(
        Project.funders.through.objects.filter(_among("project_id", ids))
        .order_by("project_id", "funder__name")
        .values_list("project_id", "funder__name")
    )
    programmes = _grouped(
        Project.programmes.through.objects.filter(_among("project_id", ids))
        .order_by("project_id", "programme__name")
        .values_list("project_id", "programme__name")
    )
    territories = _grouped(
        Project.territories.through.objects.filter(_among("project_id", ids))
        .order_by("project_id", "territory__name")
        .values_list("project_id", "territory_id", "territory__name"),
        pairs=True,
    )
    themes = _codes_by(ProjectTheme.objects, "project_id", "theme", ids)
    target_groups = _codes_by(ProjectTargetGroup.objects, "project_id", "target_group", ids)
    names = partner_names.load(partner_id for links in participations.values() for partner_id, _ in links)
    codes = municipality_codes.load(territory_id for links in territories.values() for territory_id, _ in links)
    for pk in ids:
        if pk not in fields:  # deleted since its id was read
            continue
        links = territories.get(pk, ())
        if len(links) == 1:
            municipalities = list(codes[links[0][0]])
        else:
            municipalities = sorted({code for territory_id, _ in links for code in codes[territory_id]})
        row = fields[pk]
        yield make_record(
            (*row[: len(plain)], *map(json.loads, row[len(plain) :])),
            partners=[(names[partner_id], role) for partner_id, role in participations.get(pk, ())],
            funders=funders.get(pk, ()),
            programmes=programmes.get(pk, ()),
            territories=[name for _, name in links],
            municipalities=municipalities,
            themes=themes[pk].split(",") if pk in themes else (),
            target_groups=target_groups[pk].split(",") if pk in target_groups else (),
            today=today,
        )


class _Joined(Aggregate):
    """A group's codes joined by commas, in no particular order (codes hold no comma)."""

    function = "STRING_AGG"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="GROUP_CONCAT", **extra_context)


def _codes_by(rows: QuerySet, key: str, code: str, ids: list[int]) -> dict[int, str]:
    """The codes of each key among these ids joined by commas, read one row per key rather than one per code."""
    return dict(
        rows.filter(_among(key, ids)).order_by().values(key).annotate(codes=_Joined(code)).values_list(key, "codes")
    )


def _grouped(rows: Iterable[tuple], *, pairs: bool = False) -> dict[int, tuple]:
    """Rows of (project id, value) or, with `pairs`, (project id, value, value), ordered by project id:
    each project's values in their order."""
    if pairs:
        return {project_id: tuple([(a, b) for _, a, b in links]) for project_id, links in groupby(rows, _first)}
    return {project_id: tuple([value for _, value in links]) for project_id, links in groupby(rows, _first)}


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


def _partner_names(partner_ids: list[int]) -> dict[int, str]:
    return dict(Partner.objects.filter(_among("pk", partner_ids)).values_list("pk", "name"))


def _municipality_codes(territory_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Each territory's municipality codes, sorted; one string per code however many territories hold it."""
    found = _codes_by(Territory.municipalities.through.objects, "territory_id", "municipality_id", territory_ids)
    return {territory_id: tuple(sorted(map(sys.intern, codes.split(",")))) for territory_id, codes in found.items()}


def escape_formula(value: str) -> str:
    """Keep a cell that a spreadsheet would run as a formula as plain text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(name: str, value) -> str:
    if value is None:
        return ""
    if name == "partners":
        value = LIST_SEPARATOR.join([f"{item['name']} [{item['role']}]" for item in value])
    elif isinstance(value, list):
        value = LIST_SEPARATOR.join(map(str, value))
    elif type(value) is not str:
        value = str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_row(record: dict) -> list[str]:
    """The record's cells in `EXPORT_COLUMNS` order: what `csv_cell` gives for each, in one pass."""
    values = list(_export_values(record))
    values[_PARTNERS_AT] = LIST_SEPARATOR.join([f"{item['name']} [{item['role']}]" for item in values[_PARTNERS_AT]])
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
_PARTNERS_AT = EXPORT_COLUMNS.index("partners")


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


# One encoder for the whole export (json.dumps with options would make one per record).
_json_encoder = json.JSONEncoder(ensure_ascii=False)


def json_chunks(records: Iterable[dict]) -> Iterator[str]:
    """The JSON export: a list of records, one per line, handed over in pieces of about `PIECE_SIZE`."""
    pieces, size, separator = ["["], 1, "\n"
    for record in records:
        text = _json_encoder.encode(record)
        pieces += (separator, text)
        size += len(text) + 2
        separator = ",\n"
        if size >= PIECE_SIZE:
            yield "".join(pieces)
            pieces, size = [], 0
    pieces.append("\n]\n")
    yield "".join(pieces)


# The import template's columns: the Italian headers editors see, and the field each fills.
TEMPLATE_COLUMNS = [
    ("Titolo", "title"), ("Acronimo", "acronym"), ("Codice", "code"), ("CUP", "cup"), ("Sintesi", "summary"),
    ("Obiettivo generale", "general_objective"), ("Obiettivi", "specific_objectives"), ("Attività", "activities"),
    ("Destinatari", "beneficiaries"), ("Capofila", "lead_partner"), ("Partner", "partners"),
    ("Enti sostenitori", "supporting"), ("Ente finanziatore", "funders"), ("Programma", "programmes"),
    ("Periodo", "period"), ("Data inizio", "start"), ("Data fine", "end"), ("Durata", "duration_months"),
    ("Territorio", "territories"), ("Comuni", "municipalities"), ("Paesi", "countries"), ("Temi", "themes"),
    ("Sito", "website"), ("Fonte", "sources"),
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
        roles = {role: [p.partner.name for p in example.participations.all() if p.role == role] for role in Role}
        values = {
            "title": example.title, "acronym": example.acronym, "code": example.code, "cup": example.cup,
            "summary": example.summary, "general_objective": example.general_objective,
            "specific_objectives": example.specific_objectives, "activities": example.activities,
            "beneficiaries": example.beneficiaries,
            "lead_partner": LIST_SEPARATOR.join(roles[Role.LEAD]),
            "partners": LIST_SEPARATOR.join(roles[Role.PARTNER]),
            "supporting": LIST_SEPARATOR.join(roles[Role.SUPPORTING]),
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
