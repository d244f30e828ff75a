"""Importing and exporting project sheets in the admin (django-import-export with the registry's resource)."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command

from projects.importing import read_sheet
from projects.models import Project
from tests.factories import MARKER, make_full_project, make_partner, word

pytestmark = pytest.mark.django_db

IMPORT_URL = "/admin/projects/project/import/"
CONFIRM_URL = "/admin/projects/project/process_import/"


def sheet(rows, headers=("Titolo", "Capofila", "Periodo", "Sintesi")) -> io.BytesIO:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    upload = io.BytesIO(buffer.getvalue().encode("cp1252"))
    upload.name = "schede.csv"
    return upload


@pytest.fixture
def staff_without_import(db):
    user = User.objects.create_user("staff", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_project"))
    return user


def upload(client, data):
    return client.post(IMPORT_URL, {"format": "0", "import_file": data})


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get(IMPORT_URL)

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_without_the_import_permission_cannot_import_or_see_the_buttons(client, staff_without_import):
    client.force_login(staff_without_import)

    assert client.get(IMPORT_URL).status_code == 403
    changelist = client.get("/admin/projects/project/").content.decode()
    assert IMPORT_URL not in changelist
    assert "/admin/projects/project/export/" not in changelist


def test_editors_see_the_import_and_export_buttons(client, editor):
    client.force_login(editor)

    changelist = client.get("/admin/projects/project/").content.decode()

    assert IMPORT_URL in changelist
    assert "/admin/projects/project/export/" in changelist


def test_upload_previews_and_confirm_writes_drafts(client, editor):
    client.force_login(editor)
    before = Project.objects.count()

    preview = upload(client, sheet([["Progetto dall'admin", "Ass. PIAM onlus", "2024 - 2026", "Testo"]]))

    assert preview.status_code == 200
    assert Project.objects.count() == before
    html = preview.content.decode()
    assert "Progetto dall&#x27;admin" in html
    totals = preview.context["result"].totals
    assert (totals["new"], totals["update"], totals["skip"], totals["invalid"]) == (1, 0, 0, 0)
    fields = dict(re.findall(r'name="(import_file_name|original_file_name|format|resource)" value="([^"]*)"', html))

    confirmed = client.post(CONFIRM_URL, fields)

    assert confirmed.status_code == 302
    project = Project.objects.get(title="Progetto dall'admin")
    assert project.is_published is False
    assert project.lead_partner.name == "Ass. PIAM onlus"


def test_a_sheet_with_errors_is_shown_with_its_rows_and_columns_and_writes_nothing(client, editor):
    client.force_login(editor)
    before = Project.objects.count()

    response = upload(client, sheet([["Buono", "", "2024", ""], ["Cattivo", "", "Dicembre 2025 - Maggio 2024", ""]]))

    assert response.status_code == 400
    html = response.content.decode()
    assert "Periodo" in html and "comes before the start" in html
    assert 'name="import_file_name"' not in html  # no confirm form
    assert Project.objects.count() == before


def test_a_binary_file_is_refused_with_a_message(client, editor):
    client.force_login(editor)
    data = io.BytesIO(bytes(range(256)) * 8)
    data.name = "schede.csv"

    response = upload(client, data)

    assert response.status_code == 400
    assert "binary" in response.content.decode()


def test_html_in_cells_is_shown_escaped_in_the_preview(client, editor):
    client.force_login(editor)

    response = upload(client, sheet([["<script>alert(1)</script>", "", "2024", ""]]))

    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_template_has_the_italian_headers_and_an_example_row(client, editor):
    client.force_login(editor)

    response = client.get("/admin/projects/project/import-template.csv")

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Titolo", "Acronimo", "Codice", "CUP"]
    assert len(rows) == 2 and rows[1][0]


def template_dry_run(client, editor, tmp_path) -> str:
    """What `import_projects --dry-run` says of the admin's import template, downloaded as an editor."""
    client.force_login(editor)
    path = tmp_path / "modello.csv"
    path.write_bytes(client.get("/admin/projects/project/import-template.csv").content)
    out = io.StringIO()
    call_command("import_projects", str(path), "--dry-run", stdout=out)
    return out.getvalue()


def test_the_template_imports_as_it_is(client, editor, tmp_path):
    assert "0 new, 0 changed, 1 unchanged, 0 rows with errors" in template_dry_run(client, editor, tmp_path)


def test_admin_export_escapes_formulae_and_reimports(client, editor):
    client.force_login(editor)
    Project.objects.create(title="=1+1", slug="formula-admin", summary="@SUM(A1)")
    fields = {f"projectresource_{name}": "on" for name in ("slug", "title", "summary")}

    response = client.post("/admin/projects/project/export/", {"format": "0", "resource": "0", **fields})

    assert response.status_code == 200
    text = response.content.decode()
    assert "'=1+1" in text and "'@SUM(A1)" in text


def preview_fields(response) -> dict:
    return dict(
        re.findall(
            r'name="(import_file_name|original_file_name|format|resource)" value="([^"]*)"', response.content.decode()
        )
    )


def test_confirming_twice_answers_400_and_imports_once(client, editor):
    client.force_login(editor)
    fields = preview_fields(upload(client, sheet([["Una volta sola", "", "2024", ""]])))

    assert client.post(CONFIRM_URL, fields).status_code == 302
    second = client.post(CONFIRM_URL, fields)

    assert second.status_code == 400
    assert Project.objects.filter(title="Una volta sola").count() == 1


def test_a_tampered_confirmation_answers_400(client, editor):
    client.force_login(editor)
    fields = preview_fields(upload(client, sheet([["Manomesso", "", "2024", ""]])))

    response = client.post(CONFIRM_URL, {**fields, "format": "9"})

    assert response.status_code == 400
    assert not Project.objects.filter(title="Manomesso").exists()


def test_a_sheet_that_stops_passing_between_preview_and_confirm_writes_nothing(client, editor, tmp_path):

    client.force_login(editor)
    headers = ("Titolo", "Territorio", "Comuni")
    fields = preview_fields(upload(client, sheet([["Prima versione", "Area Z", "Asti"]], headers)))
    # Meanwhile another import creates «Area Z» with other municipalities.
    path = tmp_path / "altra.csv"
    path.write_bytes(sheet([["Altro progetto", "Area Z", "Alba"]], headers).getvalue())
    call_command("import_projects", str(path), stdout=io.StringIO())

    response = client.post(CONFIRM_URL, fields)

    assert response.status_code == 400
    assert "Area Z" in response.content.decode()
    assert not Project.objects.filter(title="Prima versione").exists()


@pytest.fixture
def networked(db):
    """A published project with a CUP whose title comes first, so that the template takes it as its example:
    a network with a unit, a member and the texts the template has columns for."""
    lead, member = make_partner(), make_partner()
    return make_full_project(
        title=f"0 {MARKER} Rete d'esempio {word()}",
        cup="E12F34000560888",
        kind="network",
        application_year=2022,
        people_reached="30 enti",
        lead=lead,
        partners=[],
        supporting=[],
        members=[member],
        units={lead: "Settore Politiche Sociali"},
        numbered_by_role=True,
    )


def test_the_template_has_the_new_columns_and_an_example_with_a_unit_and_a_member(client, editor, networked):
    client.force_login(editor)

    response = client.get("/admin/projects/project/import-template.csv")

    header, example = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    cells = dict(zip(header, example, strict=True))
    lead, member = (link.partner.name for link in networked.participations_in_order())
    assert (cells["Titolo"], cells["Tipo"], cells["Anno candidatura"], cells["Persone raggiunte"]) == (
        networked.title,
        str(networked.get_kind_display()),
        "2022",
        "30 enti",
    )
    assert (cells["Capofila"], cells["Membri"]) == (f"{lead} – Settore Politiche Sociali", member)


def test_the_template_with_a_unit_and_a_member_imports_as_it_is(client, editor, networked, tmp_path):
    assert "0 new, 0 changed, 1 unchanged, 0 rows with errors" in template_dry_run(client, editor, tmp_path)


@pytest.mark.parametrize(("format_", "name"), [("0", "export.csv"), ("1", "export.xlsx")])
def test_admin_export_writes_the_new_columns_and_imports_back_unchanged(
    client, editor, networked, tmp_path, format_, name
):
    client.force_login(editor)
    # In the export's order, whatever order they are asked in.
    columns = ["slug", "title", "partners", "kind", "application_year", "people_reached", "territory_details"]
    fields = {f"projectresource_{column}": "on" for column in columns}

    response = client.post("/admin/projects/project/export/", {"format": format_, "resource": "0", **fields})

    assert response.status_code == 200
    path = tmp_path / name
    path.write_bytes(response.content)
    sheet = read_sheet(path.read_bytes(), filename=name)
    assert sheet.headers == columns
    cells = next(dict(zip(columns, row, strict=True)) for row in sheet.rows if row[0] == networked.slug)
    lead, member = (link.partner.name for link in networked.participations_in_order())
    assert (cells["kind"], cells["application_year"], cells["partners"]) == (
        "network",
        "2022",
        f"{lead} – Settore Politiche Sociali [lead]; {member} [member]",
    )
    out = io.StringIO()
    call_command("import_projects", str(path), "--dry-run", stdout=out)
    assert f"0 new, 0 changed, {len(sheet.rows)} unchanged, 0 rows with errors" in out.getvalue()
