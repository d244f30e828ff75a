"""Corrections suggested by visitors from a project's page, kept for the editors' review."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0009_search_words"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CorrectionSuggestion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "message",
                    models.TextField(
                        max_length=2000,
                        validators=[django.core.validators.MaxLengthValidator(2000)],
                        verbose_name="what is wrong",
                    ),
                ),
                (
                    "source",
                    models.TextField(
                        help_text="The link or document the visitor gives in support.",
                        max_length=1000,
                        validators=[django.core.validators.MaxLengthValidator(1000)],
                        verbose_name="source",
                    ),
                ),
                ("sender_name", models.CharField(blank=True, max_length=200, verbose_name="sender's name")),
                (
                    "sender_email",
                    models.EmailField(
                        blank=True,
                        help_text="Only for replying to the sender; never published.",
                        max_length=254,
                        verbose_name="sender's e-mail",
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name="sent on"),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("new", "New"), ("accepted", "Accepted"), ("dismissed", "Dismissed")],
                        default="new",
                        help_text="Accepting a suggestion does not change the project: edit the project itself, then mark the suggestion accepted. Dismiss it if the source does not support it.",
                        max_length=16,
                        verbose_name="status",
                    ),
                ),
                ("reviewed_at", models.DateTimeField(blank=True, null=True, verbose_name="reviewed on")),
                (
                    "note",
                    models.TextField(
                        blank=True,
                        help_text="What was checked or changed, or why it was dismissed.",
                        verbose_name="editors' note",
                    ),
                ),
                (
                    "project",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="corrections",
                        to="projects.project",
                        verbose_name="project",
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="reviewed by",
                    ),
                ),
            ],
            options={
                "verbose_name": "correction suggestion",
                "verbose_name_plural": "correction suggestions",
                "ordering": ["-created_at", "-pk"],
                "indexes": [models.Index(fields=["status", "-created_at"], name="correction_status_created")],
            },
        ),
    ]
