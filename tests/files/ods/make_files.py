"""Make the sheets of this folder again with LibreOffice (Debian's libreoffice-calc-nogui), in an Italian locale.

    python tests/files/ods/make_files.py

- template.csv is the admin's import template for the seed data (projects.exports.template_sheet),
  progetti.csv a sheet as an editor writes it (dates, whole numbers, cells of several lines, blank
  rows between the projects, accented letters); both are saved by LibreOffice as .ods and .xlsx.
- formati.xlsx is written here with openpyxl (a date, a date and time, a time, a percentage, an
  amount in euro, booleans, a link, a comment, spaces and a tab, formatted words, merged cells, a
  second sheet), and saved by LibreOffice as formati.ods.
- protetto.ods is progetti.ods saved by LibreOffice with the password "riservata".

The LibreOffice profile is a temporary one, with Italian as its locale (dates shown 01/03/2024,
numbers 1234,5), so that the cells' shown text differs from the values the reader must take.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.comments import Comment

FOLDER = Path(__file__).resolve().parent
# The CSV filter's options: `;` (59), `"` (34), UTF-8 (76), from the first line.
CSV_FILTER = "CSV:59,34,76,1"
ITALIAN_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Setup/L10N">
  <prop oor:name="ooSetupSystemLocale" oor:op="fuse"><value>it-IT</value></prop>
</item>
<item oor:path="/org.openoffice.Setup/L10N"><prop oor:name="ooLocale" oor:op="fuse"><value>it</value></prop></item>
</oor:items>
"""
# A Basic macro, the only way the command line has to save with a password.
SAVE_WITH_PASSWORD = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" script:language="StarBasic">
Sub SaveWithPassword(source As String, target As String)
  Dim load(0) As New com.sun.star.beans.PropertyValue
  load(0).Name = &quot;Hidden&quot;
  load(0).Value = True
  document = StarDesktop.loadComponentFromURL(ConvertToURL(source), &quot;_blank&quot;, 0, load())
  Dim store(1) As New com.sun.star.beans.PropertyValue
  store(0).Name = &quot;FilterName&quot;
  store(0).Value = &quot;calc8&quot;
  store(1).Name = &quot;Password&quot;
  store(1).Value = &quot;riservata&quot;
  document.storeToURL(ConvertToURL(target), store())
  document.close(True)
End Sub
</script:module>
"""
MACRO_LIBRARY = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE library:library PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "library.dtd">
<library:library xmlns:library="http://openoffice.org/2000/library" library:name="Standard" \
library:readonly="false" library:passwordprotected="false">
 <library:element library:name="Module1"/>
</library:library>
"""


def formats_workbook(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Progetti"
    sheet.append(
        ["Titolo", "Data inizio", "Data fine", "Durata", "Persone raggiunte", "Quota", "Importo", "Ora"]
        + ["Confermato", "Attività", "Sito"]
    )
    site = "https://www.comune.esempio.it/progetti"
    sheet.append(
        ["Progetto «Così»", dt.date(2024, 3, 1), dt.datetime(2025, 12, 31, 18, 30), 26, 1500, 0.25, 1234.5]
        + [dt.time(9, 30), True, "Fase 1) uno\nFase 2) due", site]
    )
    sheet["F2"].number_format = "0%"
    sheet["G2"].number_format = "#,##0.00 [$€-410]"
    sheet["K2"].hyperlink = site
    sheet["A2"].comment = Comment("Nota del redattore: da verificare", "Ufficio")
    sheet.append([])
    sheet.append([])
    sheet.append(["Città  con   spazi", None, None, 12.5, None, None, None, None, False, " Inizio con spazio", "a\tb"])
    formatted = CellRichText(["Parte ", TextBlock(InlineFont(b=True), "in grassetto"), " e normale"])
    sheet.append([formatted, "unito su due colonne", None, "", None, None, None, None, None, "Riga 1\n\nRiga 3"])
    sheet.merge_cells("B6:C6")
    other = workbook.create_sheet("Altro")
    other.append(["Titolo"])
    other.append(["Non letto: solo il primo foglio conta"])
    workbook.save(path)


def soffice(profile: Path, *arguments: str) -> None:
    command = [shutil.which("soffice") or "soffice", f"-env:UserInstallation={profile.as_uri()}", "--headless"]
    subprocess.run([*command, *arguments], cwd=FOLDER, check=True, capture_output=True, timeout=120)


def main() -> None:
    formats_workbook(FOLDER / "formati.xlsx")
    with tempfile.TemporaryDirectory() as temporary:
        profile = Path(temporary)
        (profile / "user").mkdir()
        (profile / "user" / "registrymodifications.xcu").write_text(ITALIAN_PROFILE)
        for name in ("template.csv", "progetti.csv"):
            for kind in ("ods", "xlsx"):
                soffice(profile, "--convert-to", kind, f"--infilter={CSV_FILTER}", name)
        soffice(profile, "--convert-to", "ods", "formati.xlsx")
        # The profile's macro library exists once LibreOffice has run in it.
        library = profile / "user" / "basic" / "Standard"
        (library / "Module1.xba").write_text(SAVE_WITH_PASSWORD)
        (library / "script.xlb").write_text(MACRO_LIBRARY)
        source, target = FOLDER / "progetti.ods", FOLDER / "protetto.ods"
        soffice(profile, "--invisible", f'macro:///Standard.Module1.SaveWithPassword("{source}","{target}")')
    for path in sorted(FOLDER.iterdir()):
        print(f"{path.stat().st_size:>8,} bytes  {path.name}")


if __name__ == "__main__":
    main()
