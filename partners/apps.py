from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"
    verbose_name = _("Organisations")

    def ready(self) -> None:
        from . import duplicates  # noqa: PLC0415 (models must be loaded first)

        duplicates.connect()
