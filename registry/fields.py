"""Fields both apps use: a website, and the provenance every record keeps (its model validator and the
admin's form field for it)."""

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import models
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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


# --- the admin's form for sources: one row of inputs per source ---------------------------------------------

# The order of a row's inputs, and of the keys of an entry the form writes.
SOURCE_INPUTS = ("title", "url", "document", "accessed")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _is_iso_date(text: str) -> bool:
    if not ISO_DATE.fullmatch(text):
        return False
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _row_is_blank(row: dict) -> bool:
    return not any(row.get(key, "").strip() for key in SOURCE_INPUTS)


class SourcesWidget(forms.Widget):
    """A small table of sources: title, web address, document and date of access in labelled inputs, a
    delete box on each filled row and a few empty rows for new ones, instead of the JSON text.

    Each row's inputs are named `<name>-<n>-<key>` (`sources-0-title`, `sources-0-DELETE`). The widget's
    value is a list of rows, {key: text} with "delete": bool, in the order the page shows them: the stored
    entries as they come from the model, or the rows as they were sent back.
    """

    template_name = "admin/widgets/sources.html"
    extra_rows = 2
    # More rows than any record has; a form sending more is refused (SourcesField).
    max_rows = 100

    def __init__(self, attrs=None, extra_rows: int | None = None):
        super().__init__(attrs)
        if extra_rows is not None:
            self.extra_rows = extra_rows

    def id_for_label(self, id_):
        # Each input has its own label; the field's name heads the group, pointing at none of them.
        return None

    def format_value(self, value) -> list[dict]:
        rows = []
        for entry in value if isinstance(value, list) else []:
            if not isinstance(entry, dict):
                continue
            row = {key: "" if entry.get(key) is None else str(entry.get(key)) for key in SOURCE_INPUTS}
            row["delete"] = bool(entry.get("delete"))
            if row["delete"] or not _row_is_blank(row):
                rows.append(row)
        return rows

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        rows = self.format_value(value)
        filled = len(rows)
        rows += [{**dict.fromkeys(SOURCE_INPUTS, ""), "delete": False} for _n in range(self.extra_rows)]
        base_id = context["widget"]["attrs"].get("id") or f"id_{name}"
        context["widget"]["rows"] = [
            {
                "number": position,
                "is_new": index >= filled,
                "prefix": f"{name}-{index}",
                "id": f"{base_id}-{index}",
                **row,
            }
            for index, row in enumerate(rows)
            for position in [index + 1]
        ]
        return context

    def _render(self, template_name, context, renderer=None):
        # The project's templates (templates/admin/widgets/), which the default form renderer does not read.
        return super()._render(template_name, context, TemplatesSetting())

    def value_from_datadict(self, data, files, name) -> list[dict]:
        pattern = re.compile(rf"^{re.escape(name)}-(\d+)-(?:title|url|document|accessed|DELETE)$")
        indexes = sorted({int(match[1]) for key in data if (match := pattern.match(key))})
        return [
            {
                **{key: data.get(f"{name}-{index}-{key}", "") for key in SOURCE_INPUTS},
                "delete": bool(data.get(f"{name}-{index}-DELETE")),
            }
            for index in indexes
        ]

    def value_omitted_from_data(self, data, files, name) -> bool:
        return not any(key.startswith(f"{name}-") for key in data)


class SourcesField(forms.Field):
    """The sources of a record (a JSON list of {"title", "url" or "document", "accessed"}), edited as rows.

    A row's empty inputs leave its key out; a row with every input empty, or marked for deletion, is no
    source. Each filled row is checked on its own, and every row in error is named in the message.
    """

    widget = SourcesWidget
    default_error_messages = {
        "too_many": gettext_lazy("At most %(max)s sources can be sent at once."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            gettext_lazy(
                "Where the facts come from: a title and a web address or a document for each, and the day it "
                "was read. A document is a reference for editors (a seed document's file, a note) and is never "
                "shown to the public. Empty rows are left out; save to get more."
            ),
        )
        super().__init__(**kwargs)

    @staticmethod
    def _date(text: str) -> str:
        """An ISO date from what the browser sends (its date input always sends ISO) or what was typed
        in the locale's style (31/01/2025); the text itself when it is no date."""
        try:
            day = forms.DateField().to_python(text)
        except ValidationError:
            return text
        return day.isoformat() if day else ""

    def _rows(self, value) -> list[dict]:
        if not isinstance(value, list):
            return []
        return self.widget.format_value(value)

    def _entry(self, row: dict) -> dict:
        entry = {key: row.get(key, "").strip() for key in SOURCE_INPUTS}
        if entry["accessed"]:
            entry["accessed"] = self._date(entry["accessed"])
        return {key: text for key, text in entry.items() if text}

    def to_python(self, value) -> list[dict]:
        return [self._entry(row) for row in self._rows(value) if not row["delete"]]

    def clean(self, value) -> list[dict]:
        rows = self._rows(value)
        if len(rows) > self.widget.max_rows:
            raise ValidationError(
                self.error_messages["too_many"], code="too_many", params={"max": self.widget.max_rows}
            )
        errors = []
        for number, row in enumerate(rows, start=1):
            if not row["delete"]:
                errors += self._row_errors(number, self._entry(row))
        if errors:
            raise ValidationError(errors)
        entries = self.to_python(value)
        validate_sources(entries)
        self.validate(entries)
        self.run_validators(entries)
        return entries

    @staticmethod
    def _row_errors(number: int, entry: dict) -> list[ValidationError]:
        errors = []
        if not entry.get("title"):
            errors.append(_("Source %(n)s has no title.") % {"n": number})
        if not (entry.get("url") or entry.get("document")):
            errors.append(_("Source %(n)s needs a web address or a document.") % {"n": number})
        if entry.get("url"):
            try:
                URL_VALIDATOR(entry["url"])
            except ValidationError:
                errors.append(_("Source %(n)s: the web address must start with https:// or http://.") % {"n": number})
        if entry.get("accessed") and not _is_iso_date(entry["accessed"]):
            errors.append(_("Source %(n)s: the date of access is not a valid date.") % {"n": number})
        return [ValidationError(message, code="invalid_source") for message in errors]


class SourcesFormMixin:
    """For a model form with a `sources` SourcesField: sources left as they were are kept as stored, key
    order included, so that saving a record without touching them writes back exactly what it had."""

    def clean_sources(self):
        if "sources" not in self.changed_data:
            return self.get_initial_for_field(self.fields["sources"], "sources")
        return self.cleaned_data["sources"]


class TextareaNewlinesMixin:
    """For a model form: a text area's line breaks are stored as the seed and the imports write them (\\n).

    Browsers send every line break of a text area as \\r\\n, so that without this a record opened and saved
    untouched would have each of its multi-line texts changed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound or not hasattr(self.data, "getlist"):
            return
        data = self.data.copy()
        for name, field in self.fields.items():
            key = self.add_prefix(name)
            if isinstance(field.widget, forms.Textarea) and key in data:
                data.setlist(key, [value.replace("\r\n", "\n") for value in data.getlist(key)])
        self.data = data
