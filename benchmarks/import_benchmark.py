"""Import speed and memory: the registry's importer against a plain django-import-export ModelResource.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench python benchmarks/import_benchmark.py [--rows 10000]

Generates a realistic sheet (real municipality names, repeated partners and funders, Italian
periods, `;`-separated, Windows-1252, CRLF, as Excel writes it in Italy), then, each in a fresh
process on a freshly migrated database with the municipalities loaded:
- `import_projects` on the sheet (every column: partners and roles, funders, programmes,
  territories and municipalities, themes, periods);
- the baseline: the same rows through `import_export.resources.ModelResource` for Project with
  default settings, given only the columns it can take (plain model fields);
- `import_projects` on the same sheet a second time, over the projects the first import wrote:
  every row is matched to a stored project (by its title) and compared, and nothing is written.
With `--against DIR` (a checkout of another revision, e.g. `git worktree add /tmp/before HEAD~1`),
that checkout's own importer is run on the same sheet in the same run, to compare two versions.
Prints rows/s and peak memory (its process's peak RSS) of each, and the ratio. The database named in
DATABASE_URL is emptied for each run (its public schema dropped and created again): do not point it
at real data.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from memory import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

MONTHS = [
    "gennaio",
    "febbraio",
    "marzo",
    "aprile",
    "maggio",
    "giugno",
    "luglio",
    "agosto",
    "settembre",
    "ottobre",
    "novembre",
    "dicembre",
]
THEMES = [
    "Abitare",
    "Lavoro e formazione",
    "Salute e benessere psicologico",
    "Mediazione",
    "Scuola e famiglie",
    "Reti e governance",
    "Sensibilizzazione e partecipazione",
]
FUNDERS = [
    "Fondazione CRC",
    "Fondazione Compagnia di San Paolo",
    "Commissione europea",
    "Ministero dell'Interno",
    "Fondazione Cariplo",
    "Regione Piemonte",
    "Regione Emilia-Romagna",
    "Fondazione CRT",
]
PROGRAMMES = [
    "Fondo Asilo, Migrazione e Integrazione 2021-2027",
    "bando Territori Inclusivi",
    "Erasmus+",
    "PR FESR 2021-2027",
    "PR FSE+ 2021-2027",
]
KINDS = ["Cooperativa sociale", "Associazione", "Comune di", "Fondazione", "Consorzio", "APS", "ODV"]
BASELINE_COLUMNS = [
    "title",
    "acronym",
    "code",
    "cup",
    "summary",
    "general_objective",
    "period_text",
    "duration_months",
    "website",
    "people_reached",
]


def django_setup():
    import django

    django.setup()


def italian_period(rng: random.Random) -> str:
    year = rng.randint(2015, 2027)
    shape = rng.randrange(5)
    if shape == 0:
        return f"{year} - {year + rng.randint(1, 3)}"
    if shape == 1:
        return (
            f"{rng.choice(MONTHS).capitalize()} {year} - {rng.choice(MONTHS).capitalize()} {year + rng.randint(1, 3)}"
        )
    if shape == 2:
        return f"{rng.choice(MONTHS)} {year} – {rng.choice(MONTHS)} {year + rng.randint(1, 2)}"
    if shape == 3:
        return f"{rng.choice([12, 18, 24, 36])} mesi ({year} – {year + rng.randint(1, 3)})"
    return f"01/{rng.randint(1, 12):02d}/{year} - 31/12/{year + rng.randint(1, 2)}"


def generate_sheet(rows: int, path: Path, seed: int = 2026) -> None:
    django_setup()
    from projects.models import Municipality

    rng = random.Random(seed)
    municipalities = list(Municipality.objects.values_list("name", "province_code"))
    counts: dict[str, int] = {}
    for name, _ in municipalities:
        counts[name] = counts.get(name, 0) + 1
    names = [f"{name} ({province})" if counts[name] > 1 else name for name, province in municipalities]
    partners = [f"{rng.choice(KINDS)} {rng.choice(names).split(' (')[0]} {n}" for n in range(400)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
            "Titolo",
            "Acronimo",
            "Codice",
            "CUP",
            "Sintesi",
            "Obiettivo generale",
            "Capofila",
            "Partner",
            "Enti sostenitori",
            "Ente finanziatore",
            "Programma",
            "Periodo",
            "Territorio",
            "Comuni",
            "Temi",
            "Sito",
        ]
    )
    for number in range(rows):
        chosen = rng.sample(partners, rng.randint(2, 8))
        places = rng.sample(names, rng.randint(1, 6))
        writer.writerow(
            [
                f"Progetto di inclusione {number} – {places[0]}",
                f"PRJ{number}",
                f"PROG-{100000 + number}",
                f"I{rng.randint(10, 99)}E{rng.randint(10, 99)}{number:09d}",
                "Accoglienza, orientamento al lavoro e all'abitare per persone con background migratorio.",
                "Rafforzare la rete territoriale dei servizi per l'integrazione.",
                chosen[0],
                "\n".join(chosen[1:-1]),
                chosen[-1],
                "; ".join(rng.sample(FUNDERS, rng.randint(1, 2))),
                rng.choice(PROGRAMMES),
                italian_period(rng),
                f"Territorio del progetto {number}",
                "; ".join(places),
                "; ".join(rng.sample(THEMES, rng.randint(1, 3))),
                f"https://progetto{number}.example.org/",
            ]
        )
    path.write_bytes(buffer.getvalue().encode("cp1252", errors="replace"))


def reset_database() -> None:
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    connection.close()
    call_command("migrate", verbosity=0)
    call_command("load_municipalities", verbosity=0)


def run_registry(path: Path) -> dict:
    django_setup()
    from django.core.management import call_command

    start = time.perf_counter()
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_projects", str(path), verbosity=0, stdout=out, stderr=err)
    except SystemExit as exit:
        if exit.code:
            raise SystemExit(f"import_projects exited with {exit.code}:\n{err.getvalue()[:3000]}") from None
    seconds = time.perf_counter() - start
    from projects.models import Participation, Project

    return {"seconds": seconds, "projects": Project.objects.count(), "participations": Participation.objects.count()}


def run_baseline(path: Path) -> dict:
    django_setup()
    import tablib
    from import_export import resources

    from projects.importing import map_headers, read_sheet
    from projects.models import Project

    class PlainProjectResource(resources.ModelResource):
        class Meta:
            model = Project

    sheet = read_sheet(path.read_bytes())
    columns, _ = map_headers(sheet.headers)
    wanted = {
        "title": "title",
        "acronym": "acronym",
        "code": "code",
        "cup": "cup",
        "summary": "summary",
        "general_objective": "general_objective",
        "period": "period_text",
        "website": "website",
    }
    positions = [(position, wanted[name]) for position, name in columns.items() if name in wanted]
    dataset = tablib.Dataset(headers=[field for _, field in positions])
    for row in sheet.rows:
        dataset.append([row[position] for position, _ in positions])
    dataset.append_col([f"plain-{n}" for n in range(len(dataset))], header="slug")

    start = time.perf_counter()
    result = PlainProjectResource().import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - start
    if result.has_errors() or result.has_validation_errors():
        raise SystemExit(f"baseline import failed: {result.base_errors or result.invalid_rows[:3]}")
    return {"seconds": seconds, "projects": Project.objects.count(), "participations": 0}


def run_registry_again(path: Path) -> dict:
    run_registry(path)
    return run_registry(path)


def child(kind: str, path: Path) -> None:
    reset_database()
    runs = {"registry": run_registry, "registry-again": run_registry_again, "baseline": run_baseline}
    outcome = runs[kind](path)
    outcome["max_rss_mb"] = peak_rss_mb()
    print(json.dumps(outcome))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--against", type=Path, help="a checkout of another revision to run on the same sheet")
    parser.add_argument("--child", choices=["registry", "registry-again", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.file)
        return

    django_setup()
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("Run it on PostgreSQL: DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_bench")

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schede.csv"
        reset_database()
        generate_sheet(args.rows, path)
        print(f"sheet: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB, ';'-separated Windows-1252 CSV")
        runs = [
            ("baseline", "ModelResource (defaults)", ROOT),
            ("registry", "import_projects", ROOT),
            ("registry-again", "import_projects, again", ROOT),
        ]
        if args.against:
            runs += [("registry", f"import_projects ({args.against.name})", args.against.resolve())]
        results = {}
        for kind, label, checkout in runs:
            script = checkout / "benchmarks" / "import_benchmark.py"
            completed = subprocess.run(
                [sys.executable, str(script), "--child", kind, "--file", str(path)],
                capture_output=True,
                text=True,
                cwd=checkout,
            )
            if completed.returncode:
                raise SystemExit(f"the {label} run failed:\n{completed.stdout[-3000:]}{completed.stderr[-3000:]}")
            results[label] = json.loads(completed.stdout.strip().splitlines()[-1])
    print(f"{'':36}{'rows/s':>10}{'seconds':>10}{'peak MB':>10}{'projects':>10}{'links':>10}")
    for label, r in results.items():
        print(
            f"{label:36}{args.rows / r['seconds']:>10.0f}{r['seconds']:>10.2f}{r['max_rss_mb']:>10.0f}"
            f"{r['projects']:>10}{r['participations']:>10}"
        )
    ratio = results["ModelResource (defaults)"]["seconds"] / results["import_projects"]["seconds"]
    print(
        f"import_projects is {ratio:.1f}x the baseline's rows/s "
        f"(the baseline writes only plain fields; import_projects writes every link too)"
    )


if __name__ == "__main__":
    main()
