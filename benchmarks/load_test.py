"""Load: 50 visitors for 60 s against gunicorn and PostgreSQL, with a trivial view's throughput as the ceiling.

    pip install -e ".[bench]"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python benchmarks/load_test.py [--restart-at 20]

Starts gunicorn as the README deploys it (gunicorn.conf.py: 2 × CPUs + 1 processes of 4 threads),
on the database DATABASE_URL names (100,000 projects: `generate_projects 100000`), then in one run:
1. the visitors of benchmarks/locustfile.py (browsing, filtering, searching, opening projects,
   the API, filtered exports; 1 to 3 s between pages), 50 at once for 60 s;
2. the ceiling: 50 clients asking /healthz without pause for 20 s.
Prints requests/s, p50/p95/p99 and failures of each kind of request and in all; the goal is no
failure and p95 under 500 ms. With `--restart-at S`, PostgreSQL is restarted S seconds into the
visitors' minute (`pg_ctlcluster … restart`, as root): the script then prints in which seconds
requests failed against when the database was down, and whether the site answered again without
gunicorn being restarted. locust runs on the same machine as the server and takes some of its CPU.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from serving import gunicorn, healthy  # noqa: E402 (the path first)

USERS, SECONDS, CEILING_SECONDS = 50, 60, 20


def run_locust(port: int, user_class: str, seconds: int, prefix: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "benchmarks" / "locustfile.py"),
            "--headless",
            "-u",
            str(USERS),
            "-r",
            str(USERS),
            "-t",
            f"{seconds}s",
            "--host",
            f"http://127.0.0.1:{port}",
            "--csv",
            str(prefix),
            "--csv-full-history",
            "--only-summary",
            "--loglevel",
            "WARNING",
            user_class,
        ],
        cwd=ROOT,
        check=False,  # locust exits 1 when a request failed: the figures say so
        stdout=subprocess.DEVNULL,
        stderr=open(f"{prefix}.log", "w"),  # noqa: SIM115 (closed with the process)
    )
    if not Path(f"{prefix}_stats.csv").exists():
        raise SystemExit(Path(f"{prefix}.log").read_text()[-3000:])


def read_stats(prefix: Path) -> list[dict]:
    with open(f"{prefix}_stats.csv", newline="") as file:
        return list(csv.DictReader(file))


def print_stats(title: str, rows: list[dict]) -> dict:
    print(f"\n{title}")
    print(f"{'request':<30} {'count':>7} {'failed':>7} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
    total = {}
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all"
        print(
            f"{name:<30} {row['Request Count']:>7} {row['Failure Count']:>7} {float(row['Requests/s']):>7.1f} "
            f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7}"
        )
        if row["Name"] == "Aggregated":
            total = row
    return total


def restart_database(after: float, window: dict) -> None:
    time.sleep(after)
    version = sorted(os.listdir("/etc/postgresql"))[-1]
    window["down"] = time.time()
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True)
    window["up"] = time.time()


def failing_seconds(prefix: Path) -> list[int]:
    """The Unix seconds in which the count of failures grew."""
    seconds, before = [], 0
    with open(f"{prefix}_stats_history.csv", newline="") as file:
        for row in csv.DictReader(file):
            if row["Name"] != "Aggregated":
                continue
            failures = int(row["Total Failure Count"])
            if failures > before:
                seconds.append(int(row["Timestamp"]))
            before = failures
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restart-at", type=float, help="restart PostgreSQL this many seconds into the minute")
    options = parser.parse_args()
    # Every visitor comes from 127.0.0.1 here: the API's rate limit would count them as one.
    with gunicorn(API_RATE="100000/minute") as (port, _):
        workers = os.environ.get("WEB_CONCURRENCY", os.cpu_count() * 2 + 1)
        print(f"gunicorn: {workers} processes × 4 threads on {os.cpu_count()} CPUs; {USERS} users.")
        with tempfile.TemporaryDirectory() as folder:
            visitors, ceiling = Path(folder) / "visitors", Path(folder) / "ceiling"
            window: dict = {}
            restarter = None
            if options.restart_at is not None:
                restarter = threading.Thread(target=restart_database, args=(options.restart_at, window))
                restarter.start()
            run_locust(port, "Visitor", SECONDS, visitors)
            if restarter is not None:
                restarter.join()
            total = print_stats(f"Visitors, {SECONDS} s", read_stats(visitors))
            with open(f"{visitors}_failures.csv", newline="") as file:
                for row in csv.DictReader(file):
                    print(f"  failed: {row['Occurrences']} × {row['Name']}: {row['Error'][:100]}")
            if window:
                failed = failing_seconds(visitors)
                print(
                    f"\nPostgreSQL down from {window['down']:.0f} to {window['up']:.0f} "
                    f"({window['up'] - window['down']:.1f} s); failures grew in the seconds {failed or 'none'}"
                )
                print(f"answering after the restart, gunicorn not restarted: {healthy(port)}")
            run_locust(port, "CeilingVisitor", CEILING_SECONDS, ceiling)
            ceiling_total = print_stats(f"Ceiling: /healthz without pause, {CEILING_SECONDS} s", read_stats(ceiling))
        print(
            f"\nvisitors: {float(total['Requests/s']):.1f} requests/s, p95 {total['95%']} ms, "
            f"{total['Failure Count']} failed; ceiling: {float(ceiling_total['Requests/s']):.1f} requests/s"
        )


if __name__ == "__main__":
    main()
