"""Small factory functions for the registry's models.

Every name made here carries a unique marker ("Fx 7 …") so that it never clashes with the seed data
already in the database, and so that tests can tell their own rows from the seed's.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils.text import slugify

from partners.models import Partner
from projects import periods
from projects.models import (
    Funder,
    Municipality,
    Participation,
    Programme,
    Project,
    ProjectTargetGroup,
    ProjectTheme,
    Territory,
)
from projects.services import projects_index
from registry.enums import Reach, Role

MARKER = "Fx"
_counter = itertools.count(1)


def unique(label: str) -> str:
    """A name no seed row has: "Fx 12 label"."""
    return f"{MARKER} {next(_counter)} {label}"


def word() -> str:
    """A word found nowhere else in the database (for text searches): "fxw12z"."""
    return f"fxw{next(_counter)}z"


def unique_slug(name: str) -> str:
    return f"{slugify(name)[:200]}-{next(_counter)}"


def make_partner(name: str | None = None, **fields) -> Partner:
    name = name or unique("Organisation")
    fields.setdefault("slug", unique_slug(name))
    return Partner.objects.create(name=name, **fields)


def make_funder(name: str | None = None, **fields) -> Funder:
    name = name or unique("Funder")
    fields.setdefault("slug", unique_slug(name))
    return Funder.objects.create(name=name, **fields)


def make_programme(name: str | None = None, *, funders=(), parent: Programme | None = None, **fields) -> Programme:
    name = name or unique("Programme")
    fields.setdefault("slug", unique_slug(name))
    programme = Programme.objects.create(name=name, parent=parent, **fields)
    programme.funders.set(funders)
    return programme


def municipality(name: str, province: str) -> Municipality:
    """An official municipality looked up by name and province (never by a hard-coded code)."""
    return Municipality.objects.get(name=name, province_code=province)


def make_territory(name: str | None = None, *, municipalities=(), **fields) -> Territory:
    name = name or unique("Territory")
    fields.setdefault("slug", unique_slug(name))
    territory = Territory.objects.create(name=name, **fields)
    territory.municipalities.set(municipalities)
    return territory


def make_project(
    title: str | None = None,
    *,
    published: bool = True,
    period: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    lead: Partner | None = None,
    partners=(),
    supporting=(),
    funders=(),
    programmes=(),
    territories=(),
    themes=(),
    target_groups=(),
    related=(),
    members=(),
    target_groups_indirect=(),
    units: dict | None = None,
    inferred: dict | None = None,
    numbered_by_role: bool = False,
    **fields,
) -> Project:
    """A project with its links. `period` is read as the source would write it; `start`/`end` are days.
    `units` and `inferred` give an organisation's unit and why its role is inferred: {partner: text}.
    Organisations are numbered in one list across roles, or, with `numbered_by_role`, within each role
    as every writer numbers them (so that a sheet listing them again changes nothing)."""
    title = title or unique("Project")
    fields.setdefault("slug", unique_slug(title))
    project = Project(title=title, is_published=published, **fields)
    if period is not None:
        parsed = periods.parse_period(period)
        for name, value in periods.period_fields(parsed).items():
            setattr(project, name, value)
        project.period_text = period
        if parsed.duration_months is not None:
            project.duration_months = parsed.duration_months
    if start is not None:
        project.start, project.start_precision = start, periods.Precision.DAY.value
    if end is not None:
        project.end, project.end_precision = end, periods.Precision.DAY.value
    project.save()
    links = [(lead, Role.LEAD)] if lead else []
    links += [(partner, Role.PARTNER) for partner in partners]
    links += [(partner, Role.SUPPORTING) for partner in supporting]
    links += [(partner, Role.MEMBER) for partner in members]
    units, inferred = units or {}, inferred or {}
    positions: dict[str, int] = {}
    for order, (partner, role) in enumerate(links, start=1):
        positions[role] = positions.get(role, 0) + 1
        Participation.objects.create(
            project=project,
            partner=partner,
            role=role,
            order=positions[role] if numbered_by_role else order,
            unit=units.get(partner, ""),
            inferred_because=inferred.get(partner, ""),
        )
    project.funders.set(funders)
    project.programmes.set(programmes)
    project.territories.set(territories)
    project.related.set(related)
    ProjectTheme.objects.bulk_create([ProjectTheme(project=project, theme=theme) for theme in themes])
    ProjectTargetGroup.objects.bulk_create(
        [ProjectTargetGroup(project=project, target_group=group, reach=Reach.DIRECT) for group in target_groups]
        + [
            ProjectTargetGroup(project=project, target_group=group, reach=Reach.INDIRECT)
            for group in target_groups_indirect
        ]
    )
    # Links were written here with the ORM, so the public index is brought up to date as the write layer does.
    projects_index([project.pk])
    return project


def make_full_project(**overrides) -> Project:
    """A published project with something in every list the pages and exports show."""
    lead = make_partner()
    territory = make_territory(municipalities=[municipality("Asti", "AT"), municipality("Biella", "BI")])
    values = dict(
        period="Maggio 2024 - Dicembre 2025",
        lead=lead,
        partners=[make_partner(), make_partner()],
        supporting=[make_partner()],
        funders=[make_funder()],
        programmes=[make_programme(funders=[make_funder()], parent=make_programme())],
        territories=[territory],
        themes=["housing", "mediation"],
        target_groups=["refugees", "asylum_seekers"],
        sources=[{"title": "Scheda", "document": "sources/fx.txt", "accessed": "2026-01-31"}],
    )
    values.update(overrides)
    return make_project(**values)
