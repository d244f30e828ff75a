"""A visitor's flows through the public site in Chromium, each page checked by axe-core at a desktop's and a
phone's width and photographed at both (tests/browser/axe.py: the `axe` fixture)."""

import csv
import io
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.urls import reverse
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from partners.models import Partner
from projects.filters import ProjectFilter
from projects.models import Funder, Municipality, Project
from registry.enums import Theme
from tests.browser.axe import PHONE

pytestmark = pytest.mark.browser

# How long a click's navigation may take: a ceiling, not a measure (a busy machine serves slowly).
WAIT = 30


def expected_titles(**params: str) -> list[str]:
    """The titles the list shows for `params`, found by the list's own filters, in title order."""
    project_filter = ProjectFilter(params, queryset=Project.objects.published())
    assert project_filter.is_valid(), project_filter.errors
    return sorted(project.title for project in project_filter.qs)


def card_titles(browser) -> list[str]:
    return [link.text for link in browser.find_elements(By.CSS_SELECTOR, "article.card h2 a")]


def arrive(browser, path: str) -> None:
    """Waits for the navigation a click started to reach `path` (with any query string)."""
    WebDriverWait(browser, WAIT).until(lambda driver: urlsplit(driver.current_url).path == path)


def query(browser) -> dict[str, list[str]]:
    return parse_qs(urlsplit(browser.current_url).query)


def h1(browser) -> str:
    return browser.find_element(By.TAG_NAME, "h1").text


def ali() -> Project:
    """The seed's project with most municipalities: four provinces taken whole, hundreds of names."""
    return Project.objects.published().get(slug="ali")


# Pages that exist today: the list, a project, an organisation, English.


def test_visitor_searches_the_list_narrows_it_by_theme_and_removes_the_search(browser, live_server, seeded, axe):

    axe.visit(f"{live_server.url}/projects/", "projects-list")
    field = browser.find_element(By.NAME, "q")
    field.send_keys("Cuneo")
    field.submit()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("q=Cuneo"))
    found = expected_titles(q="Cuneo")
    assert found and sorted(card_titles(browser)) == found

    Select(browser.find_element(By.NAME, "theme")).select_by_value(Theme.HOUSING)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("theme=housing"))
    narrowed = expected_titles(q="Cuneo", theme=Theme.HOUSING)
    assert narrowed and sorted(card_titles(browser)) == narrowed
    axe.check("projects-list-search-and-theme")

    chips = browser.find_elements(By.CSS_SELECTOR, ".active-filters li:has(a.remove)")
    assert len(chips) == 2
    search_chip = next(chip for chip in chips if "Cuneo" in chip.text)
    search_chip.find_element(By.CSS_SELECTOR, "a.remove").click()
    WebDriverWait(browser, WAIT).until(lambda driver: "q" not in query(driver))
    assert query(browser) == {"theme": [Theme.HOUSING]}
    assert sorted(card_titles(browser)) == expected_titles(theme=Theme.HOUSING)[: len(card_titles(browser))]
    assert len(browser.find_elements(By.CSS_SELECTOR, ".active-filters li:has(a.remove)")) == 1


def test_project_with_hundreds_of_municipalities_lists_them_by_province_and_fits_a_phone(
    browser, live_server, seeded, axe
):

    project = ali()
    padova = Municipality.objects.filter(territories__projects=project, province_code="PD").distinct()
    assert padova.count() > 50
    axe.visit(f"{live_server.url}{project.get_absolute_url()}", "project-many-municipalities", stay_at=PHONE)
    assert h1(browser) == project.title

    summary = next(
        element
        for element in browser.find_elements(By.CSS_SELECTOR, "details summary")
        if element.text.startswith("Padova (PD)")
    )
    summary.click()
    names = [item.text for item in summary.find_elements(By.XPATH, "../ul/li")]
    assert sorted(names) == sorted(padova.values_list("name", flat=True))
    # Opened, the longest list must still fit the phone's width.
    axe.check("project-many-municipalities-open", stay_at=PHONE)

    summary.find_element(By.XPATH, "..").find_element(By.LINK_TEXT, "Abano Terme").click()
    arrive(browser, reverse("projects:list"))
    abano = padova.get(name="Abano Terme")
    assert query(browser) == {"municipality": [abano.istat_code]}
    assert project.title in card_titles(browser)


def test_visitor_goes_from_a_project_to_an_organisation_and_its_collaborator(browser, live_server, seeded, axe):

    partner = Partner.objects.get(slug="comune-di-reggio-emilia")
    projects = Project.objects.published().filter(participations__partner=partner).distinct()
    axe.visit(f"{live_server.url}{ali().get_absolute_url()}", "project")
    browser.find_element(By.CSS_SELECTOR, f"a[href='{partner.get_absolute_url()}']").click()
    arrive(browser, partner.get_absolute_url())
    axe.check("organisation")
    assert h1(browser) == partner.name
    for project in projects:
        assert browser.find_element(By.LINK_TEXT, project.title).is_displayed()

    # An organisation it shares a project with is one link away.
    colleague = (
        Partner.objects.filter(participations__project__in=projects).exclude(pk=partner.pk).order_by("name").first()
    )
    # The text link, not the picture's: the picture says the same with a list beside it.
    links = browser.find_elements(
        By.XPATH, f"//main//a[@href='{colleague.get_absolute_url()}'][not(ancestor::*[local-name()='svg'])]"
    )
    assert links, f"no link to {colleague.name}, who shares a project with {partner.name}"
    links[0].click()
    arrive(browser, colleague.get_absolute_url())
    assert h1(browser) == colleague.name


def test_visitor_reads_the_list_and_a_project_in_english_and_switches_back(browser, live_server, seeded, axe):

    axe.visit(f"{live_server.url}/en/projects/", "projects-list-en")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert h1(browser) == "Projects"
    project = ali()
    browser.find_element(By.LINK_TEXT, project.title).click()
    arrive(browser, f"/en{project.get_absolute_url()}")
    axe.check("project-en")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

    browser.find_element(By.CSS_SELECTOR, "a[hreflang='it']").click()
    arrive(browser, project.get_absolute_url())
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "it"
    assert (
        browser.find_element(By.CSS_SELECTOR, "a[hreflang='en']")
        .get_attribute("href")
        .endswith(f"/en{project.get_absolute_url()}")
    )


def test_csv_link_of_a_filtered_list_downloads_those_projects(browser, live_server, seeded, axe):

    axe.visit(f"{live_server.url}/projects/?theme={Theme.HOUSING}&region=01", "projects-list-filtered")
    link = browser.find_element(By.CSS_SELECTOR, ".downloads a[href*='export.csv']:not([href*='excel'])")
    href = link.get_attribute("href")
    # The link's own address, fetched from the same server the browser reads.
    with urllib.request.urlopen(href, timeout=30) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/csv")
        assert "attachment" in response.headers["Content-Disposition"]
        rows = list(csv.DictReader(io.StringIO(response.read().decode("utf-8-sig"))))
    assert sorted(row["title"] for row in rows) == expected_titles(theme=Theme.HOUSING, region="01")
    assert sorted(card_titles(browser)) == sorted(row["title"] for row in rows)


# The home page, funders, places, the correction form, the filters on a phone.


def region_code(name: str) -> str:
    return Municipality.objects.filter(region_name=name).values_list("region_code", flat=True).first()


def test_visitor_searches_from_the_home_page_narrows_the_list_and_clears_every_filter(
    browser, live_server, seeded, axe
):

    axe.visit(f"{live_server.url}/", "home")
    field = browser.find_element(By.CSS_SELECTOR, "main form[role=search] input[name=q]")
    field.send_keys("Cuneo")
    field.submit()
    arrive(browser, reverse("projects:list"))
    assert query(browser) == {"q": ["Cuneo"]}
    assert sorted(card_titles(browser)) == expected_titles(q="Cuneo")

    Select(browser.find_element(By.NAME, "theme")).select_by_value(Theme.HOUSING)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("theme=housing"))
    assert sorted(card_titles(browser)) == expected_titles(q="Cuneo", theme=Theme.HOUSING)
    axe.check("projects-list-from-home")

    browser.find_element(By.CSS_SELECTOR, ".active-filters .clear-all a").click()
    WebDriverWait(browser, WAIT).until(lambda driver: not urlsplit(driver.current_url).query)
    assert not browser.find_elements(By.CSS_SELECTOR, ".active-filters li:has(a.remove)")
    assert sorted(card_titles(browser)) == expected_titles()[: len(card_titles(browser))]


def test_phone_filters_fold_behind_a_button_that_counts_them(browser, live_server, seeded, axe):

    axe.visit(f"{live_server.url}/projects/?theme={Theme.HOUSING}", "projects-list-filters-folded", stay_at=PHONE)
    panel = browser.find_element(By.CSS_SELECTOR, "details.filter-panel")
    toggle = panel.find_element(By.TAG_NAME, "summary")
    assert "(1)" in toggle.text
    assert not browser.find_element(By.NAME, "region").is_displayed()
    toggle.click()
    assert browser.find_element(By.NAME, "region").is_displayed()
    axe.check("projects-list-filters-open", stay_at=PHONE, widths=(PHONE,))

    Select(browser.find_element(By.NAME, "region")).select_by_value("01")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(expected_conditions.url_contains("region=01"))
    assert "(2)" in browser.find_element(By.CSS_SELECTOR, "details.filter-panel summary").text
    assert sorted(card_titles(browser)) == expected_titles(theme=Theme.HOUSING, region="01")


def test_visitor_clicks_a_region_on_the_english_home_map_and_reaches_its_projects(browser, live_server, seeded, axe):

    axe.visit(f"{live_server.url}/en/", "home-en")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    region = browser.find_element(By.CSS_SELECTOR, "svg a.region-link[href='/en/places/piemonte/'] path")
    # A pointer's click on the drawn region, where a visitor clicks, not a script's on the link.
    ActionChains(browser).move_to_element(region).click().perform()
    arrive(browser, "/en/places/piemonte/")
    axe.check("place-region-en")
    assert h1(browser) == "Piemonte"

    browser.find_element(By.CSS_SELECTOR, "main a.button-link").click()
    arrive(browser, "/en/projects/")
    piemonte = region_code("Piemonte")
    assert query(browser) == {"region": [piemonte]}
    assert sorted(card_titles(browser)) == expected_titles(region=piemonte)


def test_phone_visitor_finds_the_projects_of_their_province_from_the_home_page_in_three_taps(
    browser, live_server, seeded, axe
):

    axe.visit(f"{live_server.url}/", "home-phone", stay_at=PHONE)
    taps = 0

    def tap(element) -> None:
        nonlocal taps
        assert element.is_displayed()
        element.click()
        taps += 1

    tap(browser.find_element(By.XPATH, "//main//a[.//*[normalize-space()='Piemonte']]"))
    arrive(browser, "/places/piemonte/")
    axe.check("place-region", stay_at=PHONE)
    tap(browser.find_element(By.XPATH, "//main//a[.//*[normalize-space()='Asti']]"))
    arrive(browser, "/places/piemonte/asti/")
    axe.check("place-province", stay_at=PHONE)
    tap(browser.find_element(By.CSS_SELECTOR, "main a.button-link"))
    arrive(browser, reverse("projects:list"))
    axe.check("projects-of-a-province", stay_at=PHONE)

    assert taps == 3
    assert query(browser) == {"province": ["AT"]}
    found = expected_titles(province="AT")
    assert found and sorted(card_titles(browser)) == found


def test_visitor_goes_from_the_home_page_to_a_funder_and_its_projects(browser, live_server, seeded, axe):

    axe.visit(f"{live_server.url}/", "home")
    browser.find_element(By.CSS_SELECTOR, f"main a[href='{reverse('funders:list')}']").click()
    arrive(browser, reverse("funders:list"))
    axe.check("funders")
    funder = Funder.objects.get(slug="fondazione-compagnia-di-san-paolo")
    browser.find_element(By.CSS_SELECTOR, f"main a[href='{reverse('funders:detail', args=[funder.slug])}']").click()
    arrive(browser, reverse("funders:detail", args=[funder.slug]))
    axe.check("funder")
    assert h1(browser) == funder.name

    browser.find_element(By.CSS_SELECTOR, "main a.button-link").click()
    arrive(browser, reverse("projects:list"))
    assert query(browser) == {"funder": [funder.slug]}
    found = expected_titles(funder=funder.slug)
    assert found and sorted(card_titles(browser)) == found


def test_visitor_reads_about_in_english_and_switches_to_italian(browser, live_server, seeded, axe):

    axe.visit(f"{live_server.url}/en/", "home-en")
    browser.find_element(By.CSS_SELECTOR, "footer a[href='/en/about/']").click()
    arrive(browser, "/en/about/")
    axe.check("about-en")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

    browser.find_element(By.CSS_SELECTOR, "a[hreflang='it']").click()
    arrive(browser, "/about/")
    axe.check("about")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "it"


def test_visitor_sends_a_correction_and_sees_the_thanks(browser, live_server, seeded, axe):

    project = ali()
    suggestions = apps.get_model("projects", "CorrectionSuggestion").objects.filter(project=project)
    before = suggestions.count()
    axe.visit(f"{live_server.url}{project.get_absolute_url()}", "project")
    browser.find_element(By.CSS_SELECTOR, f"a[href='{reverse('projects:correction', args=[project.slug])}']").click()
    arrive(browser, reverse("projects:correction", args=[project.slug]))
    axe.check("correction-form")

    # Sent empty, it comes back with the errors listed and nothing saved.
    browser.find_element(By.CSS_SELECTOR, "form.correction-form button[type=submit]").click()
    WebDriverWait(browser, WAIT).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, ".error-summary"))
    axe.check("correction-form-errors")
    assert suggestions.count() == before

    message = "Il periodo indicato nella scheda della Prefettura è ottobre 2018 – giugno 2020."
    browser.find_element(By.NAME, "message").send_keys(message)
    browser.find_element(By.NAME, "source").send_keys("https://www.prefettura.it/padova/ali")
    browser.find_element(By.CSS_SELECTOR, "form.correction-form button[type=submit]").click()
    arrive(browser, reverse("projects:correction-sent", args=[project.slug]))
    axe.check("correction-sent")
    assert browser.find_element(By.LINK_TEXT, project.title).get_attribute("href").endswith(project.get_absolute_url())
    assert suggestions.count() == before + 1
    assert suggestions.latest("pk").message == message
