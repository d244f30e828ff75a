from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

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


@admin.register(Partner)
class PartnerAdmin(HistoryAdminMixin, admin.ModelAdmin):
    form = PartnerAdminForm
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
        return super().get_queryset(request).annotate(_project_count=count_of(participations()))

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
            _project_count=count_of(participations()),
            _led=count_of(participations().filter(role=Role.LEAD)),
        )

    @admin.display(description=_("projects led"), ordering="_led")
    def led_projects(self, obj):
        return obj._led
