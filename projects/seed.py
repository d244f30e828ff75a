"""Loading the registry's seed data: the transcription of the seed documents in fixtures/seed/.

The YAML files are written for people to check against the documents (see fixtures/seed/README.md);
this module turns them into rows. Every reference is by name and must resolve (a misspelt partner
or municipality stops the load instead of creating a near-duplicate), and loading is an upsert that
only writes what differs, so a second run changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from partners.models import Partner, Role

from . import periods
from .models import (
    Funder,
    Municipality,
    Participation,
    Programme,
    Project,
    ProjectTargetGroup,
    ProjectTheme,
    Reach,
    TargetGroup,
    Territory,
    Theme,
)
from .places import MunicipalityIndex, MunicipalityNotFound

ORGANISATIONS_FILE = "organisations.yaml"


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
    cleaned = []
    for source in sources or []:
        cleaned.append({key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in source.items()})
    return cleaned


def _upsert(model, report: SeedReport, lookup: dict, values: dict):
    """Create the row, or update only the fields that differ; report which it was."""
    instance = model.objects.filter(**lookup).first()
    label = model._meta.model_name
    if instance is None:
        instance = model(**lookup, **values)
        _validate(instance, lookup)
        instance.save()
        report.record(label, "new")
        return instance
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, values[name])
        _validate(instance, lookup)
        instance.save(update_fields=changed)
        report.record(label, "changed")
    else:
        report.record(label, "unchanged")
    return instance


def _validate(instance, lookup: dict) -> None:
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise SeedError(f"{instance._meta.model_name} {lookup}: {error.message_dict}") from None


def _set_m2m(manager, wanted: list) -> bool:
    current = set(manager.values_list("pk", flat=True))
    target = {obj.pk for obj in wanted}
    if current != target:
        manager.set(wanted)
        return True
    return False


class SeedLoader:
    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.report = SeedReport()
        self.municipalities = MunicipalityIndex.from_database()
        self.partners: dict[str, Partner] = {}
        self.funders: dict[str, Funder] = {}
        self.programmes: dict[str, Programme] = {}
        self.territories: dict[str, Territory] = {}
        # Partners, funders and programmes are documented by the sources of the projects naming them.
        self.mentions: dict[tuple[str, str], list[dict]] = {}

    def load(self) -> SeedReport:
        if not self.directory.is_dir():
            raise SeedError(f"{self.directory} is not a folder")
        if not len(self.municipalities):
            raise SeedError("No municipalities in the database: run load_municipalities first")
        organisations = _read_yaml(self.directory / ORGANISATIONS_FILE)
        project_files = sorted(p for p in self.directory.glob("*.yaml") if p.name != ORGANISATIONS_FILE)
        project_entries = []
        for path in project_files:
            for entry in _read_yaml(path).get("projects", []):
                project_entries.append((path.name, entry))
        self._collect_mentions(project_entries)

        with transaction.atomic():
            for entry in organisations.get("funders", []):
                self._load_funder(entry)
            for entry in organisations.get("programmes", []):
                self._load_programme(entry)
            for entry in organisations.get("partners", []):
                self._load_partner(entry)
            for entry in organisations.get("territories", []):
                self._load_territory(entry)
            projects = [self._load_project(file_name, entry) for file_name, entry in project_entries]
            self._link_related(projects, project_entries)
        return self.report

    # --- references -----------------------------------------------------------------------------

    def _collect_mentions(self, project_entries) -> None:
        def note(kind: str, name: str, sources: list[dict]) -> None:
            bucket = self.mentions.setdefault((kind, name), [])
            for source in sources:
                if source not in bucket:
                    bucket.append(source)

        for _, entry in project_entries:
            sources = _clean_sources(entry.get("sources"))
            for role_key in ("lead_partner", "partners", "supporting"):
                for item in self._as_list(entry.get(role_key)):
                    note("partner", self._name_of(item), sources)
            for name in entry.get("funders", []):
                note("funder", name, sources)
            for name in entry.get("programmes", []):
                note("programme", name, sources)

    @staticmethod
    def _as_list(value) -> list:
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    @staticmethod
    def _name_of(item) -> str:
        return item["name"] if isinstance(item, dict) else item

    def _get(self, registry: dict, kind: str, name: str, where: str):
        try:
            return registry[name]
        except KeyError:
            raise SeedError(f"{where}: {kind} «{name}» is not in {ORGANISATIONS_FILE}") from None

    def _sources(self, kind: str, entry: dict) -> list[dict]:
        return _clean_sources(entry.get("sources") or self.mentions.get((kind, entry["name"]), []))

    # --- organisations --------------------------------------------------------------------------

    def _load_funder(self, entry: dict) -> None:
        values = {
            "slug": entry.get("slug") or slugify(entry["name"]),
            "other_names": _lines(entry.get("other_names")),
            "website": entry.get("website", ""),
            "sources": self._sources("funder", entry),
        }
        self.funders[entry["name"]] = _upsert(Funder, self.report, {"name": entry["name"]}, values)

    def _load_programme(self, entry: dict) -> None:
        where = f"{ORGANISATIONS_FILE}, programme «{entry['name']}»"
        values = {
            "slug": entry.get("slug") or slugify(entry.get("short_name") or entry["name"]),
            "short_name": entry.get("short_name", ""),
            "kind": entry.get("kind", "programme"),
            "parent": self._get(self.programmes, "programme", entry["parent"], where) if entry.get("parent") else None,
            "description": _lines(entry.get("description")),
            "website": entry.get("website", ""),
            "sources": self._sources("programme", entry),
        }
        programme = _upsert(Programme, self.report, {"name": entry["name"]}, values)
        funders = [self._get(self.funders, "funder", name, where) for name in entry.get("funders", [])]
        if _set_m2m(programme.funders, funders):
            self.report.record("programme funders", "changed")
        self.programmes[entry["name"]] = programme

    def _load_partner(self, entry: dict) -> None:
        values = {
            "slug": entry.get("slug") or slugify(entry["name"]),
            "other_names": _lines(entry.get("other_names")),
            "kind": entry.get("kind", "other"),
            "country": entry.get("country", ""),
            "city": entry.get("city", ""),
            "website": entry.get("website", ""),
            "tax_code": entry.get("tax_code", ""),
            "description": _lines(entry.get("description")),
            "sources": self._sources("partner", entry),
        }
        self.partners[entry["name"]] = _upsert(Partner, self.report, {"name": entry["name"]}, values)

    def _load_territory(self, entry: dict) -> None:
        where = f"{ORGANISATIONS_FILE}, territory «{entry['name']}»"
        values = {
            "slug": entry.get("slug") or slugify(entry["name"])[:255],
            "description": _lines(entry.get("description")),
            "note": _lines(entry.get("note")),
        }
        territory = _upsert(Territory, self.report, {"name": entry["name"]}, values)
        codes = set()
        for text in entry.get("municipalities", []):
            try:
                codes.add(self.municipalities.resolve(text))
            except MunicipalityNotFound as error:
                raise SeedError(f"{where}: {error}") from None
        whole = Municipality.objects.none()
        if entry.get("provinces"):
            whole |= Municipality.objects.filter(province_code__in=entry["provinces"])
        if entry.get("regions"):
            whole |= Municipality.objects.filter(region_code__in=[str(r).zfill(2) for r in entry["regions"]])
        codes.update(whole.values_list("istat_code", flat=True))
        for province in entry.get("provinces", []):
            if not Municipality.objects.filter(province_code=province).exists():
                raise SeedError(f"{where}: no municipalities in province «{province}»")
        current = set(territory.municipalities.values_list("istat_code", flat=True))
        if current != codes:
            territory.municipalities.set(sorted(codes))
            self.report.record("territory municipalities", "changed")
        self.territories[entry["name"]] = territory

    # --- projects -------------------------------------------------------------------------------

    def _load_project(self, file_name: str, entry: dict) -> Project:
        where = f"{file_name}, project «{entry.get('title', '?')}»"
        if not entry.get("title"):
            raise SeedError(f"{file_name}: a project has no title")
        values = {
            "title": entry["title"],
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
            "duration_months": entry.get("duration_months"),
            "countries": entry.get("countries", []),
            "website": entry.get("website", ""),
            "sources": _clean_sources(entry.get("sources")),
            "is_published": entry.get("published", True),
        }
        period = Project()
        if entry.get("period"):
            try:
                parsed = periods.parse_period(entry["period"])
            except periods.PeriodError as error:
                raise SeedError(f"{where}: {error}") from None
            period.set_period(parsed, text=entry["period"])
        for name in ("period_text", "start", "start_precision", "end", "end_precision"):
            values[name] = getattr(period, name)
        if values["duration_months"] is None:
            values["duration_months"] = period.duration_months

        slug = entry.get("slug") or slugify(entry.get("acronym") or entry["title"])[:255]
        project = _upsert(Project, self.report, {"slug": slug}, values)

        wanted_links = []
        for role, key in ((Role.LEAD, "lead_partner"), (Role.PARTNER, "partners"), (Role.SUPPORTING, "supporting")):
            for order, item in enumerate(self._as_list(entry.get(key)), start=1):
                partner = self._get(self.partners, "partner", self._name_of(item), where)
                description = item.get("description", "") if isinstance(item, dict) else ""
                wanted_links.append((partner, role, order, _lines(description)))
        if sum(1 for link in wanted_links if link[1] == Role.LEAD) > 1:
            raise SeedError(f"{where}: more than one lead partner")
        self._sync_participations(project, wanted_links)

        for manager, registry, kind, key in (
            (project.funders, self.funders, "funder", "funders"),
            (project.programmes, self.programmes, "programme", "programmes"),
            (project.territories, self.territories, "territory", "territories"),
        ):
            wanted = [self._get(registry, kind, name, where) for name in entry.get(key, [])]
            if _set_m2m(manager, wanted):
                self.report.record(f"project {key}", "changed")

        themes = entry.get("themes", [])
        unknown = set(themes) - set(Theme.values)
        if unknown:
            raise SeedError(f"{where}: unknown themes {sorted(unknown)}")
        current_themes = set(project.theme_links.values_list("theme", flat=True))
        if current_themes != set(themes):
            project.theme_links.exclude(theme__in=themes).delete()
            ProjectTheme.objects.bulk_create(
                [ProjectTheme(project=project, theme=theme) for theme in themes if theme not in current_themes]
            )
            self.report.record("project themes", "changed")

        wanted_groups = {}
        for reach, groups in (entry.get("target_groups") or {}).items():
            if reach not in Reach.values:
                raise SeedError(f"{where}: target groups must be under direct or indirect, not «{reach}»")
            for group in groups:
                if group not in TargetGroup.values:
                    raise SeedError(f"{where}: unknown target group «{group}»")
                wanted_groups[group] = reach
        current_groups = dict(project.target_group_links.values_list("target_group", "reach"))
        if current_groups != wanted_groups:
            project.target_group_links.all().delete()
            ProjectTargetGroup.objects.bulk_create(
                [ProjectTargetGroup(project=project, target_group=g, reach=r) for g, r in wanted_groups.items()]
            )
            self.report.record("project target groups", "changed")
        return project

    def _sync_participations(self, project: Project, wanted_links: list) -> None:
        current = {
            (link.partner_id, link.role): link for link in project.participations.all()
        }
        wanted_keys = set()
        changed = False
        for partner, role, order, description in wanted_links:
            key = (partner.pk, role)
            wanted_keys.add(key)
            link = current.get(key)
            if link is None:
                Participation.objects.create(
                    project=project, partner=partner, role=role, order=order, description=description
                )
                changed = True
            elif (link.order, link.description) != (order, description):
                link.order, link.description = order, description
                link.save()
                changed = True
        stale = [link.pk for key, link in current.items() if key not in wanted_keys]
        if stale:
            Participation.objects.filter(pk__in=stale).delete()
            changed = True
        if changed:
            self.report.record("project partners", "changed")

    def _link_related(self, projects: list[Project], entries: list[tuple[str, dict]]) -> None:
        """Set each project's related projects to exactly what the seed says, in both directions."""
        by_slug = {project.slug: project for project in projects}
        wanted: dict[int, set[int]] = {project.pk: set() for project in projects}
        for project, (file_name, entry) in zip(projects, entries):
            for slug in entry.get("related", []):
                related = by_slug.get(slug) or Project.objects.filter(slug=slug).first()
                if related is None:
                    raise SeedError(f"{file_name}, project «{project.title}»: related project «{slug}» not found")
                wanted[project.pk].add(related.pk)
                wanted.setdefault(related.pk, set()).add(project.pk)
        for project in projects:
            if set(project.related.values_list("pk", flat=True)) != wanted[project.pk]:
                project.related.set(wanted[project.pk])
                self.report.record("related projects", "changed")


def load_seed(directory: Path) -> SeedReport:
    """Load every seed file in one transaction; SeedError leaves the database as it was."""
    return SeedLoader(directory).load()
