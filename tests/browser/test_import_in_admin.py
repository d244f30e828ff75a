"""An editor imports a sheet in a real headless Chromium: no format to choose, a preview read from the keyboard,
and axe-core's checks of the import page and its previews at a desktop's and a phone's width."""

import pytest
from django.contrib.auth.models import Group, Permission, User
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from projects.models import Project
from tests.browser.conftest import log_in
from tests.factories import make_partner, make_project

pytestmark = pytest.mark.browser

SHEET = (
    "Titolo;Capofila;Partner;Periodo;Territorio;Comuni\r\n"
    'Casa e lavoro ad Asti;Ass. PIAM onlus;"ARGO SCS\r\nComune di Monale";Maggio 2024 - Dicembre 2025;'
    "Nord Astigiano;Monale (AT)\r\n"
)
# Row 2 is right; rows 3 and 4 have an error each (a month 13, a municipality that does not exist).
SHEET_WITH_ERRORS = (
    "Titolo;Periodo;Comuni\r\nGiusto;2024;\r\nMese sbagliato;13/2024;\r\nComune sbagliato;2024;Mareto\r\n"
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


def import_url(live_server) -> str:
    return f"{live_server.url}/admin/projects/project/import/"


def upload(browser, live_server, tmp_path, text: str, name: str = "schede.csv") -> None:
    """The editor picks the file and sends it, choosing nothing else; returns once the check is shown."""
    path = tmp_path / name
    path.write_bytes(text.encode("cp1252"))
    browser.get(import_url(live_server))
    browser.find_element(By.NAME, "import_file").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "form.import-upload input[type=submit]").click()
    WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".import-summary"))
    )


def test_editor_uploads_previews_and_confirms_a_windows_1252_sheet(browser, live_server, logged_in_editor, tmp_path):
    browser.get(import_url(live_server))
    assert not browser.find_elements(By.NAME, "format")  # nothing to choose but the file

    upload(browser, live_server, tmp_path, SHEET)

    preview = browser.find_element(By.CSS_SELECTOR, "table.import-preview").text
    assert "Casa e lavoro ad Asti" in preview and "Ass. PIAM onlus (capofila)" in preview
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


def focused(browser):
    return browser.switch_to.active_element


def press_until(browser, text: str, *, backwards: bool = False, most: int = 60):
    """Presses Tab (Shift+Tab `backwards`) until the link with this text has the focus; that link."""
    for _ in range(most):
        keys = ActionChains(browser)
        if backwards:
            keys.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT).perform()
        else:
            keys.send_keys(Keys.TAB).perform()
        if focused(browser).tag_name == "a" and focused(browser).text == text:
            return focused(browser)
    pytest.fail(f"the keyboard never reached the link «{text}»")


def test_the_errors_of_each_row_are_reached_with_the_keyboard(browser, live_server, logged_in_editor, tmp_path):
    upload(browser, live_server, tmp_path, SHEET_WITH_ERRORS)

    # From the top of the page, Tab reaches the summary's link to row 3; Enter takes the focus to its errors.
    press_until(browser, "Riga 3: 1 errore").send_keys(Keys.ENTER)
    WebDriverWait(browser, 5).until(lambda driver: focused(driver).get_attribute("id") == "row-3")
    assert "Colonna Periodo: «13/2024» non ha il mese 13" in focused(browser).text
    # Back up to the summary with Shift+Tab, and on to row 4's errors.
    press_until(browser, "Riga 4: 1 errore", backwards=True).send_keys(Keys.ENTER)
    WebDriverWait(browser, 5).until(lambda driver: focused(driver).get_attribute("id") == "row-4")
    row = focused(browser)
    assert "«Mareto» non è un comune ufficiale; forse intendevi Maretto (AT)" in row.text and row.is_displayed()


def test_axe_finds_nothing_on_the_import_page_and_its_previews(browser, live_server, logged_in_editor, tmp_path, axe):
    lead, other = make_partner(name="Ente di prima"), make_partner(name="Ente di dopo")
    make_project(title="Sportello da cambiare", period="2024", summary="Sintesi breve.", lead=lead)
    long_summary = "Una sintesi nuova, lunga abbastanza da essere accorciata nell'anteprima. " * 6

    axe.visit(import_url(live_server), "admin-import")
    upload(browser, live_server, tmp_path, SHEET_WITH_ERRORS)
    axe.check("admin-import-errors")
    upload(
        browser,
        live_server,
        tmp_path,
        "Titolo;Capofila;Periodo;Sintesi\r\n"
        f"Sportello da cambiare;{other.name};Maggio 2024 - Dicembre 2025;{long_summary}\r\n"
        "Progetto nuovo;Ass. PIAM onlus;2025;Testo\r\n",
    )
    assert browser.find_element(By.CSS_SELECTOR, ".import-changes").is_displayed()
    axe.check("admin-import-changes")
