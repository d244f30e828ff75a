"""/health/ (registry/views.py): what load balancers and monitoring ask."""

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from projects import views

pytestmark = pytest.mark.django_db


def test_health_answers_ok_after_asking_the_database(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/health/")
    assert (response.status_code, response.content, response["Content-Type"]) == (
        200,
        b"ok",
        "text/plain; charset=utf-8",
    )
    assert [query["sql"] for query in queries] == ["SELECT 1"]


def test_health_is_never_cached(client):
    assert "no-store" in client.get("/health/")["Cache-Control"]


def test_health_answers_503_when_the_database_cannot_be_reached(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", unreachable)
    response = client.get("/health/")
    assert (response.status_code, response.content) == (503, b"database unavailable")


def test_health_refuses_anything_but_get_and_head(client):
    assert [client.head("/health/").status_code, client.post("/health/").status_code] == [200, 405]


def test_healthz_is_the_same_check_and_answers_over_plain_http_in_production(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert (client.get("/healthz").status_code, client.get("/healthz").content) == (200, b"ok")
    assert client.get("/projects/").status_code == 301  # every other page goes to HTTPS


@pytest.mark.parametrize("url", ["/projects/", "/projects/?q=abitare", "/partners/", "/api/v1/projects/"])
def test_a_page_that_loses_the_database_answers_503_with_retry_after(client, monkeypatch, url):
    def unreachable(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(connection, "cursor", unreachable)
    response = client.get(url)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "cannot reach its database for a moment" in response.content.decode()


def test_other_errors_are_not_taken_for_a_lost_database(client, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("a bug")

    monkeypatch.setattr(views, "list_context", broken)
    client.raise_request_exception = False

    assert client.get("/projects/").status_code == 500
