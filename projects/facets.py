"""Facet counts: beside every filter option, how many projects that choice would give with the other
active filters kept.

A facet's counts are taken over the projects the other filters leave (its own choice is left out,
so that its other options stay visible), and they are exact. Counting them in SQL means reading
every index row of every matching project for every request: at 100,000 projects, with a common
word or theme, over a million rows. So each process keeps the public index's listed facets as
bitmaps, one bit per published project: the set of projects of a funder, a theme, a region, a
status or a year is one Python integer, a filtered set is their AND, and a count is a popcount,
microseconds each. When the index changes (IndexState's stamp, one cheap query per request), the
projects each change touched (IndexChange) are read again and their bits set anew; the whole index
is read again when the day changes (the status depends on it) or a change touched too many projects.
Filters that are not listed facets (the words, an organisation, a municipality, an unusual year) are
asked of the database for the ids they select, the same query the list runs. The sets they select are
kept, and after a change to the index only the projects it touched are asked about again: a word that
most projects contain is read from every search document once (60 ms at 100,000 projects), not again
after every edit.

When the projects counted over are few (a municipality, a lead partner, a rare word), the counts are tallied
project by project from each project's values instead, and the list's title order is read from places kept
beside the bitmaps (the database's own order, read once and kept up to date change by change).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from array import array
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, groupby
from math import isnan

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import DatabaseError, connection, connections, router
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import ExtractYear
from django.utils import timezone

from registry.enums import InitiativeKind, Status, TargetGroup, Theme
from registry.sql import AmongIds, among

from . import status as project_status
from .filters import FacetFilter, ProjectFilter
from .models import LISTED_FACETS, Facet, FacetCount, IndexChange, IndexState, Project, ProjectFacet
from .names import sort_key
from .search import Words, documents_matching
from .sql import CompiledQuery, statement_cursor

logger = logging.getLogger(__name__)

TYPED = (Facet.LEAD_PARTNER, Facet.PARTNER, Facet.MUNICIPALITY)  # chosen by typing: only the top values
TOP_TYPED = 50
# Counted over at most this many projects, the options are tallied project by project (341 projects: 0.2 ms)
# rather than each value's bitmap intersected with theirs (1.5 ms for the 540 values, whatever their number).
TALLIED_AT_MOST = 3000
VOCABULARY_LABELS = {Facet.THEME: Theme, Facet.TARGET_GROUP: TargetGroup, Facet.KIND: InitiativeKind}
FETCH_ROWS = 20_000
NAN = float("nan")
BLOCK_BITS = 12
BLOCK = 1 << BLOCK_BITS  # ids in a block of each project's values (Bitmaps.tally)
BLOCK_MASK = BLOCK - 1


@dataclass
class Option:
    value: str
    label: str
    count: int

    def as_dict(self) -> dict:
        return {"value": self.value, "label": str(self.label), "count": self.count}


@dataclass
class Facets:
    options: dict[str, list[Option]]  # filter name -> options with counts
    labels: dict[tuple[str, str], str]  # (facet, value) -> label, for every value chosen
    count: int  # projects the filters give
    matches: int = 0  # which: a bitmap of their ids
    bitmaps: Bitmaps | None = None  # what they were counted from

    def ids(self) -> list[int]:
        return list(_ids_of(self.matches))

    def in_title_order(self, *, descending: bool = False) -> list[int] | None:
        """Their ids in the list's title order (Bitmaps.in_title_order)."""
        return self.bitmaps.in_title_order(self.matches, descending=descending) if self.bitmaps else None

    def label(self, facet: str, value: str) -> str | None:
        return _vocabulary_label(facet, value) or self.labels.get((facet, value))


# --- the bitmaps ---------------------------------------------------------------------------------


def _ids_of(bitmap: int):
    """The ids whose bits are set, in order."""
    if bitmap.bit_count() * 4 < bitmap.bit_length():
        # Few: found by searching the binary digits as text, which skips the zeros in C (341 ids among 100,000: 0.12
        # against 0.29 ms byte by byte).
        digits = format(bitmap, "b")[::-1]
        found = digits.find("1")
        while found != -1:
            yield found
            found = digits.find("1", found + 1)
        return
    for index, byte in enumerate(bitmap.to_bytes((bitmap.bit_length() + 7) // 8, "little")):
        while byte:
            lowest = byte & -byte
            yield index * 8 + lowest.bit_length() - 1
            byte ^= lowest


def _bits(ids) -> int:
    """The set of ids as an integer with those bits set."""
    ids = list(ids)
    if not ids:
        return 0
    buffer = bytearray(max(ids) // 8 + 1)
    for pk in ids:
        buffer[pk >> 3] |= 1 << (pk & 7)
    return int.from_bytes(buffer, "little")


@dataclass
class Bitmaps:
    """The listed facets, statuses and years of the published projects, as bitmaps of project ids."""

    stamp: int
    day: dt.date
    version: tuple[int, int] = (0, 0)  # the last IndexChange these bitmaps include: its id and stamp
    published: int = 0
    values: dict[tuple[str, str], int] = field(default_factory=dict)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    years: dict[int, int] = field(default_factory=dict)
    # Per facet, (value, bitmap, projects, label) in the order the list shows them: with no other filter chosen,
    # the counts are read, not counted, and no request sorts them again.
    by_facet: dict[str, list[tuple[str, int, int, str]]] = field(default_factory=dict)
    # The changes applied since these bitmaps were read whole: the version each came after, and its projects.
    history: tuple[tuple[tuple[int, int], frozenset[int]], ...] = ()
    _leads: list[str | None] | None = None
    # Each project's place in title order by id, NaN for none: a float array, so that a change copies one block of
    # memory where a list of 100,000 floats took 1.5 ms to copy and free (a count kept on each of them).
    _titles: array | None = None
    # The listed facet values in a fixed order, and each project's values as their places in it, in blocks of ids
    # (_in_blocks): a change copies the block of each project it touched, where copying a list of 100,000 and freeing
    # the old one took 1.5 ms (a count kept on each item).
    _values_by_project: tuple[list[tuple[str, str]], dict[tuple[str, str], int], list[list[tuple]]] | None = None

    HISTORY_KEPT = 100

    def changed_since(self, version: tuple[int, int]) -> frozenset[int] | None:
        """The projects the changes after `version` touched (none when it is these bitmaps' own); None when
        these bitmaps do not know (they were read whole since, or the changes were too many)."""
        if version == self.version:
            return frozenset()
        for index, (before, _) in enumerate(self.history):
            if before == version:
                changed = frozenset().union(*(pks for _, pks in self.history[index:]))
                return changed if len(changed) <= IndexChange.PROJECTS_AT_MOST else None
        return None

    def leads(self) -> list[str | None]:
        """Each published project's lead partner (its slug, by project id), read when first asked for."""
        if self._leads is None:
            rows = list(ProjectFacet.objects.filter(facet=Facet.LEAD_PARTNER).values_list("project_id", "value"))
            leads: list[str | None] = [None] * (max((pk for pk, _ in rows), default=0) + 1)
            for pk, slug in rows:
                leads[pk] = slug
            self._leads = leads
        return self._leads

    def tally(self, base: int) -> dict[tuple[str, str], int]:
        """How many of the projects in `base` each listed facet value has, counted project by project: for a few
        projects, faster than intersecting every value's bitmap with theirs."""
        if self._values_by_project is None:
            keys = list(self.values)
            by_project: list[list[int]] = [[] for _ in range(self.published.bit_length())]
            for place, key in enumerate(keys):
                for pk in _ids_of(self.values[key]):
                    by_project[pk].append(place)
            places = {key: place for place, key in enumerate(keys)}
            self._values_by_project = (keys, places, _in_blocks([tuple(row) for row in by_project]))
        keys, _, blocks = self._values_by_project
        counted = Counter(chain.from_iterable(_places_of(blocks, _ids_of(base))))
        return {keys[place]: count for place, count in counted.items()}

    def title_positions(self) -> array:
        """Each published project's place in the list's title order, by project id (NaN for another id), read
        when first asked for: the order is the database's (the folded title, then the id, in its collation), so a
        page of a few thousand projects is put in that order here as the database would, without sorting them
        there (986 projects of a lead partner: 1.7 ms a query at 100,000 projects)."""
        if self._titles is None:
            self._titles = _title_positions(_published_by_title())
        return self._titles

    def in_title_order(self, bitmap: int, *, descending: bool = False) -> list[int] | None:
        """The ids of `bitmap` in the list's title order (its reverse if `descending`); None when a project among
        them has no known place (published since its place was read: then the database sorts them)."""
        positions = self.title_positions()
        ids = list(_ids_of(bitmap))
        if ids and (ids[-1] >= len(positions) or any(map(isnan, map(positions.__getitem__, ids)))):
            return None
        return sorted(ids, key=positions.__getitem__, reverse=descending)

    @classmethod
    def build(cls, stamp: int, today: dt.date) -> Bitmaps:
        # The last change is read first: one committed while the rest is read is applied again later, harmlessly.
        version = IndexChange.objects.order_by("-pk").values_list("pk", "stamp").first() or (0, 0)
        bitmaps = cls(stamp, today, version)
        bitmaps.values = {(facet, value): _bits(pks) for facet, value, pks in _ids_by_value()}
        stored = FacetCount.objects.filter(facet__in=LISTED_FACETS).values_list("facet", "value", "label")
        bitmaps.labels = {(facet, value): label for facet, value, label in stored}

        by_status, by_period = _ids_by_period(today)
        bitmaps.status = {code: _bits(by_status.get(code, ())) for code in Status.values}
        groups = {period: _bits(pks) for period, pks in by_period.items() if period != (None, None)}
        years = [year for period in groups for year in period if year is not None]
        if years:
            first, last = min(years), max(*years, today.year)
            bitmaps.years = dict.fromkeys(range(first, last + 1), 0)
            bitmaps._add_periods(groups)
        bitmaps._count()
        return bitmaps

    def _add_periods(self, groups: dict[tuple, int]) -> bool:
        """Add each group of projects (by start and end year) to the years it is active in; False when a
        group reaches a year outside those held."""
        if not self.years:
            return not groups
        first, last = min(self.years), max(self.years)
        for (start, end), bitmap in groups.items():
            # As ProjectQuerySet.active_in: an open end runs on, a period stated by its end alone runs up to it.
            start, end = first if start is None else start, last if end is None else end
            if start < first or end > last:
                return False
            for year in range(start, end + 1):
                self.years[year] |= bitmap
        return True

    def _count(self, before: Bitmaps | None = None, changed: Collection[tuple[str, str]] = ()) -> None:
        """The published projects, and each facet's values in list order with their counts. With `before`, the
        bitmaps these were brought up to date from, only the `changed` values are counted again, and a list is put
        in order again only where a value is new or renamed: one project's change touches a few values of hundreds
        (counting and ordering them all took about half of what a one-project change cost)."""
        self.published = 0
        for bitmap in self.status.values():
            self.published |= bitmap
        if before is None:
            facets = {facet for facet, _ in self.values}
            self.by_facet = {}
        else:
            self.by_facet = dict(before.by_facet)
            facets = set()  # those whose list is put in order again
            for key in changed:
                if key not in before.values or self.labels.get(key) != before.labels.get(key):
                    facets.add(key[0])
            for facet in {facet for facet, _ in changed} - facets:
                self.by_facet[facet] = [
                    self._counted(facet, row) if (facet, row[0]) in changed else row
                    for row in before.by_facet.get(facet, [])
                ]
        grouped: dict[str, list[tuple[str, int]]] = {}
        for (facet, value), bitmap in self.values.items():
            if facet in facets:
                grouped.setdefault(facet, []).append((value, bitmap))
        for facet, rows in grouped.items():
            self.by_facet[facet] = [
                (value, bitmap, bitmap.bit_count(), label)
                for value, label, bitmap in _in_list_order(Facet(facet), rows, self.labels)
            ]

    def _counted(self, facet: str, row: tuple[str, int, int, str]) -> tuple[str, int, int, str]:
        value, _, _, label = row
        bitmap = self.values[(facet, value)]
        return value, bitmap, bitmap.bit_count(), label

    def updated(self, stamp: int) -> Bitmaps | None:
        """These bitmaps with the changes made since applied to the projects they touched; None when they
        cannot be (changes no longer kept, one that touched too many projects): then read the whole index."""
        last, last_stamp = self.version
        if not last:
            return None
        changes = list(IndexChange.objects.filter(pk__gte=last).order_by("pk").values_list("pk", "stamp", "projects"))
        # The change these bitmaps end with must still be there as it was: not pruned, nor rolled back (the
        # bitmaps were read inside the transaction that made it) and its id given again.
        if not changes or changes[0][:2] != (last, last_stamp):
            return None
        changes = changes[1:]
        if not changes:  # the stamp was read before that change committed
            return replace(self, stamp=stamp) if last_stamp == stamp else None
        if any(projects is None for _, _, projects in changes):
            return None
        pks = sorted({pk for _, _, projects in changes for pk in projects})
        if len(pks) > IndexChange.PROJECTS_AT_MOST:
            return None
        changed = _bits(pks)
        keep = ~changed
        bitmaps = Bitmaps(stamp, self.day, changes[-1][:2])
        bitmaps.history = (*self.history, (self.version, frozenset(pks)))[-self.HISTORY_KEPT :]
        bitmaps.status = {code: bitmap & keep for code, bitmap in self.status.items()}
        bitmaps.years = {year: bitmap & keep for year, bitmap in self.years.items()}
        # Their values as the index now holds them, with the labels it stores (a value new or renamed), and their
        # lead partners.
        touched: dict[tuple[str, str], list[int]] = {}
        labels: dict[tuple[str, str], str] = {}
        leads: list[tuple[int, str]] = []
        for facet, value, pk, label in CHANGED_VALUES.rows(pks):
            if facet == Facet.LEAD_PARTNER:
                leads.append((pk, value))
                continue
            touched.setdefault((facet, value), []).append(pk)
            if label is not None:
                labels[(facet, value)] = label
        # Only the values these projects had or have now change: those they had are read from each project's values
        # where those are held (Bitmaps.tally), else asked of every value.
        if self._values_by_project is not None:
            keys, _, blocks = self._values_by_project
            held = {keys[place] for places in _places_of(blocks, pks) for place in places}
        else:
            held = {key for key, bitmap in self.values.items() if bitmap & changed}
        affected = held | touched.keys()
        bitmaps.values = dict(self.values)
        for key in affected:
            bitmaps.values[key] = (self.values.get(key, 0) & keep) | _bits(touched.get(key, ()))
        bitmaps.labels = {**self.labels, **labels}
        by_status, by_period = _by_period(CHANGED_PERIODS.rows(pks), self.day)
        for code, ids in by_status.items():
            bitmaps.status[code] |= _bits(ids)
        groups = {period: _bits(ids) for period, ids in by_period.items() if period != (None, None)}
        if not bitmaps._add_periods(groups):
            return None
        bitmaps._count(self, affected)
        if self._leads is not None:
            bitmaps._leads = list(self._leads)
            for pk in pks:
                if pk < len(bitmaps._leads):
                    bitmaps._leads[pk] = None
            for pk, slug in leads:
                bitmaps._leads.extend([None] * (pk + 1 - len(bitmaps._leads)))
                bitmaps._leads[pk] = slug
        if self._titles is not None:
            bitmaps._titles = _titles_after_change(self._titles, pks)
        if self._values_by_project is not None:
            bitmaps._values_by_project = _values_after_change(self._values_by_project, pks, touched)
        return bitmaps


def _ids_by_value():
    """(facet, value, project ids) of every listed facet value: the database groups them on PostgreSQL,
    a few hundred rows instead of a row per project and value."""
    rows = ProjectFacet.objects.filter(facet__in=LISTED_FACETS).order_by()
    if connection.vendor == "postgresql":
        yield from (
            rows.values("facet", "value").annotate(ids=ArrayAgg("project_id")).values_list("facet", "value", "ids")
        )
        return
    ids: dict[tuple[str, str], list[int]] = {}
    for facet, value, pk in rows.values_list("facet", "value", "project_id").iterator(chunk_size=FETCH_ROWS):
        ids.setdefault((facet, value), []).append(pk)
    for (facet, value), pks in ids.items():
        yield facet, value, pks


def _published_by_title() -> list[int]:
    """The published projects' ids in the list's title order, as the database sorts them."""
    published = Project.objects.published()
    if connection.vendor == "postgresql":  # one array: 100,000 ids as rows cost the ORM 25 ms more
        return published.aggregate(ids=ArrayAgg("pk", order_by=("title_key", "pk")))["ids"] or []
    return list(published.order_by("title_key", "pk").values_list("pk", flat=True))


def _title_positions(ids: list[int]) -> array:
    positions = array("d", [NAN]) * (max(ids, default=0) + 1)
    for place, pk in enumerate(ids):
        positions[pk] = place
    return positions


def _title_neighbours(ids: Sequence[int]) -> QuerySet:
    """Each of these projects that is published, in title order, with the published projects just before and just
    after it in that order among the others."""
    unchanged = Project.objects.published().exclude(among("pk", ids))
    title, pk = OuterRef("title_key"), OuterRef("pk")
    before = unchanged.filter(title_key__lte=title).exclude(title_key=title, pk__gte=pk).order_by("-title_key", "-pk")
    after = unchanged.filter(title_key__gte=title).exclude(title_key=title, pk__lte=pk).order_by("title_key", "pk")
    return (
        Project.objects.published()
        .filter(among("pk", ids))
        .annotate(before=Subquery(before.values("pk")[:1]), after=Subquery(after.values("pk")[:1]))
        .order_by("title_key", "pk")
        .values_list("pk", "before", "after")
    )


# Compiled once: building its subqueries took 2 ms of the 2.2 a change's new places cost, the database 0.04.
TITLE_NEIGHBOURS = CompiledQuery(_title_neighbours)


def _titles_after_change(positions: array, pks: list[int]) -> array | None:
    """The title positions with these projects placed anew (a title changed, a project published or withdrawn):
    each between the two projects the database puts on either side of it among those unchanged, so no other
    position moves. None when that cannot be done (no room left between two places, a neighbour without a
    place): then they are read whole when next asked for."""
    positions = array("d", positions)
    for pk in pks:
        if pk < len(positions):
            positions[pk] = NAN
    # Projects with the same two neighbours, in the database's order, share the room between them.
    for (before_pk, after_pk), group in groupby(TITLE_NEIGHBOURS.rows(pks), key=lambda row: row[1:]):
        ids = [row[0] for row in group]
        low = None if before_pk is None else _position(positions, before_pk)
        high = None if after_pk is None else _position(positions, after_pk)
        if (before_pk is not None and low is None) or (after_pk is not None and high is None):
            return None
        if low is None and high is None:  # no other published project
            low, high = 0.0, len(ids) + 1.0
        elif low is None:
            low = high - len(ids) - 1
        elif high is None:
            high = low + len(ids) + 1
        step = (high - low) / (len(ids) + 1)
        placed = [low + step * (index + 1) for index in range(len(ids))]
        if not low < placed[0] or not placed[-1] < high or len(set(placed)) < len(placed):
            return None
        for project, place in zip(ids, placed, strict=True):
            positions.extend([NAN] * (project + 1 - len(positions)))
            positions[project] = place
    return positions


def _values_after_change(held, pks: list[int], touched: dict[tuple[str, str], list[int]]):
    """Each project's facet values (Bitmaps.tally) with those of these projects as the index now holds them."""
    keys, places, blocks = list(held[0]), dict(held[1]), list(held[2])
    found: dict[int, list[int]] = {pk: [] for pk in pks}
    for key, ids in touched.items():
        if key not in places:
            places[key] = len(keys)
            keys.append(key)
        for pk in ids:
            found[pk].append(places[key])
    copied = set()  # the blocks this change has its own copies of; the others stay shared with the bitmaps before
    for pk, values in found.items():
        block = pk >> BLOCK_BITS
        while len(blocks) <= block:
            copied.add(len(blocks))
            blocks.append([()] * BLOCK)
        if block not in copied:
            blocks[block] = list(blocks[block])
            copied.add(block)
        blocks[block][pk & BLOCK_MASK] = tuple(values)
    return keys, places, blocks


def _places_of(blocks: list[list[tuple]], pks: Iterable[int]) -> Iterator[tuple]:
    """The places of these projects' values (Bitmaps.tally), for those the blocks hold."""
    held = len(blocks) * BLOCK
    return (blocks[pk >> BLOCK_BITS][pk & BLOCK_MASK] for pk in pks if pk < held)


def _in_blocks(rows: list) -> list[list]:
    """`rows` (by project id) in blocks of BLOCK ids, the last one filled up with empty rows."""
    rows = rows + [()] * (-len(rows) % BLOCK)
    return [rows[start : start + BLOCK] for start in range(0, len(rows), BLOCK)]


def _position(positions: array, pk: int) -> float | None:
    place = positions[pk] if pk < len(positions) else NAN
    return None if isnan(place) else place


def _ids_by_period(today: dt.date) -> tuple[dict[str, list[int]], dict[tuple, list[int]]]:
    """The published projects' ids by status on the day, and by (start year, end year)."""
    published = Project.objects.published().order_by()
    if connection.vendor == "postgresql":
        statuses = published.annotate(status_code=project_status.status_case(today)).values("status_code")
        periods = published.annotate(start_year=ExtractYear("start"), end_year=ExtractYear("end"))
        return (
            dict(statuses.annotate(ids=ArrayAgg("pk")).values_list("status_code", "ids")),
            {
                (start, end): ids
                for start, end, ids in periods.values("start_year", "end_year")
                .annotate(ids=ArrayAgg("pk"))
                .values_list("start_year", "end_year", "ids")
            },
        )
    return _by_period(published.values_list("pk", "start", "end").iterator(FETCH_ROWS), today)


def _by_period(rows: Iterable[tuple[int, dt.date | None, dt.date | None]], today: dt.date):
    """The ids of these (id, start, end) rows by status on the day, and by (start year, end year)."""
    by_status: dict[str, list[int]] = {}
    by_period: dict[tuple, list[int]] = {}
    for pk, start, end in rows:
        by_status.setdefault(project_status.status_on(start, end, today), []).append(pk)
        by_period.setdefault((start and start.year, end and end.year), []).append(pk)
    return by_status, by_period


def _changed_values(ids: Sequence[int]) -> QuerySet:
    """Each of these projects' listed values and lead partner, with the label the index stores for the value."""
    stored = FacetCount.objects.filter(facet=OuterRef("facet"), value=OuterRef("value")).values("label")[:1]
    return (
        ProjectFacet.objects.filter(among("project_id", ids), facet__in=[*LISTED_FACETS, Facet.LEAD_PARTNER])
        .order_by()
        .annotate(label=Subquery(stored))
        .values_list("facet", "value", "project_id", "label")
    )


def _changed_periods(ids: Sequence[int]) -> QuerySet:
    """The periods of these projects, those that are published."""
    return Project.objects.published().filter(among("pk", ids)).order_by().values_list("pk", "start", "end")


# What a change's projects hold now, read by each process that brings its bitmaps up to date: compiled once, as
# building the two queries took longer than running them.
CHANGED_VALUES = CompiledQuery(_changed_values)
CHANGED_PERIODS = CompiledQuery(_changed_periods)


_current: Bitmaps | None = None
# The sets other filters (words, an organisation, a municipality) selected lately, each with the bitmaps' version
# it is true at: the same search asked again, paged through, or asked after an edit reads the database once.
# A set read for some projects only is kept with which: (version, set, the projects it is true for, or None).
_selections: dict[tuple[str, str], tuple[tuple[int, int], int, int | None]] = {}
SELECTIONS_KEPT = 64
# Words are asked about the projects the other filters leave when these are at most this share of the published.
ASKED_AMONG_AT_MOST = 0.2
_building = threading.Lock()


def forget_selections() -> None:
    """Forget the sets kept for searches and typed filters (the benchmark measures their first reading)."""
    _selections.clear()


def current_bitmaps(today: dt.date) -> Bitmaps:
    """The bitmaps of the index as it is now: kept while the index and the day are the same."""
    global _current
    stamp = IndexState.current()
    bitmaps = _current
    if bitmaps is not None and bitmaps.stamp == stamp and bitmaps.day == today:
        return bitmaps
    with _building:
        bitmaps = _current
        if bitmaps is None or bitmaps.day != today:
            bitmaps = _current = Bitmaps.build(stamp, today)
        elif bitmaps.stamp != stamp:
            bitmaps = _current = bitmaps.updated(stamp) or Bitmaps.build(stamp, today)
    return bitmaps


def warm_up() -> None:
    """Read the bitmaps and the title order now, before a visitor waits for them (gunicorn.conf.py calls this in
    each new process).

    A database that cannot be reached is no reason not to start: the first request reads them then.
    """
    try:
        bitmaps = current_bitmaps(timezone.localdate())
        bitmaps.title_positions()
        bitmaps.tally(0)  # each project's values, which a few projects' counts are tallied from
    except DatabaseError:
        logger.warning("The facets' bitmaps could not be read at start; the first request will read them")
    finally:
        # The process's threads open connections of their own; this one would only linger.
        connections.close_all()


# --- counting ------------------------------------------------------------------------------------


def facet_counts(project_filter: ProjectFilter, *, typed: bool = False, today: dt.date | None = None) -> Facets:
    """The options of each filter with their counts, for a bound and valid filter (or an unbound one).

    Options are those with at least one project, plus the one chosen even when it has none. With
    `typed`, the lead partners (chosen by typing on the page) are counted too, the TOP_TYPED first.
    """
    today = today or timezone.localdate()
    bitmaps = current_bitmaps(today)
    chosen = _chosen(project_filter)
    # The chosen filters whose options are counted below: the words are asked about the projects they can need.
    counted = {name for name in chosen if name in LISTED_FACETS or name in ("status", "year")}
    if typed and Facet.LEAD_PARTNER.value in chosen:
        counted.add(Facet.LEAD_PARTNER.value)
    selections = _selected_by_each(project_filter, bitmaps, chosen, counted)

    def leaving_out(name: str | None) -> int:
        return _all_but(bitmaps, selections, name)

    everything = leaving_out(None)
    options: dict[str, list[Option]] = {}
    tallies: dict[int, dict[tuple[str, str], int]] = {}  # by the projects counted over
    for kind in LISTED_FACETS:
        facet = kind.value
        base = leaving_out(facet) if facet in chosen else everything
        rows = bitmaps.by_facet.get(facet, [])
        picked = chosen.get(facet)
        if base is bitmaps.published:  # the index holds published projects only: nothing to intersect
            every = [Option(value, label, total) for value, _, total, label in rows]
        elif base.bit_count() <= TALLIED_AT_MOST:
            if base not in tallies:
                tallies[base] = bitmaps.tally(base)
            tally = tallies[base]
            every = [
                Option(value, label, count)
                for value, _, _, label in rows
                if (count := tally.get((facet, value), 0)) or value == picked
            ]
        else:
            every = [Option(value, label, (bitmap & base).bit_count()) for value, bitmap, _, label in rows]
        options[facet] = [option for option in every if option.count or option.value == picked]
        if picked and not any(option.value == picked for option in options[facet]):
            # A value the index does not hold: placed where it would be, with no projects.
            counts = {option.value: option.count for option in options[facet]}
            options[facet] = _options(kind, counts, bitmaps.labels, picked)
    base = leaving_out("status") if "status" in chosen else everything
    options["status"] = [
        Option(code, Status(code).label, (bitmaps.status[code] & base).bit_count())
        for code in Status.values
        if (bitmaps.status[code] & base) or code == chosen.get("status")
    ]
    base = leaving_out("year") if "year" in chosen else everything
    years = {year: (bitmap & base).bit_count() for year, bitmap in bitmaps.years.items()}
    options["year"] = [
        Option(str(year), str(year), count)
        for year, count in sorted(years.items(), reverse=True)
        if count or year == chosen.get("year")
    ]
    labels = dict(bitmaps.labels)
    if project_filter.is_bound:
        labels.update(project_filter.form.labels)  # the organisations chosen, read when the form checked them
    typed_chosen = [(kind, chosen[kind.value]) for kind in TYPED if kind.value in chosen]
    typed_chosen = [(kind, value) for kind, value in typed_chosen if (kind.value, value) not in labels]
    if typed_chosen:
        condition = Q(pk__in=[])
        for kind, value in typed_chosen:
            condition |= Q(facet=kind, value=value)
        labels.update(
            ((facet, value), label)
            for facet, value, label in FacetCount.objects.filter(condition).values_list("facet", "value", "label")
        )
    if typed:
        base = leaving_out(Facet.LEAD_PARTNER.value)
        options[Facet.LEAD_PARTNER.value] = _lead_partners(bitmaps, base, chosen, labels)
    return Facets(options, labels, everything.bit_count(), everything, bitmaps)


def matching_projects(project_filter: ProjectFilter, bitmaps: Bitmaps) -> int:
    """The projects a bound and valid filter gives (every published one for an unbound filter), as a bitmap: what
    `facet_counts` counts over, without counting any option (the API's list needs its count alone)."""
    selections = _selected_by_each(project_filter, bitmaps, _chosen(project_filter), counted=set())
    return _all_but(bitmaps, selections, None)


def _chosen(project_filter: ProjectFilter) -> dict:
    """The filters in use (a bound and valid filter's values that are not empty), but the sort."""
    cleaned = project_filter.form.cleaned_data if project_filter.is_bound else {}
    return {name: value for name, value in cleaned.items() if value not in (None, "", []) and name != "sort"}


def _selected_by_each(
    project_filter: ProjectFilter, bitmaps: Bitmaps, chosen: dict, counted: set[str]
) -> dict[str, int]:
    """The projects each chosen filter selects, as bitmaps. The words, the costliest to read, last: asked only
    about the projects every other filter selects, and those each `counted` filter's options need."""
    selections = {
        name: _selection(project_filter, bitmaps, name, value) for name, value in chosen.items() if name != "q"
    }
    if "q" in chosen:
        reach = _reach(bitmaps, selections, counted)
        selections["q"] = _selection(project_filter, bitmaps, "q", chosen["q"], reach)
    return selections


def _selection(project_filter: ProjectFilter, bitmaps: Bitmaps, name: str, value, reach: int | None = None) -> int:
    """The projects one filter alone selects, as a bitmap: from the bitmaps when it is a listed facet,
    a status or a year they hold; otherwise the ids the filter's own query selects, kept for later.

    `reach`: the only projects whose bit the caller needs (None: all). When they are few, only they are
    asked about (a word most projects contain, with three other filters: 60 ms of reading every search
    document against 10–35 ms of reading theirs), and the set is kept as true for them alone."""
    if name in LISTED_FACETS:
        return bitmaps.values.get((name, value), 0)
    if name == "status" and value in bitmaps.status:
        return bitmaps.status[value]
    if name == "year" and int(value) in bitmaps.years:
        return bitmaps.years[int(value)]
    key = (name, str(value))
    kept = _selections.pop(key, None)
    changed = bitmaps.changed_since(kept[0]) if kept is not None else None
    if changed is not None:
        _, selected, within = kept
        if changed:  # asked again about the projects the index changed since, and only about them
            among = _bits(changed)
            again = _bits(_ids_selected(project_filter, name, value, among=sorted(changed)))
            selected = (selected & ~among) | (again & bitmaps.published)
            within = None if within is None else within | among
        if within is not None and (reach is None or reach & ~within):
            changed = None  # kept for fewer projects than are needed now
    if changed is None:
        few = reach is not None and reach.bit_count() <= ASKED_AMONG_AT_MOST * bitmaps.published.bit_count()
        within = reach if few else None
        ids = _ids_selected(project_filter, name, value, among=list(_ids_of(within)) if few else None)
        selected = _bits(ids) & bitmaps.published
    _selections[key] = (bitmaps.version, selected, within)  # last in, the most recently used
    while len(_selections) > SELECTIONS_KEPT:
        _selections.pop(next(iter(_selections)))
    return selected


def _all_but(bitmaps: Bitmaps, selections: dict[str, int], left_out: str | None) -> int:
    """The published projects every chosen filter selects but `left_out` (what its choices are counted over)."""
    result = bitmaps.published
    for name, selected in selections.items():
        if name != left_out:
            result &= selected
    return result


def _reach(bitmaps: Bitmaps, selections: dict[str, int], counted: set[str]) -> int:
    """The projects whose bit of one more filter the counts can need: those every other chosen filter
    selects, and for each filter whose options are counted, those every other filter but it selects."""
    reach = _all_but(bitmaps, selections, None)
    for name in counted:
        reach |= _all_but(bitmaps, selections, name)
    return reach


def _ids_selected(project_filter: ProjectFilter, name: str, value, among: list[int] | None = None) -> list[int]:
    """The ids one filter selects (those of them `among` these, if given)."""
    chosen = project_filter.filters[name]
    if isinstance(chosen, FacetFilter) and connection.vendor == "postgresql":
        return _facet_ids(chosen.facet, value, among)
    return _fetch_ids(_selected_ids(project_filter, name, value), among)


# An organisation's or a municipality's projects: a statement of fixed shape, sent by the first view of every typed
# filter, so written once and prepared rather than built by the ORM on each view (0.9 → 0.5 ms). The database still
# plans it for each value: an organisation's projects number from one to thousands.
FACET_IDS = f"SELECT project_id FROM {ProjectFacet._meta.db_table} WHERE facet = %s AND value = %s"


def _facet_ids(facet: str, value: str, among: list[int] | None) -> list[int]:
    using = router.db_for_read(ProjectFacet)
    return _array_of_ids(FACET_IDS, [str(facet), value], among, using=using, prepared=True)


def _fetch_ids(ids: QuerySet, among: list[int] | None = None) -> list[int]:
    """The ids a one-column query selects (those of them `among` these, if given). On PostgreSQL as one
    array: a common word selects 100,000 ids, which as rows cost the ORM 25 ms more than the query itself;
    and `among` as one array too, however many they are."""
    if connection.vendor != "postgresql":
        if among is None:
            return list(ids)
        wanted = set(among)
        return [pk for pk in ids if pk in wanted]  # the embedded database holds few projects
    return _array_of_ids(*ids.query.sql_with_params(), among, using=ids.db)


def _array_of_ids(sql: str, params, among: list[int] | None, *, using: str, prepared: bool = False) -> list[int]:
    """The ids a one-column SELECT gives (those of them `among` these, if given), read on PostgreSQL as one array
    from the database `using`; `prepared`, for a statement written by hand, whose SQL the server can prepare
    (projects.sql.statement_cursor)."""
    sql, params = f"SELECT array_agg(selected.id) FROM ({sql}) AS selected(id)", list(params)
    if among is not None:
        sql += " WHERE selected.id = ANY(%s::bigint[])"
        params.append(AmongIds.parameter("postgresql", among))
    reading = connections[using]
    with statement_cursor(reading) if prepared else reading.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0] or []


def _selected_ids(project_filter: ProjectFilter, name: str, value) -> QuerySet:
    """The ids one filter selects, read from the index alone where it can be: the bitmaps know which projects
    are published, and joining the projects to learn it would double the work (a common word: 530 ms against
    340 ms at 100,000 projects)."""
    chosen = project_filter.filters[name]
    words = Words.parse(value) if name == "q" else None
    if isinstance(chosen, FacetFilter):
        return ProjectFacet.objects.filter(facet=chosen.facet, value=value).values_list("project_id", flat=True)
    if words:
        return documents_matching(words).values_list("project_id", flat=True)
    return chosen.filter(project_filter.queryset, value).order_by().values_list("pk", flat=True)


def _lead_partners(bitmaps: Bitmaps, base: int, chosen: dict, labels: dict) -> list[Option]:
    """The lead partners with most projects among those the other filters leave, with their counts
    (and the one chosen, wherever it ranks)."""
    name = Facet.LEAD_PARTNER.value
    picked = chosen.get(name)
    if chosen.keys() - {name}:
        leads = bitmaps.leads()
        tally = Counter(leads[pk] for pk in _ids_of(base) if pk < len(leads) and leads[pk])
        counts = dict(tally.most_common(TOP_TYPED))
        if picked:
            counts[picked] = tally.get(picked, 0)
    else:
        stored = FacetCount.objects.filter(facet=name)
        counts = dict(stored.order_by("-count", "label").values_list("value", "count")[:TOP_TYPED])
        if picked and picked not in counts:
            counts[picked] = stored.filter(value=picked).values_list("count", flat=True).first() or 0
    found = FacetCount.objects.filter(facet=name, value__in=list(counts)).values_list("value", "label")
    labels.update(((name, value), label) for value, label in found)
    return _options(Facet.LEAD_PARTNER, counts, labels, picked)


def _label(kind: Facet, value: str, labels: dict) -> str:
    """A value's label: a vocabulary's, translated (the index keeps the code), or the one the index stores."""
    return _vocabulary_label(kind, value) or labels.get((kind.value, value), value)


def _vocabulary_label(facet: str, value: str):
    """The label of a vocabulary's code (a theme, a target group, a kind), translated when shown: the bitmaps that
    keep it serve every language. None for a value of another facet, or a code no longer in its vocabulary."""
    vocabulary = VOCABULARY_LABELS.get(facet)
    if vocabulary is not None and value in vocabulary.values:
        return vocabulary(value).label
    return None


def _list_position(kind: Facet) -> Callable[[str, str], object]:
    """Where a (value, label) goes in its list: a vocabulary's own order, names in Italian alphabetical order."""
    vocabulary = VOCABULARY_LABELS.get(kind)
    if vocabulary is not None:
        order = {code: index for index, code in enumerate(vocabulary.values)}
        return lambda value, label: order.get(value, len(order))
    return lambda value, label: sort_key(str(label))


def _offered(kind: Facet, value: str) -> bool:
    """False for a code no longer in its vocabulary: it cannot be chosen."""
    vocabulary = VOCABULARY_LABELS.get(kind)
    return vocabulary is None or value in vocabulary.values


def _in_list_order(kind: Facet, rows: list[tuple[str, int]], labels: dict) -> list[tuple[str, str, int]]:
    """(value, label, bitmap) of a listed facet's values, in the order its list shows them."""
    position = _list_position(kind)
    named = [(value, _label(kind, value, labels), bitmap) for value, bitmap in rows if _offered(kind, value)]
    return sorted(named, key=lambda row: position(row[0], row[1]))


def _options(kind: Facet, counts: dict[str, int], labels: dict, chosen: str | None) -> list[Option]:
    options = [
        Option(value, _label(kind, value, labels), count)
        for value, count in counts.items()
        if (count or value == chosen) and _offered(kind, value)
    ]
    if chosen and chosen not in counts:
        options.append(Option(chosen, _label(kind, chosen, labels), 0))
    if kind in TYPED:
        options.sort(key=lambda option: (-option.count, str(option.label)))
    else:
        position = _list_position(kind)
        options.sort(key=lambda option: position(option.value, option.label))
    return options
