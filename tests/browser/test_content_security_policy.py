"""Every kind of page obeys the Content-Security-Policy it is sent with: Chromium refuses nothing on it."""

import pytest
from django.contrib.auth.models import User
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from partners.models import Partner
from projects.models import Project
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

SHEET = "Titolo;Capofila;Periodo\r\nCasa e lavoro ad Asti;Ass. PIAM onlus;Maggio 2024 - Dicembre 2025\r\n"


def refusals(browser) -> list[str]:
    """What Chromium's console said the policy refused since it was last read."""
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"] or "Content-Security-Policy" in entry["message"]
    ]


@pytest.fixture
def administrator(browser, live_server, seeded):
    user = User.objects.create_superuser("amministratore", "a@example.org", "x")
    log_in(browser, live_server, user)
    return user


def test_public_pages_admin_and_api_reference_obey_the_policy(browser, live_server, administrator, tmp_path):
    project = Project.objects.published().first()
    partner = Partner.objects.first()
    paths = [
        "/projects/",
        "/projects/?q=casa&theme=housing",
        project.get_absolute_url(),
        "/partners/",
        partner.get_absolute_url(),
        "/api/v1/docs/",
        "/admin/",
        "/admin/projects/project/",
        f"/admin/projects/project/{project.pk}/change/",
        "/admin/projects/project/export/",
        "/admin/partners/partner/",
        f"/admin/partners/partner/{partner.pk}/change/",
        "/admin/projects/project/import/",
    ]
    refused = {}
    browser.get_log("browser")  # what came before
    for path in paths:
        browser.get(live_server.url + path)
        WebDriverWait(browser, 10).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )
        assert browser.find_element(By.TAG_NAME, "h1")
        refused[path] = refusals(browser)
    # The import's preview: a page built from what an editor uploaded.
    sheet = tmp_path / "schede.csv"
    sheet.write_bytes(SHEET.encode("cp1252"))
    browser.find_element(By.NAME, "import_file").send_keys(str(sheet))
    browser.find_element(By.CSS_SELECTOR, "form input[type=submit]").click()
    WebDriverWait(browser, 10).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "table.import-preview"))
    )
    refused["import preview"] = refusals(browser)
    assert refused == {page: [] for page in refused}


def test_the_policy_is_sent_with_pages_and_the_api(client, live_server):
    for path in ("/projects/", "/api/v1/projects/", "/admin/login/", "/healthz"):
        response = client.get(path)
        assert "script-src 'self'" in response["Content-Security-Policy"], path
        assert "frame-ancestors 'none'" in response["Content-Security-Policy"], path
