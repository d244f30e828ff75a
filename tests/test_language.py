"""The site as it runs: Italian at the plain addresses, English under /en/, and links between the two.

These tests take django.test.Client, not the suite's `client` fixture (which swaps the languages to read
messages in English).
"""

import re

import pytest
from django.test import Client
from django.test.signals import template_rendered

from registry.templatetags.fragments import forget_written
from tests.factories import make_project
from tests.pages import content


@pytest.fixture
def visitor(db):
    return Client()


def language_links(html: str) -> dict[str, str]:
    """The header's links to this page in another language, by language."""
    links = re.search(r'<ul class="language"[^>]*>(.*?)</ul>', html, re.S)[1]
    return dict((code, href) for href, code in re.findall(r'<a href="([^"]+)" hreflang="([a-z-]+)"', links))


def alternates(html: str) -> dict[str, str]:
    return {
        code: href for code, href in re.findall(r'<link rel="alternate" hreflang="([a-z-]+)" href="([^"]+)">', html)
    }


def test_plain_addresses_are_in_italian(visitor):
    html = content(visitor.get("/projects/"))
    assert '<html lang="it">' in html and "<h1>Progetti</h1>" in html and ">Salta al contenuto<" not in html
    assert "Vai al contenuto" in html


def test_addresses_under_en_are_in_english(visitor):
    html = content(visitor.get("/en/projects/"))
    assert '<html lang="en">' in html and "<h1>Projects</h1>" in html and "Skip to content" in html


def test_the_language_cookie_does_not_change_a_plain_address(visitor):
    visitor.cookies["django_language"] = "en"
    assert "<h1>Progetti</h1>" in content(visitor.get("/projects/"))


def test_the_header_links_to_the_same_page_with_its_query_in_the_other_language(visitor):
    italian = content(visitor.get("/projects/", {"theme": "housing", "q": "casa"}))
    assert language_links(italian) == {"en": "/en/projects/?theme=housing&amp;q=casa"}
    english = content(visitor.get("/en/projects/", {"theme": "housing", "q": "casa"}))
    assert language_links(english) == {"it": "/projects/?theme=housing&amp;q=casa"}


def test_the_header_marks_the_current_language_and_names_each_in_its_own_words(visitor):
    html = content(visitor.get("/en/projects/"))
    assert '<span aria-current="true" lang="en">English</span>' in html
    assert '<a href="/projects/" hreflang="it" lang="it">Italiano</a>' in html


def test_a_project_page_links_to_itself_in_english(visitor):
    project = make_project()
    html = content(visitor.get(f"/projects/{project.slug}/"))
    assert language_links(html) == {"en": f"/en/projects/{project.slug}/"}
    assert visitor.get(f"/en/projects/{project.slug}/").status_code == 200


def test_each_page_names_its_alternates_by_absolute_address(visitor):
    html = content(visitor.get("/en/projects/", {"q": "casa"}))
    assert alternates(html) == {
        "it": "http://testserver/projects/?q=casa",
        "en": "http://testserver/en/projects/?q=casa",
        "x-default": "http://testserver/projects/?q=casa",
    }


def test_the_home_page_is_in_both_languages(visitor):
    assert '<html lang="it">' in content(visitor.get("/"))
    english = content(visitor.get("/en/"))
    assert '<html lang="en">' in english and language_links(english) == {"it": "/"}


def test_a_request_for_another_host_gets_the_400_page_without_alternates(visitor):
    response = visitor.get("/projects/", headers={"host": "elsewhere.example"})
    assert response.status_code == 400
    html = content(response)
    assert "<h1>Richiesta non comprensibile</h1>" in html and not alternates(html)


def test_the_admin_and_the_api_stay_at_their_addresses_in_italian(visitor):
    assert visitor.get("/en/admin/login/").status_code == 404
    assert visitor.get("/en/api/v1/projects/").status_code == 404
    login = content(visitor.get("/admin/login/"))
    assert 'lang="it"' in login


def test_the_header_links_and_the_footer_are_written_once_per_language_and_stay_in_it(visitor):
    written = []

    def record(sender, template, **kwargs):
        written.append(template.name)

    forget_written()
    template_rendered.connect(record)
    try:
        pages = [visitor.get(path) for path in ("/about/", "/en/about/", "/projects/", "/en/projects/", "/")]
    finally:
        template_rendered.disconnect(record)
    assert [page.status_code for page in pages] == [200] * 5
    assert written.count("includes/site_nav.html") == written.count("includes/footer.html") == 2
    for page, language in zip(pages, ("it", "en", "it", "en", "it"), strict=True):
        nav = re.search(r'<nav aria-label="[^"]+">.*?</nav>', content(page), re.S)[0]
        footer = re.search(r'<footer class="site-footer">.*?</footer>', content(page), re.S)[0]
        if language == "en":
            assert '<a href="/en/projects/">Projects</a>' in nav and 'href="/en/about/"' in footer
        else:
            assert '<a href="/projects/">Progetti</a>' in nav and 'href="/about/"' in footer
