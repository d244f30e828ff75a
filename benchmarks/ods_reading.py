"""Reading a large sheet as ODS and as XLSX: time and peak memory of projects.importing.read_sheet.

    python benchmarks/ods_reading.py [--rows 50000] [--libreoffice]

Writes the same sheet (an import template's columns filled with realistic text: dates, whole
numbers, cells of two lines, accented letters) as an XLSX (openpyxl) and as an ODS laid out as
LibreOffice writes it (typed cells, a paragraph per line, blank rows repeated to row 1,048,576).
With --libreoffice the ODS is the XLSX saved by LibreOffice itself (soffice must be installed).
Each file is then read in a process of its own, after a baseline process that only starts
Django; prints the seconds the reading took and the process's peak memory (its peak RSS), and checks
that both files read to the same sheet.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

from memory import peak_rss_mb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "registry.settings")

HEADERS = ["Titolo", "Acronimo", "Data inizio", "Data fine", "Durata", "Persone raggiunte", "Attività"]
HEADERS += ["Comuni", "Temi", "Sito"]
ODS_TYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def row(number: int) -> list:
    start = dt.date(2020 + number % 6, 1 + number % 12, 1)
    return [
        f"Progetto numero {number} per la comunità di Forlì",
        f"P{number}",
        start,
        start.replace(year=start.year + 2),
        24,
        f"circa {number % 500} famiglie",
        "Fase 1) mappatura degli alloggi\nFase 2) mediazione con i proprietari",
        "Forlì; Cesena",
        "Abitare; Mediazione",
        f"https://www.esempio.it/progetti/{number}",
    ]


def write_xlsx(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Progetti")
    sheet.append(HEADERS)
    for number in range(rows):
        sheet.append(row(number))
    workbook.save(path)


def ods_cell(value) -> str:
    if isinstance(value, dt.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value:%d/%m/%Y}</text:p></table:table-cell>"
        )
    if isinstance(value, int):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in value.split("\n"))
    return f'<table:table-cell office:value-type="string">{paragraphs}</table:table-cell>'


def ods_row(values: list) -> str:
    return f"<table:table-row>{''.join(ods_cell(value) for value in values)}</table:table-row>"


def write_ods(path: Path, rows: int) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), ODS_TYPE, compress_type=zipfile.ZIP_STORED)
        with archive.open("content.xml", "w") as content:
            content.write(
                f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NAMESPACES}>'
                '<office:body><office:spreadsheet><table:table table:name="Progetti">'.encode()
            )
            content.write(ods_row(HEADERS).encode())
            for number in range(rows):
                content.write(ods_row(row(number)).encode())
            # The blank rows LibreOffice writes down to the last row of the grid, each as wide as the grid.
            blank_rows = 1_048_576 - rows - 1
            content.write(
                f'<table:table-row table:number-rows-repeated="{blank_rows}">'
                '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'.encode()
            )
            content.write(b"</table:table></office:spreadsheet></office:body></office:document-content>")


def convert_with_libreoffice(xlsx: Path) -> Path:
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            ["soffice", f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--convert-to", "ods"]
            + ["--outdir", str(xlsx.parent), str(xlsx)],
            check=True,
            capture_output=True,
            timeout=1800,
        )
    return xlsx.with_suffix(".ods")


def one(path: str) -> None:
    """Read one file in this process and print what it took, as JSON (run by main)."""
    import django

    django.setup()
    from projects.importing import read_sheet

    data = Path(path).read_bytes() if path else b""
    started = time.perf_counter()
    sheet = read_sheet(data, filename=path) if path else None
    seconds = time.perf_counter() - started
    peak_mb = peak_rss_mb()
    summary = repr((sheet.headers, sheet.rows, sheet.numbers)) if sheet else ""
    print(json.dumps({"seconds": seconds, "peak_mb": peak_mb, "rows": len(sheet) if sheet else 0, "sheet": summary}))


def measure(path: Path | None) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--one", str(path or "")], capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--libreoffice", action="store_true", help="make the ODS with LibreOffice from the XLSX")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.one is not None:
        one(options.one)
        return

    with tempfile.TemporaryDirectory() as folder:
        xlsx = Path(folder) / "progetti.xlsx"
        write_xlsx(xlsx, options.rows)
        if options.libreoffice:
            ods = convert_with_libreoffice(xlsx)
        else:
            ods = Path(folder) / "progetti.ods"
            write_ods(ods, options.rows)
        baseline = measure(None)
        print(f"{'file':<16} {'bytes':>11} {'rows':>7} {'seconds':>8} {'peak MB':>8}")
        print(f"{'(django starts)':<16} {'':>11} {'':>7} {'':>8} {baseline['peak_mb']:>8.0f}")
        results = {}
        for path in (ods, xlsx):
            results[path.suffix] = result = measure(path)
            print(
                f"{path.name:<16} {path.stat().st_size:>11,} {result['rows']:>7,} "
                f"{result['seconds']:>8.2f} {result['peak_mb']:>8.0f}"
            )
        same = results[".ods"]["sheet"] == results[".xlsx"]["sheet"]
        print(f"\nThe ODS and the XLSX read to {'the same sheet' if same else 'DIFFERENT sheets'}.")
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
