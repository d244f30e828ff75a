"""The public list (/projects/) and detail (/projects/<slug>/) pages."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects.models import Participation, Project
from registry.enums import Role
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
from tests.pages import card_titles, content, listed_titles, section, text_of

pytestmark = pytest.mark.django_db


def detail(client, project) -> str:
    response = client.get(f"/projects/{project.slug}/")
    assert response.status_code == 200
    return content(response)


# --- list ------------------------------------------------------------------------------------


def test_list_counts_every_published_project(client):
    make_project()
    make_project(published=False)
    response = client.get("/projects/")
    assert response.context["result_count"] == Project.objects.filter(is_published=True).count()


def test_list_never_shows_a_draft_even_when_searched_for(client, settings):
    settings.PROJECTS_PER_PAGE = 1000
    tag = word()
    draft = make_project(title=f"{MARKER} {tag} draft", published=False)
    published = make_project(title=f"{MARKER} {tag} published")
    assert listed_titles(client, {"q": tag}) == [published.title]
    assert draft.title not in listed_titles(client)


def test_list_card_links_to_the_project_and_its_lead_partner(client):
    tag = word()
    lead = make_partner()
    project = make_project(title=f"{MARKER} {tag}", lead=lead)
    html = content(client.get("/projects/", {"q": tag}))
    assert f'<a href="/projects/{project.slug}/" lang="it">{project.title}</a>' in html
    assert f'<a href="/partners/{lead.slug}/">{lead.name}</a>' in html


def test_list_card_shows_period_status_funding_and_territory(client):
    tag = word()
    funder, programme = make_funder(), make_programme(short_name=f"Prog {tag}")
    territory = make_territory(municipalities=[municipality("Asti", "AT")])
    make_project(
        title=f"{MARKER} {tag}",
        period="2018 - 2019",
        funders=[funder],
        programmes=[programme],
        territories=[territory],
    )
    card = text_of(content(client.get("/projects/", {"q": tag})))
    for shown in (
        "Period 2018 – 2019",
        "Status Closed",
        f"Funding Prog {tag} · {funder.name}",
        f"Territory {territory.name}",
    ):
        assert shown in card


def test_list_card_shows_an_acronym_its_title_lacks_the_countries_and_the_themes_in_their_order(client):
    tag = word()
    make_project(title=f"{MARKER} {tag}", acronym="ZQX", countries=["IT", "FR"], themes=["health", "housing"])
    make_project(title=f"{MARKER} {tag} ZQY", acronym="ZQY")
    html = content(client.get("/projects/", {"q": tag}))
    assert '<span class="acronym" lang="it">(ZQX)</span>' in html and "(ZQY)" not in html
    card = text_of(html)
    assert "Countries IT, FR" in card
    assert "Housing Health" in card  # the vocabulary's order, not the order they were given in


def test_list_is_in_italian_at_its_plain_address(db):
    html = content(Client().get("/projects/"))
    assert "<h1>Progetti</h1>" in html


def test_list_is_in_english_under_en(db):
    assert "<h1>Projects</h1>" in content(Client().get("/en/projects/"))


def test_list_refuses_post(client):
    assert client.post("/projects/").status_code == 405


def make_busy_projects(count: int) -> None:
    """Published projects with several partners, programmes, funders, territories, themes and groups each."""
    asti, biella = municipality("Asti", "AT"), municipality("Biella", "BI")
    shared = [make_partner(), make_partner()]
    parent = make_programme(funders=[make_funder()])
    for _ in range(count):
        make_project(
            period="Maggio 2024 - Dicembre 2025",
            lead=make_partner(),
            partners=[*shared, make_partner()],
            supporting=[make_partner()],
            funders=[make_funder()],
            programmes=[make_programme(parent=parent, funders=[make_funder()]), make_programme()],
            territories=[make_territory(municipalities=[asti, biella]), make_territory(municipalities=[asti])],
            themes=["housing", "health"],
            target_groups=["refugees", "asylum_seekers"],
        )


def test_list_page_costs_the_same_queries_for_5_or_40_projects_a_page(client, settings, django_assert_max_num_queries):
    make_busy_projects(30)
    settings.PROJECTS_PER_PAGE = 5
    client.get("/projects/")  # first request of the test: fills Django's per-process caches
    with django_assert_max_num_queries(20) as small:
        response = client.get("/projects/")
    assert len(card_titles(content(response))) == 5
    settings.PROJECTS_PER_PAGE = 40
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get("/projects/")
    assert len(card_titles(content(response))) == 40
    assert len(large.captured_queries) == len(small.captured_queries)


def test_list_page_with_filters_costs_the_same_queries_for_5_or_40_projects_a_page(
    client, settings, django_assert_max_num_queries
):
    make_busy_projects(30)
    params = {"province": "BI", "theme": "housing", "sort": "-start"}
    settings.PROJECTS_PER_PAGE = 5
    client.get("/projects/", params)
    with django_assert_max_num_queries(20) as small:
        client.get("/projects/", params)
    settings.PROJECTS_PER_PAGE = 40
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get("/projects/", params)
    assert len(card_titles(content(response))) >= 30
    assert len(large.captured_queries) == len(small.captured_queries)


# --- detail ----------------------------------------------------------------------------------


def test_detail_shows_title_acronym_code_and_cup(client):
    project = make_project(acronym="FXA", code="PROG-9999", cup="H11J22000330005")
    page = text_of(detail(client, project))
    assert (
        f"{project.title}" in page
        and "Acronym: FXA" in page
        and "Project code: PROG-9999" in page
        and "CUP: H11J22000330005" in page
    )


def test_detail_groups_organisations_by_role_lead_first(client):
    lead, partner, supporter = make_partner(), make_partner(), make_partner()
    project = make_project(lead=lead, partners=[partner], supporting=[supporter])
    organisations = section(detail(client, project), "Organisations")
    headings = re.findall(r"<h3>(.*?)</h3>", organisations)
    assert headings == ["Lead partner", "Partner", "Supporting body"]


def test_detail_puts_each_organisation_under_its_role(client):
    lead, partner, supporter = make_partner(), make_partner(), make_partner()
    project = make_project(lead=lead, partners=[partner], supporting=[supporter])
    organisations = section(detail(client, project), "Organisations")
    groups = dict(re.findall(r"<h3>(.*?)</h3>\s*<ul class=\"partners\">(.*?)</ul>", organisations, re.S))
    assert [
        name in groups[role]
        for role, name in (("Lead partner", lead.name), ("Partner", partner.name), ("Supporting body", supporter.name))
    ] == [True] * 3
    assert partner.name not in groups["Lead partner"] + groups["Supporting body"]


def test_detail_links_each_organisation_to_its_page(client):
    partners = [make_partner(), make_partner()]
    project = make_project(partners=partners)
    html = detail(client, project)
    for partner in partners:
        assert f'<a href="/partners/{partner.slug}/">{partner.name}</a>' in html


def test_detail_shows_what_the_source_says_an_organisation_does(client):
    project = make_project(partners=[make_partner()])
    project.participations.update(description="Partner tecnico di supporto alla gestione amministrativa")
    assert "Partner tecnico di supporto alla gestione amministrativa" in detail(client, project)


def test_detail_says_when_the_sources_name_no_organisation(client):
    assert "The sources name no organisation." in detail(client, make_project())


def test_detail_groups_the_municipalities_of_a_territory_by_province(client):
    territory = make_territory(
        municipalities=[municipality("Canelli", "AT"), municipality("Asti", "AT"), municipality("Biella", "BI")]
    )
    where = section(detail(client, make_project(territories=[territory])), "Where")
    groups = re.findall(r"<summary>(.*?)</summary>\s*<ul class=\"municipalities\"[^>]*>(.*?)</ul>", where, re.S)
    shown = [(summary, re.findall(r">([^<]+)</a>", items)) for summary, items in groups]
    assert shown == [
        ("Asti (AT) — 2 municipalities", ["Asti", "Canelli"]),
        ("Biella (BI) — 1 municipality", ["Biella"]),
    ]


def test_detail_links_each_municipality_to_the_list_filtered_by_it(client):
    asti = municipality("Asti", "AT")
    html = detail(client, make_project(territories=[make_territory(municipalities=[asti])]))
    assert f'<a href="/projects/?municipality={asti.istat_code}">Asti</a>' in html


def test_detail_shows_the_territory_in_the_sources_words_but_never_the_editors_note(client):
    territory = make_territory(
        description="Biellese: 74 comuni, distribuiti in pianura e 5 valli",
        note="Provincia presa per intero.",
        municipalities=[municipality("Biella", "BI")],
    )
    where = section(detail(client, make_project(territories=[territory])), "Where")
    assert "Biellese: 74 comuni, distribuiti in pianura e 5 valli" in where and "Provincia presa" not in where


def test_detail_shows_the_countries_of_a_project_abroad(client):
    assert "<dt>Countries</dt><dd>FR, BE</dd>" in detail(client, make_project(countries=["FR", "BE"]))


def test_detail_shows_the_programmes_with_their_parent_and_funders(client):
    funder = make_funder()
    parent = make_programme(short_name="FX-PARENT")
    programme = make_programme(parent=parent, funders=[funder])
    funding = section(detail(client, make_project(programmes=[programme])), "Funding")
    assert f'<a href="/projects/?programme={programme.slug}" lang="it">{programme.name}</a>' in funding
    assert '(part of <span lang="it">FX-PARENT</span>)' in funding and funder.name in funding


def test_detail_links_the_funders_to_the_list_filtered_by_them(client):
    funder = make_funder()
    funding = section(detail(client, make_project(funders=[funder])), "Funding")
    assert f'<a href="/projects/?funder={funder.slug}">{funder.name}</a>' in funding


def test_detail_says_when_the_sources_do_not_say_who_funds_it(client):
    assert "The sources do not say who funds it." in detail(client, make_project())


def test_detail_writes_the_period_in_the_registry_style_whatever_the_source_wrote(client):
    html = detail(client, make_project(period="Maggio 2024 - Dicembre 2025"))
    assert "Period May 2024 – December 2025" in text_of(html) and "Maggio 2024 - Dicembre 2025" not in html


def test_detail_gives_the_dates_in_words_at_the_sources_precision_and_in_iso_for_machines(client):
    html = detail(client, make_project(period="2022 – febbraio 2023"))
    assert '<time datetime="2022">2022</time> – <time datetime="2023-02">February 2023</time>' in html
    assert ">2023-02<" not in html


def test_detail_says_when_the_period_is_not_stated(client):
    assert "<dt>Period</dt><dd>not stated in the sources" in detail(client, make_project())


def test_detail_shows_the_duration(client):
    assert "<dt>Duration</dt><dd>36 months</dd>" in detail(client, make_project(period="36 mesi (2025 – 2028)"))


def test_detail_shows_the_people_reached_as_the_source_says_it(client):
    html = detail(client, make_project(people_reached="80 famiglie"))
    assert '<dt>People reached</dt><dd lang="it">80 famiglie</dd>' in html


def test_detail_shows_its_sources(client):
    sources = [
        {"title": "Scheda del progetto", "url": "https://example.org/scheda", "accessed": "2026-01-31"},
        {"title": "Documento interno", "document": "sources/fx.txt"},
    ]
    block = section(detail(client, make_project(sources=sources)), "Sources")
    assert '<a href="https://example.org/scheda" rel="nofollow" lang="it">Scheda del progetto</a>' in block
    # The date in words; the document reference is the editors' and is never shown.
    assert "read on 31 January 2026" in block and "Documento interno" in block and "sources/fx.txt" not in block


def test_detail_links_related_projects(client):
    other = make_project(period="2022 – febbraio 2023")
    project = make_project(related=[other])
    related = section(detail(client, project), "Related projects")
    assert f'<a href="/projects/{other.slug}/" lang="it">{other.title}</a>' in related
    assert "(2022 – February 2023)" in related


def test_related_projects_are_related_both_ways(client):
    other = make_project()
    project = make_project(related=[other])
    assert f'<a href="/projects/{project.slug}/" lang="it">' in section(detail(client, other), "Related projects")


def test_detail_does_not_link_a_related_draft(client):
    draft = make_project(published=False)
    html = detail(client, make_project(related=[draft]))
    assert draft.slug not in html and "Related projects" not in html


def test_detail_of_a_draft_is_not_found(client):
    assert client.get(f"/projects/{make_project(published=False).slug}/").status_code == 404


def test_detail_of_an_unknown_slug_is_not_found(client):
    assert client.get("/projects/no-such-project-fx/").status_code == 404


def test_detail_page_costs_the_same_queries_for_a_small_and_a_large_project(client, django_assert_max_num_queries):
    small_project = make_full_project(related=[make_project()])
    large_project = make_full_project(
        partners=[make_partner() for _ in range(12)],
        supporting=[make_partner() for _ in range(6)],
        funders=[make_funder() for _ in range(3)],
        programmes=[make_programme(parent=make_programme(), funders=[make_funder()]) for _ in range(4)],
        territories=[
            make_territory(municipalities=[municipality("Asti", "AT"), municipality("Biella", "BI")]) for _ in range(5)
        ],
        related=[make_project(), make_project()],
    )
    client.get(small_project.get_absolute_url())
    with django_assert_max_num_queries(12) as small:
        client.get(small_project.get_absolute_url())
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = client.get(large_project.get_absolute_url())
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_the_list_is_read_from_the_cache_until_the_index_changes(db, settings):
    settings.LIST_CACHE_SECONDS = 600
    cache.clear()
    visitor = Client()  # the site as it runs: Italian at the plain address, English under /en/
    try:
        tag = word()
        first = make_project(title=f"{MARKER} {tag}")
        assert card_titles(content(visitor.get("/projects/", {"q": tag}))) == [first.title]
        with CaptureQueriesContext(connection) as queries:
            again = content(visitor.get("/projects/", {"q": tag}))
        # The index stamp, and nothing else: the results and counts come from the cache.
        assert len(queries) == 1 and card_titles(again) == [first.title]
        # Each language's page is kept on its own, with the link to the same page in the other language.
        english = content(visitor.get("/en/projects/", {"q": tag}))
        with CaptureQueriesContext(connection) as queries:
            english_again = content(visitor.get("/en/projects/", {"q": tag}))
        assert len(queries) == 1 and english_again == english
        assert '<html lang="it">' in again and f'<a href="/en/projects/?q={tag}" hreflang="en"' in again
        assert '<html lang="en">' in english and f'<a href="/projects/?q={tag}" hreflang="it"' in english
        second = make_project(title=f"{MARKER} {tag} bis")
        assert card_titles(content(visitor.get("/projects/", {"q": tag}))) == [first.title, second.title]
    finally:
        cache.clear()


@pytest.mark.parametrize("sort", ["", "title", "-title", "start", "-end"])
def test_a_short_list_read_by_the_ids_the_facets_know_is_the_list_the_filters_select(client, monkeypatch, sort):
    tag = word()
    for index, period in enumerate(["2019 - 2021", "2024 - 2026", "", "2020", "2024 - 2026"]):
        make_project(title=f"{MARKER} {tag} {'BA'[index % 2]}", period=period or None, themes=["housing"])
    params = {"q": tag, "theme": "housing", "sort": sort}
    by_ids = listed_titles(client, params)
    monkeypatch.setattr("projects.views.READ_BY_IDS_AT_MOST", 0)  # the filters' own conditions
    assert listed_titles(client, params) == by_ids
    assert len(by_ids) == 5


def test_the_filters_in_use_are_named_by_their_labels_and_each_can_be_removed(client):
    tag = word()
    make_project(title=f"{MARKER} {tag}", themes=["housing"])
    html = content(client.get("/projects/", {"q": tag, "theme": "housing"}))
    in_use = re.search(r'<ul class="active-filters"[^>]*>(.*?)</ul>', html, re.S)[1]
    assert "<span>Theme:</span> Housing" in in_use and "housing <a" not in in_use
    assert f'href="?q={tag}"' in in_use  # removing the theme keeps the words


# --- what the sources say, and what the registry reads into them -----------------------------------


def test_the_page_says_what_kind_of_initiative_a_record_is_and_its_card_too(client):
    network = make_project(f"{MARKER} Rete {word()}", kind="network")
    page = text_of(content(client.get(network.get_absolute_url())))
    assert "Network or charter" in page
    listing = content(client.get("/projects/", {"q": network.title.split()[-1]}))
    assert re.search(r'<p class="kind">Network or charter</p>\s*<h2><a [^>]*>' + re.escape(network.title), listing)


def test_the_page_shows_a_roles_unit_and_marks_what_the_registry_inferred(client):
    stated, deduced = make_partner(), make_partner()
    programme = make_programme(
        funders=[make_funder()], funders_inferred_because="Il FAMI è un fondo UE e del Viminale."
    )
    territory = make_territory(
        municipalities=[municipality("Asti", "AT"), municipality("Biella", "BI")],
        basis="inferred",
        note="Province prese per intero: la scheda dice «Astigiano».",
    )
    project = make_project(programmes=[programme], territories=[territory])
    Participation.objects.create(project=project, partner=stated, role=Role.PARTNER, unit="Assessorato alla Casa")
    Participation.objects.create(
        project=project, partner=deduced, role=Role.LEAD, inferred_because="Dall'hashtag #ComuneDiMilano."
    )
    page = text_of(content(client.get(project.get_absolute_url())))
    assert f"{stated.name} – Assessorato alla Casa" in page
    assert "The registry's reading, not stated by the sources: Dall'hashtag #ComuneDiMilano." in page
    assert "Funders named by the registry, not by the sources: Il FAMI è un fondo UE e del Viminale." in page
    assert "2 municipalities: the list is the registry's reading of the source, which does not name them." in page
    assert "Province prese per intero" not in page  # the editors' note stays with the editors


def test_a_stated_territory_and_role_carry_no_inference_mark(client):
    project = make_full_project()
    page = content(client.get(project.get_absolute_url()))
    assert 'class="inferred"' not in page
