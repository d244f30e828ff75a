from django import forms
from django.utils.text import capfirst

from registry.fields import SourcesField, SourcesFormMixin, TextareaNewlinesMixin

from .models import Partner


class PartnerAdminForm(TextareaNewlinesMixin, SourcesFormMixin, forms.ModelForm):
    """An organisation in the admin: its sources typed in rows, stored as before (a JSON list), and its texts
    with the line breaks they were stored with."""

    sources = SourcesField(label=capfirst(Partner._meta.get_field("sources").verbose_name))

    class Meta:
        model = Partner
        fields = "__all__"  # noqa: DJ007  (the admin's fieldsets choose the fields shown)
