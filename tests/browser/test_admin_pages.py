"""The editors' pages in Chromium: axe-core at a desktop's and a phone's width on the project list, a seed
project's page with all its inlines, the add form, an organisation's page and the organisations' list; no
sideways scrolling on a laptop; and a project saved from the browser, with the admin's scripts at work,
written back unchanged."""

import json

import pytest
from django.contrib.auth.models import User
from django.db.models import Count
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from partners.models import Partner
from projects.models import CorrectionSuggestion, Project
from registry.models import ChangeSet
from tests.browser.axe import Width, reset_width, set_width, sideways_overflow
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

LAPTOP = Width("laptop", 1280, 800, mobile=False)
WAIT = 30


@pytest.fixture
def administrator(browser, live_server, seeded):
    user = User.objects.create_superuser("amministratrice", "a@example.org", "x")
    log_in(browser, live_server, user)
    return user


def busiest_project() -> Project:
    """The seed project naming the most organisations, with a suggestion waiting for review, so that its page
    shows every inline with rows: organisations (six fields), themes, target groups and suggestions (seven)."""
    project = Project.objects.annotate(links=Count("participations")).order_by("-links", "pk").first()
    CorrectionSuggestion.objects.create(
        project=project,
        message="Il periodo è cambiato: il progetto è stato prorogato di sei mesi, fino a settembre 2020.",
        source="Delibera della giunta regionale n. 1234 del 12 marzo 2020, pubblicata sul bollettino ufficiale",
        sender_name="Anna Rossi",
        sender_email="anna@example.org",
    )
    return project


def partner_with_sources() -> Partner:
    return Partner.objects.exclude(sources=[]).order_by("pk").first()


def change_page(live_server, project: Project) -> str:
    return f"{live_server.url}/admin/projects/project/{project.pk}/change/"


def wait_for_scripts(browser) -> None:
    """The page has loaded and the admin's scripts have built the countries' two boxes."""
    WebDriverWait(browser, WAIT).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )
    if browser.find_elements(By.CSS_SELECTOR, "select.selectfilter, select.filtered"):
        WebDriverWait(browser, WAIT).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".selector-available"))
        )


def test_the_editors_pages_pass_axe_at_a_desktops_and_a_phones_width(browser, live_server, administrator, axe):
    project = busiest_project()
    partner = partner_with_sources()

    axe.visit(f"{live_server.url}/admin/", "admin-index")
    axe.visit(f"{live_server.url}/admin/projects/project/", "admin-project-list")
    axe.visit(f"{live_server.url}/admin/projects/project/?is_published__exact=1&q=casa", "admin-project-list-search")
    axe.visit(change_page(live_server, project), "admin-project-change")
    assert browser.find_elements(By.CSS_SELECTOR, "#corrections-group tr.form-row.has_original")
    axe.visit(f"{live_server.url}/admin/projects/project/add/", "admin-project-add")
    axe.visit(f"{live_server.url}/admin/partners/partner/{partner.pk}/change/", "admin-partner-change")
    # Its country filter offers organisations without a country as a named choice (an empty link before).
    Partner.objects.create(name="Ente senza paese", slug="ente-senza-paese", country="")
    axe.visit(f"{live_server.url}/admin/partners/partner/", "admin-partner-list")
    axe.visit(f"{live_server.url}/admin/login/", "admin-login")


def test_the_pages_pass_axe_in_english_too(browser, live_server, administrator, axe):
    browser.add_cookie({"name": "django_language", "value": "en", "path": "/"})
    try:
        axe.visit(change_page(live_server, busiest_project()), "admin-project-change-en")
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    finally:
        browser.delete_cookie("django_language")


def test_the_undo_page_of_a_change_set_too_large_to_undo_here_passes_axe(
    browser, live_server, administrator, axe, settings
):
    settings.UNDO_IN_ADMIN_AT_MOST = 1  # the seed's change set (16 projects) is then too large
    seed = ChangeSet.objects.order_by("pk").first()
    axe.visit(f"{live_server.url}/admin/registry/changeset/{seed.pk}/undo/", "admin-undo-too-large")
    assert "undo_changeset" in browser.find_element(By.ID, "content-main").text


def test_a_projects_page_with_all_its_inlines_does_not_scroll_sideways_on_a_laptop(
    browser, live_server, administrator
):
    set_width(browser, LAPTOP)
    try:
        browser.get(change_page(live_server, busiest_project()))
        wait_for_scripts(browser)
        widths = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth];"
        )
        assert widths[0] <= widths[1], sideways_overflow(browser, LAPTOP)
    finally:
        reset_width(browser)


def stored(project: Project) -> dict:
    project.refresh_from_db()
    return {
        **{field.attname: getattr(project, field.attname) for field in Project._meta.concrete_fields},
        "countries": json.dumps(project.countries),
        "sources": json.dumps(project.sources),
        "links": list(project.participations.order_by("pk").values()),
        "territories": sorted(project.territories.values_list("pk", flat=True)),
    }


def save_and_wait(browser) -> None:
    browser.find_element(By.CSS_SELECTOR, "input[name=_save]").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_matches(r"/admin/projects/project/(\?.*)?$"))


def test_a_seed_project_saved_from_the_browser_untouched_is_written_back_unchanged(
    browser, live_server, administrator
):
    project = Project.objects.get(slug="arlekin")  # five countries, a source citing a seed document
    before = stored(project)
    browser.get(change_page(live_server, project))
    wait_for_scripts(browser)

    save_and_wait(browser)

    assert stored(project) == before


def test_an_editor_adds_a_country_and_a_source_with_the_keyboard(browser, live_server, administrator):
    project = Project.objects.get(slug="arlekin")
    sources = list(project.sources)
    browser.get(change_page(live_server, project))
    wait_for_scripts(browser)

    search = browser.find_element(By.ID, "id_countries_input")
    search.send_keys("Germania")
    search.send_keys(Keys.ENTER)
    browser.find_element(By.ID, "id_sources-1-title").send_keys("Sito del progetto")
    browser.find_element(By.ID, "id_sources-1-url").send_keys("https://example.org/arlekin")
    save_and_wait(browser)

    project.refresh_from_db()
    assert project.countries == ["FR", "IT", "PT", "ES", "BE", "DE"]
    assert project.sources == [*sources, {"title": "Sito del progetto", "url": "https://example.org/arlekin"}]
