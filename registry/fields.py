"""Model fields both apps use: a website, and the provenance every record keeps."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.utils.translation import gettext as _

SOURCE_KEYS = {"title", "url", "document", "accessed"}
# A source's link is followed by the public: a web page, nothing else (no ftp:, no file names).
URL_VALIDATOR = URLValidator(schemes=["http", "https"])


class WebsiteField(models.URLField):
    """A URL field whose form takes an address typed without a scheme as https (Django 6's default)."""

    def formfield(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        return super().formfield(**kwargs)


def validate_sources(value) -> None:
    """Provenance entries: each names a title and a URL or a document, and when it was read.

    The public reads the title, the link and the date (registry/sources.py); `document` is the editors'
    reference to a document (a seed document's file, fixtures/sources/) and is never shown.
    """
    if not isinstance(value, list):
        raise ValidationError(_("Sources must be a list."))
    for position, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            raise ValidationError(_("Source %(n)s is not an object.") % {"n": position})
        unknown = set(entry) - SOURCE_KEYS
        if unknown:
            raise ValidationError(
                _("Source %(n)s has unknown keys: %(keys)s.") % {"n": position, "keys": ", ".join(sorted(unknown))}
            )
        if not entry.get("title") or not isinstance(entry["title"], str):
            raise ValidationError(_("Source %(n)s has no title.") % {"n": position})
        if not (entry.get("url") or entry.get("document")):
            raise ValidationError(_("Source %(n)s needs a URL or a document.") % {"n": position})
        if entry.get("url"):
            try:
                URL_VALIDATOR(entry["url"])
            except ValidationError:
                raise ValidationError(
                    _("Source %(n)s: «url» must be a web address starting with https:// or http://.") % {"n": position}
                ) from None
        if entry.get("accessed"):
            try:
                dt.date.fromisoformat(entry["accessed"])
            except (TypeError, ValueError):
                raise ValidationError(
                    _("Source %(n)s: «accessed» must be a date such as 2025-01-31.") % {"n": position}
                ) from None
