"""Synthetic data (`manage.py generate_projects`): how it is marked, and how it is taken out again.

Synthetic projects are invented to measure the site at national scale. Each carries the code
`SYN-<seed>-<n>` and a source saying who made it; the organisations, funders and programmes the
generator creates carry the same source, and its territories say so in their note. Nothing else
in the registry is ever written with that mark, so removing it cannot touch real data.
"""

from __future__ import annotations

from django.db import models, transaction
from django.db.models import Exists, OuterRef, TextField
from django.db.models.functions import Cast

from partners.models import Partner

from ..models import Funder, Participation, Programme, Project, Territory
from .projects import projects_delete

SYNTHETIC_MARK = "synthetic:generate_projects"
SYNTHETIC_CODE_PREFIX = "SYN-"
SYNTHETIC_NOTE = f"Dati sintetici, non reali ({SYNTHETIC_MARK}): creati per misurare il sito su larga scala."


def synthetic_code(*, seed: int, number: int) -> str:
    return f"{SYNTHETIC_CODE_PREFIX}{seed}-{number}"


def synthetic_sources(*, seed: int) -> list[dict]:
    """The provenance of everything the generator makes: no document exists, and the entry says so."""
    return [
        {
            "title": f"Dati sintetici, non reali: creati da manage.py generate_projects --seed {seed}",
            "document": f"{SYNTHETIC_MARK} --seed {seed}",
        }
    ]


def _marked(queryset: models.QuerySet, field: str) -> models.QuerySet:
    # The mark is plain ASCII, so it reads the same in PostgreSQL's jsonb text and SQLite's JSON text.
    return queryset.annotate(synthetic_text=Cast(field, TextField())).filter(synthetic_text__contains=SYNTHETIC_MARK)


def _named_by(links: models.QuerySet, column: str) -> Exists:
    """Whether a row of `links` names the outer record in `column`."""
    return Exists(links.filter(**{column: OuterRef("pk")}))


def _delete(queryset: models.QuerySet) -> int:
    """Delete the records (their signals keep the public index right); how many there were."""
    return queryset.delete()[1].get(queryset.model._meta.label, 0)


@transaction.atomic
def synthetic_remove(*, seed: int | None = None) -> dict[str, int]:
    """Delete the synthetic projects (of one seed, or all), then the synthetic organisations,
    territories, programmes and funders that nothing names any more; how many of each."""
    prefix = SYNTHETIC_CODE_PREFIX if seed is None else f"{SYNTHETIC_CODE_PREFIX}{seed}-"
    projects = _marked(Project.objects.filter(code__startswith=prefix), "sources")
    removed = {"project": projects_delete(projects=projects)}
    partners = Partner.objects.exclude(_named_by(Participation.objects.all(), "partner_id"))
    removed["partner"] = _delete(_marked(partners, "sources"))
    territories = Territory.objects.exclude(_named_by(Project.territories.through.objects.all(), "territory_id"))
    removed["territory"] = _delete(_marked(territories, "note"))
    # Calls before the programmes they belong to (a programme's parent is protected): leaves first, until none is left.
    removed["programme"] = 0
    while True:
        leaves = Programme.objects.exclude(_named_by(Project.programmes.through.objects.all(), "programme_id"))
        leaves = leaves.exclude(_named_by(Programme.objects.all(), "parent_id"))
        deleted = _delete(_marked(leaves, "sources"))
        if not deleted:
            break
        removed["programme"] += deleted
    funders = Funder.objects.exclude(_named_by(Project.funders.through.objects.all(), "funder_id"))
    funders = funders.exclude(_named_by(Programme.funders.through.objects.all(), "funder_id"))
    removed["funder"] = _delete(_marked(funders, "sources"))
    return removed
