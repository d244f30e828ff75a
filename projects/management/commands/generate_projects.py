import time

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from projects.services import planner_statistics_refresh, synthetic_remove
from projects.synthetic import (
    SyntheticError,
    SyntheticRegistry,
    default_organisations,
    registry_places,
    synthetic_write,
)

# Codes are SYN-<seed>-<n> and a project code has at most 40 characters.
MAX_SEED = 10**9


class Command(BaseCommand):
    help = (
        "Fill the registry with N synthetic projects (invented, marked as such: codes SYN-<seed>-<n>) to measure "
        "the site at scale. The same N and seed make the same data; running it again writes nothing. "
        "--remove deletes synthetic data again."
    )

    def add_arguments(self, parser):
        parser.add_argument("projects", nargs="?", type=int, help="How many projects to generate.")
        parser.add_argument("--seed", type=int, help="Random seed (default 1); with --remove, only that seed's.")
        parser.add_argument(
            "--organisations",
            type=int,
            help="How many organisations the projects draw from (default: 10,000 for 100,000 projects, as N^0.8).",
        )
        parser.add_argument("--chunk", type=int, default=5000, help="Projects written per transaction.")
        parser.add_argument(
            "--remove",
            action="store_true",
            help="Delete the synthetic projects (of --seed, else all) and the synthetic records nothing else names.",
        )

    def handle(self, *args, projects, seed, organisations, chunk, remove, **options):
        self.verbosity = options["verbosity"]
        if seed is not None and not 0 <= seed < MAX_SEED:
            raise CommandError(f"--seed must be a whole number from 0 to {MAX_SEED - 1}, not {seed}.")
        if remove:
            if projects is not None:
                raise CommandError("--remove takes no number of projects: it removes what generate_projects made.")
            self.remove(seed)
        else:
            self.generate(projects, 1 if seed is None else seed, organisations, chunk)
        started = time.monotonic()
        planner_statistics_refresh()
        self.say(f"Planner statistics refreshed ({time.monotonic() - started:.1f} s).")

    def say(self, message: str) -> None:
        if self.verbosity:
            self.stdout.write(message)
            self.stdout.flush()  # progress is read as it comes, also from a file

    def remove(self, seed: int | None) -> None:
        started = time.monotonic()
        removed = synthetic_remove(seed=seed)
        self.say(
            f"Removed {removed['project']:,} synthetic projects, {removed['partner']:,} organisations, "
            f"{removed['territory']:,} territories, {removed['programme']:,} programmes and calls, "
            f"{removed['funder']:,} funders ({time.monotonic() - started:.1f} s)."
        )

    def generate(self, projects: int | None, seed: int, organisations: int | None, chunk: int) -> None:
        if projects is None:
            raise CommandError("Say how many projects to generate (generate_projects 100000), or use --remove.")
        if projects <= 0:
            raise CommandError(f"The number of projects must be positive, not {projects}.")
        if organisations is not None and organisations <= 0:
            raise CommandError(f"--organisations must be positive, not {organisations}.")
        if chunk <= 0:
            raise CommandError(f"--chunk must be positive, not {chunk}.")
        try:
            places = registry_places()
        except DatabaseError as error:
            raise CommandError(f"Cannot read the municipalities ({error}): run manage.py bootstrap first.") from None
        if not places:
            raise CommandError(
                "There are no municipalities to place projects in: run manage.py load_municipalities "
                "(or bootstrap) first."
            )
        organisations = organisations or default_organisations(projects)
        registry = SyntheticRegistry(places, seed=seed, organisations=organisations)
        self.say(f"Generating {projects:,} synthetic projects (seed {seed}, {organisations:,} organisations)…")
        started = time.monotonic()

        def progress(done, report):
            self.say(
                f"  {done:,} of {projects:,} projects ({report.projects['new']:,} new, "
                f"{report.projects['changed']:,} changed, {report.projects['unchanged']:,} unchanged), "
                f"{time.monotonic() - started:.0f} s"
            )

        try:
            report = synthetic_write(registry, range(1, projects + 1), chunk=chunk, progress=progress)
        except SyntheticError as error:
            raise CommandError(f"Stopped, the chunk in progress was not written: {error}") from None
        created = report.created
        self.say(
            f"Done in {time.monotonic() - started:.0f} s: {report.projects['new']:,} new, "
            f"{report.projects['changed']:,} changed, {report.projects['unchanged']:,} unchanged projects; "
            f"created {created['partner']:,} organisations, {created['territory']:,} territories, "
            f"{created['programme']:,} programmes and calls, {created['funder']:,} funders."
        )
