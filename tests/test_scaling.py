"""Past one machine: the settings the README's "Growing past one machine" names do what it says.

- DATABASE_REPLICA_URL: visitors' pages read from the replica, editors' pages and every write from
  the primary (two SQLite files that differ stand for the two databases, so the page shows which
  one it was read from);
- CACHE_URL: processes share one cache (Redis), so the API's rate limit counts a client's requests
  across every process and machine.
Each runs the site in processes of its own, configured only by the environment, as a deployment is.
"""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.contrib.sessions.models import Session
from django.db import connection, connections
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext

from projects.models import Municipality, Project
from registry import routers

ROOT = Path(__file__).resolve().parent.parent


def run_site(script: str, **environment: str) -> subprocess.CompletedProcess:
    """A script run in the site's own process (`manage.py shell`), configured by the environment."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "CACHE_URL"}}
    env.update({"DEBUG": "0", "ALLOWED_HOSTS": "testserver", "LIST_CACHE_SECONDS": "0", **environment})
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture
def public_read():
    token = routers._public_read.set(True)
    yield
    routers._public_read.reset(token)


def test_without_a_replica_every_read_uses_the_primary(public_read):
    assert routers.PrimaryReplicaRouter().db_for_read(Project) == "default"


def test_a_visitors_read_goes_to_the_replica_and_accounts_stay_on_the_primary(public_read, monkeypatch):
    monkeypatch.setattr(routers, "settings", SimpleNamespace(DATABASES={"default": {}, "replica": {}}))
    router = routers.PrimaryReplicaRouter()

    assert router.db_for_read(Project) == "replica"
    assert router.db_for_read(Session) == "default"
    assert router.db_for_write(Project) == "default"
    assert router.allow_migrate("replica", "projects") is False


def test_outside_a_visitors_request_reads_use_the_primary(monkeypatch):
    monkeypatch.setattr(routers, "settings", SimpleNamespace(DATABASES={"default": {}, "replica": {}}))

    assert routers.PrimaryReplicaRouter().db_for_read(Project) == "default"


@pytest.mark.parametrize(("path", "public"), [("/projects/export.csv", True), ("/admin/projects/project/", False)])
def test_a_streamed_answer_is_read_as_its_request_was_routed(rf, path, public):
    marks = []

    def parts():
        marks.append(routers._public_read.get())
        yield b"a"
        marks.append(routers._public_read.get())
        yield b"b"

    middleware = routers.RouteReadsMiddleware(lambda request: StreamingHttpResponse(parts()))
    response = middleware(rf.get(path))

    assert routers._public_read.get() is False  # the view has returned: the request's mark is gone
    assert b"".join(response.streaming_content) == b"ab"
    assert marks == [public, public]


REPLICA_SCRIPT = """
from django.contrib.auth.models import User
from django.test import Client
from projects.models import Project
project = Project.objects.published().order_by("pk").first()
visitor = Client()
page = visitor.get(f"/projects/{project.slug}/").content.decode()
editor = Client()
editor.force_login(User.objects.create_superuser("redazione", password="x"))
admin = editor.get(f"/admin/projects/project/{project.pk}/change/").content.decode()
print("public:", "REPLICA" if "Letto dalla replica" in page else "PRIMARY")
print("admin:", "REPLICA" if "Letto dalla replica" in admin else "PRIMARY")
# The list's cards, the API's records and the exports (read after the view has returned, as they stream).
answers = {
    "list": visitor.get("/projects/", {"sort": "title"}).content,
    "api": visitor.get("/api/v1/projects/", {"page_size": 100}).content,
    "csv": b"".join(visitor.get("/projects/export.csv").streaming_content),
    "json": b"".join(visitor.get("/projects/export.json").streaming_content),
}
for name, content in answers.items():
    print(f"{name}:", "REPLICA" if "Letto dalla replica" in content.decode() else "PRIMARY")
fields = {"format": "0", "resource": "0", "projectresource_title": "on"}
exported = editor.post("/admin/projects/project/export/", fields).content.decode()
print("admin export:", "REPLICA" if "Letto dalla replica" in exported else "PRIMARY")
"""


def test_with_a_replica_visitors_read_it_and_editors_read_the_primary(tmp_path):
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    environment = {"DATABASE_URL": f"sqlite:///{primary}", "STATIC_ROOT": str(tmp_path / "static")}
    subprocess.run(
        [sys.executable, "manage.py", "bootstrap"],
        cwd=ROOT,
        env={**os.environ, **environment},
        check=True,
        capture_output=True,
    )
    shutil.copy(primary, replica)
    with sqlite3.connect(replica) as copy:
        # The replica differs from the primary in the first published project's title.
        copy.execute(
            "UPDATE projects_project SET title = 'Letto dalla replica' "
            "WHERE id = (SELECT min(id) FROM projects_project WHERE is_published)"
        )

    result = run_site(REPLICA_SCRIPT, DATABASE_REPLICA_URL=f"sqlite:///{replica}", **environment)

    assert result.returncode == 0, result.stderr
    assert "public: REPLICA" in result.stdout
    assert "admin: PRIMARY" in result.stdout
    for answer in ("list", "api", "csv", "json"):
        assert f"{answer}: REPLICA" in result.stdout
    assert "admin export: PRIMARY" in result.stdout


def redis_is_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


THROTTLED_SCRIPT = """
from django.test import Client
client = Client()
print(" ".join(str(client.get("/api/v1/projects/", {"page_size": 1}).status_code) for _ in range(2)))
"""


@pytest.mark.skipif(not redis_is_running(), reason="a Redis server on 127.0.0.1:6379")
def test_with_a_shared_cache_the_api_limit_counts_across_processes(tmp_path):
    environment = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'registro.sqlite3'}",
        "CACHE_URL": "redis://127.0.0.1:6379/15",
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}",  # this run's counts only
        "API_RATE": "3/minute",
    }
    migrated = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
    )
    assert migrated.returncode == 0, migrated.stderr

    first = run_site(THROTTLED_SCRIPT, **environment)
    second = run_site(THROTTLED_SCRIPT, **environment)
    alone = run_site(THROTTLED_SCRIPT, **{**environment, "CACHE_URL": ""})

    assert first.stdout.split() == ["200", "200"], first.stderr
    assert second.stdout.split() == ["200", "429"]  # the third request of the minute, whichever process
    assert alone.stdout.split() == ["200", "200"]  # per-process cache: each process counts alone


@pytest.fixture(scope="module")
def replica_alias(django_db_setup):
    """A second alias, "replica", for the same test database, made before the test's database access is set up
    (which refuses aliases it was not told of): what a visitor's page reads can be told by the connection it used."""
    connections.settings[routers.REPLICA] = dict(connections.settings["default"])
    yield connections[routers.REPLICA]
    connections[routers.REPLICA].close()
    del connections[routers.REPLICA]
    del connections.settings[routers.REPLICA]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the statements written by hand are PostgreSQL's")
@pytest.mark.django_db(transaction=True, databases=["default", routers.REPLICA])
def test_with_a_replica_a_visitors_list_and_export_read_nothing_from_the_primary(
    replica_alias, seeded, client, monkeypatch
):
    monkeypatch.setattr(routers, "settings", SimpleNamespace(DATABASES={"default": {}, routers.REPLICA: {}}))
    places = Municipality.objects.filter(territories__projects__is_published=True)
    code = places.values_list("istat_code", flat=True)[0]
    pages = [
        f"/projects/?municipality={code}",  # a typed filter's projects, read by a statement written by hand
        "/projects/?q=Cunneo",  # the words, and the closest known word (pg_trgm)
        f"/api/v1/projects/?municipality={code}",  # the API's records
        f"/projects/export.csv?municipality={code}",  # streamed after the view has returned
    ]
    with CaptureQueriesContext(connections["default"]) as primary, CaptureQueriesContext(replica_alias) as replica:
        for page in pages:
            response = client.get(page)
            assert response.status_code == 200, page
            content = b"".join(response.streaming_content) if response.streaming else response.content
            assert content
    assert [query["sql"] for query in primary.captured_queries] == []
    assert len(replica.captured_queries) >= len(pages)
