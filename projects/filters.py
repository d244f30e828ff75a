"""The public project filters; every one lives in the query string so a search can be shared."""

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from partners.models import LeadPartner, Partner
from registry.enums import Role, Status, TargetGroup, Theme

from .models import Funder, Municipality, Programme, Project


def regions() -> list[tuple[str, str]]:
    return list(Municipality.objects.order_by("region_code").values_list("region_code", "region_name").distinct())


def provinces() -> list[tuple[str, str]]:
    rows = Municipality.objects.order_by("province_code").values_list("province_code", "province_name").distinct()
    return [(code, f"{code} – {name}") for code, name in rows]


def published_funders(request=None):
    return Funder.objects.with_published_projects()


def published_programmes(request=None):
    return Programme.objects.with_published_projects()


class NullsLastOrderingFilter(django_filters.OrderingFilter):
    """Undated projects go last whichever way the list is sorted (databases disagree on NULLs)."""

    def get_ordering_value(self, param):
        descending = param.startswith("-")
        field = F(self.param_map[param[1:] if descending else param])
        return field.desc(nulls_last=True) if descending else field.asc(nulls_last=True)

    def filter(self, qs, value):
        if value in EMPTY_VALUES:
            return qs
        return qs.order_by(*[self.get_ordering_value(param) for param in value], "title")


class YearFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField  # 2019.5 is not a year


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200)
    # Callables, read on each request: a programme's place in the tree is walked when the list is made.
    funder = django_filters.ModelChoiceFilter(
        label=_("Funder"),
        queryset=published_funders,
        to_field_name="slug",
        empty_label=_("All"),
        method="filter_funder",
    )
    programme = django_filters.ModelChoiceFilter(
        label=_("Programme or call"),
        queryset=published_programmes,
        to_field_name="slug",
        empty_label=_("All"),
        method="filter_programme",
    )
    partner = django_filters.ModelChoiceFilter(
        label=_("Organisation (any role)"),
        queryset=Partner.objects.in_published_projects(),
        to_field_name="slug",
        empty_label=_("All"),
        method="filter_partner",
    )
    lead_partner = django_filters.ModelChoiceFilter(
        label=_("Lead partner"),
        queryset=LeadPartner.objects.in_published_projects(role=Role.LEAD),
        to_field_name="slug",
        empty_label=_("All"),
        method="filter_lead_partner",
    )
    region = django_filters.ChoiceFilter(label=_("Region"), choices=regions, method="filter_place")
    province = django_filters.ChoiceFilter(label=_("Province"), choices=provinces, method="filter_place")
    municipality = django_filters.CharFilter(
        label=_("Municipality (ISTAT code)"),
        method="filter_place",
        validators=[RegexValidator(r"^[0-9]{6}$", _("An ISTAT municipality code has six digits, such as 005001."))],
    )
    country = django_filters.CharFilter(
        label=_("Country (ISO code)"),
        method="filter_country",
        validators=[RegexValidator(r"^[A-Za-z]{2}$", _("Use a two-letter ISO 3166 code, such as IT or FR."))],
    )
    theme = django_filters.ChoiceFilter(
        label=_("Theme"), choices=Theme.choices, field_name="theme_links__theme", distinct=True
    )
    target_group = django_filters.ChoiceFilter(
        label=_("Target group"),
        choices=TargetGroup.choices,
        field_name="target_group_links__target_group",
        distinct=True,
    )
    status = django_filters.ChoiceFilter(label=_("Status"), choices=Status.choices, method="filter_status")
    year = YearFilter(label=_("Active in year"), method="filter_year", min_value=1900, max_value=2200)
    sort = NullsLastOrderingFilter(
        label=_("Sort by"),
        fields=(("title", "title"), ("start", "start"), ("end", "end")),
        field_labels={
            "title": _("title (A–Z)"),
            "-title": _("title (Z–A)"),
            "start": _("start (oldest first)"),
            "-start": _("start (newest first)"),
            "end": _("end (soonest first)"),
            "-end": _("end (latest first)"),
        },
        empty_label=None,
    )

    class Meta:
        model = Project
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        return queryset.search(value) if value.strip() else queryset

    def filter_funder(self, queryset, name, value):
        return queryset.funded_by(value)

    def filter_programme(self, queryset, name, value):
        return queryset.in_programme(value)

    def filter_partner(self, queryset, name, value):
        return queryset.with_partner(value)

    def filter_lead_partner(self, queryset, name, value):
        return queryset.with_partner(value, role=Role.LEAD)

    def filter_place(self, queryset, name, value):
        return queryset.in_place(**{name: value})

    def filter_country(self, queryset, name, value):
        return queryset.in_country(value)

    def filter_status(self, queryset, name, value):
        return queryset.with_status(value)

    def filter_year(self, queryset, name, value):
        return queryset.active_in(int(value))
