"""How the registry compares names: the one normalisation for organisations, funders, programmes,
territories, project titles, municipalities and column headers.

"Comune di  Modena", "COMUNE DI MODENA", "Ministero dell’Interno" and "Ministero dell'Interno",
"Chiusano d Asti" and "Chiusano d'Asti" are each the same name written two ways: they fold to the
same key. Pure Python, so it tests in microseconds.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_SEPARATORS = re.compile(r"[\s'’`´\-‐–—./]+")
# "A.L.I." and "C.I.D.A.S.": single letters with dots, written as one word by other sources.
_DOTTED_LETTERS = re.compile(r"\b(?:\w\.){2,}(?!\w)")


# A sheet names the same organisations, places and themes thousands of times: fold each once.
@functools.lru_cache(maxsize=65536)
def fold_name(name: str) -> str:
    """Lower case, no accents, apostrophes, hyphens, dashes, dots, slashes or repeated spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    without_accents = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _SEPARATORS.sub(" ", without_accents.lower()).strip()


def tidy_name(name: str) -> str:
    """A name as it is stored: spaces at the ends dropped, runs of spaces and new lines made one space."""
    return " ".join(name.split())


def undot(text: str) -> str:
    """ "A.L.I. – Abitare" -> "ALI – Abitare": an acronym written with dots is the same acronym without them."""
    return _DOTTED_LETTERS.sub(lambda match: match.group(0).replace(".", ""), text)


def acronym_key(acronym: str) -> str:
    """The key two acronyms are compared on: "A.L.I.", "ALI" and "a l i" are one acronym."""
    return fold_name(acronym).replace(" ", "")


def title_keys(title: str, acronym: str = "") -> tuple[str, str]:
    """The keys a project is matched on by title: the folded title, and the acronym and title folded together.

    Sources write the same project as "INTARSI - Azioni in rete…" or as "Azioni in rete…" with
    INTARSI in an acronym column; both forms are kept so that either finds it. The second key is
    empty when there is no acronym or the title already starts with it.
    """
    title_key = fold_name(undot(title))
    acronym_part = fold_name(undot(acronym))
    if not acronym_part or title_key == acronym_part or title_key.startswith(acronym_part + " "):
        return title_key, ""
    return title_key, f"{acronym_part} {title_key}"


@functools.lru_cache(maxsize=65536)
def sort_key(name: str) -> tuple[str, str]:
    """Where a name goes in an alphabetical list as Italian readers expect it: case, accents, apostrophes and
    dots ignored ("Forlì" before "Forlimpopoli", "Samadhi" before "SEMIinARIA"), as a project's stored
    `title_key` sorts; names that differ only in those keep one fixed order."""
    return fold_name(undot(name)), name
