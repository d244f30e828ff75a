from django.core.management.base import BaseCommand

from projects.services import projects_index, projects_reindex_all, projects_unindexed


class Command(BaseCommand):
    help = (
        "Rebuild the public index (search vectors, facets and their counts, suggestion words) from the "
        "projects: all of it, or with --missing only the projects that have no search document yet."
    )

    def add_arguments(self, parser):
        parser.add_argument("--missing", action="store_true", help="Index only the projects never indexed.")

    def handle(self, *args, missing: bool, **options):
        if missing:
            pks = projects_unindexed()
            projects_index(pks)
            count = len(pks)
        else:
            count = projects_reindex_all()
        if options["verbosity"]:
            self.stdout.write(self.style.SUCCESS(f"{count} projects indexed."))
