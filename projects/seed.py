"""Loading the registry's seed data: the transcription of the seed documents in fixtures/seed/.

The YAML files are written for people to check against the documents (see fixtures/seed/README.md).
This module reads them, checks that every reference resolves (a misspelt partner or municipality
stops the load instead of creating a near-duplicate), and hands each entry to the write layer
(projects.services), which matches, checks and writes it as it does every sheet import: only what
differs is written, so a second run changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.utils.text import slugify

from registry.enums import ChangeKind, InitiativeKind, Reach, Role, TerritoryBasis
from registry.history import change_set

from . import periods
from .models import Municipality, Project
from .places import MunicipalityNotFound
from .services import (
    CHANGED,
    RECORD_MODELS,
    AmbiguousName,
    ParticipationInput,
    ProjectBatch,
    ProjectInput,
    ProjectMatchError,
    RecordIndex,
    m2m_sync,
    project_slug_text,
    record_upsert,
    related_sync,
)

ORGANISATIONS_FILE = "organisations.yaml"
# The key of a project entry that lists each role's organisations.
ROLE_KEYS = {
    Role.LEAD: "lead_partner",
    Role.PARTNER: "partners",
    Role.SUPPORTING: "supporting",
    Role.MEMBER: "members",
}
# How the report names each link of a project.
LINK_LABELS = {
    "participations": "project partners",
    "funders": "project funders",
    "programmes": "project programmes",
    "territories": "project territories",
    "themes": "project themes",
    "target_groups": "project target groups",
}


class SeedError(Exception):
    """The seed files are inconsistent; the message names the file and the entry."""


@dataclass
class SeedReport:
    counts: Counter = field(default_factory=Counter)

    def record(self, model: str, outcome: str) -> None:
        self.counts[(model, outcome)] += 1

    def changed_anything(self) -> bool:
        return any(n for (model, outcome), n in self.counts.items() if outcome != "unchanged")

    def lines(self) -> list[str]:
        models = sorted({model for model, _ in self.counts})
        return [
            f"{model}: {self.counts[(model, 'new')]} new, {self.counts[(model, 'changed')]} changed, "
            f"{self.counts[(model, 'unchanged')]} unchanged"
            for model in models
        ]


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise SeedError(f"{path.name}: not valid YAML ({error})") from None
    if not isinstance(data, dict):
        raise SeedError(f"{path.name}: expected a mapping at the top level")
    return data


def _lines(value) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "\n".join(str(item).strip() for item in value)
    return str(value).strip()


def _clean_sources(sources) -> list[dict]:
    """YAML reads an unquoted 2026-11-23 as a date; provenance keeps it as ISO text."""
    return [
        {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in source.items()}
        for source in sources or []
    ]


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _name_of(item) -> str:
    return item["name"] if isinstance(item, dict) else item


def _errors(error: ValidationError) -> str:
    return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items())


class SeedLoader:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.report = SeedReport()
        self.municipalities = Municipality.objects.index()
        self.defined: dict[str, dict[str, object]] = {kind: {} for kind in RECORD_MODELS}
        # Partners, funders and programmes are documented by the sources of the projects naming them.
        self.mentions: dict[tuple[str, str], list[dict]] = {}

    def load(self) -> SeedReport:
        if not self.directory.is_dir():
            raise SeedError(f"{self.directory} is not a folder")
        if not len(self.municipalities):
            raise SeedError("No municipalities in the database: run load_municipalities first")
        organisations = _read_yaml(self.directory / ORGANISATIONS_FILE)
        project_files = sorted(p for p in self.directory.glob("*.yaml") if p.name != ORGANISATIONS_FILE)
        entries = [(path.name, entry) for path in project_files for entry in _read_yaml(path).get("projects", [])]
        self._collect_mentions(entries)

        with change_set(ChangeKind.SEED, self.directory.name):
            self.indexes = {kind: RecordIndex.load(model, whole=True) for kind, model in RECORD_MODELS.items()}
            for entry in organisations.get("funders", []):
                self._load_funder(entry)
            for entry in organisations.get("programmes", []):
                self._load_programme(entry)
            for entry in organisations.get("partners", []):
                self._load_partner(entry)
            for entry in organisations.get("territories", []):
                self._load_territory(entry)
            projects = self._load_projects(entries)
            self._link_related(projects, entries)
        return self.report

    # --- references -----------------------------------------------------------------------------

    def _collect_mentions(self, entries) -> None:
        def note(kind: str, name: str, sources: list[dict]) -> None:
            bucket = self.mentions.setdefault((kind, name), [])
            bucket.extend(source for source in sources if source not in bucket)

        for _, entry in entries:
            sources = _clean_sources(entry.get("sources"))
            for role_key in ROLE_KEYS.values():
                for item in _as_list(entry.get(role_key)):
                    note("partner", _name_of(item), sources)
            for name in entry.get("funders", []):
                note("funder", name, sources)
            for name in entry.get("programmes", []):
                note("programme", name, sources)

    def _get(self, kind: str, name: str, where: str):
        try:
            return self.defined[kind][name]
        except KeyError:
            raise SeedError(f"{where}: {kind} «{name}» is not in {ORGANISATIONS_FILE}") from None

    def _sources(self, kind: str, entry: dict) -> list[dict]:
        return _clean_sources(entry.get("sources") or self.mentions.get((kind, entry["name"]), []))

    def _upsert(self, kind: str, entry: dict, values: dict):
        """Hand one organisation, funder, programme or territory to the write layer."""
        model = RECORD_MODELS[kind]
        try:
            record, outcome = record_upsert(
                model=model, index=self.indexes[kind], name=entry["name"], values=values, slug=entry.get("slug", "")
            )
        except ValidationError as error:
            raise SeedError(f"{ORGANISATIONS_FILE}, {kind} «{entry['name']}»: {_errors(error)}") from None
        except AmbiguousName as error:
            raise SeedError(f"{ORGANISATIONS_FILE}, {kind}: {error}") from None
        twin = next((name for name, other in self.defined[kind].items() if other.pk == record.pk), None)
        if twin is not None:
            raise SeedError(
                f"{ORGANISATIONS_FILE}: {kind} «{entry['name']}» and «{twin}» are one name written two ways"
            )
        self.report.record(model._meta.model_name, outcome)
        self.defined[kind][entry["name"]] = record
        return record

    # --- organisations --------------------------------------------------------------------------

    def _load_funder(self, entry: dict) -> None:
        values = {
            "other_names": _lines(entry.get("other_names")),
            "website": entry.get("website", ""),
            "sources": self._sources("funder", entry),
        }
        self._upsert("funder", entry, values)

    def _load_programme(self, entry: dict) -> None:
        where = f"{ORGANISATIONS_FILE}, programme «{entry['name']}»"
        values = {
            "short_name": entry.get("short_name", ""),
            "kind": entry.get("kind", "programme"),
            "parent": self._get("programme", entry["parent"], where) if entry.get("parent") else None,
            "description": _lines(entry.get("description")),
            "website": entry.get("website", ""),
            "sources": self._sources("programme", entry),
            "funders_inferred_because": _lines(entry.get("funders_inferred_because")),
        }
        # A programme's slug is made from its short name when it has one (/programmes/fami-2021-2027).
        entry = {**entry, "slug": entry.get("slug") or slugify(entry.get("short_name") or entry["name"])}
        funders = [self._get("funder", name, where) for name in entry.get("funders", [])]
        programme = self._upsert("programme", entry, values)
        if m2m_sync(manager=programme.funders, wanted=funders):
            self.report.record("programme funders", CHANGED)

    def _load_partner(self, entry: dict) -> None:
        values = {
            "other_names": _lines(entry.get("other_names")),
            "kind": entry.get("kind", "other"),
            "country": entry.get("country", ""),
            "city": entry.get("city", ""),
            "website": entry.get("website", ""),
            "tax_code": entry.get("tax_code", ""),
            "description": _lines(entry.get("description")),
            "sources": self._sources("partner", entry),
        }
        self._upsert("partner", entry, values)

    def _load_territory(self, entry: dict) -> None:
        where = f"{ORGANISATIONS_FILE}, territory «{entry['name']}»"
        codes = set()
        for text in entry.get("municipalities", []):
            try:
                codes.add(self.municipalities.resolve(text))
            except MunicipalityNotFound as error:
                raise SeedError(f"{where}: {error}") from None
        for province in entry.get("provinces", []):
            in_province = set(Municipality.objects.filter(province_code=province).values_list("istat_code", flat=True))
            if not in_province:
                raise SeedError(f"{where}: no municipalities in province «{province}»")
            codes |= in_province
        regions = [str(region).zfill(2) for region in entry.get("regions", [])]
        codes |= set(Municipality.objects.filter(region_code__in=regions).values_list("istat_code", flat=True))
        values = {
            "description": _lines(entry.get("description")),
            "note": _lines(entry.get("note")),
            "basis": entry.get("basis", TerritoryBasis.STATED),
        }
        if values["basis"] not in TerritoryBasis.values:
            raise SeedError(f"{where}: basis «{values['basis']}» is not one of {', '.join(TerritoryBasis.values)}")
        if values["basis"] != TerritoryBasis.STATED and not values["note"]:
            raise SeedError(f"{where}: a territory whose municipalities the source does not list needs a note")
        territory = self._upsert("territory", entry, values)
        if m2m_sync(manager=territory.municipalities, wanted=codes):
            self.report.record("territory municipalities", CHANGED)

    # --- projects -------------------------------------------------------------------------------

    def _project_input(self, file_name: str, entry: dict) -> ProjectInput:
        if not entry.get("title"):
            raise SeedError(f"{file_name}: a project has no title")
        where = f"{file_name}, project «{entry['title']}»"
        period = periods.Period()
        if entry.get("period"):
            try:
                period = periods.parse_period(entry["period"])
            except periods.PeriodError as error:
                raise SeedError(f"{where}: {error}") from None
        values = {
            "title": entry["title"],
            "kind": entry.get("kind", InitiativeKind.PROJECT),
            "acronym": entry.get("acronym", ""),
            "code": entry.get("code", ""),
            "cup": entry.get("cup", ""),
            "application_year": entry.get("application_year"),
            "summary": _lines(entry.get("summary")),
            "general_objective": _lines(entry.get("general_objective")),
            "specific_objectives": _lines(entry.get("specific_objectives")),
            "activities": _lines(entry.get("activities")),
            "beneficiaries": _lines(entry.get("beneficiaries")),
            "people_reached": entry.get("people_reached", ""),
            "period_text": entry.get("period", ""),
            **periods.period_fields(period),
            "duration_months": entry.get("duration_months") or period.duration_months,
            "countries": entry.get("countries", []),
            "website": entry.get("website", ""),
            "sources": _clean_sources(entry.get("sources")),
            "is_published": entry.get("published", True),
        }
        participations = []
        for role, key in ROLE_KEYS.items():
            for item in _as_list(entry.get(key)):
                self._get("partner", _name_of(item), where)
                item = item if isinstance(item, dict) else {"name": item}
                participations.append(
                    ParticipationInput(
                        name=item["name"],
                        role=role,
                        description=_lines(item.get("description")),
                        unit=_lines(item.get("unit")),
                        inferred_because=_lines(item.get("inferred_because")),
                    )
                )
        for kind, key in (("funder", "funders"), ("programme", "programmes"), ("territory", "territories")):
            for name in entry.get(key, []):
                self._get(kind, name, where)
        target_groups = {}
        for reach, groups in (entry.get("target_groups") or {}).items():
            if reach not in Reach.values:
                raise SeedError(f"{where}: target groups must be under direct or indirect, not «{reach}»")
            target_groups.update(dict.fromkeys(groups, reach))
        slug = entry.get("slug") or slugify(project_slug_text(title=entry["title"], acronym=entry.get("acronym", "")))
        return ProjectInput(
            values=values,
            slug=slug[:255],
            participations=participations,
            funders=list(entry.get("funders", [])),
            programmes=list(entry.get("programmes", [])),
            territories=list(entry.get("territories", [])),
            themes=list(entry.get("themes", [])),
            target_groups=target_groups,
            label=where,
        )

    def _load_projects(self, entries: list[tuple[str, dict]]) -> list[tuple[str, Project]]:
        """Every project entry written; (the slug the entry names, its project) for each."""
        inputs = [self._project_input(file_name, entry) for file_name, entry in entries]
        batch = ProjectBatch(inputs, records=self.indexes)
        for item in inputs:
            try:
                change = batch.plan(item)
            except ProjectMatchError as error:
                raise SeedError(f"{item.label}: {error}") from None
            if change.errors:
                raise SeedError(f"{item.label}: {_errors(ValidationError(change.errors))}")
            self.report.record("project", change.outcome)
            for link in change.changed_links:
                self.report.record(LINK_LABELS[link], CHANGED)
        batch.write()
        return [(item.slug, change.project) for item, change in zip(inputs, batch.changes, strict=True)]

    def _link_related(self, written: list[tuple[str, Project]], entries: list[tuple[str, dict]]) -> None:
        """Set each project's related projects to exactly what the seed says, in both directions.

        An entry's slug names its project even when the project's own slug is another (edited in the
        admin, or made by an earlier import): the entry found it by its CUP, code or title."""
        by_slug = {project.slug: project for _, project in written} | dict(written)
        projects = [project for _, project in written]
        wanted: dict[int, set[int]] = {project.pk: set() for project in projects}
        for project, (file_name, entry) in zip(projects, entries, strict=True):
            for slug in entry.get("related", []):
                related = by_slug.get(slug) or Project.objects.filter(slug=slug).first()
                if related is None:
                    raise SeedError(f"{file_name}, project «{project.title}»: related project «{slug}» not found")
                wanted[project.pk].add(related.pk)
                wanted.setdefault(related.pk, set()).add(project.pk)
        for project in projects:
            if related_sync(project=project, related=[Project(pk=pk) for pk in wanted[project.pk]]):
                self.report.record("related projects", CHANGED)


def load_seed(directory: Path) -> SeedReport:
    """Load every seed file in one transaction; SeedError leaves the database as it was."""
    return SeedLoader(directory).load()
