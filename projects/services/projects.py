"""Writing projects: the one path by which the seed, a sheet import and the generator store a project.

A source (a seed entry, a sheet row) is handed over as a ProjectInput: the fields it states and
the links it states, by name. A ProjectBatch then, for each input,
1. matches it to a stored project (matching.ProjectIndex) or plans a new one;
2. applies what it states, checks the result with the model's own rules, and lists what changes;
3. resolves the names of organisations, funders, programmes and territories, planning the records
   that do not exist yet;
and, once every input is planned and none has an error, writes everything in bulk, in one
transaction: new records, new and changed projects, and only the links that differ.

What an input does not state (a field absent from `values`, a link left as None) stays as stored.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from registry.enums import ChangeKind, Reach, Role, TargetGroup, Theme, role_position
from registry.history import CREATED, DELETED, change_set, versions_baseline, versions_record

from ..models import Participation, Project, ProjectTargetGroup, ProjectTheme, Territory
from ..names import tidy_name
from .bulk import any_of, chunked, delete_pks, insert_rows
from .index import projects_index, projects_unindex
from .matching import AmbiguousName, ProjectIndex, ProjectKeys, ProjectMatch, ProjectMatchError, RecordIndex
from .records import CHANGED, NEW, RECORD_MODELS, UNCHANGED, records_create
from .slugs import project_slug_text, slugs_allocate

DATE_FIELDS = ("start", "start_precision", "end", "end_precision")
# The vocabularies as sets, made once: TextChoices.values builds a new list on every access.
ROLES, THEMES = frozenset(Role.values), frozenset(Theme.values)
TARGET_GROUPS, REACHES = frozenset(TargetGroup.values), frozenset(Reach.values)
# The links an input names records in, and the kind of record each names.
RECORD_LINKS = {
    "participations": "partner",
    "funders": "funder",
    "programmes": "programme",
    "territories": "territory",
}
M2M_LINKS = ("funders", "programmes", "territories")


@dataclass
class ParticipationInput:
    name: str
    role: str
    # Each text None: keep what is stored (an empty text for a new link).
    description: str | None = None
    unit: str | None = None  # the office or department the source names
    inferred_because: str | None = None  # why the registry reads this role when no source states it

    def texts(self) -> tuple[str | None, ...]:
        return tuple(getattr(self, name) for name in PARTICIPATION_TEXTS)


# The texts a participation carries besides its partner, role and order, in ParticipationInput.texts()'s order.
PARTICIPATION_TEXTS = ("description", "unit", "inferred_because")


@dataclass
class ProjectInput:
    """What one source says about one project; anything it does not state is left as stored."""

    values: dict[str, Any] = field(default_factory=dict)  # Project fields, by name
    slug: str = ""  # only when the source names it: a key to match, and the base of a new project's slug
    participations: list[ParticipationInput] | None = None
    funders: list[str] | None = None  # names
    programmes: list[str] | None = None
    territories: list[str] | None = None
    themes: list[str] | None = None  # codes
    target_groups: dict[str, str | None] | None = None  # code -> reach; None keeps the stored reach
    target_groups_replace: bool = True  # False: the groups named are added to those stored
    label: str = ""  # how messages name the source: "row 5"

    def keys(self) -> ProjectKeys:
        return ProjectKeys(
            cup=(self.values.get("cup") or "").replace(" ", "").upper(),
            code=self.values.get("code", ""),
            title=self.values.get("title", ""),
            acronym=self.values.get("acronym", ""),
            slug=self.slug,
        )


@dataclass(slots=True)
class StoredLinks:
    """A stored project's links, as a batch compares them and writes what differs."""

    participations: list[Participation] = field(default_factory=list)  # in the project's order of roles
    themes: list[tuple[int, str]] = field(default_factory=list)  # (the link's id, the theme)
    target_groups: list[ProjectTargetGroup] = field(default_factory=list)
    records: dict[str, list[int]] = field(default_factory=dict)  # funders, programmes, territories: their ids


@dataclass
class ProjectChange:
    """One input, planned: the project it writes, whether it is new, changed or unchanged, and why."""

    input: ProjectInput
    project: Project
    outcome: str = UNCHANGED
    fields: list[str] = field(default_factory=list)  # project fields that change
    before: dict[str, Any] = field(default_factory=dict)  # their stored values, for a before/after view
    links: dict[str, Any] = field(default_factory=dict)  # the links stated, resolved to records
    changed_links: list[str] = field(default_factory=list)
    stored: StoredLinks = field(default_factory=StoredLinks)  # the links stored (none for a new project)
    created: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) of records it makes
    errors: dict[str, list[str]] = field(default_factory=dict)  # field or link -> messages

    @property
    def changes(self) -> list[str]:
        return [*self.fields, *self.changed_links]

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


def stored_links_of(pks: list[int]) -> dict[int, StoredLinks]:
    """The links of these projects, a query per kind of link and 2,000 projects (bulk.chunked). Read as rows
    into one object per project: read through `prefetch_related`, each project kept a related manager and a
    cached queryset per kind of link, which for 10,000 projects weighed more than the projects (120,000 Query
    objects)."""
    links = {pk: StoredLinks(records={link: [] for link in M2M_LINKS}) for pk in pks}
    for chunk in chunked(sorted(pks)):
        for participation in Participation.objects.filter(any_of("project_id", chunk)).order_by(
            "project_id", "role_order", "order", "pk"
        ):
            links[participation.project_id].participations.append(participation)
        themes = ProjectTheme.objects.filter(any_of("project_id", chunk))
        for pk, project_id, theme in themes.order_by("pk").values_list("pk", "project_id", "theme"):
            links[project_id].themes.append((pk, theme))
        for group in ProjectTargetGroup.objects.filter(any_of("project_id", chunk)).order_by("pk"):
            links[group.project_id].target_groups.append(group)
        for link in M2M_LINKS:
            through, column = getattr(Project, link).through, f"{RECORD_LINKS[link]}_id"
            rows = through.objects.filter(any_of("project_id", chunk)).order_by(column)
            for project_id, record_id in rows.values_list("project_id", column):
                links[project_id].records[link].append(record_id)
    return links


class ProjectBatch:
    """Projects planned together and written together: all of them, or (with any error) none."""

    def __init__(self, inputs: list[ProjectInput], *, publish: bool = False, records: dict | None = None):
        """`inputs` are those to be planned (their keys are looked up in one go); new projects are
        published when `publish` is set. `records` are indexes by kind already loaded by the caller."""
        self.publish = publish
        self.projects = ProjectIndex.load([item.keys() for item in inputs])
        self.stored = stored_links_of(self.projects.stored_pks())
        self._records: dict[str, RecordIndex] = dict(records or {})
        self.new_records: dict[str, list] = {kind: [] for kind in RECORD_MODELS}
        self.new_territory_codes: dict[int, set[str]] = {}  # id(new territory) -> ISTAT codes
        self.changes: list[ProjectChange] = []
        self._claimed: dict[int, ProjectChange] = {}  # id(project) -> the change that planned it

    def records(self, kind: str) -> RecordIndex:
        """The index of one kind of record, loaded the first time the batch needs it."""
        if kind not in self._records:
            self._records[kind] = RecordIndex.load(RECORD_MODELS[kind])
        return self._records[kind]

    # --- planning -------------------------------------------------------------------------------

    def match(self, item: ProjectInput) -> ProjectMatch:
        """The stored project the input is, or ProjectMatch(None); ProjectMatchError when that cannot be told,
        or when an earlier input of the batch is already that project."""
        match = self.projects.match(item.keys())
        if match.project is not None and id(match.project) in self._claimed:
            earlier = self._claimed[id(match.project)]
            raise ProjectMatchError(
                match.matched_by,
                _("the same project as %(earlier)s") % {"earlier": earlier.input.label or _("another source")},
            )
        return match

    def plan(self, item: ProjectInput, match: ProjectMatch | None = None) -> ProjectChange:
        """Plan the input (matched already, or now): the change it makes, or its errors."""
        match = match if match is not None else self.match(item)
        new = match.project is None
        project = Project(is_published=self.publish, slug=item.slug) if new else match.project
        change = ProjectChange(input=item, project=project, outcome=NEW if new else UNCHANGED)
        if not new:
            change.stored = self.stored[project.pk]
        self._apply_values(change)
        for link in RECORD_LINKS:
            if getattr(item, link) is not None:
                change.links[link] = self._resolve_records(change, link)
        if item.themes is not None:
            change.links["themes"] = self._themes(change)
        if item.target_groups is not None:
            change.links["target_groups"] = self._target_groups(change)
        if not new:
            change.changed_links = [
                link for link, wanted in change.links.items() if self._differs(change, link, wanted)
            ]
            change.outcome = CHANGED if change.changes else UNCHANGED
        self._claimed[id(project)] = change
        # Under the keys it has now: a later input naming it by its new CUP, code or title is the same project.
        self.projects.add(project)
        self.changes.append(change)
        return change

    def _apply_values(self, change: ProjectChange) -> None:
        project, values = change.project, dict(change.input.values)
        # Dates restated without the words they came from: the stored words no longer describe them.
        if (
            change.outcome != NEW
            and "period_text" not in values
            and any(name in values and values[name] != getattr(project, name) for name in DATE_FIELDS)
        ):
            values["period_text"] = ""
        # An empty duration says something only with the period's words (stated, or dropped above).
        if "duration_months" in values and values["duration_months"] is None and "period_text" not in values:
            del values["duration_months"]
        before = {name: getattr(project, name) for name in values}
        # A new project is checked on all it states; a stored one on what the input changes (what it
        # leaves as it is passed these checks when it was written).
        checked = [name for name, value in values.items() if change.outcome == NEW or value != before[name]]
        for name in checked:
            setattr(project, name, values[name])
        if checked:
            exclude = [f.name for f in Project._meta.concrete_fields if f.name not in checked]
            try:
                project.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
            except ValidationError as error:
                for name, messages in error.message_dict.items():
                    for message in messages:
                        change.add_error(name, message)
        project.refresh_title_keys()
        change.fields = [name for name in checked if getattr(project, name) != before[name]]
        change.before = {name: before[name] for name in change.fields}

    def _record(self, change: ProjectChange, link: str, name: str):
        """The record the name stands for; a new one (planned, not stored) when there is none."""
        kind = RECORD_LINKS[link]
        try:
            record = self.records(kind).find(name)
        except AmbiguousName as error:
            change.add_error(link, str(error))
            return None
        if record is None:
            record = RECORD_MODELS[kind](name=tidy_name(name))
            self.records(kind).add(record)
            self.new_records[kind].append(record)
        if record.pk is None:
            change.created.append((kind, record.name))
        return record

    def _resolve_records(self, change: ProjectChange, link: str) -> list:
        if link == "participations":
            return self._participations(change)
        found: dict[int, Any] = {}
        for name in getattr(change.input, link):
            record = self._record(change, link, name)
            if record is not None:
                found.setdefault(id(record), record)
        return list(found.values())

    def _participations(self, change: ProjectChange) -> list[tuple]:
        """(partner, role, position within the role, texts), lead first, each link once; texts as
        ParticipationInput.texts(), None for those the source does not state."""
        wanted, seen, counters = [], set(), defaultdict(int)
        for item in change.input.participations:
            if item.role not in ROLES:
                change.add_error(
                    "participations",
                    _("«%(role)s» is not a role (%(accepted)s)")
                    % {"role": item.role, "accepted": ", ".join(Role.values)},
                )
                continue
            partner = self._record(change, "participations", item.name)
            if partner is None or (id(partner), item.role) in seen:
                continue
            seen.add((id(partner), item.role))
            counters[item.role] += 1
            wanted.append((partner, item.role, counters[item.role], item.texts()))
        wanted.sort(key=lambda link: role_position(link[1]))
        leads = [link for link in wanted if link[1] == Role.LEAD]
        if len(leads) > 1:
            change.add_error(
                "participations",
                _("a project has one lead partner, this one names %(count)s") % {"count": len(leads)},
            )
        return wanted

    def _themes(self, change: ProjectChange) -> list[str]:
        unknown = [code for code in change.input.themes if code not in THEMES]
        if unknown:
            change.add_error(
                "themes",
                _("unknown themes %(themes)s (accepted: %(accepted)s)")
                % {"themes": ", ".join(unknown), "accepted": ", ".join(Theme.values)},
            )
        return list(dict.fromkeys(code for code in change.input.themes if code in THEMES))

    def _target_groups(self, change: ProjectChange) -> dict[str, str]:
        """The groups wanted, each with its reach: as stated, else as stored, else direct."""
        stored = (
            {} if change.outcome == NEW else {link.target_group: link.reach for link in change.stored.target_groups}
        )
        wanted = {} if change.input.target_groups_replace else dict(stored)
        for code, reach in change.input.target_groups.items():
            if code not in TARGET_GROUPS:
                change.add_error("target_groups", _("«%(code)s» is not a target group") % {"code": code})
            elif reach is not None and reach not in REACHES:
                change.add_error(
                    "target_groups",
                    _("«%(reach)s» is not a reach (%(accepted)s)")
                    % {"reach": reach, "accepted": ", ".join(Reach.values)},
                )
            else:
                wanted[code] = reach or stored.get(code) or Reach.DIRECT
        return wanted

    def _differs(self, change: ProjectChange, link: str, wanted) -> bool:
        if link == "participations":
            stored = {(p.partner_id, p.role): p for p in change.stored.participations}
            if set(stored) != {(partner.pk, role) for partner, role, _, _ in wanted}:
                return True
            return any(
                stored[(partner.pk, role)].order != order or _texts_differ(stored[(partner.pk, role)], texts)
                for partner, role, order, texts in wanted
            )
        if link == "themes":
            return {theme for _, theme in change.stored.themes} != set(wanted)
        if link == "target_groups":
            return {t.target_group: t.reach for t in change.stored.target_groups} != wanted
        return set(change.stored.records[link]) != {record.pk for record in wanted}

    def new_territory(self, name: str, codes: set[str]) -> Territory:
        """Plan a territory the batch creates, with the municipalities (ISTAT codes) it covers."""
        territory = Territory(name=tidy_name(name))
        self.records("territory").add(territory)
        self.new_records["territory"].append(territory)
        self.new_territory_codes[id(territory)] = set(codes)
        return territory

    def planned_codes(self, territory: Territory) -> set[str] | None:
        """The municipalities of a territory this batch creates (None for a stored one)."""
        return self.new_territory_codes.get(id(territory))

    @property
    def has_errors(self) -> bool:
        return any(change.errors for change in self.changes)

    def created(self) -> dict[str, list[str]]:
        """The names of the records the batch creates, by kind."""
        return {kind: [record.name for record in records] for kind, records in self.new_records.items()}

    # --- writing --------------------------------------------------------------------------------

    @transaction.atomic
    def write(self) -> None:
        """Store every planned change, in one transaction, and record it in the history (in the caller's change
        set, or one of its own). A batch with any error is refused whole."""
        if self.has_errors:
            raise ValueError("a batch with errors is never written")
        with change_set(ChangeKind.OTHER):
            self._write()

    def _write(self) -> None:
        versions_baseline(Project, [change.project.pk for change in self.changes if change.outcome == CHANGED])
        for kind, model in RECORD_MODELS.items():
            records_create(model=model, records=self.new_records[kind])
        insert_rows(
            Territory.municipalities.through,
            ["territory_id", "municipality_id"],
            [
                (territory.pk, code)
                for territory in self.new_records["territory"]
                for code in sorted(self.new_territory_codes.get(id(territory), ()))
            ],
        )
        new = [change for change in self.changes if change.outcome == NEW]
        texts = [
            change.input.slug or project_slug_text(title=change.project.title, acronym=change.project.acronym)
            for change in new
        ]
        for change, slug in zip(new, slugs_allocate(model=Project, texts=texts), strict=True):
            change.project.slug = slug
        Project.objects.bulk_create([change.project for change in new], batch_size=500)
        changed = [change for change in self.changes if change.outcome == CHANGED and change.fields]
        if changed:
            fields = {name for change in changed for name in change.fields}
            if fields & {"title", "acronym"}:
                fields |= {"title_key", "acronym_title_key"}
            Project.objects.bulk_update([change.project for change in changed], sorted(fields), batch_size=500)
        written = [change for change in self.changes if change.outcome != UNCHANGED]
        LinkWriter().write(written)
        projects_index(change.project.pk for change in written)
        versions_record(Project, [change.project.pk for change in new], history_type=CREATED)
        versions_record(Project, [change.project.pk for change in written if change.outcome == CHANGED])


class LinkWriter:
    """Brings the links of written projects to what their inputs state: inserts, updates and deletes
    only the rows that differ, each kind in a few statements for the whole batch."""

    def __init__(self):
        self.inserts: dict[str, list[tuple]] = defaultdict(list)
        self.deletes: dict[type, list[int]] = defaultdict(list)
        self.m2m_deletes: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.updates: dict[type, list] = defaultdict(list)

    def write(self, changes: list[ProjectChange]) -> None:
        for change in changes:
            stored = change.outcome != NEW  # a new project has no links yet: nothing to read
            for link, wanted in change.links.items():
                if stored and link not in change.changed_links:
                    continue
                getattr(self, f"_{link}" if link not in M2M_LINKS else "_m2m")(change, link, wanted, stored)
        for model, pks in self.deletes.items():
            delete_pks(model, pks)
        for link, by_project in self.m2m_deletes.items():
            through, column = getattr(Project, link).through, f"{RECORD_LINKS[link]}_id"
            for chunk in chunked(list(by_project.items()), 100):
                condition = Q()
                for project_id, other_ids in chunk:
                    condition |= Q(project_id=project_id, **{f"{column}__in": other_ids})
                through.objects.filter(condition).delete()
        Participation.objects.bulk_update(self.updates[Participation], ["order", *PARTICIPATION_TEXTS], batch_size=500)
        ProjectTargetGroup.objects.bulk_update(self.updates[ProjectTargetGroup], ["reach"], batch_size=500)
        columns = {
            "participations": (
                Participation,
                ["project_id", "partner_id", "role", "role_order", "order", *PARTICIPATION_TEXTS],
            ),
            "themes": (ProjectTheme, ["project_id", "theme"]),
            "target_groups": (ProjectTargetGroup, ["project_id", "target_group", "reach"]),
            **{
                link: (getattr(Project, link).through, ["project_id", f"{RECORD_LINKS[link]}_id"])
                for link in M2M_LINKS
            },
        }
        for link, rows in self.inserts.items():
            model, names = columns[link]
            insert_rows(model, names, rows)

    def _participations(self, change: ProjectChange, link: str, wanted: list[tuple], stored: bool) -> None:
        project = change.project
        current = {(p.partner_id, p.role): p for p in change.stored.participations} if stored else {}
        for partner, role, order, texts in wanted:
            existing = current.pop((partner.pk, role), None)
            if existing is None:
                self.inserts[link].append(
                    (project.pk, partner.pk, role, role_position(role), order, *(text or "" for text in texts))
                )
            elif existing.order != order or _texts_differ(existing, texts):
                existing.order = order
                for name, text in zip(PARTICIPATION_TEXTS, texts, strict=True):
                    if text is not None:
                        setattr(existing, name, text)
                self.updates[Participation].append(existing)
        self.deletes[Participation] += [p.pk for p in current.values()]

    def _themes(self, change: ProjectChange, link: str, wanted: list[str], stored: bool) -> None:
        current = {theme: pk for pk, theme in change.stored.themes} if stored else {}
        self.inserts[link] += [(change.project.pk, code) for code in wanted if code not in current]
        self.deletes[ProjectTheme] += [pk for code, pk in current.items() if code not in wanted]

    def _target_groups(self, change: ProjectChange, link: str, wanted: dict[str, str], stored: bool) -> None:
        project = change.project
        current = {t.target_group: t for t in change.stored.target_groups} if stored else {}
        for code, reach in wanted.items():
            existing = current.pop(code, None)
            if existing is None:
                self.inserts[link].append((project.pk, code, reach))
            elif existing.reach != reach:
                existing.reach = reach
                self.updates[ProjectTargetGroup].append(existing)
        self.deletes[ProjectTargetGroup] += [t.pk for t in current.values()]

    def _m2m(self, change: ProjectChange, link: str, wanted: list, stored: bool) -> None:
        project = change.project
        current = set(change.stored.records[link]) if stored else set()
        wanted_ids = [record.pk for record in wanted]
        self.inserts[link] += [(project.pk, pk) for pk in wanted_ids if pk not in current]
        gone = sorted(current - set(wanted_ids))
        if gone:
            self.m2m_deletes[link][project.pk] += gone


def project_upsert(*, item: ProjectInput, publish: bool = False) -> ProjectChange:
    """Create or update one project from one input; ValidationError (nothing written) when it has errors."""
    batch = ProjectBatch([item], publish=publish)
    try:
        change = batch.plan(item)
    except ProjectMatchError as error:
        raise ValidationError({error.field: [str(error)]}) from None
    if change.errors:
        raise ValidationError(change.errors)
    batch.write()
    return change


def related_sync(*, project: Project, related: list[Project]) -> bool:
    """Make the project's related projects exactly these (in both directions); whether anything changed."""
    wanted = {other.pk for other in related}
    stored = set(project.related.values_list("pk", flat=True))
    if stored == wanted:
        return False
    with change_set(ChangeKind.OTHER):
        touched = [project.pk, *(stored ^ wanted)]
        versions_baseline(Project, touched)
        project.related.set(sorted(wanted))
        versions_record(Project, touched)
    return True


@transaction.atomic
def projects_publish(*, projects: QuerySet, published: bool) -> int:
    """Publish (or withdraw from the public site) the projects not already so; how many changed."""
    pks = list(projects.filter(is_published=not published).values_list("pk", flat=True))
    with change_set(ChangeKind.ACTION):
        versions_baseline(Project, pks)
        for chunk in chunked(pks):
            Project.objects.filter(pk__in=chunk).update(is_published=published)
        projects_index(pks)
        versions_record(Project, pks)
    return len(pks)


@transaction.atomic
def projects_delete(*, projects: QuerySet) -> int:
    """Delete projects, and take them out of the public index first; how many were deleted."""
    pks = list(projects.values_list("pk", flat=True))
    with change_set(ChangeKind.ACTION):
        versions_baseline(Project, pks)
        versions_record(Project, pks, history_type=DELETED)
        projects_unindex(pks)
        for chunk in chunked(pks):
            Project.objects.filter(pk__in=chunk).delete()
    return len(pks)


def _texts_differ(participation: Participation, texts: tuple[str | None, ...]) -> bool:
    """Whether a stored participation differs from the texts a source states (None: not stated)."""
    return any(
        text is not None and getattr(participation, name) != text
        for name, text in zip(PARTICIPATION_TEXTS, texts, strict=True)
    )
