"""Editors review visitors' suggested corrections in the admin: beside the project, and in a list of their own."""

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.utils import timezone

from projects.models import CorrectionSuggestion
from projects.services.corrections import correction_create
from registry.enums import CorrectionStatus
from tests.factories import make_project, word

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/projects/correctionsuggestion/"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()


def make_user(*, staff: bool = True, editor: bool = True, superuser: bool = False) -> User:
    make = User.objects.create_superuser if superuser else User.objects.create_user
    user = make(username=f"user-{word()}", password="not-used", is_staff=staff)
    if editor:
        user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def editor():
    return make_user()


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def suggest(project, text: str | None = None, **fields) -> CorrectionSuggestion:
    return correction_create(
        project=project, message=text or f"Wrong end date {word()}", source="https://example.org/atto.pdf", **fields
    )


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


# --- who gets in -----------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["", "{pk}/change/"])
def test_anonymous_visitor_is_sent_to_the_login_page(client, path):
    correction = suggest(make_project())
    url = CHANGELIST + path.format(pk=correction.pk)
    response = client.get(url)
    assert (response.status_code, response["Location"].split("?")[0]) == (302, "/admin/login/")
    assert correction.message not in response.content.decode()


def test_staff_user_outside_the_editors_group_is_refused(client):
    suggest(make_project())
    client.force_login(make_user(editor=False))
    assert client.get(CHANGELIST).status_code == 403


def test_editors_may_read_and_review_suggestions_but_not_delete_them(editor):
    assert editor.has_perms(["projects.view_correctionsuggestion", "projects.change_correctionsuggestion"])
    assert not editor.has_perm("projects.delete_correctionsuggestion")


# --- the list of all suggestions -------------------------------------------------------------


def test_changelist_shows_how_many_suggestions_wait_for_review(editor_client, editor):
    project = make_project()
    waiting = [suggest(project) for _ in range(2)]
    reviewed = suggest(project)
    editor_client.post(CHANGELIST, {"action": "dismiss", "_selected_action": [reviewed.pk]})
    response = editor_client.get(CHANGELIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "2 suggestions wait for review" in html
    assert {c.pk for c in response.context["cl"].result_list} == {*(c.pk for c in waiting), reviewed.pk}


def test_changelist_filters_by_status(editor_client):
    project = make_project()
    new, dismissed = suggest(project), suggest(project)
    editor_client.post(CHANGELIST, {"action": "dismiss", "_selected_action": [dismissed.pk]})
    response = editor_client.get(CHANGELIST, {"status__exact": "new"})
    assert [c.pk for c in response.context["cl"].result_list] == [new.pk]


def test_changelist_filters_by_date_sent(editor_client):
    project = make_project()
    old, recent = suggest(project), suggest(project)
    CorrectionSuggestion.objects.filter(pk=old.pk).update(created_at=timezone.now() - timezone.timedelta(days=400))
    # The filter's "This year", as its link writes it.
    year = timezone.localtime().replace(month=1, day=1, hour=0, minute=0, second=0, microsecond=0)
    this_year = {"created_at__gte": str(year), "created_at__lt": str(year.replace(year=year.year + 1))}
    response = editor_client.get(CHANGELIST, this_year)
    assert [c.pk for c in response.context["cl"].result_list] == [recent.pk]


def test_changelist_searches_what_is_wrong_and_the_project_title(editor_client):
    first, second = make_project(), make_project()
    tag = word()
    wanted = suggest(first, f"The budget is wrong {tag}")
    suggest(second)
    by_text = editor_client.get(CHANGELIST, {"q": tag}).context["cl"].result_list
    by_title = editor_client.get(CHANGELIST, {"q": second.title}).context["cl"].result_list
    assert [c.pk for c in by_text] == [wanted.pk]
    assert [c.project_id for c in by_title] == [second.pk]


@pytest.mark.parametrize("superuser", [False, True])
def test_suggestions_are_never_added_in_the_admin(client, superuser):
    client.force_login(make_user(superuser=superuser))
    assert client.get(f"{CHANGELIST}add/").status_code == 403


# --- accepting and dismissing ----------------------------------------------------------------


@pytest.mark.parametrize(("action", "status"), [("accept", "accepted"), ("dismiss", "dismissed")])
def test_action_sets_the_status_the_reviewer_and_the_time(editor_client, editor, action, status):
    project = make_project()
    chosen, other = suggest(project), suggest(project)
    before = timezone.now()
    response = editor_client.post(CHANGELIST, {"action": action, "_selected_action": [chosen.pk]})
    assert response.status_code == 302
    chosen.refresh_from_db()
    other.refresh_from_db()
    assert (chosen.status, chosen.reviewed_by) == (status, editor)
    assert before <= chosen.reviewed_at <= timezone.now()
    assert (other.status, other.reviewed_by, other.reviewed_at) == ("new", None, None)


def test_accepting_a_suggestion_leaves_the_project_as_it_was(editor_client):
    project = make_project(summary="Original summary.")
    correction = suggest(project, "The summary should say something else.")
    editor_client.post(CHANGELIST, {"action": "accept", "_selected_action": [correction.pk]})
    project.refresh_from_db()
    assert project.summary == "Original summary."


def test_change_page_sets_status_and_note_and_records_the_reviewer(editor_client, editor):
    correction = suggest(make_project())
    url = f"{CHANGELIST}{correction.pk}/change/"
    page = editor_client.get(url)
    assert "does not change the project" in page.content.decode()
    response = editor_client.post(url, {"status": "dismissed", "note": "The notice says 2024."})
    assert response.status_code == 302
    correction.refresh_from_db()
    assert (correction.status, correction.note, correction.reviewed_by) == (
        "dismissed",
        "The notice says 2024.",
        editor,
    )
    assert correction.reviewed_at is not None


def test_change_page_does_not_let_the_visitors_words_be_edited(editor_client):
    correction = suggest(make_project(), sender_email="maria@example.org")
    url = f"{CHANGELIST}{correction.pk}/change/"
    editor_client.post(
        url, {"status": "new", "note": "", "message": "rewritten", "source": "x", "sender_email": "x@example.org"}
    )
    correction.refresh_from_db()
    assert (correction.message, correction.source, correction.sender_email) != ("rewritten", "x", "x@example.org")
    assert correction.sender_email == "maria@example.org"


# --- beside the project ----------------------------------------------------------------------


def test_project_change_form_lists_its_suggestions_newest_first(editor_client):
    project, other = make_project(), make_project()
    older = suggest(project, sender_name="Maria Rossi", sender_email="maria@example.org")
    CorrectionSuggestion.objects.filter(pk=older.pk).update(created_at=timezone.now() - timezone.timedelta(days=2))
    newer = suggest(project)
    elsewhere = suggest(other)
    response = editor_client.get(f"/admin/projects/project/{project.pk}/change/")
    html = response.content.decode()
    inline = next(i for i in response.context["inline_admin_formsets"] if i.formset.model is CorrectionSuggestion)
    assert [form.instance.pk for form in inline.formset.forms] == [newer.pk, older.pk]
    assert html.index(newer.message) < html.index(older.message)
    assert "maria@example.org" in html
    assert elsewhere.message not in html


def test_project_inline_lets_editors_set_status_and_note_and_records_the_reviewer(editor_client, editor):
    project = make_project()
    correction = suggest(project)
    url = f"/admin/projects/project/{project.pk}/change/"
    data = change_form_data(editor_client, url)
    prefix = next(key for key, value in data.items() if key.endswith("-id") and value == correction.pk)[: -len("id")]
    data.update({f"{prefix}status": "accepted", f"{prefix}note": "Corrected the end date."})
    response = editor_client.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    correction.refresh_from_db()
    assert (correction.status, correction.note, correction.reviewed_by) == (
        CorrectionStatus.ACCEPTED,
        "Corrected the end date.",
        editor,
    )
    assert correction.reviewed_at is not None


def test_project_saved_without_touching_its_suggestions_leaves_them_unreviewed(editor_client):
    project = make_project()
    correction = suggest(project)
    url = f"/admin/projects/project/{project.pk}/change/"
    response = editor_client.post(url, change_form_data(editor_client, url))
    assert response.status_code == 302
    correction.refresh_from_db()
    assert (correction.status, correction.reviewed_by, correction.reviewed_at) == ("new", None, None)


def test_new_project_page_has_no_suggestions_list(editor_client):
    response = editor_client.get("/admin/projects/project/add/")
    assert response.status_code == 200
    assert not any(i.formset.model is CorrectionSuggestion for i in response.context["inline_admin_formsets"])
