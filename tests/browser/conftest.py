import os
import shutil

import pytest
from django.conf import settings
from django.contrib.staticfiles import handlers
from django.test import Client
from django.test.testcases import _StaticFilesHandler
from pytest_django.live_server_helper import LiveServer
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.browser.axe import Axe, require_axe, reset_width

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="session")
def browser(live_server):
    # Depends on the live server so that the browser closes its connections before the server stops.
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        message = "Chromium and chromedriver are not installed (apt-get install -y chromium chromium-driver)"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-quic",
        "--lang=it",
        "--window-size=1280,1000",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "it"})
    # The console, where Chromium reports what the Content-Security-Policy refused.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(3)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def live_server(collected_static, django_db_setup):
    """pytest-django's live server, serving the collected static files with their hashed names.

    Its default handler serves /static/ from the apps' source folders, where the manifest's hashed
    names (registry.3f2a….css) do not exist; production serves the collected files (whitenoise),
    and so does this server. It depends on django_db_setup so that it stops before the test
    database is dropped.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handlers, "StaticFilesHandler", _StaticFilesHandler)
        server = LiveServer("localhost")
    yield server
    server.stop()


def log_in(browser, live_server, user) -> None:
    """The browser holds `user`'s session, as after the admin's login form (which the rate limit tests)."""
    client = Client()
    client.force_login(user)
    browser.get(f"{live_server.url}/admin/login/")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    browser.add_cookie({"name": settings.SESSION_COOKIE_NAME, "value": cookie, "path": "/"})


@pytest.fixture
def axe(browser):
    """Visits and checks pages with axe-core at a desktop's and a phone's width (tests/browser/axe.py).

    Skips, or fails under REQUIRE_BROWSER, before the test starts when axe-core is not installed. What it
    finds fails the test when the test is over, every page's problems listed; the window gets its own size
    back for the tests that follow.
    """
    require_axe()
    checker = Axe(browser)
    yield checker
    reset_width(browser)
    if checker.problems:
        pytest.fail("axe-core and the phone's width found:\n" + "\n".join(checker.problems), pytrace=False)
