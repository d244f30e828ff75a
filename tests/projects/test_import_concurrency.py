"""Two imports at once: the second waits for the first and reads what it wrote, or is told to come back.

Imports run in threads, each with its own database connection, committing as in production; the
lock is PostgreSQL's advisory lock (SQLite's own write lock on SQLite, where the test database is
in memory and shared by the threads, so these run on PostgreSQL).
"""

import io
import threading

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import translation

from partners.models import Partner
from projects.importing import import_sheet, read_sheet
from projects.models import Project
from projects.services.locks import IMPORT_LOCK_KEY, import_lock

pytestmark = [
    pytest.mark.skipif(
        "postgresql" not in settings.DATABASES["default"]["ENGINE"],
        reason="threads with their own connections to one database need PostgreSQL",
    ),
    pytest.mark.django_db(transaction=True),
]

NEW_ORGANISATION = "Cooperativa Concorrente della prova"


def overlapping_sheet(title: str) -> bytes:
    rows = [
        ("Titolo", "Capofila", "Periodo"),
        (title, NEW_ORGANISATION, "2024"),
        ("Progetto comune", NEW_ORGANISATION, "2025"),
    ]
    return "".join(";".join(row) + "\r\n" for row in rows).encode()


def in_thread(work, results: dict, key: str, start: threading.Barrier | None = None):
    # A thread starts in the default language: the work speaks the test's, as a request or a command speaks its own.
    language = translation.get_language()

    def run():
        try:
            if start is not None:
                start.wait()
            with translation.override(language):
                results[key] = work()
        except Exception as error:  # the test reports it: an import must never raise
            results[key] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_imports_of_the_same_new_rows_at_once_write_them_once(seeded):
    start = threading.Barrier(2)
    results: dict = {}
    threads = [
        in_thread(
            lambda title=title: import_sheet(read_sheet(overlapping_sheet(title)), dry_run=False),
            results,
            title,
            start,
        )
        for title in ("Progetto della prima", "Progetto della seconda")
    ]
    for thread in threads:
        thread.join(timeout=120)

    reports = list(results.values())
    assert all(not isinstance(report, Exception) for report in reports), reports
    assert all(not report.has_errors for report in reports), [report.file_errors for report in reports]
    assert Partner.objects.filter(name=NEW_ORGANISATION).count() == 1
    assert Project.objects.filter(title="Progetto comune").count() == 1
    # One of them created the shared project, the other found it.
    assert sorted(report.count("new") for report in reports) == [1, 2]


def hold_the_lock(release: threading.Event, held: threading.Event):
    with transaction.atomic(), import_lock(wait_seconds=1):
        held.set()
        release.wait(timeout=60)


def test_an_import_that_cannot_get_the_lock_in_time_writes_nothing_and_says_so(seeded):
    release, held = threading.Event(), threading.Event()
    results: dict = {}
    holder = in_thread(lambda: hold_the_lock(release, held), results, "holder")
    held.wait(timeout=30)
    try:
        report = import_sheet(read_sheet(overlapping_sheet("Progetto in attesa")), dry_run=False, wait_seconds=0.5)
    finally:
        release.set()
        holder.join(timeout=60)

    assert report.busy
    assert "another import held the registry" in report.file_errors[0]
    assert not Project.objects.filter(title="Progetto in attesa").exists()
    assert not Partner.objects.filter(name=NEW_ORGANISATION).exists()


def test_an_import_waits_for_the_one_before_and_then_writes(seeded):
    release, held = threading.Event(), threading.Event()
    results: dict = {}
    holder = in_thread(lambda: hold_the_lock(release, held), results, "holder")
    held.wait(timeout=30)
    waiting = in_thread(
        lambda: import_sheet(read_sheet(overlapping_sheet("Progetto paziente")), dry_run=False, wait_seconds=30),
        results,
        "waiting",
    )
    waiting.join(timeout=1)
    assert waiting.is_alive()  # still waiting for the lock

    release.set()
    waiting.join(timeout=60)
    holder.join(timeout=60)

    assert not results["waiting"].has_errors
    assert Project.objects.filter(title="Progetto paziente").exists()


def test_the_command_exits_3_when_another_import_holds_the_registry(seeded, tmp_path):
    path = tmp_path / "schede.csv"
    path.write_bytes(overlapping_sheet("Progetto dal comando"))
    with connection.cursor() as cursor:  # a session lock, held by this test's own connection
        cursor.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK_KEY])
    err = io.StringIO()
    results: dict = {}

    def command():
        try:
            call_command("import_projects", str(path), "--wait", "0.5", stderr=err, stdout=io.StringIO())
        except SystemExit as exit:
            return exit.code
        return 0

    try:
        thread = in_thread(command, results, "code")
        thread.join(timeout=60)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK_KEY])

    assert results["code"] == 3
    assert "another import held the registry" in err.getvalue()
    assert not Project.objects.filter(title="Progetto dal comando").exists()


def test_the_admin_answers_409_when_another_import_holds_the_registry(seeded, client, settings):
    settings.IMPORT_LOCK_WAIT_SECONDS = 0.5
    # (A committing test empties the tables, the Editors group's with them: an administrator imports here.)
    client.force_login(User.objects.create_superuser("amministratrice", password="x"))
    upload = io.BytesIO(overlapping_sheet("Progetto dall'admin in attesa"))
    upload.name = "schede.csv"
    preview = client.post("/admin/projects/project/import/", {"format": "0", "import_file": upload})
    form = preview.context["confirm_form"]
    fields = {name: form.initial[name] for name in ("import_file_name", "original_file_name", "format", "resource")}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [IMPORT_LOCK_KEY])
    results: dict = {}
    try:
        thread = in_thread(lambda: client.post("/admin/projects/project/process_import/", fields), results, "response")
        thread.join(timeout=60)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [IMPORT_LOCK_KEY])

    response = results["response"]
    assert response.status_code == 409
    assert "Another import is running" in response.content.decode()
    assert not Project.objects.filter(title="Progetto dall'admin in attesa").exists()
