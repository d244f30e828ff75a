"""Slugs: the one way a new project, organisation, funder, programme or territory gets its address."""

from __future__ import annotations

from django.db import models
from django.utils.text import slugify

from .bulk import any_of, chunked

# Room for "-9999" after a base cut to fit the 255 characters of every slug column.
BASE_LENGTH = 240
FALLBACK = "voce"


def project_slug_text(*, title: str, acronym: str = "") -> str:
    """What a project's slug is made from: its acronym when it has one (/projects/intarsi/), else its title."""
    return acronym or title


def slugs_allocate(*, model: type[models.Model], texts: list[str]) -> list[str]:
    """A slug for each text, unused in the table and among themselves (name, name-2, name-3… on a clash)."""
    bases = [slugify(text)[:BASE_LENGTH].strip("-") or FALLBACK for text in texts]
    taken: set[str] = set()
    for chunk in chunked(sorted(set(bases))):
        taken.update(model.objects.filter(any_of("slug", chunk)).order_by().values_list("slug", flat=True))
    # Only a base already in use can have numbered variants in use too.
    for base in set(bases) & taken:
        taken.update(model.objects.filter(slug__startswith=f"{base}-").order_by().values_list("slug", flat=True))
    slugs = []
    for base in bases:
        slug, number = base, 2
        while slug in taken:
            slug, number = f"{base}-{number}", number + 1
        taken.add(slug)
        slugs.append(slug)
    return slugs
