"""The about page (/about/): what the registry holds, its sources, corrections, reuse, exports and feed."""

import re

import pytest

from tests.pages import content, text_of

pytestmark = pytest.mark.django_db


def about(client, path: str = "/about/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return content(response)


def test_about_says_where_the_data_comes_from_and_how_to_correct_it(client):
    text = text_of(about(client))
    assert "Where the data comes from" in text
    assert "Suggest a correction" in text
    assert "ISTAT" in text and "CC BY 4.0" in text


def test_about_links_to_the_exports_the_api_and_the_feed(client):
    html = about(client)
    for href in ("/projects/export.json", "/projects/export.csv", "/api/v1/docs/", "/feed/"):
        assert f'href="{href}' in html, href


def test_about_has_one_h1_then_h2s(client):
    headings = re.findall(r"<h([1-6])", about(client))
    assert headings[0] == "1" and headings.count("1") == 1
    assert set(headings[1:]) == {"2"}


def test_about_is_in_italian_too(client):
    # The test client reads English at the plain addresses and Italian under /it/ (tests/conftest.py).
    assert "Da dove vengono i dati" in text_of(about(client, "/it/about/"))


def test_every_page_links_to_about_and_the_feed(client):
    html = about(client, "/projects/")
    assert 'href="/about/"' in html
    assert re.search(r'<link rel="alternate" type="application/atom\+xml" href="/feed/"', html)
