from django import forms
from django.conf import settings
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries
from import_export.forms import ConfirmImportForm, ImportForm

from registry.fields import SourcesField, SourcesFormMixin, TextareaNewlinesMixin

from . import periods
from .importing.sheets import readable_size
from .models import CorrectionSuggestion, Project
from .services import ProjectKeys, ProjectMatchError, project_match


def country_choices() -> list[tuple[str, str]]:
    """Every ISO 3166 country by its name in the active language, in that language's order."""
    return [(country.code, country.name) for country in countries]


class CountriesWidget(FilteredSelectMultiple):
    """The admin's two-box selector, in the wrapper Django gives it on a many-to-many field: its script puts
    the boxes first in the select's parent, which would otherwise be the row that holds the field's label."""

    def render(self, name, value, attrs=None, renderer=None):
        boxes = super().render(name, value, attrs, renderer)
        return format_html('<div class="related-widget-wrapper">{}</div>', boxes)


class TextsAdminForm(TextareaNewlinesMixin, forms.ModelForm):
    """A record or an inline row in the admin (a territory, a project's organisation, a suggestion's note):
    its texts keep the line breaks they were stored with."""


class SourcedAdminForm(SourcesFormMixin, TextsAdminForm):
    """A funder or a programme in the admin: its sources typed in rows, stored as before (a JSON list)."""

    sources = SourcesField(label=capfirst(gettext_lazy("sources")))


class ProjectAdminForm(TextareaNewlinesMixin, SourcesFormMixin, forms.ModelForm):
    """Editors type the period as the source writes it; the dates and their precision follow from it.

    A project that the seed and sheet imports would take for one already in the registry (same CUP,
    code or title) is refused here too, so that editors and imports never make two of one project.
    Countries are chosen by name and sources typed in rows; both are stored as before (JSON lists).
    """

    countries = forms.MultipleChoiceField(
        label=capfirst(Project._meta.get_field("countries").verbose_name),
        choices=country_choices,
        required=False,
        widget=CountriesWidget(gettext_lazy("countries"), is_stacked=False),
        help_text=gettext_lazy("The countries it works in, for projects abroad or EU-wide."),
    )
    sources = SourcesField(label=capfirst(Project._meta.get_field("sources").verbose_name))

    class Meta:
        model = Project
        fields = "__all__"  # noqa: DJ007  (the admin's fieldsets choose the fields shown)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A code the country list does not know (one an import wrote) stays chosen rather than being lost.
        stored = self.get_initial_for_field(self.fields["countries"], "countries") or []
        known = {code for code, _name in country_choices()}
        unknown = [code for code in stored if isinstance(code, str) and code not in known]
        if unknown:
            self.fields["countries"].choices = [*country_choices(), *((code, code) for code in unknown)]

    def clean_countries(self) -> list[str]:
        # The stored order is kept (the select box sends them in alphabetical order); new ones follow it.
        chosen = self.cleaned_data["countries"]
        stored = self.get_initial_for_field(self.fields["countries"], "countries") or []
        kept = [code for code in stored if code in chosen]
        return kept + [code for code in chosen if code not in kept]

    def clean(self):
        data = super().clean()
        self._read_period(data)
        self._refuse_duplicate(data)
        return data

    def _read_period(self, data: dict) -> None:
        text = (data.get("period_text") or "").strip()
        dates_typed = bool({"start", "start_precision", "end", "end_precision"} & set(self.changed_data))
        if not text or dates_typed or (self.instance.pk and "period_text" not in self.changed_data):
            return
        try:
            period = periods.parse_period(text)
        except periods.PeriodError as error:
            self.add_error("period_text", _("The period cannot be read: %(error)s") % {"error": error})
            return
        data.update(periods.period_fields(period))
        if period.duration_months and not data.get("duration_months"):
            data["duration_months"] = period.duration_months

    def _refuse_duplicate(self, data: dict) -> None:
        identity = {"title", "acronym", "cup", "code"}
        if self.instance.pk and not identity & set(self.changed_data):
            return
        keys = ProjectKeys(
            cup=(data.get("cup") or "").replace(" ", "").upper(),
            code=data.get("code") or "",
            title=data.get("title") or "",
            acronym=data.get("acronym") or "",
        )
        try:
            match = project_match(keys=keys, exclude_pk=self.instance.pk)
        except ProjectMatchError as error:
            if error.field == "title":
                return  # several projects already share this title: a CUP or a code will tell this one apart
            self.add_error(error.field if error.field in self.fields else None, str(error))
            return
        if match.project is not None:
            field = match.matched_by if match.matched_by in self.fields else "title"
            self.add_error(
                field,
                _(
                    "«%(title)s» is already in the registry with the same %(key)s: edit it instead, or give a CUP "
                    "or a code that tells the two apart."
                )
                % {"title": match.project.title, "key": Project._meta.get_field(match.matched_by).verbose_name},
            )


class ProjectConfirmImportForm(ConfirmImportForm):
    """The confirm step, carrying the history mark the preview was read at (projects.importing.freshness)."""

    history_mark = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)


class ProjectImportForm(ImportForm):
    """The admin's upload: a file over IMPORT_MAX_BYTES is refused by its size, before anything reads it."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s, over the limit of %(limit)s. Nothing was imported.")
                % {"size": readable_size(upload.size), "limit": readable_size(settings.IMPORT_MAX_BYTES)}
            )
        return upload


class CorrectionForm(forms.ModelForm):
    """A visitor's suggested correction to a project's page, with a field people never see.

    The `website` field is hidden from sight and from assistive technology, and labelled for anyone who reaches
    it anyway; programs that fill in every field fill it in, and the form is then refused (projects.views).
    """

    TRAP = "website"

    website = forms.CharField(
        label=gettext_lazy("Leave this field empty: it is there to recognise automated messages."),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    class Meta:
        model = CorrectionSuggestion
        fields = ["message", "source", "sender_name", "sender_email"]
        labels = {
            "message": gettext_lazy("What is wrong or missing"),
            "source": gettext_lazy("Source"),
            "sender_name": gettext_lazy("Your name (optional)"),
            "sender_email": gettext_lazy("Your e-mail address (optional)"),
        }
        help_texts = {
            "message": gettext_lazy("Say which information on the page is wrong or missing, and what it should say."),
            "source": gettext_lazy(
                "A link, or the document or notice that says so (its title and date). Without a source the "
                "editors cannot check the correction."
            ),
            "sender_name": "",
            "sender_email": gettext_lazy("Only if you would like a reply."),
        }
        widgets = {
            "message": forms.Textarea(attrs={"rows": 6}),
            "source": forms.Textarea(attrs={"rows": 3}),
            "sender_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "sender_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    @property
    def caught(self) -> bool:
        """Whether the hidden field was filled in, as automated senders do."""
        return bool(self.data.get(self.TRAP, "").strip())

    def clean(self):
        data = super().clean()
        if self.caught:
            self.add_error(
                None,
                _(
                    "Your suggestion was not sent: a field meant to stay empty was filled in, as automated "
                    "programs do. Check your text and send it again."
                ),
            )
        return data
