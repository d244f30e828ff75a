"""Index every published project under its kind of initiative (the new listed facet `kind`), as the index writer
now does, so that the list can be filtered by it without rebuilding the whole index."""

import secrets

from django.db import migrations


def index_kinds(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO projects_projectfacet (project_id, facet, value) "
        "SELECT id, 'kind', kind FROM projects_project WHERE is_published"
    )
    schema_editor.execute(
        "INSERT INTO projects_facetcount (facet, value, label, count) "
        "SELECT 'kind', kind, kind, COUNT(*) FROM projects_project WHERE is_published GROUP BY kind"
    )
    # A change of every project: each process reads its facets whole again.
    IndexState, IndexChange = apps.get_model("projects", "IndexState"), apps.get_model("projects", "IndexChange")
    stamp = secrets.randbits(62)
    if not IndexState.objects.filter(pk=1).update(stamp=stamp):
        IndexState.objects.create(pk=1, stamp=stamp)
    IndexChange.objects.create(stamp=stamp, projects=None)


def unindex_kinds(apps, schema_editor):
    apps.get_model("projects", "ProjectFacet").objects.filter(facet="kind").delete()
    apps.get_model("projects", "FacetCount").objects.filter(facet="kind").delete()


class Migration(migrations.Migration):
    dependencies = [("projects", "0007_initiative_kind_and_inference")]

    operations = [migrations.RunPython(index_kinds, unindex_kinds)]
