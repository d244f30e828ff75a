"""The editors' admin (projects/admin.py, partners/admin.py) and the Editors group (migration 0002)."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Group, User
from django.db.models import Count
from django.utils.html import escape

from projects.models import Project
from tests.factories import MARKER, make_partner, make_programme, make_project, make_territory, municipality, word

pytestmark = pytest.mark.django_db

REGISTRY_APPS = ("projects", "partners")
CHANGELIST = "/admin/projects/project/"


def make_user(*, staff: bool, editor: bool) -> User:
    user = User.objects.create_user(username=f"user-{word()}", password="not-used", is_staff=staff)
    if editor:
        user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor_client(client):
    client.force_login(make_user(staff=True, editor=True))
    return client


@pytest.fixture
def seed_project_with_partners():
    """The seed project naming the most organisations."""
    return (
        Project.objects.exclude(title__startswith=MARKER)
        .annotate(links=Count("participations"))
        .filter(links__gt=1)
        .order_by("-links", "pk")
        .first()
    )


# --- who gets in -----------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get(CHANGELIST)
    assert (response.status_code, response["Location"]) == (302, f"/admin/login/?next={CHANGELIST}")


def test_logged_in_user_who_is_not_staff_is_sent_to_the_login_page(client):
    client.force_login(make_user(staff=False, editor=True))
    response = client.get(CHANGELIST)
    assert (response.status_code, response["Location"].split("?")[0]) == (302, "/admin/login/")


def test_staff_user_outside_the_editors_group_is_refused_the_project_list(client):
    client.force_login(make_user(staff=True, editor=False))
    assert client.get(CHANGELIST).status_code == 403


def test_editor_opens_the_project_list(editor_client):
    response = editor_client.get(CHANGELIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == Project.objects.count()


def test_editor_searches_the_project_list_by_organisation(editor_client):
    partner = make_partner(name=f"{MARKER} Cooperativa {word()}")
    project = make_project(partners=[partner])
    response = editor_client.get(CHANGELIST, {"q": partner.name.split()[-1]})
    assert list(response.context["cl"].result_list) == [project]


def test_editor_filters_the_project_list_by_status(editor_client):
    make_project(period="2010 - 2011")
    response = editor_client.get(CHANGELIST, {"status": "closed"})
    assert response.status_code == 200
    assert all(project.status == "closed" for project in response.context["cl"].result_list)


def test_editor_opens_the_add_form(editor_client):
    response = editor_client.get(f"{CHANGELIST}add/")
    assert response.status_code == 200 and 'name="period_text"' in response.content.decode()


def test_editor_opens_a_seed_project_with_its_organisations_inline(editor_client, seed_project_with_partners):
    project = seed_project_with_partners
    response = editor_client.get(f"{CHANGELIST}{project.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'name="participations-TOTAL_FORMS" value="{project.participations.count()}"' in html
    assert all(escape(link.partner.name) in html for link in project.participations.all())


def test_editor_opens_the_lead_partner_list(editor_client):
    partner = make_partner()
    make_project(lead=partner)
    response = editor_client.get("/admin/partners/leadpartner/")
    assert response.status_code == 200 and partner in response.context["cl"].result_list


# --- autocomplete ----------------------------------------------------------------------------


def autocomplete(client, model_name: str, field_name: str, term: str) -> list[dict]:
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "projects", "model_name": model_name, "field_name": field_name, "term": term},
    )
    assert response.status_code == 200
    return response.json()["results"]


def test_editor_autocompletes_territories_of_a_project(editor_client):
    territory = make_territory(name=f"{MARKER} Asti nord {word()}")
    results = autocomplete(editor_client, "project", "territories", "Asti")
    assert {"id": str(territory.pk), "text": territory.name} in results


def test_editor_autocompletes_organisations_of_a_participation(editor_client):
    partner = make_partner(name=f"{MARKER} Associazione {word()}")
    results = autocomplete(editor_client, "participation", "partner", partner.name.split()[-1])
    assert results == [{"id": str(partner.pk), "text": partner.name}]


def test_editor_autocompletes_municipalities_of_a_territory(editor_client):
    maretto = municipality("Maretto", "AT")
    results = autocomplete(editor_client, "territory", "municipalities", "Maretto")
    assert {"id": maretto.istat_code, "text": "Maretto (AT)"} in results
    assert all("maretto" in result["text"].lower() for result in results)


def test_organisation_autocomplete_lists_matches_in_alphabetical_order(editor_client):
    tag = word()
    for letter in "HGFEDCBA":
        make_partner(name=f"{MARKER} {tag} {letter}")
    assert [result["text"][-1] for result in autocomplete(editor_client, "participation", "partner", tag)] == list(
        "ABCDEFGH"
    )


def test_territory_autocomplete_lists_matches_in_alphabetical_order(editor_client):
    tag = word()
    for letter in "HGFEDCBA":
        make_territory(name=f"{MARKER} {tag} {letter}")
    assert [result["text"][-1] for result in autocomplete(editor_client, "project", "territories", tag)] == list(
        "ABCDEFGH"
    )


def test_autocomplete_is_refused_to_staff_outside_the_editors_group(client):
    client.force_login(make_user(staff=True, editor=False))
    response = client.get(
        "/admin/autocomplete/",
        {"app_label": "projects", "model_name": "project", "field_name": "territories", "term": "Asti"},
    )
    assert response.status_code == 403


# --- what editors may do ---------------------------------------------------------------------


def test_editor_adds_a_project_and_the_period_typed_as_the_source_writes_it_sets_the_dates(editor_client):
    slug = f"fx-admin-{word()}"
    data = {
        "title": f"{MARKER} Nuovo progetto",
        "slug": slug,
        "kind": "network",  # preselected as "project", as the browser sends it; here an editor's choice
        "period_text": "Maggio 2024 - Dicembre 2025",
        "sources": "[]",
        **{
            f"{prefix}-{key}": value
            for prefix in ("participations", "theme_links", "target_group_links")
            for key, value in (("TOTAL_FORMS", "0"), ("INITIAL_FORMS", "0"))
        },
    }
    response = editor_client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    project = Project.objects.get(slug=slug)
    assert (project.start_iso, project.end_iso, project.is_published) == ("2024-05", "2025-12", False)
    assert project.kind == "network"


def test_editor_is_told_when_the_period_cannot_be_read(editor_client):
    data = {
        "title": f"{MARKER} x",
        "slug": f"fx-{word()}",
        "kind": "project",
        "period_text": "primavera 2024",
        "sources": "[]",
    }
    data.update(
        {
            f"{p}-{k}": "0"
            for p in ("participations", "theme_links", "target_group_links")
            for k in ("TOTAL_FORMS", "INITIAL_FORMS")
        }
    )
    response = editor_client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 200
    assert "The period cannot be read" in str(response.context["adminform"].form.errors["period_text"])


def add_form(title: str, **fields) -> dict:
    data = {"title": title, "slug": f"fx-{word()}", "kind": "project", "sources": "[]", **fields}
    data.update(
        {
            f"{p}-{k}": "0"
            for p in ("participations", "theme_links", "target_group_links")
            for k in ("TOTAL_FORMS", "INITIAL_FORMS")
        }
    )
    return data


def test_editor_is_told_a_project_with_the_title_of_one_in_the_registry_is_already_there(editor_client):
    intarsi = Project.objects.get(cup="I69E19001100002")

    response = editor_client.post(f"{CHANGELIST}add/", add_form(intarsi.title.upper().replace(" - ", " – ")))

    assert response.status_code == 200
    assert "is already in the registry" in str(response.context["adminform"].form.errors["title"])
    assert Project.objects.filter(title_key=intarsi.title_key).count() == 1


def test_editor_adds_a_project_with_a_known_title_when_its_cup_tells_it_apart(editor_client):
    intarsi = Project.objects.get(cup="I69E19001100002")

    response = editor_client.post(f"{CHANGELIST}add/", add_form(intarsi.title, cup="B12C34000000009"))

    assert response.status_code == 302
    assert Project.objects.filter(title_key=intarsi.title_key).count() == 2


def test_editor_renaming_a_project_to_another_ones_title_is_told_so(editor_client):
    project = make_project()
    form = editor_client.get(f"{CHANGELIST}{project.pk}/change/").context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name not in ("partners", "funders", "programmes", "territories", "related")
    }
    data.update(add_form("Samadhi", slug=project.slug, sources="[]"))

    response = editor_client.post(f"{CHANGELIST}{project.pk}/change/", data)

    assert response.status_code == 200
    assert "«Samadhi» is already in the registry" in str(response.context["adminform"].form.errors["title"])


def test_editor_publishes_projects_with_the_publish_action(editor_client):
    drafts = [make_project(published=False), make_project(published=False)]
    response = editor_client.post(CHANGELIST, {"action": "publish", "_selected_action": [p.pk for p in drafts]})
    assert response.status_code == 302
    assert list(Project.objects.filter(pk__in=[p.pk for p in drafts]).values_list("is_published", flat=True)) == [
        True,
        True,
    ]


def test_editor_withdraws_a_project_with_the_unpublish_action(editor_client):
    project = make_project()
    editor_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [project.pk]})
    project.refresh_from_db()
    assert project.is_published is False


def test_editor_cannot_delete_a_project(editor_client):
    project = make_project()
    response = editor_client.post(f"{CHANGELIST}{project.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403 and Project.objects.filter(pk=project.pk).exists()


def test_editor_is_not_offered_the_delete_action(editor_client):
    assert "delete_selected" not in editor_client.get(CHANGELIST).content.decode()


def test_editor_cannot_change_a_municipality(editor_client):
    maretto = municipality("Maretto", "AT")
    response = editor_client.post(f"/admin/projects/municipality/{maretto.pk}/change/", {"name": "Altro"})
    maretto.refresh_from_db()
    assert (response.status_code, maretto.name) == (403, "Maretto")


# --- the Editors group -----------------------------------------------------------------------


def registry_models():
    """The models editors curate: the public index (projects.models.index) is derived, never edited."""
    return [
        model
        for app in REGISTRY_APPS
        for model in apps.get_app_config(app).get_models()
        if model.__module__ != "projects.models.index"
        # Derived too: the history's versions (written by the registry, read in each record's history) and the
        # similar names of organisations kept for the duplicates page.
        and not model.__name__.startswith("Historical")
        and model.__name__ != "SimilarPair"
    ]


def editors_permissions() -> set[tuple[str, str]]:
    group = Group.objects.get(name="Editors")
    return set(group.permissions.values_list("content_type__app_label", "codename"))


def test_editors_may_add_and_change_every_model_of_the_registry_but_municipalities():
    permissions = editors_permissions()
    missing = [
        (model._meta.app_label, f"{action}_{model._meta.model_name}")
        for model in registry_models()
        if model._meta.model_name != "municipality"
        for action in ("add", "change", "view")
        if (model._meta.app_label, f"{action}_{model._meta.model_name}") not in permissions
    ]
    assert missing == []


def test_editors_may_delete_nothing():
    assert [codename for _, codename in editors_permissions() if codename.startswith("delete_")] == []


def test_editors_may_only_view_municipalities():
    assert {codename for app, codename in editors_permissions() if codename.endswith("_municipality")} == {
        "view_municipality"
    }


# --- every admin page can be searched and filtered -------------------------------------------


ADMINS = [
    pytest.param(model, id=model.__name__) for model in admin.site._registry if model._meta.app_label in REGISTRY_APPS
]


def test_the_registry_models_have_admin_pages():
    assert {param.values[0].__name__ for param in ADMINS} >= {
        "Project",
        "Funder",
        "Programme",
        "Territory",
        "Municipality",
        "Partner",
        "LeadPartner",
    }


@pytest.mark.parametrize("model", ADMINS)
def test_every_admin_page_has_search_fields_and_list_filter(model):
    model_admin = admin.site._registry[model]
    assert (bool(model_admin.search_fields), bool(model_admin.list_filter)) == (True, True)


# --- lists that stay fast with many records --------------------------------------------------------------


def test_the_territory_list_counts_each_territorys_municipalities(editor_client):
    two = make_territory(municipalities=[municipality("Asti", "AT"), municipality("Biella", "BI")])
    none = make_territory()

    response = editor_client.get("/admin/projects/territory/", {"q": MARKER})

    shown = {territory.pk: territory._municipality_count for territory in response.context["cl"].result_list}
    assert (shown[two.pk], shown[none.pk]) == (2, 0)


def test_the_territory_list_filters_by_region_once_per_territory(editor_client):
    in_piemonte = make_territory(municipalities=[municipality("Asti", "AT"), municipality("Biella", "BI")])
    elsewhere = make_territory(municipalities=[municipality("Milano", "MI")])
    piemonte = municipality("Asti", "AT").region_code

    response = editor_client.get("/admin/projects/territory/", {"q": MARKER, "region": piemonte})

    listed = [territory.pk for territory in response.context["cl"].result_list]
    assert listed.count(in_piemonte.pk) == 1  # two of its municipalities are there, it is listed once
    assert elsewhere.pk not in listed
    assert response.context["cl"].result_count == len(listed)


def test_the_programme_list_reads_the_parents_with_the_rows(editor_client, django_assert_max_num_queries):
    parent = make_programme()
    for _ in range(3):
        make_programme(parent=parent)
    with django_assert_max_num_queries(12) as few:
        editor_client.get("/admin/projects/programme/")
    for _ in range(10):
        make_programme(parent=make_programme())

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = editor_client.get("/admin/projects/programme/")
    assert parent.name in response.content.decode()


def test_the_project_list_is_in_italian_alphabetical_order(editor_client):
    titles = [f"{MARKER} {name}" for name in ("Zeta", "èlite", "Alfa", "elica")]
    for title in titles:
        make_project(title)

    response = editor_client.get("/admin/projects/project/", {"q": MARKER})

    listed = [project.title for project in response.context["cl"].result_list if project.title in titles]
    assert listed == [f"{MARKER} {name}" for name in ("Alfa", "elica", "èlite", "Zeta")]
