from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from registry.enums import Role
from registry.history_admin import HistoryAdminMixin

from .filters import count_of
from .forms import PartnerAdminForm
from .models import LeadPartner, Partner


def participations():
    # Through the reverse relation, so that partners never imports the projects app.
    return Partner._meta.get_field("participations").related_model.objects.filter(partner=OuterRef("pk"))


class RoleFilter(admin.SimpleListFilter):
    title = _("role in a project")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(Exists(participations().filter(role=self.value())))
        return queryset


class CountryFilter(admin.SimpleListFilter):
    """Countries by name in the admin's language (the field keeps ISO codes), and organisations without one."""

    title = _("country")
    parameter_name = "country"
    NOT_STATED = "-"

    def lookups(self, request, model_admin):
        present = set(model_admin.model._default_manager.order_by().values_list("country", flat=True).distinct())
        named = [(code, name) for code, name in countries if code in present]  # in the order of their names
        # Codes the ISO list does not name (the field takes any two letters: EU, XK) are offered as they are.
        unnamed = sorted((code, code) for code in present - {code for code, _name in named} - {""})
        return [*named, *unnamed, *([(self.NOT_STATED, _("not stated"))] if "" in present else [])]

    def queryset(self, request, queryset):
        if self.value() == self.NOT_STATED:
            return queryset.filter(country="")
        if self.value():
            return queryset.filter(country=self.value())
        return queryset


@admin.register(Partner)
class PartnerAdmin(HistoryAdminMixin, admin.ModelAdmin):
    form = PartnerAdminForm
    list_display = ["name", "kind", "city", "country_name", "project_count"]
    list_filter = ["kind", CountryFilter, RoleFilter]
    search_fields = ["name", "other_names", "tax_code", "city"]
    # The counts below group the rows, which drops Meta.ordering: keep lists and autocompletes sorted.
    ordering = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "other_names", "kind"]}),
        (_("Where and how to reach it"), {"fields": ["city", "country", "website", "tax_code"]}),
        (_("Description and provenance"), {"fields": ["description", "sources"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_project_count=count_of(participations()))

    @admin.display(description=_("country"), ordering="country")
    def country_name(self, obj):
        return (countries.name(obj.country) or obj.country) if obj.country else None

    @admin.display(description=_("projects"), ordering="_project_count")
    def project_count(self, obj):
        return obj._project_count


@admin.register(LeadPartner)
class LeadPartnerAdmin(PartnerAdmin):
    """The same organisations, seen in their lead role: editing here edits the one Partner row."""

    list_display = ["name", "kind", "city", "led_projects"]
    list_filter = ["kind", CountryFilter]

    def get_queryset(self, request):
        return LeadPartner.objects.annotate(
            _project_count=count_of(participations()),
            _led=count_of(participations().filter(role=Role.LEAD)),
        )

    @admin.display(description=_("projects led"), ordering="_led")
    def led_projects(self, obj):
        return obj._led
