import csv
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from projects.models import Municipality
from projects.names import fold_name

# Positions in ISTAT's "Elenco comuni italiani" (its headers hold line breaks and vary in spelling,
# so columns are taken by position and the header is checked by its first cells).
REGION_CODE, ISTAT_CODE, NAME_ITALIAN, NAME_OTHER, REGION_NAME, PROVINCE_NAME, PROVINCE_CODE, CADASTRAL_CODE = (
    0,
    4,
    6,
    7,
    10,
    11,
    14,
    19,
)
UPDATED_FIELDS = [
    "name",
    "name_other_language",
    "matching_name",
    "province_code",
    "province_name",
    "region_code",
    "region_name",
    "cadastral_code",
]


def read_istat_file(path: Path) -> list[Municipality]:
    try:
        text = path.read_bytes().decode("cp1252")
    except OSError as error:
        raise CommandError(f"Cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise CommandError(f"{path} is not ISTAT's list in Windows-1252") from None
    rows = list(csv.reader(text.splitlines(keepends=True), delimiter=";"))
    if not rows or not rows[0] or not rows[0][0].startswith("Codice Regione"):
        raise CommandError(f"{path} does not start with ISTAT's header (Codice Regione;…)")
    municipalities = []
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= CADASTRAL_CODE or not row[ISTAT_CODE].strip().isdigit():
            raise CommandError(f"{path}, line {number}: not a municipality row")
        municipalities.append(
            Municipality(
                istat_code=row[ISTAT_CODE].strip(),
                name=row[NAME_ITALIAN].strip(),
                name_other_language=row[NAME_OTHER].strip(),
                matching_name=fold_name(row[NAME_ITALIAN]),
                province_code=row[PROVINCE_CODE].strip(),
                province_name=row[PROVINCE_NAME].strip(),
                region_code=row[REGION_CODE].strip(),
                region_name=row[REGION_NAME].strip(),
                cadastral_code=row[CADASTRAL_CODE].strip(),
            )
        )
    return municipalities


class Command(BaseCommand):
    help = "Load or update Italy's municipalities from ISTAT's official list (offline, from fixtures/)."

    def add_arguments(self, parser):
        parser.add_argument("--file", type=Path, default=settings.ISTAT_MUNICIPALITIES_FILE, help="ISTAT's CSV file.")

    def handle(self, *args, file: Path, **options):
        incoming = read_istat_file(file)
        existing = {m.istat_code: m for m in Municipality.objects.all()}
        new, changed = [], []
        for municipality in incoming:
            current = existing.get(municipality.istat_code)
            if current is None:
                new.append(municipality)
            elif any(getattr(current, field) != getattr(municipality, field) for field in UPDATED_FIELDS):
                changed.append(municipality)
        with transaction.atomic():
            Municipality.objects.bulk_create(new, batch_size=1000)
            Municipality.objects.bulk_update(changed, UPDATED_FIELDS, batch_size=1000)
        if options["verbosity"]:
            self.stdout.write(
                f"Municipalities: {len(new)} new, {len(changed)} changed, "
                f"{len(incoming) - len(new) - len(changed)} unchanged ({len(incoming)} in the file)."
            )
