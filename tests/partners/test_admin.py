"""The organisations' lists in the admin: the country filter names each country (the field keeps ISO codes)
and offers organisations without one under a named choice, never as an empty link."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client

from tests.factories import make_partner, make_project

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_it():
    client = Client()
    client.force_login(User.objects.create_superuser(username="filtri", password="x"))
    client.cookies["django_language"] = "it"
    return client


def country_choices(html: str) -> list[tuple[str, str]]:
    """(link, text) of each choice under the country filter's heading."""
    section = html.split('data-filter-title="paese"')[1].split("</details>")[0]
    return [
        (href, re.sub(r"<[^>]+>", "", text).strip())
        for href, text in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', section, re.S)
    ]


@pytest.mark.parametrize("url", ["/admin/partners/partner/", "/admin/partners/leadpartner/"])
def test_the_country_filter_names_every_choice(admin_client_it, url):
    make_partner(country="FR")
    make_partner(country="")
    make_project(lead=make_partner(country="XK"))  # a code the ISO list does not name: offered as it is

    choices = country_choices(admin_client_it.get(url).content.decode())

    texts = [text for _, text in choices]
    assert all(texts), choices  # no choice without a name
    assert "Francia" in texts and "non indicato" in texts and "XK" in texts
    assert "FR" not in texts


def test_the_country_filter_selects_by_code_and_the_organisations_without_one(admin_client_it):
    french, unplaced = make_partner(country="FR"), make_partner(country="")

    by_country = admin_client_it.get("/admin/partners/partner/?country=FR")
    without = admin_client_it.get("/admin/partners/partner/?country=-")

    assert french in by_country.context["cl"].result_list
    assert all(partner.country == "FR" for partner in by_country.context["cl"].result_list)
    assert unplaced in without.context["cl"].result_list
    assert all(partner.country == "" for partner in without.context["cl"].result_list)
    assert "Francia" in by_country.content.decode()  # the list shows the country's name too
