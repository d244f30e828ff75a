from django.conf import settings
from django.core.management.base import BaseCommand

from projects.uploads import upload_folder, uploads_purge


class Command(BaseCommand):
    help = (
        "Remove the sheets uploaded in the admin and never confirmed, once older than IMPORT_UPLOAD_MAX_HOURS "
        "(run it from cron or a systemd timer; every upload also sweeps them)."
    )

    def add_arguments(self, parser):
        hours = settings.IMPORT_UPLOAD_MAX_AGE.total_seconds() / 3600
        parser.add_argument(
            "--older-than-hours",
            type=float,
            default=None,
            help=f"Age in hours (default: IMPORT_UPLOAD_MAX_HOURS, {hours:g}).",
        )

    def handle(self, *args, older_than_hours: float | None, **options):
        removed = uploads_purge(older_than=None if older_than_hours is None else older_than_hours * 3600)
        self.stdout.write(f"{removed} unconfirmed upload{'s' if removed != 1 else ''} removed from {upload_folder()}.")
