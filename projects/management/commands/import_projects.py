import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects.importing import SheetError, import_sheet, read_sheet_file, sheet_limits
from projects.importing.report import new_records_line
from registry.enums import ChangeKind
from registry.history import change_set, system_account

EXIT_IMPORTED, EXIT_ROW_ERRORS, EXIT_UNUSABLE, EXIT_BUSY = 0, 1, 2, 3


class Command(BaseCommand):
    help = (
        "Import project sheets from a CSV (UTF-8 or Windows-1252, ';' or ','), XLSX or ODS file. "
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
            "--editor",
            metavar="USERNAME",
            default="",
            help="The editor the history records as the import's author (by default the system account running it).",
        )
        parser.add_argument(
            "--wait",
            type=float,
            default=600,
            metavar="SECONDS",
            help="How long to wait for another import to finish (default 600).",
        )

    def handle(self, *args, file: Path, dry_run: bool, publish: bool, wait: float, editor: str, **options):
        user = None
        if editor:
            user = get_user_model().objects.filter(username=editor, is_active=True).first()
            if user is None:
                self.stderr.write(f"There is no active editor «{editor}»: nothing was imported.")
                sys.exit(EXIT_UNUSABLE)
        try:
            sheet = read_sheet_file(file, limits=sheet_limits())
        except OSError as error:
            self.stderr.write(_("Cannot read %(file)s: %(error)s") % {"file": file, "error": error.strerror})
            sys.exit(EXIT_UNUSABLE)
        except SheetError as error:
            self.stderr.write(_("%(file)s: %(error)s. Nothing was imported.") % {"file": file, "error": error})
            sys.exit(EXIT_UNUSABLE)

        # The whole file is one change set in the history, named after it and its author.
        with change_set(ChangeKind.IMPORT, file.name, user=user, actor=f"{system_account()} (import_projects)"):
            report = import_sheet(sheet, dry_run=dry_run, publish=publish, wait_seconds=wait)
        if report.busy:
            self.stderr.write(f"{file}: {'; '.join(report.file_errors)}.")
            sys.exit(EXIT_BUSY)
        columns, more_columns = report.listed_unknown_columns()
        for column in columns:
            self.stdout.write(_("Unknown column ignored: %(column)s") % {"column": column})
        if more_columns:
            self.stdout.write(
                ngettext(
                    "... and %(count)s more unknown column ignored.",
                    "... and %(count)s more unknown columns ignored.",
                    more_columns,
                )
                % {"count": more_columns}
            )
        for message in report.file_errors:
            self.stderr.write(_("%(file)s: %(error)s. Nothing was imported.") % {"file": file, "error": message})
        errors, more_errors = report.listed_errors()
        for error in errors:
            self.stderr.write(str(error))
        if more_errors:
            self.stderr.write(
                ngettext("... and %(count)s more error.", "... and %(count)s more errors.", more_errors)
                % {"count": more_errors}
            )
        for kind, names in report.created.items():
            if names:
                self.stdout.write(new_records_line(kind, names))
        for name, close in report.suggestions.items():
            self.stdout.write(
                _("New organisation %(name)s: did you mean %(close)s?") % {"name": name, "close": "; ".join(close)}
            )
        self.stdout.write(
            _(
                "%(new)s new, %(changed)s changed, %(unchanged)s unchanged, %(invalid)s rows with errors "
                "(%(read)s rows read)."
            )
            % {
                "new": report.count("new"),
                "changed": report.count("changed"),
                "unchanged": report.count("unchanged"),
                "invalid": len({e.row for e in report.errors}),
                "read": len(report.rows),
            }
        )
        if report.has_errors:
            self.stderr.write(_("Nothing was imported: correct the errors above and import the file again."))
            sys.exit(EXIT_ROW_ERRORS)
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        elif report.count("new"):
            self.stdout.write(
                _("Imported. New projects are published.")
                if publish
                else _("Imported. New projects are drafts until an editor publishes them.")
            )
        else:
            self.stdout.write(_("Imported.") if report.count("changed") else _("Nothing to change."))
