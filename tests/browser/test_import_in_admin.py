"""An editor imports a sheet saved by Excel in an Italian locale, in a real headless Chromium."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from projects.models import Project
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

SHEET = (
    "Titolo;Capofila;Partner;Periodo;Territorio;Comuni\r\n"
    'Casa e lavoro ad Asti;Ass. PIAM onlus;"ARGO SCS\r\nComune di Monale";Maggio 2024 - Dicembre 2025;'
    "Nord Astigiano;Monale (AT)\r\n"
)


@pytest.fixture
def logged_in_editor(browser, live_server, seeded):

    editor = User.objects.create_user("redattore", password="x", is_staff=True)
    editor.groups.add(Group.objects.get_or_create(name="Editors")[0])
    # The Editors group of the migration is gone after the flush of a committing test: give the
    # import permissions again, as the migration does.
    editor.groups.first().permissions.add(
        *Permission.objects.filter(
            content_type__app_label="projects",
            codename__in=["import_project", "view_project", "add_project", "change_project"],
        )
    )
    log_in(browser, live_server, editor)
    return editor


def test_editor_uploads_previews_and_confirms_a_windows_1252_sheet(browser, live_server, logged_in_editor, tmp_path):

    path = tmp_path / "schede.csv"
    path.write_bytes(SHEET.encode("cp1252"))

    browser.get(f"{live_server.url}/admin/projects/project/import/")
    browser.find_element(By.NAME, "import_file").send_keys(str(path))
    Select(browser.find_element(By.NAME, "format")).select_by_visible_text("csv")
    browser.find_element(By.CSS_SELECTOR, "form input[type=submit]").click()

    WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.import-preview"))
    )
    preview = browser.find_element(By.CSS_SELECTOR, "table.import-preview").text
    assert "Casa e lavoro ad Asti" in preview
    assert not Project.objects.filter(title="Casa e lavoro ad Asti").exists()

    browser.find_element(By.CSS_SELECTOR, "form[action$='process_import/'] input[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_matches(r"/admin/projects/project/$"))

    project = Project.objects.get(title="Casa e lavoro ad Asti")
    assert project.is_published is False
    assert [p.partner.name for p in project.participations.all()] == [
        "Ass. PIAM onlus",
        "ARGO SCS",
        "Comune di Monale",
    ]
    assert (project.start_iso, project.end_iso) == ("2024-05", "2025-12")
