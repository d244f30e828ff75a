"""The twenty Italian regions as SVG shapes, keyed by ISTAT region code.

The shapes come from @svg-maps/italy 2.0.0 (CC BY 4.0, credit and changes in
registry/data/italy-regions.LICENSE.txt); every page that draws them shows MAP_CREDIT.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "italy-regions.json"
MAP_CREDIT = "@svg-maps/italy, CC BY 4.0"
MAP_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

# ISTAT's names, as Municipality.region_name holds them: used for regions that a caller leaves out.
REGION_NAMES = {
    "01": "Piemonte",
    "02": "Valle d'Aosta/Vallée d'Aoste",
    "03": "Lombardia",
    "04": "Trentino-Alto Adige/Südtirol",
    "05": "Veneto",
    "06": "Friuli-Venezia Giulia",
    "07": "Liguria",
    "08": "Emilia-Romagna",
    "09": "Toscana",
    "10": "Umbria",
    "11": "Marche",
    "12": "Lazio",
    "13": "Abruzzo",
    "14": "Molise",
    "15": "Campania",
    "16": "Puglia",
    "17": "Basilicata",
    "18": "Calabria",
    "19": "Sicilia",
    "20": "Sardegna",
}


@dataclass(frozen=True, slots=True)
class Shapes:
    view_box: str
    paths: dict[str, str]  # ISTAT region code -> SVG path data


@cache
def shapes() -> Shapes:
    """The map, read once per process (37 kB)."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    return Shapes(data["viewBox"], {code: region["path"] for code, region in data["regions"].items()})
