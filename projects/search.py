"""Search: the words a visitor types, found in the public index (projects.services.index).

On PostgreSQL, Italian full-text search: each word is stemmed after its accents are folded
("abitativo" finds "abitative", "citta" finds "città"), whole words only ("FAMI" does not find
"famiglie"), a word ending in `*` is a prefix ("inclus*"), and results are ranked with the title
and acronym weighing most. Elsewhere (SQLite, the quick start) whole words folded for case and
accents, without stemming or ranking. When the words find nothing, the closest words of the
registry are suggested ("Cunneo" -> "cuneo"): trigrams on PostgreSQL, difflib elsewhere.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, connections, router
from django.db.models import F, Q, QuerySet

from .models import ProjectSearch, ProjectWords, SearchTerm
from .names import fold_name
from .services.index import SEARCH_CONFIG

_WORD = re.compile(r"(\w+)(\*?)")
MAX_WORDS = 12
# How alike (pg_trgm's similarity, 0–1) a registry word must be to a typed one to be suggested.
SUGGESTION_SIMILARITY = 0.35


@dataclass(frozen=True)
class Words:
    """The words of a query, folded, each with whether it is a prefix."""

    items: tuple[tuple[str, bool], ...]

    @classmethod
    def parse(cls, text: str) -> Words:
        folded = fold_name.__wrapped__(text)
        return cls(tuple((word, bool(star)) for word, star in _WORD.findall(folded))[:MAX_WORDS])

    def __bool__(self) -> bool:
        return bool(self.items)

    def __str__(self) -> str:
        return " ".join(word + ("*" if prefix else "") for word, prefix in self.items)

    def tsquery(self) -> SearchQuery:
        # Only \w characters reach the raw query, so no operator or quote can be injected.
        raw = " & ".join(f"'{word}'" + (":*" if prefix else "") for word, prefix in self.items)
        return SearchQuery(raw, search_type="raw", config=SEARCH_CONFIG)


def documents_matching(words: Words) -> QuerySet:
    """The search documents (drafts' too) that contain every word: on PostgreSQL their words alone
    (ProjectWords, the narrow table selecting reads), elsewhere ProjectSearch's folded text."""
    if connection.vendor == "postgresql":
        return ProjectWords.objects.filter(words=words.tsquery())
    documents = ProjectSearch.objects.all()
    for word, prefix in words.items:
        documents = documents.filter(text__contains=f" {word}" if prefix else f" {word} ")
    return documents


def matching(words: Words) -> Q:
    """The condition for projects that contain every word."""
    return Q(pk__in=documents_matching(words).values("project_id"))


def rank(words: Words):
    """An expression ordering the matches by relevance, or None where the database cannot rank."""
    if connection.vendor != "postgresql":
        return None
    return SearchRank(F("search_document__vector"), words.tsquery())


# Ranking reads every match's whole document: past this many matches (a word most projects contain)
# the list is in title order, which an index serves at once, and ranking would tell little anyway.
RANKED_AT_MOST = 2000


def suggestion(words: Words) -> Words | None:
    """The query with each word the registry does not know replaced by its closest known word, if any."""
    known = set(SearchTerm.objects.filter(word__in=[word for word, _ in words.items]).values_list("word", flat=True))
    changed, items = False, []
    for word, prefix in words.items:
        replacement = None
        if word not in known and not prefix and word.isalpha() and len(word) >= 3:
            replacement = _closest(word)
        changed |= replacement is not None and replacement != word
        items.append((replacement or word, prefix))
    return Words(tuple(items)) if changed else None


def _closest(word: str) -> str | None:
    if connection.vendor == "postgresql":
        with connections[router.db_for_read(SearchTerm)].cursor() as cursor:
            # set_limit() makes `%` (which the trigram index serves) use the same threshold.
            cursor.execute("SELECT set_limit(%s)", [SUGGESTION_SIMILARITY])
            cursor.execute(
                f"SELECT word FROM {SearchTerm._meta.db_table} WHERE word %% %s "
                "ORDER BY similarity(word, %s) DESC, word LIMIT 1",
                [word, word],
            )
            row = cursor.fetchone()
        return row[0] if row else None
    candidates = SearchTerm.objects.filter(word__startswith=word[0]).values_list("word", flat=True)
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.75)
    return close[0] if close else None
