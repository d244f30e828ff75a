from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from registry.enums import Role

from .models import LeadPartner, Partner


class RoleFilter(admin.SimpleListFilter):
    title = _("role in a project")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return Role.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(participations__role=self.value()).distinct()
        return queryset


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "city", "country", "project_count"]
    list_filter = ["kind", "country", RoleFilter]
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
        return super().get_queryset(request).annotate(_project_count=Count("participations__project", distinct=True))

    @admin.display(description=_("projects"), ordering="_project_count")
    def project_count(self, obj):
        return obj._project_count


@admin.register(LeadPartner)
class LeadPartnerAdmin(PartnerAdmin):
    """The same organisations, seen in their lead role: editing here edits the one Partner row."""

    list_display = ["name", "kind", "city", "led_projects"]
    list_filter = ["kind", "country"]

    def get_queryset(self, request):
        return LeadPartner.objects.annotate(
            _project_count=Count("participations__project", distinct=True),
            _led=Count("participations", filter=Q(participations__role=Role.LEAD), distinct=True),
        )

    @admin.display(description=_("projects led"), ordering="_led")
    def led_projects(self, obj):
        return obj._led
