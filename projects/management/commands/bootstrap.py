from django.core.management import call_command
from django.core.management.base import BaseCommand

from projects.services import planner_statistics_refresh


class Command(BaseCommand):
    help = (
        "Make a working registry from nothing, or bring one up to date: migrate, collect static files, "
        "load ISTAT's municipalities and the seed data. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--skip-static", action="store_true", help="Do not run collectstatic.")

    def handle(self, *args, skip_static: bool, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        if not skip_static:
            call_command("collectstatic", interactive=False, verbosity=max(verbosity - 1, 0))
        call_command("load_municipalities", verbosity=verbosity, stdout=self.stdout)
        call_command("load_seed", verbosity=verbosity, stdout=self.stdout)
        # A registry made before the public index existed has projects the index has never seen.
        call_command("reindex_projects", missing=True, verbosity=verbosity, stdout=self.stdout)
        planner_statistics_refresh()
        if verbosity:
            self.stdout.write(self.style.SUCCESS("Registry ready."))
