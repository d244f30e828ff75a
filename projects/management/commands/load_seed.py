from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from projects.seed import SeedError, load_seed
from projects.services import planner_statistics_refresh


class Command(BaseCommand):
    help = "Load the seed projects, organisations, funders and territories from fixtures/seed/ (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--dir", type=Path, default=settings.SEED_DIR, help="Folder of seed YAML files.")

    def handle(self, *args, dir: Path, **options):
        try:
            report = load_seed(dir)
        except SeedError as error:
            raise CommandError(f"Seed data not loaded, nothing written: {error}") from None
        if report.changed_anything():
            planner_statistics_refresh()
        if not options["verbosity"]:
            return
        for line in report.lines():
            self.stdout.write(line)
        if not report.changed_anything():
            self.stdout.write("Seed data already up to date.")
