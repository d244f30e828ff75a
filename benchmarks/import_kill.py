"""An import killed half-way (kill -9) leaves the database exactly as it was.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python benchmarks/import_kill.py [--rows 20000]

Works in a database of its own on the server DATABASE_URL names (`<name>_import_kill`, made and
dropped here): the registry set up as `bootstrap` does, then a first sheet of N rows imported whole
(its time is the reference). Then sheets of N new rows are imported and each process is killed with
SIGKILL at 25, 50, 75, 85 and 95 % of that time, noting whether its transaction had written yet;
before and after each kill, every table of the registry is fingerprinted (row count and an MD5 of
all its rows). Prints, for each kill, "unchanged", or "whole" when the import had committed before
it was killed (it was refreshing the planner statistics); anything else is a partial write, the
failure this looks for. The sheets are those of benchmarks/import_benchmark.py (Italian, `;`,
Windows-1252).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KILL_AT = (0.25, 0.5, 0.75, 0.85, 0.95)


def manage(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True)


FINGERPRINT = """
from django.apps import apps
from django.db import connection
models = [m for label in ('projects', 'partners') for m in apps.get_app_config(label).get_models()]
tables = {m._meta.db_table for m in models}
tables |= {f.remote_field.through._meta.db_table for m in models for f in m._meta.local_many_to_many}
with connection.cursor() as cursor:
    for table in sorted(tables):
        cursor.execute(
            "SELECT count(*), md5(coalesce(string_agg(t::text, chr(10) ORDER BY t::text), '')) "
            f'FROM "{table}" t'
        )
        print(table, *cursor.fetchone())
"""


def fingerprint(env: dict) -> dict[str, str]:
    """Each table of the registry: its row count and an MD5 of all its rows."""
    result = manage("shell", "-v", "0", "-c", FINGERPRINT, env=env)
    if result.returncode:
        raise SystemExit(result.stderr)
    return {line.split()[0]: " ".join(line.split()[1:]) for line in result.stdout.splitlines() if line.strip()}


def psql_count(env: dict, sql: str) -> int:
    url = urlparse(env["DATABASE_URL"])
    server = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    result = subprocess.run(["psql", *server, "-d", url.path.lstrip("/"), "-Atc", sql], capture_output=True, text=True)
    return int(result.stdout.strip() or 0)


def projects_titled(env: dict, prefix: str) -> int:
    script = (
        f"from projects.models import Project; print(Project.objects.filter(title__startswith={prefix!r}).count())"
    )
    return int(manage("shell", "-v", "0", "-c", script, env=env).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20_000)
    options = parser.parse_args()
    url = urlparse(os.environ.get("DATABASE_URL", ""))
    if not url.scheme.startswith("postgres"):
        raise SystemExit("DATABASE_URL must name a PostgreSQL server (a database of its own is made there)")
    name = f"{url.path.lstrip('/')}_import_kill"
    server = ["-h", url.hostname or "127.0.0.1", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    # A sheet of 20,000 rows is larger than the default limit of 10 MB.
    env = {
        **os.environ,
        "DATABASE_URL": urlunparse(url._replace(path=f"/{name}")),
        "DEBUG": "0",
        "IMPORT_MAX_MB": "100",
    }
    subprocess.run(["dropdb", *server, "--if-exists", name], check=True)
    subprocess.run(["createdb", *server, name], check=True)
    try:
        with tempfile.TemporaryDirectory() as folder:
            env["STATIC_ROOT"] = str(Path(folder) / "static")
            if manage("bootstrap", env=env).returncode:
                raise SystemExit("bootstrap failed")
            first, second = Path(folder) / "first.csv", Path(folder) / "second.csv"
            generator = (
                "import sys; from pathlib import Path; sys.path.insert(0, 'benchmarks'); "
                "from import_benchmark import generate_sheet; "
                f"generate_sheet({options.rows}, Path(sys.argv[1]), seed=int(sys.argv[2]))"
            )
            for path, seed in ((first, 1), (second, 2)):
                subprocess.run([sys.executable, "-c", generator, str(path), str(seed)], cwd=ROOT, env=env, check=True)

            def new_rows(label: str, letter: str) -> Path:
                """The second sheet with titles, codes, CUPs and territories of its own: every row a new project."""
                rows = list(csv.reader(io.StringIO(second.read_bytes().decode("cp1252")), delimiter=";"))
                header = rows[0]
                columns = ("Titolo", "Acronimo", "Codice", "CUP", "Territorio")
                title, acronym, code, cup, territory = (header.index(name) for name in columns)
                for row in rows[1:]:
                    row[title] = row[title].replace("Progetto di inclusione", f"Progetto {label}")
                    row[territory] = f"{row[territory]} {label}"
                    row[acronym], row[code] = f"{label}{row[acronym]}", f"{label}-{row[code]}"
                    row[cup] = letter + row[cup][1:]
                buffer = io.StringIO()
                csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(rows)
                path = Path(folder) / f"{label}.csv"
                path.write_bytes(buffer.getvalue().encode("cp1252", errors="replace"))
                return path

            started = time.monotonic()
            imported = manage("import_projects", str(first), env=env)
            reference = time.monotonic() - started
            if imported.returncode:
                raise SystemExit(f"the first import failed:\n{imported.stderr[-2000:]}")
            print(f"{options.rows:,} rows imported whole in {reference:.1f} s (the reference).\n")
            print(f"{'killed after':>14}  {'tables':>6}  result")
            failures = 0
            for number, fraction in enumerate(KILL_AT):
                label, letter = f"K{number}", "JKLMN"[number]
                before = fingerprint(env)
                process = subprocess.Popen(
                    [sys.executable, "manage.py", "import_projects", str(new_rows(label, letter))],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(reference * fraction)
                # Whether the import's transaction has written anything yet (PostgreSQL gives it an id then).
                writing = psql_count(
                    env,
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()",
                )
                ended = process.poll()
                process.send_signal(signal.SIGKILL)
                process.wait()
                after = fingerprint(env)
                changed = sorted(table for table in before if before[table] != after.get(table))
                written = projects_titled(env, f"Progetto {label} ")
                if ended is not None:
                    result = f"the import had ended (exit {ended}) before the kill: nothing measured"
                    failures += 1
                elif not changed:
                    result = "unchanged, killed " + ("while writing" if writing else "before writing")
                elif written == options.rows:
                    # Killed after its commit, while refreshing the planner statistics: all of it is there.
                    result = f"whole: committed before the kill ({written:,} projects)"
                else:
                    result = f"PARTIAL: {written:,} projects, tables {', '.join(changed)}"
                    failures += 1
                print(f"{reference * fraction:>12.1f} s  {len(before):>6}  {result}")
    finally:
        subprocess.run(["dropdb", *server, "--if-exists", name], check=True)
    print("\nevery kill left the database as it was" if not failures else f"\n{failures} kill(s) did not")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
