"""The search documents' words alone (projects.models.ProjectWords), which selecting the projects that
contain a word now reads; the GIN index moves from the ranked vectors to them."""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

POSTGRES_SETUP = [
    "INSERT INTO projects_projectwords (project_id, words) SELECT project_id, strip(vector) "
    "FROM projects_projectsearch",
    "CREATE INDEX projectwords_words ON projects_projectwords USING gin (words)",
    "DROP INDEX IF EXISTS projectsearch_vector",
    "ANALYZE projects_projectwords",
]
POSTGRES_TEARDOWN = [
    "CREATE INDEX IF NOT EXISTS projectsearch_vector ON projects_projectsearch USING gin (vector)",
    "DROP INDEX IF EXISTS projectwords_words",
]


def run_on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0008_index_kind"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProjectWords",
            fields=[
                (
                    "project",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="search_words",
                        serialize=False,
                        to="projects.project",
                    ),
                ),
                ("words", django.contrib.postgres.search.SearchVectorField(null=True)),
            ],
        ),
        migrations.RunPython(run_on_postgresql(POSTGRES_SETUP), run_on_postgresql(POSTGRES_TEARDOWN)),
    ]
