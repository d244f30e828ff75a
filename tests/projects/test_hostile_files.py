"""Hostile and broken files: refused with a message, from the command and the admin alike, writing nothing.

The files are made by tests/hostile_files.py; benchmarks/hostile_files.py measures the time and
memory each takes in a process of its own.
"""

import io
import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command

from partners.models import Partner
from projects.importing import SheetError, SheetLimits, read_sheet
from projects.importing.report import LISTED_COLUMNS, LISTED_ERRORS, LISTED_ROWS
from projects.models import Funder, Project
from projects.uploads import uploads_purge
from tests.commands import run_command
from tests.hostile_files import (
    HOSTILE_FILES,
    HostileFile,
    dimension_of_the_whole_grid,
    ods_cell,
    ods_content,
    ods_row,
    opendocument,
)

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/projects/project/import/"
CONFIRM_URL = "/admin/projects/project/process_import/"
# The XLSX format reads any archive by what it holds, an OpenDocument sheet too.
FORMATS = {"csv": "0", "xlsx": "1", "ods": "1"}
FILES = Path(__file__).resolve().parent.parent / "files" / "ods"
REFUSED = [hostile for hostile in HOSTILE_FILES if hostile.refused_because]


def run(path: Path, *args) -> tuple[int, str, str]:
    return run_command("import_projects", str(path), *args)


def counts() -> tuple[int, int, int]:
    return Project.objects.count(), Partner.objects.count(), Funder.objects.count()


def admin_upload(client, name: str, data: bytes):
    upload = io.BytesIO(data)
    upload.name = name
    return client.post(IMPORT_URL, {"format": FORMATS[name.rsplit(".", 1)[1]], "import_file": upload})


@pytest.mark.parametrize("hostile", REFUSED, ids=lambda hostile: hostile.name)
def test_the_command_refuses_each_hostile_file_with_its_reason_and_exit_2(hostile: HostileFile, tmp_path):
    path = tmp_path / hostile.name
    path.write_bytes(hostile.make())
    before = counts()

    code, _, err = run(path)

    assert code == 2
    assert hostile.refused_because in err
    assert "Nothing was imported" in err
    assert "Traceback" not in err
    assert counts() == before


@pytest.mark.parametrize("hostile", REFUSED, ids=lambda hostile: hostile.name)
def test_the_admin_refuses_each_hostile_file_with_400_and_keeps_no_copy(
    hostile: HostileFile, client, editor, import_upload_dir
):
    client.force_login(editor)
    before = counts()

    response = admin_upload(client, hostile.name, hostile.make())

    assert response.status_code == 400
    assert hostile.refused_because in response.content.decode()
    assert counts() == before
    assert list(import_upload_dir.iterdir()) == []


def test_a_dimension_claiming_the_whole_grid_is_ignored_and_the_cells_are_read(tmp_path):
    path = tmp_path / "dimension.xlsx"
    path.write_bytes(dimension_of_the_whole_grid())

    code, out, _ = run(path, "--dry-run")

    assert code == 0
    assert "1 new" in out


def hostile(name: str) -> bytes:
    return next(hostile for hostile in HOSTILE_FILES if hostile.name == name).make()


@pytest.mark.parametrize("name", ["opendocument.xlsx", "whole-grid-of-blank-cells.ods"])
def test_an_ods_is_read_as_what_it_holds_whatever_its_name_or_the_grid_it_claims(name, tmp_path):
    path = tmp_path / name
    path.write_bytes(hostile(name))

    code, out, _ = run(path, "--dry-run")

    assert code == 0
    assert "1 new" in out


def peak_memory(read) -> int:
    """The most memory Python held at once while `read` ran, in bytes (a bound on behaviour, not a speed)."""
    tracemalloc.start()
    try:
        read()
    except SheetError:
        pass
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize(
    "name",
    [
        "whole-grid-of-blank-cells.ods",
        "cell-in-row-1048576.ods",
        "value-repeated-to-column-xfd.ods",
        "billion-spaces.ods",
    ],
)
def test_what_an_ods_claims_to_repeat_costs_nothing(name):
    data = hostile(name)

    # Were the blank cells of a claimed row written out, or the rows listed, it would take gigabytes.
    assert peak_memory(lambda: read_sheet(data)) < 2 * 1024 * 1024


def test_a_libreoffice_sheet_claiming_every_row_and_column_of_the_grid_is_read_in_little_memory():
    # LibreOffice wrote this one with blank rows repeated to row 1,048,576, each 16,384 cells wide.
    data = (FILES / "formati.ods").read_bytes()
    assert b'table:number-rows-repeated="1048569"' in zipfile_part(data, "content.xml")

    assert peak_memory(lambda: read_sheet(data)) < 2 * 1024 * 1024


def test_a_value_repeated_down_the_grid_is_read_no_further_than_the_row_limit():
    data = hostile("value-repeated-to-row-1048576.ods")

    with pytest.raises(SheetError, match=r"a value in row 1,002, past row 1,001"):
        read_sheet(data, limits=SheetLimits(max_rows=1_000))
    # What is held is the rows the limit lets through, never the million the row claims.
    assert peak_memory(lambda: read_sheet(data, limits=SheetLimits(max_rows=1_000))) < 2 * 1024 * 1024


def test_an_ods_row_is_refused_at_the_row_limit_of_the_settings(settings, tmp_path):
    settings.IMPORT_MAX_ROWS = 3
    path = tmp_path / "schede.ods"
    path.write_bytes(opendocument(ods_content(ods_row(ods_cell("Titolo")) + ods_row(ods_cell("Progetto"), repeat=5))))

    code, _, err = run(path)

    assert code == 2
    assert "a value in row 5, past row 4" in err


def zipfile_part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name)


def test_a_stream_without_end_is_read_no_further_than_the_limit(settings):
    settings.IMPORT_MAX_BYTES = 1024 * 1024
    started = time.monotonic()

    code, _, err = run(Path("/dev/zero"))  # its size says 0, and it never ends

    assert code == 2
    assert "over the limit of 1.0 MB" in err
    assert time.monotonic() - started < 60  # not a speed goal: a test that read on would never end


def test_the_admin_refuses_a_file_over_the_limit_before_reading_it(client, editor, settings, import_upload_dir):
    settings.IMPORT_MAX_BYTES = 1024
    client.force_login(editor)

    response = admin_upload(client, "schede.csv", b"Titolo\r\n" + b"x" * 2048 + b"\r\n")

    assert response.status_code == 400
    assert "The file is 2 KB, over the limit of 1 KB. Nothing was imported." in response.content.decode()
    assert not import_upload_dir.exists()  # never stored, so never read


def test_rows_and_columns_are_capped_by_the_settings(settings, tmp_path):
    settings.IMPORT_MAX_ROWS = 3
    path = tmp_path / "schede.csv"
    path.write_bytes(b"Titolo\r\n" + b"".join(f"Progetto {n}\r\n".encode() for n in range(4)))

    code, _, err = run(path)

    assert code == 2
    assert "a value in row 5, past row 4" in err


def test_blank_cells_past_the_column_limit_are_dropped_not_refused():
    data = b"Titolo" + b";" * 500 + b"\r\nProgetto" + b";" * 500 + b"\r\n"

    sheet = read_sheet(data, limits=SheetLimits(max_columns=10))

    assert len(sheet.headers) == 10
    assert sheet.rows[0][0] == "Progetto"


def test_a_row_gap_to_the_last_row_of_the_grid_is_refused_where_the_cell_is_met():
    data = next(hostile for hostile in HOSTILE_FILES if hostile.name == "cell-in-row-1048576.xlsx").make()

    with pytest.raises(SheetError, match=r"row 1,048,576"):
        read_sheet(data, limits=SheetLimits())


def rows_with_errors(count: int) -> bytes:
    # A month 13 is an error in every row.
    return ("Titolo;Periodo\r\n" + "".join(f"Progetto {n};13/2024\r\n" for n in range(count))).encode()


def test_the_command_lists_the_first_errors_and_counts_the_rest(tmp_path):
    path = tmp_path / "schede.csv"
    path.write_bytes(rows_with_errors(LISTED_ERRORS + 50))

    code, out, err = run(path)

    assert code == 1
    assert sum(1 for line in err.splitlines() if line.startswith("row ")) == LISTED_ERRORS
    assert "... and 50 more errors." in err
    assert f"{LISTED_ERRORS + 50} rows with errors" in out


def test_the_preview_lists_the_first_rows_with_errors_and_counts_them_all(client, editor):
    client.force_login(editor)

    response = admin_upload(client, "schede.csv", rows_with_errors(LISTED_ROWS + 30))

    assert response.status_code == 400
    assert len(response.context["result"].invalid_rows) == LISTED_ROWS
    page = response.content.decode()
    assert f"{LISTED_ROWS + 30} rows with errors" in page
    assert f"The first {LISTED_ROWS} rows with errors are listed." in page


def test_unknown_columns_are_listed_up_to_a_bound_and_shortened(tmp_path, client, editor):
    headers = ["Titolo", "X" * 500] + [f"Colonna {n}" for n in range(LISTED_COLUMNS + 9)]
    data = (";".join(headers) + "\r\n" + ";".join(["Progetto"] + [""] * (len(headers) - 1)) + "\r\n").encode()
    path = tmp_path / "schede.csv"
    path.write_bytes(data)

    _, out, _ = run(path, "--dry-run")
    client.force_login(editor)
    page = admin_upload(client, "schede.csv", data).content.decode()

    assert sum(1 for line in out.splitlines() if line.startswith("Unknown column ignored")) == LISTED_COLUMNS
    assert "... and 10 more unknown columns ignored." in out
    assert "X" * 500 not in out and "X" * 500 not in page
    assert "and 10 more." in page


# --- the admin's stored uploads -----------------------------------------------------------------


def preview_fields(response) -> dict:
    form = response.context["confirm_form"]
    return {name: form.initial[name] for name in ("import_file_name", "original_file_name", "format", "resource")}


def good_sheet() -> bytes:
    return b"Titolo;Periodo\r\nProgetto dal caricamento;2024\r\n"


def test_a_preview_keeps_its_upload_until_it_is_confirmed(client, editor, import_upload_dir):
    client.force_login(editor)

    preview = admin_upload(client, "schede.csv", good_sheet())
    kept = list(import_upload_dir.iterdir())
    confirmed = client.post(CONFIRM_URL, preview_fields(preview))

    assert len(kept) == 1
    assert confirmed.status_code == 302
    assert list(import_upload_dir.iterdir()) == []
    assert Project.objects.filter(title="Progetto dal caricamento").exists()


def test_a_sheet_with_row_errors_keeps_no_copy(client, editor, import_upload_dir):
    client.force_login(editor)

    response = admin_upload(client, "schede.csv", rows_with_errors(2))

    assert response.status_code == 400
    assert list(import_upload_dir.iterdir()) == []


def test_a_confirmation_that_fails_removes_its_upload(client, editor, import_upload_dir):
    client.force_login(editor)
    fields = preview_fields(admin_upload(client, "schede.csv", good_sheet()))

    response = client.post(CONFIRM_URL, {**fields, "format": "9"})

    assert response.status_code == 400
    assert list(import_upload_dir.iterdir()) == []


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "not-a-token", ""])
def test_a_confirmation_naming_another_file_is_refused_and_touches_nothing(client, editor, name, tmp_path):
    client.force_login(editor)
    fields = preview_fields(admin_upload(client, "schede.csv", good_sheet()))
    outside = tmp_path / "outside.csv"
    outside.write_bytes(good_sheet())

    response = client.post(CONFIRM_URL, {**fields, "import_file_name": name or str(outside)})

    assert response.status_code == 400
    assert outside.exists()
    assert not Project.objects.filter(title="Progetto dal caricamento").exists()


def test_abandoned_uploads_are_purged_by_age(client, editor, import_upload_dir):
    client.force_login(editor)
    admin_upload(client, "schede.csv", good_sheet())
    (kept,) = import_upload_dir.iterdir()
    stranger = import_upload_dir / "not-an-upload.txt"
    stranger.write_text("kept: not a name the registry gives")

    assert uploads_purge(older_than=3600) == 0
    out = io.StringIO()
    call_command("purge_import_uploads", "--older-than-hours", "0", stdout=out)

    assert "1 unconfirmed upload removed" in out.getvalue()
    assert not kept.exists()
    assert stranger.exists()


def test_each_upload_sweeps_the_ones_abandoned_long_ago(client, editor, import_upload_dir, settings):
    client.force_login(editor)
    admin_upload(client, "schede.csv", good_sheet())
    (old,) = import_upload_dir.iterdir()
    long_ago = time.time() - settings.IMPORT_UPLOAD_MAX_AGE.total_seconds() - 60
    os.utime(old, (long_ago, long_ago))

    admin_upload(client, "schede.csv", good_sheet())

    assert not old.exists()
    assert len(list(import_upload_dir.iterdir())) == 1


def test_a_cancelled_preview_removes_its_upload(client, editor, import_upload_dir):
    client.force_login(editor)
    preview = admin_upload(client, "schede.csv", good_sheet())
    assert "Cancel the import" in preview.content.decode()

    response = client.post(
        "/admin/projects/project/import/cancel/", {"import_file_name": preview_fields(preview)["import_file_name"]}
    )

    assert response.status_code == 302
    assert list(import_upload_dir.iterdir()) == []
    assert not Project.objects.filter(title="Progetto dal caricamento").exists()
    assert client.get("/admin/projects/project/import/cancel/").status_code == 405
