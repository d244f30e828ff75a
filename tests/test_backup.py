"""The README's backup and restore, done as written: restored into an empty database, everything is there.

Both ways: `dumpdata`/`loaddata` (any database to any other, here into a new SQLite file) and, on
PostgreSQL, `pg_dump`/`pg_restore` into a new database. "Everything" is every row of every table
of the registry's models (projects, organisations, funders, programmes, territories, municipalities,
the public index, editors and their group), and the same answers from the restored site's search.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from projects.models import Project

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
# The README's command, word for word but the file's name.
DUMPDATA_EXCLUDES = [
    "-e",
    "contenttypes",
    "-e",
    "auth.permission",
    "-e",
    "sessions",
    "-e",
    "admin.logentry",
    "-e",
    "axes",
]
REGISTRY_APPS = ("projects", "partners")
SEARCH = "from projects.models import Project; print(Project.objects.published().search('abitare lavoro').count())"
PUBLISHED = (
    "from projects.models import Project; print(' '.join(Project.objects.published().values_list('slug', flat=True)))"
)


def registry_tables() -> list[str]:
    models = [model for label in REGISTRY_APPS for model in apps.get_app_config(label).get_models()]
    tables = {model._meta.db_table for model in models}
    tables |= {
        field.remote_field.through._meta.db_table for model in models for field in model._meta.local_many_to_many
    }
    return sorted(tables | {"auth_group", "auth_user"})


def row_counts(cursor) -> dict[str, int]:
    counts = {}
    for table in registry_tables():
        cursor.execute(f'SELECT count(*) FROM "{table}"')
        counts[table] = cursor.fetchone()[0]
    return counts


def manage(*args: str, database_url: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args, "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_dumpdata_restores_into_an_empty_database_with_every_row(tmp_path):
    backup = tmp_path / "registro.json.gz"
    call_command("dumpdata", "--natural-foreign", "--natural-primary", *DUMPDATA_EXCLUDES, "-o", str(backup))
    restored = f"sqlite:///{tmp_path / 'restored.sqlite3'}"

    assert manage("migrate", "-v0", database_url=restored).returncode == 0
    loaded = manage("loaddata", str(backup), database_url=restored)
    published = manage("shell", "-c", PUBLISHED, database_url=restored)

    assert loaded.returncode == 0, loaded.stderr
    with sqlite3.connect(tmp_path / "restored.sqlite3") as restored_db, connection.cursor() as source:
        assert row_counts(restored_db.cursor()) == row_counts(source)
    # The restored site publishes the same projects (its search is the SQLite one, whatever the source's).
    assert published.stdout.split() == list(Project.objects.published().values_list("slug", flat=True))
    assert Project.objects.published().count() > 0


@pytest.mark.skipif(
    "postgresql" not in settings.DATABASES["default"]["ENGINE"] or not shutil.which("pg_restore"),
    reason="pg_dump and pg_restore back up PostgreSQL",
)
def test_pg_dump_restores_into_an_empty_database_with_every_row(tmp_path):
    source = connection.settings_dict
    target = f"{source['NAME']}_restored"
    server = ["-h", source["HOST"] or "127.0.0.1", "-p", str(source["PORT"] or 5432), "-U", source["USER"]]
    backup = tmp_path / "registro.dump"
    subprocess.run(["dropdb", *server, "--if-exists", target], check=True)
    subprocess.run(["createdb", *server, target], check=True)
    try:
        # The README's commands.
        subprocess.run(
            ["pg_dump", *server, "--format=custom", "--no-owner", f"--file={backup}", source["NAME"]], check=True
        )
        subprocess.run(["pg_restore", *server, "--no-owner", f"--dbname={target}", str(backup)], check=True)
        url = f"postgres://{source['USER']}@{source['HOST'] or '127.0.0.1'}:{source['PORT'] or 5432}/{target}"
        with psycopg.connect(url) as restored, connection.cursor() as current:
            assert row_counts(restored.cursor()) == row_counts(current)
        search = manage("shell", "-c", SEARCH, database_url=url)
        assert int(search.stdout) == Project.objects.published().search("abitare lavoro").count()
    finally:
        subprocess.run(["dropdb", *server, "--if-exists", target], check=True)
