"""Who an organisation works with: the organisations named beside it in published projects, as a list and
as an ego network picture (this organisation in the centre, the ones it shares most projects with around it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Window

from registry.enums import Role
from registry.sql import among

from . import ego_layout
from .models import Partner

LISTED = 30
PICTURED = 12


@dataclass(frozen=True)
class Collaborator:
    partner: Partner
    shared: int
    roles: list[tuple[str, int]]  # the collaborator's roles in the shared projects: (label, projects), lead first

    @property
    def label(self) -> str:
        return self.partner.name


@dataclass(frozen=True)
class Collaborators:
    listed: list[Collaborator]
    total: int  # every organisation that shares a published project with this one, listed or not

    @property
    def others(self) -> int:
        return self.total - len(self.listed)


@dataclass(frozen=True)
class PictureNode:
    collaborator: Collaborator
    geometry: ego_layout.Node


@dataclass(frozen=True)
class Picture:
    centre_label: ego_layout.Label
    nodes: list[PictureNode]
    width: int = ego_layout.WIDTH
    height: int = ego_layout.HEIGHT
    centre: tuple[float, float] = ego_layout.CENTRE
    centre_radius: int = ego_layout.CENTRE_RADIUS
    font_size: int = ego_layout.FONT_SIZE
    line_height: int = ego_layout.LINE_HEIGHT


def collaborators(partner: Partner, *, published: list[int] | None = None, limit: int | None = None) -> Collaborators:
    """The `limit` (LISTED) organisations sharing most published projects with `partner`, and how many there are
    in all, with their roles in those projects: two queries, whatever their number (three when the ids of its
    published projects, `Partner.published_project_ids()`, are not given)."""
    limit = limit or LISTED
    if published is None:
        published = partner.published_project_ids()
    participation = Partner._meta.get_field("participations").related_model
    # The other organisations' participations in these projects, grouped by organisation: read from the project's
    # index, and only the organisations listed are read afterwards. A project is counted once per role (a role is
    # unique in a project), but once in all for an organisation holding two roles in it.
    by_role = {f"as_{role}": Count("pk", filter=Q(role=role)) for role in Role.values}
    rows = list(
        participation.objects.filter(among("project_id", published))
        .exclude(partner=partner)
        .values("partner_id")
        .annotate(
            shared=Count("project_id", distinct=True),
            **by_role,
            # Counted over the grouped rows before the limit cuts them: the number of collaborators, at no cost.
            total=Window(Count("partner_id")),
        )
        # Ties at the cut go by id, which needs no join before grouping; those listed are then sorted by name.
        .order_by("-shared", "partner_id")[:limit]
    )
    partners = Partner.objects.only("name", "slug").in_bulk([row["partner_id"] for row in rows])
    listed = [
        Collaborator(
            partner=partners[row["partner_id"]],
            shared=row["shared"],
            roles=[(role.label, row[f"as_{role.value}"]) for role in Role if row[f"as_{role.value}"]],
        )
        for row in rows
    ]
    listed.sort(key=lambda item: (-item.shared, item.partner.name.casefold()))
    return Collaborators(listed=listed, total=rows[0]["total"] if rows else 0)


def picture(partner: Partner, found: Collaborators, *, limit: int | None = None) -> Picture | None:
    """The ego network of the first `limit` (PICTURED) collaborators, or None when there is nobody to draw."""
    shown = found.listed[: limit or PICTURED]
    if not shown:
        return None
    geometry = ego_layout.ego_layout([(item.label, item.shared) for item in shown])
    return Picture(
        centre_label=ego_layout.centre_label(partner.name),
        nodes=[PictureNode(item, node) for item, node in zip(shown, geometry, strict=True)],
    )
