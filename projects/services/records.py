"""Writing organisations, funders, programmes and territories, one at a time (the seed) or many (an import)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from partners.duplicates import pairs_refresh
from partners.models import Partner
from partners.similarity import name_key as partner_name_key
from registry.enums import ChangeKind
from registry.history import CREATED, change_set, versions_baseline, versions_record

from ..models import Funder, Programme, Territory
from ..names import tidy_name
from .matching import RecordIndex
from .slugs import slugs_allocate

NEW, CHANGED, UNCHANGED = "new", "changed", "unchanged"

# The records a project names by name, by the kind a report calls them.
RECORD_MODELS: dict[str, type[models.Model]] = {
    "partner": Partner,
    "funder": Funder,
    "programme": Programme,
    "territory": Territory,
}


def record_upsert(*, model: type[models.Model], index: RecordIndex, name: str, values: dict, slug: str = ""):
    """Create the record, or update the fields that differ (its name as written here included).

    The record is found by name as the registry matches names (see matching.RecordIndex) and checked
    by the model's own rules before it is saved. Returns the record and "new", "changed" or "unchanged".
    """
    record = index.find(name)
    with change_set(ChangeKind.OTHER):
        return _record_upsert(model=model, index=index, record=record, name=name, values=values, slug=slug)


def _record_upsert(*, model, index: RecordIndex, record, name: str, values: dict, slug: str):
    wanted = {"name": tidy_name(name), **values}
    if slug:
        wanted["slug"] = slug
    if record is None:
        record = model(**wanted)
        if not slug:
            record.slug = slugs_allocate(model=model, texts=[record.name])[0]
        record.full_clean(validate_unique=False, validate_constraints=False)
        record.save()
        index.add(record)
        versions_record(model, [record.pk], history_type=CREATED)
        return record, NEW
    if record.get_deferred_fields():
        record.refresh_from_db()  # an index loaded for matching holds names only
    changed = [field for field, value in wanted.items() if getattr(record, field) != value]
    if not changed:
        return record, UNCHANGED
    versions_baseline(model, [record.pk])
    for field in changed:
        setattr(record, field, wanted[field])
    record.full_clean(validate_unique=False, validate_constraints=False)
    record.save(update_fields=changed)
    versions_record(model, [record.pk])
    return record, CHANGED


def records_create(*, model: type[models.Model], records: list) -> None:
    """Store new records (made by a batch, with names and no slugs) with free slugs, in one statement, and record
    them as created."""
    if not records:
        return
    for record, slug in zip(records, slugs_allocate(model=model, texts=[r.name for r in records]), strict=True):
        record.slug = slug
        if model is Partner:  # bulk_create skips save(), which keeps the key duplicates are found by
            record.name_key = partner_name_key(record.name)
    model.objects.bulk_create(records, batch_size=500)
    if model is Partner:  # and Partner's post_save, which finds the organisations alike to it
        pairs_refresh([record.pk for record in records])
    # In the change set being written; its version is read when the set closes, links added after this included.
    versions_record(model, [record.pk for record in records], history_type=CREATED)


def m2m_sync(*, manager, wanted: Iterable) -> bool:
    """Make a many-to-many relation hold exactly `wanted` (records or keys); whether anything changed."""
    target = {getattr(item, "pk", item) for item in wanted}
    if set(manager.values_list("pk", flat=True)) == target:
        return False
    owner = manager.instance
    with change_set(ChangeKind.OTHER):
        versions_baseline(type(owner), [owner.pk])
        manager.set(sorted(target))
        versions_record(type(owner), [owner.pk])
    return True
