"""Who an organisation works with: the collaborators query (partners/network.py) and its list on the page."""

import re
from collections import defaultdict

import pytest
from django.test import Client
from django.urls import clear_url_caches

from partners import network
from projects.models import Participation
from registry.enums import Role
from tests.factories import make_partner, make_project
from tests.pages import content, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_url_caches():
    """After a page read in English through the language cookie, the URL resolver's cache makes the next
    test's Italian addresses start with /it/: each test here leaves it empty, as it found it."""
    yield
    clear_url_caches()


def shared_projects_by_participations(partner) -> dict[int, set[int]]:
    """What the participations say, read one by one: each other organisation and the published projects it
    shares with `partner`."""
    mine = set(
        Participation.objects.filter(partner=partner, project__is_published=True).values_list("project", flat=True)
    )
    shared = defaultdict(set)
    for link in Participation.objects.filter(project__in=mine).exclude(partner=partner):
        shared[link.partner_id].add(link.project_id)
    return shared


def collaborators_section(client, partner) -> str:
    response = client.get(f"/partners/{partner.slug}/")
    assert response.status_code == 200
    found = re.search(r'<section class="collaborators".*?</section>', content(response), re.S)
    return found.group(0) if found else ""


def readable(html: str) -> str:
    """The section's text as it reads on screen: no space where a tag ended before a colon or a comma."""
    return re.sub(r" ([:,.])", r"\1", text_of(html))


def test_collaborators_and_their_counts_are_those_of_the_participations():
    centre, often, twice_in_one, once = make_partner(), make_partner(), make_partner(), make_partner()
    make_project(lead=centre, partners=[often, once])
    make_project(lead=often, partners=[centre, twice_in_one], supporting=[twice_in_one])
    make_project(partners=[often], supporting=[centre])
    found = network.collaborators(centre)
    expected = shared_projects_by_participations(centre)
    assert {item.partner.pk: item.shared for item in found.listed} == {pk: len(ids) for pk, ids in expected.items()}
    assert found.total == len(expected) == 3


def test_an_organisation_in_two_roles_of_one_project_counts_that_project_once():
    centre, other = make_partner(), make_partner()
    make_project(lead=centre, partners=[other], supporting=[other])
    make_project(partners=[centre], supporting=[centre, other])
    [item] = network.collaborators(centre).listed
    assert item.partner == other and item.shared == 2
    # Each role counted once per project, though the centre holds two roles in the second one.
    assert item.roles == [(Role.PARTNER.label, 1), (Role.SUPPORTING.label, 2)]


def test_drafts_do_not_make_collaborators():
    centre, published_only, draft_only = make_partner(), make_partner(), make_partner()
    make_project(lead=centre, partners=[published_only])
    make_project(lead=centre, partners=[draft_only, published_only], published=False)
    found = network.collaborators(centre)
    assert [(item.partner, item.shared) for item in found.listed] == [(published_only, 1)] and found.total == 1


def test_the_organisation_is_never_its_own_collaborator():
    centre, other = make_partner(), make_partner()
    make_project(lead=centre, partners=[centre, other])
    assert [item.partner for item in network.collaborators(centre).listed] == [other]


def test_collaborators_list_their_roles_in_the_shared_projects():
    centre, other = make_partner(), make_partner()
    make_project(lead=other, partners=[centre])
    make_project(lead=centre, partners=[other])
    make_project(lead=make_partner(), partners=[centre, other])
    make_project(lead=centre, supporting=[other])
    [item] = [item for item in network.collaborators(centre).listed if item.partner == other]
    assert item.roles == [(Role.LEAD.label, 1), (Role.PARTNER.label, 2), (Role.SUPPORTING.label, 1)]


def test_the_most_shared_come_first_and_the_list_stops_at_its_limit():
    centre = make_partner()
    others = [make_partner() for _ in range(5)]
    for times, other in enumerate(others, start=1):
        for _ in range(times):
            make_project(lead=centre, partners=[other])
    found = network.collaborators(centre, limit=3)
    assert [(item.partner, item.shared) for item in found.listed] == [(others[4], 5), (others[3], 4), (others[2], 3)]
    assert found.total == 5 and found.others == 2


def test_collaborators_with_as_many_shared_projects_are_listed_by_name():
    centre = make_partner()
    names = ["Fx Zeta collaboratore", "Fx Alfa collaboratore", "Fx Mu collaboratore"]
    make_project(lead=centre, partners=[make_partner(name) for name in names])
    assert [item.partner.name for item in network.collaborators(centre).listed] == sorted(names)


def test_the_collaborators_cost_the_same_queries_for_one_or_many(django_assert_num_queries):
    few, many = make_partner(), make_partner()
    make_project(lead=few, partners=[make_partner()])
    for _ in range(4):
        make_project(lead=many, partners=[make_partner(), make_partner()], supporting=[make_partner()])
    published = {partner: partner.published_project_ids() for partner in (few, many)}
    with django_assert_num_queries(2):
        assert len(network.collaborators(few, published=published[few]).listed) == 1
    with django_assert_num_queries(2):
        assert len(network.collaborators(many, published=published[many]).listed) == 12
    with django_assert_num_queries(3):  # the ids read first when they are not given
        assert len(network.collaborators(many).listed) == 12


# --- on the organisation's page --------------------------------------------------------------


def test_the_page_lists_each_collaborator_with_its_shared_projects_and_roles(client):
    centre, other = make_partner(), make_partner()
    make_project(lead=other, partners=[centre])
    make_project(lead=centre, partners=[other])
    text = readable(collaborators_section(client, centre))
    assert "1 organisation shares at least one published project with this one." in text
    assert f"{other.name}: 2 shared projects, as lead partner in 1, as partner in 1" in text


def test_the_page_lists_roles_in_italian_by_default():
    centre, other = make_partner(), make_partner()
    make_project(lead=other, partners=[centre])
    text = readable(collaborators_section(Client(), centre))
    assert f"{other.name}: 1 progetto in comune, come capofila in 1" in text


def test_the_page_says_how_many_collaborators_are_not_listed(client, monkeypatch):
    monkeypatch.setattr(network, "LISTED", 2)
    centre = make_partner()
    make_project(lead=centre, partners=[make_partner() for _ in range(5)])
    section = collaborators_section(client, centre)
    assert len(re.findall(r'<li><a href="[^"]*/partners/', section)) == 2
    assert "5 organisations share" in text_of(section) and "…and 3 other organisations." in text_of(section)


def test_collaborator_names_are_marked_as_italian_on_english_pages(client):
    centre, other = make_partner(), make_partner()
    make_project(lead=centre, partners=[other])
    section = collaborators_section(client, centre)
    assert re.search(rf'<li><a href="[^"]*/partners/{other.slug}/" lang="it">{other.name}</a>', section)


def test_the_page_costs_the_same_queries_for_one_or_many_collaborators(
    client, django_assert_max_num_queries, django_assert_num_queries
):
    few, many = make_partner(), make_partner()
    make_project(lead=few, partners=[make_partner()])
    for _ in range(6):
        make_project(lead=many, partners=[make_partner(), make_partner()])
    client.get(f"/partners/{few.slug}/")
    with django_assert_max_num_queries(12) as one:
        client.get(f"/partners/{few.slug}/")
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(f"/partners/{many.slug}/")
