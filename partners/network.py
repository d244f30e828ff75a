"""Who an organisation works with: the organisations named beside it in published projects, as a list and
as an ego network picture (this organisation in the centre, the ones it shares most projects with around it)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, Window

from registry.enums import Role

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


def collaborators(partner: Partner, *, limit: int | None = None) -> Collaborators:
    """The `limit` (LISTED) organisations sharing most published projects with `partner`, and how many there are
    in all, with their roles in those projects: two queries, whatever their number."""
    limit = limit or LISTED
    participation = Partner._meta.get_field("participations").related_model
    # A self-join of the participations on the project, grouped by the other organisation: from this
    # organisation's participations, each project's others are read from the (project, partner, role) unique
    # index alone, and only the organisations listed are read afterwards. Counts are of distinct projects,
    # since either organisation may hold two roles in one project.
    by_role = {f"as_{role}": Count("project_id", distinct=True, filter=Q(role=role)) for role in Role.values}
    rows = list(
        participation.objects.filter(project__participations__partner=partner, project__is_published=True)
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
