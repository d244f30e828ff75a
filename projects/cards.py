"""What a project's card on the list shows, read for a page of projects in one query.

A page holds twenty cards. Read as model instances with their links prefetched, they took six queries
and most of a first view's time at 100,000 projects, nearly all of it Django making instances and
compiling queries rather than the database reading rows. Here each card is one row of plain values:
the project's own fields, and each list of links joined into one text by a correlated subquery.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db.models import F, OuterRef, QuerySet, Subquery, TextField, Value
from django.db.models.functions import Coalesce, Concat, NullIf
from django.utils.translation import get_language

from registry.enums import InitiativeKind, Role, Status, Theme, labels_now
from registry.links import path_by_slug
from registry.sql import among

from . import periods, status
from .models import Participation, Project, ProjectTheme
from .sql import CompiledQuery, Joined

# Between the items of a joined list, and between the two parts of an item: control characters that no
# name holds (names come from forms and sheets that cannot carry them).
ITEM_SEPARATOR = "\x1e"
PART_SEPARATOR = "\x1f"
THEME_ORDER = {code: position for position, code in enumerate(Theme.values)}

PathOf = Callable[[str], str]  # a page's path from a slug (registry.links.path_by_slug)

CARD_FIELDS = (
    "pk", "slug", "kind", "title", "acronym", "countries", "period_text",
    "start", "start_precision", "end", "end_precision", "duration_months",
)  # fmt: skip
JOINED_FIELDS = ("lead_name", "lead_slug", "programme_names", "funder_names", "territory_names", "theme_codes")


def _joined(links: QuerySet, text) -> Subquery:
    """Each project's `text` over `links` (rows with a project_id), joined into one value."""
    return Subquery(
        links.filter(project_id=OuterRef("pk"))
        .order_by()
        .values("project_id")
        .annotate(joined=Joined(text, ITEM_SEPARATOR))
        .values("joined"),
        output_field=TextField(),
    )


def _lead(field: str) -> Subquery:
    leads = Participation.objects.filter(project_id=OuterRef("pk"), role=Role.LEAD).order_by("order", "pk")
    return Subquery(leads.values(f"partner__{field}")[:1])


def _card_rows(ids: Sequence[int]) -> QuerySet:
    """One row per project: its own fields, its lead's name and slug, and its programmes (name and label),
    funders, territories and theme codes, each joined into one text."""
    return (
        Project.objects.filter(among("pk", ids))
        .order_by()
        .annotate(
            lead_name=_lead("name"),
            lead_slug=_lead("slug"),
            # Sorted by name, shown by their short name when they have one (Programme.__str__).
            programme_names=_joined(
                Project.programmes.through.objects,
                Concat(
                    F("programme__name"),
                    Value(PART_SEPARATOR),
                    Coalesce(NullIf(F("programme__short_name"), Value("")), F("programme__name")),
                    output_field=TextField(),
                ),
            ),
            funder_names=_joined(Project.funders.through.objects, F("funder__name")),
            territory_names=_joined(Project.territories.through.objects, F("territory__name")),
            theme_codes=_joined(ProjectTheme.objects, F("theme")),
        )
        .values_list(*CARD_FIELDS, *JOINED_FIELDS)
    )


CARD_ROWS = CompiledQuery(_card_rows)


def _items(joined: str | None) -> list[str]:
    return sorted(joined.split(ITEM_SEPARATOR)) if joined else []


@dataclass(frozen=True, slots=True)
class ProjectCard:
    url: str
    kind_label: str
    title: str
    acronym: str  # "" when the title already holds it
    lead_name: str
    lead_url: str
    period: str
    status: str
    status_label: str
    funding: str
    territories: str
    countries: str
    themes: list[str]
    # The period's bounds as stored (for pictures of it): None when the sources do not give them.
    start: dt.date | None = None
    end: dt.date | None = None

    @classmethod
    def read(cls, ids: Sequence[int], today: dt.date, language: str | None = None) -> list[ProjectCard]:
        """The cards of these projects, in this order, from one query (a project deleted meanwhile is left out);
        their periods in `language` (the page's by default)."""
        if not ids:
            return []
        language = language or get_language()
        found = {row[0]: row for row in CARD_ROWS.rows(ids)}
        paths = (path_by_slug("projects:detail"), path_by_slug("partners:detail"))
        labels = (labels_now(InitiativeKind), labels_now(Status), labels_now(Theme))
        return [cls._of_row(found[pk], today, language, *paths, labels) for pk in ids if pk in found]

    @classmethod
    def _of_row(
        cls,
        row: tuple,
        today: dt.date,
        language: str,
        project_path: Callable[[str], str],
        partner_path: Callable[[str], str],
        labels: tuple[dict[str, str], dict[str, str], dict[str, str]],
    ) -> ProjectCard:
        (_, slug, kind, title, acronym, countries, period_text, start, start_precision, end, end_precision,
         duration_months, lead_name, lead_slug, programmes, funders, territories, themes) = row  # fmt: skip
        if isinstance(countries, str):  # JSON as the database keeps it (CompiledQuery applies no converters)
            countries = json.loads(countries)
        programme_names = "; ".join(item.split(PART_SEPARATOR)[1] for item in _items(programmes))
        funder_names = ", ".join(_items(funders))
        project_status = status.status_on(start, end, today)
        kinds, statuses, themes_shown = labels
        # The registry's one style for every period; the source's own words only when nothing could be read in them.
        period = (
            periods.Period(
                periods.stored_bound(start, start_precision), periods.stored_bound(end, end_precision), duration_months
            ).label(language)
            or period_text
        )
        return cls(
            url=project_path(slug),
            kind_label=kinds[kind],
            title=title,
            acronym=acronym if acronym and acronym not in title else "",
            lead_name=lead_name or "",
            lead_url=partner_path(lead_slug) if lead_slug else "",
            period=period,
            status=project_status,
            status_label=statuses[project_status],
            funding=" · ".join(part for part in (programme_names, funder_names) if part),
            territories="; ".join(_items(territories)),
            countries=", ".join(countries or []),
            themes=[themes_shown[code] for code in sorted(_items(themes), key=THEME_ORDER.__getitem__)],
            start=start,
            end=end,
        )
