import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings
from django.urls import clear_url_caches
from django.utils import translation

from projects.models import Municipality, Project


def load_registry_data() -> None:
    """ISTAT's municipalities and the seed data, as `bootstrap` loads them."""
    if not Municipality.objects.exists():
        call_command("load_municipalities", verbosity=0)
    if not Project.objects.exists():
        call_command("load_seed", verbosity=0)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Loaded once per run; each test's transaction is rolled back, so every test sees the same data.
    with django_db_blocker.unblock():
        load_registry_data()


@pytest.fixture(autouse=True)
def english(request):
    """Messages made outside a request (an import's report, a command's output) are checked in English, as
    the client fixture below reads the pages; a test of the Italian wording activates Italian itself. Browser
    tests read the site as it runs (Italian at the plain addresses), so addresses they build stay unprefixed."""
    if request.node.get_closest_marker("browser") is not None:
        yield
        return
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_list_cache(settings):
    """Pages of the project list are not kept between requests, unless a test says so: each test's data is
    rolled back, and with it the index stamp the cache keys hold, so a page kept by one test would be read
    by the next."""
    settings.LIST_CACHE_SECONDS = 0


@pytest.fixture(autouse=True)
def import_upload_dir(settings, tmp_path):
    """Each test's admin uploads wait in a folder of its own, so that a test can see what is left there."""
    settings.IMPORT_UPLOAD_DIR = tmp_path / "uploads"
    return settings.IMPORT_UPLOAD_DIR


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory):
    # Pages are rendered with the manifest storage used in production, so the manifest must exist.
    settings.STATIC_ROOT = tmp_path_factory.mktemp("static")
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def seeded(transactional_db):
    """For tests that commit (the browser's live server): the data is loaded again after each flush."""
    load_registry_data()


def commits(item) -> bool:
    """A test that commits: the browser's (the live server needs it) and those marked transaction=True."""
    database = item.get_closest_marker("django_db")
    return item.get_closest_marker("browser") is not None or bool(database and database.kwargs.get("transaction"))


def pytest_collection_modifyitems(session, config, items):
    # Tests that commit flush the database afterwards, which empties the data loaded once per session
    # (and what processes keep of it); run them after every test that reads that data.
    items.sort(key=commits)


@pytest.fixture
def client(client):
    """The test client, reading the site in English (the interface's second language).

    Messages are checked in English, so the tests that take this client swap the two languages: English
    at the plain addresses (/projects/), where the pages, the admin and the API answer in the default
    language, and Italian under /it/. The URLs are built the same way; tests/test_language.py checks the
    site as it runs, Italian at the plain addresses and English under /en/.
    """
    # What one configuration kept (the URL resolver's prefixes, pages in the cache) is not read under the other.
    with override_settings(LANGUAGE_CODE="en"):
        clear_url_caches()
        cache.clear()
        yield client
    clear_url_caches()
    cache.clear()
