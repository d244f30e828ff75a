"""Lists in Italian alphabetical order (case and accents ignored) on either database: the projects by title,
the organisations by name, and the option lists of names."""

import re

import pytest

from partners.filters import in_name_order
from partners.models import Partner
from projects.models import Project
from projects.names import sort_key, title_keys
from tests.factories import MARKER, make_funder, make_partner, make_project, word
from tests.pages import content, listed_titles

pytestmark = pytest.mark.django_db

# Byte order puts each upper-case or unaccented name before the next one; Italian order does not.
IN_ITALIAN_ORDER = ["Forlì", "Forlimpopoli", "Òasi", "ombra", "Samadhi", "SEMIinARIA"]


@pytest.fixture(autouse=True)
def one_page(settings):
    settings.PROJECTS_PER_PAGE = 500


def test_the_sort_key_ignores_case_and_accents():
    assert sorted(reversed(IN_ITALIAN_ORDER), key=sort_key) == IN_ITALIAN_ORDER
    assert sorted(IN_ITALIAN_ORDER) != IN_ITALIAN_ORDER  # the case this is about


def test_the_sort_key_of_a_title_is_its_stored_key():
    title = "A.L.I. – Abitare, Lavorare, Integrarsi"
    assert sort_key(title)[0] == title_keys(title)[0]


@pytest.mark.parametrize("params", [{}, {"sort": "title"}])
def test_projects_are_listed_in_italian_order_of_their_titles(client, params):
    tag = word()
    for name in reversed(IN_ITALIAN_ORDER):
        make_project(title=f"{MARKER} {tag} {name}")
    listed = [title for title in listed_titles(client, {"q": tag, **params}) if title.startswith(MARKER)]
    assert listed == [f"{MARKER} {tag} {name}" for name in IN_ITALIAN_ORDER]


def test_projects_sorted_by_title_descending_are_in_reverse_italian_order(client):
    tag = word()
    for name in IN_ITALIAN_ORDER:
        make_project(title=f"{MARKER} {tag} {name}")
    listed = [title for title in listed_titles(client, {"q": tag, "sort": "-title"}) if title.startswith(MARKER)]
    assert listed == [f"{MARKER} {tag} {name}" for name in reversed(IN_ITALIAN_ORDER)]


def test_projects_sorted_by_start_break_ties_in_italian_order(client):
    tag = word()
    for name in reversed(IN_ITALIAN_ORDER):
        make_project(title=f"{MARKER} {tag} {name}", period="2024 - 2025")
    listed = [title for title in listed_titles(client, {"q": tag, "sort": "start"}) if title.startswith(MARKER)]
    assert listed == [f"{MARKER} {tag} {name}" for name in IN_ITALIAN_ORDER]


def test_the_default_order_of_projects_is_italian_too():
    tag = word()
    for name in reversed(IN_ITALIAN_ORDER):
        make_project(title=f"{MARKER} {tag} {name}")
    listed = list(Project.objects.filter(title__contains=tag).values_list("title", flat=True))
    assert listed == [f"{MARKER} {tag} {name}" for name in IN_ITALIAN_ORDER]


def test_organisations_in_name_order_are_in_italian_order():
    tag = word()
    for name in reversed(IN_ITALIAN_ORDER):
        make_partner(name=f"{MARKER} {tag} {name}")
    listed = list(in_name_order(Partner.objects.filter(name__contains=tag)).values_list("name", flat=True))
    assert listed == [f"{MARKER} {tag} {name}" for name in IN_ITALIAN_ORDER]


def test_the_organisations_page_lists_them_in_italian_order(client):
    tag = word()
    for name in reversed(IN_ITALIAN_ORDER):
        make_project(lead=make_partner(name=f"{MARKER} {tag} {name}"))
    html = content(client.get("/partners/", {"q": tag}))
    listed = [name for name in re.findall(r'lang="it">([^<]*)</a>', html) if tag in name]
    assert listed == [f"{MARKER} {tag} {name}" for name in IN_ITALIAN_ORDER]


def test_the_funders_list_of_the_filters_is_in_italian_order(client):
    tag = word()
    funders = [make_funder(name=f"{MARKER} {tag} {name}") for name in reversed(IN_ITALIAN_ORDER)]
    for funder in funders:
        make_project(funders=[funder])
    html = content(client.get("/projects/"))
    select = re.search(r'<select[^>]*name="funder"[^>]*>(.*?)</select>', html, re.S).group(1)
    offered = [name for name in re.findall(r">([^<]*) \(\d+\)</option>", select) if tag in name]
    assert offered == [f"{MARKER} {tag} {name}" for name in IN_ITALIAN_ORDER]
