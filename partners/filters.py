import django_filters
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
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
        return queryset.filter(Exists(published_links().filter(role=value)))


def published_links():
    # Through the reverse relation, so that partners never imports the projects app.
    participation = Partner._meta.get_field("participations").related_model
    return participation.objects.filter(partner=OuterRef("pk"), project__is_published=True)


def count_of(links) -> Subquery:
    """How many projects the links name, computed for the rows shown only (a correlated subquery): a
    join and GROUP BY would first count the projects of every organisation in the registry."""
    counted = links.order_by().values("partner").annotate(n=Count("project", distinct=True)).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def with_project_counts(queryset):
    """Number of published projects per organisation, in each role."""
    return queryset.annotate(
        lead_count=count_of(published_links().filter(role=Role.LEAD)),
        project_count=count_of(published_links()),
    )
