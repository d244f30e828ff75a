import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from projects.importing import SheetError, import_sheet, read_sheet_file, sheet_limits

EXIT_IMPORTED, EXIT_ROW_ERRORS, EXIT_UNUSABLE, EXIT_BUSY = 0, 1, 2, 3
PLURALS = {"territory": "territories"}


class Command(BaseCommand):
    help = (
        "Import project sheets from a CSV (UTF-8 or Windows-1252, ';' or ',') or XLSX file. "
        "Every row is checked first; a file with any error writes nothing. New projects are drafts. "
        "Exit status: 0 imported (or would be, with --dry-run), 1 errors and nothing written, "
        "2 unusable arguments or unreadable file, 3 another import held the registry for longer than --wait."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The sheet to import.")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument(
            "--publish", action="store_true", help="Publish new projects at once instead of leaving them as drafts."
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=600,
            metavar="SECONDS",
            help="How long to wait for another import to finish (default 600).",
        )

    def handle(self, *args, file: Path, dry_run: bool, publish: bool, wait: float, **options):
        try:
            sheet = read_sheet_file(file, limits=sheet_limits())
        except OSError as error:
            self.stderr.write(f"Cannot read {file}: {error.strerror}")
            sys.exit(EXIT_UNUSABLE)
        except SheetError as error:
            self.stderr.write(f"{file}: {error}. Nothing was imported.")
            sys.exit(EXIT_UNUSABLE)

        report = import_sheet(sheet, dry_run=dry_run, publish=publish, wait_seconds=wait)
        if report.busy:
            self.stderr.write(f"{file}: {'; '.join(report.file_errors)}.")
            sys.exit(EXIT_BUSY)
        columns, more_columns = report.listed_unknown_columns()
        for column in columns:
            self.stdout.write(f"Unknown column ignored: {column}")
        if more_columns:
            self.stdout.write(f"... and {more_columns} more unknown columns ignored.")
        for message in report.file_errors:
            self.stderr.write(f"{file}: {message}. Nothing was imported.")
        errors, more_errors = report.listed_errors()
        for error in errors:
            self.stderr.write(str(error))
        if more_errors:
            self.stderr.write(f"... and {more_errors} more errors.")
        for kind, names in report.created.items():
            if names:
                label = PLURALS.get(kind, kind + "s") if len(names) > 1 else kind
                self.stdout.write(f"New {label}: {'; '.join(names)}")
        self.stdout.write(
            f"{report.count('new')} new, {report.count('changed')} changed, {report.count('unchanged')} unchanged, "
            f"{len({e.row for e in report.errors})} rows with errors ({len(report.rows)} rows read)."
        )
        if report.has_errors:
            self.stderr.write("Nothing was imported: correct the errors above and import the file again.")
            sys.exit(EXIT_ROW_ERRORS)
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        elif report.count("new"):
            self.stdout.write(
                "Imported. New projects are " + ("published." if publish else "drafts until an editor publishes them.")
            )
        else:
            self.stdout.write("Imported." if report.count("changed") else "Nothing to change.")
