import django_filters
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from registry.enums import PartnerKind, Role

from .models import Partner


class PartnerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200)
    kind = django_filters.ChoiceFilter(label=_("Kind"), choices=PartnerKind.choices)
    role = django_filters.ChoiceFilter(
        label=_("Role in at least one project"), choices=Role.choices, method="filter_role"
    )

    class Meta:
        model = Partner
        fields: list[str] = []

    def filter_text(self, queryset, name, value):
        return queryset.search(value)

    def filter_role(self, queryset, name, value):
        return queryset.filter(participations__role=value, participations__project__is_published=True).distinct()


def with_project_counts(queryset):
    """Number of published projects per organisation, in each role."""
    published = Q(participations__project__is_published=True)
    return queryset.annotate(
        lead_count=Count("participations", filter=published & Q(participations__role=Role.LEAD), distinct=True),
        project_count=Count("participations__project", filter=published, distinct=True),
    )
