from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """Settings and URLs, and the change history both apps record into (registry.history)."""

    name = "registry"
    verbose_name = _("History of changes")
