"""Columns and cells: which field each column of a sheet fills, and how a cell is split and read.

A column is known by the export's own name (`title`, `lead_partner`…) or by an Italian label as
sheets write it (Titolo, Capofila…), case and accents ignored. Unknown columns are reported and
ignored; a column named twice refuses the sheet.
"""

from __future__ import annotations

import re

from django.core.exceptions import FieldDoesNotExist
from django.utils import translation
from django.utils.text import capfirst

from partners.models import Partner
from registry.enums import InitiativeKind, TargetGroup, Theme

from ..exports import EXPORT_COLUMNS, TEMPLATE_COLUMNS
from ..models import Participation, Project, ProjectTargetGroup
from ..names import fold_name

# Header (folded: lower case, no accents) -> field.
HEADER_ALIASES = {
    "titolo": "title", "nome progetto": "title", "progetto": "title",
    "acronimo": "acronym", "sigla": "acronym",
    "codice": "code", "codice progetto": "code",
    "tipo": "kind", "tipologia": "kind", "tipo di iniziativa": "kind", "kind of initiative": "kind",
    "sintesi": "summary", "descrizione": "summary",
    "obiettivo generale": "general_objective",
    "obiettivi": "specific_objectives", "obiettivi specifici": "specific_objectives",
    "attivita": "activities",
    "destinatari": "beneficiaries",
    "capofila": "lead_partner", "leader": "lead_partner", "ente capofila": "lead_partner",
    "partner": "partners", "partners": "partners",
    "enti sostenitori": "supporting", "supporting bodies": "supporting", "sostenitori": "supporting",
    "membri": "members", "members": "members", "membri della rete": "members", "network members": "members",
    "enti aderenti": "members", "aderenti": "members",
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
    "gruppi destinatari": "target_groups", "direct target groups": "target_groups",
    "gruppi destinatari indiretti": "target_groups_indirect", "indirect target groups": "target_groups_indirect",
    "sito": "website", "sito web": "website",
    "fonte": "sources", "fonti": "sources",
    "persone raggiunte": "people_reached",
    "anno candidatura": "application_year", "anno di candidatura": "application_year",
    "candidatura": "application_year",
}  # fmt: skip
# Every field a column can fill: the export's columns (an export imports back) and the sheets' own.
SHEET_FIELDS = set(EXPORT_COLUMNS) | set(HEADER_ALIASES.values())
# Exported for readers, never read back: the status is derived from the period; the related projects are
# other projects (linked in the admin; the export lists only the published ones); the territories' details
# and the funders inferred from programmes describe those records, not the project.
IGNORED_FIELDS = {"status", "related", "territory_details", "programme_funders"}
# The links a sheet speaks of when it has one of these columns; the others are left as stored.
LINK_COLUMNS = {
    "participations": {"lead_partner", "partners", "supporting", "members"},
    "funders": {"funders"},
    "programmes": {"programmes"},
    "territories": {"territories", "municipalities"},
    "themes": {"themes"},
    "target_groups": {"target_groups", "target_groups_indirect", "beneficiaries"},
}
# The lengths the database takes, read from the models rather than copied.
MAX_LENGTHS = {
    "title": Project._meta.get_field("title").max_length,
    "acronym": Project._meta.get_field("acronym").max_length,
    "code": Project._meta.get_field("code").max_length,
    "people_reached": Project._meta.get_field("people_reached").max_length,
    "period": Project._meta.get_field("period_text").max_length,
}
NAME_LENGTH = Partner._meta.get_field("name").max_length  # organisations, funders, programmes, territories
UNIT_LENGTH = Participation._meta.get_field("unit").max_length
URL_LENGTH = Project._meta.get_field("website").max_length

# How an error names a column the sheet does not have: by the template's header, which editors know.
TEMPLATE_HEADERS = {name: header for header, name in TEMPLATE_COLUMNS}

LIST_SPLIT = re.compile(r"\s*(?:;|\r?\n)\s*")
BULLET = re.compile(r"^(?:[-•*·▪◦‣–—]|\d+[.)])\s+")


def fold_header(header: str) -> str:
    return fold_name(header.replace("_", " "))


def map_headers(headers: list[str]) -> tuple[dict[int, str], list[str]]:
    """Column position -> field, and the headers that name no field (reported, then ignored)."""
    columns, unknown = {}, []
    for position, header in enumerate(headers):
        raw = header.strip().lstrip("\ufeff")
        folded = fold_header(raw)
        underscored = folded.replace(" ", "_")
        if raw in SHEET_FIELDS:
            name = raw
        else:
            name = HEADER_ALIASES.get(folded) or (underscored if underscored in SHEET_FIELDS else None)
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


class SheetColumns:
    """The columns of one sheet: the field of each, and the header the editor wrote for it."""

    def __init__(self, headers: list[str]):
        self.width = len(headers)
        self.unknown: list[str]
        self.positions, self.unknown = map_headers(headers)
        self.duplicates = duplicate_headers(headers)
        # With a field named twice, the first column wins (the sheet is refused anyway).
        seen = set()
        for position in sorted(self.positions):
            if self.positions[position] in seen:
                del self.positions[position]
            else:
                seen.add(self.positions[position])
        self.headers = {name: headers[position].strip() for position, name in self.positions.items()}
        self.links = {link for link, names in LINK_COLUMNS.items() if names & set(self.headers)}

    def __contains__(self, name: str) -> bool:
        return name in self.headers

    def label(self, *names: str) -> str:
        """The header of the first of these fields the sheet has (as the editor wrote it), else the first
        field's name for editors (column_name)."""
        return next((self.headers[name] for name in names if name in self.headers), None) or column_name(names[0])


def column_name(name: str) -> str:
    """A field as editors know it: the template's header ("Titolo"), else the admin's label for it (in the
    active language), else the field's own name."""
    if name in TEMPLATE_HEADERS:
        return TEMPLATE_HEADERS[name]
    if name in ("target_groups", "target_groups_indirect"):
        return capfirst(ProjectTargetGroup._meta.verbose_name_plural)
    try:
        field = Project._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    return capfirst(getattr(field, "verbose_name", name))  # a reverse relation has no label of its own


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


# Words sheets use for a kind of initiative besides its labels.
KIND_WORDS = {
    "progetto": "project", "rete": "network", "carta": "network", "rete o carta": "network", "servizio": "service",
    "proposta": "proposal", "bando": "call", "avviso": "call", "avviso pubblico": "call",
}  # fmt: skip


class Vocabulary:
    """Themes, target groups and kinds of initiative by code or by label (Italian or English), case and
    accents ignored."""

    def __init__(self):
        self.themes = self._index(Theme)
        self.target_groups = self._index(TargetGroup)
        self.kinds = {**KIND_WORDS, **self._index(InitiativeKind)}

    @staticmethod
    def _index(choices) -> dict[str, str]:
        index = {}
        for code in choices.values:
            index[fold_header(code)] = code
            for language in ("it", "en"):
                with translation.override(language):
                    index[fold_header(str(choices(code).label))] = code
        return index
