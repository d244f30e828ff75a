"""Records that projects name are edited on their own (the admin, the seed): their projects' index follows.

A project's search document and facets hold the names and slugs of its organisations, funders,
programmes and territories, and its funders through the programme tree. When one of those records
changes what the index reads, or is deleted, the projects that name it are indexed again.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save

from partners.models import LeadPartner, Partner

from .models import Funder, IndexState, Programme, Territory
from .services.index import projects_index, projects_naming, records_reindex

# What the index reads of each record.
INDEXED_FIELDS = {
    Partner: ("name", "slug", "other_names"),
    Funder: ("name", "slug", "other_names"),
    Programme: ("name", "slug", "short_name", "parent_id"),
    Territory: ("name",),
}
# What the pages and records kept by the index's stamp (the lists', the API's) show of a record besides:
# a change to it makes them stale without changing any search document or facet, so the stamp moves for its
# projects and nothing is indexed again (a programme's note would otherwise reindex every project under it).
SHOWN_FIELDS = {
    Partner: ("kind",),  # in the organisations' list
    Programme: ("funders_inferred_because",),
    Territory: ("basis", "note"),
}


# The many-to-many relations the index reads, by their through model: the field's name on its model.
INDEXED_LINKS = {Programme.funders.through: "funders", Territory.municipalities.through: "municipalities"}


def _concrete(model):
    return model._meta.concrete_model  # LeadPartner is Partner seen in its lead role


def _watched(model) -> tuple[str, ...]:
    return INDEXED_FIELDS[model] + SHOWN_FIELDS.get(model, ())


def _state(instance) -> tuple:
    return tuple(getattr(instance, name) for name in _watched(_concrete(type(instance))))


def remember_indexed_state(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    model = _concrete(sender)
    stored = model._default_manager.filter(pk=instance.pk).values_list(*_watched(model)).first()
    instance._indexed_state = tuple(stored) if stored else None


def reindex_after_save(sender, instance, created, raw=False, **kwargs):
    if raw or created:
        return  # a new record is named by no project yet
    before, after = getattr(instance, "_indexed_state", None), _state(instance)
    if before == after:
        return
    model = _concrete(sender)
    indexed = len(INDEXED_FIELDS[model])
    if before is None or before[:indexed] != after[:indexed]:
        records_reindex(model, [instance.pk])
    else:
        IndexState.advance(projects_naming(model, [instance.pk]))


def reindex_after_links(sender, instance, action, reverse, model, pk_set, **kwargs):
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            records_reindex(type(instance), [instance.pk])
        return
    # Changed from the other side (a funder's programmes, a municipality's territories): the records
    # on the indexed side are those in pk_set, or for a clear, those linked just before it.
    if action == "pre_clear":
        linked = model._default_manager.filter(**{INDEXED_LINKS[sender]: instance})
        instance._cleared_links = list(linked.values_list("pk", flat=True))
    elif action in ("post_add", "post_remove"):
        records_reindex(model, pk_set or [])
    elif action == "post_clear":
        records_reindex(model, getattr(instance, "_cleared_links", []))


def remember_projects(sender, instance, **kwargs):
    instance._indexed_projects = projects_naming(_concrete(sender), [instance.pk])


def reindex_after_delete(sender, instance, **kwargs):
    projects_index(getattr(instance, "_indexed_projects", ()))


def connect() -> None:
    for model in (*INDEXED_FIELDS, LeadPartner):
        pre_save.connect(remember_indexed_state, sender=model, dispatch_uid=f"index-state-{model.__name__}")
        post_save.connect(reindex_after_save, sender=model, dispatch_uid=f"index-save-{model.__name__}")
        pre_delete.connect(remember_projects, sender=model, dispatch_uid=f"index-pre-delete-{model.__name__}")
        post_delete.connect(reindex_after_delete, sender=model, dispatch_uid=f"index-delete-{model.__name__}")
    for through in INDEXED_LINKS:
        m2m_changed.connect(reindex_after_links, sender=through, dispatch_uid=f"index-links-{through.__name__}")
