"""Change sets in the admin: what each save, action, import or merge wrote, version by version, and its undo."""

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models.deletion import ProtectedError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .history import RestoreError, UndoConflict, change_set_undo, change_set_versions, previous_version
from .history_admin import described, version_author
from .models import ChangeSet

VERSIONS_PER_PAGE = 50


@admin.register(ChangeSet)
class ChangeSetAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "label", "author_name", "undone"]
    list_filter = ["kind", "created_at"]
    list_select_related = ["user", "undone_by"]
    search_fields = ["label", "actor", "user__username", "user__first_name", "user__last_name"]
    search_help_text = gettext_lazy("Description, editor or account that ran a command.")
    date_hierarchy = "created_at"
    list_per_page = 50

    def has_add_permission(self, request):
        return False  # change sets are made by the changes themselves

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the history is kept whole

    def has_undo_permission(self, request) -> bool:
        return request.user.has_perm("registry.undo_changeset")

    @admin.display(description=gettext_lazy("editor"), ordering="user__username")
    def author_name(self, obj):
        return obj.author or "—"

    @admin.display(description=gettext_lazy("undone"), boolean=True)
    def undone(self, obj):
        return obj.undone_by_id is not None

    def get_urls(self):
        undo = path("<int:pk>/undo/", self.admin_site.admin_view(self.undo_view), name="registry_changeset_undo")
        return [undo, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        change = self.get_object(request, object_id)
        if change is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, change):
            raise PermissionDenied
        page = Paginator(change_set_versions(change), VERSIONS_PER_PAGE).get_page(request.GET.get("p"))
        context = {
            **self.admin_site.each_context(request),
            "title": str(change),
            "opts": self.opts,
            "change": change,
            "page": page,
            "versions": described(page.object_list, previous_version),
            "can_undo": self.has_undo_permission(request) and change.undone_by_id is None,
        }
        return TemplateResponse(request, "admin/history/change_set.html", context)

    def undo_view(self, request, pk):
        change = self.get_object(request, str(pk))
        if change is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, str(pk))
        if not self.has_undo_permission(request):
            raise PermissionDenied
        count = change_set_versions(change).count()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Undo: %(change)s") % {"change": change},
            "opts": self.opts,
            "change": change,
            "count": count,
        }
        if change.undone_by_id is not None:
            context["error"] = _("This change set was already undone.")
            return TemplateResponse(request, "admin/history/undo.html", context, status=409)
        if count > settings.UNDO_IN_ADMIN_AT_MOST:
            # Undone here it would outlast the request (and be rolled back whole when the server stopped it).
            context["command"] = f"python manage.py undo_changeset {change.pk} --editor {request.user.get_username()}"
            context["too_large"] = _(
                "This change set wrote %(count)s records: undoing it takes longer than a page may wait, so it is "
                "undone on the server, with the command below. Nothing has been undone."
            ) % {"count": number_format(count, force_grouping=True)}
            return TemplateResponse(
                request, "admin/history/undo.html", context, status=409 if request.method == "POST" else 200
            )
        if request.method != "POST":
            return TemplateResponse(request, "admin/history/undo.html", context)
        try:
            undo = change_set_undo(change, user=request.user)
        except UndoConflict as conflict:
            context["error"] = _(
                "Nothing was undone: these records were changed after this change set, and undoing it would "
                "overwrite those changes. Undo the later changes first, or correct the records by hand."
            )
            context["conflicts"] = [
                {"object": str(version.instance), "author": version_author(version), "version": version}
                for version in conflict.versions
            ]
            return TemplateResponse(request, "admin/history/undo.html", context, status=409)
        except (RestoreError, IntegrityError, ProtectedError) as error:
            context["error"] = _("Nothing was undone: %(error)s") % {"error": error}
            return TemplateResponse(request, "admin/history/undo.html", context, status=409)
        self.message_user(request, _("Undone. The undo is itself recorded and can be undone."), messages.SUCCESS)
        target = undo.pk if undo is not None else change.pk
        return HttpResponseRedirect(reverse("admin:registry_changeset_change", args=[target]))
