"""What the history costs at scale: a batch of changed projects written with its versions, the share the versions
take, undoing that batch, and the admin pages that read the history.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python benchmarks/history.py [--projects 2000]

Best on a registry of 100,000 projects (`generate_projects 100000`). Everything runs in one transaction that is
rolled back at the end: the database is left as it was. Prints, for the same write, the time of the whole write
and of its parts that record versions (the baseline of the stored state, and the versions written when the
change set closes), then the undo, then the admin's change form, history page and change set page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")


class Rollback(Exception):
    pass


def timed(function, *args, **kwargs):
    started = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=2000, help="Projects changed in the batch (default 2000).")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from django.db import connection, transaction
    from django.test import Client

    from projects.models import Project
    from projects.services import ProjectBatch, ProjectInput
    from registry import history
    from registry.enums import ChangeKind

    settings.ALLOWED_HOSTS = ["*"]
    spent = {"baseline": 0.0, "versions": 0.0}

    def clocked(name, function):
        def run(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] += time.perf_counter() - started

        return run

    history.versions_baseline = clocked("baseline", history.versions_baseline)
    history._flush = clocked("versions", history._flush)
    # The write layer imported the baseline by name: time it where it is called.
    from projects.services import projects as project_services

    project_services.versions_baseline = history.versions_baseline

    total = Project.objects.count()
    print(f"{connection.vendor}, {total:,} projects, {Project.history.model.objects.count():,} versions stored")
    projects = list(
        Project.objects.filter(code__startswith="SYN")
        .order_by("pk")
        .values("code", "title", "acronym")[: args.projects]
    )
    if len(projects) < args.projects:
        sys.exit(f"Only {len(projects)} generated projects: run generate_projects first.")
    inputs = [
        ProjectInput(values={"code": row["code"], "title": row["title"], "acronym": f"H{index}"}, label=str(index))
        for index, row in enumerate(projects)
    ]
    try:
        with transaction.atomic():
            with history.change_set(ChangeKind.IMPORT, "benchmark.csv") as frame:
                batch = ProjectBatch(inputs)
                _, planned = timed(lambda: [batch.plan(item) for item in inputs])
                started = time.perf_counter()
                batch.write()
            # The versions are written when the change set closes, after batch.write: timed to here.
            written = time.perf_counter() - started
            print(f"Plan {len(inputs):,} changed projects: {planned:.2f} s")
            print(
                f"Write them: {written:.2f} s, of which the history {spent['baseline'] + spent['versions']:.2f} s "
                f"(state before it {spent['baseline']:.2f} s, versions written {spent['versions']:.2f} s), "
                f"so {written - spent['baseline'] - spent['versions']:.2f} s for the write without it"
            )
            change = frame.record
            # Beside the undo, in the same run: the same undo restoring one project at a time (as it did before),
            # rolled back.
            policy = history.policy_for(Project)
            many = policy.restore_many
            try:
                with transaction.atomic():
                    policy.restore_many = None
                    _, one_by_one = timed(history.change_set_undo, change)
                    raise Rollback
            except Rollback:
                pass
            finally:
                policy.restore_many = many
            change.refresh_from_db()
            _, undone = timed(history.change_set_undo, change)
            print(
                f"Undo the change set ({len(inputs):,} projects restored, versions recorded): {undone:.2f} s; "
                f"one project at a time: {one_by_one:.2f} s"
            )

            user = User.objects.create_superuser("history-benchmark", password="x")
            client = Client()
            client.force_login(user)
            project = Project.objects.get(code=projects[0]["code"])
            pages = {
                "change form": f"/admin/projects/project/{project.pk}/change/",
                "history page": f"/admin/projects/project/{project.pk}/history/",
                "change set page": f"/admin/registry/changeset/{change.pk}/change/",
                "change set list": "/admin/registry/changeset/",
            }
            for name, url in pages.items():
                times = []
                for _ in range(5):
                    response, seconds = timed(client.get, url)
                    assert response.status_code == 200, (url, response.status_code)
                    times.append(seconds * 1000)
                print(f"{name}: median {statistics.median(times):.0f} ms of 5 ({url})")
            # The largest change set (the generator's: a version per project and organisation): its pages count
            # and page its versions in SQL; beside them, what loading every version first (as before) costs.
            from django.core.paginator import Paginator
            from django.db.models import Count

            from registry.models import ChangeSet

            versions_per_set = Project.history.model.objects.exclude(change_set=None).values("change_set")
            largest = versions_per_set.annotate(n=Count("pk")).order_by("-n")[0]["change_set"]
            largest = ChangeSet.objects.get(pk=largest)
            count = history.change_set_versions(largest).count()
            for name, url in {
                "its page": f"/admin/registry/changeset/{largest.pk}/change/",
                "its undo page": f"/admin/registry/changeset/{largest.pk}/undo/",
            }.items():
                times = [timed(client.get, url)[1] * 1000 for _ in range(5)]
                median = statistics.median(times)
                print(f"Largest change set ({count:,} versions), {name}: median {median:.0f} ms of 5")

            def every_version_loaded():
                versions = []
                for model in history.POLICIES:
                    model_history = history.history_model(model).objects
                    versions += list(model_history.filter(change_set=largest).order_by("history_id"))
                return Paginator(versions, 50).get_page(1).object_list

            _, loaded = timed(every_version_loaded)
            print(f"  baseline, every version loaded then paged (the page before): {loaded * 1000:.0f} ms")
            latest = [timed(history.latest_version, Project, project.pk)[1] * 1000 for _ in range(50)]
            print(f"The version a form is read at (latest_version): median {statistics.median(latest):.2f} ms")
            raise Rollback
    except Rollback:
        print("Rolled back: the database is as it was.")


if __name__ == "__main__":
    main()
