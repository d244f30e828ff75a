"""Finding official municipalities from names as people write them.

"Chiusano d Asti", "CHIUSANO D'ASTI" and "Chiusano d’Asti" are the same comune; "Samone (TO)"
names the province because two comuni are called Samone. Matching is on a folded form of the
name (projects.names.fold_name), which Municipality keeps in `matching_name`. Pure Python but for
the translation of its messages: the index is filled by `Municipality.objects.index()`.
"""

from __future__ import annotations

import difflib
import re

from django.utils.translation import gettext as _

from .names import fold_name

_NAME_WITH_PROVINCE = re.compile(r"^(?P<name>.+?)\s*\((?P<province>[A-Za-z]{2})\)\s*$")
_ISTAT_CODE = re.compile(r"^\d{6}$")


def split_province(text: str) -> tuple[str, str | None]:
    """ "Samone (TO)" -> ("Samone", "TO"); "Samone" -> ("Samone", None)."""
    match = _NAME_WITH_PROVINCE.match(text.strip())
    if match:
        return match["name"].strip(), match["province"].upper()
    return text.strip(), None


def is_istat_code(text: str) -> bool:
    return bool(_ISTAT_CODE.match(text.strip()))


class MunicipalityNotFound(LookupError):
    def __init__(self, text: str, suggestions: list[str], ambiguous: bool = False):
        self.text = text
        self.suggestions = suggestions
        self.ambiguous = ambiguous
        # Made where the name is looked up (an import, a form), in the language of whoever reads the answer.
        names = {"text": text, "suggestions": ", ".join(suggestions)}
        if ambiguous:
            message = _("«%(text)s» names more than one municipality: add the province, as in %(suggestions)s")
        elif suggestions:
            message = _("«%(text)s» is not an official municipality; did you mean %(suggestions)s?")
        else:
            message = _("«%(text)s» is not an official municipality")
        super().__init__(message % names)


class MunicipalityIndex:
    """An in-memory index of (ISTAT code, name, province) rows: one query, then lookups in memory.

    Built once per import or seed load, so that resolving thousands of names costs one query.
    """

    def __init__(self, rows):
        self._by_code: dict[str, tuple] = {}
        self._by_name: dict[str, list[tuple]] = {}
        for code, name, province in rows:
            row = (code, name, province)
            self._by_code[code] = row
            self._by_name.setdefault(fold_name(name), []).append(row)

    def __len__(self) -> int:
        return len(self._by_code)

    def resolve(self, text: str) -> str:
        """The ISTAT code of the municipality named by the text; MunicipalityNotFound otherwise."""
        text = text.strip()
        if is_istat_code(text):
            if text in self._by_code:
                return text
            raise MunicipalityNotFound(text, [])
        name, province = split_province(text)
        candidates = self._by_name.get(fold_name(name), [])
        if province:
            candidates = [row for row in candidates if row[2] == province]
        if len(candidates) > 1:
            # "Paternò" (CT) and "Paterno" (PZ) fold alike; a name written with its accents is one of them.
            exact = [row for row in candidates if row[1].casefold() == name.casefold()]
            if len(exact) == 1:
                candidates = exact
        if len(candidates) == 1:
            return candidates[0][0]
        if len(candidates) > 1:
            raise MunicipalityNotFound(text, [f"{row[1]} ({row[2]})" for row in candidates], ambiguous=True)
        raise MunicipalityNotFound(text, self.suggest(name, province))

    def suggest(self, name: str, province: str | None = None, limit: int = 3) -> list[str]:
        folded = fold_name(name)
        # Sources often drop the second part of a name ("Vigliano" for Vigliano Biellese).
        longer = sorted(key for key in self._by_name if key.startswith(folded + " "))
        close = difflib.get_close_matches(folded, self._by_name.keys(), n=limit * 2, cutoff=0.75)
        suggestions = []
        for key in dict.fromkeys([*longer, *close]):
            for _code, official, prov in self._by_name[key]:
                if province is None or prov == province:
                    suggestions.append(f"{official} ({prov})")
        return suggestions[:limit]
