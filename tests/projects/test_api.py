"""The open-data API (/api/v1/, projects/api.py): its records, filters, errors and limits, each checked
against the OpenAPI document it publishes."""

import datetime as dt
import json
import re
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from drf_spectacular.validation import validate_schema

from partners.models import Partner
from projects.exports import EXPORT_COLUMNS
from projects.filters import ProjectFilter
from projects.models import Funder, Municipality, Programme, Project
from projects.services import projects_publish
from tests.factories import (
    MARKER,
    make_full_project,
    make_funder,
    make_partner,
    make_programme,
    make_project,
    make_territory,
    municipality,
    word,
)
from tests.pages import content, export_json

pytestmark = pytest.mark.django_db

ENDPOINTS = ["projects", "partners", "funders", "programmes", "municipalities"]


@pytest.fixture(autouse=True)
def fresh_rate_limit():
    """The rate limit counts requests in the cache: each test starts with none counted."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def schema(client) -> dict:
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200, content(response)
    return response.json()


def response_schema(schema: dict, path: str, status: int) -> dict:
    """The schema the document publishes for this answer, with its components to resolve references."""
    operation = schema["paths"][path]["get"]
    answer = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    return {**answer, "components": schema["components"]}


def assert_matches(schema: dict, path: str, response) -> dict:
    """The response's body, checked against what the schema says this path answers with this status."""
    body = response.json()
    jsonschema.Draft202012Validator(response_schema(schema, path, response.status_code)).validate(body)
    return body


def get(client, path: str, params: dict | None = None, status: int = 200):
    response = client.get(path, params or {})
    assert response.status_code == status, content(response)
    assert response["Content-Type"] == "application/json"
    return response


def all_slugs(client, params: dict) -> list[str]:
    """Slugs of every project the API lists for these parameters, page after page, in order; the count every page
    gives (the facets' bitmaps count, not the query) is checked against them."""
    slugs, counts, page = [], set(), 1
    while True:
        body = get(client, "/api/v1/projects/", {**params, "page_size": 100, "page": page}).json()
        slugs += [record["slug"] for record in body["results"]]
        counts.add(body["count"])
        if not body["next"]:
            assert counts == {len(slugs)}
            return slugs
        page += 1


def filterset_slugs(params: dict) -> list[str]:
    project_filter = ProjectFilter(params, queryset=Project.objects.published())
    assert project_filter.is_valid(), project_filter.errors
    return list(project_filter.qs.values_list("slug", flat=True))


# --- The schema ------------------------------------------------------------------------------


def test_the_schema_is_a_valid_openapi_document(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.1")


def test_the_schema_describes_every_endpoint_and_its_records(schema):
    paths = {path for path in schema["paths"]}
    assert {f"/api/v1/{name}/" for name in ENDPOINTS} <= paths
    assert {"/api/v1/projects/{slug}/", "/api/v1/municipalities/{istat_code}/"} <= paths
    records = schema["components"]["schemas"]
    assert list(records["Project"]["properties"]) == EXPORT_COLUMNS
    assert set(records["Project"]["required"]) == set(EXPORT_COLUMNS)
    assert set(records["Municipality"]["properties"]) == {"istat_code", "name", "province_code", "region_name"}


def test_the_schema_documents_every_project_filter(schema):
    parameters = {p["name"] for p in schema["paths"]["/api/v1/projects/"]["get"]["parameters"]}
    assert parameters == {*ProjectFilter.base_filters, "page", "page_size"}


def test_the_schema_can_be_read_as_yaml(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert content(response).startswith("openapi: 3.1")


# --- Projects --------------------------------------------------------------------------------


def test_project_list_is_paginated_with_count_and_links(client, schema):
    for _ in range(3):
        make_project()
    response = get(client, "/api/v1/projects/", {"page_size": 2})
    body = assert_matches(schema, "/api/v1/projects/", response)
    assert body["count"] == Project.objects.published().count()
    assert len(body["results"]) == 2 and body["previous"] is None
    assert "page=2" in body["next"] and "page_size=2" in body["next"]
    second = get(client, "/api/v1/projects/", {"page_size": 2, "page": 2}).json()
    assert "page_size=2" in second["previous"]
    assert not {r["slug"] for r in body["results"]} & {r["slug"] for r in second["results"]}


def test_project_list_gives_20_records_a_page_unless_asked(client):
    for _ in range(21 - Project.objects.published().count()):
        make_project()
    assert len(get(client, "/api/v1/projects/").json()["results"]) == 20
    assert len(get(client, "/api/v1/projects/", {"page_size": 100}).json()["results"]) == (
        Project.objects.published().count()
    )


def test_project_records_are_the_json_exports_records(client, schema):
    tag = word()
    project = make_full_project(title=f"{MARKER} Api {tag}", countries=["FR"], website="https://example.org/a")
    response = get(client, "/api/v1/projects/", {"q": tag})
    body = assert_matches(schema, "/api/v1/projects/", response)
    assert [record["slug"] for record in body["results"]] == [project.slug]
    assert body["results"] == export_json(client, {"q": tag})
    assert list(body["results"][0]) == EXPORT_COLUMNS


def test_project_records_kept_for_a_page_follow_every_change_to_the_index(client, settings):
    settings.LIST_CACHE_SECONDS = 600
    cache.clear()
    tag = word()
    project = make_full_project(title=f"{MARKER} Api {tag}")
    assert get(client, "/api/v1/projects/", {"q": tag}).json()["results"][0]["title"] == project.title
    funder = project.funders.get()
    funder.name = f"{funder.name} rinominato"
    funder.save()  # reindexes the projects that name it
    record = get(client, "/api/v1/projects/", {"q": tag}).json()["results"][0]
    assert funder.name in record["funders"]
    territory = project.territories.first()
    territory.basis, territory.note = "inferred", "Provincia presa per intero."
    territory.save()  # what the records show of a territory, not only its name, moves the stamp for its projects
    details = get(client, "/api/v1/projects/", {"q": tag}).json()["results"][0]["territory_details"]
    assert [(d["basis"], d["note"]) for d in details] == [("inferred", "Provincia presa per intero.")]
    projects_publish(projects=Project.objects.filter(pk=project.pk), published=False)
    assert get(client, "/api/v1/projects/", {"q": tag}).json()["results"] == []


def test_project_detail_is_the_exports_record(client, schema):
    tag = word()
    project = make_full_project(title=f"{MARKER} Api {tag}")
    response = get(client, f"/api/v1/projects/{project.slug}/")
    assert assert_matches(schema, "/api/v1/projects/{slug}/", response) == export_json(client, {"q": tag})[0]


def test_a_record_with_every_key_filled_matches_the_schema(client, schema):
    tag = word()
    lead, member = make_partner(), make_partner()
    project = make_full_project(
        title=f"{MARKER} Api {tag}",
        lead=lead,
        members=[member],
        units={lead: "Assessorato alla Casa"},
        inferred={member: "Un hashtag."},
        programmes=[
            make_programme(parent=make_programme(funders=[make_funder()], funders_inferred_because="Lettura."))
        ],
        territories=[make_territory(municipalities=[municipality("Asti", "AT")], basis="partial", note="Nota.")],
        target_groups_indirect=["local_community"],
        kind="network",
        application_year=2020,
        general_objective="Obiettivo.",
        specific_objectives="Uno\nDue",
        activities="Fase 1",
        beneficiaries="Famiglie",
        people_reached="40 persone",
        related=[make_project()],
    )
    for path in ("/api/v1/projects/", f"/api/v1/projects/{project.slug}/"):
        body = assert_matches(schema, path.replace(project.slug, "{slug}"), get(client, path, {"q": tag}))
        record = body["results"][0] if "results" in body else body
        assert record["slug"] == project.slug
        new_keys = EXPORT_COLUMNS[EXPORT_COLUMNS.index("kind") :]
        assert [key for key in new_keys if record[key] in ("", [], None)] == []
        assert [partner["role"] for partner in record["partners"]][-1] == "member"


def test_the_schema_describes_the_partners_territories_and_programme_funders_of_a_record(schema):
    records = schema["components"]["schemas"]
    assert set(records["ProjectPartner"]["properties"]) == {"name", "role", "unit", "inferred_because"}
    assert set(records["TerritoryDetail"]["properties"]) == {"name", "basis", "municipality_count", "note"}
    assert set(records["ProgrammeFunder"]["properties"]) == {"name", "programme", "because"}


def test_every_seed_project_matches_the_schema(client, schema):
    response = get(client, "/api/v1/projects/", {"page_size": 100})
    assert assert_matches(schema, "/api/v1/projects/", response)["count"] > 0


@pytest.fixture
def two_projects():
    """Two published projects that differ in everything a filter reads: the first is the one to find."""
    this_year = dt.date.today().year
    programme = make_programme(parent=make_programme())
    wanted = make_project(
        title=f"{MARKER} Wanted {word()}",
        lead=make_partner(),
        partners=[make_partner()],
        funders=[make_funder()],
        programmes=[programme],
        territories=[make_territory(municipalities=[municipality("Asti", "AT")])],
        countries=["FR"],
        themes=["housing"],
        target_groups=["refugees"],
        start=dt.date(this_year - 1, 1, 1),
        end=dt.date(this_year + 5, 12, 31),
    )
    other = make_project(
        title=f"{MARKER} Other {word()}",
        lead=make_partner(),
        funders=[make_funder()],
        programmes=[make_programme()],
        territories=[make_territory(municipalities=[municipality("Milano", "MI")])],
        countries=["ES"],
        themes=["health"],
        target_groups=["neet"],
        start=dt.date(2001, 1, 1),
        end=dt.date(2002, 12, 31),
    )
    return wanted, other


FILTERS = {
    "q": lambda p: p.title.split()[-1],
    "funder": lambda p: p.funders.get().slug,
    "programme": lambda p: p.programmes.get().parent.slug,  # a programme finds the projects of its calls
    "partner": lambda p: p.participations.get(role="partner").partner.slug,
    "lead_partner": lambda p: p.participations.get(role="lead").partner.slug,
    "region": lambda p: municipality("Asti", "AT").region_code,
    "province": lambda p: "AT",
    "municipality": lambda p: municipality("Asti", "AT").istat_code,
    "country": lambda p: "FR",
    "theme": lambda p: "housing",
    "target_group": lambda p: "refugees",
    "status": lambda p: "active",
    "year": lambda p: str(dt.date.today().year + 3),
}


@pytest.mark.parametrize("name", FILTERS)
def test_each_project_filter_narrows_the_list_as_the_list_page_does(client, two_projects, name):
    wanted, other = two_projects
    params = {name: FILTERS[name](wanted)}
    slugs = all_slugs(client, params)
    assert wanted.slug in slugs and other.slug not in slugs
    assert slugs == filterset_slugs(params)


def test_project_filters_combine(client, two_projects):
    wanted, other = two_projects
    params = {"province": "AT", "theme": "housing", "status": "active"}
    assert wanted.slug in all_slugs(client, params)
    assert all_slugs(client, {**params, "theme": "health"}) == filterset_slugs({**params, "theme": "health"})


@pytest.mark.parametrize("sort", ["title", "-title", "start", "-start", "end", "-end"])
def test_project_list_sorts_as_the_list_page_does(client, two_projects, sort):
    assert all_slugs(client, {"sort": sort}) == filterset_slugs({"sort": sort})


def test_project_list_pages_do_not_overlap_when_titles_tie(client):
    title = f"{MARKER} Same {word()}"
    made = {make_project(title=title).slug for _ in range(5)}
    pages = [get(client, "/api/v1/projects/", {"q": title, "page_size": 2, "page": n}).json() for n in (1, 2, 3)]
    assert sorted(record["slug"] for page in pages for record in page["results"]) == sorted(made)


def test_project_list_costs_the_same_queries_for_2_or_40_records_a_page(client):
    for _ in range(40):
        make_full_project()

    def queries(page_size: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            body = get(client, "/api/v1/projects/", {"page_size": page_size}).json()
        assert len(body["results"]) == page_size
        return len(captured)

    # The count comes from the facets' bitmaps, read once per process after the index changed (as here, by the
    # projects just made): that first reading is the same whatever the page's size, and counted by neither.
    get(client, "/api/v1/projects/", {"page_size": 1})
    assert queries(2) == queries(40) <= 12


# --- Drafts ----------------------------------------------------------------------------------


@pytest.fixture
def draft():
    """A draft whose organisation, funder, programme (and the programme above it) and municipality
    nothing published names."""
    untouched = Municipality.objects.exclude(territories__projects__is_published=True).order_by("pk").first()
    return make_project(
        title=f"{MARKER} Draft {word()}",
        published=False,
        lead=make_partner(),
        funders=[make_funder()],
        programmes=[make_programme(parent=make_programme())],
        territories=[make_territory(municipalities=[untouched])],
    )


def test_a_draft_is_in_no_list_and_has_no_page(client, draft):
    assert draft.slug not in all_slugs(client, {})
    assert draft.slug not in all_slugs(client, {"q": draft.title.split()[-1]})
    get(client, f"/api/v1/projects/{draft.slug}/", status=404)


def test_what_only_drafts_name_is_in_no_list_and_has_no_page(client, draft):
    programme = draft.programmes.get()
    hidden = {
        "partners": draft.participations.get().partner.slug,
        "funders": draft.funders.get().slug,
        "programmes": programme.slug,
        "municipalities": draft.territories.get().municipalities.get().istat_code,
    }
    hidden_parent = programme.parent.slug
    for endpoint, key in hidden.items():
        records = get(client, f"/api/v1/{endpoint}/", {"page_size": 100}).json()
        pages = [records]
        while pages[-1]["next"]:
            pages.append(client.get(pages[-1]["next"]).json())
        keys = {record.get("slug") or record.get("istat_code") for page in pages for record in page["results"]}
        assert key not in keys, endpoint
        get(client, f"/api/v1/{endpoint}/{key}/", status=404)
    get(client, f"/api/v1/programmes/{hidden_parent}/", status=404)


def test_publishing_a_project_shows_what_it_names(client, draft):
    projects_publish(projects=Project.objects.filter(pk=draft.pk), published=True)
    get(client, f"/api/v1/partners/{draft.participations.get().partner.slug}/")
    get(client, f"/api/v1/programmes/{draft.programmes.get().parent.slug}/")


# --- Organisations, funders, programmes --------------------------------------------------------


def test_partner_records_match_the_schema(client, schema):
    partner = make_partner(other_names="FXA\nAltro nome", kind="third_sector", city="Asti")
    make_project(lead=partner)
    body = assert_matches(schema, "/api/v1/partners/{slug}/", get(client, f"/api/v1/partners/{partner.slug}/"))
    assert body["other_names"] == ["FXA", "Altro nome"] and body["kind"] == "third_sector"
    assert_matches(schema, "/api/v1/partners/", get(client, "/api/v1/partners/", {"page_size": 100}))


def test_partners_are_found_by_part_of_their_name_or_another_name(client):
    tag = word()
    by_name = make_partner(name=f"{MARKER} Cooperativa {tag}")
    by_other_name = make_partner(other_names=f"ACR{tag}")
    make_project(lead=by_name, partners=[by_other_name, make_partner()])
    found = [r["slug"] for r in get(client, "/api/v1/partners/", {"q": tag.upper()}).json()["results"]]
    assert sorted(found) == sorted([by_name.slug, by_other_name.slug])


def test_partners_by_role_in_published_projects(client):
    lead, member = make_partner(), make_partner()
    make_project(lead=lead, partners=[member])
    make_project(published=False, lead=member)  # a draft's lead is not a lead to the public
    leads = [r["slug"] for r in get(client, "/api/v1/partners/", {"role": "lead", "page_size": 100}).json()["results"]]
    assert lead.slug in leads and member.slug not in leads


def test_partner_list_reads_roles_once_per_organisation(client):
    partner = make_partner()
    make_project(lead=partner)
    make_project(partners=[partner])
    slugs = [r["slug"] for r in get(client, "/api/v1/partners/", {"page_size": 100}).json()["results"]]
    assert slugs.count(partner.slug) == 1


def test_a_funder_is_listed_when_it_runs_a_programme_of_a_published_project(client, schema):
    funder = make_funder()
    make_project(programmes=[make_programme(parent=make_programme(funders=[funder]))])
    body = assert_matches(schema, "/api/v1/funders/", get(client, "/api/v1/funders/", {"page_size": 100}))
    assert funder.slug in [record["slug"] for record in body["results"]]
    assert_matches(schema, "/api/v1/funders/{slug}/", get(client, f"/api/v1/funders/{funder.slug}/"))


def test_programme_records_name_their_parent_and_funders(client, schema):
    funder = make_funder()
    parent = make_programme()
    call = make_programme(parent=parent, funders=[funder], kind="call")
    make_project(programmes=[call])
    response = get(client, f"/api/v1/programmes/{call.slug}/")
    body = assert_matches(schema, "/api/v1/programmes/{slug}/", response)
    assert (body["parent"], body["funders"], body["kind"]) == (parent.slug, [funder.slug], "call")
    parent_body = get(client, f"/api/v1/programmes/{parent.slug}/").json()
    assert parent_body["parent"] is None
    assert_matches(schema, "/api/v1/programmes/", get(client, "/api/v1/programmes/", {"page_size": 100}))


# --- Municipalities --------------------------------------------------------------------------


@pytest.fixture
def in_cantu_and_santantonino():
    places = [municipality("Cantù", "CO"), Municipality.objects.get(name="Sant'Antonino di Susa")]
    make_project(territories=[make_territory(municipalities=places)])
    return places


def test_municipalities_are_found_by_the_beginning_of_their_name_whatever_the_case_and_accents(
    client, schema, in_cantu_and_santantonino
):
    cantu, santantonino = in_cantu_and_santantonino
    for typed, expected in [("cantu", cantu), ("CANTÙ", cantu), ("Cant", cantu), ("sant antonino", santantonino)]:
        response = get(client, "/api/v1/municipalities/", {"q": typed})
        body = assert_matches(schema, "/api/v1/municipalities/", response)
        assert expected.istat_code in [record["istat_code"] for record in body["results"]], typed
    assert get(client, "/api/v1/municipalities/", {"q": "antù"}).json()["count"] == 0  # not the beginning


def test_municipality_records_are_small(client, in_cantu_and_santantonino):
    cantu = in_cantu_and_santantonino[0]
    assert get(client, f"/api/v1/municipalities/{cantu.istat_code}/").json() == {
        "istat_code": cantu.istat_code,
        "name": "Cantù",
        "province_code": "CO",
        "region_name": cantu.region_name,
    }


def test_municipalities_by_province_and_region(client, in_cantu_and_santantonino):
    cantu, santantonino = in_cantu_and_santantonino
    in_como = get(client, "/api/v1/municipalities/", {"province": "co", "page_size": 100}).json()["results"]
    assert cantu.istat_code in {r["istat_code"] for r in in_como} and {r["province_code"] for r in in_como} == {"CO"}
    for region, found in [(santantonino.region_code, {santantonino.istat_code}), (cantu.region_code, set())]:
        params = {"region": region, "q": "sant antonino"}
        assert {r["istat_code"] for r in get(client, "/api/v1/municipalities/", params).json()["results"]} == found


def test_municipalities_are_those_published_projects_work_in(client):
    listed = set()
    page = get(client, "/api/v1/municipalities/", {"page_size": 100}).json()
    listed.update(r["istat_code"] for r in page["results"])
    while page["next"]:
        page = client.get(page["next"]).json()
        listed.update(r["istat_code"] for r in page["results"])
    expected = set(
        Municipality.objects.filter(territories__projects__is_published=True).values_list("istat_code", flat=True)
    )
    assert listed == expected and len(listed) == page["count"]


# --- Errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, params, field",
    [
        ("/api/v1/projects/", {"year": "duemila"}, "year"),
        ("/api/v1/projects/", {"status": "finished"}, "status"),
        ("/api/v1/projects/", {"theme": "cooking"}, "theme"),
        ("/api/v1/projects/", {"sort": "budget"}, "sort"),
        ("/api/v1/projects/", {"region": "Piemonte"}, "region"),
        ("/api/v1/projects/", {"page_size": "500"}, "page_size"),
        ("/api/v1/projects/", {"page_size": "0"}, "page_size"),
        ("/api/v1/projects/", {"page": "two"}, "page"),
        ("/api/v1/partners/", {"kind": "club"}, "kind"),
        ("/api/v1/municipalities/", {"province": "Asti"}, "province"),
        ("/api/v1/municipalities/", {"region": "1"}, "region"),
    ],
)
def test_a_parameter_that_cannot_be_read_is_a_400_naming_it(client, schema, path, params, field):
    body = assert_matches(schema, path, get(client, path, params, status=400))
    assert list(body) == [field] and body[field] and all(message.strip() for message in body[field])


def test_a_page_past_the_last_is_a_404_that_says_so(client, schema):
    response = get(client, "/api/v1/projects/", {"page": 999}, status=404)
    assert assert_matches(schema, "/api/v1/projects/", response) == {
        "detail": "There is no page 999 of these results."
    }


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_an_unknown_key_is_a_404_that_says_so(client, schema, endpoint):
    key = "000000" if endpoint == "municipalities" else "no-such-record"
    detail_path = next(path for path in schema["paths"] if path.startswith(f"/api/v1/{endpoint}/{{"))
    body = assert_matches(schema, detail_path, get(client, f"/api/v1/{endpoint}/{key}/", status=404))
    assert body["detail"].startswith(("There is no published", "No published project"))


def test_errors_are_in_italian_by_default(db):
    response = Client().get("/api/v1/projects/no-such-record/")
    assert response.json() == {"detail": "Non c'è alcun progetto pubblicato con questo slug."}


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_anything_but_get_is_a_405(client, method):
    project = make_project()
    for path in ("/api/v1/projects/", f"/api/v1/projects/{project.slug}/"):
        response = getattr(client, method)(path, data={}, content_type="application/json")
        assert response.status_code == 405, (method, path)
        assert "detail" in response.json()


def test_head_is_answered_as_get(client):
    assert client.head("/api/v1/projects/").status_code == 200


def test_other_sites_may_read_the_api_from_a_browser(client):
    assert get(client, "/api/v1/projects/")["Access-Control-Allow-Origin"] == "*"


# --- Rate limit ------------------------------------------------------------------------------


def test_too_many_requests_from_one_address_are_refused_with_a_429(client, schema, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"}}
    cache.clear()  # the schema's request is counted too
    for _ in range(3):
        get(client, "/api/v1/municipalities/", {"q": "ast"})
    response = get(client, "/api/v1/projects/", status=429)
    assert int(response["Retry-After"]) > 0
    assert "detail" in assert_matches(schema, "/api/v1/projects/", response)
    other_address = client.get("/api/v1/projects/", REMOTE_ADDR="192.0.2.7")
    assert other_address.status_code == 200


def test_the_forwarded_for_header_does_not_change_the_address_counted(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "1/minute"}}
    get(client, "/api/v1/funders/")
    assert client.get("/api/v1/funders/", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 429


def test_behind_a_proxy_each_forwarded_client_is_counted_on_its_own(client, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"anon": "1/minute"}}
    settings.PROXY_COUNT = 1
    cache.clear()
    first, second = "198.51.100.9", "198.51.100.10"
    assert client.get("/api/v1/funders/", HTTP_X_FORWARDED_FOR=first).status_code == 200
    assert client.get("/api/v1/funders/", HTTP_X_FORWARDED_FOR=f"6.6.6.6, {first}").status_code == 429
    assert client.get("/api/v1/funders/", HTTP_X_FORWARDED_FOR=second).status_code == 200


def test_the_rate_comes_from_the_settings():
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"]
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"] == ["registry.api.AnonymousRateThrottle"]


# --- The reference page ----------------------------------------------------------------------


def test_the_reference_page_uses_only_this_sites_files(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = content(response)
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(url.startswith(("/static/", "/api/v1/")) for url in urls), urls
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html  # every script is a file of its own
    for url in urls:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url


def test_the_reference_page_script_loads_the_local_schema(client):
    html = content(client.get("/api/v1/docs/"))
    script_url = re.search(r'<script src="(/api/v1/docs/\?[^"]*script[^"]*)"', html).group(1)
    script = client.get(script_url.replace("&amp;", "&"))
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/v1/schema/"' in content(script)
    assert '"validatorUrl": null' in content(script)  # no badge fetched from swagger.io


def test_the_reference_pages_files_are_collected_with_the_sites_static_files():
    manifest = json.loads((Path(settings.STATIC_ROOT) / "staticfiles.json").read_text())["paths"]
    hashed = manifest["drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"]
    assert (Path(settings.STATIC_ROOT) / hashed).is_file()


def test_the_api_root_leads_to_the_reference_page(client):
    response = client.get("/api/v1/")
    assert (response.status_code, response["Location"]) == (302, "/api/v1/docs/")


def test_every_page_links_to_the_api_reference(client):
    project = make_project()
    assert 'href="/api/v1/docs/"' in content(client.get(f"/projects/{project.slug}/"))


def all_keys(client, endpoint: str, key: str = "slug") -> set[str]:
    page = get(client, f"/api/v1/{endpoint}/", {"page_size": 100}).json()
    keys = {record[key] for record in page["results"]}
    while page["next"]:
        page = client.get(page["next"]).json()
        keys.update(record[key] for record in page["results"])
    return keys


@pytest.mark.parametrize(
    "endpoint, published",
    [
        # What the projects say, not the index the API and the site read (it must agree with them).
        ("partners", lambda: Partner.objects.filter(participations__project__is_published=True).distinct()),
        ("funders", lambda: Funder.objects.with_published_projects()),
        ("programmes", lambda: Programme.objects.with_published_projects()),
    ],
)
def test_each_list_is_what_published_projects_name(client, draft, endpoint, published):
    make_project(programmes=[make_programme(parent=make_programme(funders=[make_funder()]))], lead=make_partner())
    assert all_keys(client, endpoint) == set(published().values_list("slug", flat=True))
