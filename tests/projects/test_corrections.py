"""Suggesting a correction from a project's page: the public form (projects.views.project_correction), its
limits, and the write layer behind it (projects.services.corrections)."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils.html import escape

from projects.models import CorrectionSuggestion
from projects.models.corrections import MESSAGE_MAX_LENGTH, SOURCE_MAX_LENGTH
from projects.services.corrections import (
    correction_create,
    correction_quota_spent,
    correction_quota_take,
    correction_review,
    corrections_review,
)
from registry.enums import CorrectionStatus
from tests.factories import make_project, word

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    """The counts of the rate limit live in the cache, which outlives each test's rolled-back data."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def project():
    return make_project()


def form_url(project, language: str = "en") -> str:
    # The test client reads English at the plain addresses and Italian under /it/ (tests/conftest.py).
    prefix = "/it" if language == "it" else ""
    return f"{prefix}/projects/{project.slug}/correction/"


def suggestion(**overrides) -> dict:
    data = {
        "message": f"The lead partner is another cooperative {word()}.",
        "source": "https://example.org/bando/graduatoria.pdf",
        "sender_name": "Maria Rossi",
        "sender_email": "maria@example.org",
        "website": "",
    }
    data.update(overrides)
    return data


# --- the page and the form ----------------------------------------------------------------------


def test_project_page_links_to_the_correction_form(client, project):
    response = client.get(f"/projects/{project.slug}/")
    assert f'href="{form_url(project)}"' in response.content.decode()


@pytest.mark.parametrize("language", ["it", "en"])
def test_form_page_labels_every_field_in_the_page_language(client, project, language):
    response = client.get(form_url(project, language))
    html = response.content.decode()
    assert response.status_code == 200
    label = {"it": "Cosa è sbagliato o manca", "en": "What is wrong or missing"}[language]
    assert label in html
    for name in ("message", "source", "sender_name", "sender_email"):
        assert f'<label for="id_{name}">' in html


def test_form_page_is_never_cached_because_it_holds_the_visitors_csrf_token(client, project):
    response = client.get(form_url(project))
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_form_page_says_the_senders_details_are_never_published(client, project):
    assert "They are never published." in client.get(form_url(project)).content.decode()


def test_honeypot_is_hidden_from_assistive_technology_and_out_of_the_tab_order(client, project):
    html = client.get(form_url(project)).content.decode()
    assert '<div class="correction-trap" aria-hidden="true">' in html
    assert 'name="website" id="id_website" value="" tabindex="-1"' in html


def test_form_refuses_a_post_without_the_csrf_token(project):
    response = Client(enforce_csrf_checks=True).post(form_url(project), suggestion())
    assert response.status_code == 403
    assert not CorrectionSuggestion.objects.exists()


# --- sending ----------------------------------------------------------------------------------------


def test_sent_suggestion_is_saved_as_new_and_the_visitor_is_redirected_to_the_thank_you_page(client, project):
    data = suggestion()
    response = client.post(form_url(project), data)
    assert (response.status_code, response["Location"]) == (302, f"/projects/{project.slug}/correction/sent/")
    saved = CorrectionSuggestion.objects.get()
    assert (saved.project, saved.message, saved.source, saved.sender_email, saved.status) == (
        project,
        data["message"],
        data["source"],
        data["sender_email"],
        CorrectionStatus.NEW,
    )
    assert (saved.reviewed_by, saved.reviewed_at) == (None, None)


def test_italian_form_leads_to_the_italian_thank_you_page(client, project):
    response = client.post(form_url(project, "it"), suggestion(), follow=True)
    assert response.redirect_chain == [(f"/it/projects/{project.slug}/correction/sent/", 302)]
    assert "Grazie: la segnalazione è stata inviata" in response.content.decode()


def test_thank_you_page_says_the_editors_review_it_and_nothing_is_published_unreviewed(client, project):
    response = client.post(form_url(project), suggestion(), follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert "will review it" in html
    assert "Nothing is published before they have reviewed it" in html


def test_name_and_email_may_be_left_out(client, project):
    response = client.post(form_url(project), suggestion(sender_name="", sender_email=""))
    assert response.status_code == 302
    assert CorrectionSuggestion.objects.get().sender == ""


@pytest.mark.parametrize("missing", ["message", "source"])
def test_suggestion_without_what_is_wrong_or_its_source_is_refused_with_the_field_named(client, project, missing):
    response = client.post(form_url(project), suggestion(**{missing: "   "}))
    html = response.content.decode()
    assert response.status_code == 400
    assert f'href="#id_{missing}"' in html  # the summary at the top leads to the field
    assert f'aria-describedby="id_{missing}_helptext id_{missing}_error"' in html
    assert f'id="id_{missing}_error"' in html
    assert not CorrectionSuggestion.objects.exists()


@pytest.mark.parametrize(("field", "most"), [("message", MESSAGE_MAX_LENGTH), ("source", SOURCE_MAX_LENGTH)])
def test_text_over_its_bound_is_refused_and_kept_in_the_form(client, project, field, most):
    text = "x" * (most + 1)
    response = client.post(form_url(project), suggestion(**{field: text}))
    assert response.status_code == 400
    assert f"at most {most} characters" in response.content.decode()
    assert not CorrectionSuggestion.objects.exists()


def test_text_at_its_bound_is_accepted(client, project):
    response = client.post(form_url(project), suggestion(message="x" * MESSAGE_MAX_LENGTH))
    assert response.status_code == 302
    assert len(CorrectionSuggestion.objects.get().message) == MESSAGE_MAX_LENGTH


def test_malformed_email_is_refused(client, project):
    response = client.post(form_url(project), suggestion(sender_email="maria at example"))
    assert response.status_code == 400
    assert 'href="#id_sender_email"' in response.content.decode()
    assert not CorrectionSuggestion.objects.exists()


def test_filled_honeypot_is_refused_saves_nothing_and_comes_back_empty(client, project):
    data = suggestion(website="http://spam.example")
    response = client.post(form_url(project), data)
    html = response.content.decode()
    assert response.status_code == 400
    assert not CorrectionSuggestion.objects.exists()
    assert "a field meant to stay empty was filled in" in html
    assert "spam.example" not in html
    assert escape(data["message"]) in html  # what a person typed is not lost


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_project_is_404(client, method):
    response = getattr(client, method)("/projects/no-such-project/correction/", suggestion())
    assert response.status_code == 404
    assert not CorrectionSuggestion.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_unpublished_project_is_404(client, method):
    draft = make_project(published=False)
    response = getattr(client, method)(form_url(draft), suggestion())
    assert response.status_code == 404
    assert not CorrectionSuggestion.objects.exists()


def test_thank_you_page_of_an_unpublished_project_is_404(client):
    draft = make_project(published=False)
    assert client.get(f"/projects/{draft.slug}/correction/sent/").status_code == 404


def test_nul_character_in_the_suggestion_is_refused_before_the_view(client, project):
    response = client.post(form_url(project), suggestion(message="wrong\x00date"))
    assert response.status_code == 400
    assert not CorrectionSuggestion.objects.exists()


def test_other_methods_are_not_allowed(client, project):
    assert client.put(form_url(project)).status_code == 405


# --- the rate limit ----------------------------------------------------------------------------


def test_rate_limit_answers_429_after_the_limit_and_saves_nothing_more(client, project, settings):
    settings.CORRECTION_RATE_LIMIT = 3
    statuses = [client.post(form_url(project), suggestion()).status_code for _ in range(3)]
    refused = client.post(form_url(project), suggestion(message="one too many"))
    assert statuses == [302, 302, 302]
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == settings.CORRECTION_RATE_WINDOW.total_seconds()
    html = refused.content.decode()
    assert "Too many suggestions from your connection" in html
    assert "one too many" in html  # kept in the form, to be copied
    assert CorrectionSuggestion.objects.count() == 3


def test_rate_limit_counts_each_client_address_apart(client, project, settings):
    settings.CORRECTION_RATE_LIMIT = 1
    assert client.post(form_url(project), suggestion(), REMOTE_ADDR="192.0.2.1").status_code == 302
    assert client.post(form_url(project), suggestion(), REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.post(form_url(project), suggestion(), REMOTE_ADDR="192.0.2.2").status_code == 302


def test_rate_limit_ignores_a_forwarded_address_when_no_proxy_is_trusted(client, project, settings):
    settings.CORRECTION_RATE_LIMIT, settings.PROXY_COUNT = 1, 0
    client.post(form_url(project), suggestion(), HTTP_X_FORWARDED_FOR="198.51.100.1")
    response = client.post(form_url(project), suggestion(), HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert response.status_code == 429


def test_rate_limit_reads_the_address_the_trusted_proxy_wrote(client, project, settings):
    settings.CORRECTION_RATE_LIMIT, settings.PROXY_COUNT = 1, 1
    client.post(form_url(project), suggestion(), HTTP_X_FORWARDED_FOR="198.51.100.1")
    response = client.post(form_url(project), suggestion(), HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert response.status_code == 302


def test_honeypot_counts_towards_the_limit(client, project, settings):
    settings.CORRECTION_RATE_LIMIT = 2
    for _ in range(2):
        client.post(form_url(project), suggestion(website="x"))
    assert client.post(form_url(project), suggestion()).status_code == 429
    assert not CorrectionSuggestion.objects.exists()


def test_mistakes_in_the_form_do_not_count_towards_the_limit(client, project, settings):
    settings.CORRECTION_RATE_LIMIT = 1
    for _ in range(3):
        assert client.post(form_url(project), suggestion(source="")).status_code == 400
    assert client.post(form_url(project), suggestion()).status_code == 302


def test_the_limit_is_counted_in_the_shared_cache(settings):
    settings.CORRECTION_RATE_LIMIT = 2
    assert [correction_quota_take(address="203.0.113.9") for _ in range(3)] == [True, True, False]
    assert correction_quota_spent(address="203.0.113.9")
    assert not correction_quota_spent(address="203.0.113.10")
    cache.clear()  # the window gone, the address may send again
    assert correction_quota_take(address="203.0.113.9")


# --- never on a public page --------------------------------------------------------------------


def test_nothing_of_a_suggestion_appears_on_the_public_pages(client, project):
    marker = word()
    client.post(
        form_url(project),
        suggestion(
            message=f"Wrong {marker}a",
            source=f"{marker}b",
            sender_name=f"{marker}c",
            sender_email=f"{marker}@example.org",
        ),
    )
    assert CorrectionSuggestion.objects.exists()
    for url in (
        f"/projects/{project.slug}/",
        f"/it/projects/{project.slug}/",
        "/projects/",
        f"/projects/?q={project.title}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert marker not in response.content.decode(), url
    response = client.get(f"/api/v1/projects/{project.slug}/")
    assert response.status_code == 200
    assert marker not in response.content.decode()


# --- the write layer ---------------------------------------------------------------------------


def test_create_checks_the_bounds_itself(project):
    with pytest.raises(ValidationError):
        correction_create(project=project, message="x" * (MESSAGE_MAX_LENGTH + 1), source="s")
    with pytest.raises(ValidationError):
        correction_create(project=project, message="m", source="")
    assert not CorrectionSuggestion.objects.exists()


def test_review_records_the_reviewer_and_time_and_a_return_to_new_clears_them(project):
    editor = User.objects.create_user(f"editor-{word()}")
    correction = correction_create(project=project, message="m", source="s")
    correction_review(correction=correction, status=CorrectionStatus.DISMISSED, reviewer=editor, note="No source.")
    correction.refresh_from_db()
    assert (correction.status, correction.reviewed_by, correction.note) == ("dismissed", editor, "No source.")
    assert correction.reviewed_at is not None
    correction_review(correction=correction, status=CorrectionStatus.NEW, reviewer=editor)
    correction.refresh_from_db()
    assert (correction.status, correction.reviewed_by, correction.reviewed_at) == ("new", None, None)


def test_a_note_alone_leaves_the_review_as_it_was(project):
    editor = User.objects.create_user(f"editor-{word()}")
    correction = correction_create(project=project, message="m", source="s")
    correction_review(correction=correction, status=CorrectionStatus.NEW, reviewer=editor, note="Asked the sender.")
    correction.refresh_from_db()
    assert (correction.note, correction.reviewed_by, correction.reviewed_at) == ("Asked the sender.", None, None)


def test_bulk_review_changes_only_those_not_already_in_the_status(project):
    first, second = (User.objects.create_user(f"editor-{word()}") for _ in range(2))
    done = correction_create(project=project, message="m", source="s")
    corrections_review(corrections=CorrectionSuggestion.objects.filter(pk=done.pk), status="accepted", reviewer=first)
    waiting = correction_create(project=project, message="m", source="s")
    changed = corrections_review(corrections=CorrectionSuggestion.objects.all(), status="accepted", reviewer=second)
    done.refresh_from_db()
    waiting.refresh_from_db()
    assert changed == 1
    assert (done.reviewed_by, waiting.reviewed_by) == (first, second)


def test_review_refuses_an_unknown_status(project):
    correction = correction_create(project=project, message="m", source="s")
    with pytest.raises(ValueError):
        correction_review(correction=correction, status="published", reviewer=None)
