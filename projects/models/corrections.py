"""Corrections that visitors suggest for a project page, kept for the editors' review and never shown publicly."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.enums import CorrectionStatus

# The most a suggestion's texts may hold: enough for a paragraph and a few links, not for a pasted document.
MESSAGE_MAX_LENGTH = 2000
SOURCE_MAX_LENGTH = 1000
SENDER_NAME_MAX_LENGTH = 200


class CorrectionSuggestionQuerySet(models.QuerySet):
    def unreviewed(self) -> CorrectionSuggestionQuerySet:
        return self.filter(status=CorrectionStatus.NEW)


class CorrectionSuggestion(models.Model):
    """What a visitor says is wrong or missing on a project's page, and the source that says so."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="corrections", verbose_name=_("project")
    )
    message = models.TextField(
        _("what is wrong"),
        max_length=MESSAGE_MAX_LENGTH,
        validators=[MaxLengthValidator(MESSAGE_MAX_LENGTH)],
    )
    source = models.TextField(
        _("source"),
        max_length=SOURCE_MAX_LENGTH,
        validators=[MaxLengthValidator(SOURCE_MAX_LENGTH)],
        help_text=_("The link or document the visitor gives in support."),
    )
    sender_name = models.CharField(_("sender's name"), max_length=SENDER_NAME_MAX_LENGTH, blank=True)
    sender_email = models.EmailField(
        _("sender's e-mail"), blank=True, help_text=_("Only for replying to the sender; never published.")
    )
    created_at = models.DateTimeField(_("sent on"), default=timezone.now, editable=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=CorrectionStatus.choices,
        default=CorrectionStatus.NEW,
        help_text=_(
            "Accepting a suggestion does not change the project: edit the project itself, then mark the "
            "suggestion accepted. Dismiss it if the source does not support it."
        ),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed on"), null=True, blank=True)
    note = models.TextField(
        _("editors' note"), blank=True, help_text=_("What was checked or changed, or why it was dismissed.")
    )

    objects = CorrectionSuggestionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("correction suggestion")
        verbose_name_plural = _("correction suggestions")
        indexes = [models.Index(fields=["status", "-created_at"], name="correction_status_created")]

    def __str__(self) -> str:
        sent = timezone.localtime(self.created_at).strftime("%Y-%m-%d %H:%M")
        return _("Suggestion of %(sent)s") % {"sent": sent}

    @property
    def sender(self) -> str:
        """Name and address as one line for the editors ("" when the visitor left both out)."""
        if self.sender_name and self.sender_email:
            return f"{self.sender_name} <{self.sender_email}>"
        return self.sender_name or self.sender_email
