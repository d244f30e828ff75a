"""The home page (/): what the registry is, its figures, its map, its latest projects and its ways in."""

import re

import pytest
from django.core.cache import cache

from partners.models import Partner
from projects.models import Funder, Municipality, Project
from tests.factories import (
    make_funder,
    make_partner,
    make_programme,
    make_project,
    make_territory,
    municipality,
)
from tests.pages import content

pytestmark = pytest.mark.django_db


def home(client, path: str = "/"):
    response = client.get(path)
    assert response.status_code == 200
    return response


def list_count(client, params: dict) -> int:
    response = client.get("/projects/", params)
    assert response.status_code == 200
    return response.context["result_count"]


def test_totals_equal_the_databases_counts_of_published_things(client):
    somewhere = make_territory(municipalities=[municipality("Campobasso", "CB"), municipality("Isernia", "IS")])
    make_project(lead=make_partner(), funders=[make_funder()], territories=[somewhere])
    # What only a draft names is not counted.
    elsewhere = make_territory(municipalities=[municipality("Matera", "MT")])
    make_project(published=False, lead=make_partner(), funders=[make_funder()], territories=[elsewhere])
    make_project(programmes=[make_programme(funders=[make_funder()])])  # a funder through its programme

    totals = home(client).context["totals"]

    assert totals == {
        "projects": Project.objects.filter(is_published=True).count(),
        "organisations": Partner.objects.filter(participations__project__is_published=True).distinct().count(),
        "municipalities": Municipality.objects.filter(territories__projects__is_published=True).distinct().count(),
        "funders": Funder.objects.with_published_projects().count(),
    }


def test_totals_are_written_on_the_page(client):
    html = content(home(client))
    count = Project.objects.filter(is_published=True).count()
    assert re.search(rf"<strong>{count}</strong> published projects", html)


def test_each_regions_count_on_the_map_equals_the_filtered_lists_count(client):
    make_project(territories=[make_territory(municipalities=[municipality("Campobasso", "CB")])])
    regions = home(client).context["regions"]
    assert len(regions) == Municipality.objects.values("region_code").distinct().count()
    for region in regions:
        assert region["count"] == list_count(client, {"region": region["code"]}), region["name"]
    assert next(region for region in regions if region["name"] == "Molise")["count"] >= 1


def test_each_region_links_to_its_place_page_with_its_name_and_count(client):
    response = home(client)
    piemonte = next(region for region in response.context["regions"] if region["name"] == "Piemonte")
    assert piemonte["url"] == "/places/piemonte/"
    link = re.search(r'<a class="place-link[^"]*" href="/places/piemonte/">(.*?)</a>', content(response), re.S)
    assert link, "no link to Piemonte's page"
    assert "Piemonte" in link.group(1)
    assert f"{piemonte['count']} project" in link.group(1)


def test_latest_projects_are_the_newest_published_ones_without_drafts(client):
    first = make_project()
    second = make_project(period="2024-2026")
    draft = make_project(published=False)
    latest = home(client).context["latest"]
    titles = [project["title"] for project in latest]
    assert titles[:2] == [second.title, first.title]
    assert draft.title not in titles
    assert latest[0]["period"] == "2024 – 2026"  # in the registry's one style, as the cards write it
    assert latest[0]["url"] == second.get_absolute_url()


def test_theme_entry_points_count_what_the_filtered_list_gives(client):
    make_project(themes=["housing", "health"])
    themes = home(client).context["themes"]
    assert themes, "no theme offered"
    for theme in themes:
        code = re.search(r"theme=(\w+)", theme["url"]).group(1)
        assert theme["count"] == list_count(client, {"theme": code}), theme["label"]


def test_funder_entry_points_lead_to_the_funders_pages_with_their_counts(client):
    funder = make_funder()
    for _ in range(30):  # more than any funder of the seed data
        make_project(funders=[funder])
    funders = home(client).context["funders"]
    assert funders[0] == {"label": funder.name, "count": 30, "url": f"/funders/{funder.slug}/"}
    assert all(row["count"] == list_count(client, {"funder": row["url"].split("/")[2]}) for row in funders)


def test_search_box_asks_the_project_list_for_the_words(client):
    html = content(home(client))
    form = re.search(r'<form class="home-search" role="search" action="([^"]+)" method="get">(.*?)</form>', html, re.S)
    assert form and form.group(1) == "/projects/"
    assert re.search(r'<label for="home-search-words">', form.group(2))
    assert re.search(r'<input id="home-search-words" name="q" type="search"', form.group(2))


def test_home_has_one_h1_and_then_h2s(client):
    html = content(home(client))
    headings = re.findall(r"<h([1-6])", html)
    assert headings.count("1") == 1
    assert headings[0] == "1"
    assert all(int(level) <= 3 for level in headings)


def test_home_figures_are_kept_until_the_index_changes(client, settings, django_assert_max_num_queries):
    settings.LIST_CACHE_SECONDS = 600
    cache.clear()
    before = home(client).context["totals"]["projects"]
    with django_assert_max_num_queries(3):  # the index stamp, and the session's and language's own
        assert home(client).context["totals"]["projects"] == before
    make_project()
    assert home(client).context["totals"]["projects"] == before + 1
    cache.clear()


def test_home_is_in_italian_and_in_english(client):
    # The test client reads English at the plain addresses and Italian under /it/ (tests/conftest.py).
    assert "The registry in figures" in content(home(client, "/"))
    italian = content(home(client, "/it/"))
    assert "Il registro in cifre" in italian
    assert 'href="/it/places/piemonte/"' in italian
