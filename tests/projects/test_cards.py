"""The cards of the project list (projects/cards.py), read as plain rows in one query."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from projects.cards import CARD_ROWS, ProjectCard
from projects.models import Project
from projects.sql import CompiledQuery
from registry.enums import Role, Status
from registry.sql import AmongIds
from tests.factories import MARKER, make_partner, make_programme, make_project, word

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)


def card_from_the_model(project: Project) -> ProjectCard:
    """What the card must say, read through the models' own relations and properties."""
    lead = next((link.partner for link in project.participations.all() if link.role == Role.LEAD), None)
    programmes = "; ".join(str(programme) for programme in project.programmes.all())
    funders = ", ".join(funder.name for funder in project.funders.all())
    status = project.status_on(TODAY)
    return ProjectCard(
        url=project.get_absolute_url(),
        kind_label=project.get_kind_display(),
        title=project.title,
        acronym=project.acronym if project.acronym not in project.title else "",
        lead_name=lead.name if lead else "",
        lead_url=lead.get_absolute_url() if lead else "",
        period=project.public_period_label,
        status=status,
        status_label=Status(status).label,
        funding=" · ".join(part for part in (programmes, funders) if part),
        territories="; ".join(territory.name for territory in project.territories.all()),
        countries=", ".join(project.countries or []),
        themes=project.theme_labels,
        start=project.start,
        end=project.end,
    )


@pytest.fixture
def projects(varied_projects):
    # Short names in the opposite order of the names: the card lists programmes by name, shows the short one.
    named = [
        make_programme(name=f"{MARKER} Alfa {word()}", short_name="Zz"),
        make_programme(name=f"{MARKER} Zeta {word()}", short_name=""),
        make_programme(name=f"{MARKER} Beta {word()}", short_name="Aa"),
    ]
    second_lead = make_partner(name=f"{MARKER} Secondo capofila {word()}")
    make_project(programmes=named, lead=make_partner(), acronym="ACR", themes=["work_training", "housing"])
    project = make_project(lead=second_lead, start=dt.date(2026, 1, 1), end=dt.date(2026, 12, 31))
    assert project.participations.get().role == Role.LEAD
    # Newest first, so that the order asked for is neither the ids' nor the titles'.
    return list(Project.objects.order_by("-pk"))


def test_a_page_of_cards_is_read_in_one_query_and_says_what_the_models_say(projects):
    ids = [project.pk for project in projects]
    with CaptureQueriesContext(connection) as queries:
        cards = ProjectCard.read(ids, TODAY)
    assert len(queries) == 1
    assert cards == [card_from_the_model(project) for project in projects]
    assert any(card.funding.startswith("Zz; ") for card in cards)  # the case above is among them


def test_the_query_compiled_once_reads_any_other_ids(projects):
    first, rest = projects[:2], projects[2:]
    assert ProjectCard.read([p.pk for p in first], TODAY) == [card_from_the_model(p) for p in first]
    assert ProjectCard.read([p.pk for p in rest], TODAY) == [card_from_the_model(p) for p in rest]
    assert CARD_ROWS.compiled  # the second read ran the SQL compiled for the first


def test_cards_on_a_database_that_takes_ids_one_by_one_are_the_same(projects, monkeypatch):
    for vendor in ("postgresql", "sqlite"):
        monkeypatch.delattr(AmongIds, f"as_{vendor}")
    assert ProjectCard.read([p.pk for p in projects], TODAY) == [card_from_the_model(p) for p in projects]


def test_an_id_no_longer_there_is_left_out_and_no_ids_ask_nothing(projects):
    gone = projects[0].pk
    projects[0].delete()
    assert [card.title for card in ProjectCard.read([gone, projects[1].pk], TODAY)] == [projects[1].title]
    with CaptureQueriesContext(connection) as queries:
        assert ProjectCard.read([], TODAY) == []
    assert not queries


def test_a_card_writes_the_period_in_the_registry_style_whatever_the_source_wrote():
    project = make_project(period="Maggio 2024 - Dicembre 2025")
    assert [card.period for card in ProjectCard.read([project.pk], TODAY, "it")] == ["maggio 2024 – dicembre 2025"]


def test_a_card_on_an_english_page_writes_the_period_in_english():
    project = make_project(period="36 mesi (2025 – 2028)")
    assert [card.period for card in ProjectCard.read([project.pk], TODAY, "en")] == ["2025 – 2028 (36 months)"]


def test_a_card_keeps_the_source_words_only_when_no_date_was_read_in_them():
    project = make_project(period_text="da definire")
    assert [card.period for card in ProjectCard.read([project.pk], TODAY)] == ["da definire"]


def test_a_compiled_query_that_ignores_its_ids_is_refused_rather_than_finding_nothing(projects):
    ignoring = CompiledQuery(lambda ids: Project.objects.filter(pk__gt=0).values_list("pk"))
    if AmongIds.parameter(connection.vendor, CompiledQuery.SAMPLE) is None:
        pytest.skip("on this database the ids are bound one by one and nothing is compiled")
    with pytest.raises(ValueError, match="among"):
        ignoring.rows([projects[0].pk])


def cards_prepared() -> tuple[int, int]:
    """(statements, runs) of the cards' query prepared on this connection."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements "
            "WHERE statement LIKE %s",
            ['%"lead_slug"%'],
        )
        return tuple(cursor.fetchone())


postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")


@postgresql_only
def test_the_cards_query_is_prepared_once_per_connection_and_logged_with_its_values(projects):
    ids = [project.pk for project in projects]
    with CaptureQueriesContext(connection) as queries:
        first = ProjectCard.read(ids[:2], TODAY)
        second = ProjectCard.read(ids[2:], TODAY)
    assert first + second == [card_from_the_model(p) for p in projects]
    statements, runs = cards_prepared()
    assert statements == 1 and runs >= 2  # one statement, run for both pages of ids
    # The log shows the statement as it ran, its ids written in, as Django shows any other query.
    logged = [query["sql"] for query in queries.captured_queries]
    assert len(logged) == 2 and all('"lead_slug"' in sql for sql in logged)
    assert "{" + ",".join(map(str, ids[:2])) + "}" in logged[0]


@postgresql_only
def test_with_prepared_statements_off_the_cards_are_read_the_same_without_one(projects, settings):
    settings.PREPARED_STATEMENTS = False
    before = cards_prepared()
    ids = [project.pk for project in projects]
    assert ProjectCard.read(ids, TODAY) == [card_from_the_model(p) for p in projects]
    assert cards_prepared() == before  # none made, none run


@postgresql_only
def test_other_queries_are_never_prepared(projects):
    ProjectCard.read([projects[0].pk], TODAY)  # the cursor that prepares has been used on this connection
    for _ in range(10):  # far past psycopg's usual threshold of 5
        assert Project.objects.filter(pk=projects[0].pk).count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        statements = [row[0] for row in cursor.fetchall()]
    assert statements and all('"lead_slug"' in statement for statement in statements)


def test_a_card_names_kind_status_and_themes_in_the_page_language_each_time(projects):
    project = projects[-1]  # active in 2026, with no theme; the other has two
    ids = [project.pk, projects[-2].pk]
    for language, kind, active in (
        ("it", "Progetto", "In corso"),
        ("en", "Project", "Active"),
        ("it", "Progetto", "In corso"),
    ):
        with translation.override(language):
            cards = ProjectCard.read(ids, TODAY)
            assert cards == [card_from_the_model(p) for p in (project, projects[-2])]  # the labels of this language
        assert (cards[0].kind_label, cards[0].status_label) == (kind, active)
        assert all(isinstance(theme, str) for theme in cards[1].themes) and cards[1].themes
