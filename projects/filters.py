"""The public project filters; every one lives in the query string so a search can be shared.

Each filter reads the public index (projects.models.index): a funder, a programme, an organisation
or a place is one indexed range of ProjectFacet, joined to the projects as a semi-join, so that no
filter repeats a project or needs DISTINCT. Organisations and municipalities are typed, by name or
by their slug or ISTAT code: their lists are far too long to send with every page.
"""

from __future__ import annotations

import copy

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES
from django_filters.filters import FilterMethod
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from partners.models import Partner
from registry.enums import InitiativeKind, Status, TargetGroup, Theme
from registry.widgets import OptionsSelect, PlainTextInput

from .models import Facet, FacetCount, Municipality, Project
from .names import fold_name
from .search import RANKED_AT_MOST, Words, rank

SLUG = RegexValidator(r"^[-a-zA-Z0-9_]+$", _("Use the address name shown in the list, such as fami-2021-2027."))
MAX_CANDIDATES = 8


class SlugChoiceField(forms.CharField):
    """A record chosen from a list by its slug; the list shown is set per page with the counts
    (projects.facets), so a slug is checked by its form only: an unknown one finds nothing."""

    widget = OptionsSelect
    default_validators = [SLUG]
    default_error_messages = {
        "invalid_choice": _("Select a valid choice. %(value)s is not one of the available choices."),
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)
        self.widget.choices = [("", _("All"))]


class CodeChoiceField(SlugChoiceField):
    """A place or country code chosen from a list; the code is compared in upper case."""

    def __init__(self, *args, pattern: str, message, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators = [RegexValidator(pattern, message)]

    def to_python(self, value):
        return super().to_python(value).strip().upper()


class TypedRecordField(forms.CharField):
    """Something chosen by typing: a slug or code as the type-ahead fills it in, or a name as written.

    A name that is not found, or that fits several records, is an error that names the candidates
    (`self.candidates`: (value, label) pairs the page offers as links).
    """

    widget = forms.TextInput
    default_error_messages = {
        "invalid_choice": _("Select a valid choice. %(value)s is not one of the available choices."),
    }

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        super().__init__(*args, **kwargs)
        self.candidates: list[tuple[str, str]] = []
        self.label_found: str | None = None  # the name the index stores for the value found, when it was read

    def resolve(self, text: str) -> tuple[str | None, list[tuple[str, str]]]:
        raise NotImplementedError

    def clean(self, value):
        text = super().clean(value)
        if text in EMPTY_VALUES:
            return text
        found, candidates = self.resolve(text.strip())
        if found:
            return found
        self.candidates = candidates[:MAX_CANDIDATES]
        if candidates:
            raise ValidationError(
                self.error_messages["ambiguous"], code="ambiguous", params={"value": text, "count": len(candidates)}
            )
        raise ValidationError(self.error_messages["unknown"], code="unknown", params={"value": text})


class MunicipalityField(TypedRecordField):
    """An ISTAT code (005005), a name (Asti, "nizza monferrato") or a name with its province (Asti (AT))."""

    default_error_messages = {
        "unknown": _("No Italian municipality is called “%(value)s”."),
        "ambiguous": _("More than one municipality is called “%(value)s”: choose one."),
    }

    def resolve(self, text):
        if text.isdigit():
            # A municipality with projects is known to the index, with its name as the facets show it: one query.
            found = FacetCount.objects.filter(facet=Facet.MUNICIPALITY, value=text).values_list("label", flat=True)
            self.label_found = found.first()
            if self.label_found is not None:
                return text, []
            return (text if Municipality.objects.filter(istat_code=text).exists() else None), []
        name, province = text, ""
        if text.endswith(")") and "(" in text:
            name, province = text[:-1].rsplit("(", 1)
        places = Municipality.objects.filter(matching_name=fold_name(name))
        if province.strip():
            places = places.filter(province_code=province.strip().upper())
        found = list(places.order_by("province_code").values_list("istat_code", "name", "province_code")[:20])
        if len(found) == 1:
            return found[0][0], []
        return None, [(code, f"{town} ({province_code})") for code, town, province_code in found]


class PartnerField(TypedRecordField):
    """An organisation's slug, or its name or another name it goes by (case ignored)."""

    default_error_messages = {
        "unknown": _("No organisation in the registry is called “%(value)s”."),
        "ambiguous": _("“%(value)s” could be more than one organisation: choose one."),
    }

    def resolve(self, text):
        # The slug first, as the type-ahead and every link give it: its index answers at once, where the OR with the
        # name in any case read every organisation (5.3 ms at 10,000).
        if Partner.objects.filter(slug=text).exists():
            return text, []
        exact = list(Partner.objects.filter(name__iexact=text).values_list("slug", "name").order_by("name")[:2])
        if len(exact) == 1:
            return exact[0][0], []
        if not exact:  # a word of the name or of another name: offered as candidates, never chosen for the visitor
            exact = list(
                Partner.objects.filter(Q(name__icontains=text) | Q(other_names__icontains=text))
                .order_by("name")
                .values_list("slug", "name")[: MAX_CANDIDATES + 1]
            )
        return None, exact


class ProjectFilterForm(forms.Form):
    # Records are chosen among those with published projects (a lead partner among those leading one).
    RECORD_FACETS = (Facet.FUNDER, Facet.PROGRAMME, Facet.PARTNER, Facet.LEAD_PARTNER)
    PLACE_FIELDS = {"region": "region_code", "province": "province_code"}

    def clean(self):
        cleaned = super().clean()
        # (facet, value) -> name of each record chosen, as the index stores it: the facets show it too.
        self.labels: dict[tuple[str, str], str] = {
            (name, cleaned[name]): field.label_found
            for name, field in self.fields.items()
            if getattr(field, "label_found", None) and cleaned.get(name)
        }
        chosen = {facet: cleaned[facet] for facet in self.RECORD_FACETS if cleaned.get(facet)}
        if chosen:
            condition = Q(pk__in=[])
            for facet, value in chosen.items():
                condition |= Q(facet=facet, value=value)
            found = FacetCount.objects.filter(condition).values_list("facet", "value", "label")
            self.labels.update(((facet, value), label) for facet, value, label in found)
            for facet, value in chosen.items():
                if (facet, value) not in self.labels:
                    self.add_error(facet, self.fields[facet].error_messages["invalid_choice"] % {"value": value})
        for name, column in self.PLACE_FIELDS.items():
            if cleaned.get(name) and not Municipality.objects.filter(**{column: cleaned[name]}).exists():
                self.add_error(name, self.fields[name].error_messages["invalid_choice"] % {"value": cleaned[name]})
        return cleaned


class FacetFilter(django_filters.Filter):
    """Projects indexed under the chosen value of one facet (see projects.models.index)."""

    def __init__(self, *args, facet: str, field_class: type[forms.Field] | None = None, **kwargs):
        self.facet = facet
        if field_class is not None:
            self.field_class = field_class
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.with_facet(self.facet, value)


@extend_schema_field(OpenApiTypes.STR)
class RecordFacetFilter(FacetFilter):
    """A record or place chosen by its slug, code or name: a string to the API's schema (it has no model field
    of that name to read the type from)."""


class FacetChoiceFilter(FacetFilter, django_filters.ChoiceFilter):
    """A vocabulary facet (themes, target groups): the choices are the vocabulary's codes."""


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Undated projects go last whichever way the list is sorted (databases disagree on NULLs)."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        name = self.param_map[param[1:] if descending else param]
        field = F(name)
        if not Project._meta.get_field(name).null:
            # No NULLS clause where there are no NULLs: the index on (title_key, id) serves both directions.
            return field.desc() if descending else field.asc()
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        if value[0].lstrip("-") == "title":  # ties broken in the same direction, as the index reads them
            return qs.order_by(*ordering, "-pk" if value[0].startswith("-") else "pk")
        return qs.order_by(*ordering, "title_key", "pk")


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField  # 2019.5 is not a year


class FiltersPerRequest(dict):
    """The filters of a FilterSet class, copied for each FilterSet as they are: django-filter deep-copies them,
    choices and widgets included, and the form its fields again, 0.5 ms of every list page. A shallow copy of each
    is enough, since a request only sets attributes of its own copies (a filter's parent, a field's candidates,
    a widget's options), never changes in place what they share."""

    def __deepcopy__(self, memo):
        copies = FiltersPerRequest()
        for name, shared in self.items():
            own = copies[name] = copy.copy(shared)
            if isinstance(shared.__dict__.get("filter"), FilterMethod):
                own.filter = FilterMethod(own)  # calls the method of its own FilterSet (its parent), not the class's
        return copies


class FieldsPerRequest(dict):
    """The form's fields, copied for each form as FiltersPerRequest copies the filters."""

    def __deepcopy__(self, memo):
        copies = FieldsPerRequest()
        for name, shared in self.items():
            own = copies[name] = copy.copy(shared)
            own.widget = copy.copy(shared.widget)
            own.widget.attrs = shared.widget.attrs.copy()
        return copies


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200, widget=PlainTextInput)
    funder = RecordFacetFilter(label=_("Funder"), facet=Facet.FUNDER, field_class=SlugChoiceField)
    programme = RecordFacetFilter(label=_("Programme or call"), facet=Facet.PROGRAMME, field_class=SlugChoiceField)
    partner = RecordFacetFilter(label=_("Organisation (any role)"), facet=Facet.PARTNER, field_class=PartnerField)
    lead_partner = RecordFacetFilter(label=_("Lead partner"), facet=Facet.LEAD_PARTNER, field_class=PartnerField)
    region = RecordFacetFilter(
        label=_("Region"),
        facet=Facet.REGION,
        field_class=CodeChoiceField,
        pattern=r"^[0-9]{2}$",
        message=_("A region is chosen by its two-digit ISTAT code, such as 01 for Piemonte."),
    )
    province = RecordFacetFilter(
        label=_("Province"),
        facet=Facet.PROVINCE,
        field_class=CodeChoiceField,
        pattern=r"^[A-Z]{2}$",
        message=_("A province is chosen by its two-letter code, such as AT or BI."),
    )
    municipality = RecordFacetFilter(label=_("Municipality"), facet=Facet.MUNICIPALITY, field_class=MunicipalityField)
    country = RecordFacetFilter(
        label=_("Country"),
        facet=Facet.COUNTRY,
        field_class=CodeChoiceField,
        pattern=r"^[A-Z]{2}$",
        message=_("Use a two-letter ISO 3166 code, such as IT or FR."),
    )
    theme = FacetChoiceFilter(label=_("Theme"), facet=Facet.THEME, choices=Theme.choices, widget=OptionsSelect)
    target_group = FacetChoiceFilter(
        label=_("Target group"), facet=Facet.TARGET_GROUP, choices=TargetGroup.choices, widget=OptionsSelect
    )
    kind = FacetChoiceFilter(
        label=_("Kind of initiative"), facet=Facet.KIND, choices=InitiativeKind.choices, widget=OptionsSelect
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, method="filter_status", widget=OptionsSelect
    )
    # A list of the years with projects (set per page with the counts); any year can still be asked for.
    year = YearFilter(
        label=_("Active in year"),
        method="filter_year",
        min_value=1900,
        max_value=2200,
        widget=OptionsSelect(choices=[("", _("All"))]),
    )
    # By title is in Italian alphabetical order (case and accents ignored): the folded title the registry keeps.
    sort = NullsLastOrderingFilter(
        label=_("Sort by"),
        fields=(("title_key", "title"), ("start", "start"), ("end", "end")),
        field_labels={
            "title": _("title (A–Z)"),
            "-title": _("title (Z–A)"),
            "start": _("start (oldest first)"),
            "-start": _("start (newest first)"),
            "end": _("end (soonest first)"),
            "-end": _("end (latest first)"),
        },
        empty_label=_("relevance, then title"),
        widget=OptionsSelect,
    )

    class Meta:
        model = Project
        fields: list[str] = []
        form = ProjectFilterForm

    def get_form_class(self):
        # The form's fields are the filters' own, the same for every request: made once for the class, not fifteen
        # fields and a class on every request (0.3 ms); each form copies them, a shallow copy each (FieldsPerRequest).
        form_class = type(self).__dict__.get("_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            form_class.base_fields = FieldsPerRequest(form_class.base_fields)
            type(self)._form_class = form_class
        return form_class

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        by_relevance = self._by_relevance(queryset)
        return queryset if by_relevance is None else by_relevance

    def in_list_order(self, count: int):
        """The filtered projects in the list's order, given how many they are: the best matches first when there are
        words and no sort is chosen, unless more than RANKED_AT_MOST match (ranking would read every match's
        weighted vector: 116 ms for a common word at 100,000 projects), then in title order."""
        if Words.parse(self._chosen.get("q") or "") and count > RANKED_AT_MOST and not self._chosen.get("sort"):
            return self.qs.order_by("title_key", "pk")
        return self.qs

    def title_order(self) -> str | None:
        """ "title" or "-title" when the list is in title order (that sort chosen, or none and no words to rank by),
        else None."""
        sort = self._chosen.get("sort")
        if sort:
            return sort[0] if sort[0].lstrip("-") == "title" else None
        return "title" if self._relevance() is None else None

    def ordered(self, queryset):
        """`queryset` in the list's order: the sort chosen, or relevance when there are words and none is."""
        sort = self._chosen.get("sort")
        if sort:
            return self.filters["sort"].filter(queryset, sort)
        by_relevance = self._by_relevance(queryset)
        return queryset.order_by("title_key", "pk") if by_relevance is None else by_relevance

    def _by_relevance(self, queryset):
        """With words and no sort chosen, the best matches first; None otherwise (or where the database cannot
        rank)."""
        relevance = self._relevance()
        if relevance is None:
            return None
        return queryset.annotate(relevance=relevance).order_by("-relevance", "title_key", "pk")

    def _relevance(self):
        """How well each project matches the words, when the list is ranked by it (words and no sort chosen, on a
        database that can rank); else None."""
        words = Words.parse(self._chosen.get("q") or "")
        if not words or self._chosen.get("sort"):
            return None
        return rank(words)

    @property
    def _chosen(self) -> dict:
        return self.form.cleaned_data if self.is_bound else {}

    def queryset_without(self, name: str):
        """The filtered projects with one filter left out: what each of its choices would give (the facets)."""
        queryset = self.queryset
        for filter_name, value in self.form.cleaned_data.items():
            if filter_name not in (name, "sort"):
                queryset = self.filters[filter_name].filter(queryset, value)
        return queryset

    def filter_text(self, queryset, name, value):
        return queryset.search(value) if value.strip() else queryset

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value)

    def filter_year(self, queryset, name, value):
        return queryset.active_in(int(value))


ProjectFilter.base_filters = FiltersPerRequest(ProjectFilter.base_filters)
