from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = _("Projects")

    def ready(self) -> None:
        from . import checks, history, signals  # noqa: F401, PLC0415 (models must be loaded first; checks register themselves)

        signals.connect()
        history.register()
