"""Facet counts (projects/facets.py): each count is exactly what choosing it would give."""

import math

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from partners.models import Partner
from projects import facets as facets_module
from projects.facets import Bitmaps, facet_counts
from projects.filters import ProjectFilter
from projects.models import (
    FacetCount,
    Funder,
    IndexChange,
    IndexState,
    Project,
    ProjectFacet,
    ProjectSearch,
    ProjectTheme,
)
from projects.names import sort_key
from projects.services.index import projects_index
from projects.services.projects import projects_delete, projects_publish
from registry.enums import Theme
from tests.factories import make_full_project, make_funder, make_partner, make_programme, make_project
from tests.pages import content, listed_titles

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
@pytest.mark.parametrize("tallied_at_most", [0, 10**9], ids=["intersected", "tallied"])
def test_every_count_is_what_choosing_it_gives(varied, active, tallied_at_most, monkeypatch):
    monkeypatch.setattr(facets_module, "TALLIED_AT_MOST", tallied_at_most)  # each bitmap, or project by project
    assert_every_count_is_what_choosing_it_gives({name: value or varied[name] for name, value in active.items()})


def assert_every_count_is_what_choosing_it_gives(active: dict, at_least: int = 10) -> None:
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
    assert checked > at_least


def test_choices_that_give_nothing_are_not_offered_but_the_chosen_one_stays(varied):
    facets = facet_counts(published_filter({"theme": "housing", "region": "01"}))
    for name, options in facets.options.items():
        assert all(option.count > 0 for option in options if option.value not in ("housing", "01")), name
    assert [o.value for o in facets.options["region"]].count("01") == 1


def test_a_chosen_theme_no_project_has_keeps_its_name_in_the_pages_language(client, varied, monkeypatch):
    unused = Theme.values[-1]
    projects_publish(projects=Project.objects.filter(theme_links__theme=unused), published=False)
    monkeypatch.setattr(facets_module, "_current", None)  # read whole, the bitmaps hold no such value at all
    options = {o.value: o for o in facet_counts(published_filter({"theme": unused})).options["theme"]}
    assert options[unused].count == 0 and str(options[unused].label) == Theme(unused).label
    html = content(client.get("/projects/", {"theme": unused}))
    assert f'<option value="{unused}" selected>{Theme(unused).label} (0)</option>' in html


def test_the_options_are_offered_in_the_order_their_list_shows(varied):
    options = facet_counts(published_filter({})).options
    themes = [o.value for o in options["theme"]]
    assert themes == [code for code in Theme.values if code in themes]
    funders = [str(o.label) for o in options["funder"]]
    assert len(funders) > 1 and funders == sorted(funders, key=sort_key)


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
        ({"lead_partner": varied["lead_partner"]}, 2),  # its projects (its name was read when the form checked it)
        ({"municipality": "005005"}, 2),  # its projects (its name was read when the form found it)
    ):
        project_filter = published_filter(params)
        with CaptureQueriesContext(connection) as queries:
            facets = facet_counts(project_filter)
        assert len(queries) == queries_expected, (params, [q["sql"][:80] for q in queries])
    lead = Partner.objects.get(slug=varied["lead_partner"])
    assert facet_counts(published_filter({"lead_partner": lead.slug})).label("lead_partner", lead.slug) == lead.name
    stored = FacetCount.objects.get(facet="municipality", value="005005").label
    assert "Asti" in stored and facets.label("municipality", "005005") == stored


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
    assert set(project.facets.values_list("facet", "value")) == {("theme", "mediation"), ("kind", "project")}
    assert Project.objects.search(project.title).filter(pk=project.pk).exists()


# --- /api/v1/projects/facets/ -------------------------------------------------------------------


def test_the_facets_endpoint_gives_every_filter_with_exact_counts(client, varied):
    response = client.get("/api/v1/projects/facets/", {"theme": "housing", "region": "01"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "funder", "programme", "lead_partner", "region", "province", "country", "theme", "target_group", "kind",
        "status", "year",
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


def bitmaps_as_counted(bitmaps: Bitmaps) -> dict:
    """What the counts are read from, values without projects left out (a change may empty a value)."""
    return {
        "values": {key: bitmap for key, bitmap in bitmaps.values.items() if bitmap},
        "labels": {key: label for key, label in bitmaps.labels.items() if bitmaps.values.get(key)},
        "status": bitmaps.status,
        "years": {year: bitmap for year, bitmap in bitmaps.years.items() if bitmap},
        "published": bitmaps.published,
        # In the order the lists show them: a value new or renamed must be put in its place.
        "by_facet": {facet: [row for row in rows if row[2]] for facet, rows in bitmaps.by_facet.items()},
    }


def leads_of(bitmaps: Bitmaps) -> dict[int, str]:
    return {pk: slug for pk, slug in enumerate(bitmaps.leads()) if slug}


@pytest.mark.parametrize("values_held", [False, True], ids=["values asked of bitmaps", "values held"])
def test_bitmaps_brought_up_to_date_change_by_change_equal_the_bitmaps_read_whole(varied, values_held):
    today = timezone.localdate()
    before = Bitmaps.build(IndexState.current(), today)
    before.leads()  # held, so that the change brings them up to date too
    if values_held:  # the values the changed projects had are then read from them, not asked of every value
        before.tally(0)
    funder = Funder.objects.get(slug=varied["funder"])
    new_funder = make_funder()  # a value the bitmaps do not hold: its list is put in order again
    added = make_full_project(
        lead=make_partner(), funders=[funder, new_funder], themes=["housing"], period="2025 - 2026"
    )
    withdrawn, deleted, renamed = Project.objects.published().exclude(pk=added.pk).order_by("pk")[:3]
    projects_publish(projects=Project.objects.filter(pk=withdrawn.pk), published=False)
    projects_delete(projects=Project.objects.filter(pk=deleted.pk))
    renamed.theme_links.all().delete()
    ProjectTheme.objects.create(project=renamed, theme="language")
    projects_index([renamed.pk])
    funder.name = f"{funder.name} (renamed)"
    funder.save()

    with CaptureQueriesContext(connection) as queries:
        updated = before.updated(IndexState.current())
    assert updated is not None, "applied change by change, not read whole"
    # The stamp, the changes, their projects' values (and lead partners), their periods.
    assert len(queries) <= 4, [query["sql"][:80] for query in queries.captured_queries]
    whole = Bitmaps.build(IndexState.current(), today)
    assert updated.version == whole.version
    assert bitmaps_as_counted(updated) == bitmaps_as_counted(whole)
    assert leads_of(updated) == leads_of(whole)
    assert updated.labels[("funder", funder.slug)] == funder.name
    assert ("funder", new_funder.slug) in updated.values


@pytest.mark.parametrize("values_held", [False, True], ids=["values asked of bitmaps", "values held"])
def test_a_record_renamed_alone_is_put_in_its_place_in_its_list(varied, values_held):
    today = timezone.localdate()
    before = Bitmaps.build(IndexState.current(), today)
    if values_held:
        before.tally(0)
    funder = Funder.objects.get(slug=varied["funder"])
    listed = [value for value, *_ in before.by_facet["funder"]]
    assert listed.index(funder.slug) < len(listed) - 1, "the funder is not already last"
    funder.name = "Zzzz ultimo"  # no value new to the bitmaps: only the rename moves it
    funder.save()

    updated = before.updated(IndexState.current())
    assert updated is not None
    assert [value for value, *_ in updated.by_facet["funder"]][-1] == funder.slug
    assert bitmaps_as_counted(updated) == bitmaps_as_counted(Bitmaps.build(IndexState.current(), today))


@pytest.mark.parametrize("block_bits", [1, 3, 12], ids=["blocks of 2 ids", "blocks of 8 ids", "blocks of 4,096 ids"])
def test_tallies_brought_up_to_date_change_by_change_equal_the_bitmaps_intersected(varied, monkeypatch, block_bits):
    monkeypatch.setattr(facets_module, "BLOCK_BITS", block_bits)
    monkeypatch.setattr(facets_module, "BLOCK", 1 << block_bits)
    monkeypatch.setattr(facets_module, "BLOCK_MASK", (1 << block_bits) - 1)
    before = Bitmaps.build(IndexState.current(), timezone.localdate())
    before.tally(0)  # each project's values held, so that the change brings them up to date too
    tally_before = before.tally(before.published)
    funder = Funder.objects.get(slug=varied["funder"])
    make_full_project(funders=[funder], themes=["housing"], period="2025 - 2026")
    withdrawn, retagged = Project.objects.published().order_by("pk")[:2]
    projects_publish(projects=Project.objects.filter(pk=withdrawn.pk), published=False)
    retagged.theme_links.all().delete()
    ProjectTheme.objects.create(project=retagged, theme="language")
    projects_index([retagged.pk])

    updated = before.updated(IndexState.current())
    for base in (updated.published, updated.values[("theme", "housing")], updated.values[("funder", funder.slug)]):
        with CaptureQueriesContext(connection) as queries:
            tally = updated.tally(base)
        assert not queries
        assert tally == {key: n for key, bitmap in updated.values.items() if (n := (bitmap & base).bit_count())}
    assert tally[("funder", funder.slug)] == filtered_count({"funder": funder.slug})
    # The bitmaps before are left as they were, for a request still reading them in another thread.
    assert before.tally(before.published) == tally_before
    make_project(themes=["language"])  # a second change, on top of the first
    again = updated.updated(IndexState.current())
    assert again is not None
    assert again.tally(again.published) == {
        key: n for key, bitmap in again.values.items() if (n := (bitmap & again.published).bit_count())
    }


def test_bitmaps_are_read_whole_when_their_last_change_was_rolled_back(varied):
    today = timezone.localdate()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_project(themes=["housing"])
        inside = Bitmaps.build(IndexState.current(), today)  # sees a change that will not be committed
        raise RuntimeError
    make_project(themes=["language"])
    assert inside.updated(IndexState.current()) is None


def test_a_change_of_too_many_projects_makes_the_bitmaps_be_read_whole(varied, monkeypatch):
    monkeypatch.setattr(IndexChange, "PROJECTS_AT_MOST", 1)
    before = Bitmaps.build(IndexState.current(), timezone.localdate())
    projects_index(Project.objects.published().values_list("pk", flat=True)[:2])
    assert IndexChange.objects.order_by("-pk").first().projects is None
    assert before.updated(IndexState.current()) is None


# --- the list's title order, kept with the bitmaps -----------------------------------------------


def published_in_title_order() -> list[int]:
    return list(Project.objects.published().order_by("title_key", "pk").values_list("pk", flat=True))


def renamed(project: Project, title: str) -> None:
    project.title = title  # its folded title follows (Project.save)
    project.save()
    projects_index([project.pk])


def test_title_order_brought_up_to_date_change_by_change_is_the_databases(varied):
    make_project("Zattera")
    make_project("Zattera")  # the same title: the id decides
    before = Bitmaps.build(IndexState.current(), timezone.localdate())
    assert before.in_title_order(before.published) == published_in_title_order()
    first, withdrawn, deleted, middle = Project.objects.published().order_by("title_key", "pk")[:4]
    renamed(first, "Zuppa di comunità")  # from first to last
    renamed(middle, "Aaa primo")  # to first
    make_project("Abaco")
    make_project("Abaco")  # two new projects side by side share the room between their neighbours
    projects_publish(projects=Project.objects.filter(pk=withdrawn.pk), published=False)
    projects_delete(projects=Project.objects.filter(pk=deleted.pk))

    updated = before.updated(IndexState.current())
    assert updated is not None
    with CaptureQueriesContext(connection) as queries:
        in_order = updated.in_title_order(updated.published)
    assert not queries, "placed with the change, not read again"
    assert in_order == published_in_title_order()
    assert updated.in_title_order(updated.published, descending=True) == published_in_title_order()[::-1]
    assert before.in_title_order(before.published) != in_order, "the bitmaps read before keep their own order"


def test_projects_without_a_place_in_the_title_order_are_left_to_the_database(varied):
    bitmaps = Bitmaps.build(IndexState.current(), timezone.localdate())
    positions = bitmaps.title_positions()
    first, second = published_in_title_order()[:2]
    assert bitmaps.in_title_order(1 << first | 1 << second) == [first, second]
    assert bitmaps.in_title_order(1 << second | 1 << len(positions)) is None  # an id past every place held
    positions[first] = math.nan  # a place not known
    assert bitmaps.in_title_order(1 << first | 1 << second) is None


def test_title_order_is_read_whole_again_when_no_room_is_left_between_two_places(varied):
    low, high = make_project("Zeta alfa"), make_project("Zeta gamma")
    before = Bitmaps.build(IndexState.current(), timezone.localdate())
    positions = before.title_positions()
    assert published_in_title_order()[-2:] == [low.pk, high.pk]
    positions[low.pk] = 1e6
    positions[high.pk] = math.nextafter(1e6, math.inf)  # two places with nothing between them
    make_project("Zeta beta")
    updated = before.updated(IndexState.current())
    with CaptureQueriesContext(connection) as queries:
        assert updated.in_title_order(updated.published) == published_in_title_order()
    assert queries, "read whole again"


def test_the_list_follows_a_title_changed_after_its_order_was_read(client, varied, settings):
    settings.PROJECTS_PER_PAGE = 500
    project = Project.objects.published().filter(theme_links__theme="housing").order_by("title_key", "pk").last()
    assert listed_titles(client, {"theme": "housing"})[-1] == project.title  # its order read
    renamed(project, "Aaa abitare insieme")
    for params in ({"theme": "housing"}, {"theme": "housing", "sort": "title"}):
        titles = listed_titles(client, params)
        assert titles[0] == "Aaa abitare insieme"
        assert titles == [project.title for project in published_filter(params).qs.order_by("title_key", "pk")]
    titles = listed_titles(client, {"theme": "housing", "sort": "-title"})
    assert titles[-1] == "Aaa abitare insieme"


# --- the sets kept for searches and typed filters ------------------------------------------------


def searching_queries(queries) -> list[str]:
    """The queries that ask the search documents which projects contain the words."""
    return [q["sql"] for q in queries if "projectsearch" in q["sql"] or "projectwords" in q["sql"]]


def test_a_kept_search_is_asked_again_only_about_the_projects_a_change_touched(varied):
    params = {"q": "lagunare"}
    first = make_project("Orti lagunare di comunità")
    renamed = make_project("Cantiere lagunare")
    make_project("Darsena lagunare")
    assert facet_counts(published_filter(params)).count == 3 == filtered_count(params)

    added = make_project("Scuola lagunare")
    projects_publish(projects=Project.objects.filter(pk=first.pk), published=False)
    Project.objects.filter(pk=renamed.pk).update(title="Cantiere navale")  # still published, the word gone
    projects_index([renamed.pk])
    make_project("Nulla di simile")  # a change that does not touch the word
    with CaptureQueriesContext(connection) as queries:
        facets = facet_counts(published_filter(params))
    assert facets.count == 2 == filtered_count(params)
    assert set(facets.ids()) == set(published_filter(params).qs.values_list("pk", flat=True))
    (asked,) = searching_queries(queries)
    if connection.vendor == "postgresql":  # the embedded database reads its few ids whole and keeps those asked
        assert "ANY(" in asked and all(str(pk) in asked for pk in (added.pk, first.pk, renamed.pk))

    with CaptureQueriesContext(connection) as queries:
        facet_counts(published_filter(params))
    assert not searching_queries(queries), "unchanged index: the kept set, asked nothing"


def test_a_kept_organisation_follows_the_projects_it_joins_and_leaves(varied):
    partner = make_partner()
    kept, left = make_project(partners=[partner]), make_project(partners=[partner])
    params = {"partner": partner.slug}
    assert facet_counts(published_filter(params)).count == 2

    joined = make_project(partners=[partner])
    left.participations.filter(partner=partner).delete()  # still published, without the organisation
    projects_index([left.pk])
    facets = facet_counts(published_filter(params))
    assert set(facets.ids()) == {kept.pk, joined.pk} == set(published_filter(params).qs.values_list("pk", flat=True))


def test_a_kept_set_is_read_whole_again_when_the_bitmaps_were(varied, monkeypatch):
    params = {"q": "lagunare"}
    make_project("Orti lagunare")
    assert facet_counts(published_filter(params)).count == 1
    monkeypatch.setattr(IndexChange, "PROJECTS_AT_MOST", 1)
    make_project("Cantiere lagunare")
    projects_index(Project.objects.published().values_list("pk", flat=True)[:2])  # too many to list
    with CaptureQueriesContext(connection) as queries:
        assert facet_counts(published_filter(params)).count == 2
    (asked,) = searching_queries(queries)
    assert "ANY(" not in asked, "the whole set, read again"


@pytest.mark.parametrize(
    "active",
    [
        {"q": "inclusione", "region": "01", "year": "2024"},
        {"q": "inclusione", "theme": "housing", "status": "active"},
        {"q": "inclusione", "lead_partner": None, "theme": "housing"},
    ],
)
def test_words_asked_only_among_the_projects_the_other_filters_leave_count_exactly(varied, active, monkeypatch):
    monkeypatch.setattr(facets_module, "ASKED_AMONG_AT_MOST", 1.0)  # however many those projects are
    active = {name: value or varied[name] for name, value in active.items()}
    assert_every_count_is_what_choosing_it_gives(active, at_least=3)
    with CaptureQueriesContext(connection) as queries:
        facet_counts(published_filter(active), typed=True)
    assert not searching_queries(queries), "the set read for those projects is kept for them"
    # Asked alone, the same words need every project: the set kept for a few is not enough.
    assert facet_counts(published_filter({"q": "inclusione"})).count == filtered_count({"q": "inclusione"})


@pytest.mark.django_db(transaction=True)
def test_a_new_process_reads_the_bitmaps_before_its_first_request(seeded, monkeypatch):
    monkeypatch.setattr(facets_module, "_current", None)

    facets_module.warm_up()

    assert facets_module._current is not None
    assert facets_module._current.day == timezone.localdate()
    # Each project's values too, which the tallies read without a query (they are made from the bitmaps).
    assert facets_module._current._values_by_project is not None
    with CaptureQueriesContext(connection) as queries:
        bitmaps = facets_module.current_bitmaps(timezone.localdate())
        bitmaps.in_title_order(bitmaps.published)
    assert len(queries) == 1  # the index's stamp, checked; nothing read again, the title order neither


@pytest.mark.django_db(transaction=True)
def test_a_process_starts_even_when_the_bitmaps_cannot_be_read(seeded, monkeypatch, caplog):
    monkeypatch.setattr(facets_module, "_current", None)

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(facets_module, "current_bitmaps", unreachable)
    facets_module.warm_up()

    assert facets_module._current is None
    assert "could not be read at start" in caplog.text
