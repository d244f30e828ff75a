"""The admin's language: Italian, the site's, unless its editor chose English with the switch in its header
(Django's set_language view and its cookie, read under /admin/ only by registry.middleware).

These tests take django.test.Client, not the suite's `client` fixture (which serves the plain addresses in
English to read messages in English).
"""

import re

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from partners.models import Partner
from tests.factories import word
from tests.pages import text_of

pytestmark = pytest.mark.django_db

REGISTRY_IT = "Registro dei progetti per l'inclusione dei migranti"
REGISTRY_EN = "Registry of migrant-inclusion projects"


@pytest.fixture
def administrator() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(f"admin-{word()}", "admin@example.org", "not-used"))
    return client


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def title_of(html: str) -> str:
    return text_of(re.search(r"<title>(.*?)</title>", html, re.S)[1])


def branding(html: str) -> str:
    return text_of(re.search(r'<div id="site-name">(.*?)</div>', html, re.S)[1])


def test_the_admin_is_in_italian_by_default_and_names_the_registry(administrator):
    html = html_of(administrator.get("/admin/"))
    assert '<html lang="it"' in html
    assert branding(html) == REGISTRY_IT
    assert "<h1>Amministrazione del registro</h1>" in html
    assert title_of(html) == f"Amministrazione del registro | {REGISTRY_IT}"
    assert "Django" not in text_of(html)


def test_the_admin_is_in_english_for_an_editor_who_chose_english(administrator):
    administrator.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = html_of(administrator.get("/admin/projects/project/"))
    assert '<html lang="en"' in html
    assert branding(html) == REGISTRY_EN
    assert title_of(html) == f"Select project to change | {REGISTRY_EN}"
    assert ">Period</a>" in html and ">Periodo</a>" not in html


def test_the_switch_in_the_header_sets_the_language_and_comes_back_to_the_same_page(administrator):
    html = html_of(administrator.get("/admin/projects/project/?is_published__exact=1"))
    switch = re.search(r'<form class="language-switch" method="post" action="([^"]+)">(.*?)</form>', html, re.S)
    assert switch[1] == "/i18n/setlang/"
    assert '<button type="submit" name="language" value="en" lang="en">English</button>' in switch[2]
    assert 'value="it"' not in switch[2]  # the language in use is not offered
    assert 'name="next" value="/admin/projects/project/?is_published__exact=1"' in switch[2]

    response = administrator.post(
        "/i18n/setlang/", {"language": "en", "next": "/admin/projects/project/?is_published__exact=1"}
    )

    assert (response.status_code, response["Location"]) == (302, "/admin/projects/project/?is_published__exact=1")
    english = html_of(administrator.get(response["Location"]))
    assert '<html lang="en"' in english
    assert '<button type="submit" name="language" value="it" lang="it">Italiano</button>' in english


def test_switching_back_to_italian_makes_the_admin_italian_again(administrator):
    administrator.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    administrator.post("/i18n/setlang/", {"language": "it", "next": "/admin/"})
    assert '<html lang="it"' in html_of(administrator.get("/admin/"))


def test_a_language_the_registry_does_not_have_leaves_the_admin_in_italian(administrator):
    administrator.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    assert '<html lang="it"' in html_of(administrator.get("/admin/"))


def test_the_login_page_has_the_switch_and_follows_the_choice():
    visitor = Client()
    italian = html_of(visitor.get("/admin/login/"))
    assert branding(italian) == REGISTRY_IT and 'value="en" lang="en">English</button>' in italian
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = html_of(visitor.get("/admin/login/"))
    assert '<html lang="en"' in english and branding(english) == REGISTRY_EN


def test_the_choice_of_the_admin_does_not_change_the_public_pages(administrator):
    administrator.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert '<html lang="it">' in html_of(administrator.get("/projects/"))
    assert '<html lang="en">' in html_of(administrator.get("/en/projects/"))


def test_the_project_list_columns_and_buttons_are_in_italian(administrator):
    html = html_of(administrator.get("/admin/projects/project/"))
    table = re.search(r'<table id="result_list">.*?</thead>', html, re.S)[0]
    headings = [text_of(heading) for heading in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', table, re.S)]
    assert [heading for heading in headings if heading] == [
        "Titolo",
        "Acronimo",
        "Tipo di iniziativa",
        "Capofila",
        "Periodo",
        "Stato",
        "Pubblicato",
    ]
    assert ">Importa</a>" in html and ">Esporta</a>" in html
    # The period as the public pages write it, in Italian.
    assert "ottobre 2018 – marzo 2020" in html


def test_the_project_list_columns_are_in_english_for_an_editor_who_chose_english(administrator):
    administrator.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = html_of(administrator.get("/admin/projects/project/"))
    assert ">Import</a>" in html and ">Export</a>" in html
    assert "October 2018 – March 2020" in html


def test_the_organisations_delete_action_reads_as_italian(administrator):
    html = html_of(administrator.get("/admin/partners/partner/"))
    with translation.override("it"):
        plural = str(Partner._meta.verbose_name_plural)
    assert f'<option value="delete_selected">Cancella le voci selezionate ({plural})</option>' in html
