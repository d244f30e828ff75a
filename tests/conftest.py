import pytest
from django.core.management import call_command


def load_registry_data() -> None:
    """ISTAT's municipalities and the seed data, as `bootstrap` loads them."""
    from projects.models import Municipality, Project

    if not Municipality.objects.exists():
        call_command("load_municipalities", verbosity=0)
    if not Project.objects.exists():
        call_command("load_seed", verbosity=0)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    # Loaded once per run; each test's transaction is rolled back, so every test sees the same data.
    with django_db_blocker.unblock():
        load_registry_data()


@pytest.fixture(scope="session", autouse=True)
def collected_static(tmp_path_factory):
    # Pages are rendered with the manifest storage used in production, so the manifest must exist.
    from django.conf import settings

    settings.STATIC_ROOT = tmp_path_factory.mktemp("static")
    call_command("collectstatic", interactive=False, verbosity=0)


@pytest.fixture
def seeded(transactional_db):
    """For tests that commit (the browser's live server): the data is loaded again after each flush."""
    load_registry_data()
