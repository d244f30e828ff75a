"""Error pages: in the page's language, with the ways out, and never Django's message for the logs."""

import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.views.defaults import permission_denied

from tests.pages import content, text_of


@pytest.fixture
def visitor(db):
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("path", "heading", "home", "projects"),
    [
        ("/nope/", "Pagina non trovata", "/", "/projects/"),
        ("/en/nope/", "Page not found", "/en/", "/en/projects/"),
        ("/projects/no-such-project-fx/", "Pagina non trovata", "/", "/projects/"),
        ("/en/projects/no-such-project-fx/", "Page not found", "/en/", "/en/projects/"),
        ("/partners/no-such-organisation-fx/", "Pagina non trovata", "/", "/projects/"),
    ],
)
def test_a_404_is_in_the_pages_language_with_links_home_to_the_list_and_a_search(
    visitor, path, heading, home, projects
):
    response = visitor.get(path)
    assert response.status_code == 404
    html = content(response)
    assert f"<h1>{heading}</h1>" in html
    assert f'href="{home}"' in html and f'href="{projects}"' in html
    assert re.search(rf'<form [^>]*role="search" action="{re.escape(projects)}" method="get">', html)
    assert 'name="q"' in html


def test_a_404_never_shows_the_exception_message(visitor):
    html = text_of(content(visitor.get("/projects/no-such-project-fx/")))
    assert "matches the given query" not in html and "Project" not in html
    assert "Nessun" not in html and "Resolver" not in html and "tried" not in html


def test_the_404_of_an_unknown_address_links_to_itself_in_the_other_language(visitor):
    html = content(visitor.get("/nope/"))
    assert '<a href="/en/nope/" hreflang="en"' in html


def test_an_unreadable_request_answers_the_400_page_without_the_exception(visitor):
    response = visitor.get("/projects/", {"q": "a\x00b"})
    assert response.status_code == 400
    html = content(response)
    assert "<h1>Richiesta non comprensibile</h1>" in html and "NUL" not in html


def test_the_400_page_is_in_english_under_en(visitor):
    html = content(visitor.get("/en/projects/", {"q": "a\x00b"}))
    assert "<h1>Request not understood</h1>" in html and '<html lang="en">' in html


@pytest.mark.parametrize(
    ("language", "heading", "home"), [("it", "Si è verificato un errore", "/"), ("en", "Something went wrong", "/en/")]
)
def test_the_500_page_renders_without_a_request_or_a_context(language, heading, home):
    with translation.override(language):
        html = render_to_string("500.html")
    assert f'<html lang="{language}">' in html and f"<h1>{heading}</h1>" in html
    assert f'href="{home}"' in html and f'href="{home}projects/"' in html


def test_a_failing_page_answers_the_500_page_in_its_language(visitor, monkeypatch):
    def fail(request):
        raise RuntimeError("a detail for the logs")

    monkeypatch.setattr("projects.views.list_context", fail)
    response = visitor.get("/en/projects/")
    assert response.status_code == 500
    html = content(response)
    assert "<h1>Something went wrong</h1>" in html and "a detail for the logs" not in html


def test_the_500_pages_links_are_the_sites_addresses():
    for language in ("it", "en"):
        with translation.override(language):
            html = render_to_string("500.html")
            assert f'href="{reverse("home")}"' in html and f'href="{reverse("projects:list")}"' in html


def test_the_403_page_is_translated(rf):
    request = rf.get("/en/projects/")
    with translation.override("en"):
        html = permission_denied(request, Exception("internal")).content.decode()
    assert "<h1>Access denied</h1>" in html and "internal" not in html


def test_the_503_page_says_to_try_again_in_the_pages_language(rf):
    request = rf.get("/en/projects/?q=casa")
    with translation.override("en"):
        html = render_to_string("503.html", {"request": request})
    assert "<h1>Temporarily unavailable</h1>" in html and 'href="/en/projects/?q=casa"' in html
