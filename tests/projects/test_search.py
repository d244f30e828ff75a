"""Search (projects/search.py): Italian full text on PostgreSQL, folded whole words on SQLite, suggestions."""

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects import filters, views
from projects.models import Project
from projects.search import Words, suggestion
from tests.factories import MARKER, make_partner, make_project, make_territory, municipality, word
from tests.pages import content, listed_titles

pytestmark = pytest.mark.django_db
ON_POSTGRESQL = "postgresql" in settings.DATABASES["default"]["ENGINE"]
postgresql_only = pytest.mark.skipif(not ON_POSTGRESQL, reason="Italian stemming and ranking need PostgreSQL")


@pytest.fixture(autouse=True)
def one_page(settings):
    settings.PROJECTS_PER_PAGE = 1000


def found(text: str) -> set[str]:
    """Titles of this test's own projects that the search finds."""
    return {title for title in Project.objects.published().search(text).values_list("title", flat=True)} & {
        title for title in Project.objects.filter(title__startswith=MARKER).values_list("title", flat=True)
    }


# --- on every database ------------------------------------------------------------------------


def test_words_are_folded_and_a_star_makes_a_prefix():
    assert Words.parse("Città  dell'Integrazione inclus*").items == (
        ("citta", False),
        ("dell", False),
        ("integrazione", False),
        ("inclus", True),
    )


def test_a_query_that_is_only_punctuation_leaves_the_list_whole(client):
    make_project()
    assert client.get("/projects/", {"q": "!!! ..."}).context["result_count"] == Project.objects.published().count()


def test_accents_and_case_are_ignored_both_ways():
    tag = word()
    in_citta = make_project(title=f"{MARKER} Una città {tag}")
    in_perche = make_project(title=f"{MARKER} Perche {tag}")
    assert found(f"CITTA {tag}") == {in_citta.title}
    assert found(f"perché {tag}") == {in_perche.title}


def test_only_whole_words_match_never_a_piece_of_a_word():
    tag = word()
    make_project(title=f"{MARKER} Sostegno alle famiglie {tag}")
    make_project(title=f"{MARKER} Contrasti e mediazione {tag}")
    assert found(f"FAMI {tag}") == set()
    assert found(f"asti {tag}") == set()


def test_a_star_finds_words_that_start_so():
    tag = word()
    families = make_project(title=f"{MARKER} Sostegno alle famiglie {tag}")
    assert found(f"famigl* {tag}") == {families.title}


def test_every_word_must_be_found_somewhere():
    tag, other = word(), word()
    both = make_project(title=f"{MARKER} {tag}", summary=f"Un testo con {other}.")
    make_project(title=f"{MARKER} {tag} soltanto")
    assert found(f"{tag} {other}") == {both.title}


def test_organisations_territories_and_municipalities_are_searched():
    tag = word()
    lead = make_partner(name=f"{MARKER} Cooperativa {tag}")
    by_lead = make_project(lead=lead)
    in_place = make_project(
        title=f"{MARKER} Progetto astigiano",
        territories=[make_territory(name=f"{MARKER} Area {word()}", municipalities=[municipality("Asti", "AT")])],
    )
    assert found(tag) == {by_lead.title}
    assert in_place.title in found("Asti")


def test_drafts_are_never_found_on_the_site(client):
    tag = word()
    make_project(title=f"{MARKER} {tag}", published=False)
    assert listed_titles(client, {"q": tag}) == []


def test_a_typo_is_answered_with_the_closest_words_and_their_results(client):
    # "Cunneo": the seed's Cuneese territory names the municipality of Cuneo.
    response = client.get("/projects/", {"q": "Cunneo"})
    html = content(response)
    assert response.status_code == 200 and response.context["suggestion"]["text"] == "cuneo"
    assert "No project contains “Cunneo”; showing the results for:" in html
    assert response.context["result_count"] == Project.objects.published().search("cuneo").count() > 0


def test_a_misspelt_organisation_is_still_found():
    # The seed's "Cooperativa Tantintenti", typed with one letter missing.
    assert str(suggestion(Words.parse("Tantinteti"))) == "tantintenti"


def test_no_suggestion_for_words_the_registry_knows_or_for_gibberish():
    assert suggestion(Words.parse("Cuneo")) is None
    assert suggestion(Words.parse("qxzjvw")) is None


def test_a_suggestion_never_comes_from_a_draft(client):
    secret = "zanzibarese"
    make_project(title=f"{MARKER} {secret}", published=False)
    assert client.get("/projects/", {"q": "zanzibarise"}).context["suggestion"] is None


def test_the_list_costs_the_same_queries_for_a_search_whatever_the_page_size(client, settings):
    tag = word()
    for _ in range(6):
        make_project(title=f"{MARKER} {tag}", lead=make_partner())
    # The facets' bitmaps, and the set the words select, are read on the first request after a change.
    client.get("/projects/", {"q": tag})
    counts = []
    for per_page in (2, 6):
        settings.PROJECTS_PER_PAGE = per_page
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/projects/", {"q": tag}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12


# --- PostgreSQL: Italian ------------------------------------------------------------------------


@postgresql_only
def test_a_word_finds_its_plural_and_other_forms():
    tag = word()
    housing = make_project(title=f"{MARKER} Soluzioni abitative {tag}")
    assert found(f"abitativo {tag}") == {housing.title}
    assert found(f"soluzione {tag}") == {housing.title}


@postgresql_only
def test_results_are_ranked_title_first_when_no_sort_is_chosen(client):
    tag = word()
    in_summary = make_project(title=f"{MARKER} A {word()}", summary=f"Si parla anche di {tag}.")
    in_title = make_project(title=f"{MARKER} Z {tag}")
    titles = [t for t in listed_titles(client, {"q": tag}) if t.startswith(MARKER)]
    assert titles == [in_title.title, in_summary.title]
    assert [t for t in listed_titles(client, {"q": tag, "sort": "title"}) if t.startswith(MARKER)] == [
        in_summary.title,
        in_title.title,
    ]


@postgresql_only
@pytest.mark.parametrize("ranked_at_most", [1000, 1])
def test_the_list_and_the_api_rank_a_word_few_projects_have_and_put_a_common_one_in_title_order(
    client, monkeypatch, ranked_at_most
):
    monkeypatch.setattr(filters, "RANKED_AT_MOST", ranked_at_most)
    monkeypatch.setattr(views, "READ_BY_IDS_AT_MOST", ranked_at_most)  # the same bound, as they are set
    tag = word()
    in_summary = make_project(title=f"{MARKER} A {word()}", summary=f"Si parla anche di {tag}.")
    in_title = make_project(title=f"{MARKER} Z {tag}")
    expected = [in_title.title, in_summary.title] if ranked_at_most > 1 else [in_summary.title, in_title.title]
    assert [t for t in listed_titles(client, {"q": tag}) if t.startswith(MARKER)] == expected
    records = client.get("/api/v1/projects/", {"q": tag}).json()["results"]
    assert [record["title"] for record in records] == expected


@postgresql_only
def test_codes_and_cups_are_found_whole():
    project = make_project(code="PROG-99321", cup="I69E19009900002")
    assert found("PROG-99321") == {project.title}
    assert found("i69e19009900002") == {project.title}
