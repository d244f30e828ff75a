"""Matching: which record already in the registry a source is speaking of.

Organisations, funders, programmes and territories are matched by name: the name exactly as
written first, else the name folded (projects.names.fold_name: case, accents, apostrophes, dashes
and spacing ignored). Two records whose names fold alike make the folded name ambiguous, which is
an error rather than a guess.

Projects are matched in cascade: by CUP, then by code, then by title (folded, with or without the
acronym in front), then by the slug the source names. The first key that finds a project decides;
a later CUP, code or slug that finds another project is a conflict, reported, never resolved by
picking one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from django.db import models
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from ..models import Programme, Project
from ..names import acronym_key, fold_name, tidy_name, title_keys
from .bulk import any_of, chunked


class AmbiguousName(ValueError):
    """A name that folds like the names of several records."""

    def __init__(self, name: str, records: list):
        self.name = name
        self.records = records
        listed = ", ".join(f"«{record.name}»" for record in records)
        super().__init__(
            _("«%(name)s» could be any of %(records)s: write the name exactly as one of them")
            % {"name": name, "records": listed}
        )


class RecordIndex:
    """Records of one model by name, in memory: one query, then a lookup per name.

    Programmes are also found by their short name ("FAMI 2021-2027"), after every full name.
    """

    def __init__(self, records: Iterable, *, alias_field: str = ""):
        self.alias_field = alias_field
        self._exact: dict[str, object] = {}
        self._folded: dict[str, list] = defaultdict(list)
        self._alias_exact: dict[str, object] = {}
        self._alias_folded: dict[str, list] = defaultdict(list)
        for record in records:
            self.add(record)

    @classmethod
    def load(cls, model: type[models.Model], *, exclude_pk: int | None = None, whole: bool = False) -> RecordIndex:
        """Every record of the model; with `whole`, every field of each (for updating them), else names only."""
        alias_field = "short_name" if model is Programme else ""
        records = model.objects.order_by("pk")
        if not whole:
            records = records.only("pk", "name", *([alias_field] if alias_field else []))
        if exclude_pk is not None:
            records = records.exclude(pk=exclude_pk)
        return cls(records, alias_field=alias_field)

    def add(self, record) -> None:
        self._exact.setdefault(tidy_name(record.name), record)
        self._folded[fold_name(record.name)].append(record)
        alias = getattr(record, self.alias_field, "") if self.alias_field else ""
        if alias:
            self._alias_exact.setdefault(tidy_name(alias), record)
            self._alias_folded[fold_name(alias)].append(record)

    def find(self, name: str):
        """The record the name stands for, or None; AmbiguousName when it could be several."""
        record = self._exact.get(name)  # most names arrive as they are stored
        if record is not None:
            return record
        tidy = tidy_name(name)
        key = fold_name(tidy)
        for exact, folded in ((self._exact, self._folded), (self._alias_exact, self._alias_folded)):
            record = exact.get(tidy)
            if record is not None:
                return record
            candidates = folded.get(key, [])
            if len(candidates) == 1:
                return candidates[0]
            if candidates:
                raise AmbiguousName(name, candidates)
        return None


def record_match(*, model: type[models.Model], name: str, exclude_pk: int | None = None):
    """The record of `model` that `name` stands for (another than `exclude_pk`), or None."""
    return RecordIndex.load(model, exclude_pk=exclude_pk).find(name)


# --- projects -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectKeys:
    """What a source gives that can identify a project. `slug` is the one the source names, if any."""

    cup: str = ""
    code: str = ""
    title: str = ""
    acronym: str = ""
    slug: str = ""

    @cached_property
    def title_slug(self) -> str:
        """The slug the title makes: projects imported before their title was edited are found by it."""
        return slugify(self.title)[:255]

    @cached_property
    def title_forms(self) -> list[str]:
        """The title keys to look up, most specific first (the acronym and title together, then the title)."""
        title_key, acronym_title_key = title_keys(self.title, self.acronym)
        return [key for key in (acronym_title_key, title_key) if key]


# The keys as messages name them ("cup I69E19001100002", "codice FAMI-123" in Italian).
KEY_NAMES = {
    "cup": pgettext_lazy("project key", "cup"),
    "code": pgettext_lazy("project key", "code"),
    "slug": pgettext_lazy("project key", "slug"),
    "title": pgettext_lazy("project key", "title"),
}


def _key(key: str, value: str) -> str:
    return _("%(key)s %(value)s") % {"key": KEY_NAMES.get(key, key), "value": value}


class ProjectMatchError(ValueError):
    """The keys of a source point to different projects, or to several projects at once."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


@dataclass
class ProjectMatch:
    project: Project | None
    matched_by: str = ""  # "cup", "code", "title" or "slug"; empty for a new project

    def describe(self, keys: ProjectKeys) -> str:
        return _key(self.matched_by, getattr(keys, self.matched_by)) if self.matched_by != "title" else _("its title")


STRONG_KEYS = ("cup", "code", "slug")


class ProjectIndex:
    """The projects a batch of sources could be speaking of, loaded with one query per key and chunk."""

    def __init__(self, projects: Iterable[Project]):
        self.by_key: dict[str, dict[str, list[Project]]] = {
            "cup": defaultdict(list),
            "code": defaultdict(list),
            "slug": defaultdict(list),
            "title": defaultdict(list),
        }
        for project in projects:
            self.add(project)

    @classmethod
    def load(cls, keys: Iterable[ProjectKeys], *, queryset=None) -> ProjectIndex:
        keys = list(keys)
        queryset = queryset if queryset is not None else Project.objects.all()
        wanted = {
            "cup": {k.cup for k in keys if k.cup},
            "code": {k.code for k in keys if k.code},
            "slug": {k.slug for k in keys if k.slug} | {k.title_slug for k in keys if k.title_slug},
            "title": {form for k in keys for form in k.title_forms},
        }
        columns = {"cup": ["cup"], "code": ["code"], "slug": ["slug"], "title": ["title_key", "acronym_title_key"]}
        pks: set[int] = set()
        for key, values in wanted.items():
            for column in columns[key]:
                for chunk in chunked(sorted(values)):
                    rows = Project.objects.filter(any_of(column, chunk)).order_by()
                    pks.update(rows.values_list("pk", flat=True))
        projects = []
        for chunk in chunked(sorted(pks)):
            projects.extend(queryset.filter(any_of("pk", chunk)).order_by())
        return cls(projects)

    def stored_pks(self) -> list[int]:
        """The ids of the stored projects the index holds."""
        return sorted(
            {
                project.pk
                for by_value in self.by_key.values()
                for found in by_value.values()
                for project in found
                if project.pk is not None
            }
        )

    def add(self, project: Project) -> None:
        """Index a project, already stored or about to be, under every key it has."""
        for key in ("cup", "code", "slug"):
            if getattr(project, key):
                self.by_key[key][getattr(project, key)].append(project)
        for form in {project.title_key, project.acronym_title_key} - {""}:
            self.by_key["title"][form].append(project)

    def lookup(self, key: str, keys: ProjectKeys) -> list[Project]:
        if key == "title":
            for form in keys.title_forms:
                found = self._unique(self.by_key["title"].get(form, []))
                # A project stated with another CUP, code or acronym is another project with the same title.
                found = [project for project in found if not _contradicts(project, keys)]
                if found:
                    return found
            return []
        if key == "title_slug":
            found = self._unique(self.by_key["slug"].get(keys.title_slug, []))
            return [project for project in found if not _contradicts(project, keys)]
        value = getattr(keys, key)
        return self._unique(self.by_key[key].get(value, [])) if value else []

    @staticmethod
    def _unique(projects: list[Project]) -> list[Project]:
        return list({id(project): project for project in projects}.values())

    def match(self, keys: ProjectKeys) -> ProjectMatch:
        """The project the keys name (CUP, then code, then title, then slug), or a new one."""
        found: ProjectMatch | None = None
        # The slug the title makes comes last and only decides when nothing else has.
        for key in ("cup", "code", "title", "slug", "title_slug"):
            if found is not None and key not in STRONG_KEYS:
                continue  # a weaker key cannot contradict the key that decided
            candidates = self.lookup(key, keys)
            if found is None:
                # The slug the title makes is the title, for messages and for the columns they name.
                field = "title" if key == "title_slug" else key
                if len(candidates) > 1:
                    raise ProjectMatchError(field, _ambiguity(key, keys, candidates))
                if candidates:
                    found = ProjectMatch(candidates[0], field)
            elif key in STRONG_KEYS and candidates and found.project not in candidates:
                other = candidates[0]
                raise ProjectMatchError(
                    key,
                    _("%(found)s is «%(title)s» but %(other_key)s is «%(other_title)s»")
                    % {
                        "found": found.describe(keys),
                        "title": found.project.title,
                        "other_key": _key(key, getattr(keys, key)),
                        "other_title": other.title,
                    },
                )
        if found is None:
            return ProjectMatch(None)
        for key in ("cup", "code"):
            mine, theirs = getattr(keys, key), getattr(found.project, key)
            if mine and theirs and mine != theirs:
                raise ProjectMatchError(
                    key,
                    _("«%(title)s», found by %(found)s, has %(theirs)s, not %(mine)s")
                    % {
                        "title": found.project.title,
                        "found": found.describe(keys),
                        "theirs": _key(key, theirs),
                        "mine": mine,
                    },
                )
        return found


def _ambiguity(key: str, keys: ProjectKeys, candidates: list[Project]) -> str:
    if key in ("title", "title_slug"):
        stated = [_key(name, getattr(keys, name)) for name in ("cup", "code") if getattr(keys, name)]
        if stated:
            return _(
                "%(count)s projects are titled «%(title)s» and none has %(keys)s: "
                "give the slug of the one this is, or add its CUP or code in the admin first"
            ) % {"count": len(candidates), "title": keys.title, "keys": _(" or ").join(stated)}
        return _("%(count)s projects are titled «%(title)s»: give the CUP or the code to tell them apart") % {
            "count": len(candidates),
            "title": keys.title,
        }
    return _("%(count)s projects have %(key)s: give the CUP to tell them apart") % {
        "count": len(candidates),
        "key": _key(key, getattr(keys, key)),
    }


def _contradicts(project: Project, keys: ProjectKeys) -> bool:
    if any(
        getattr(keys, key) and getattr(project, key) and getattr(keys, key) != getattr(project, key)
        for key in ("cup", "code")
    ):
        return True
    mine, theirs = acronym_key(keys.acronym), acronym_key(project.acronym)
    return bool(mine and theirs and mine != theirs)


def project_match(*, keys: ProjectKeys, exclude_pk: int | None = None) -> ProjectMatch:
    """The stored project (another than `exclude_pk`) that the keys name, or ProjectMatch(None)."""
    queryset = Project.objects.exclude(pk=exclude_pk) if exclude_pk is not None else None
    return ProjectIndex.load([keys], queryset=queryset).match(keys)
