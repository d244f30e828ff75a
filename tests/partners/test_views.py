"""/partners/ and /partners/<slug>/ (partners/views.py, partners/filters.py)."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Project
from projects.services import projects_publish
from tests.factories import MARKER, make_partner, make_project, word
from tests.pages import content, text_of

pytestmark = pytest.mark.django_db


def partner_page(client, partner) -> str:
    response = client.get(f"/partners/{partner.slug}/")
    assert response.status_code == 200
    return content(response)


def listed_partners(client, params: dict | None = None) -> list[str]:
    response = client.get("/partners/", params or {})
    assert response.status_code == 200
    return [row["name"] for row in response.context["rows"]]


@pytest.fixture(autouse=True)
def one_page(settings):
    settings.PROJECTS_PER_PAGE = 500


# --- one organisation ------------------------------------------------------------------------


def test_partner_page_shows_the_organisation(client):
    partner = make_partner(other_names="FXO\nAltro nome", city="Reggio Emilia", country="IT", kind="public_body")
    make_project(partners=[partner])
    page = text_of(partner_page(client, partner))
    assert (
        f"{partner.name}" in page
        and "Also known as FXO, Altro nome" in page
        and "Where Reggio Emilia" in page
        and "Kind Public body" in page
    )


def test_partner_page_lists_its_published_projects_under_each_role(client):
    partner = make_partner()
    led, joined, supported = (
        make_project(lead=partner),
        make_project(partners=[partner]),
        make_project(supporting=[partner]),
    )
    html = partner_page(client, partner)
    found = re.findall(r'<section><h3>(.*?) <span class="muted">\((\d+)\)</span></h3>\s*<ul>(.*?)</ul>', html, re.S)
    groups = {role: items for role, _, items in found}
    assert [(role, count) for role, count, _ in found] == [
        ("Lead partner", "1"),
        ("Partner", "1"),
        ("Supporting body", "1"),
    ]
    assert [
        f'href="/projects/{p.slug}/"' in groups[role]
        for role, p in (("Lead partner", led), ("Partner", joined), ("Supporting body", supported))
    ] == [True] * 3


def test_partner_page_counts_its_projects(client):
    partner = make_partner()
    make_project(lead=partner)
    make_project(partners=[partner])
    assert "<h2>2 projects</h2>" in partner_page(client, partner)


def test_partner_page_counts_a_project_once_and_each_of_its_roles_there(client):
    partner = make_partner()
    for _ in range(2):
        make_project(lead=partner)
    make_project(partners=[partner], supporting=[partner])
    for _ in range(2):
        make_project(supporting=[partner])
    for _ in range(4):
        make_project(members=[partner])
    make_project(supporting=[partner], published=False)
    html = partner_page(client, partner)
    assert "<h2>9 projects</h2>" in html
    counted = re.findall(r'<section><h3>(.*?) <span class="muted">\((\d+)\)</span></h3>', html)
    assert counted == [("Lead partner", "2"), ("Partner", "1"), ("Supporting body", "3"), ("Network member", "4")]


def test_partner_page_never_lists_a_draft(client):
    partner = make_partner()
    published, draft = make_project(partners=[partner]), make_project(partners=[partner], published=False)
    html = partner_page(client, partner)
    assert published.slug in html and draft.slug not in html and "<h2>1 project</h2>" in html


def test_partner_page_of_an_organisation_named_only_by_drafts_is_not_public(client):
    partner = make_partner()
    make_project(lead=partner, published=False)
    assert client.get(f"/partners/{partner.slug}/").status_code == 404


def test_partner_page_links_to_the_project_list_filtered_by_it(client):
    partner = make_partner()
    make_project(partners=[partner])
    assert f'href="/projects/?partner={partner.slug}"' in partner_page(client, partner)


def test_partner_page_shows_the_period_of_each_project_in_the_registrys_style_and_the_pages_language(client):
    partner = make_partner()
    make_project(partners=[partner], period="Ottobre 2018 - Marzo 2020")
    assert '<span class="muted">· October 2018 – March 2020</span>' in partner_page(client, partner)
    assert '<span class="muted">· ottobre 2018 – marzo 2020</span>' in content(
        client.get(f"/it/partners/{partner.slug}/")
    )


def test_unknown_partner_is_not_found(client):
    assert client.get("/partners/no-such-organisation-fx/").status_code == 404


def test_partner_page_costs_the_same_queries_for_one_or_many_projects(client, django_assert_max_num_queries):
    few, many = make_partner(), make_partner()
    make_project(lead=few, partners=[make_partner()])
    for _ in range(15):
        make_project(partners=[many, make_partner(), make_partner()], lead=make_partner())
    client.get(f"/partners/{few.slug}/")
    with django_assert_max_num_queries(10) as one:
        client.get(f"/partners/{few.slug}/")
    with django_assert_max_num_queries(len(one.captured_queries)) as fifteen:
        client.get(f"/partners/{many.slug}/")
    assert len(fifteen.captured_queries) == len(one.captured_queries)


# --- the list of organisations ---------------------------------------------------------------


def test_partner_list_shows_organisations_with_published_projects_only(client):
    active, drafts_only, idle = make_partner(), make_partner(), make_partner()
    make_project(partners=[active])
    make_project(partners=[drafts_only], published=False)
    shown = listed_partners(client)
    assert (active.name in shown, drafts_only.name in shown, idle.name in shown) == (True, False, False)


def test_an_organisation_leaves_the_list_when_its_only_published_project_is_withdrawn(client):
    partner, lead = make_partner(), make_partner()
    project = make_project(lead=lead, partners=[partner])
    assert {partner.name, lead.name} <= set(listed_partners(client))
    assert lead.name in listed_partners(client, {"role": "lead"})

    projects_publish(projects=Project.objects.filter(pk=project.pk), published=False)

    assert not {partner.name, lead.name} & set(listed_partners(client))
    assert lead.name not in listed_partners(client, {"role": "lead"})
    assert client.get(f"/partners/{partner.slug}/").status_code == 404


def test_lead_role_filter_lists_organisations_leading_a_published_project(client):
    lead, partner, draft_lead = make_partner(), make_partner(), make_partner()
    make_project(lead=lead, partners=[partner])
    make_project(lead=draft_lead, published=False)
    shown = [name for name in listed_partners(client, {"role": "lead"}) if name.startswith(MARKER)]
    assert shown == [lead.name]


@pytest.mark.parametrize("role", ["partner", "supporting", "member"])
def test_each_role_filter_lists_organisations_in_that_role_of_a_published_project_only(client, role):
    """What a role keeps, on the list and in the API: its organisations in a published project, not those in that
    role only in a draft (though public for another role in a published one), nor those in another role only."""
    in_role, draft_only, other_role, both = (make_partner(name=f"{MARKER} {word()}") for _ in range(4))
    plural = {"partner": "partners", "supporting": "supporting", "member": "members"}[role]
    other = "members" if role != "member" else "supporting"
    make_project(**{plural: [in_role, both]})
    make_project(published=False, **{plural: [draft_only, both]})
    make_project(**{other: [other_role, draft_only]})
    expected = sorted([in_role.name, both.name])
    assert sorted(name for name in listed_partners(client, {"role": role}) if name.startswith(MARKER)) == expected
    api = client.get("/api/v1/partners/", {"role": role, "page_size": 100}).json()["results"]
    assert sorted(r["name"] for r in api if r["name"].startswith(MARKER)) == expected
    # The draft's own organisation comes back once its project is published.
    projects_publish(projects=Project.objects.filter(participations__partner=draft_only), published=True)
    assert draft_only.name in listed_partners(client, {"role": role})


def test_lead_role_filter_is_titled_lead_partners(client):
    assert "<h1>Lead partners</h1>" in content(client.get("/partners/", {"role": "lead"}))


def test_partner_list_shows_how_many_projects_an_organisation_leads(client):
    lead = make_partner()
    make_project(lead=lead)
    make_project(lead=lead)
    make_project(partners=[lead])
    text = text_of(content(client.get("/partners/", {"q": lead.name})))
    assert "3 projects · leads 2" in text


def test_partner_list_names_each_organisations_kind_in_the_pages_language(client):
    partner = make_partner(kind="public_body")
    make_project(partners=[partner])
    english = text_of(content(client.get("/partners/", {"q": partner.name})))
    italian = text_of(content(client.get("/it/partners/", {"q": partner.name})))
    assert "Public body · 1 project" in english and "Ente pubblico · 1 progetto" in italian


def test_partner_list_search_matches_other_names(client):
    acronym = word().upper()
    partner = make_partner(other_names=acronym)
    make_project(partners=[partner])
    assert listed_partners(client, {"q": acronym}) == [partner.name]


def test_partner_list_refuses_an_unknown_role_with_400(client):
    assert client.get("/partners/", {"role": "sponsor"}).status_code == 400


def test_partner_list_page_beyond_the_last_is_not_found(client):
    assert client.get("/partners/", {"page": "999"}).status_code == 404


def test_partner_list_page_that_is_not_a_number_answers_400(client):
    assert client.get("/partners/", {"page": "x"}).status_code == 400


def test_an_organisation_with_many_projects_has_its_list_paged(client, settings):
    settings.PROJECTS_PER_PAGE = 2  # four to a page
    partner = make_partner()
    for _ in range(5):
        make_project(partners=[partner])
    first, second = partner_page(client, partner), client.get(f"/partners/{partner.slug}/", {"page": 2})
    listed = re.compile(r'<li><a href="/projects/fx-')
    assert len(listed.findall(first)) == 4 and "<h2>5 projects</h2>" in first
    assert second.status_code == 200 and len(listed.findall(second.content.decode())) == 1


def test_an_organisations_page_is_kept_until_the_index_or_the_organisation_changes(client, settings):
    settings.LIST_CACHE_SECONDS = 600
    cache.clear()
    try:
        partner, other = make_partner(), make_partner()
        make_project(lead=partner, partners=[other])
        first = partner_page(client, partner)
        with CaptureQueriesContext(connection) as queries:
            again = partner_page(client, partner)
        # The organisation and the index's stamp, and nothing else: its projects and collaborators come from the cache.
        assert len(queries) == 2 and again == first
        # A collaborator renamed: the projects naming it are indexed again, and the page made anew.
        other.name = f"{other.name} Rinominata"
        other.save()
        assert other.name in partner_page(client, partner)
        # The organisation's own words, which no project's index reads.
        partner.description = f"Attiva dal 1998 {word()}"
        partner.save()
        assert partner.description in partner_page(client, partner)
        # A project published with it.
        joined = make_project(partners=[partner])
        assert joined.title in partner_page(client, partner)
    finally:
        cache.clear()


def test_the_organisations_list_is_kept_until_the_index_or_what_it_shows_of_an_organisation_changes(client, settings):
    settings.LIST_CACHE_SECONDS = 600
    cache.clear()
    try:
        partner = make_partner(name=f"{MARKER} {word()}", kind="third_sector")
        make_project(lead=partner)
        params = {"q": partner.name}
        first = content(client.get("/partners/", params))
        with CaptureQueriesContext(connection) as queries:
            again = content(client.get("/partners/", params))
        assert len(queries) == 1 and again == first  # the index's stamp alone
        partner.kind = "public_body"
        partner.save()
        assert '<span class="muted">Third-sector organisation · 1 project' in first
        assert '<span class="muted">Public body · 1 project' in content(client.get("/partners/", params))
        renamed = f"{partner.name} Rinominata"
        partner.name = renamed
        partner.save()
        assert renamed in content(client.get("/partners/", params))
    finally:
        cache.clear()
