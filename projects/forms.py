from django import forms
from django.utils.translation import gettext as _

from . import periods
from .models import Project


class ProjectAdminForm(forms.ModelForm):
    """Editors type the period as the source writes it; the dates and their precision follow from it."""

    class Meta:
        model = Project
        fields = "__all__"

    def clean(self):
        data = super().clean()
        text = (data.get("period_text") or "").strip()
        date_fields = {"start", "start_precision", "end", "end_precision"}
        dates_typed = bool(date_fields & set(self.changed_data))
        if not text or dates_typed or (self.instance.pk and "period_text" not in self.changed_data):
            return data
        try:
            period = periods.parse_period(text)
        except periods.PeriodError as error:
            self.add_error("period_text", _("The period cannot be read: %(error)s") % {"error": error})
            return data
        data["start"] = period.start.date if period.start else None
        data["start_precision"] = period.start.precision.value if period.start else ""
        data["end"] = period.end.date if period.end else None
        data["end_precision"] = period.end.precision.value if period.end else ""
        if period.duration_months and not data.get("duration_months"):
            data["duration_months"] = period.duration_months
        return data
