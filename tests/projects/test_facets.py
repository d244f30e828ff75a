"""Facet counts (projects/facets.py): each count is exactly what choosing it would give."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.facets import facet_counts
from projects.filters import ProjectFilter
from projects.models import FacetCount, Project, ProjectFacet, ProjectSearch
from tests.factories import make_full_project, make_funder, make_partner, make_programme, make_project
from tests.pages import content

pytestmark = pytest.mark.django_db


def published_filter(params: dict) -> ProjectFilter:
    project_filter = ProjectFilter(params or None, queryset=Project.objects.published())
    assert not project_filter.is_bound or project_filter.is_valid(), project_filter.form.errors
    return project_filter


def filtered_count(params: dict) -> int:
    return published_filter(params).qs.count()


@pytest.fixture
def varied():
    """Projects of the seed, plus some crossing funders, programmes, places, themes and periods."""
    funder = make_funder()
    call = make_programme(parent=make_programme(funders=[funder]))
    lead = make_partner()
    for index in range(4):
        make_full_project(
            lead=lead if index % 2 else make_partner(),
            programmes=[call] if index < 3 else [],
            funders=[funder] if index == 3 else [],
            themes=["housing"] if index % 2 else ["work_training", "health"],
            period=["2019 - 2021", "Maggio 2024 - Dicembre 2026", "2026 - 2028", "marzo 2022"][index],
        )
    make_project(published=False, funders=[funder], themes=["housing"])
    return {"funder": funder.slug, "programme": call.slug, "lead_partner": lead.slug}


@pytest.mark.parametrize(
    "active",
    [
        {},
        {"theme": "housing"},
        {"region": "01"},
        {"theme": "housing", "status": "active"},
        {"q": "inclusione", "region": "01", "year": "2024"},
        {"funder": None},
        {"lead_partner": None, "theme": "housing"},
    ],
)
def test_every_count_is_what_choosing_it_gives(varied, active):
    active = {name: value or varied[name] for name, value in active.items()}
    facets = facet_counts(published_filter(active), typed=True)
    checked = 0
    for name, options in facets.options.items():
        for option in options:
            expected = filtered_count({**active, name: option.value}) if name not in ("status",) else None
            if name == "status":
                expected = published_filter({**active, name: option.value}).qs.with_status(option.value)
                expected = expected.count()
            assert option.count == expected, (name, option)
            checked += 1
    assert checked > 10


def test_choices_that_give_nothing_are_not_offered_but_the_chosen_one_stays(varied):
    facets = facet_counts(published_filter({"theme": "housing", "region": "01"}))
    for name, options in facets.options.items():
        assert all(option.count > 0 for option in options if option.value not in ("housing", "01")), name
    assert [o.value for o in facets.options["region"]].count("01") == 1


def test_the_list_shows_the_counts_in_its_choices(client, varied):
    html = content(client.get("/projects/", {"theme": "housing"}))
    housing = filtered_count({"theme": "housing"})
    funder_count = filtered_count({"theme": "housing", "funder": varied["funder"]})
    assert f'<option value="housing" selected>Housing ({housing})</option>' in html
    assert f'value="{varied["funder"]}">' in html and f"({funder_count})</option>" in html


def test_facets_cost_one_query_while_the_index_is_unchanged_and_one_per_typed_or_searched_filter(varied):
    facet_counts(published_filter({}))  # the bitmaps are read once
    for params, queries_expected in (
        ({}, 1),
        ({"theme": "housing", "region": "01", "year": "2024", "status": "closed"}, 1),
        ({"theme": "housing", "q": "inclusione"}, 2),
        ({"lead_partner": varied["lead_partner"]}, 3),  # its projects, and its label
    ):
        project_filter = published_filter(params)
        with CaptureQueriesContext(connection) as queries:
            facet_counts(project_filter)
        assert len(queries) == queries_expected, (params, [q["sql"][:80] for q in queries])


def test_a_change_to_the_index_is_counted_at_once(varied):
    before = {o.value: o.count for o in facet_counts(published_filter({})).options["theme"]}
    make_project(themes=["mediation"])
    after = {o.value: o.count for o in facet_counts(published_filter({})).options["theme"]}
    assert after["mediation"] == before.get("mediation", 0) + 1


def test_years_count_projects_active_in_them(varied):
    facets = facet_counts(published_filter({}))
    for option in facets.options["year"]:
        assert option.count == Project.objects.published().active_in(int(option.value)).count()


def index_state():
    return (
        sorted(ProjectFacet.objects.values_list("project_id", "facet", "value")),
        sorted(FacetCount.objects.values_list("facet", "value", "label", "count")),
    )


def test_reindex_projects_rebuilds_the_same_index(varied):
    before = index_state()
    ProjectFacet.objects.all().delete()
    FacetCount.objects.all().delete()
    call_command("reindex_projects", verbosity=0)
    assert index_state() == before and before[1]


def test_reindex_projects_missing_indexes_only_projects_never_indexed(varied):
    project = make_project(themes=["mediation"])
    ProjectSearch.objects.filter(project=project).delete()
    Project.objects.filter(pk=project.pk).first().facets.all().delete()
    call_command("reindex_projects", missing=True, verbosity=0)
    assert set(project.facets.values_list("facet", "value")) == {("theme", "mediation")}
    assert Project.objects.search(project.title).filter(pk=project.pk).exists()


# --- /api/v1/projects/facets/ -------------------------------------------------------------------


def test_the_facets_endpoint_gives_every_filter_with_exact_counts(client, varied):
    response = client.get("/api/v1/projects/facets/", {"theme": "housing", "region": "01"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "funder", "programme", "lead_partner", "region", "province", "country", "theme", "target_group", "status",
        "year",
    }  # fmt: skip
    for name, options in body.items():
        for option in options:
            assert set(option) == {"value", "label", "count"}
            params = {"theme": "housing", "region": "01", name: option["value"]}
            assert option["count"] == filtered_count(params), (name, option)


def test_the_facets_endpoint_answers_400_with_the_fields_errors(client):
    response = client.get("/api/v1/projects/facets/", {"year": "abc", "theme": "gardening"})
    assert response.status_code == 400
    assert set(response.json()) == {"year", "theme"}


def test_the_facets_endpoint_is_in_the_published_schema(client):
    schema = client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/projects/facets/"]["get"]
    assert {"theme", "q", "municipality"} <= {parameter["name"] for parameter in operation["parameters"]}
