"""How long a serving process takes to bring its facet bitmaps up to date after an edit.

On the database in DATABASE_URL (PostgreSQL with generated projects: `manage.py generate_projects 100000`), a
process reads the bitmaps with what a gunicorn process holds beside them (the title places, each project's values,
the lead partners); then, again and again, one project (then 200) is indexed again, as an editor's save does, and
`current_bitmaps` is timed bringing them up to date: the median and p95 of the runs. Reading them whole is timed
once for comparison. Indexing again changes the index's stamp and its list of changes, not the projects.

With `--against DIR` (a checkout of another revision, e.g. `git worktree add /tmp/before HEAD~1`), that checkout's
code is timed on the same database, this revision and that one in turn, twice each, each in a process of its own.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench .venv/bin/python benchmarks/facet_updates.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 40
CHANGES = {"one project": 1, "200 projects": 200}


def child(root: Path) -> None:
    sys.path.insert(0, str(root))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    import django

    django.setup()
    from django.utils import timezone

    from projects import facets
    from projects.models import IndexState, Project
    from projects.services.index import projects_index

    if not facets.__file__.startswith(str(root)):
        raise SystemExit(f"the code read is {facets.__file__}, not {root}'s")
    today = timezone.localdate()
    started = time.perf_counter()
    bitmaps = facets.Bitmaps.build(IndexState.current(), today)
    whole = time.perf_counter() - started
    facets._current = bitmaps
    bitmaps.title_positions(), bitmaps.tally(0), bitmaps.leads()
    published = list(Project.objects.published().order_by("pk").values_list("pk", flat=True)[:200])
    outcome = {"whole": whole}
    for label, count in CHANGES.items():
        times = []
        for _ in range(RUNS):
            projects_index(published[-count:])
            started = time.perf_counter()
            facets.current_bitmaps(today)
            times.append(time.perf_counter() - started)
        outcome[label] = (statistics.median(times), sorted(times)[int(len(times) * 0.95)])
    print(json.dumps(outcome))


def measure(root: Path) -> dict:
    completed = subprocess.run(
        [sys.executable, __file__, "--child", str(root)], capture_output=True, text=True, cwd=root, env=os.environ
    )
    if completed.returncode:
        raise SystemExit(f"the run of {root} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--against", type=Path, help="a checkout of another revision, timed in turn with this one")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    roots = [("this revision", ROOT)]
    if args.against:
        roots = [("against", args.against.resolve()), *roots] * 2
    print(f"{'':16}{'change':>14}{'median ms':>11}{'p95 ms':>9}{'read whole ms':>15}")
    for label, root in roots:
        outcome = measure(root)
        for change in CHANGES:
            median, p95 = outcome[change]
            print(f"{label:16}{change:>14}{median * 1000:>11.2f}{p95 * 1000:>9.2f}{outcome['whole'] * 1000:>15.0f}")


if __name__ == "__main__":
    main()
