"""Wording the registry's catalogue gives to strings of Django's admin, django-axes and django-import-export.

Their own Italian is missing (Django 5.2's new app-list headings, axes' model names) or reads wrongly in the
registry's pages (import-export's messages name formats the registry does not ask editors to choose). A
catalogue entry is kept by `makemessages` only while the sources name its msgid: they are named here.
"""

from django.utils.translation import gettext_noop

REWORDED = [
    # Django's admin index (5.2)
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # Django's delete action: its Italian agrees the adjective with a masculine plural ("organizzazioni selezionati")
    gettext_noop("Delete selected %(verbose_name_plural)s"),
    # django-axes' models
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    # django-import-export
    gettext_noop("Import finished: {} new, {} updated, {} deleted and {} skipped {}."),
    gettext_noop(
        "%(exc_name)s encountered while trying to read file. Ensure you have chosen the correct format for the file."
    ),
    gettext_noop("No valid data to import. Ensure your file has the correct headers or data for import."),
]
