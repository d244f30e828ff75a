from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import CharField, Count, IntegerField, OuterRef, Subquery, UniqueConstraint, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin

from registry.enums import ChangeKind, CorrectionStatus, Role, Status, Theme
from registry.history import change_set
from registry.history_admin import HistoryAdminMixin

from . import admin_duplicates  # noqa: F401 (the organisations' admin again, with probable duplicates and merging)
from .exports import template_sheet
from .forms import ProjectAdminForm, ProjectConfirmImportForm, SourcedAdminForm, TextsAdminForm
from .importing import SheetError
from .importing.freshness import history_mark
from .models import (
    CorrectionSuggestion,
    Funder,
    Municipality,
    Participation,
    Programme,
    Project,
    ProjectTargetGroup,
    ProjectTheme,
    Territory,
)
from .resources import ProjectResource, ProjectSheet, ProjectSheetCSV, ProjectSheetXLSX, SheetImportForm, uploaded_as
from .services import projects_delete, projects_index, projects_publish
from .services.corrections import correction_review, corrections_review


class DeletionsFirstFormSet(BaseInlineFormSet):
    """Rows marked for deletion are deleted before the others are saved: a row may take the theme, the target
    group or the organisation and role that a row deleted in the same save had (each unique in a project), which
    Django's order, row by row, would write while the old row is still there.

    Rows may also trade those values among themselves (two themes swapped, the lead passed to another
    organisation): before such rows are saved, each is set aside with a value of `parked_field` no row can hold,
    within the admin's transaction, so that no row clashes with one not yet saved."""

    parked_field = ""

    def save_existing_objects(self, commit=True):
        self.changed_objects, self.deleted_objects = [], []
        kept = []
        for form in self.initial_forms:
            if form.instance.pk is None:
                continue
            if form in self.deleted_forms:
                self.deleted_objects.append(form.instance)
                self.delete_existing(form.instance, commit=commit)
            else:
                kept.append(form)
        changed = [form for form in kept if form.has_changed()]
        if commit:
            self._park_rows_changing_keys(changed)
        saved = []
        for form in changed:
            self.changed_objects.append((form.instance, form.changed_data))
            saved.append(self.save_existing(form, form.instance, commit=commit))
            if not commit:
                self.saved_forms.append(form)
        return saved

    def _park_rows_changing_keys(self, forms) -> None:
        if not self.parked_field:
            return
        keys = self._unique_fields()
        moving = [form.instance.pk for form in forms if keys.intersection(form.changed_data)]
        if len(moving) < 2:
            return  # one row alone clashes only with a row that stays, which the form's validation already refused
        # "~" and the row's id: no choice starts with "~", and ids are unique. Written with update(): each row's save
        # just after writes its real value and is the only write the history and the index see.
        parked = Concat(Value("~"), Cast("pk", output_field=CharField()), output_field=CharField())
        self.model._default_manager.filter(pk__in=moving).update(**{self.parked_field: parked})

    def _unique_fields(self) -> set[str]:
        """The fields of the rows' unique constraints other than the project."""
        names = set()
        for constraint in self.model._meta.constraints:
            if isinstance(constraint, UniqueConstraint):
                names.update(constraint.fields)
        names.discard(self.fk.name)
        return names


class ParticipationFormSet(DeletionsFirstFormSet):
    parked_field = "role"

    def clean(self):
        super().clean()
        leads = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("role") == Role.LEAD
        ]
        if len(leads) > 1:
            raise ValidationError(
                _("A project has at most one lead partner; this one has %(count)d.") % {"count": len(leads)}
            )


class ThemeFormSet(DeletionsFirstFormSet):
    parked_field = "theme"


class TargetGroupFormSet(DeletionsFirstFormSet):
    parked_field = "target_group"


class ParticipationInline(admin.TabularInline):
    model = Participation
    form = TextsAdminForm
    formset = ParticipationFormSet
    extra = 0
    autocomplete_fields = ["partner"]
    fields = ["partner", "role", "order", "unit", "description", "inferred_because"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("partner")


class ThemeInline(admin.TabularInline):
    model = ProjectTheme
    formset = ThemeFormSet
    extra = 0


class TargetGroupInline(admin.TabularInline):
    model = ProjectTargetGroup
    formset = TargetGroupFormSet
    extra = 0


class CorrectionFormSet(BaseInlineFormSet):
    """A status or note changed beside the project is saved through the write layer, which records who reviewed
    the suggestion and when."""

    reviewer = None  # the editor saving the page, set by CorrectionInline.get_formset

    def save_existing(self, form, obj, commit=True):
        # The form has already set its values on `obj`: the stored row tells whether the status changed.
        stored = self.model.objects.get(pk=obj.pk)
        return correction_review(correction=stored, status=obj.status, note=obj.note, reviewer=self.reviewer)


class CorrectionInline(admin.TabularInline):
    """Visitors' suggestions for this project, newest first: editors set their status and note here."""

    model = CorrectionSuggestion
    form = TextsAdminForm
    formset = CorrectionFormSet
    template = "admin/projects/project/corrections_inline.html"
    extra = 0
    can_delete = False
    show_change_link = True
    fields = ["created_at", "message", "source", "sender", "status", "note", "review"]
    readonly_fields = ["created_at", "message", "source", "sender", "review"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("reviewed_by")

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("widgets", {"note": forms.Textarea(attrs={"rows": 3, "cols": 30})})
        formset = super().get_formset(request, obj, **kwargs)
        formset.reviewer = request.user
        return formset

    def has_add_permission(self, request, obj=None):
        return False  # suggestions come from the public form only

    @admin.display(description=_("sender"))
    def sender(self, obj):
        return obj.sender or "—"

    @admin.display(description=_("reviewed"))
    def review(self, obj):
        if obj.reviewed_at is None:
            return "—"
        when = date_format(timezone.localtime(obj.reviewed_at), "SHORT_DATETIME_FORMAT")
        return f"{obj.reviewed_by or '—'}, {when}"


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return Status.choices

    def queryset(self, request, queryset):
        return queryset.with_status(self.value()) if self.value() else queryset


class ThemeFilter(admin.SimpleListFilter):
    title = _("theme")
    parameter_name = "theme"

    def lookups(self, request, model_admin):
        return Theme.choices

    def queryset(self, request, queryset):
        return queryset.filter(theme_links__theme=self.value()).distinct() if self.value() else queryset


@admin.register(Project)
class ProjectAdmin(HistoryAdminMixin, ImportExportMixin, admin.ModelAdmin):
    form = ProjectAdminForm
    resource_classes = [ProjectResource]
    # One import format, which tells CSV, XLSX and ODS apart by the file itself: editors choose none.
    import_formats = [ProjectSheet]
    export_formats = [ProjectSheetCSV, ProjectSheetXLSX]
    import_template_name = "admin/projects/project/import.html"
    import_form_class = SheetImportForm
    list_display = ["title", "acronym", "kind", "lead", "period", "status_label", "is_published"]
    list_filter = ["is_published", "kind", StatusFilter, ThemeFilter, "programmes", "funders"]
    search_fields = ["title", "acronym", "code", "cup", "summary", "participations__partner__name"]
    search_help_text = _("Title, acronym, code, CUP, summary or organisation.")
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["funders", "programmes", "territories", "related"]
    inlines = [ParticipationInline, ThemeInline, TargetGroupInline, CorrectionInline]
    actions = ["publish", "unpublish"]
    list_per_page = 50
    # A total order the title index serves (the admin would otherwise add "-pk", which it cannot).
    ordering = ["title_key", "pk"]  # Italian alphabetical order, as on the site; its index serves the pages
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "acronym", "slug", "kind", "is_published"]}),
        (_("Identifiers"), {"fields": ["code", "cup", "application_year"]}),
        (
            _("Period"),
            {
                "fields": ["period_text", ("start", "start_precision"), ("end", "end_precision"), "duration_months"],
                "description": _(
                    "Type the period as the source writes it («Maggio 2024 – Dicembre 2025», «36 mesi (2025 – 2028)»):"
                    " the start, the end and their precision are filled in from it. Or set them by hand: the first"
                    " day of the start, the last day of the end, and how much of each the source gives."
                ),
            },
        ),
        (
            _("Content"),
            {
                "fields": [
                    "summary",
                    "general_objective",
                    "specific_objectives",
                    "activities",
                    "beneficiaries",
                    "people_reached",
                ]
            },
        ),
        (_("Funding"), {"fields": ["funders", "programmes"]}),
        (_("Where"), {"fields": ["territories", "countries"]}),
        (_("Links and provenance"), {"fields": ["website", "sources", "related"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("participations__partner")

    def get_inlines(self, request, obj):
        # A new project has no suggestions yet: its page does not list them.
        return self.inlines if obj is not None else [i for i in self.inlines if i is not CorrectionInline]

    def get_search_results(self, request, queryset, search_term):
        # The site's search (Italian full text on PostgreSQL, indexed), drafts included: no DISTINCT needed.
        if not search_term.strip():
            return queryset, False
        return queryset.search(search_term), False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The links are saved only now: the project's index entries are rebuilt from all of them.
        projects_index([form.instance.pk])

    def delete_model(self, request, obj):
        projects_delete(projects=Project.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        projects_delete(projects=queryset)

    def get_urls(self):
        template = path(
            "import-template.csv",
            self.admin_site.admin_view(self.import_template_view),
            name="projects_project_import_template",
        )
        cancel = path(
            "import/cancel/",
            self.admin_site.admin_view(self.import_cancel_view),
            name="projects_project_import_cancel",
        )
        return [template, cancel, *super().get_urls()]

    def import_cancel_view(self, request):
        """The preview's "cancel": the upload waiting for its confirmation is removed at once."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._remove_upload(request.POST.get("import_file_name", ""))
        self.message_user(request, _("Import cancelled: the uploaded file was removed."), messages.INFO)
        return HttpResponseRedirect(reverse("admin:projects_project_changelist"))

    def import_template_view(self, request):
        """The headers editors may use and one filled row, as Excel in Italy saves a CSV."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(template_sheet(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="modello-schede-progetto.csv"'
        return response

    def write_to_tmp_storage(self, import_file, input_format):
        # Chunk by chunk to the file (the stock method joins the chunks in memory first).
        storage = self._tmp_storage(None)
        storage.save(import_file.chunks())
        return storage

    def _tmp_storage(self, name: str | None):
        return self.get_tmp_storage_class()(name=name, read_mode="rb", **self.get_tmp_storage_class_kwargs())

    def _remove_upload(self, name: str) -> None:
        # The storage reads and removes only names it gave (projects.uploads): no path can reach further.
        self._tmp_storage(name).remove()

    def get_confirm_form_class(self, request):
        return ProjectConfirmImportForm

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["history_mark"] = getattr(request, "history_mark", 0)
        return initial

    def get_import_data_kwargs(self, **kwargs):
        data = super().get_import_data_kwargs(**kwargs)
        form = kwargs.get("form")
        if isinstance(form, ProjectConfirmImportForm) and form.is_valid():
            data["history_mark"] = form.cleaned_data.get("history_mark") or 0
        return data

    def import_action(self, request, **kwargs):
        # Taken before the preview reads the registry: a project changed after it is reported at confirm time.
        request.history_mark = history_mark()
        upload = request.FILES.get("import_file")
        with uploaded_as(getattr(upload, "name", "")):
            response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        result = context.get("result")
        if request.method != "POST":
            return response
        # Only a preview that can be confirmed keeps its upload; a refused file or one with errors
        # will be uploaded again.
        # (The stored copy's name is set on the uploaded file, which a refusal takes out of cleaned_data.)
        stored = getattr(request.FILES.get("import_file"), "tmp_storage_name", None)
        if "confirm_form" not in context and stored:
            self._remove_upload(stored)
        # A refused file or a sheet with row errors is bad input: say so in the status too.
        if (form is not None and form.errors) or (
            result is not None and (result.has_errors() or result.has_validation_errors())
        ):
            response.status_code = 400
        return response

    def process_import(self, request, **kwargs):
        """The confirm step: the file is checked again, and nothing is written if it no longer passes."""
        label = request.POST.get("original_file_name", "")[:200]
        try:
            # One change set for the whole file, named after it: reviewed, and undone, as one.
            with (
                change_set(ChangeKind.IMPORT, label, user=request.user),
                uploaded_as(request.POST.get("original_file_name", "")),
            ):
                return super().process_import(request, **kwargs)
        except (SheetError, OSError, IndexError, ValueError) as error:
            # The stored upload is gone (confirmed twice), or the form was tampered with.
            self.message_user(
                request,
                _("The import could not be completed: %(error)s. Nothing was imported; upload the file again.")
                % {"error": error},
                messages.ERROR,
            )
            return self._import_page(request, status=400)
        finally:
            # Imported, refused or stale: the upload has served either way.
            self._remove_upload(request.POST.get("import_file_name", ""))

    def _import_page(self, request, *, status: int):
        context = {**self.admin_site.each_context(request), **self.get_import_context_data()}
        context.update({"title": _("Import"), "opts": self.model._meta, "form": self._empty_import_form(request)})
        return TemplateResponse(request, [self.import_template_name], context, status=status)

    def _empty_import_form(self, request):
        return self.get_import_form_class(request)(
            self.get_import_formats(), self.get_import_resource_classes(request)
        )

    def process_result(self, result, request):
        if getattr(result, "busy", False):
            self.message_user(
                request,
                _("Another import is running: nothing was imported. Upload the file again in a few minutes."),
                messages.ERROR,
            )
            return self._import_page(request, status=409)
        if result.has_errors() or result.has_validation_errors():
            # Something changed between the preview and the confirmation: show why, write nothing.
            context = {**self.admin_site.each_context(request), **self.get_import_context_data()}
            context.update(
                {
                    "title": _("Import"),
                    "opts": self.model._meta,
                    "result": result,
                    "form": self._empty_import_form(request),
                }
            )
            self.message_user(request, _("The file no longer imports cleanly: nothing was imported."), messages.ERROR)
            return TemplateResponse(request, [self.import_template_name], context, status=400)
        return super().process_result(result, request)

    def add_data_read_fail_error_to_form(self, form, error):
        if isinstance(error, SheetError):
            form.add_error(
                "import_file", _("The file cannot be read: %(error)s. Nothing was imported.") % {"error": error}
            )
        else:
            super().add_data_read_fail_error_to_form(form, error)

    @admin.display(description=_("lead partner"))
    def lead(self, obj):
        return obj.lead_partner or "—"

    @admin.display(description=_("period"), ordering="start")
    def period(self, obj):
        # In the admin's language and the registry's one date style, as the public pages write it.
        return obj.public_period_label or "—"

    @admin.display(description=_("status"))
    def status_label(self, obj):
        return obj.get_status_display()

    def _log_publication(self, request, pks: list[int], message: str) -> None:
        """Django's own log of admin actions too (the history holds the values; the log says who acted)."""
        LogEntry.objects.log_actions(
            request.user.pk, Project.objects.filter(pk__in=pks), CHANGE, change_message=message, single_object=False
        )

    @admin.action(description=_("Publish the selected projects"), permissions=["change"])
    def publish(self, request, queryset):
        pks = list(queryset.filter(is_published=False).values_list("pk", flat=True))
        count = projects_publish(projects=queryset, published=True)
        self._log_publication(request, pks, "Published")
        self.message_user(
            request, ngettext("%d project published.", "%d projects published.", count) % count, messages.SUCCESS
        )

    @admin.action(description=_("Withdraw the selected projects from the public site"), permissions=["change"])
    def unpublish(self, request, queryset):
        pks = list(queryset.filter(is_published=True).values_list("pk", flat=True))
        count = projects_publish(projects=queryset, published=False)
        self._log_publication(request, pks, "Withdrawn from the public site")
        self.message_user(
            request, ngettext("%d project withdrawn.", "%d projects withdrawn.", count) % count, messages.SUCCESS
        )


@admin.register(Funder)
class FunderAdmin(HistoryAdminMixin, admin.ModelAdmin):
    form = SourcedAdminForm
    list_display = ["name", "website"]
    list_filter = ["programmes"]
    search_fields = ["name", "other_names"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Programme)
class ProgrammeAdmin(HistoryAdminMixin, admin.ModelAdmin):
    form = SourcedAdminForm
    list_display = ["name", "short_name", "kind", "parent"]
    list_select_related = ["parent"]
    list_filter = ["kind", "funders", "parent"]
    search_fields = ["name", "short_name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["funders", "parent"]


class TerritoryRegionFilter(admin.SimpleListFilter):
    """Territories with a municipality in the region, by a semi-join: through the municipalities, the admin's own
    filter joined and made DISTINCT every row (1.3 s for Piemonte at 48,070 territories)."""

    title = _("region")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        return list(Municipality.objects.order_by("region_name").values_list("region_code", "region_name").distinct())

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        links = Territory.municipalities.through.objects.filter(municipality__region_code=self.value())
        return queryset.filter(pk__in=links.values("territory_id"))


@admin.register(Territory)
class TerritoryAdmin(HistoryAdminMixin, admin.ModelAdmin):
    form = TextsAdminForm
    list_display = ["name", "municipality_count", "basis"]
    search_fields = ["name", "description"]
    list_filter = ["basis", TerritoryRegionFilter]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["municipalities"]
    ordering = ["name"]

    def get_queryset(self, request):
        # Counted for the rows shown (a correlated subquery): a join and GROUP BY counted the municipalities of
        # all 48,070 territories for every page, and again for each of the list's two counts (0.5 s).
        links = Territory.municipalities.through.objects.filter(territory_id=OuterRef("pk")).order_by()
        counted = links.values("territory_id").annotate(n=Count("pk")).values("n")
        return (
            super()
            .get_queryset(request)
            .annotate(_municipality_count=Coalesce(Subquery(counted, output_field=IntegerField()), 0))
        )

    @admin.display(description=_("municipalities"), ordering="_municipality_count")
    def municipality_count(self, obj):
        return obj._municipality_count


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "istat_code", "province_code", "region_name"]
    list_filter = ["region_name", "province_code"]
    search_fields = ["name", "istat_code", "matching_name"]
    list_per_page = 100

    def has_add_permission(self, request):
        # The list is ISTAT's, loaded by `load_municipalities`; editors read it, they don't edit it.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CorrectionSuggestion)
class CorrectionSuggestionAdmin(admin.ModelAdmin):
    """Every suggestion sent from the project pages; the project's own page lists its suggestions too."""

    form = TextsAdminForm

    list_display = ["created_at", "excerpt", "project_link", "status", "reviewed_by", "reviewed_at"]
    list_display_links = ["created_at", "excerpt"]
    list_filter = ["status", "created_at", "reviewed_at"]
    list_select_related = ["project", "reviewed_by"]
    search_fields = ["message", "source", "sender_name", "sender_email", "project__title"]
    search_help_text = _("What is wrong, source, sender or project title.")
    show_facets = admin.ShowFacets.ALWAYS  # "New (3)": how many wait for review, beside each status
    actions = ["accept", "dismiss"]
    list_per_page = 50
    readonly_fields = [
        "project_link",
        "created_at",
        "message",
        "source",
        "sender_name",
        "sender_email",
        "reviewed_by",
        "reviewed_at",
    ]
    fieldsets = [
        (None, {"fields": ["project_link", "created_at", "message", "source", "sender_name", "sender_email"]}),
        (
            _("Review"),
            {
                "fields": ["status", "note", "reviewed_by", "reviewed_at"],
                "description": _(
                    "Accepting a suggestion does not change the project: open the project, correct it and save it, "
                    "then mark the suggestion accepted. The sender's name and e-mail are for replying only: they "
                    "are never published."
                ),
            },
        ),
    ]

    def has_add_permission(self, request):
        return False  # suggestions come from the public form only

    def save_model(self, request, obj, form, change):
        # The form has already set its values on `obj`: the stored row tells whether the status changed.
        stored = CorrectionSuggestion.objects.get(pk=obj.pk)
        correction_review(correction=stored, status=obj.status, note=obj.note, reviewer=request.user)

    def changelist_view(self, request, extra_context=None):
        waiting = CorrectionSuggestion.objects.unreviewed().count()
        subtitle = ngettext("%d suggestion waits for review", "%d suggestions wait for review", waiting) % waiting
        return super().changelist_view(request, {"subtitle": subtitle, **(extra_context or {})})

    @admin.display(description=_("what is wrong"))
    def excerpt(self, obj):
        return Truncator(obj.message).chars(90)

    @admin.display(description=_("project"), ordering="project__title")
    def project_link(self, obj):
        url = reverse("admin:projects_project_change", args=[obj.project_id])
        return format_html('<a href="{}">{}</a>', url, obj.project.title)

    @admin.action(description=_("Mark the selected suggestions accepted"), permissions=["change"])
    def accept(self, request, queryset):
        count = corrections_review(corrections=queryset, status=CorrectionStatus.ACCEPTED, reviewer=request.user)
        self.message_user(
            request,
            ngettext(
                "%d suggestion marked accepted. The projects change only as you edit them.",
                "%d suggestions marked accepted. The projects change only as you edit them.",
                count,
            )
            % count,
            messages.SUCCESS,
        )

    @admin.action(description=_("Dismiss the selected suggestions"), permissions=["change"])
    def dismiss(self, request, queryset):
        count = corrections_review(corrections=queryset, status=CorrectionStatus.DISMISSED, reviewer=request.user)
        self.message_user(
            request, ngettext("%d suggestion dismissed.", "%d suggestions dismissed.", count) % count, messages.SUCCESS
        )
