"""The Atom feed of the projects most recently published in the registry.

A project keeps no date of its publication: the feed lists the published projects in the order they
entered the registry (newest first, by id), and dates each entry by the day the registry last read
one of its sources (`accessed`), the one date every entry of the registry carries about itself.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from .models import Project

FEED_LENGTH = 50


def last_read(project: Project) -> dt.datetime | None:
    """The latest day a source of the project was read, as midnight of that day; None when none says."""
    days = []
    for source in project.sources or ():
        try:
            days.append(dt.date.fromisoformat(str(source.get("accessed") or "")))
        except ValueError:
            continue
    if not days:
        return None
    return timezone.make_aware(dt.datetime.combine(max(days), dt.time.min))


class LatestProjectsFeed(Feed):
    feed_type = Atom1Feed
    title = _("Registry of migrant-inclusion projects: new projects")
    subtitle = _("The projects most recently published in the registry, newest first.")
    # Atom asks for an author of the feed when its entries name none: the registry answers for its records.
    author_name = _("Registry of migrant-inclusion projects")

    def link(self):
        return reverse("home")

    def feed_url(self):
        return reverse("feed")

    def items(self):
        projects = Project.objects.published().order_by("-pk")[:FEED_LENGTH]
        projects = list(projects.only("slug", "title", "acronym", "summary", "sources"))
        # Atom needs a date on every entry: one whose sources give none takes the newest of the others' dates,
        # or the day when none gives one.
        dates = [last_read(project) for project in projects]
        known = [date for date in dates if date is not None]
        fallback = max(known) if known else timezone.make_aware(dt.datetime.combine(timezone.localdate(), dt.time.min))
        for project, date in zip(projects, dates, strict=True):
            project.feed_date = date or fallback
        return projects

    def item_title(self, item: Project) -> str:
        return f"{item.title} ({item.acronym})" if item.acronym and item.acronym not in item.title else item.title

    def item_description(self, item: Project) -> str:
        # Atom's summary is sent as HTML: the plain text is escaped so that readers show it as written.
        return escape(item.summary)

    def item_link(self, item: Project) -> str:
        return item.get_absolute_url()

    def item_updateddate(self, item: Project) -> dt.datetime:
        return item.feed_date
