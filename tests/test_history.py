"""The history of changes (registry.history): every path records who changed what, in change sets, and every
version can be restored and every change set undone; admin forms refuse to overwrite unseen work."""

import io
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.management import CommandError, call_command
from django.core.paginator import Paginator
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from partners.models import Partner
from projects.models import Participation, Programme, Project, Territory
from projects.services import ParticipationInput, ProjectInput, project_upsert, projects_delete
from registry.enums import ChangeKind, Reach, Role, Theme
from registry.history import (
    RestoreError,
    change_set,
    change_set_undo,
    change_set_versions,
    latest_version,
    version_restore,
    versions_baseline,
    versions_record,
)
from registry.models import ChangeSet
from tests.factories import (
    make_full_project,
    make_funder,
    make_partner,
    make_programme,
    make_project,
    make_territory,
    municipality,
    unique,
)

pytestmark = pytest.mark.django_db

CHANGE_URL = "/admin/projects/project/{}/change/"


def make_editor(name: str) -> User:
    user = User.objects.create_user(username=unique(name), password="x", is_staff=True, first_name=name)
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def editor_client(name: str) -> Client:
    client = Client()
    client.force_login(make_editor(name))
    return client


def administrator_client(name: str) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser(username=unique(name), password="x", first_name=name))
    return client


def form_data(response) -> dict:
    """What the browser would send back: every field of the change form as it was rendered."""
    context = response.context
    data = {}
    adminform = context["adminform"]
    for name, field in adminform.form.fields.items():
        value = adminform.form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            data[name] = [str(item) for item in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = field.widget.format_value(value) if hasattr(field.widget, "format_value") else value
            if data[name] is None:
                data[name] = ""
    for formset in context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        for form in formset.formset.forms:
            for name in form.fields:
                value = form[name].value()
                if value is None or value is False:
                    continue
                data[form.add_prefix(name)] = "on" if value is True else value
    return data


def seed_project() -> Project:
    return Project.objects.filter(participations__role=Role.LEAD).exclude(code__startswith="SYN").first()


# --- recording ---------------------------------------------------------------------------------------


def test_the_seed_is_recorded_with_each_projects_links():
    project = seed_project()
    first = project.history.order_by("history_id").first()

    assert first.history_type == "+"
    assert first.change_set.kind == ChangeKind.SEED
    lead = project.lead_partner
    assert {"partner": lead.pk, "name": lead.name, "role": "lead"}.items() <= next(
        link for link in first.links["participations"] if link["role"] == "lead"
    ).items()


def test_each_seed_project_has_one_version_in_the_seed_change_set():
    seed = Project.history.model.objects.filter(change_set__kind=ChangeKind.SEED).values_list("id", flat=True)
    seeded = list(seed)
    assert len(seeded) == len(set(seeded))
    assert not Project.history.model.objects.filter(id__in=seeded, change_set__isnull=True).exists()


def test_an_upsert_records_one_version_with_its_author_in_one_change_set():
    editor = make_editor("Anna")
    partner = make_partner()
    with change_set(ChangeKind.IMPORT, "schede.csv", user=editor) as frame:
        change = project_upsert(
            item=ProjectInput(
                values={"title": unique("Casa comune")},
                participations=[ParticipationInput(name=partner.name, role=Role.LEAD)],
            )
        )

    versions = list(change.project.history.all())
    assert [version.history_type for version in versions] == ["+"]
    assert versions[0].change_set == frame.record
    assert (frame.record.user, frame.record.label, frame.record.kind) == (editor, "schede.csv", ChangeKind.IMPORT)
    assert [link["name"] for link in versions[0].links["participations"]] == [partner.name]


def links_from_the_orm(project: Project) -> dict:
    """A project's links read one relation at a time through the models, each in its model's own order: what
    a version must hold, however the history reads them."""
    return {
        "participations": [
            {
                "id": link.pk,
                "partner": link.partner_id,
                "name": link.partner.name,
                "role": link.role,
                "order": link.order,
                "description": link.description,
                "unit": link.unit,
                "inferred_because": link.inferred_because,
            }
            for link in project.participations.select_related("partner")
        ],
        "themes": sorted(project.theme_links.values_list("theme", flat=True)),
        "target_groups": dict(project.target_group_links.values_list("target_group", "reach")),
        **{
            key: [{"id": record.pk, "name": str(record)} for record in getattr(project, key).all()]
            for key in ("funders", "programmes", "territories", "related")
        },
    }


@pytest.mark.parametrize("chunk", [1, 2, 2000])
def test_versions_recorded_together_hold_each_projects_fields_and_links_in_their_order(monkeypatch, chunk):
    monkeypatch.setattr("registry.history.RECORD_CHUNK", chunk)
    # Made in the opposite order to their names' (unique() numbers the start of a name): the version follows the
    # names, not the ids.
    named = make_programme(f"Zeta programma {unique('p')}", short_name=unique("PCS"))
    first = make_full_project(
        programmes=[named, make_programme(f"Alfa programma {unique('p')}")],
        funders=[make_funder(f"Zeta {unique('f')}"), make_funder(f"Alfa {unique('f')}")],
        target_groups_indirect=["women"],
        units={},
        countries=["FR", "DE"],
        related=[make_project(f"Zorro {unique('r')}"), make_project(f"Albero {unique('r')}")],
    )
    lead = first.participations.get(role=Role.LEAD)
    lead.description, lead.unit, lead.inferred_because = "Coordina", "Ufficio casa", "Hashtag #capofila"
    lead.save()
    # The partners listed the other way round from how they were stored.
    earlier, later = first.participations.filter(role=Role.PARTNER).order_by("pk")
    earlier.order, later.order = later.order, earlier.order
    Participation.objects.bulk_update([earlier, later], ["order"])
    second = make_project(unique("Progetto senza legami"), sources=[])

    with CaptureQueriesContext(connection) as queries, change_set(ChangeKind.OTHER):
        versions_record(Project, [first.pk, second.pk])

    # Read a chunk at a time: one query for the participations of each chunk.
    assert sum('FROM "projects_participation"' in query["sql"] for query in queries) == -(-2 // chunk)

    for project in (first, second):
        project.refresh_from_db()
        version = project.history.latest("history_id")
        assert version.links == links_from_the_orm(project)
        assert (version.title, version.sources, version.countries) == (
            project.title,
            project.sources,
            project.countries,
        )
    version = first.history.latest("history_id")
    assert [item["name"] for item in version.links["programmes"]][1] == named.short_name
    assert [item["name"] for item in version.links["programmes"]][0].startswith("Alfa")
    assert [item["name"] for item in version.links["funders"]][0].startswith("Alfa")
    assert [item["name"] for item in version.links["related"]][0].startswith("Albero")
    assert [(link["role"], link["id"]) for link in version.links["participations"]][:3] == [
        (Role.LEAD, lead.pk),
        (Role.PARTNER, later.pk),
        (Role.PARTNER, earlier.pk),
    ]
    assert version.countries == ["FR", "DE"]
    assert second.history.latest("history_id").links["participations"] == []


def test_a_territorys_version_holds_its_municipalities_and_a_programmes_its_funders_by_name():
    territory = make_territory()
    # Stored out of code order (Biella's code after Asti's): the version lists the codes in order.
    Territory.municipalities.through.objects.bulk_create(
        Territory.municipalities.through(territory=territory, municipality=municipality(name, province))
        for name, province in (("Biella", "BI"), ("Asti", "AT"))
    )
    programme = make_programme(funders=[make_funder(f"Zeta {unique('f')}"), make_funder(f"Alfa {unique('f')}")])

    with change_set(ChangeKind.OTHER):
        versions_record(Territory, [territory.pk])
        versions_record(Programme, [programme.pk])

    assert territory.history.latest("history_id").links == {
        "municipalities": sorted(territory.municipalities.values_list("pk", flat=True))
    }
    assert programme.history.latest("history_id").links == {
        "funders": [{"id": funder.pk, "name": funder.name} for funder in programme.funders.order_by("name")]
    }
    assert programme.history.latest("history_id").links["funders"][0]["name"].startswith("Alfa")


def test_a_change_to_a_project_stored_before_the_history_keeps_its_earlier_state_first():
    project = make_project(acronym="PRIMA", code=unique("C"))  # written with the ORM: no version yet

    project_upsert(item=ProjectInput(values={"code": project.code, "title": project.title, "acronym": "DOPO"}))

    versions = list(project.history.order_by("history_id"))
    assert [(v.history_type, v.acronym, v.change_set_id is None) for v in versions] == [
        ("+", "PRIMA", True),
        ("~", "DOPO", False),
    ]


def test_publishing_from_the_admin_is_recorded_and_logged():
    project = make_project(published=False)
    client = editor_client("Bruno")

    response = client.post(
        "/admin/projects/project/", {"action": "publish", "_selected_action": [project.pk], "index": 0}
    )

    assert response.status_code == 302
    latest = project.history.order_by("-history_id").first()
    assert (latest.is_published, latest.change_set.kind, latest.change_set.author) == (
        True,
        ChangeKind.ACTION,
        "Bruno",
    )
    assert LogEntry.objects.filter(object_id=str(project.pk), change_message="Published").exists()


def test_the_import_command_records_its_file_and_author(tmp_path):
    editor = make_editor("Carla")
    sheet = tmp_path / "schede.csv"
    title = unique("Progetto da riga di comando")
    sheet.write_bytes(f"Titolo;Sintesi\r\n{title};Testo\r\n".encode("cp1252"))

    call_command("import_projects", str(sheet), "--editor", editor.username, stdout=io.StringIO())

    version = Project.objects.get(title=title).history.get()
    assert (version.change_set.kind, version.change_set.label, version.change_set.user) == (
        ChangeKind.IMPORT,
        "schede.csv",
        editor,
    )


def test_the_import_command_refuses_an_unknown_editor(tmp_path):
    sheet = tmp_path / "schede.csv"
    sheet.write_bytes(b"Titolo\r\nNessuno\r\n")

    with pytest.raises(SystemExit) as stopped:
        call_command(
            "import_projects", str(sheet), "--editor", "nobody-here", stdout=io.StringIO(), stderr=io.StringIO()
        )

    assert stopped.value.code == 2
    assert not Project.objects.filter(title="Nessuno").exists()


# --- no lost updates ---------------------------------------------------------------------------------


def test_a_save_from_a_stale_form_is_refused_and_shows_what_changed():
    project = seed_project()
    first, second = editor_client("Elena"), editor_client("Franco")
    url = CHANGE_URL.format(project.pk)
    opened_by_first = form_data(first.get(url))
    opened_by_second = form_data(second.get(url))

    saved = second.post(url, {**opened_by_second, "acronym": "NUOVO"})
    assert saved.status_code == 302
    refused = first.post(url, {**opened_by_first, "summary": "Sintesi riscritta"})

    assert refused.status_code == 409
    project.refresh_from_db()
    assert (project.acronym, project.summary != "Sintesi riscritta") == ("NUOVO", True)
    html = refused.content.decode()
    assert "Franco ha modificato questo record" in html  # the admin speaks Italian
    assert "NUOVO" in html  # what the other save changed, shown above the form
    assert "Sintesi riscritta" in html  # the editor's own text is still in the form


def test_saving_again_after_seeing_the_other_change_is_accepted():
    project = seed_project()
    first, second = editor_client("Gino"), editor_client("Ida")
    url = CHANGE_URL.format(project.pk)
    opened_by_first = form_data(first.get(url))
    second.post(url, {**form_data(second.get(url)), "acronym": "ALTRO"})
    refused = first.post(url, {**opened_by_first, "summary": "Seconda prova"})

    again = first.post(url, {**form_data(refused), "summary": "Seconda prova"})

    assert again.status_code == 302
    project.refresh_from_db()
    assert (project.acronym, project.summary) == ("ALTRO", "Seconda prova")


def inline_rows(response, prefix: str) -> list[dict]:
    """The rows of one inline formset as a change form shows them: {field: value} each, by the posted names."""
    formset = next(f.formset for f in response.context["inline_admin_formsets"] if f.formset.prefix == prefix)
    return [{name: str(form[name].value()) for name in form.fields} for form in formset.forms]


def posted_row(data: dict, prefix: str, partner_id: int) -> str:
    """The posted name prefix ("participations-2-") of the row of this organisation."""
    total = int(data[f"{prefix}-TOTAL_FORMS"])
    return next(f"{prefix}-{i}-" for i in range(total) if str(data.get(f"{prefix}-{i}-partner")) == str(partner_id))


def with_row_removed(data: dict, prefix: str, start: str) -> dict:
    return {**data, f"{start}DELETE": "on"}


@pytest.mark.parametrize("versions_hold_row_ids", [False, True], ids=["seed version", "version with row ids"])
def test_a_stale_save_keeps_what_the_other_editor_did_to_inline_rows(versions_hold_row_ids):
    project = seed_project()
    url = CHANGE_URL.format(project.pk)
    # Removing an organisation from a project is an administrator's change (editors add and change only).
    first, second = editor_client("Olga"), administrator_client("Piero")
    if versions_hold_row_ids:  # the seed's versions match rows by organisation and role; later ones by row id
        assert first.post(url, {**form_data(first.get(url)), "summary": "Prima sintesi"}).status_code == 302
    participations = list(project.participations.order_by("pk"))
    kept, removed = participations[0], participations[-1]
    assert kept != removed
    added = make_partner()
    opened_by_first = form_data(first.get(url))

    data = form_data(second.get(url))
    data[posted_row(data, "participations", kept.partner_id) + "description"] = "Ruolo descritto da Piero"
    data = with_row_removed(data, "participations", posted_row(data, "participations", removed.partner_id))
    total = int(data["participations-TOTAL_FORMS"])
    data.update(
        {
            "participations-TOTAL_FORMS": str(total + 1),
            f"participations-{total}-partner": str(added.pk),
            f"participations-{total}-role": Role.PARTNER,
            f"participations-{total}-order": "9",
        }
    )
    assert second.post(url, data).status_code == 302
    refused = first.post(url, {**opened_by_first, "summary": "Sintesi di Olga"})

    assert refused.status_code == 409
    shown = {row["partner"]: row for row in inline_rows(refused, "participations")}
    assert shown[str(kept.partner_id)]["description"] == "Ruolo descritto da Piero"
    assert str(added.pk) in shown and str(removed.partner_id) not in shown

    again = first.post(url, form_data(refused))

    assert again.status_code == 302
    project.refresh_from_db()
    stored = {link.partner_id: link for link in project.participations.all()}
    assert project.summary == "Sintesi di Olga"
    assert stored[kept.partner_id].description == "Ruolo descritto da Piero"
    assert added.pk in stored and removed.partner_id not in stored


def test_a_stale_save_keeps_the_editors_own_change_to_a_row_the_other_also_changed():
    project = seed_project()
    url = CHANGE_URL.format(project.pk)
    first, second = editor_client("Rita"), editor_client("Sergio")
    row = project.participations.order_by("pk").first()
    opened_by_first = form_data(first.get(url))
    data = form_data(second.get(url))
    data[posted_row(data, "participations", row.partner_id) + "description"] = "Versione di Sergio"
    assert second.post(url, data).status_code == 302
    mine = {**opened_by_first, posted_row(opened_by_first, "participations", row.partner_id) + "description": "Mia"}

    refused = first.post(url, mine)

    assert refused.status_code == 409
    shown = {r["partner"]: r for r in inline_rows(refused, "participations")}
    assert shown[str(row.partner_id)]["description"] == "Mia"
    row.refresh_from_db()
    assert row.description == "Versione di Sergio"  # nothing written by the refused save
    assert first.post(url, form_data(refused)).status_code == 302
    row.refresh_from_db()
    assert row.description == "Mia"  # saved again having seen the other version: the editor's choice


def test_a_stale_save_keeps_the_other_editors_themes_and_reach():
    project = Project.objects.filter(target_group_links__isnull=False).exclude(code__startswith="SYN").first()
    url = CHANGE_URL.format(project.pk)
    first, second = editor_client("Tina"), editor_client("Ugo")
    opened_by_first = form_data(first.get(url))
    data = form_data(second.get(url))
    themes_before = set(project.theme_links.values_list("theme", flat=True))
    new_theme = next(code for code in Theme.values if code not in themes_before)
    total = int(data["theme_links-TOTAL_FORMS"])
    data.update({"theme_links-TOTAL_FORMS": str(total + 1), f"theme_links-{total}-theme": new_theme})
    group = project.target_group_links.order_by("pk").first()
    other_reach = next(code for code in Reach.values if code != group.reach)
    data["target_group_links-0-reach"] = other_reach
    assert data["target_group_links-0-id"] == group.pk
    assert second.post(url, data).status_code == 302

    refused = first.post(url, {**opened_by_first, "acronym": "TINA"})
    assert refused.status_code == 409
    assert first.post(url, form_data(refused)).status_code == 302

    project.refresh_from_db()
    group.refresh_from_db()
    assert project.acronym == "TINA"
    assert set(project.theme_links.values_list("theme", flat=True)) == themes_before | {new_theme}
    assert group.reach == other_reach


def test_an_admin_save_records_the_project_with_its_saved_links():
    project = seed_project()
    client = editor_client("Luca")
    url = CHANGE_URL.format(project.pk)
    before = latest_version(Project, project.pk)

    response = client.post(url, {**form_data(client.get(url)), "summary": "Nuova sintesi"})

    assert response.status_code == 302
    version = project.history.order_by("-history_id").first()
    assert version.history_id > before
    assert (version.summary, version.change_set.kind, version.change_set.author) == (
        "Nuova sintesi",
        ChangeKind.EDIT,
        "Luca",
    )
    assert len(version.links["participations"]) == project.participations.count()


# --- restoring and undoing ---------------------------------------------------------------------------


def test_a_version_is_restored_with_its_links():
    lead, other = make_partner(), make_partner()
    title = unique("Ripristino")
    project_upsert(
        item=ProjectInput(
            values={"title": title, "summary": "Prima"}, participations=[ParticipationInput(lead.name, Role.LEAD)]
        )
    )
    project = Project.objects.get(title=title)
    first = project.history.get()
    project_upsert(
        item=ProjectInput(
            values={"title": title, "summary": "Dopo"}, participations=[ParticipationInput(other.name, Role.LEAD)]
        )
    )

    version_restore(first, user=make_editor("Marta"))

    project.refresh_from_db()
    assert (project.summary, project.lead_partner) == ("Prima", lead)
    assert project.history.order_by("-history_id").first().change_set.kind == ChangeKind.RESTORE


def test_the_history_page_shows_before_and_after_and_restores_from_the_admin():
    title, code = unique("Storia"), unique("C")
    project_upsert(item=ProjectInput(values={"title": title, "code": code, "acronym": "UNO"}))
    project = Project.objects.get(title=title)
    first = project.history.get()
    project_upsert(item=ProjectInput(values={"title": title, "code": code, "acronym": "DUE"}))
    client = editor_client("Nora")

    page = client.get(f"/admin/projects/project/{project.pk}/history/")

    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r"history-before\">UNO<.*history-after\">DUE<", html, re.S)
    restore_url = f"/admin/projects/project/{project.pk}/history/{first.history_id}/restore/"
    assert restore_url in html
    assert client.get(restore_url).status_code == 200
    assert client.post(restore_url).status_code == 302
    project.refresh_from_db()
    assert project.acronym == "UNO"


def test_restoring_needs_the_change_permission():
    title = unique("Permesso")
    project_upsert(item=ProjectInput(values={"title": title}))
    version = Project.objects.get(title=title).history.get()
    viewer = User.objects.create_user(username=unique("viewer"), password="x", is_staff=True)
    client = Client()
    client.force_login(viewer)

    response = client.post(f"/admin/projects/project/{version.id}/history/{version.history_id}/restore/")

    assert response.status_code == 403


def test_undoing_an_import_removes_what_it_created_and_restores_what_it_changed():
    partner = make_partner()
    stored = make_project(acronym="VECCHIO", code=unique("C"))
    with change_set(ChangeKind.IMPORT, "undo.csv") as frame:
        project_upsert(item=ProjectInput(values={"code": stored.code, "title": stored.title, "acronym": "NUOVO"}))
        new = project_upsert(
            item=ProjectInput(
                values={"title": unique("Creato")},
                participations=[ParticipationInput(name=unique("Nuovo ente"), role=Role.LEAD)],
            )
        ).project
    created_partner = new.lead_partner

    undo = change_set_undo(frame.record, user=make_editor("Olga"))

    stored.refresh_from_db()
    assert stored.acronym == "VECCHIO"
    assert not Project.objects.filter(pk=new.pk).exists()
    assert not Partner.objects.filter(pk=created_partner.pk).exists()
    assert Partner.objects.filter(pk=partner.pk).exists()
    frame.record.refresh_from_db()
    assert frame.record.undone_by == undo


def test_undoing_a_deletion_recreates_the_project_with_its_links():
    project = seed_project()
    participations = sorted(project.participations.values_list("partner_id", "role"))
    client = Client()  # editors withdraw projects; deleting is for administrators
    client.force_login(User.objects.create_superuser(username=unique("admin"), password="x"))

    response = client.post(f"/admin/projects/project/{project.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deletion = project.history.order_by("-history_id").first()
    assert deletion.history_type == "-"

    change_set_undo(deletion.change_set)

    restored = Project.objects.get(pk=project.pk)
    assert sorted(restored.participations.values_list("partner_id", "role")) == participations


def test_an_undo_that_would_overwrite_a_later_change_is_refused_and_writes_nothing():
    title, code = unique("Conflitto"), unique("C")
    with change_set(ChangeKind.IMPORT, "primo.csv") as frame:
        project_upsert(item=ProjectInput(values={"title": title, "code": code, "acronym": "A"}))
    project_upsert(item=ProjectInput(values={"title": title, "code": code, "acronym": "B"}))
    client = editor_client("Quinto")

    response = client.post(f"/admin/registry/changeset/{frame.record.pk}/undo/")

    assert response.status_code == 409
    assert "sono stati modificati dopo questo insieme di modifiche" in response.content.decode()
    assert Project.objects.get(title=title).acronym == "B"
    assert ChangeSet.objects.get(pk=frame.record.pk).undone_by is None


def test_the_change_set_page_lists_every_version_it_wrote():
    with change_set(ChangeKind.IMPORT, "elenco.csv") as frame:
        for name in ("Uno", "Due"):
            project_upsert(item=ProjectInput(values={"title": unique(name)}))
    client = editor_client("Rita")

    page = client.get(f"/admin/registry/changeset/{frame.record.pk}/change/")

    assert page.status_code == 200
    assert page.context["page"].paginator.count == 2


def test_staff_without_the_undo_permission_cannot_undo():
    with change_set(ChangeKind.IMPORT, "vietato.csv") as frame:
        project_upsert(item=ProjectInput(values={"title": unique("Vietato")}))
    staff = User.objects.create_user(username=unique("staff"), password="x", is_staff=True)
    client = Client()
    client.force_login(staff)

    assert client.post(f"/admin/registry/changeset/{frame.record.pk}/undo/").status_code == 403
    assert ChangeSet.objects.get(pk=frame.record.pk).undone_by is None


def test_a_change_set_is_paged_in_the_database_across_its_models():
    with change_set(ChangeKind.IMPORT, "pagine.csv") as frame:
        for name in ("Uno", "Due", "Tre"):
            project_upsert(
                item=ProjectInput(
                    values={"title": unique(name)},
                    participations=[ParticipationInput(name=unique(f"Ente {name}"), role=Role.LEAD)],
                )
            )
    versions = change_set_versions(frame.record)
    every = list(versions)
    assert sorted({type(version).__name__ for version in every}) == ["HistoricalPartner", "HistoricalProject"]

    assert versions.count() == len(every) == 6
    for start, stop in [(0, 2), (2, 5), (3, 4), (5, 9), (0, 6), (6, 8)]:
        assert versions[start:stop] == every[start:stop]
    assert (versions[0], versions[5]) == (every[0], every[5])
    pages = Paginator(versions, 4)
    assert [version for number in pages.page_range for version in pages.page(number).object_list] == every


def test_a_change_set_too_large_for_a_request_is_refused_in_the_admin_with_the_command_to_run(settings):
    settings.UNDO_IN_ADMIN_AT_MOST = 1
    with change_set(ChangeKind.IMPORT, "grande.csv") as frame:
        made = [project_upsert(item=ProjectInput(values={"title": unique(name)})).project for name in ("Uno", "Due")]
    client = editor_client("Vera")
    url = f"/admin/registry/changeset/{frame.record.pk}/undo/"

    shown = client.get(url)
    refused = client.post(url)

    assert shown.status_code == 200
    assert f"python manage.py undo_changeset {frame.record.pk} --editor" in shown.content.decode()
    assert "si annulla sul server, con il comando qui sotto" in shown.content.decode()
    assert "<form" not in shown.content.decode().split('id="content-main"')[1]  # no button to undo it here
    assert refused.status_code == 409
    assert ChangeSet.objects.get(pk=frame.record.pk).undone_by is None
    assert Project.objects.filter(pk__in=[project.pk for project in made]).count() == 2


def test_the_undo_command_undoes_a_change_set_under_an_editors_name():
    with change_set(ChangeKind.IMPORT, "comando.csv") as frame:
        created = project_upsert(item=ProjectInput(values={"title": unique("Comando")})).project
    editor = make_editor("Walter")
    out = io.StringIO()

    call_command("undo_changeset", str(frame.record.pk), "--editor", editor.username, stdout=out)

    assert not Project.objects.filter(pk=created.pk).exists()
    undo = ChangeSet.objects.get(pk=frame.record.pk).undone_by
    assert (undo.user, undo.kind) == (editor, ChangeKind.UNDO)
    assert "(undo_changeset)" in undo.actor


@pytest.mark.parametrize("problem", ["no such change set", "no such editor", "no permission", "later change"])
def test_the_undo_command_refuses_and_writes_nothing(problem):
    title, code = unique("Rifiuto"), unique("C")
    with change_set(ChangeKind.IMPORT, "rifiuto.csv") as frame:
        project_upsert(item=ProjectInput(values={"title": title, "code": code, "acronym": "A"}))
    editor = make_editor("Zeno")
    number, name = frame.record.pk, editor.username
    if problem == "no such change set":
        number = ChangeSet.objects.order_by("-pk").first().pk + 100
    elif problem == "no such editor":
        name = unique("nessuno")
    elif problem == "no permission":
        name = User.objects.create_user(username=unique("staff"), password="x", is_staff=True).username
    else:
        project_upsert(item=ProjectInput(values={"title": title, "code": code, "acronym": "B"}))
    sets_before = ChangeSet.objects.count()

    with pytest.raises(CommandError, match="(?i)nothing was undone|nulla è stato annullato"):
        call_command("undo_changeset", str(number), "--editor", name)

    assert ChangeSet.objects.get(pk=frame.record.pk).undone_by is None
    assert ChangeSet.objects.count() == sets_before
    assert Project.objects.filter(title=title).exists()


def project_state(pk: int) -> dict:
    """Everything a version of a project holds, as stored: its fields and every link."""
    project = Project.objects.get(pk=pk)
    state = {field.attname: getattr(project, field.attname) for field in Project._meta.concrete_fields}
    state["participations"] = sorted(
        project.participations.values_list("partner_id", "role", "role_order", "order", "description", "unit")
    )
    state["themes"] = sorted(project.theme_links.values_list("theme", flat=True))
    state["target_groups"] = sorted(project.target_group_links.values_list("target_group", "reach"))
    for name in ("funders", "programmes", "territories", "related"):
        state[name] = sorted(getattr(project, name).values_list("pk", flat=True))
    return state


@pytest.mark.parametrize("chunk", [1000, 1], ids=["one chunk", "a chunk per project"])
def test_undoing_a_change_set_of_several_projects_brings_each_back_whole_with_its_links(chunk, monkeypatch):
    monkeypatch.setattr("projects.history.RESTORE_CHUNK", chunk)
    b, c = make_full_project(), make_full_project()
    a = make_full_project(related=[b])
    before = {project.pk: project_state(project.pk) for project in (a, b, c)}
    other_lead = make_partner()
    with change_set(ChangeKind.IMPORT, "molti.csv") as frame:
        project_upsert(
            item=ProjectInput(
                values={"title": a.title, "acronym": "CAMBIATO"},
                participations=[ParticipationInput(other_lead.name, Role.LEAD)],
                themes=["work_training"],
                target_groups={"unaccompanied_minors": "indirect"},
            )
        )
        project_upsert(item=ProjectInput(values={"title": b.title, "summary": "Sintesi nuova"}, territories=[]))
        versions_baseline(Project, [a.pk, b.pk, c.pk])
        Project.objects.get(pk=a.pk).related.set([c.pk])  # related both ways: a–c now, a–b no more
        versions_record(Project, [a.pk, b.pk, c.pk])
        changed = {pk: project_state(pk) for pk in (a.pk, b.pk)}
        projects_delete(projects=Project.objects.filter(pk=c.pk))
    assert all(changed[pk] != before[pk] for pk in changed)

    change_set_undo(frame.record)

    assert {pk: project_state(pk) for pk in before} == before
    assert Project.objects.get(pk=b.pk).related.filter(pk=a.pk).exists()  # the other way too
    assert not Project.objects.get(pk=c.pk).related.exists()


def test_an_undo_refused_for_a_name_now_taken_names_the_project_and_writes_nothing():
    kept = make_project(title=unique("Occupato"))
    with change_set(ChangeKind.EDIT, "via") as deletion:
        projects_delete(projects=Project.objects.filter(pk=kept.pk))
    make_project(title=kept.title, slug=kept.slug)  # another project now has its title and address

    with pytest.raises(RestoreError, match=re.escape(kept.title)):
        change_set_undo(deletion.record)

    assert not Project.objects.filter(pk=kept.pk).exists()
    assert ChangeSet.objects.get(pk=deletion.record.pk).undone_by is None


def test_a_row_changed_here_and_removed_there_comes_back_as_a_new_row_and_the_forms_match_their_rows():
    project = seed_project()
    url = CHANGE_URL.format(project.pk)
    first, second = editor_client("Alba"), administrator_client("Bruno")
    gone = project.participations.order_by("pk").last()
    opened_by_first = form_data(first.get(url))
    data = form_data(second.get(url))
    assert (
        second.post(
            url, with_row_removed(data, "participations", posted_row(data, "participations", gone.partner_id))
        ).status_code
        == 302
    )
    mine = {
        **opened_by_first,
        posted_row(opened_by_first, "participations", gone.partner_id) + "description": "Ancora qui",
    }

    refused = first.post(url, mine)

    assert refused.status_code == 409
    formset = next(f.formset for f in refused.context["inline_admin_formsets"] if f.formset.prefix == "participations")
    assert formset.initial_form_count() == project.participations.count()
    for form in formset.initial_forms:  # each form is shown with the row it edits
        assert str(form.instance.pk) == str(form["id"].value())
    assert [row["description"] for row in inline_rows(refused, "participations")].count("Ancora qui") == 1
    assert first.post(url, form_data(refused)).status_code == 302
    assert project.participations.filter(partner_id=gone.partner_id, description="Ancora qui").exists()


def test_a_theme_this_editor_changed_to_another_ones_code_keeps_the_change():
    project = make_full_project()  # themes: housing, mediation
    url = CHANGE_URL.format(project.pk)
    first, second = administrator_client("Carla"), administrator_client("Dario")
    opened_by_first = form_data(first.get(url))
    assert second.post(url, {**form_data(second.get(url)), "acronym": "ALTRO"}).status_code == 302
    rows_posted = {
        opened_by_first[f"theme_links-{i}-theme"]: i for i in range(int(opened_by_first["theme_links-TOTAL_FORMS"]))
    }
    mine = {
        **opened_by_first,
        f"theme_links-{rows_posted['housing']}-theme": "mediation",
        f"theme_links-{rows_posted['mediation']}-DELETE": "on",
    }

    refused = first.post(url, mine)
    assert refused.status_code == 409
    assert first.post(url, form_data(refused)).status_code == 302

    project.refresh_from_db()
    assert (project.acronym, sorted(project.theme_links.values_list("theme", flat=True))) == ("ALTRO", ["mediation"])


def test_a_row_may_take_the_code_of_a_row_deleted_in_the_same_save():
    project = make_full_project()  # themes: housing, mediation
    url = CHANGE_URL.format(project.pk)
    client = administrator_client("Elio")
    data = form_data(client.get(url))
    at = {data[f"theme_links-{i}-theme"]: i for i in range(int(data["theme_links-TOTAL_FORMS"]))}
    data.update({f"theme_links-{at['housing']}-theme": "mediation", f"theme_links-{at['mediation']}-DELETE": "on"})

    assert client.post(url, data).status_code == 302  # the deleted row goes first: no clash on (project, theme)
    assert list(project.theme_links.values_list("theme", flat=True)) == ["mediation"]


def rows_of(data: dict, prefix: str, field: str) -> dict[str, int]:
    """The inline's row number of each value of `field`, as the form was rendered."""
    return {data[f"{prefix}-{i}-{field}"]: i for i in range(int(data[f"{prefix}-TOTAL_FORMS"]))}


def test_two_rows_may_swap_their_themes_in_one_save():
    project = make_full_project()  # themes: housing, mediation
    url = CHANGE_URL.format(project.pk)
    client = editor_client("Elio")
    data = form_data(client.get(url))
    at = rows_of(data, "theme_links", "theme")
    ids = {theme: data[f"theme_links-{row}-id"] for theme, row in at.items()}
    data.update({f"theme_links-{at['housing']}-theme": "mediation", f"theme_links-{at['mediation']}-theme": "housing"})

    assert client.post(url, data).status_code == 302  # each row takes the other's theme: no clash on (project, theme)
    links = dict(project.theme_links.values_list("pk", "theme"))
    assert links == {int(ids["housing"]): "mediation", int(ids["mediation"]): "housing"}


def test_two_rows_may_swap_their_target_groups_and_their_organisations_in_one_save():
    project = make_full_project()  # target groups: refugees, asylum_seekers; two partners
    url = CHANGE_URL.format(project.pk)
    client = editor_client("Elio")
    data = form_data(client.get(url))
    at = rows_of(data, "target_group_links", "target_group")
    data.update(
        {
            f"target_group_links-{at['refugees']}-target_group": "asylum_seekers",
            f"target_group_links-{at['asylum_seekers']}-target_group": "refugees",
        }
    )
    partner_rows = [
        i for i in range(int(data["participations-TOTAL_FORMS"])) if data[f"participations-{i}-role"] == Role.PARTNER
    ]
    first, second = partner_rows
    first_partner, second_partner = data[f"participations-{first}-partner"], data[f"participations-{second}-partner"]
    data.update({f"participations-{first}-partner": second_partner, f"participations-{second}-partner": first_partner})

    assert client.post(url, data).status_code == 302
    assert set(project.target_group_links.values_list("target_group", flat=True)) == {"refugees", "asylum_seekers"}
    rows = dict(project.participations.filter(role=Role.PARTNER).values_list("pk", "partner_id"))
    assert rows == {
        int(data[f"participations-{first}-id"]): int(second_partner),
        int(data[f"participations-{second}-id"]): int(first_partner),
    }


def test_the_lead_may_pass_to_another_organisation_whatever_the_rows_order():
    project = make_full_project()
    url = CHANGE_URL.format(project.pk)
    client = editor_client("Elio")
    data = form_data(client.get(url))
    roles = {i: data[f"participations-{i}-role"] for i in range(int(data["participations-TOTAL_FORMS"]))}
    lead_row = next(i for i, role in roles.items() if role == Role.LEAD)
    partner_row = max(i for i, role in roles.items() if role == Role.PARTNER)
    new_lead = int(data[f"participations-{partner_row}-partner"])
    # The row that becomes the lead is saved before the row that stops being it (rows are saved in form order).
    for name in ("id", "partner", "role", "order", "description", "unit", "inferred_because"):
        key_lead, key_partner = f"participations-{lead_row}-{name}", f"participations-{partner_row}-{name}"
        data[key_lead], data[key_partner] = data.get(key_partner, ""), data.get(key_lead, "")
    data[f"participations-{lead_row}-role"] = Role.LEAD
    data[f"participations-{partner_row}-role"] = Role.PARTNER

    response = client.post(url, data)

    assert response.status_code == 302, response.context and response.context["errors"]
    assert project.participations.get(role=Role.LEAD).partner_id == new_lead


def test_a_change_set_undone_already_is_not_undone_twice():
    with change_set(ChangeKind.IMPORT, "due-volte.csv") as frame:
        project = project_upsert(item=ProjectInput(values={"title": unique("Due volte")})).project
    change_set_undo(frame.record)
    stale = ChangeSet.objects.get(pk=frame.record.pk)
    stale.undone_by_id = None  # as a second request read it, before the first undo committed
    sets_before = ChangeSet.objects.count()

    with pytest.raises(RestoreError, match="already undone"):
        change_set_undo(stale)

    assert ChangeSet.objects.count() == sets_before
    assert not Project.objects.filter(pk=project.pk).exists()
