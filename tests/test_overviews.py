"""Funder pages (/funders/) and place pages (/places/…): their slugs, their counts and their links."""

import re
import unicodedata

import pytest

from projects.models import Municipality
from registry.overviews import _places, place_slug
from tests.factories import (
    make_funder,
    make_programme,
    make_project,
    make_territory,
    municipality,
)
from tests.pages import content, text_of

pytestmark = pytest.mark.django_db


def without_accents(name: str) -> str:
    return "".join(char for char in unicodedata.normalize("NFKD", name.casefold()) if not unicodedata.combining(char))


def page(client, path: str):
    response = client.get(path)
    assert response.status_code == 200, path
    return response


def list_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.context["result_count"]


# --- slugs ---------------------------------------------------------------------------------------


def test_a_bilingual_name_reads_as_its_first_name_in_an_address():
    assert place_slug("Trentino-Alto Adige/Südtirol") == "trentino-alto-adige"
    assert place_slug("Valle d'Aosta/Vallée d'Aoste") == "valle-daosta"
    assert place_slug("Nizza Monferrato") == "nizza-monferrato"


def test_two_places_whose_names_make_one_slug_each_get_their_istat_code():
    places = _places([("001001", "San Marco"), ("001002", "San-Marco"), ("001003", "Asti")])
    assert {place.code: place.slug for place in places} == {
        "001001": "san-marco-001001",
        "001002": "san-marco-001002",
        "001003": "asti",
    }


def test_places_are_listed_in_italian_alphabetical_order():
    places = _places([("1", "zafferana"), ("2", "Èrice"), ("3", "Abano"), ("4", "eboli"), ("5", "L'Aquila")])
    assert [place.name for place in places] == ["Abano", "eboli", "Èrice", "L'Aquila", "zafferana"]


# --- places --------------------------------------------------------------------------------------


def test_the_places_index_lists_every_region_with_its_place_page(client):
    regions = page(client, "/places/").context["regions"]
    assert {region["name"] for region in regions} == set(Municipality.objects.values_list("region_name", flat=True))
    for region in regions:
        assert page(client, region["url"]).context["place"]["code"] == region["code"]


def test_a_region_page_counts_what_the_list_filtered_by_the_region_gives(client):
    make_project(themes=["housing"], territories=[make_territory(municipalities=[municipality("Asti", "AT")])])
    response = page(client, "/places/piemonte/")
    context = response.context
    assert context["place"] == {"name": "Piemonte", "code": "01"}
    assert context["count"] == list_count(client, "/projects/?region=01") > 0
    assert context["list_url"] == "/projects/?region=01"
    for theme in context["themes"]:
        assert theme["count"] == list_count(client, theme["url"]), theme["label"]
    for year in context["years"]:
        assert year["count"] == list_count(client, year["url"]), year["label"]


def test_a_region_page_lists_every_province_of_the_region_with_its_count(client):
    context = page(client, "/places/piemonte/").context
    provinces = dict(
        Municipality.objects.filter(region_code="01").values_list("province_name", "province_code").distinct()
    )
    assert {row["name"] for row in context["sub_places"]} == set(provinces)
    for row in context["sub_places"]:
        assert row["count"] == list_count(client, f"/projects/?province={provinces[row['name']]}"), row["name"]


def test_a_province_page_lists_its_municipalities_that_have_projects(client):
    nizza = municipality("Nizza Monferrato", "AT")
    project = make_project(territories=[make_territory(municipalities=[nizza])])
    context = page(client, "/places/piemonte/asti/").context
    assert context["place"] == {"name": "Asti", "code": "AT"}
    rows = {row["name"]: row for row in context["sub_places"]}
    assert rows["Nizza Monferrato"]["url"] == "/places/piemonte/asti/nizza-monferrato/"
    assert rows["Nizza Monferrato"]["count"] == list_count(client, f"/projects/?municipality={nizza.istat_code}")
    assert all(row["count"] > 0 for row in rows.values())
    towns = page(client, rows["Nizza Monferrato"]["url"]).context
    assert towns["place"] == {"name": "Nizza Monferrato", "code": nizza.istat_code}
    assert project.title in [linked["title"] for linked in towns["projects"]]


def test_a_visitor_reaches_the_projects_of_a_province_from_home_in_three_links(client):
    make_project(territories=[make_territory(municipalities=[municipality("Asti", "AT")])])
    home = content(page(client, "/"))
    region = re.search(r'<a class="place-link[^"]*" href="([^"]+)"><span class="place-name">Piemonte<', home).group(1)
    region_page = content(page(client, region))
    province = re.search(r'<a class="place-link[^"]*" href="([^"]+)"><span class="place-name">Asti<', region_page)
    province_page = content(page(client, province.group(1)))
    projects = re.search(r'<a class="button-link" href="([^"]+)">', province_page).group(1)
    assert projects.replace("&amp;", "&") == "/projects/?province=AT"
    assert list_count(client, "/projects/?province=AT") == page(client, province.group(1)).context["count"]


def test_a_place_without_projects_says_so(client):
    quiet = next(
        (code, name)
        for code, name in Municipality.objects.values_list("region_code", "region_name").distinct()
        if not list_count(client, f"/projects/?region={code}")
    )
    response = page(client, f"/places/{place_slug(quiet[1])}/")
    assert response.context["count"] == 0
    assert f"No published project works in {quiet[1]} yet." in text_of(content(response))


@pytest.mark.parametrize(
    "path",
    [
        "/places/atlantide/",
        "/places/piemonte/milano/",  # a province of another region
        "/places/piemonte/asti/torino/",  # a municipality of another province
        "/places/piemonte/asti/nizza-monferrato/extra/",
        "/places/" + "a" * 150 + "/",
    ],
)
def test_an_unknown_place_is_not_found(client, path):
    assert client.get(path).status_code == 404


def test_a_drafts_place_counts_nothing(client):
    make_project(published=False, territories=[make_territory(municipalities=[municipality("Isernia", "IS")])])
    response = page(client, "/places/molise/isernia/isernia/")
    assert response.context["count"] == list_count(client, "/projects/?municipality=Isernia")


# --- funders -------------------------------------------------------------------------------------


def test_the_funder_list_has_every_funder_of_published_projects_in_italian_order(client):
    make_project(funders=[make_funder("Ente Ñandù")])
    make_funder("Ente senza progetti")
    make_project(published=False, funders=[make_funder("Ente delle sole bozze")])
    funders = page(client, "/funders/").context["funders"]
    names = [row["name"] for row in funders]
    assert "Ente Ñandù" in names
    assert "Ente senza progetti" not in names and "Ente delle sole bozze" not in names
    assert names == sorted(names, key=without_accents)
    for row in funders:
        slug = row["url"].split("/")[2]
        assert row["count"] == list_count(client, f"/projects/?funder={slug}"), row["name"]


def test_a_funder_page_shows_its_names_programmes_and_projects(client):
    funder = make_funder(other_names="Primo nome\nSecondo nome", website="https://ente.example.org/")
    programme = make_programme(funders=[funder])
    call = make_programme(parent=programme)
    direct = make_project(funders=[funder], themes=["housing"], period="2023-2024")
    through_call = make_project(programmes=[call])
    response = page(client, f"/funders/{funder.slug}/")
    context = response.context
    assert context["funder"] == {
        "name": funder.name,
        "other_names": ["Primo nome", "Secondo nome"],
        "website": "https://ente.example.org/",
    }
    assert context["count"] == 2 == list_count(client, f"/projects/?funder={funder.slug}")
    assert context["list_url"] == f"/projects/?funder={funder.slug}"
    assert {row["name"]: row["count"] for row in context["programmes"]} == {programme.name: 1, call.name: 1}
    assert sorted(linked["title"] for linked in context["projects"]) == sorted([direct.title, through_call.title])
    assert [(row["label"], row["count"]) for row in context["themes"]] == [("Housing", 1)]
    assert {row["label"]: row["count"] for row in context["years"]} == {"2023": 1, "2024": 1}
    html = content(response)
    assert f'href="/projects/?funder={funder.slug}"' in html
    assert "Secondo nome" in text_of(html)


def test_a_funder_pages_map_counts_its_projects_by_region(client):
    funder = make_funder()
    make_project(funders=[funder], territories=[make_territory(municipalities=[municipality("Asti", "AT")])])
    regions = {row["name"]: row for row in page(client, f"/funders/{funder.slug}/").context["regions"]}
    assert regions["Piemonte"]["count"] == 1
    assert regions["Piemonte"]["url"] == f"/projects/?funder={funder.slug}&region=01"
    assert sum(row["count"] for row in regions.values()) == 1


@pytest.mark.parametrize("published", [False, None])
def test_an_unknown_funder_or_one_only_drafts_name_is_not_found(client, published):
    funder = make_funder()
    if published is False:
        make_project(published=False, funders=[funder])
    assert client.get(f"/funders/{funder.slug}/").status_code == 404
    assert client.get("/funders/nessuno-cosi/").status_code == 404


@pytest.mark.parametrize("path", ["/funders/", "/places/", "/places/piemonte/", "/places/piemonte/asti/"])
def test_overview_pages_have_one_h1_then_h2s(client, path):
    levels = [int(level) for level in re.findall(r"<h([1-6])", content(page(client, path)))]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(after <= before + 1 for before, after in zip(levels, levels[1:], strict=False))
