"""A visitor's path through the site in a real headless Chromium (Debian's chromium + chromium-driver)."""

from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from projects.models import Municipality, Project
from registry.enums import Theme

pytestmark = pytest.mark.browser


def test_visitor_filters_by_theme_opens_a_project_and_follows_its_lead_partner(browser, live_server, seeded):

    browser.get(f"{live_server.url}/projects/")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Progetti"

    Select(browser.find_element(By.NAME, "theme")).select_by_value(Theme.HOUSING)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    # The click only starts the navigation: wait for the filtered page before reading it.
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("theme=housing"))

    assert "theme=housing" in browser.current_url
    expected = Project.objects.published().filter(theme_links__theme=Theme.HOUSING).distinct()
    titles = [link.text for link in browser.find_elements(By.CSS_SELECTOR, "article.card h2 a")]
    assert titles and sorted(titles) == sorted(p.title for p in expected)[: len(titles)]

    project = expected.filter(participations__role="lead").first()
    browser.find_element(By.LINK_TEXT, project.title).click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains(project.get_absolute_url()))
    assert browser.find_element(By.TAG_NAME, "h1").text == project.title

    lead = project.lead_partner
    browser.find_element(By.CSS_SELECTOR, f"a[href='/partners/{lead.slug}/']").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains(lead.get_absolute_url()))
    assert browser.find_element(By.TAG_NAME, "h1").text == lead.name
    assert browser.find_element(By.LINK_TEXT, project.title).is_displayed()


def test_pages_load_every_asset_from_the_site_itself(browser, live_server, seeded):

    project = Project.objects.published().first()
    for path in ("/projects/", project.get_absolute_url()):
        browser.get(f"{live_server.url}{path}")
        resources = browser.execute_script(
            "return performance.getEntriesByType('resource').map(function (e) { return e.name; });"
        )
        assert any(name.endswith(".css") for name in resources), "the stylesheet was not loaded"
        hosts = {urlsplit(name).netloc for name in resources}
        assert hosts == {urlsplit(live_server.url).netloc}
        color = browser.execute_script(
            "return getComputedStyle(document.querySelector('.site-header')).backgroundColor;"
        )
        assert color == "rgb(29, 39, 51)", "the stylesheet was not applied"


def test_wrong_filter_value_shows_the_error_next_to_the_field(browser, live_server, seeded):

    browser.get(f"{live_server.url}/projects/?municipality=abc")
    error = browser.find_element(By.CSS_SELECTOR, ".field.has-error .error")
    assert "Nessun comune italiano si chiama «abc»" in error.text
    assert browser.find_element(By.CSS_SELECTOR, ".notice-error").is_displayed()


def test_visitor_picks_a_municipality_by_typing_its_name(browser, live_server, seeded):

    browser.get(f"{live_server.url}/projects/")
    field = browser.find_element(By.NAME, "municipality")
    field.send_keys("Nizza Mon")
    # The suggestions come from /api/v1/municipalities/ as one types (static/js/typeahead.js).
    WebDriverWait(browser, 10).until(
        lambda driver: (
            "Nizza Monferrato (AT)"
            in [
                option.get_attribute("value")
                for option in driver.find_elements(By.CSS_SELECTOR, "#id_municipality-options option")
            ]
        )
    )
    field.clear()
    field.send_keys("Nizza Monferrato (AT)")
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    WebDriverWait(browser, 10).until(expected_conditions.url_contains("municipality="))
    in_use = browser.find_element(By.CSS_SELECTOR, ".active-filters li").text
    assert "Nizza Monferrato (AT)" in in_use
    nizza = Municipality.objects.get(name="Nizza Monferrato", province_code="AT")
    expected = Project.objects.published().with_facet("municipality", nizza.istat_code)
    assert len(browser.find_elements(By.CSS_SELECTOR, "article.card")) == min(expected.count(), 20) > 0
