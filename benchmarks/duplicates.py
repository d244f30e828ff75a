"""Probable duplicate organisations at scale: the admin's page, keeping the pairs, the importer's suggestions.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python benchmarks/duplicates.py \
        [--organisations 20000] [--repeat 10] [--full]

Against a database migrated to partners 0004 (the matching key, its trigram index and the stored pairs),
typically one filled by `manage.py generate_projects 100000 --seed 1` (10,000 organisations). Everything
runs in one transaction that is rolled back at the end: the database is left as it was.

- With --organisations N above the number stored, synthetic organisations (projects.synthetic's names,
  another seed) are added through the write layer's bulk creation (records_create), which finds their
  pairs through the trigram index: its time is printed.
- The page: /admin/partners/partner/duplicates/ asked --repeat times with Django's test client as a
  superuser (first page, page 20, last page): median and p95 of the server time, and its queries.
- Its parts: reading the pairs and grouping them, then the first page's projects in common.
- Keeping the pairs: an organisation renamed (one trigram-index lookup), 100 organisations refreshed.
- The importer's "did you mean": 50 new names looked up in one query.
- With --full: every pair found from scratch, by the Python inverted index and by PostgreSQL's trigram
  index (a self-join), which must agree.
Nothing here is run by the test suite.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.migrations.recorder import MigrationRecorder  # noqa: E402
from django.db.utils import OperationalError, ProgrammingError  # noqa: E402
from django.test import Client  # noqa: E402

from partners.duplicates import DuplicateGroups, name_pairs, pairs_refresh, similar_names  # noqa: E402
from partners.models import Partner, SimilarPair  # noqa: E402
from projects.admin_duplicates import GROUPS_PER_PAGE  # noqa: E402
from projects.models import Project  # noqa: E402
from projects.services import records_create  # noqa: E402
from projects.synthetic import SyntheticRegistry, registry_places  # noqa: E402

PAGE = "/admin/partners/partner/duplicates/"


def seconds(function, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def summary(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return f"median {statistics.median(ordered) * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms"


def add_organisations(target: int) -> None:
    stored = Partner.objects.count()
    if target <= stored:
        return
    registry = SyntheticRegistry(registry_places(), seed=2, organisations=target)
    taken = set(Partner.objects.values_list("name", flat=True))
    new = [
        Partner(name=spec.name, kind=spec.kind, city=spec.city)
        for spec in registry.organisations
        if spec.name not in taken
    ][: target - stored]
    started = time.perf_counter()
    records_create(model=Partner, records=new)
    took = time.perf_counter() - started
    print(
        f"added {len(new):,} synthetic organisations through records_create in {took:.1f} s "
        f"({took / max(1, len(new)) * 1000:.2f} ms each, their pairs found through the trigram index)"
    )


def measure_page(client: Client, repeat: int) -> None:
    count = len(DuplicateGroups())
    last = max(1, -(-count // GROUPS_PER_PAGE))
    for label, page in (("first page", 1), ("page 20", min(20, last)), (f"last page ({last})", last)):
        client.get(PAGE, {"page": page})  # warm up: templates, translations
        queries: list[str] = []

        def counted(execute, sql, *args, queries=queries):
            queries.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(counted):
            response = client.get(PAGE, {"page": page})
        assert response.status_code == 200, response.status_code
        times = seconds(lambda page=page: client.get(PAGE, {"page": page}), repeat)
        print(f"  {label:<18} {summary(times)}   {len(queries)} queries")


def measure_parts(repeat: int) -> None:
    groups: list[DuplicateGroups] = []
    print(f"  pairs read, grouped {summary(seconds(lambda: groups.append(DuplicateGroups()), repeat))}")
    fresh = iter([DuplicateGroups() for _ in range(repeat)])
    print(f"  first page ranked   {summary(seconds(lambda: next(fresh)[:GROUPS_PER_PAGE], repeat))}")


def measure_upkeep(repeat: int) -> None:
    partner = Partner.objects.order_by("pk").first()

    def rename():
        partner.name = partner.name + " x" if not partner.name.endswith(" x") else partner.name[:-2]
        partner.save(update_fields=["name"])

    print(f"  one organisation renamed (save + its pairs found again) {summary(seconds(rename, repeat))}")
    pks = list(Partner.objects.order_by("?").values_list("pk", flat=True)[:100])
    print(
        f"  100 organisations' pairs found again                     {summary(seconds(lambda: pairs_refresh(pks), 3))}"
    )
    names = [
        name.replace("Cooperativa sociale", "Coop.").replace("Associazione", "Ass.") + " onlus"
        for name in Partner.objects.order_by("?").values_list("name", flat=True)[:50]
    ]
    times = seconds(lambda: similar_names(names), repeat)
    print(f"  importer's suggestions for 50 new names                  {summary(times)}")


def measure_full() -> None:
    started = time.perf_counter()
    in_python = name_pairs(method="python")
    python_time = time.perf_counter() - started
    print(f"  Python inverted index: {len(in_python):,} pairs in {python_time:.1f} s")
    if connection.vendor == "postgresql":
        started = time.perf_counter()
        in_postgresql = name_pairs(method="postgresql")
        print(
            f"  PostgreSQL self-join:  {len(in_postgresql):,} pairs in {time.perf_counter() - started:.1f} s, "
            f"{'the same pairs' if in_postgresql.keys() == in_python.keys() else 'DIFFERENT PAIRS'}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--organisations", type=int, default=0, help="Add synthetic organisations up to this many.")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--full", action="store_true", help="Also find every pair from scratch, both ways.")
    options = parser.parse_args()
    try:
        applied = MigrationRecorder(connection).migration_qs.filter(app="partners", name="0004_partner_name_key")
        ready = applied.exists()
    except (OperationalError, ProgrammingError):
        ready = False
    if not ready:
        sys.exit("The database is not migrated to partners 0004: run manage.py migrate first.")
    with transaction.atomic():
        add_organisations(options.organisations)
        print(
            f"{connection.vendor}: {Project.objects.count():,} projects, {Partner.objects.count():,} organisations, "
            f"{SimilarPair.objects.count():,} pairs of alike names, {len(DuplicateGroups()):,} groups"
        )
        client = Client(HTTP_HOST="localhost")  # a host the settings allow
        client.force_login(User.objects.create_superuser("duplicates-benchmark", password="-"))
        print("the page of probable duplicates:")
        measure_page(client, options.repeat)
        print("its parts:")
        measure_parts(options.repeat)
        print("keeping the pairs:")
        measure_upkeep(options.repeat)
        if options.full:
            print("every pair from scratch:")
            measure_full()
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
