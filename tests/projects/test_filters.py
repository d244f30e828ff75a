"""The filters of /projects/ (projects/filters.py), each alone and combined, and their errors."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from projects.filters import ProjectFilter
from projects.models import Project
from tests.factories import (
    MARKER,
    make_funder,
    make_partner,
    make_programme,
    make_project,
    make_territory,
    municipality,
    word,
)
from tests.pages import card_titles, content, export_csv, export_json, listed_titles

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_page(settings):
    """Every result on one page, so a test sees the whole result set."""
    settings.PROJECTS_PER_PAGE = 1000


def mine(client, **params) -> set[str]:
    """Titles of this test's own projects among the results."""
    return {title for title in listed_titles(client, params) if title.startswith(MARKER)}


def titles(*projects) -> set[str]:
    return {project.title for project in projects}


@pytest.fixture
def asti_and_milano():
    """One project in Asti (AT, Piemonte) and one in Milano (MI, Lombardia)."""
    in_asti = make_project(territories=[make_territory(municipalities=[municipality("Asti", "AT")])])
    in_milano = make_project(territories=[make_territory(municipalities=[municipality("Milano", "MI")])])
    return in_asti, in_milano


# --- q ---------------------------------------------------------------------------------------


def test_text_filter_matches_a_word_of_the_title(client):
    tag = word()
    found = make_project(title=f"{MARKER} Casa {tag}")
    make_project()  # one the filter must leave out
    assert mine(client, q=tag) == titles(found)


def test_text_filter_ignores_case(client):
    tag = word()
    found = make_project(title=f"{MARKER} Casa {tag}")
    assert mine(client, q=tag.upper()) == titles(found)


def test_text_filter_matches_a_partner_name(client):
    partner = make_partner(name=f"{MARKER} Cooperativa {word()}")
    found = make_project(partners=[partner])
    make_project()  # one the filter must leave out
    assert mine(client, q=partner.name.split()[-1]) == titles(found)


def test_text_filter_matches_a_partner_acronym(client):
    acronym = word().upper()
    found = make_project(lead=make_partner(other_names=f"{acronym}\nAltro nome"))
    make_project()
    assert mine(client, q=acronym) == titles(found)


def test_text_filter_matches_the_cup(client):
    found = make_project(cup="F12G34000560008")
    make_project()
    assert mine(client, q="F12G34000560008") == titles(found)


def test_text_filter_needs_every_word(client):
    first, second = word(), word()
    both = make_project(title=f"{MARKER} {first} {second}")
    make_project(title=f"{MARKER} {first} solo")
    assert mine(client, q=f"{first} {second}") == titles(both)


def test_text_filter_matches_a_word_of_the_territory_name(client):
    tag = word()
    found = make_project(territories=[make_territory(name=f"{MARKER} Valle {tag}")])
    assert mine(client, q=tag) == titles(found)


def test_text_filter_matches_a_funder_name(client):
    funder = make_funder(name=f"{MARKER} Fondazione {word()}")
    found = make_project(funders=[funder])
    assert mine(client, q=funder.name.split()[-1]) == titles(found)


def test_text_filter_matches_a_programme_short_name(client):
    short_name = word().upper()
    found = make_project(programmes=[make_programme(short_name=short_name)])
    assert mine(client, q=short_name) == titles(found)


def test_text_filter_matches_the_name_of_a_municipality_of_the_territory(client):
    found = make_project(territories=[make_territory(municipalities=[municipality("Canelli", "AT")])])
    make_project(territories=[make_territory(municipalities=[municipality("Asti", "AT")])])
    assert mine(client, q="canelli") == titles(found)


def test_text_filter_matches_a_municipality_name_of_several_words(client):
    found = make_project(territories=[make_territory(municipalities=[municipality("San Paolo Solbrito", "AT")])])
    assert mine(client, q="San Paolo Solbrito") == titles(found)


# --- funder ----------------------------------------------------------------------------------


def test_funder_filter_matches_projects_the_funder_pays_directly(client):
    funder = make_funder()
    found = make_project(funders=[funder])
    make_project(funders=[make_funder()])  # one the filter must leave out
    assert mine(client, funder=funder.slug) == titles(found)


def test_funder_filter_matches_projects_funded_through_a_programme_of_the_funder(client):
    funder = make_funder()
    found = make_project(programmes=[make_programme(funders=[funder])])
    make_project(programmes=[make_programme(funders=[make_funder()])])
    assert mine(client, funder=funder.slug) == titles(found)


def test_funder_filter_matches_projects_of_a_sub_programme_of_the_funders_programme(client):
    funder = make_funder()
    found = make_project(programmes=[make_programme(parent=make_programme(funders=[funder]))])
    assert mine(client, funder=funder.slug) == titles(found)


def test_funder_filter_matches_projects_of_a_call_two_levels_below_the_funders_programme(client):
    funder = make_funder()
    programme = make_programme(funders=[funder])
    call = make_programme(parent=make_programme(parent=programme), kind="call")
    found = make_project(programmes=[call])
    assert mine(client, funder=funder.slug) == titles(found)


def test_funder_filter_lists_a_project_once_when_it_is_funded_in_two_ways(client):
    funder = make_funder()
    make_project(funders=[funder], programmes=[make_programme(funders=[funder]), make_programme(funders=[funder])])
    shown = [title for title in listed_titles(client, {"funder": funder.slug}) if title.startswith(MARKER)]
    assert len(shown) == 1


# --- programme -------------------------------------------------------------------------------


def test_programme_filter_matches_projects_of_the_programme(client):
    programme = make_programme()
    found = make_project(programmes=[programme])
    make_project(programmes=[make_programme()])  # one the filter must leave out
    assert mine(client, programme=programme.slug) == titles(found)


def test_programme_filter_on_a_parent_matches_projects_of_its_child_programmes(client):
    parent = make_programme()
    own, of_child = make_project(programmes=[parent]), make_project(programmes=[make_programme(parent=parent)])
    assert mine(client, programme=parent.slug) == titles(own, of_child)


def test_programme_filter_on_a_child_does_not_match_projects_of_its_parent(client):
    parent = make_programme()
    child = make_programme(parent=parent)
    make_project(programmes=[parent])
    of_child = make_project(programmes=[child])
    assert mine(client, programme=child.slug) == titles(of_child)


def test_programme_filter_matches_projects_of_a_call_within_a_sub_programme(client):
    programme = make_programme()
    call = make_programme(parent=make_programme(parent=programme), kind="call")
    found = make_project(programmes=[call])
    assert mine(client, programme=programme.slug) == titles(found)


# --- partner and lead_partner ----------------------------------------------------------------


def test_partner_filter_matches_projects_where_the_organisation_has_any_role(client):
    partner = make_partner()
    led, joined, supported = (
        make_project(lead=partner),
        make_project(partners=[partner]),
        make_project(supporting=[partner]),
    )
    make_project(partners=[make_partner()])
    assert mine(client, partner=partner.slug) == titles(led, joined, supported)


def test_lead_partner_filter_matches_only_projects_the_organisation_leads(client):
    partner = make_partner()
    led = make_project(lead=partner)
    make_project(partners=[partner])
    assert mine(client, lead_partner=partner.slug) == titles(led)


def test_an_organisation_is_chosen_by_its_slug_or_by_its_name_in_any_case(client):
    partner = make_partner(name=f"Cooperativa {word()} Nuova")
    led = make_project(lead=partner)
    make_project(lead=make_partner())
    assert mine(client, lead_partner=partner.name.upper()) == titles(led)
    assert mine(client, partner=partner.name.lower()) == titles(led)
    assert mine(client, partner=partner.slug) == titles(led)


def test_a_word_of_several_organisations_names_offers_them_to_choose_from(client):
    shared = word()
    first, second = make_partner(name=f"Cooperativa {shared} Uno"), make_partner(name=f"Associazione {shared} Due")
    make_project(lead=first, partners=[second])
    response = client.get("/projects/", {"partner": shared})
    assert response.status_code == 400
    assert sorted(response.context["candidates"]["partner"]) == sorted(
        [(first.slug, first.name), (second.slug, second.name)]
    )


def test_lead_partner_filter_refuses_an_organisation_that_leads_nothing(client):
    partner = make_partner()
    make_project(partners=[partner])
    assert client.get("/projects/", {"lead_partner": partner.slug}).status_code == 400


# --- places ----------------------------------------------------------------------------------


def test_region_filter_matches_projects_whose_territory_is_in_the_region(client, asti_and_milano):
    in_asti, _ = asti_and_milano
    assert mine(client, region="01") == titles(in_asti)


def test_province_filter_matches_projects_whose_territory_is_in_the_province(client, asti_and_milano):
    _, in_milano = asti_and_milano
    assert mine(client, province="MI") == titles(in_milano)


def test_municipality_filter_matches_projects_whose_territory_contains_it(client, asti_and_milano):
    in_asti, _ = asti_and_milano
    assert mine(client, municipality=municipality("Asti", "AT").istat_code) == titles(in_asti)


def test_municipality_filter_does_not_match_a_neighbour_in_the_same_province(client, asti_and_milano):
    assert mine(client, municipality=municipality("Canelli", "AT").istat_code) == set()


def test_place_filter_matches_a_project_when_any_of_its_territories_contains_the_place(client):
    found = make_project(
        territories=[
            make_territory(municipalities=[municipality("Milano", "MI")]),
            make_territory(municipalities=[municipality("Biella", "BI")]),
        ]
    )
    assert mine(client, province="BI") == titles(found)


def test_place_filter_lists_a_project_once_however_many_of_its_municipalities_match(client):
    make_project(
        territories=[make_territory(municipalities=[municipality("Asti", "AT"), municipality("Canelli", "AT")])]
    )
    shown = [title for title in listed_titles(client, {"province": "AT"}) if title.startswith(MARKER)]
    assert len(shown) == 1


def test_country_filter_matches_projects_working_in_the_country(client):
    found = make_project(countries=["FR", "IT"])
    make_project(countries=["ES"])
    assert mine(client, country="fr") == titles(found)


# --- theme and target group ------------------------------------------------------------------


def test_theme_filter_matches_projects_with_the_theme(client):
    found = make_project(themes=["health", "housing"])
    make_project(themes=["housing"])
    assert mine(client, theme="health") == titles(found)


def test_target_group_filter_matches_projects_for_the_group(client):
    found = make_project(target_groups=["unaccompanied_minors"])
    make_project(target_groups=["refugees"])
    assert mine(client, target_group="unaccompanied_minors") == titles(found)


# --- status and year -------------------------------------------------------------------------


@pytest.fixture
def by_status():
    today = timezone.localdate()
    return {
        "planned": make_project(start=today + dt.timedelta(days=30)),
        "active": make_project(start=today - dt.timedelta(days=30), end=today + dt.timedelta(days=30)),
        "closed": make_project(start=today - dt.timedelta(days=90), end=today - dt.timedelta(days=30)),
        "unknown": make_project(),
    }


@pytest.mark.parametrize("status", ["planned", "active", "closed", "unknown"])
def test_status_filter_matches_projects_with_that_status_today(client, by_status, status):
    assert mine(client, status=status) == titles(by_status[status])


def test_status_filter_counts_an_open_ended_project_that_has_started_as_active(client):
    found = make_project(start=timezone.localdate() - dt.timedelta(days=400))
    assert mine(client, status="active") == titles(found)


@pytest.fixture
def years():
    return {
        "2018-2019": make_project(period="2018 - 2019"),
        "mar 2020 - jan 2022": make_project(period="marzo 2020 - gennaio 2022"),
        "2023-": make_project(period="dal 2023"),
        "undated": make_project(),
    }


@pytest.mark.parametrize(
    "year, expected",
    [
        (2017, []),
        (2019, ["2018-2019"]),
        (2020, ["mar 2020 - jan 2022"]),
        (2022, ["mar 2020 - jan 2022"]),
        (2023, ["2023-"]),
        (2040, ["2023-"]),
    ],
)
def test_year_filter_matches_projects_whose_period_overlaps_the_year(client, years, year, expected):
    assert mine(client, year=year) == titles(*(years[key] for key in expected))


# --- sort and page ---------------------------------------------------------------------------


def test_projects_are_listed_by_title_by_default(client):
    tag = word()
    for letter in "CAB":
        make_project(title=f"{MARKER} {tag} {letter}")
    shown = [title[-1] for title in listed_titles(client, {"q": tag})]
    assert shown == ["A", "B", "C"]


def test_sort_by_title_descending(client):
    tag = word()
    for letter in "CAB":
        make_project(title=f"{MARKER} {tag} {letter}")
    assert [title[-1] for title in listed_titles(client, {"q": tag, "sort": "-title"})] == ["C", "B", "A"]


@pytest.mark.parametrize("sort, expected", [("start", ["2019", "2020", "2021"]), ("-start", ["2021", "2020", "2019"])])
def test_sort_by_start(client, sort, expected):
    tag = word()
    for year in ("2020", "2021", "2019"):
        make_project(title=f"{MARKER} {tag} {year}", period=f"{year} - 2025")
    assert [title[-4:] for title in listed_titles(client, {"q": tag, "sort": sort})] == expected


def test_sort_by_end(client):
    tag = word()
    for year in ("2030", "2026", "2028"):
        make_project(title=f"{MARKER} {tag} {year}", period=f"2020 - {year}")
    assert [title[-4:] for title in listed_titles(client, {"q": tag, "sort": "end"})] == ["2026", "2028", "2030"]


def test_sorting_by_start_puts_undated_projects_last_in_both_directions(client):
    tag = word()
    make_project(title=f"{MARKER} {tag} undated")
    make_project(title=f"{MARKER} {tag} dated", period="2020 - 2021")
    make_project(title=f"{MARKER} {tag} later", period="2022 - 2023")
    ascending = listed_titles(client, {"q": tag, "sort": "start"})
    descending = listed_titles(client, {"q": tag, "sort": "-start"})
    assert (ascending[-1].endswith("undated"), descending[-1].endswith("undated")) == (True, True)


def test_pages_split_the_results_without_losing_or_repeating_any(client, settings):
    settings.PROJECTS_PER_PAGE = 3
    tag = word()
    for number in range(7):
        make_project(title=f"{MARKER} {tag} {number}")
    pages = [listed_titles(client, {"q": tag, "page": page}) for page in (1, 2, 3)]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert sorted(sum(pages, [])) == sorted(f"{MARKER} {tag} {number}" for number in range(7))


def test_page_links_keep_the_filters(client, settings):
    settings.PROJECTS_PER_PAGE = 1
    tag = word()
    make_project(title=f"{MARKER} {tag} 1")
    make_project(title=f"{MARKER} {tag} 2")
    html = content(client.get("/projects/", {"q": tag, "theme": ""}))
    assert f'href="?q={tag}&amp;theme=&amp;page=2"' in html


# --- combined --------------------------------------------------------------------------------


def test_theme_and_province_together_match_projects_with_both(client):
    in_asti = make_territory(municipalities=[municipality("Asti", "AT")])
    both = make_project(themes=["housing"], territories=[in_asti])
    make_project(themes=["housing"], territories=[make_territory(municipalities=[municipality("Milano", "MI")])])
    make_project(themes=["health"], territories=[in_asti])
    assert mine(client, theme="housing", province="AT") == titles(both)


def test_partner_and_year_together_match_projects_with_both(client):
    partner = make_partner()
    both = make_project(partners=[partner], period="2020 - 2021")
    make_project(partners=[partner], period="2023 - 2024")
    make_project(period="2020 - 2021")
    assert mine(client, partner=partner.slug, year=2021) == titles(both)


def test_text_funder_and_status_together_match_projects_with_all_three(client):
    tag, funder = word(), make_funder()
    today = timezone.localdate()
    found = make_project(title=f"{MARKER} {tag} a", funders=[funder], start=today - dt.timedelta(days=1))
    make_project(title=f"{MARKER} {tag} b", funders=[funder])
    make_project(title=f"{MARKER} {tag} c", start=today - dt.timedelta(days=1))
    assert mine(client, q=tag, funder=funder.slug, status="active") == titles(found)


# --- what the page says about the results ----------------------------------------------------


def test_result_count_is_shown(client):
    tag = word()
    for _ in range(3):
        make_project(title=f"{MARKER} {tag}")
    response = client.get("/projects/", {"q": tag})
    assert response.context["result_count"] == 3
    assert '<p class="result-count">3 projects</p>' in content(response)


def test_empty_results_say_that_nothing_matches(client):
    response = client.get("/projects/", {"q": word()})
    assert response.status_code == 200
    assert "No project matches these filters." in content(response)


def test_filters_in_use_name_the_municipality_chosen(client):
    asti = municipality("Asti", "AT")
    html = content(client.get("/projects/", {"municipality": asti.istat_code}))
    assert '<li><span>Municipality:</span> <span class="value" lang="it">Asti (AT)</span> <a' in html


# --- values that cannot be read --------------------------------------------------------------


@pytest.mark.parametrize(
    "params, message",
    [
        ({"theme": "gardening"}, "Select a valid choice"),
        ({"target_group": "everybody"}, "Select a valid choice"),
        ({"status": "finished"}, "Select a valid choice"),
        ({"municipality": "abc"}, "No Italian municipality is called “abc”"),
        ({"municipality": "12345"}, "No Italian municipality is called “12345”"),
        ({"region": "99"}, "Select a valid choice"),
        ({"province": "ZZ"}, "Select a valid choice"),
        ({"country": "FRA"}, "two-letter ISO 3166 code"),
        ({"funder": "no-such-funder"}, "Select a valid choice"),
        ({"programme": "no-such-programme"}, "Select a valid choice"),
        ({"partner": "no-such-organisation"}, "No organisation in the registry is called"),
        ({"year": "abc"}, "Enter a whole number"),
        ({"year": "2019.5"}, "Enter a whole number"),
        ({"year": "1800"}, "greater than or equal to 1900"),
        ({"sort": "budget"}, "Select a valid choice"),
        ({"q": "x" * 201}, "at most 200 characters"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else None,
)
def test_an_unreadable_filter_answers_400_with_the_message_next_to_the_field(client, params, message):
    response = client.get("/projects/", params)
    html = content(response)
    assert response.status_code == 400
    assert message in html and 'class="field has-error"' in html


def test_an_unreadable_filter_shows_no_results(client):
    response = client.get("/projects/", {"theme": "gardening"})
    assert (response.context["result_count"], card_titles(content(response))) == (0, [])


def test_a_page_that_is_not_a_number_answers_400_with_a_message(client):
    response = client.get("/projects/", {"page": "x"})
    assert (response.status_code, "The page number must be a whole number." in content(response)) == (400, True)


def test_a_page_beyond_the_last_answers_404_with_the_not_found_page(client):
    response = client.get("/projects/", {"page": "999"})
    assert (response.status_code, "<h1>Page not found</h1>" in content(response)) == (404, True)


def test_page_zero_answers_404(client):
    assert client.get("/projects/", {"page": "0"}).status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"q": "\x00"},
        {"q": "' OR 1=1 --"},
        {"q": "%_%"},
        {"municipality": "\x00"},
        {"municipality": "9" * 60},
        {"year": "9" * 60},
        {"year": "NaN"},
        {"year": "1e400"},
        {"page": "-1"},
        {"page": "1.5"},
        {"page": "9" * 60},
        {"region": "Piemonte"},
        {"sort": "-"},
        {"funder": "\x00"},
        {"lead_partner": "ü"},
    ],
    ids=repr,
)
def test_no_filter_value_causes_a_server_error(client, params):
    assert client.get("/projects/", params).status_code in (200, 400, 404)


# --- the exports follow the same filters -----------------------------------------------------


def test_json_export_honours_the_query_string_of_the_list(client):
    tag, funder = word(), make_funder()
    make_project(title=f"{MARKER} {tag} a", funders=[funder])
    make_project(title=f"{MARKER} {tag} b")
    params = {"q": tag, "funder": funder.slug}
    assert [record["title"] for record in export_json(client, params)] == listed_titles(client, params)


def test_csv_export_honours_the_query_string_of_the_list(client):
    tag = word()
    make_project(title=f"{MARKER} {tag} a", themes=["health"])
    make_project(title=f"{MARKER} {tag} b", themes=["housing"])
    rows = export_csv(client, {"q": tag, "theme": "health"})
    title = rows[0].index("title")
    assert [row[title] for row in rows[1:]] == [f"{MARKER} {tag} a"]


def test_json_export_answers_400_with_the_errors_of_each_bad_filter(client):
    response = client.get("/projects/export.json", {"theme": "gardening", "municipality": "abc"})
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"theme", "municipality"}


def test_csv_export_answers_400_in_plain_text_on_a_bad_filter(client):
    response = client.get("/projects/export.csv", {"municipality": "abc"})
    assert (response.status_code, response["Content-Type"].split(";")[0]) == (400, "text/plain")
    assert "municipality: No Italian municipality is called “abc”" in response.content.decode()


def test_the_list_links_to_the_exports_with_the_same_filters(client):
    html = content(client.get("/projects/", {"theme": "housing", "province": "AT", "page": "1"}))
    assert 'href="/projects/export.json?theme=housing&amp;province=AT"' in html


def test_a_page_with_an_unreadable_filter_still_offers_every_choice_with_its_count(client):
    make_project(themes=["housing"])
    response = client.get("/projects/", {"year": "abc", "theme": "housing"})
    assert response.status_code == 400
    offered = re.search(r'<option value="housing"[^>]*>[^<]*\((\d+)\)</option>', content(response))
    assert offered is not None
    assert int(offered[1]) == client.get("/projects/", {"theme": "housing"}).context["result_count"]


# --- kind of initiative ---------------------------------------------------------------------------


def test_kind_filter_keeps_the_initiatives_of_that_kind(client):
    network = make_project(f"{MARKER} Rete {word()}", kind="network")
    project = make_project(f"{MARKER} Progetto {word()}")
    assert mine(client, kind="network") == titles(network)
    assert titles(project) <= mine(client, kind="project") and titles(network).isdisjoint(mine(client, kind="project"))
    html = content(client.get("/projects/", {"kind": "network"}))
    assert '<option value="network" selected>' in html


def test_an_unknown_kind_is_a_400_with_the_fields_error(client):
    response = client.get("/projects/", {"kind": "castle"})
    assert response.status_code == 400


# --- each request's own filters and fields (FiltersPerRequest, FieldsPerRequest) ---------------------------------


def test_each_filterset_has_its_own_filters_fields_and_options(db):
    ambiguous_text = "nessuna organisation così"
    first = ProjectFilter({"q": "casa", "partner": ambiguous_text}, queryset=Project.objects.all())
    second = ProjectFilter({"q": "lavoro"}, queryset=Project.objects.all())
    assert not first.is_valid() and second.is_valid()
    # A filter's method is its own FilterSet's (filter_text of `first`, not of the class or of `second`).
    assert first.filters["q"].parent is first and second.filters["q"].parent is second
    assert first.filters["q"].filter.f is first.filters["q"]
    assert first.filters["q"] is not ProjectFilter.base_filters["q"]
    # Options offered on one page are not offered on another.
    first.form.fields["theme"].widget.offer([("", "Tutti"), ("housing", "Casa (3)")])
    assert "Casa (3)" not in str(second.form["theme"])
    assert 'value="lavoro"' in str(second.form["q"]) and 'value="casa"' in str(first.form["q"])
    # What one form learns while checking a value (an unknown name) stays on that form.
    assert first.form.errors["partner"] and not second.form.errors
    assert first.form.fields["partner"].candidates == second.form.fields["partner"].candidates == []
    assert first.form.fields["partner"].widget.attrs is not second.form.fields["partner"].widget.attrs
