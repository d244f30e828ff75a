"""The history in the admin: every save, deletion and action recorded in a change set, each object's versions
as readable differences with "restore this version", and change forms that refuse to overwrite unseen work.

An admin change form carries the version it was read at (the id of the object's latest historical row). The
save locks the object's row and compares: when someone else saved in between, nothing is written, the page
lists what the other save changed, and the form comes back merged with it (its fields, and its inline rows
where the model's HistoryPolicy describes them), so that saving again loses neither change.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.db.models.deletion import ProtectedError
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .enums import ChangeKind
from .history import (
    CHANGED,
    CREATED,
    DELETED,
    InlineRows,
    RestoreError,
    change_set,
    current_change_set,
    history_model,
    latest_version,
    policy_for,
    previous_version,
    version_changes,
    version_restore,
    versions_baseline,
    versions_record,
    versions_since,
)

VERSIONS_PER_PAGE = 25
VERSION_FIELD = "history_version"
HISTORY_TYPES = {
    CREATED: gettext_lazy("created"),
    CHANGED: gettext_lazy("changed"),
    DELETED: gettext_lazy("deleted"),
}


def version_author(version) -> str:
    change = version.change_set
    if change is not None and change.author:
        return change.author
    if version.history_user_id:
        return version.history_user.get_username()
    return _("as stored before the history began") if change is None else "—"


def described(versions, previous_of) -> list[dict]:
    """Each version with what it changed, in words, for the history and change set pages."""
    rows = []
    for version in versions:
        previous = previous_of(version)
        fields, links = version_changes(version, previous if version.history_type != CREATED else None)
        rows.append(
            {
                "version": version,
                "type": HISTORY_TYPES.get(version.history_type, version.history_type),
                "author": version_author(version),
                "fields": fields,
                "links": links,
                "object": policy_for(version.instance_type).label(version),
                "kind": version.instance_type._meta.verbose_name,
            }
        )
    return rows


class VersionedFormMixin:
    """Refuses a save made from a form read at an older version of the object (see the module's docstring)."""

    history_model_class = None  # set by versioned_form
    history_conflict: list = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields[VERSION_FIELD].initial = latest_version(self.history_model_class, self.instance.pk)

    def clean(self):
        data = super().clean()
        if self.instance.pk is None:
            return data
        model = self.history_model_class
        # Locked until this save commits (the admin saves in one transaction): no other save reads the same version.
        list(model._base_manager.select_for_update().filter(pk=self.instance.pk).values_list("pk"))
        read = self.cleaned_data.get(VERSION_FIELD) or 0
        current = latest_version(model, self.instance.pk)
        if current != read:
            self.history_conflict = list(versions_since(model, self.instance.pk, read))
            data = self.data.copy()
            # The form comes back as a merge: what this editor changed stays as they typed it, what only the
            # other save changed shows its new value, so saving again loses neither. It now carries the version
            # it was shown with.
            base = version_read(self.history_model_class, self.instance.pk, read)
            if base is not None and self.history_conflict:
                self._merge_other_changes(data, base, self.history_conflict[-1])
            data[self.add_prefix(VERSION_FIELD)] = current
            self.data = data
            last = self.history_conflict[-1] if self.history_conflict else None
            who = version_author(last) if last is not None else _("someone")
            when = date_format(timezone.localtime(last.history_date), "SHORT_DATETIME_FORMAT") if last else ""
            raise ValidationError(
                _(
                    "%(who)s changed this record (%(when)s) after you opened it: nothing was saved, so that neither "
                    "change is lost. Their changes are listed above the form; your values are still in the form. "
                    "Check them against the other changes and save again."
                ),
                code="stale",
                params={"who": who, "when": when},
            )
        return data

    def _merge_other_changes(self, data, base, latest) -> None:
        model = self.history_model_class
        for name, form_field in self.fields.items():
            try:
                model_field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            key = self.add_prefix(name)
            if model_field.many_to_many:
                before, now = _linked_ids(base.links, name), _linked_ids(latest.links, name)
                if before is None or now is None or before == now:
                    continue
                sent = {str(pk) for pk in data.getlist(key)}
                if sent == {str(pk) for pk in before}:
                    data.setlist(key, [str(pk) for pk in now])
                continue
            if not model_field.concrete:
                continue
            before, now = getattr(base, model_field.attname), getattr(latest, model_field.attname)
            if before == now:
                continue
            if _posted(form_field, data, key) != _posted_value(form_field, before):
                continue  # changed here too: the editor's value stays, and the list above shows the other one
            if isinstance(form_field, forms.BooleanField):
                if now:
                    data[key] = "on"
                else:
                    data.pop(key, None)
            else:
                data[key] = _posted_value(form_field, now)


def version_read(model, pk, read: int):
    """The version a form was read at: that id, or, for a record read before it had any version, the state
    recorded just before the other change (its first version, written before anything changed)."""
    history = history_model(model).objects.filter(id=pk)
    if read:
        return history.filter(history_id=read).first()
    first = history.order_by("history_id").first()
    return first if first is not None and first.change_set_id is None else None


def _same(value) -> str:
    """A value as a form posts it, for comparing (browsers send text areas' line breaks as CRLF)."""
    return "" if value is None else str(value).replace("\r\n", "\n").strip()


def inline_rows_merged(data, prefix: str, rows: InlineRows, base_links: dict, current: dict[str, dict], parent):
    """An inline formset's posted rows merged with what another save did to them since the form was read.

    `current` holds the rows as stored now, by id; `parent` is (the rows' foreign key's name, the object's id).
    In each posted row, a field this editor left as it was shows the other save's value; rows the other save
    added come back; rows it removed go, or come back as new rows when this editor changed them. The result is
    posted data again (a copy), its stored rows in the inline's order; data that is not a formset's is returned
    as it is, for the formset to refuse.
    """
    try:
        total = min(int(data.get(f"{prefix}-TOTAL_FORMS", "")), len(data))  # a form has at most one row per key
    except ValueError:
        return data
    pk_name = rows.model._meta.pk.name
    posted = []
    for index in range(total):
        start = f"{prefix}-{index}-"
        posted.append({key[len(start) :]: data.getlist(key) for key in data if key.startswith(start)})
    base_rows = rows.rows(base_links or {})
    by_id = {str(row["id"]): row for row in base_rows if "id" in row}
    base_keys = {tuple(_same(row.get(name)) for name in rows.key) for row in base_rows}

    def key_of(values: dict, posted: bool) -> tuple:
        return tuple(_same(values.get(name, [""])[-1] if posted else values.get(name)) for name in rows.key)

    def base_of(row: dict, now: dict | None) -> dict | None:
        found = by_id.get(row[pk_name][0])
        if found is not None:
            return found
        # A version without the rows' ids: matched by the key as posted, unless this editor changed the key (the
        # stored key is still one of the version's, and the posted one is another).
        key = key_of(row, posted=True)
        if now is not None and key_of(now, posted=False) != key and key_of(now, posted=False) in base_keys:
            return None
        matches = [base for base in base_rows if key_of(base, posted=False) == key]
        return matches[0] if len(matches) == 1 else None

    kept, new = [], []
    for row in posted:
        pk = (row.get(pk_name) or [""])[0]
        if not pk:
            new.append(row)
            continue
        now = current.get(pk)
        base = base_of(row, now)
        untouched = (
            [] if base is None else [n for n in rows.fields if _same(row.get(n, [""])[-1]) == _same(base.get(n))]
        )
        if now is None:  # removed by the other save
            if not row.get("DELETE") and len(untouched) < len(rows.fields):
                new.append({**row, pk_name: [""]})  # changed here: the editor's values come back as a new row
            continue
        if not row.get("DELETE"):
            for name in untouched:
                row[name] = [_same(now[name])]
        kept.append(row)
    seen = {row[pk_name][0] for row in kept}
    fk_name, parent_pk = parent
    for pk, now in current.items():
        if pk not in seen:
            values = {name: [_same(now[name])] for name in rows.fields}
            kept.append({pk_name: [pk], fk_name: [str(parent_pk)], **values})
    # In the order the inline lists the stored rows (it labels each form with the row at its place).
    order = {pk: position for position, pk in enumerate(current)}
    kept.sort(key=lambda row: order[row[pk_name][0]])
    merged = data.copy()
    for key in [key for key in merged if key.startswith(f"{prefix}-") and key.split("-")[-2].isdigit()]:
        del merged[key]
    for index, row in enumerate([*kept, *new]):
        for name, values in row.items():
            merged.setlist(f"{prefix}-{index}-{name}", values)
    merged[f"{prefix}-TOTAL_FORMS"] = str(len(kept) + len(new))
    merged[f"{prefix}-INITIAL_FORMS"] = str(len(kept))
    return merged


def _linked_ids(links: dict, name: str) -> list | None:
    items = (links or {}).get(name)
    if items is None:
        return None
    return sorted(item["id"] if isinstance(item, dict) else item for item in items)


def _posted_value(form_field, value) -> str:
    """A stored value as a form posts it."""
    if isinstance(form_field, forms.BooleanField):
        return "on" if value else ""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _posted(form_field, data, key) -> str:
    """What the form posted for a field, normalised as _posted_value writes a stored value."""
    if isinstance(form_field, forms.BooleanField):
        return "on" if data.get(key) not in (None, "", "off", "false", "False") else ""
    value = data.get(key, "")
    try:
        cleaned = form_field.clean(value)
    except ValidationError:
        return value
    if hasattr(cleaned, "pk"):
        cleaned = cleaned.pk
    return _posted_value(form_field, cleaned)


def versioned_form(base: type[forms.ModelForm], model) -> type[forms.ModelForm]:
    return type(
        f"Versioned{base.__name__}",
        (VersionedFormMixin, base),
        {
            VERSION_FIELD: forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0),
            "history_model_class": model,
        },
    )


class HistoryAdminMixin:
    """For the ModelAdmin of a model under the history (registry.history.register)."""

    object_history_template = "admin/history/object_history.html"
    change_form_template = "admin/history/change_form.html"

    # --- recording ---------------------------------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        with change_set(ChangeKind.EDIT, user=request.user):
            response = super().changeform_view(request, object_id, form_url, extra_context)
        if getattr(response, "context_data", {}).get("history_conflict"):
            response.status_code = 409  # refused: the record changed since the form was read
        return response

    def delete_view(self, request, object_id, extra_context=None):
        if request.method != "POST":
            return super().delete_view(request, object_id, extra_context)
        with change_set(ChangeKind.EDIT, user=request.user):
            return super().delete_view(request, object_id, extra_context)

    def response_action(self, request, queryset):
        action = request.POST.get("action", "")
        with change_set(ChangeKind.ACTION, action, user=request.user):
            return super().response_action(request, queryset)

    def save_model(self, request, obj, form, change):
        if change:
            versions_baseline(self.model, [obj.pk])
        super().save_model(request, obj, form, change)
        frame = current_change_set()
        if frame is not None and not frame.label:
            frame.label = str(obj)
        # Recorded when the change set closes: after the inlines and many-to-many links are saved too.
        versions_record(self.model, [obj.pk], history_type=CHANGED if change else CREATED)

    def delete_model(self, request, obj):
        frame = current_change_set()
        if frame is not None and not frame.label:
            frame.label = str(obj)
        versions_baseline(self.model, [obj.pk])
        versions_record(self.model, [obj.pk], history_type=DELETED)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        pks = list(queryset.values_list("pk", flat=True))
        versions_baseline(self.model, pks)
        versions_record(self.model, pks, history_type=DELETED)
        super().delete_queryset(request, queryset)

    # --- the version a form was read at ------------------------------------------------------------------

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("form", versioned_form(self.form, self.model))
        return super().get_form(request, obj, change=change, **kwargs)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        rows = next((rows for rows in policy_for(self.model).inline_rows if rows.model is inline.model), None)
        if "data" not in kwargs or obj is None or rows is None:
            return kwargs
        base = self._stale_form_base(request, obj)
        if base is not None:
            fields = rows.model._meta.concrete_fields
            fk = next(field.name for field in fields if field.many_to_one and field.related_model is self.model)
            stored = rows.model._base_manager.filter(**{fk: obj}).order_by(*rows.model._meta.ordering, "pk")
            current = {str(row.pop("pk")): row for row in stored.values("pk", *rows.fields)}
            kwargs["data"] = inline_rows_merged(kwargs["data"], prefix, rows, base.links, current, (fk, obj.pk))
        return kwargs

    def _stale_form_base(self, request, obj):
        """The version a posted change form was read at, when the object has changed since (None otherwise).
        The object's row is locked first, as the form's own check locks it, so that both see the same version."""
        if not hasattr(request, "_history_stale_base"):
            request._history_stale_base = None
            try:
                read = int(request.POST.get(VERSION_FIELD) or 0)
            except ValueError:
                return None  # the form refuses it
            list(self.model._base_manager.select_for_update().filter(pk=obj.pk).values_list("pk"))
            if latest_version(self.model, obj.pk) != read:
                request._history_stale_base = version_read(self.model, obj.pk, read)
        return request._history_stale_base

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return fieldsets
        (name, options), *rest = fieldsets
        return [(name, {**options, "fields": [*options["fields"], VERSION_FIELD]}), *rest]

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        form = context.get("adminform").form if context.get("adminform") else None
        conflict = getattr(form, "history_conflict", ())
        if conflict:
            context["history_conflict"] = described(conflict, previous_version)
        if obj is not None:
            context["history_url"] = reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_history", args=[obj.pk]
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- versions and restoring them ------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        restore = path(
            "<path:object_id>/history/<int:version_id>/restore/",
            self.admin_site.admin_view(self.restore_view),
            name=f"{info[0]}_{info[1]}_restore",
        )
        return [restore, *super().get_urls()]

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        history = history_model(self.model).objects.filter(**{self.opts.pk.attname: obj.pk})
        history = history.select_related("change_set", "change_set__user", "history_user").order_by("-history_id")
        page = Paginator(history, VERSIONS_PER_PAGE).get_page(request.GET.get("p"))
        latest = history.values_list("history_id", flat=True).first()
        context = {
            **self.admin_site.each_context(request),
            "title": _("History of %(object)s") % {"object": obj},
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "page": page,
            "versions": described(page.object_list, previous_version),
            "latest": latest,
            "can_restore": self.has_change_permission(request, obj),
            "restore_url_name": f"admin:{self.opts.app_label}_{self.opts.model_name}_restore",
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.object_history_template, context)

    def restore_view(self, request, object_id, version_id):
        history = history_model(self.model)
        version = history.objects.filter(history_id=version_id).select_related("change_set").first()
        if version is None or str(getattr(version, self.opts.pk.attname)) != str(unquote(object_id)):
            raise Http404(_("No such version."))
        obj = self.model._base_manager.filter(pk=getattr(version, self.opts.pk.attname)).first()
        allowed = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        if not allowed:
            raise PermissionDenied
        current = history.objects.filter(**{self.opts.pk.attname: version.instance.pk}).order_by("-history_id").first()
        fields, links = version_changes(version, current) if current is not None else ([], [])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Restore a version of %(object)s") % {"object": policy_for(self.model).label(version)},
            "opts": self.opts,
            "version": version,
            "author": version_author(version),
            "fields": fields,
            "links": links,
            "is_latest": current is not None and current.history_id == version.history_id,
        }
        if request.method == "POST":
            try:
                version_restore(version, user=request.user)
            except (RestoreError, IntegrityError, ProtectedError) as error:
                context["error"] = str(error)
                return TemplateResponse(request, "admin/history/restore.html", context, status=409)
            self.message_user(
                request,
                _("The version of %(date)s was restored; the history records it as a new change.")
                % {"date": date_format(timezone.localtime(version.history_date), "SHORT_DATETIME_FORMAT")},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(
                reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[version.instance.pk])
            )
        return TemplateResponse(request, "admin/history/restore.html", context)
