"""The change history's groups: every recorded version belongs to one change set (registry.history)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .enums import ChangeKind


class ChangeSet(models.Model):
    """One editor's save, one admin action, one import, one merge: the versions it wrote, reviewed and undone
    together."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("editor"),
    )
    # Who, when no account made the change: the system account that ran a command.
    actor = models.CharField(_("run by"), max_length=150, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=ChangeKind.choices, default=ChangeKind.OTHER)
    label = models.CharField(_("description"), max_length=300, blank=True)
    undone_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="undid",
        verbose_name=_("undone by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("change set")
        verbose_name_plural = _("change sets")
        permissions = [("undo_changeset", _("Can undo a change set"))]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.label}" if self.label else str(self.get_kind_display())

    @property
    def author(self) -> str:
        if self.user_id:
            return self.user.get_full_name() or self.user.get_username()
        return self.actor
