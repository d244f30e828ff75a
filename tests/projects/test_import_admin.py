"""Importing and exporting project sheets in the admin (django-import-export with the registry's resource)."""

import csv
import io
import re

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.management import call_command

from projects import resources
from projects.importing import read_sheet
from projects.models import Project
from tests import hostile_files
from tests.factories import MARKER, make_full_project, make_partner, make_project, word

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


def upload(client, data, language: str = ""):
    """The editor's upload: the file alone, whatever its format (the admin in `language`, as its language
    switch sets it, else in the language of the tests' client)."""
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    # With the form's one hidden field, which a browser sends with the file.
    return client.post(IMPORT_URL, {"resource": "0", "import_file": data})


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
    assert "Column Periodo</span>: the end (May 2024) comes before the start (December 2025)" in html
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


# --- the format, told by the file ----------------------------------------------------------------


def xlsx_sheet(rows, headers=("Titolo", "Capofila", "Periodo", "Sintesi"), name="schede.xlsx") -> io.BytesIO:
    workbook = openpyxl.Workbook()
    workbook.active.append(list(headers))
    for cells in rows:
        workbook.active.append(list(cells))
    upload = io.BytesIO()
    workbook.save(upload)
    upload.seek(0)
    upload.name = name
    return upload


def ods_sheet(rows, headers=("Titolo", "Capofila", "Periodo", "Sintesi"), name="schede.ods") -> io.BytesIO:
    """As LibreOffice saves a sheet by default (its own OpenDocument format)."""
    content = "".join(hostile_files.ods_row(*map(hostile_files.ods_cell, cells)) for cells in [headers, *rows])
    upload = io.BytesIO(hostile_files.opendocument(hostile_files.ods_content(content)))
    upload.name = name
    return upload


def test_the_upload_form_asks_for_the_file_only(client, editor):
    client.force_login(editor)

    html = client.get(IMPORT_URL).content.decode()

    assert 'name="import_file"' in html
    assert 'name="format"' not in html and "guess_format" not in html
    accepted = re.search(r'accept="([^"]*)"', html)[1].split(",")
    assert {".csv", ".xlsx", ".ods"} <= set(accepted)


@pytest.mark.parametrize(
    "make",
    [
        lambda rows: sheet(rows),
        lambda rows: xlsx_sheet(rows),
        # The bytes decide: a workbook saved under a CSV name is read as the workbook it is.
        lambda rows: xlsx_sheet(rows, name="schede.csv"),
        lambda rows: ods_sheet(rows),
    ],
    ids=["csv", "xlsx", "xlsx-named-csv", "ods"],
)
def test_csv_xlsx_and_ods_are_read_without_choosing_a_format_and_confirmed(client, editor, make):
    client.force_login(editor)
    title = f"{MARKER} Letto dal file {word()}"

    preview = upload(client, make([[title, "Ass. PIAM onlus", "Maggio 2024 - Dicembre 2025", "Testo"]]))

    assert preview.status_code == 200
    totals = preview.context["result"].totals
    assert (totals["new"], totals["invalid"]) == (1, 0)
    assert client.post(CONFIRM_URL, preview_fields(preview)).status_code == 302
    project = Project.objects.get(title=title)
    assert (project.start_iso, project.end_iso) == ("2024-05", "2025-12")


def test_the_uploaded_file_name_reaches_the_reader(client, editor):
    # A text file named .xlsx is read as the workbook its name says it is, and refused as one.
    data = sheet([["Progetto", "", "2024", ""]])
    data.name = "schede.xlsx"
    client.force_login(editor)

    response = upload(client, data)

    assert response.status_code == 400
    assert "not a readable XLSX workbook" in response.content.decode()


def test_the_confirmation_reads_the_file_under_its_uploaded_name_too(client, editor):
    client.force_login(editor)
    fields = preview_fields(upload(client, sheet([["Nome del file", "", "2024", ""]])))

    response = client.post(CONFIRM_URL, {**fields, "original_file_name": "schede.xlsx"})

    assert response.status_code == 400
    assert "not a readable XLSX workbook" in response.content.decode()
    assert not Project.objects.filter(title="Nome del file").exists()


# --- the preview -----------------------------------------------------------------------------------


def test_each_error_is_text_under_its_row_and_the_summary_links_to_each_row(client, editor):
    client.force_login(editor)
    rows = [["Buona", "", "2024", ""], ["Due errori", "", "13/2024", ""], ["", "", "Maggio 2024", ""]]

    response = upload(client, sheet(rows, headers=("Titolo", "Capofila", "Periodo", "Colonna in più")))

    html = response.content.decode()
    assert response.status_code == 400
    # The summary, first on the page, links to each row's errors.
    assert html.index("Result of the check") < html.index('name="import_file"')
    assert '<a href="#row-3">Row 3: 1 error</a>' in html
    assert '<a href="#row-4">Row 4: 1 error</a>' in html
    row = re.search(r'<section class="import-row" id="row-3"[^>]*>(.*?)</section>', html, re.S)[1]
    assert "Row 3: «Due errori»" in row
    assert "Column Periodo</span>: «13/2024» has no month 13" in row
    assert "the title is empty" in html
    # Nothing left to a hover, and no empty table header.
    assert "validation-error-container" not in html and "<th></th>" not in html


def test_a_changed_project_shows_each_changed_field_before_and_after(client, editor):
    old_lead, new_lead = make_partner(), make_partner()
    project = make_project(
        title=f"{MARKER} Prima e dopo {word()}", period="2024", summary="Sintesi di prima.", lead=old_lead
    )
    long_summary = "Una sintesi nuova e lunga. " * 20
    client.force_login(editor)

    response = upload(client, sheet([[project.title, new_lead.name, "Maggio 2024 - Dicembre 2025", long_summary]]))

    assert response.status_code == 200
    changed = response.context["result"].preview.changed
    assert [row.title for row in changed] == [project.title]
    shown = {field.label: field for field in changed[0].fields}
    assert (shown["Start"].before.text, shown["Start"].after.text) == ("2024", "May 2024")
    assert shown["End"].before.empty and shown["End"].after.text == "December 2025"  # "2024" is a start only
    assert shown["Summary"].before.text == "Sintesi di prima."
    assert shown["Summary"].after.full == long_summary.strip()
    assert len(shown["Summary"].after.text) <= 160
    assert shown["Organisations and roles"].before.items == [f"{old_lead.name} (lead partner)"]
    assert shown["Organisations and roles"].after.items == [f"{new_lead.name} (lead partner)"]
    html = response.content.decode()
    section = re.search(r'<section class="import-project">(.*?)</section>', html, re.S)[1]
    assert f'href="/admin/projects/project/{project.pk}/change/"' in section
    assert '<th scope="col">Before</th>' in section and '<th scope="col">After</th>' in section
    assert "<summary>The whole text</summary>" in section  # the long summary, whole, one click away
    assert "Sintesi di prima." in section and old_lead.name in section and new_lead.name in section


def test_a_new_project_shows_its_title_and_main_fields(client, editor):
    client.force_login(editor)
    title = f"{MARKER} Nuovo di zecca {word()}"

    response = upload(client, sheet([[title, "Ass. PIAM onlus", "Maggio 2024 - Dicembre 2025", "In breve."]]))

    new = response.context["result"].preview.new
    assert [row.title for row in new] == [title]
    shown = {field.label: field.after for field in new[0].fields}
    assert shown["Period"].text == "May 2024 – December 2025"
    assert shown["Organisations and roles"].items == ["Ass. PIAM onlus (lead partner)"]
    assert shown["Summary"].text == "In breve."
    html = response.content.decode()
    assert '<table class="import-preview import-new-projects">' in html and title in html


def test_the_preview_lists_a_bounded_number_of_new_projects(client, editor, monkeypatch):
    monkeypatch.setattr(resources, "LISTED_ROWS", 2)
    client.force_login(editor)

    response = upload(client, sheet([[f"{MARKER} Tanti {n} {word()}", "", "2024", ""] for n in range(3)]))

    preview = response.context["result"].preview
    assert (len(preview.new), preview.more_new) == (2, 1)
    assert response.context["result"].totals["new"] == 3
    assert "The first 2 are listed; 1 more project is new." in response.content.decode()


def test_close_names_of_new_organisations_are_shown_beside_them(client, editor, monkeypatch):
    new_name = f"{MARKER} Coop. Sociale Il Ponte {word()}"
    suggestions = {new_name: ["Cooperativa sociale Il Ponte onlus"]}
    monkeypatch.setattr(resources, "import_sheet", suggesting(resources.import_sheet, suggestions))
    client.force_login(editor)

    response = upload(client, sheet([[f"{MARKER} Ponte {word()}", new_name, "2024", ""]]))

    result = response.context["result"]
    assert result.suggestions == {new_name: ["Cooperativa sociale Il Ponte onlus"]}
    assert (
        f"«{new_name}» will be created: did you mean «Cooperativa sociale Il Ponte onlus»?"
        in response.content.decode()
    )


def test_the_preview_in_italian_speaks_italian(client, editor, monkeypatch):
    organisation = f"{MARKER} Coop. Sociale Il Ponte {word()}"
    suggestions = {organisation: ["Cooperativa sociale Il Ponte onlus"]}
    monkeypatch.setattr(resources, "import_sheet", suggesting(resources.import_sheet, suggestions))
    client.force_login(editor)
    rows = [
        ["Mese sbagliato", "", "13/2024", ""],
        ["Comune sbagliato", "", "2024", "Mareto"],
        [f"{MARKER} Con un ente nuovo {word()}", organisation, "2024", ""],
    ]

    response = upload(client, sheet(rows, headers=("Titolo", "Capofila", "Periodo", "Comuni")), language="it")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Esito del controllo" in html and "Righe con errori" in html
    assert '<a href="#row-2">Riga 2: 1 errore</a>' in html and '<a href="#row-3">Riga 3: 1 errore</a>' in html
    assert "Riga 2: «Mese sbagliato»" in html
    assert "Colonna Periodo</span>: «13/2024» non ha il mese 13" in html
    assert "Colonna Comuni</span>: «Mareto» non è un comune ufficiale; forse intendevi Maretto (AT)" in html
    assert f"«{organisation}» sarà creata: forse intendevi «Cooperativa sociale Il Ponte onlus»?" in html
    for english in ("Some rows failed to validate", "ROW", "TITLE", "CHANGES", "has no month", "did you mean", "Row "):
        assert english not in html


def suggesting(import_sheet, suggestions: dict):
    """The import, with the report saying which stored organisations the new ones are close to."""

    def wrapped(*args, **kwargs):
        report = import_sheet(*args, **kwargs)
        report.suggestions = suggestions
        return report

    return wrapped
