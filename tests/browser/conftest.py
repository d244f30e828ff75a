import pytest


@pytest.fixture(scope="session")
def live_server(collected_static, django_db_setup):
    """pytest-django's live server, serving the collected static files with their hashed names.

    Its default handler serves /static/ from the apps' source folders, where the manifest's hashed
    names (registry.3f2a….css) do not exist; production serves the collected files (whitenoise),
    and so does this server. It depends on django_db_setup so that it stops before the test
    database is dropped.
    """
    from django.contrib.staticfiles import handlers
    from django.test.testcases import _StaticFilesHandler
    from pytest_django.live_server_helper import LiveServer

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(handlers, "StaticFilesHandler", _StaticFilesHandler)
        server = LiveServer("localhost")
    yield server
    server.stop()
