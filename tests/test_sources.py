"""Sources as the public reads them: titles and links, the date in words, never a file path or a note."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from projects.models import Project
from registry.fields import validate_sources
from registry.sources import SEED_DOCUMENTS, SOURCES_DIR, date_in_words, public_source
from tests.factories import make_partner, make_project
from tests.pages import content, section


@pytest.fixture
def visitor(db):
    return Client()


def test_every_seed_document_cited_by_the_seed_data_has_a_page(db):
    cited = {
        entry["document"]
        for sources in Project.objects.values_list("sources", flat=True)
        for entry in sources
        if entry.get("document", "").startswith("sources/")
    }
    assert cited and cited <= {document.reference for document in SEED_DOCUMENTS}
    assert all((SOURCES_DIR / document.file_name).is_file() for document in SEED_DOCUMENTS)


def test_a_seed_source_links_to_the_documents_page_without_its_file_name(visitor):
    entry = {
        "title": "Scheda progetto INTARSI (pagina web)",
        "document": "sources/001_468d43dea2fcf707.txt",
        "accessed": "2025-03-03",
    }
    html = section(content(visitor.get(f"/projects/{make_project(sources=[entry]).slug}/")), "Fonti")
    assert '<a href="/sources/scheda-intarsi/" lang="it">Scheda progetto INTARSI (pagina web)</a>' in html
    assert "letto il 3 marzo 2025" in html
    assert "001_468d43dea2fcf707" not in html and ".txt" not in html


def test_a_source_with_an_address_links_there_and_to_the_registrys_copy(visitor):
    entry = {"title": "Post social", "document": "sources/004_fe4e1acc417e4d56.txt", "url": "https://lnkd.in/dx"}
    html = section(content(visitor.get(f"/en/projects/{make_project(sources=[entry]).slug}/")), "Sources")
    assert '<a href="https://lnkd.in/dx" rel="nofollow" lang="it">Post social</a>' in html
    assert '<a href="/en/sources/post-social/">the registry\'s copy</a>' in html and ".txt" not in html


def test_a_file_name_given_as_title_is_replaced_by_the_documents_title():
    entry = {"title": "sources/000_c9e18c8c9772872a.txt", "document": "sources/000_c9e18c8c9772872a.txt"}
    assert public_source(entry)["title"] == "Schede progetto (elenco da sito web)"


def test_an_unknown_document_is_never_shown():
    entry = {"title": "C:\\bozze\\note-redazione.docx", "document": "C:\\bozze\\note-redazione.docx"}
    shown = public_source(entry)
    assert shown["title"] == "" and shown["url"] == "" and "bozze" not in str(shown)


def test_an_unpublished_document_is_named_so_on_the_page(visitor):
    entry = {"title": "appunti/telefonata.txt", "document": "appunti/telefonata.txt"}
    html = section(content(visitor.get(f"/projects/{make_project(sources=[entry]).slug}/")), "Fonti")
    assert "Documento non pubblicato" in html and "appunti" not in html


def test_an_organisations_page_shows_its_sources_as_titles(visitor):
    entry = {"title": "Schede progetto (elenco da sito web)", "document": "sources/000_c9e18c8c9772872a.txt"}
    partner = make_partner(sources=[entry])
    make_project(partners=[partner])
    html = content(visitor.get(f"/partners/{partner.slug}/"))
    assert '<a href="/sources/schede-progetto/" lang="it">' in html and ".txt" not in html


@pytest.mark.parametrize(("language", "words"), [("it", "3 marzo 2025"), ("en", "3 March 2025")])
def test_the_date_read_is_written_in_words(language, words):
    with translation.override(language):
        assert date_in_words(dt.date(2025, 3, 3)) == words


def test_a_source_documents_page_shows_its_text_and_title(visitor):
    html = content(visitor.get("/sources/scheda-intarsi/"))
    assert '<h1 lang="it">Scheda progetto INTARSI (pagina web)</h1>' in html
    assert "(PROG-2832) - CUP: I69E19001100002" in html and '<div class="source-text" lang="it">' in html


def test_a_source_documents_page_is_in_english_under_en_and_its_links_work(visitor):
    html = content(visitor.get("/en/sources/post-social/"))
    assert '<html lang="en">' in html and "The text of a document" in html
    assert '<a href="https://lnkd.in/dnhZ5Gtw" rel="nofollow">https://lnkd.in/dnhZ5Gtw</a>' in html


def test_the_list_of_source_documents_links_to_each(visitor):
    html = content(visitor.get("/sources/"))
    for document in SEED_DOCUMENTS:
        assert f'<a href="/sources/{document.slug}/" lang="it">' in html


def test_an_unknown_source_document_is_not_found(visitor):
    assert visitor.get("/sources/no-such-document/").status_code == 404


def test_sources_must_link_to_web_pages():
    with pytest.raises(ValidationError, match="https://"):
        validate_sources([{"title": "Scheda", "url": "ftp://example.org/scheda"}])
    validate_sources([{"title": "Scheda", "url": "https://example.org/scheda", "accessed": "2025-03-03"}])


def test_a_source_title_must_be_text():
    with pytest.raises(ValidationError):
        validate_sources([{"title": ["Scheda"], "url": "https://example.org/scheda"}])
