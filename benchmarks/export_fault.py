"""A streamed export that loses its database half-way: the client must see an error, never a complete 200.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python benchmarks/export_fault.py [--restart]

Starts gunicorn with the project's gunicorn.conf.py (one worker) on the database DATABASE_URL names
(best with many projects: `generate_projects 100000`), downloads /projects/export.json and
/projects/export.csv as a client would (HTTP/1.1, as the README's nginx example speaks to gunicorn),
and once the first megabyte has arrived cuts the database under it: every other connection to that
database terminated (`pg_terminate_backend`), or with `--restart` the PostgreSQL server restarted
(`pg_ctlcluster … restart`, as root). Then it reads on and prints what the client saw: the bytes
received, and whether the response ended as a complete one (a failure of the fault handling) or as
an incomplete transfer. Then, without restarting gunicorn, it waits for /healthz and downloads both
exports again, whole: their size, time and record count, to show that the service recovered by itself.
Exit status 0 when every cut export was seen as incomplete and every second download was whole.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))

from serving import gunicorn, wait_for_health  # noqa: E402 (the path first)

CUT_AFTER_BYTES = 1 << 20


def psql(database_url: str, sql: str) -> str:
    url = urlparse(database_url)
    command = [
        "psql",
        "-h",
        url.hostname or "127.0.0.1",
        "-p",
        str(url.port or 5432),
        "-U",
        url.username or "postgres",
    ]
    return subprocess.run(
        [*command, "-d", url.path.lstrip("/"), "-Atc", sql], capture_output=True, text=True, check=True
    ).stdout.strip()


def cut_the_database(database_url: str, restart: bool) -> str:
    if restart:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"], check=True, capture_output=True
        )
        return "PostgreSQL restarted"
    killed = psql(
        database_url,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
    )
    return f"{killed} connection(s) terminated"


def download(port: int, path: str, *, cut=None) -> tuple[int, bytes, str]:
    """Status, the bytes received and how the body ended: 'complete' or the error the client saw."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.request("GET", path, headers={"Host": "127.0.0.1"})
    response = connection.getresponse()
    received = bytearray()
    ending = "complete"
    try:
        while chunk := response.read1(1 << 16):
            received += chunk
            if cut is not None and len(received) >= CUT_AFTER_BYTES:
                cut()
                cut = None
    except (TimeoutError, http.client.IncompleteRead, ConnectionError) as error:
        ending = f"{error.__class__.__name__}"
    finally:
        connection.close()
    return response.status, bytes(received), ending


def records_in(path: str, body: bytes) -> int:
    if path.endswith(".json"):
        return len(json.loads(body))
    return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8-sig")))) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--restart", action="store_true", help="restart PostgreSQL instead of cutting connections")
    options = parser.parse_args()
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL database with projects in it")
    failures = 0
    with gunicorn(WEB_CONCURRENCY="1") as (port, log):
        projects = psql(database_url, "SELECT count(*) FROM projects_project WHERE is_published")
        print(f"{projects} published projects; the database is cut after the first {CUT_AFTER_BYTES:,} bytes.\n")
        print(f"{'export':<22} {'download':<8} {'status':>6} {'bytes':>12} {'seconds':>8}  ending")
        for path in ("/projects/export.json", "/projects/export.csv"):
            what = []
            started = time.monotonic()
            status, body, ending = download(
                port, path, cut=lambda what=what: what.append(cut_the_database(database_url, options.restart))
            )
            seconds = time.monotonic() - started
            cut_seen = ending != "complete"
            print(f"{path:<22} {'cut':<8} {status:>6} {len(body):>12,} {seconds:>8.1f}  {ending} ({'; '.join(what)})")
            if not cut_seen:
                failures += 1
                print("  ^ the client could not tell: the cut export ended as a complete response")
            recovered = wait_for_health(port)
            started = time.monotonic()
            status, body, ending = download(port, path)
            seconds = time.monotonic() - started
            try:
                count = records_in(path, body)
            except ValueError as error:
                count, ending = 0, f"unreadable: {error}"
            print(
                f"{path:<22} {'again':<8} {status:>6} {len(body):>12,} {seconds:>8.1f}  {ending}, "
                f"{count:,} records (healthy again after {recovered:.1f} s, gunicorn not restarted)"
            )
            if status != 200 or ending != "complete" or str(count) != projects:
                failures += 1
                print("  ^ the second download is not the whole export")
    errors = [line for line in log if "Error handling request" in line]
    print(f"\ngunicorn logged {len(errors)} 'Error handling request' (one per cut export).")
    print("every cut export was seen as incomplete and recovered" if not failures else f"{failures} failure(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
