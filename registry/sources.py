"""Where the registry's facts come from, as the public reads it: each source by its title and a link.

A record's `sources` are editors' provenance: {"title", "url" or "document", "accessed"}. The
`document` is a reference for editors (a file of fixtures/sources/, a note, the generator's mark) and
is never shown. The seed documents the registry was created from have no address of their own on
the web (they are copies of web pages and posts), so the registry publishes their text at
/sources/<slug>/, and a source citing one links there. The `sources` template library
(registry/templatetags/sources.py) gives the templates the entries ready to show.
"""

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_safe

SOURCES_DIR = settings.BASE_DIR / "fixtures" / "sources"

# A reference that names a file ("sources/000_c9e1.txt", "C:\\notes\\scheda.pdf"): no title for the public.
FILE_PATH = re.compile(r"^\S*[/\\]\S*$|^\S+\.[A-Za-z0-9]{2,5}$")

# Months as they are written inside a date ("3 marzo 2025" in Italian, lower case; "3 March 2025").
MONTHS = {
    1: pgettext_lazy("month in a date", "January"),
    2: pgettext_lazy("month in a date", "February"),
    3: pgettext_lazy("month in a date", "March"),
    4: pgettext_lazy("month in a date", "April"),
    5: pgettext_lazy("month in a date", "May"),
    6: pgettext_lazy("month in a date", "June"),
    7: pgettext_lazy("month in a date", "July"),
    8: pgettext_lazy("month in a date", "August"),
    9: pgettext_lazy("month in a date", "September"),
    10: pgettext_lazy("month in a date", "October"),
    11: pgettext_lazy("month in a date", "November"),
    12: pgettext_lazy("month in a date", "December"),
}


@dataclass(frozen=True)
class SeedDocument:
    """One of the documents the registry's initial data were transcribed from (fixtures/seed/README.md)."""

    slug: str
    file_name: str
    title: str

    @property
    def reference(self) -> str:
        """How the seed transcription's sources name it in `document`."""
        return f"sources/{self.file_name}"

    def get_absolute_url(self) -> str:
        return reverse("source", args=[self.slug])

    def paragraphs(self) -> list[str]:
        text = (SOURCES_DIR / self.file_name).read_text(encoding="utf-8")
        return [line.strip() for line in text.splitlines() if line.strip()]


# Titles in the documents' language, as the seed transcription's sources call them.
SEED_DOCUMENTS = (
    SeedDocument("schede-progetto", "000_c9e18c8c9772872a.txt", "Schede progetto (elenco da sito web)"),
    SeedDocument("scheda-intarsi", "001_468d43dea2fcf707.txt", "Scheda progetto INTARSI (pagina web)"),
    SeedDocument(
        "scheda-cosi-comuni-solidali-e-inclusivi",
        "002_a5682a8e836e8668.txt",
        "Scheda progetto «Così, Comuni Solidali e Inclusivi - In cammino» (pagina web)",
    ),
    SeedDocument(
        "scheda-ali-abitare-lavorare-integrarsi",
        "003_4e1f2c198755a669.txt",
        "Scheda P2 – A.L.I. – Abitare, Lavorare, Integrarsi (pagina web)",
    ),
    SeedDocument("post-social", "004_fe4e1acc417e4d56.txt", "Post social su reti, progetti e avvisi (raccolta)"),
)
BY_SLUG = {document.slug: document for document in SEED_DOCUMENTS}
BY_REFERENCE = {document.reference: document for document in SEED_DOCUMENTS} | {
    document.file_name: document for document in SEED_DOCUMENTS
}


def date_in_words(value: dt.date) -> str:
    """A date as a sentence writes it: "3 marzo 2025", "3 March 2025"."""
    return _("%(day)s %(month)s %(year)s") % {"day": value.day, "month": MONTHS[value.month], "year": value.year}


def public_source(entry: dict) -> dict:
    """A source as the public reads it: a title, the link to follow, a copy kept by the registry, the date read.

    The title is the entry's, unless it is only a file name (as a sheet's "Fonte" column gives it): then the
    seed document's title, or none (the template says the document is not published).
    """
    document = BY_REFERENCE.get(str(entry.get("document") or "").strip())
    title = str(entry.get("title") or "").strip()
    if not title or FILE_PATH.match(title) or title == entry.get("document"):
        title = document.title if document else ""
    url = str(entry.get("url") or "")
    if not url.startswith(("https://", "http://")):
        url = ""
    copy_url = document.get_absolute_url() if document else ""
    try:
        accessed = dt.date.fromisoformat(str(entry.get("accessed")))
    except ValueError:
        accessed = None
    return {
        "title": title,
        "url": url or copy_url,
        "external": bool(url),
        # The registry's copy as well when the link leads elsewhere: a post may be taken down.
        "copy_url": copy_url if url else "",
        "accessed": date_in_words(accessed) if accessed else "",
    }


def public_sources(entries) -> list[dict]:
    """A record's sources as the public reads them (public_source), leaving out anything that is not an entry."""
    return [public_source(entry) for entry in entries or [] if isinstance(entry, dict)]


@require_safe
def source_list(request):
    """The seed documents the registry was created from."""
    return render(request, "registry/source_list.html", {"documents": SEED_DOCUMENTS})


@require_safe
def source_detail(request, slug: str):
    """The text of a seed document, as it was read."""
    document = BY_SLUG.get(slug)
    if document is None:
        raise Http404("No seed document has this slug.")
    return render(request, "registry/source_detail.html", {"document": document})
