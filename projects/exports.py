"""One record per project, the same for the JSON and the CSV export (and, later, for re-import)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from .models import Project

FIELDS = [
    "slug", "title", "acronym", "code", "cup", "summary", "lead_partner", "partners", "funders", "programmes",
    "start", "end", "duration_months", "status", "themes", "target_groups", "territories", "municipalities",
    "countries", "website", "sources",
]
LIST_SEPARATOR = "; "
# A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def project_record(project: Project) -> dict:
    """The export's record of a project; expects a queryset built with `with_export_data()`."""
    lead = project.lead_partner
    municipalities = sorted({m.istat_code for t in project.territories.all() for m in t.municipalities.all()})
    return {
        "slug": project.slug,
        "title": project.title,
        "acronym": project.acronym,
        "code": project.code,
        "cup": project.cup,
        "summary": project.summary,
        "lead_partner": lead.name if lead else "",
        "partners": [{"name": link.partner.name, "role": link.role} for link in project.participations.all()],
        "funders": [funder.name for funder in project.funders.all()],
        "programmes": [programme.name for programme in project.programmes.all()],
        "start": project.start_iso,
        "end": project.end_iso,
        "duration_months": project.duration_months,
        "status": project.status,
        "themes": project.theme_codes,
        "target_groups": project.target_group_codes,
        "territories": [territory.name for territory in project.territories.all()],
        "municipalities": municipalities,
        "countries": list(project.countries),
        "website": project.website,
        "sources": [source.get("url") or source.get("document", "") for source in project.sources],
    }


def escape_formula(value: str) -> str:
    """Keep a cell that a spreadsheet would run as a formula as plain text."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(name: str, value) -> str:
    if value is None:
        return ""
    if name == "partners":
        value = LIST_SEPARATOR.join(f"{item['name']} [{item['role']}]" for item in value)
    elif isinstance(value, list):
        value = LIST_SEPARATOR.join(str(item) for item in value)
    return escape_formula(str(value))


def csv_lines(projects: Iterable[Project]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(FIELDS)
    yield flush()
    for project in projects:
        record = project_record(project)
        writer.writerow([csv_cell(name, record[name]) for name in FIELDS])
        yield flush()


def json_chunks(projects: Iterable[Project]) -> Iterator[str]:
    yield "["
    for position, project in enumerate(projects):
        yield ("," if position else "") + "\n" + json.dumps(project_record(project), ensure_ascii=False)
    yield "\n]\n"
