"""The public index (projects/services/index.py, projects/signals.py) stays current on every write path.

After each write, the index as that write left it must be what a rebuild from scratch gives, its
stored counts must be its rows grouped, and the search must find the project by its new words.
"""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from partners.models import Partner
from projects import signals
from projects.importing import import_sheet, read_sheet
from projects.models import (
    Facet,
    FacetCount,
    Funder,
    IndexChange,
    IndexState,
    Project,
    ProjectFacet,
    ProjectSearch,
    SearchTerm,
    Territory,
)
from projects.models.index import stamp_read_once
from projects.services import (
    ParticipationInput,
    ProjectInput,
    RecordIndex,
    project_upsert,
    projects_delete,
    projects_index,
    projects_publish,
    projects_reindex_all,
    record_upsert,
)
from registry.enums import Role
from tests.factories import (
    MARKER,
    make_funder,
    make_partner,
    make_programme,
    make_project,
    make_territory,
    municipality,
    unique,
    word,
)
from tests.projects.test_import import sheet_bytes

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/projects/project/"


def letters() -> str:
    """A word found nowhere else, in letters only (suggestions keep words of letters): "fxwbcz"."""
    return word().translate(str.maketrans("0123456789", "abcdefghij"))


# --- what the index holds, and what a rebuild from scratch gives ------------------------------------------


def index_state() -> dict:
    document = "vector" if connection.vendor == "postgresql" else "text"
    return {
        "facets": set(ProjectFacet.objects.values_list("project_id", "facet", "value")),
        "counts": set(FacetCount.objects.values_list("facet", "value", "label", "count")),
        "documents": dict(ProjectSearch.objects.values_list("project_id", document)),
    }


def terms() -> set[str]:
    return set(SearchTerm.objects.values_list("word", flat=True))


def assert_index_current() -> None:
    """Counts are the rows grouped, and rows, counts and documents are what a rebuild gives (rolled back)."""
    stored = index_state()
    grouped = ProjectFacet.objects.values_list("facet", "value").annotate(n=Count("pk")).order_by()
    assert {(facet, value): n for facet, value, _, n in stored["counts"]} == {(f, v): n for f, v, n in grouped}
    stored_terms = terms()
    with transaction.atomic():
        projects_reindex_all()
        rebuilt, rebuilt_terms = index_state(), terms()
        transaction.set_rollback(True)
    assert stored["facets"] == rebuilt["facets"]
    assert stored["counts"] == rebuilt["counts"]
    assert stored["documents"] == rebuilt["documents"]
    # Words are only ever added (a stale one is never offered: a suggestion must find something).
    assert rebuilt_terms <= stored_terms


def facets_of(project) -> set[tuple[str, str]]:
    """The project's facets but its kind of initiative, which every published project has (tested on its own)."""
    return set(ProjectFacet.objects.filter(project=project).exclude(facet="kind").values_list("facet", "value"))


def test_a_project_is_indexed_under_its_kind_and_moves_when_it_changes():
    project = make_project()
    assert (
        ProjectFacet.objects.filter(project=project, facet="kind").values_list("value", flat=True).get() == "project"
    )
    before = number_of("kind", "network")
    Project.objects.filter(pk=project.pk).update(kind="network")
    projects_index([project.pk])
    assert (
        ProjectFacet.objects.filter(project=project, facet="kind").values_list("value", flat=True).get() == "network"
    )
    assert number_of("kind", "network") == before + 1


def count_of(facet: str, value: str) -> tuple[str, int] | None:
    return FacetCount.objects.filter(facet=facet, value=value).values_list("label", "count").first()


def number_of(facet: str, value: str) -> int:
    return (count_of(facet, value) or ("", 0))[1]


def found(text: str, *, drafts: bool = False) -> set[int]:
    projects = Project.objects.all() if drafts else Project.objects.published()
    return set(projects.search(text).values_list("pk", flat=True))


def place_facets(name: str, province: str) -> set[tuple[str, str]]:
    town = municipality(name, province)
    return {
        (Facet.MUNICIPALITY, town.istat_code),
        (Facet.PROVINCE, town.province_code),
        (Facet.REGION, town.region_code),
    }


@pytest.fixture
def superuser_client(client):
    client.force_login(User.objects.create_superuser(username=f"root-{word()}", password="not-used"))
    return client


@pytest.fixture
def editor_client(client):
    user = User.objects.create_user(username=f"editor-{word()}", password="not-used", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


# --- the write layer --------------------------------------------------------------------------------------


def test_a_new_project_written_by_the_write_layer_is_indexed_under_its_links_and_words():
    lead, tag = make_partner(), letters()
    territory = make_territory(municipalities=[municipality("Asti", "AT")])

    change = project_upsert(
        item=ProjectInput(
            values={"title": f"{MARKER} Abitare {tag}"},
            participations=[ParticipationInput(name=lead.name, role=Role.LEAD)],
            territories=[territory.name],
            themes=["housing"],
        ),
        publish=True,
    )

    project = change.project
    assert facets_of(project) == {
        (Facet.PARTNER, lead.slug),
        (Facet.LEAD_PARTNER, lead.slug),
        (Facet.THEME, "housing"),
        *place_facets("Asti", "AT"),
    }
    assert count_of(Facet.LEAD_PARTNER, lead.slug) == (lead.name, 1)
    assert found(tag) == {project.pk} and tag in terms()
    assert_index_current()


def test_a_changed_title_is_found_by_its_new_words_and_no_longer_by_the_old():
    old, new = letters(), letters()
    project = make_project(title=f"{MARKER} Vecchio {old}", code=f"FX-{word()}")

    project_upsert(item=ProjectInput(values={"code": project.code, "title": f"{MARKER} Nuovo {new}"}))

    assert (found(new), found(old)) == ({project.pk}, set())
    assert_index_current()


def test_a_partner_removed_and_a_territory_changed_leave_the_facets_and_their_counts():
    lead, gone, tag, rome = make_partner(), make_partner(), letters(), municipality("Roma", "RM")
    in_asti, in_rome = (
        make_territory(municipalities=[municipality("Asti", "AT")]),
        make_territory(municipalities=[rome]),
    )
    project = make_project(title=f"{MARKER} Luoghi {tag}", lead=lead, partners=[gone], territories=[in_asti])
    rome_before, asti_before = number_of(Facet.PROVINCE, "RM"), number_of(Facet.PROVINCE, "AT")

    project_upsert(
        item=ProjectInput(
            values={"title": project.title},
            participations=[ParticipationInput(name=lead.name, role=Role.LEAD)],
            territories=[in_rome.name],
        )
    )

    assert facets_of(project) == {
        (Facet.PARTNER, lead.slug),
        (Facet.LEAD_PARTNER, lead.slug),
        *place_facets("Roma", "RM"),
    }
    assert count_of(Facet.PARTNER, gone.slug) is None
    assert (number_of(Facet.PROVINCE, "RM"), number_of(Facet.PROVINCE, "AT")) == (rome_before + 1, asti_before - 1)
    assert found(f"{rome.name} {tag}") == {project.pk}
    assert_index_current()


# --- sheet imports ----------------------------------------------------------------------------------------


IMPORT_HEADERS = ["Titolo", "Capofila", "Ente finanziatore", "Territorio", "Comuni"]


def import_rows(*rows, publish: bool) -> None:
    report = import_sheet(read_sheet(sheet_bytes(list(rows), IMPORT_HEADERS)), dry_run=False, publish=publish)
    assert not report.has_errors, report


def test_a_published_import_is_indexed_and_a_second_import_moves_its_lead():
    tag, first, second, funder = letters(), unique("Capofila"), unique("Capofila"), unique("Finanziatore")
    title = f"{MARKER} Importato {tag}"

    import_rows([title, first, funder, unique("Territorio"), "Monale (AT)"], publish=True)
    project = Project.objects.get(title=title)
    first_lead, new_funder = Partner.objects.get(name=first), project.funders.get()
    assert facets_of(project) == {
        (Facet.PARTNER, first_lead.slug),
        (Facet.LEAD_PARTNER, first_lead.slug),
        (Facet.FUNDER, new_funder.slug),
        *place_facets("Monale", "AT"),
    }
    assert found(tag) == found(first) == {project.pk}

    import_rows([title, second, funder, "", ""], publish=True)
    second_lead = Partner.objects.get(name=second)
    assert (Facet.LEAD_PARTNER, second_lead.slug) in facets_of(project)
    assert count_of(Facet.LEAD_PARTNER, first_lead.slug) is None
    assert found(second) == {project.pk} and found(first) == set()
    assert_index_current()


def test_an_imported_draft_has_a_search_document_and_no_facets():
    tag = letters()
    import_rows([f"{MARKER} Bozza {tag}", unique("Capofila"), "", "", ""], publish=False)
    project = Project.objects.get(title=f"{MARKER} Bozza {tag}")

    assert facets_of(project) == set() and tag not in terms()
    assert (found(tag), found(tag, drafts=True)) == (set(), {project.pk})
    assert_index_current()


# --- the seed ---------------------------------------------------------------------------------------------


def test_every_published_seed_project_is_indexed_and_the_counts_are_its_rows():
    published = set(Project.objects.published().values_list("pk", flat=True))
    indexed = set(ProjectFacet.objects.values_list("project_id", flat=True))
    intarsi = Project.objects.get(cup="I69E19001100002")

    assert len(published) > 10 and indexed == published
    assert (Facet.LEAD_PARTNER, intarsi.lead_partner.slug) in facets_of(intarsi)
    assert intarsi.pk in found(intarsi.acronym)
    assert_index_current()


# --- the admin: projects ----------------------------------------------------------------------------------


def change_form_data(client, url: str) -> dict:
    """What an admin change form posts back unchanged: its fields and its inlines' forms."""
    response = client.get(url)
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms += [inline.formset.management_form, *inline.formset.forms]
    data = {}
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is not None and value is not False:
                data[form.add_prefix(name)] = value
    return data


def test_a_participation_changed_in_the_project_form_moves_the_facets(superuser_client):
    lead, before, after = make_partner(), make_partner(), make_partner(name=f"{MARKER} Nuovo {letters()}")
    project = make_project(lead=lead, partners=[before])
    url = f"{CHANGELIST}{project.pk}/change/"
    data = change_form_data(superuser_client, url)
    link = next(key for key, value in data.items() if key.startswith("participations-") and value == before.pk)
    data[link] = after.pk

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert facets_of(project) == {
        (Facet.PARTNER, lead.slug),
        (Facet.LEAD_PARTNER, lead.slug),
        (Facet.PARTNER, after.slug),
    }
    assert count_of(Facet.PARTNER, before.slug) is None
    assert found(after.name.split()[-1]) == {project.pk}
    assert_index_current()


def test_publish_and_withdraw_actions_add_and_take_out_the_facets(editor_client):
    partner, tag = make_partner(), letters()
    project = make_project(title=f"{MARKER} Azione {tag}", published=False, partners=[partner], themes=["health"])
    health = number_of(Facet.THEME, "health")

    editor_client.post(CHANGELIST, {"action": "publish", "_selected_action": [project.pk]})
    assert facets_of(project) == {(Facet.PARTNER, partner.slug), (Facet.THEME, "health")}
    assert number_of(Facet.THEME, "health") == health + 1
    assert editor_client.get("/projects/", {"q": tag}).context["result_count"] == 1
    assert_index_current()

    editor_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [project.pk]})
    assert facets_of(project) == set() and count_of(Facet.PARTNER, partner.slug) is None
    assert number_of(Facet.THEME, "health") == health
    assert editor_client.get("/projects/", {"q": tag}).context["result_count"] == 0
    assert list(editor_client.get(CHANGELIST, {"q": tag}).context["cl"].result_list) == [project]
    assert_index_current()


def test_deleting_a_project_in_the_admin_takes_its_counts_away(superuser_client):
    shared, own = make_partner(), make_partner()
    make_project(partners=[shared])
    project = make_project(partners=[shared, own])

    response = superuser_client.post(f"{CHANGELIST}{project.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert count_of(Facet.PARTNER, shared.slug) == (shared.name, 1)
    assert count_of(Facet.PARTNER, own.slug) is None
    assert_index_current()


# --- records renamed or relinked --------------------------------------------------------------------------


@pytest.mark.parametrize("admin_page", ["partner", "leadpartner"])
def test_an_organisation_renamed_in_the_admin_renames_its_facets_and_finds_its_projects(superuser_client, admin_page):
    partner, tag = make_partner(), letters()
    project = make_project(lead=partner)
    url = f"/admin/partners/{admin_page}/{partner.pk}/change/"
    data = change_form_data(superuser_client, url)
    data["name"] = f"{MARKER} Rinominata {tag}"

    response = superuser_client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert count_of(Facet.PARTNER, partner.slug) == (data["name"], 1)
    assert count_of(Facet.LEAD_PARTNER, partner.slug) == (data["name"], 1)
    assert found(tag) == {project.pk}
    assert_index_current()


def test_a_funder_updated_by_record_upsert_relabels_its_counts_and_is_found_by_its_other_names():
    funder, tag = make_funder(name=f"{MARKER} Fondazione {letters()}"), letters()
    project = make_project(funders=[funder])

    _, outcome = record_upsert(
        model=Funder, index=RecordIndex.load(Funder), name=funder.name.upper(), values={"other_names": tag}
    )

    assert outcome == "changed"
    assert count_of(Facet.FUNDER, funder.slug) == (funder.name.upper(), 1)
    assert found(tag) == {project.pk}
    assert_index_current()


@pytest.mark.parametrize("side", ["programme", "funder"])
def test_a_funder_added_to_a_programme_reaches_the_projects_of_its_calls(side):
    programme, funder = make_programme(), make_funder()
    call = make_programme(parent=programme)
    project = make_project(programmes=[call])

    if side == "programme":
        programme.funders.add(funder)
    else:
        funder.programmes.add(programme)

    assert facets_of(project) == {
        (Facet.PROGRAMME, programme.slug),
        (Facet.PROGRAMME, call.slug),
        (Facet.FUNDER, funder.slug),
    }
    assert count_of(Facet.FUNDER, funder.slug) == (funder.name, 1)
    assert found(funder.name) == {project.pk}
    assert_index_current()


@pytest.mark.parametrize(
    "take_off",
    [
        lambda programme, funder: programme.funders.clear(),
        lambda programme, funder: funder.programmes.remove(programme),
        lambda programme, funder: funder.programmes.clear(),
    ],
    ids=["programme.funders.clear", "funder.programmes.remove", "funder.programmes.clear"],
)
def test_a_funder_taken_off_a_programme_leaves_its_projects(take_off):
    funder = make_funder()
    programme = make_programme(funders=[funder])
    project = make_project(programmes=[programme])

    take_off(programme, funder)

    assert facets_of(project) == {(Facet.PROGRAMME, programme.slug)}
    assert count_of(Facet.FUNDER, funder.slug) is None
    assert_index_current()


def test_a_programme_given_another_parent_moves_its_projects_programmes_and_funders():
    old_funder, new_funder = make_funder(), make_funder()
    old, new = make_programme(funders=[old_funder]), make_programme(funders=[new_funder])
    call = make_programme(parent=old)
    project = make_project(programmes=[call])

    call.parent = new
    call.save()

    assert facets_of(project) == {
        (Facet.PROGRAMME, call.slug),
        (Facet.PROGRAMME, new.slug),
        (Facet.FUNDER, new_funder.slug),
    }
    assert count_of(Facet.FUNDER, old_funder.slug) is None and count_of(Facet.PROGRAMME, old.slug) is None
    assert found(new.name) == {project.pk} and found(old.name) == set()
    assert_index_current()


def move_to_rome(territory, asti, rome, how: str) -> None:
    if how == "territory.municipalities.set":
        territory.municipalities.set([rome])
        return
    rome.territories.add(territory)
    if how == "municipality.territories.remove":
        asti.territories.remove(territory)
    else:
        asti.territories.clear()


@pytest.mark.parametrize(
    "how", ["territory.municipalities.set", "municipality.territories.remove", "municipality.territories.clear"]
)
def test_a_territory_given_other_municipalities_moves_its_projects_places(how):
    asti, rome, tag = municipality("Asti", "AT"), municipality("Roma", "RM"), letters()
    territory = make_territory(municipalities=[asti])
    project = make_project(title=f"{MARKER} Territorio {tag}", territories=[territory])

    move_to_rome(territory, asti, rome, how)

    assert facets_of(project) == place_facets("Roma", "RM")
    assert (found(f"{rome.name} {tag}"), found(f"Asti {tag}")) == ({project.pk}, set())
    assert_index_current()


def test_deleting_a_funder_in_the_admin_takes_its_facets_away(superuser_client):
    funder = make_funder()
    direct = make_project(funders=[funder])
    through = make_project(programmes=[make_programme(parent=make_programme(funders=[funder]))])

    response = superuser_client.post(f"/admin/projects/funder/{funder.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not ProjectFacet.objects.filter(facet=Facet.FUNDER, value=funder.slug).exists()
    assert count_of(Facet.FUNDER, funder.slug) is None
    assert (Facet.FUNDER, funder.slug) not in facets_of(direct) | facets_of(through)
    assert_index_current()


# --- the services that publish and delete -----------------------------------------------------------------


def test_projects_publish_and_projects_delete_keep_the_counts():
    partner, tag = make_partner(), letters()
    drafts = [make_project(title=f"{MARKER} {tag} {n}", published=False, lead=partner) for n in range(2)]
    pks = [project.pk for project in drafts]

    assert projects_publish(projects=Project.objects.filter(pk__in=pks), published=True) == 2
    assert count_of(Facet.LEAD_PARTNER, partner.slug) == (partner.name, 2)
    assert found(tag) == set(pks) and tag in terms()
    assert_index_current()

    assert projects_delete(projects=Project.objects.filter(pk=pks[0])) == 1
    assert count_of(Facet.LEAD_PARTNER, partner.slug) == (partner.name, 1)
    assert found(tag) == {pks[1]}
    assert_index_current()


# --- drafts -----------------------------------------------------------------------------------------------


def test_a_draft_is_never_in_the_facets_counts_or_words_but_the_admin_finds_it(editor_client):
    counts = index_state()["counts"]
    partner, tag = make_partner(), letters()

    draft = make_project(title=f"{MARKER} Bozza {tag}", published=False, lead=partner, themes=["housing"])

    assert facets_of(draft) == set() and index_state()["counts"] == counts
    assert tag not in terms()
    assert (found(tag), found(tag, drafts=True)) == (set(), {draft.pk})
    assert list(editor_client.get(CHANGELIST, {"q": tag}).context["cl"].result_list) == [draft]
    assert editor_client.get("/projects/", {"q": tag}).context["result_count"] == 0
    assert_index_current()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the words table is PostgreSQL's")
def test_every_search_document_has_its_words_alone_written_with_it():
    project = make_project(f"{MARKER} Orti lagunari")
    Project.objects.filter(pk=project.pk).update(title=f"{MARKER} Cantieri navali")
    projects_index([project.pk])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(w.project_id), count(*) FILTER (WHERE w.words IS DISTINCT FROM strip(s.vector)) "
            "FROM projects_projectsearch s LEFT JOIN projects_projectwords w USING (project_id)"
        )
        documents, with_words, differing = cursor.fetchone()
    assert documents > 1 and with_words == documents and differing == 0
    assert found("navali") == {project.pk} and not found("lagunari") & {project.pk}


def test_a_change_the_index_does_not_read_moves_the_stamp_for_its_projects_only(monkeypatch):
    territory = make_territory()
    project = make_project(territories=[territory])
    make_project()  # names another territory
    reindexed = []
    monkeypatch.setattr(signals, "records_reindex", lambda model, pks: reindexed.append((model, list(pks))))
    before = IndexState.current()
    territory.basis, territory.note = "inferred", "Provincia presa per intero."
    territory.save()
    assert reindexed == []  # no search document or facet reads the note
    assert IndexState.current() != before
    assert IndexChange.objects.order_by("-pk").values_list("projects", flat=True).first() == [project.pk]
    territory.name = f"{territory.name} rinominato"
    territory.save()
    assert reindexed == [(Territory, [territory.pk])]  # the name is indexed


# --- the index's stamp, read once per request -------------------------------------------------------------


def stamp_reads(queries) -> int:
    return sum(IndexState._meta.db_table in query["sql"] for query in queries)


@pytest.mark.parametrize(
    "path", ["/projects/", "/projects/?q=casa", "/places/piemonte/asti/asti/", "/funders/", "/"], ids=str
)
def test_a_page_reads_the_index_stamp_once(client, path):
    cache.clear()  # its first view, when every part of the page asks for the stamp
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200

    assert stamp_reads(queries.captured_queries) == 1


def test_a_change_to_the_index_within_the_block_is_read_again():
    project = make_project()
    with stamp_read_once():
        before = IndexState.current()
        projects_index([project.pk])
        after = IndexState.current()

    assert after != before
    assert after == IndexState.objects.get(pk=1).stamp
