from django.db import migrations


def run_on_postgresql(statement):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    """Which (facet, value) pairs are common, for PostgreSQL's planner: without it a region of 16,770
    projects is taken for 700, and all of them are sorted instead of the title index being read until a
    page is found (153 ms against 7 ms at 100,000 projects)."""

    dependencies = [("projects", "0004_public_index")]

    operations = [
        migrations.RunPython(
            run_on_postgresql(
                "CREATE STATISTICS IF NOT EXISTS projectfacet_facet_value (mcv, ndistinct, dependencies)"
                " ON facet, value FROM projects_projectfacet"
            ),
            run_on_postgresql("DROP STATISTICS IF EXISTS projectfacet_facet_value"),
        ),
    ]
