"""Probable duplicate organisations in the admin: a page listing them, likeliest first, with a form to merge
each group, and an action merging the organisations selected in the list.

The merge (projects.services.merging) moves projects' roles, so it lives in this app; the organisations'
admin is registered again here with these views added to partners.admin.PartnerAdmin.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from partners.admin import PartnerAdmin, participations
from partners.duplicates import DuplicateGroups
from partners.filters import count_of
from partners.models import Partner

from .services import MergeRefused, partners_merge

GROUPS_PER_PAGE = 20


def _with_project_counts(pks) -> dict[int, Partner]:
    partners = Partner.objects.filter(pk__in=pks).annotate(project_count=count_of(participations()))
    return {partner.pk: partner for partner in partners}


def _kept_first(partners: list[Partner]) -> list[Partner]:
    """The organisation offered as the one to keep first: the one in most projects, then the oldest."""
    return sorted(partners, key=lambda partner: (-partner.project_count, partner.pk))


def undo_link(change_set) -> str:
    """The address that undoes a change set, or "" where the history's admin has no such page."""
    if change_set is None:
        return ""
    try:
        return reverse("admin:registry_changeset_undo", args=[change_set.pk])
    except NoReverseMatch:
        return ""


class PartnerDuplicatesAdmin(PartnerAdmin):
    actions = ["merge_selected"]

    def get_urls(self):
        duplicates = path(
            "duplicates/", self.admin_site.admin_view(self.duplicates_view), name="partners_partner_duplicates"
        )
        merge = path("merge/", self.admin_site.admin_view(self.merge_view), name="partners_partner_merge")
        return [duplicates, merge, *super().get_urls()]

    def has_merge_permission(self, request) -> bool:
        # Editors merge without the delete permission: a merge keeps every spelling and role, is recorded as one
        # change set and can be undone, where deleting an organisation outright stays with administrators.
        return self.has_change_permission(request)

    # --- the page of probable duplicates -------------------------------------------------------------------

    def duplicates_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        paginator = Paginator(DuplicateGroups(), GROUPS_PER_PAGE)
        try:
            page = paginator.page(request.GET.get("page") or 1)
        except InvalidPage as error:
            raise Http404(_("There is no such page of probable duplicates.")) from error
        partners = _with_project_counts({pk for group in page.object_list for pk in group.members})
        groups = [
            {
                "number": page.start_index() + position,
                "score": group.score,
                "reasons": group.evidence.reasons(),
                "members": _kept_first([partners[pk] for pk in group.members if pk in partners]),
            }
            for position, group in enumerate(page.object_list)
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Probable duplicate organisations"),
            "page_obj": page,
            "paginator": paginator,
            "groups": groups,
            "can_merge": self.has_merge_permission(request),
            "next_url": request.get_full_path(),
        }
        return TemplateResponse(request, "admin/partners/partner/duplicates.html", context)

    # --- merging ---------------------------------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Merge the selected organisations"), permissions=["merge"])
    def merge_selected(self, request, queryset):
        partners = list(queryset.annotate(project_count=count_of(participations())))
        if len(partners) < 2:
            self.message_user(
                request, _("Select at least two organisations to merge them into one."), messages.WARNING
            )
            return None
        return self._merge_page(request, partners, next_url=request.get_full_path())

    def merge_view(self, request):
        """The merge asked for by the page of duplicates or the action's confirmation: `keep` and `merge` (pks)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_merge_permission(request):
            raise PermissionDenied
        next_url = request.POST.get("next", "")
        try:
            keep = int(request.POST.get("keep", ""))
            merge = [int(value) for value in request.POST.getlist("merge")]
        except ValueError:
            return self._merge_page(
                request, [], next_url=next_url, error=_("Choose the organisation to keep."), status=400
            )
        found = _with_project_counts([keep, *merge])
        shown = [found[pk] for pk in dict.fromkeys([keep, *merge]) if pk in found]
        if keep not in found or any(pk not in found for pk in merge):
            error = _("One of the organisations no longer exists: it may have been merged already.")
            return self._merge_page(request, shown, next_url=next_url, error=error, status=404)
        duplicates = [found[pk] for pk in dict.fromkeys(merge) if pk != keep]
        try:
            result = partners_merge(keep=found[keep], duplicates=duplicates, user=request.user)
        except MergeRefused as refusal:
            return self._merge_page(request, shown, next_url=next_url, error=str(refusal), status=400, keep=keep)
        self._say_merged(request, result)
        if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
            next_url = reverse("admin:partners_partner_change", args=[result.kept.pk])
        return HttpResponseRedirect(next_url)

    def _merge_page(self, request, partners, *, next_url, error="", status=200, keep=None):
        """The organisations to merge, with the choice of the one to keep (and why the last try was refused)."""
        partners = _kept_first(partners)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Merge organisations"),
            "partners": partners,
            "keep": keep if keep is not None else (partners[0].pk if partners else None),
            "error": error,
            "next_url": next_url,
        }
        return TemplateResponse(request, "admin/partners/partner/merge.html", context, status=status)

    def _say_merged(self, request, result) -> None:
        merged = "; ".join(result.merged)
        undo = undo_link(result.change_set)
        count = len(result.projects)
        text = ngettext(
            "%(merged)s merged into %(kept)s (%(count)d project changed).",
            "%(merged)s merged into %(kept)s (%(count)d projects changed).",
            count,
        ) % {"merged": merged, "kept": result.kept.name, "count": count}
        if undo:
            self.message_user(request, format_html('{} <a href="{}">{}</a>', text, undo, _("Undo")), messages.SUCCESS)
        else:
            self.message_user(request, text, messages.SUCCESS)


admin.site.unregister(Partner)
admin.site.register(Partner, PartnerDuplicatesAdmin)
