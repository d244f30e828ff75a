"""Merging organisations: one organisation stored several times ("Coop. Sociale Il Ponte", "Cooperativa
sociale il Ponte onlus") becomes one, in one step, all or nothing.

The kept organisation takes over every role of the others in every project (a project naming it twice in
the same role keeps one row), every other spelling as one of its other names, and whatever it does not
say itself (city, website, tax code, description, country, kind, sources); the others are deleted and the
projects they were named by are indexed again. The merge is one change set of the history, which can be
undone from the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from partners.models import Partner
from registry.enums import ChangeKind, PartnerKind, Role
from registry.history import CHANGED, DELETED, change_set, versions_baseline, versions_record

from ..models import Participation, Project
from ..names import fold_name, tidy_name
from .index import projects_index
from .projects import PARTICIPATION_TEXTS

MERGE_PERMISSIONS = ("partners.change_partner", "partners.delete_partner")
# Fields the kept organisation takes from the others when it says nothing itself, in this order.
FILLED_FIELDS = ("city", "website", "tax_code", "description", "country")


class MergeRefused(Exception):
    """The organisations cannot be merged as asked; the message says why. Nothing was written."""


@dataclass
class MergeResult:
    kept: Partner
    merged: list[str]  # the names of the organisations merged into it, now deleted
    projects: list[int] = field(default_factory=list)  # the projects whose roles moved
    moved: int = 0  # roles moved to the kept organisation
    collapsed: int = 0  # roles dropped because the kept organisation already had them
    change_set: object = None  # the history's ChangeSet, None when nothing was recorded


def partners_merge(*, keep: Partner, duplicates: list[Partner], user=None) -> MergeResult:
    """Merge `duplicates` into `keep` (see the module's docstring). MergeRefused when the organisations
    cannot be merged; PermissionDenied when `user` may not change and delete organisations."""
    if user is not None and not user.has_perms(MERGE_PERMISSIONS):
        raise PermissionDenied(_("Merging organisations needs the permissions to change and to delete them."))
    wanted = list(dict.fromkeys(partner.pk for partner in duplicates))
    if keep.pk in wanted:
        raise MergeRefused(_("An organisation cannot be merged with itself: choose another one to keep."))
    if keep.pk is None or not wanted:
        raise MergeRefused(_("Choose at least two organisations: the one to keep and one to merge into it."))
    with transaction.atomic():
        # Read again under lock: another editor may have changed or merged them since the page was shown.
        stored = Partner.objects.select_for_update().in_bulk([keep.pk, *wanted])
        missing = [pk for pk in (keep.pk, *wanted) if pk not in stored]
        if missing:
            raise MergeRefused(_("One of the organisations no longer exists: reload the page and choose again."))
        kept, others = stored[keep.pk], [stored[pk] for pk in wanted]
        label = _("%(merged)s merged into %(kept)s") % {
            "merged": "; ".join(partner.name for partner in others),
            "kept": kept.name,
        }
        with change_set(kind=ChangeKind.MERGE, label=label, user=user) as changes:
            result = _merge(kept, others)
        result.change_set = getattr(changes, "record", None)
    return result


def _merge(kept: Partner, others: list[Partner]) -> MergeResult:
    rows = list(
        Participation.objects.select_for_update()
        .filter(partner__in=[kept, *others])
        .order_by("role_order", "order", "pk")
    )
    rank = {partner.pk: position for position, partner in enumerate([kept, *others])}
    rows.sort(key=lambda row: rank[row.partner_id])  # stable: the kept organisation's rows first
    affected = sorted({row.project_id for row in rows if row.partner_id != kept.pk})
    plan = _plan(kept, rows)

    versions_baseline(Partner, [kept.pk, *(partner.pk for partner in others)])
    versions_baseline(Project, affected)
    # The kept organisation is saved first: the index entries of its own projects follow its new other names
    # (projects.signals), and those of the projects it takes over are rebuilt once, below.
    _absorb(kept, others)
    try:
        kept.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise MergeRefused(
            _("The merged organisation would not be valid (%(errors)s): correct the organisations first.")
            % {"errors": "; ".join(error.messages)}
        ) from error
    kept.save()
    Participation.objects.filter(pk__in=[row.pk for row in plan.dropped]).delete()
    Participation.objects.bulk_update(plan.moved, ["partner", *PARTICIPATION_TEXTS], batch_size=500)
    Participation.objects.bulk_update(plan.filled, list(PARTICIPATION_TEXTS), batch_size=500)
    versions_record(Partner, [kept.pk], history_type=CHANGED)
    versions_record(Project, affected, history_type=CHANGED)
    merged = [partner.pk for partner in others]
    versions_record(Partner, merged, history_type=DELETED)
    Partner.objects.filter(pk__in=merged).delete()
    projects_index(affected)
    return MergeResult(
        kept=kept,
        merged=[partner.name for partner in others],
        projects=affected,
        moved=len(plan.moved),
        collapsed=len(plan.dropped),
    )


@dataclass
class _Plan:
    moved: list = field(default_factory=list)  # rows given to the kept organisation
    dropped: list = field(default_factory=list)  # rows the kept organisation already had (same project and role)
    filled: list = field(default_factory=list)  # its rows given texts they lacked


def _plan(kept: Partner, rows: list[Participation]) -> _Plan:
    """What becomes of each role: the kept organisation's rows stay; another's moves to it, unless the kept
    one already has that project and role, in which case that row takes the texts it lacks and the other goes."""
    plan, final, filled = _Plan(), {}, {}
    for row in rows:
        key = (row.project_id, row.role)
        target = final.get(key)
        if target is None:
            final[key] = row
            if row.partner_id != kept.pk:
                row.partner_id = kept.pk
                plan.moved.append(row)
            continue
        for name in PARTICIPATION_TEXTS:
            if not getattr(target, name) and getattr(row, name):
                setattr(target, name, getattr(row, name))
                filled[target.pk] = target
        plan.dropped.append(row)
    # A moved row that took texts is written with them by the move itself.
    moved = {row.pk for row in plan.moved}
    plan.filled = [row for pk, row in filled.items() if pk not in moved]
    _check_leads(final.values())
    return plan


def _check_leads(rows) -> None:
    # participation_one_lead already forbids two lead rows in a project, and the same role collapses to one
    # row; this says so in words should the stored rows ever break it, rather than fail on the constraint.
    leads: dict[int, int] = {}
    for row in rows:
        if row.role == Role.LEAD:
            leads[row.project_id] = leads.get(row.project_id, 0) + 1
    if any(count > 1 for count in leads.values()):
        raise MergeRefused(_("After the merge a project would have two lead partners: correct its roles first."))


def _absorb(kept: Partner, others: list[Partner]) -> None:
    """Give the kept organisation every other spelling and what it does not say itself."""
    names = [kept.name, *kept.other_names_list]
    for partner in others:
        names += [partner.name, *partner.other_names_list]
    seen, spellings = {fold_name(kept.name)}, []
    for name in names[1:]:
        name = tidy_name(name)
        if name and fold_name(name) not in seen:
            seen.add(fold_name(name))
            spellings.append(name)
    kept.other_names = "\n".join(spellings)
    for name in FILLED_FIELDS:
        if not getattr(kept, name):
            setattr(kept, name, next((getattr(p, name) for p in others if getattr(p, name)), ""))
    if kept.kind == PartnerKind.OTHER:
        kept.kind = next((p.kind for p in others if p.kind != PartnerKind.OTHER), PartnerKind.OTHER)
    sources = list(kept.sources or [])
    for partner in others:
        sources += [source for source in partner.sources or [] if source not in sources]
    kept.sources = sources
