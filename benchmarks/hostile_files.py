"""Time and memory of every hostile file, each through `import_projects --dry-run` in a process of its own.

    python benchmarks/hostile_files.py [--against DIR]

Writes the files of tests/hostile_files.py into a temporary folder and runs the command on each,
after two baselines in the same run: a process that only starts Django (`manage.py check`), and
the import template's honest one-row sheet. Prints, for each, the exit status, wall time, peak
memory (max RSS of the process) and the first line the command wrote. The goals: exit 1 or 2 with
a message, under 10 s and under 300 MB. The database is the one DATABASE_URL names (SQLite by
default); a dry run writes nothing to it.

With `--against DIR` (a checkout of another revision with its own .venv), the same files go
through that checkout's command too, each stopped at 60 s or 3 GB, for the figures before.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile_files import HOSTILE_FILES, write_all  # noqa: E402 (the path first)

TIME_GOAL, MEMORY_GOAL_MB = 10.0, 300
# For a checkout without the bounds: what it may take before it is stopped.
STOP_AFTER_SECONDS, STOP_AFTER_BYTES = 60, 3 * 1024**3


def measure(command: list[str], cwd: Path) -> tuple[str, float, float, str]:
    """Exit status (or how it was stopped), seconds, peak MB and the first line of its output."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (STOP_AFTER_BYTES, STOP_AFTER_BYTES))

    started = time.monotonic()
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=limits, text=True
    )
    try:
        output, _ = process.communicate(timeout=STOP_AFTER_SECONDS)
        status = str(process.returncode)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        status = f"killed at {STOP_AFTER_SECONDS} s"
    seconds = time.monotonic() - started
    # The children's peak so far: each run is the largest yet or does not change it, so run the
    # measurements in separate processes of this script (see main) to read each one's own.
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if "MemoryError" in output:
        status = "MemoryError"
    first = next((line for line in output.splitlines() if line.strip()), "")
    return status, seconds, peak_mb, first


def one(argv: list[str]) -> None:
    """Measure one command in this process and print a tab-separated line (run by main)."""
    cwd, *command = argv
    status, seconds, peak_mb, first = measure(command, Path(cwd))
    print(f"{status}\t{seconds:.2f}\t{peak_mb:.0f}\t{first}")


def template_text() -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")
    import django

    django.setup()
    from projects.exports import template_sheet

    return template_sheet()


def run_measured(cwd: Path, command: list[str]) -> list[str]:
    result = subprocess.run(
        [sys.executable, __file__, "--one", str(cwd), *command], capture_output=True, text=True, check=True
    )
    return result.stdout.rstrip("\n").split("\t", 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", type=Path, help="a checkout of another revision, run on the same files")
    parser.add_argument("--one", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.one:
        one(options.one)
        return

    checkouts = [("this", ROOT)] + ([("before", options.against.resolve())] if options.against else [])
    with tempfile.TemporaryDirectory() as folder:
        paths = write_all(Path(folder))
        template = Path(folder) / "modello.csv"
        template.write_bytes(template_text().encode("utf-8-sig"))
        print(f"{'file':<30} {'bytes':>11} {'checkout':<8} {'exit':<18} {'seconds':>8} {'peak MB':>8}  first line")
        rows = [("(django starts)", None), ("(template, 1 row)", template)]
        rows += [(path.name, path) for path in paths]
        failures = 0
        for name, path in rows:
            for label, checkout in checkouts:
                python = str(checkout / ".venv" / "bin" / "python")
                if path is None:
                    command = [python, "manage.py", "check"]
                else:
                    command = [python, "manage.py", "import_projects", str(path), "--dry-run"]
                status, seconds, peak_mb, first = run_measured(checkout, command)
                size = f"{path.stat().st_size:,}" if path is not None else ""
                first = first.replace(f"{path}: ", "") if path is not None else first
                print(f"{name:<30} {size:>11} {label:<8} {status:<18} {seconds:>8} {peak_mb:>8}  {first[:110]}")
                hostile = next((h for h in HOSTILE_FILES if h.name == name), None)
                if label == "this" and hostile is not None:
                    expected = {"1", "2"} if hostile.refused_because else {"0"}
                    if status not in expected or float(seconds) > TIME_GOAL or float(peak_mb) > MEMORY_GOAL_MB:
                        failures += 1
                        print(
                            f"  ^ misses the goal: exit {sorted(expected)}, < {TIME_GOAL:g} s, < {MEMORY_GOAL_MB} MB"
                        )
        goals = f"exit 1 or 2, under {TIME_GOAL:g} s and {MEMORY_GOAL_MB} MB"
        print(f"\n{failures} of {len(HOSTILE_FILES)} files miss a goal ({goals}).")
        sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
