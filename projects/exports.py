"""One record per project, the same for the JSON and the CSV export (which imports back unchanged),
and the import template: the headers editors may use, with one example row."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from registry.enums import Role

from .models import Project

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

    writer.writerow(EXPORT_COLUMNS)
    yield flush()
    for project in projects:
        record = project_record(project)
        writer.writerow([csv_cell(name, record[name]) for name in EXPORT_COLUMNS])
        yield flush()


def json_chunks(projects: Iterable[Project]) -> Iterator[str]:
    yield "["
    for position, project in enumerate(projects):
        yield ("," if position else "") + "\n" + json.dumps(project_record(project), ensure_ascii=False)
    yield "\n]\n"


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
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
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
    return "\ufeff" + buffer.getvalue()
