"""The registry's history: every version of every project, organisation, funder, programme and territory,
who wrote it, in which change set, and how to go back to it.

django-simple-history makes the historical tables (one per model, with every field) and reads them; the
registry records into them itself, explicitly, because its writers work in bulk (an import stores a
hundred thousand projects with COPY and bulk_update, which send no signals) and a project's version
must include its links (organisations, funders, territories…), which are saved after the project row.
So:

- every write runs inside a change set (`change_set(...)`): one admin save, one action, one import, one
  merge; nested writers join the outer set;
- a writer calls `versions_baseline(model, pks)` before changing stored objects (an object stored before
  the history began gets its "as it was" version first) and `versions_record(model, pks)` after; the
  versions are written when the change set closes, once per object, in its final state (links included);
  a deletion is recorded at once, before the rows go;
- each model says in a HistoryPolicy (registered by the apps, see projects/history.py) what its links
  are and how a version of it is written back.

A version's id is also the object's version number: an admin form carries the latest id it was read at,
and a save from a stale form is refused (registry.history_admin).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import getpass
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Max, Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from .enums import ChangeKind

CREATED, CHANGED, DELETED = "+", "~", "-"
# Objects read back at a time to record their versions.
RECORD_CHUNK = 2000


class HistoryBase(models.Model):
    """What every historical row has besides the model's fields: its change set and its links."""

    change_set = models.ForeignKey(
        "registry.ChangeSet",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=gettext_lazy("change set"),
    )
    # The object's links as they were (a project's organisations and roles, funders, territories…), in the
    # form its HistoryPolicy gives them: a version is the whole object, not only its row.
    links = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True


class RestoreError(Exception):
    """A version cannot be written back (an organisation it names no longer exists…); nothing was written."""


class UndoConflict(Exception):
    """Objects of the change set were changed after it: undoing it would overwrite those changes."""

    def __init__(self, versions: list):
        self.versions = versions
        super().__init__(", ".join(str(version) for version in versions))


@dataclass
class LinkChange:
    """A link's difference between two versions, in words: what was added and what was removed."""

    label: str
    added: list[str]
    removed: list[str]


@dataclass(frozen=True)
class InlineRows:
    """The rows of one model an admin inline edits, as a version's links hold them: what a stale change form
    needs to merge the other save's changes to those rows (registry.history_admin).

    `rows(links)` gives one dict per row, of `fields` (foreign keys by id), with the row's "id" where the
    version holds it; a version that does not is matched by `key`, the fields that identify a row in it.
    """

    model: type[models.Model]
    fields: tuple[str, ...]
    key: tuple[str, ...]
    rows: Callable[[dict], list[dict]]


@dataclass
class HistoryPolicy:
    """How the history treats one model.

    `links(pks)` gives the links of these objects as JSON, by id (read for many at once, see
    projects.history); `link_changes(old, new)`
    says in words how two such link sets differ; `restore(version, deleted)` writes a version back
    through the model's writers (re-creating the object, same id, when `deleted`); `delete(pks)` removes
    objects a change set created, when it is undone. `rank` orders them in an undo: organisations and
    other records before the projects that name them, and the other way round for deletions.
    """

    rank: int
    restore: Callable
    delete: Callable
    links: Callable[[list], dict[Any, dict]] = lambda pks: {}
    link_changes: Callable[[dict, dict], list[LinkChange]] = lambda old, new: []
    reindex: Callable[[list], None] = lambda pks: None  # after versions are written back: derived data, once
    label: Callable[[Any], str] = lambda version: str(version.instance)
    inline_rows: tuple[InlineRows, ...] = ()
    # `restore` for many (version, deleted) pairs at once, where the model can (an undo of a whole import).
    restore_many: Callable[[list], None] | None = None


POLICIES: dict[type[models.Model], HistoryPolicy] = {}


def register(model: type[models.Model], policy: HistoryPolicy) -> None:
    POLICIES[model] = policy


def policy_for(model: type[models.Model]) -> HistoryPolicy:
    return POLICIES[model._meta.concrete_model]


def history_model(model: type[models.Model]) -> type[models.Model]:
    return model._meta.concrete_model.history.model


def tracked(model: type[models.Model]) -> bool:
    return model._meta.concrete_model in POLICIES


# --- change sets ----------------------------------------------------------------------------------


@dataclass
class ChangeFrame:
    """The change set being written: made in the database with its first version, so that a save that changes
    nothing leaves no empty set behind."""

    kind: str
    label: str
    user: Any = None
    actor: str = ""
    record: Any = None  # the ChangeSet row, once there is one
    pending: dict[type, dict[int, str]] = field(default_factory=lambda: defaultdict(dict))
    date: dt.datetime = field(default_factory=timezone.now)

    def stored(self):
        if self.record is None:
            from .models import ChangeSet  # noqa: PLC0415 (this module is imported by models of both apps)

            user = self.user if getattr(self.user, "is_authenticated", False) else None
            self.record = ChangeSet.objects.create(
                kind=self.kind, label=self.label[:300], user=user, actor=self.actor[:150]
            )
        return self.record


_current: contextvars.ContextVar[ChangeFrame | None] = contextvars.ContextVar("registry_change_set", default=None)


@contextmanager
def change_set(kind: str = ChangeKind.OTHER, label: str = "", *, user=None, actor: str = "") -> Iterator[ChangeFrame]:
    """Group every version recorded inside into one change set, written in one transaction; inside another
    change set, join it. The frame's `record` is the ChangeSet row after the block (None if nothing changed)."""
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    frame = ChangeFrame(kind=kind, label=label, user=user, actor=actor)
    token = _current.set(frame)
    try:
        with transaction.atomic():
            yield frame
            _flush(frame)
    finally:
        _current.reset(token)


def system_account() -> str:
    """The account running a command, for the history when no editor is named."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no user database entry (some containers)
        return "?"


def current_change_set() -> ChangeFrame | None:
    return _current.get()


def versions_record(model: type[models.Model], pks: Iterable[int], *, history_type: str = CHANGED) -> None:
    """Record the stored state of these objects in the current change set (one made for the call when there
    is none). Created or changed objects are recorded when the set closes, in their final state; deleted
    ones now, so call this before deleting them."""
    pks = [pk for pk in pks if pk is not None]
    if not pks:
        return
    model = model._meta.concrete_model
    frame = _current.get()
    if frame is None:
        with change_set(ChangeKind.OTHER):
            versions_record(model, pks, history_type=history_type)
        return
    if history_type == DELETED:
        for pk in pks:
            frame.pending[model].pop(pk, None)
        _write_versions(model, pks, history_type=DELETED, frame=frame)
        return
    waiting = frame.pending[model]
    for pk in pks:
        waiting[pk] = CREATED if CREATED in (history_type, waiting.get(pk)) else CHANGED


def versions_baseline(model: type[models.Model], pks: Iterable[int]) -> None:
    """Record, as they are stored now, those of these objects that have no version yet: an object written
    before the history began can then be restored to what it was."""
    model = model._meta.concrete_model
    # An object this change set already wrote waits for its version at the set's close: it needs no baseline.
    frame = _current.get()
    waiting = frame.pending.get(model, {}) if frame is not None else {}
    pks = sorted({pk for pk in pks if pk is not None and pk not in waiting})
    if not pks:
        return
    history = history_model(model)
    pk_name = model._meta.pk.attname
    for chunk in _chunks(pks):
        known = set(history.objects.filter(**{f"{pk_name}__in": chunk}).values_list(pk_name, flat=True).distinct())
        missing = [pk for pk in chunk if pk not in known]
        if missing:
            _write_versions(model, missing, history_type=CREATED, frame=None)


def latest_version(model: type[models.Model], pk) -> int:
    """The object's version number: the id of its latest historical row, 0 when it has none."""
    model = model._meta.concrete_model
    history = history_model(model)
    found = history.objects.filter(**{model._meta.pk.attname: pk}).aggregate(latest=Max("history_id"))["latest"]
    return found or 0


def versions_since(model: type[models.Model], pk, version: int):
    """The versions of the object recorded after `version`, oldest first, with their change sets."""
    model = model._meta.concrete_model
    history = history_model(model)
    return (
        history.objects.filter(**{model._meta.pk.attname: pk}, history_id__gt=version)
        .select_related("change_set", "history_user")
        .order_by("history_id")
    )


def _chunks(items: list, size: int | None = None) -> Iterator[list]:
    size = size or RECORD_CHUNK
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _flush(frame: ChangeFrame) -> None:
    for model, waiting in frame.pending.items():
        for history_type in (CREATED, CHANGED):
            pks = sorted(pk for pk, kind in waiting.items() if kind == history_type)
            if pks:
                _write_versions(model, pks, history_type=history_type, frame=frame)
    frame.pending.clear()


def _write_versions(model: type[models.Model], pks: list[int], *, history_type: str, frame: ChangeFrame | None):
    """One historical row per object, from what the database holds now (fields and links).

    Read as plain values and written with COPY on PostgreSQL (projects.services.bulk.insert_rows): an import
    records ten thousand versions, and model instances for them, their prefetched links and a bulk_create
    cost more than the import's own writes.
    """
    from projects.services.bulk import any_of, chunk_size, insert_rows  # noqa: PLC0415 (imported by both apps' models)

    policy = policy_for(model)
    history = history_model(model)
    fields = [f.attname for f in history.tracked_fields]
    date = frame.date if frame is not None else timezone.now()
    change = frame.stored() if frame is not None else None
    user_id = change.user_id if change is not None else None
    change_id = change.pk if change is not None else None
    columns = ["history_date", "history_type", "history_user_id", "change_set_id", "links", *fields]
    pk_name = model._meta.pk.attname
    position = fields.index(pk_name)
    for chunk in _chunks(pks, min(RECORD_CHUNK, chunk_size())):  # each chunk's ids go in one IN (…) list
        links = policy.links(chunk)
        rows = [
            (date, history_type, user_id, change_id, links.get(values[position], {}), *values)
            for values in model._base_manager.filter(any_of(pk_name, chunk)).values_list(*fields)
        ]
        insert_rows(history, columns, rows)


# --- reading versions ------------------------------------------------------------------------------


@dataclass
class FieldChange:
    label: str
    before: str
    after: str


def previous_version(version):
    """The version recorded before this one for the same object, or None."""
    model = version.instance_type
    pk_name = model._meta.pk.attname
    return (
        type(version)
        .objects.filter(**{pk_name: getattr(version, pk_name)}, history_id__lt=version.history_id)
        .order_by("-history_id")
        .first()
    )


def shown_value(model: type[models.Model], name: str, value) -> str:
    """A stored value as an editor reads it: the choice's label, yes or no, a date in words, a list in lines."""
    field_ = model._meta.get_field(name)
    if value in (None, "", [], {}):
        return "—"
    if field_.choices:
        return str(dict(field_.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dt.date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(field_, models.ForeignKey):
        related = field_.related_model._base_manager.filter(pk=value).first()
        return str(related) if related is not None else f"#{value}"
    if isinstance(value, list):
        return "\n".join(_shown_item(item) for item in value)
    return str(value)


def _shown_item(item) -> str:
    if isinstance(item, dict):  # a source
        parts = [item.get("title", ""), item.get("url") or item.get("document", ""), item.get("accessed", "")]
        return " · ".join(str(part) for part in parts if part)
    return str(item)


def version_changes(version, previous) -> tuple[list[FieldChange], list[LinkChange]]:
    """What changed from `previous` to `version` (None: what the version holds), field by field and link by
    link, in words."""
    model = version.instance_type
    policy = policy_for(model)
    changes = []
    for field_ in type(version).tracked_fields:
        if not field_.editable or field_.primary_key:
            continue
        after = getattr(version, field_.attname)
        before = getattr(previous, field_.attname) if previous is not None else None
        if previous is not None and before == after:
            continue
        if previous is None and after in (None, "", [], {}):
            continue
        changes.append(
            FieldChange(
                label=str(model._meta.get_field(field_.name).verbose_name),
                before=shown_value(model, field_.name, before) if previous is not None else "",
                after=shown_value(model, field_.name, after),
            )
        )
    links = policy.link_changes(previous.links if previous is not None else {}, version.links or {})
    return changes, [link for link in links if link.added or link.removed]


# --- going back ------------------------------------------------------------------------------------


def version_restore(version, *, user=None):
    """Write this version back as the object's current state (re-creating the object if it was deleted),
    as a new change set; the restored object's new version is recorded like any other change."""
    model = version.instance_type
    policy = policy_for(model)
    pk = getattr(version, model._meta.pk.attname)
    if version.history_type == DELETED:
        raise RestoreError(_("This version records a deletion: restore the version before it."))
    label = _("%(object)s, version of %(date)s") % {
        "object": policy.label(version),
        "date": date_format(timezone.localtime(version.history_date), "SHORT_DATETIME_FORMAT"),
    }
    with change_set(ChangeKind.RESTORE, label, user=user) as frame:
        deleted = not model._base_manager.filter(pk=pk).exists()
        if not deleted:
            versions_baseline(model, [pk])
        policy.restore(version, deleted)
        policy.reindex([pk])
        versions_record(model, [pk], history_type=CREATED if deleted else CHANGED)
    return frame.record


def change_set_undo(change, *, user=None, actor: str = ""):
    """Bring every object the change set wrote back to its version before the set: re-create those it deleted,
    restore those it changed, delete those it made. Refused (UndoConflict, nothing written) when any of them
    was changed after the set, since undoing would silently overwrite that later change."""
    with change_set(ChangeKind.UNDO, str(change), user=user, actor=actor) as frame:
        # Locked until the undo commits: a second undo of the same set waits for it, then finds it undone.
        undone = type(change)._base_manager.select_for_update().filter(pk=change.pk).values_list("undone_by_id")
        if undone.first() != (None,):
            raise RestoreError(_("This change set was already undone."))
        touched = _touched(change)
        later = []
        for model, spans in touched.items():
            history, pk_name = history_model(model), model._meta.pk.attname
            for chunk in _chunks(sorted(spans)):
                # Locked as an admin save locks its record before comparing versions: a save that waits on one of
                # them finds, after the undo, that its form is stale, rather than being overwritten by it.
                list(model._base_manager.select_for_update().filter(pk__in=chunk).values_list("pk"))
                latest = (
                    history.objects.filter(**{f"{pk_name}__in": chunk})
                    .values(pk_name)
                    .annotate(latest=Max("history_id"))
                )
                newer = [row["latest"] for row in latest if row["latest"] > spans[row[pk_name]][1]]
                later += list(history.objects.filter(history_id__in=newer).select_related("change_set"))
        if later:
            raise UndoConflict(later)
        created_in_set, to_restore = defaultdict(list), []
        for model, spans in touched.items():
            history, pk_name = history_model(model), model._meta.pk.attname
            last_types = dict(
                history.objects.filter(history_id__in=[last for _first, last in spans.values()]).values_list(
                    "history_id", "history_type"
                )
            )
            befores = _versions_before(history, pk_name, spans)
            for pk, (_first, last) in spans.items():
                before = befores.get(pk)
                if before is None or before.history_type == DELETED:
                    if last_types[last] != DELETED:
                        created_in_set[model].append(pk)
                else:
                    to_restore.append((model, pk, before, last_types[last] == DELETED))
        restored = defaultdict(list)
        for model, pk, before, deleted in to_restore:
            restored[model].append((pk, before, deleted))
        # Every object here has versions already (those of the set): no baseline to record first.
        for model in sorted(restored, key=lambda model: policy_for(model).rank):
            policy = policy_for(model)
            if policy.restore_many is not None:
                policy.restore_many([(before, deleted) for _pk, before, deleted in restored[model]])
            else:
                for _pk, before, deleted in restored[model]:
                    policy.restore(before, deleted)
            for history_type, deleted in ((CREATED, True), (CHANGED, False)):
                pks = [pk for pk, _before, was_deleted in restored[model] if was_deleted == deleted]
                versions_record(model, pks, history_type=history_type)
            restored[model] = [pk for pk, _before, _deleted in restored[model]]
        for model, pks in restored.items():
            policy_for(model).reindex(pks)
        for model in sorted(created_in_set, key=lambda model: -policy_for(model).rank):
            pks = sorted(created_in_set[model])
            versions_record(model, pks, history_type=DELETED)
            policy_for(model).delete(pks)
    if frame.record is not None:
        change.undone_by = frame.record
        change.save(update_fields=["undone_by"])
    return frame.record


def _versions_before(history, pk_name: str, spans: dict[Any, tuple[int, int]]) -> dict[Any, Any]:
    """id -> each object's version just before its first one in `spans` (none for an object made there): two
    queries for each few thousand objects, rather than one for each."""
    found = {}
    for chunk in _chunks(sorted(spans)):
        firsts = history.objects.filter(history_id__in=[spans[pk][0] for pk in chunk])
        previous = history.objects.filter(**{pk_name: OuterRef(pk_name)}, history_id__lt=OuterRef("history_id"))
        ids = firsts.annotate(previous=Subquery(previous.order_by("-history_id").values("history_id")[:1]))
        wanted = [row for row in ids.values_list("previous", flat=True) if row is not None]
        found.update((getattr(version, pk_name), version) for version in history.objects.filter(history_id__in=wanted))
    return found


def _touched(change) -> dict[type, dict[Any, tuple[int, int]]]:
    """model -> {id: (first, last) version id} of each object the change set wrote."""
    found = {}
    for model in POLICIES:
        pk_name = model._meta.pk.attname
        rows = (
            history_model(model)
            .objects.filter(change_set=change)
            .values(pk_name)
            .annotate(first=Min("history_id"), last=Max("history_id"))
        )
        spans = {row[pk_name]: (row["first"], row["last"]) for row in rows}
        if spans:
            found[model] = spans
    return found


class ChangeSetVersions:
    """Every version a change set wrote: model after model, each model's in the order they were written.

    Counted and sliced in SQL, for a Paginator: an import's change set holds a version per project, and a
    page of fifty should not load a hundred thousand of them."""

    def __init__(self, change):
        self._querysets = [
            history_model(model).objects.filter(change_set=change).order_by("history_id") for model in POLICIES
        ]
        self._counts: list[int] | None = None

    def _per_model(self) -> list[int]:
        if self._counts is None:
            self._counts = [queryset.count() for queryset in self._querysets]
        return self._counts

    def count(self) -> int:
        return sum(self._per_model())

    def __len__(self) -> int:
        return self.count()

    def __iter__(self) -> Iterator:
        for queryset in self._querysets:
            yield from queryset.iterator(chunk_size=2000)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            found = self[index : index + 1] if index >= 0 else list(self)[index:][:1]
            if not found:
                raise IndexError(index)
            return found[0]
        start, stop, step = index.indices(self.count())
        if step != 1:
            return list(self)[index]
        found = []
        for queryset, count in zip(self._querysets, self._per_model(), strict=True):
            if start < count and stop > 0:
                found += list(queryset[start : min(stop, count)])
            start, stop = max(start - count, 0), stop - count
        return found


def change_set_versions(change) -> ChangeSetVersions:
    return ChangeSetVersions(change)


class RecordedHistory(HistoricalRecords):
    """simple-history's historical model and manager, without its save and delete signals: the registry's
    writers record versions themselves (versions_baseline and versions_record), once per change set and with
    the links, which a signal sent while a project row is saved cannot see."""

    def __init__(self, **kwargs):
        kwargs.setdefault("bases", [HistoryBase])
        super().__init__(**kwargs)

    def post_save(self, instance, created, using=None, **kwargs):
        pass

    def post_delete(self, instance, using=None, **kwargs):
        pass

    def m2m_changed(self, instance, action, attr, pk_set, reverse, **kwargs):
        pass
