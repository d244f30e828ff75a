"""What the history keeps of projects, organisations, funders, programmes and territories, and how a version
of each is written back (see registry.history).

A project's version holds its row and its links: organisations with their roles and texts, themes, target
groups, funders, programmes, territories and related projects. Records name their links by id and by name,
so a version reads well even after a record is renamed or deleted, and is restored by id.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models.deletion import ProtectedError
from django.utils.translation import gettext as _

from partners.models import Partner
from registry import history
from registry.enums import Reach, Role, TargetGroup, Theme, role_position

from .models import (
    Funder,
    Municipality,
    Participation,
    Programme,
    Project,
    ProjectTargetGroup,
    ProjectTheme,
    Territory,
)
from .services.bulk import any_of, chunked
from .services.index import projects_index, projects_unindex

# Municipalities a territory's change lists by name; beyond, how many more.
LISTED_MUNICIPALITIES = 30


# --- what a version holds ---------------------------------------------------------------------------
#
# Read for a chunk of objects at once, one query per kind of link, as plain values: an import records ten
# thousand versions, and prefetching model instances for them cost more than the import's own writes.


def _named_links(field, pks: list[int], name_fields: tuple[str, ...], order: tuple[str, ...]):
    """(object id, record id, record's name) of a many-to-many field's links, in the records' own order; the
    name is the first non-empty of `name_fields` (a programme is named by its short name when it has one)."""
    own, other = field.m2m_field_name(), field.m2m_reverse_field_name()
    rows = (
        field.remote_field.through.objects.filter(any_of(f"{own}_id", pks))
        .order_by(*(f"{other}__{name}" for name in order), f"{other}_id")
        .values_list(f"{own}_id", f"{other}_id", *(f"{other}__{name}" for name in name_fields))
    )
    for pk, linked, *names in rows:
        yield pk, linked, next((name for name in names if name), names[-1])


def projects_links(pks: list[int]) -> dict[int, dict]:
    """Each project's links as its version holds them: organisations with their roles in the project's order,
    themes, target groups, then funders, programmes, territories and related projects by id and name."""
    links = {
        pk: {
            "participations": [],
            "themes": [],
            "target_groups": {},
            "funders": [],
            "programmes": [],
            "territories": [],
            "related": [],
        }
        for pk in pks
    }
    participations = (
        Participation.objects.filter(any_of("project_id", pks))
        .order_by("role_order", "order", "pk")
        .values_list(
            "project_id",
            "pk",
            "partner_id",
            "partner__name",
            "role",
            "order",
            "description",
            "unit",
            "inferred_because",
        )
    )
    for project, pk, partner, name, role, order, description, unit, inferred in participations:
        links[project]["participations"].append(
            {
                "id": pk,  # the inline row it was, for merging a stale change form (registry.history_admin)
                "partner": partner,
                "name": name,
                "role": role,
                "order": order,
                "description": description,
                "unit": unit,
                "inferred_because": inferred,
            }
        )
    for project, theme in ProjectTheme.objects.filter(any_of("project_id", pks)).values_list("project_id", "theme"):
        links[project]["themes"].append(theme)
    for project, group, reach in (
        ProjectTargetGroup.objects.filter(any_of("project_id", pks))
        .order_by("pk")
        .values_list("project_id", "target_group", "reach")
    ):
        links[project]["target_groups"][group] = reach
    for key, name_fields, order in (
        ("funders", ("name",), ("name",)),
        ("programmes", ("short_name", "name"), ("name",)),
        ("territories", ("name",), ("name",)),
        ("related", ("title",), ("title_key",)),
    ):
        for project, linked, name in _named_links(Project._meta.get_field(key), pks, name_fields, order):
            links[project][key].append({"id": linked, "name": name})
    for project_links in links.values():
        project_links["themes"].sort()  # by code, in Python: whatever the database's collation
    return links


def programmes_links(pks: list[int]) -> dict[int, dict]:
    links = {pk: {"funders": []} for pk in pks}
    for programme, funder, name in _named_links(Programme._meta.get_field("funders"), pks, ("name",), ("name",)):
        links[programme]["funders"].append({"id": funder, "name": name})
    return links


def territories_links(pks: list[int]) -> dict[int, dict]:
    links = {pk: {"municipalities": []} for pk in pks}
    through = Territory.municipalities.through
    for territory, municipality in through.objects.filter(any_of("territory_id", pks)).values_list(
        "territory_id", "municipality_id"
    ):
        links[territory]["municipalities"].append(municipality)
    for territory_links in links.values():
        territory_links["municipalities"].sort()
    return links


# The rows the project's admin inlines edit. Versions written before participations held their ids find a
# row by organisation and role (unique in a project); themes and target groups by their code.
PROJECT_INLINE_ROWS = (
    history.InlineRows(
        Participation,
        fields=("partner", "role", "order", "unit", "description", "inferred_because"),
        key=("partner", "role"),
        rows=lambda links: links.get("participations", []),
    ),
    history.InlineRows(
        ProjectTheme,
        fields=("theme",),
        key=("theme",),
        rows=lambda links: [{"theme": code} for code in links.get("themes", [])],
    ),
    history.InlineRows(
        ProjectTargetGroup,
        fields=("target_group", "reach"),
        key=("target_group",),
        rows=lambda links: [
            {"target_group": code, "reach": reach} for code, reach in links.get("target_groups", {}).items()
        ],
    ),
)


def _participation_words(link: dict) -> str:
    words = f"{link['name']} ({Role(link['role']).label})" if link["role"] in Role.values else link["name"]
    if link.get("unit"):
        words += f" – {link['unit']}"
    if link.get("description"):
        words += f": {link['description']}"
    return words


def _changed(label, old: list[str], new: list[str]) -> history.LinkChange:
    return history.LinkChange(
        label=str(label),
        added=[item for item in new if item not in old],
        removed=[item for item in old if item not in new],
    )


def project_link_changes(old: dict, new: dict) -> list[history.LinkChange]:
    def names(links: dict, key: str) -> list[str]:
        return [item["name"] for item in links.get(key, [])]

    def groups(links: dict) -> list[str]:
        return [
            f"{TargetGroup(code).label} ({Reach(reach).label})"
            for code, reach in links.get("target_groups", {}).items()
            if code in TargetGroup.values and reach in Reach.values
        ]

    return [
        _changed(
            Project._meta.get_field("partners").verbose_name,
            [_participation_words(link) for link in old.get("participations", [])],
            [_participation_words(link) for link in new.get("participations", [])],
        ),
        _changed(
            _("themes"),
            [Theme(code).label for code in old.get("themes", []) if code in Theme.values],
            [Theme(code).label for code in new.get("themes", []) if code in Theme.values],
        ),
        _changed(_("target groups"), groups(old), groups(new)),
        *(
            _changed(Project._meta.get_field(key).verbose_name, names(old, key), names(new, key))
            for key in ("funders", "programmes", "territories", "related")
        ),
    ]


def programme_link_changes(old: dict, new: dict) -> list[history.LinkChange]:
    return [
        _changed(
            Programme._meta.get_field("funders").verbose_name,
            [item["name"] for item in old.get("funders", [])],
            [item["name"] for item in new.get("funders", [])],
        )
    ]


def territory_link_changes(old: dict, new: dict) -> list[history.LinkChange]:
    before, after = set(old.get("municipalities", [])), set(new.get("municipalities", []))
    added, removed = sorted(after - before), sorted(before - after)
    names = dict(
        Municipality.objects.filter(pk__in=[*added, *removed][: LISTED_MUNICIPALITIES * 2]).values_list("pk", "name")
    )

    def listed(codes: list[str]) -> list[str]:
        shown = [names.get(code, code) for code in codes[:LISTED_MUNICIPALITIES]]
        if len(codes) > LISTED_MUNICIPALITIES:
            shown.append(_("and %(count)d more") % {"count": len(codes) - LISTED_MUNICIPALITIES})
        return shown

    return [history.LinkChange(str(_("municipalities")), listed(added), listed(removed))]


# --- writing a version back --------------------------------------------------------------------------


def _fields_of(version) -> dict:
    model = version.instance_type
    return {
        field.attname: getattr(version, field.attname)
        for field in type(version).tracked_fields
        if not field.primary_key and model._meta.get_field(field.name).concrete
    }


def _save(obj, *, create: bool) -> None:
    """Save a restored object; RestoreError when another object now holds its unique name, address or CUP."""
    try:
        with transaction.atomic():
            obj.save(force_insert=create)
    except IntegrityError:
        raise history.RestoreError(
            _("«%(object)s» cannot be restored: another record now has the same name, address or CUP.")
            % {"object": obj}
        ) from None


def _existing(model, items: list[dict], what: str) -> list[int]:
    """The ids of the records a version names; RestoreError naming those that no longer exist."""
    ids = [item["id"] if isinstance(item, dict) else item for item in items]
    found = set(model._base_manager.filter(pk__in=ids).values_list("pk", flat=True))
    missing = [item for item, pk in zip(items, ids, strict=True) if pk not in found]
    if missing:
        names = ", ".join(f"«{item['name']}»" if isinstance(item, dict) else str(item) for item in missing)
        raise history.RestoreError(
            _("The version names %(what)s that no longer exist: %(names)s. Restore or undo their deletion first.")
            % {"what": what, "names": names}
        )
    return ids


def _record(model, version, deleted: bool):
    pk = getattr(version, model._meta.pk.attname)
    obj = model(pk=pk) if deleted else model._base_manager.get(pk=pk)
    for name, value in _fields_of(version).items():
        setattr(obj, name, value)
    _save(obj, create=deleted)
    return obj


def project_restore(version, deleted: bool) -> None:
    projects_restore([(version, deleted)])


def _named_once(items: list[dict]) -> list[dict]:
    return list({item["id"]: item for item in items}.values())


def _through_rows(field, links: dict[int, list[int]]) -> list:
    """Rows of a many-to-many field's table linking each project to its records."""
    through = field.remote_field.through
    own, other = field.m2m_column_name(), field.m2m_reverse_name()
    return [through(**{own: pk, other: linked}) for pk, ids in links.items() for linked in ids]


RESTORE_CHUNK = 1000  # projects written back together: a bulk update of their fields, then their links


def projects_restore(items: list[tuple]) -> None:
    """Write these projects' versions back, each with its links, as (version, deleted) pairs: the projects a
    change set wrote, in the few queries a thousand of them need (about twenty-five each, one at a time)."""
    for chunk in chunked(items, RESTORE_CHUNK):
        _restore_chunk(chunk)
    _restore_related(items)


def _restore_chunk(items: list[tuple]) -> None:
    """The projects' own fields and their links but the related projects, for a thousand of them at most."""
    links = {version.id: version.links or {} for version, _deleted in items}
    every = [link for project_links in links.values() for link in project_links.get("participations", [])]
    _existing(
        Partner, _named_once([{"id": link["partner"], "name": link["name"]} for link in every]), _("organisations")
    )
    for model, key, what in ((Funder, "funders", _("funders")), (Programme, "programmes", _("programmes"))):
        _existing(
            model, _named_once([item for item_links in links.values() for item in item_links.get(key, [])]), what
        )
    _existing(
        Territory, _named_once([t for item in links.values() for t in item.get("territories", [])]), _("territories")
    )
    stored = Project._base_manager.in_bulk([version.id for version, deleted in items if not deleted])
    created, changed, fields = [], [], set()
    for version, deleted in items:
        project = Project(pk=version.id) if deleted else stored[version.id]
        for name, value in _fields_of(version).items():
            if getattr(project, name) != value:
                fields.add(Project._meta.get_field(name).name)
                setattr(project, name, value)
        fields.update(project.refresh_title_keys())
        (created if deleted else changed).append(project)
    try:
        with transaction.atomic():
            Project.objects.bulk_create(created)
            # Only the fields some version changes: an undo of an import that changed acronyms updates acronyms.
            if changed and fields:
                Project._base_manager.bulk_update(changed, sorted(fields), batch_size=500)
    except IntegrityError:
        # One at a time, in order, as a single restore: the project another one now stands in the way of is
        # named (RestoreError); a name or address handed from one to another within the chunk goes through.
        for version, deleted in items:
            _record(Project, version, deleted)
    pks = list(links)
    Participation.objects.filter(project_id__in=pks).delete()
    Participation.objects.bulk_create(
        Participation(
            project_id=pk,
            partner_id=link["partner"],
            role=link["role"],
            role_order=role_position(link["role"]),
            order=link["order"],
            description=link.get("description", ""),
            unit=link.get("unit", ""),
            inferred_because=link.get("inferred_because", ""),
        )
        for pk, project_links in links.items()
        for link in project_links.get("participations", [])
    )
    ProjectTheme.objects.filter(project_id__in=pks).delete()
    ProjectTheme.objects.bulk_create(
        ProjectTheme(project_id=pk, theme=code) for pk, item in links.items() for code in item.get("themes", [])
    )
    ProjectTargetGroup.objects.filter(project_id__in=pks).delete()
    ProjectTargetGroup.objects.bulk_create(
        ProjectTargetGroup(project_id=pk, target_group=code, reach=reach)
        for pk, item in links.items()
        for code, reach in item.get("target_groups", {}).items()
    )
    for key in ("funders", "programmes", "territories"):
        field = Project._meta.get_field(key)
        field.remote_field.through.objects.filter(**{f"{field.m2m_column_name()}__in": pks}).delete()
        field.remote_field.through.objects.bulk_create(
            _through_rows(field, {pk: [record["id"] for record in item.get(key, [])] for pk, item in links.items()})
        )


def _restore_related(items: list[tuple]) -> None:
    """Related projects go both ways (a symmetrical link, stored twice): written once for all the projects, so
    that a link two versions disagree on does not depend on which chunk each project fell in. A project
    deleted since is no longer related."""
    named = {version.id: [record["id"] for record in (version.links or {}).get("related", [])] for version, _ in items}
    linked = {pk for ids in named.values() for pk in ids}
    present = set(Project._base_manager.filter(pk__in=linked).values_list("pk", flat=True))
    field = Project._meta.get_field("related")
    through = field.remote_field.through
    own, other = field.m2m_column_name(), field.m2m_reverse_name()
    for chunk in chunked(list(named), RESTORE_CHUNK):
        through.objects.filter(**{f"{own}__in": chunk}).delete()
        through.objects.filter(**{f"{other}__in": chunk}).delete()
    pairs = {(pk, linked) for pk, ids in named.items() for linked in ids if linked in present and linked != pk}
    rows = [through(**{own: a, other: b}) for a, b in sorted(pairs | {(b, a) for a, b in pairs})]
    through.objects.bulk_create(rows, batch_size=2000)


def projects_remove(pks: list[int]) -> None:
    """Delete projects (their versions are recorded by the caller): out of the public index first."""
    projects_unindex(pks)
    Project.objects.filter(pk__in=pks).delete()


def programme_restore(version, deleted: bool) -> None:
    programme = _record(Programme, version, deleted)
    programme.funders.set(_existing(Funder, (version.links or {}).get("funders", []), _("funders")))


def territory_restore(version, deleted: bool) -> None:
    territory = _record(Territory, version, deleted)
    territory.municipalities.set((version.links or {}).get("municipalities", []))


def records_remove(model):
    def remove(pks: list[int]) -> None:
        try:
            with transaction.atomic():
                model.objects.filter(pk__in=pks).delete()
        except ProtectedError as error:
            names = ", ".join(sorted({str(obj) for obj in error.protected_objects})[:5])
            raise history.RestoreError(
                _("Records made by this change are now used elsewhere (%(names)s): they were not deleted.")
                % {"names": names}
            ) from None

    return remove


def programmes_remove(pks: list[int]) -> None:
    """Delete programmes a change set made: calls before the programmes they belong to, since a parent is
    protected while a call names it (programmes generate_projects makes with their calls)."""
    remove = records_remove(Programme)
    remaining = set(pks)
    while remaining:
        parents = set(
            Programme.objects.filter(pk__in=remaining, parent_id__in=remaining).values_list("parent_id", flat=True)
        )
        leaves = (remaining - parents) or remaining  # a loop of parents, which the model refuses, is tried whole
        remove(sorted(leaves))
        remaining -= leaves


def register() -> None:
    """Put the five curated models under the history (called once the apps are ready)."""
    history.register(
        Partner,
        history.HistoryPolicy(
            rank=0, restore=lambda version, deleted: _record(Partner, version, deleted), delete=records_remove(Partner)
        ),
    )
    history.register(
        Funder,
        history.HistoryPolicy(
            rank=0, restore=lambda version, deleted: _record(Funder, version, deleted), delete=records_remove(Funder)
        ),
    )
    history.register(
        Programme,
        history.HistoryPolicy(
            rank=1,
            restore=programme_restore,
            delete=programmes_remove,
            links=programmes_links,
            link_changes=programme_link_changes,
        ),
    )
    history.register(
        Territory,
        history.HistoryPolicy(
            rank=0,
            restore=territory_restore,
            delete=records_remove(Territory),
            links=territories_links,
            link_changes=territory_link_changes,
        ),
    )
    history.register(
        Project,
        history.HistoryPolicy(
            rank=2,
            restore=project_restore,
            delete=projects_remove,
            links=projects_links,
            link_changes=project_link_changes,
            reindex=projects_index,
            label=lambda version: version.title,
            inline_rows=PROJECT_INLINE_ROWS,
            restore_many=projects_restore,
        ),
    )
