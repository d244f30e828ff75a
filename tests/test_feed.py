"""The Atom feed of newly published projects (/feed/)."""

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from projects.feeds import FEED_LENGTH
from projects.models import Project
from tests.factories import make_project
from tests.pages import content

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def feed(client) -> ET.Element:
    response = client.get("/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(content(response))


def test_the_feed_is_valid_atom(client):
    make_project(summary="Una <b>sintesi</b> & altro")
    root = feed(client)
    assert root.tag == f"{ATOM}feed"
    # RFC 4287: a feed has exactly one id, title and updated, and an author unless every entry has one.
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    assert root.find(f"{ATOM}author/{ATOM}name").text
    assert root.find(f"{ATOM}link[@rel='self']").get("href").endswith("/feed/")
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text)  # RFC 3339
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href")


def test_the_feed_lists_the_latest_published_projects_newest_first_without_drafts(client):
    older = make_project()
    newer = make_project(acronym="FXN")
    draft = make_project(published=False)
    entries = feed(client).findall(f"{ATOM}entry")
    titles = [entry.find(f"{ATOM}title").text for entry in entries]
    assert titles[:2] == [f"{newer.title} (FXN)", older.title]
    assert not any(draft.title in title for title in titles)
    expected = Project.objects.filter(is_published=True).order_by("-pk")[:FEED_LENGTH]
    assert len(entries) == len(expected)
    assert [entry.find(f"{ATOM}link").get("href").split("testserver")[-1] for entry in entries] == [
        project.get_absolute_url() for project in expected
    ]


def test_the_feed_holds_fifty_projects_at_most(client):
    for _ in range(FEED_LENGTH + 1 - Project.objects.filter(is_published=True).count()):
        make_project()
    assert len(feed(client).findall(f"{ATOM}entry")) == FEED_LENGTH


def test_an_entry_is_dated_by_the_last_reading_of_its_sources_and_summed_up_as_written(client):
    make_project(
        summary="Casa & lavoro <per tutti>",
        sources=[
            {"title": "Scheda", "document": "sources/a.txt", "accessed": "2025-03-01"},
            {"title": "Post", "url": "https://example.org/post", "accessed": "2025-06-15"},
        ],
    )
    entry = feed(client).find(f"{ATOM}entry")
    assert dt.datetime.fromisoformat(entry.find(f"{ATOM}updated").text).date() == dt.date(2025, 6, 15)
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    assert summary.text == "Casa &amp; lavoro &lt;per tutti&gt;"  # shown by a reader as written
