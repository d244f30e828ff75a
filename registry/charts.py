"""The geometry of the site's pictures: year axes, periods on them, colour steps and bar lengths.

Pure Python on purpose (no Django): the template tags in registry/templatetags/pictures.py turn these numbers
into SVG, and the numbers test in microseconds.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# The years the registry's projects mostly fall in: every card's bar shares this axis so that cards compare at a
# glance; a project outside it widens its own axis rather than being cut.
CARD_FIRST_YEAR = 2014
CARD_LAST_YEAR = 2028

# Light to dark, from the site's accent blue (registry.css --accent #0b5cad); zero is a neutral grey so that "no
# projects" never reads as "a few".
SEQUENTIAL_PALETTE = ("#b7d0ee", "#86afe0", "#5189cb", "#2563ab", "#0a4480")
ZERO_FILL = "#eceef1"
MARKED_FILL = "#0b5cad"


def year_fraction(day: dt.date) -> float:
    """The date as a year with a fraction: 1 July 2024 is about 2024.5 (a day's start, so 1 January is exact)."""
    first = dt.date(day.year, 1, 1)
    length = (dt.date(day.year + 1, 1, 1) - first).days
    return day.year + (day - first).days / length


@dataclass(frozen=True, slots=True)
class YearAxis:
    """Whole years, from 1 January of `first` to 31 December of `last`."""

    first: int
    last: int

    @property
    def years(self) -> range:
        return range(self.first, self.last + 1)

    def position(self, day: dt.date, *, as_end: bool = False) -> float:
        """Where the day falls, 0 at the axis start and 1 at its end; an end is drawn to the close of its day."""
        value = year_fraction(day + dt.timedelta(days=1)) if as_end else year_fraction(day)
        return min(1.0, max(0.0, (value - self.first) / (self.last + 1 - self.first)))

    def year_position(self, year: int) -> float:
        """Where 1 January of the year falls."""
        return (year - self.first) / (self.last + 1 - self.first)


def year_axis(*days: dt.date | None, first: int | None = None, last: int | None = None) -> YearAxis:
    """The axis from `first` to `last`, widened to hold every day given (None ignored).

    Without `first` or `last`, the axis starts or ends with the earliest or latest of the days.
    """
    years = [day.year for day in days if day is not None]
    if not years and (first is None or last is None):
        raise ValueError("an axis needs at least one day or both of its years")
    low = min(years + ([first] if first is not None else []))
    high = max(years + ([last] if last is not None else []))
    return YearAxis(low, high)


def card_axis(start: dt.date | None, end: dt.date | None) -> YearAxis:
    return year_axis(start, end, first=CARD_FIRST_YEAR, last=CARD_LAST_YEAR)


@dataclass(frozen=True, slots=True)
class Span:
    """A period on an axis: from x0 to x1 (0..1). An open side runs to the axis's edge, where it is unknown."""

    x0: float
    x1: float
    open_start: bool
    open_end: bool


def period_span(start: dt.date | None, end: dt.date | None, axis: YearAxis) -> Span | None:
    """The period on the axis; None when neither bound is known."""
    if start is None and end is None:
        return None
    x0 = axis.position(start) if start else 0.0
    x1 = axis.position(end, as_end=True) if end else 1.0
    return Span(x0, max(x0, x1), open_start=start is None, open_end=end is None)


def tick_step(years: int, width: float, label_width: float) -> int:
    """Label every n-th year so that labels `label_width` wide do not touch on an axis `width` wide."""
    room = width / max(1, years)
    for step in (1, 2, 5, 10, 20, 50):
        if room * step >= label_width:
            return step
    return 100


def nice_ceiling(value: float) -> int:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ (whole numbers only) that is at least the value."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for factor in (1, 2, 2.5, 5, 10):
        candidate = factor * magnitude
        if candidate >= value and candidate == int(candidate):
            return int(candidate)
    return int(10 * magnitude)  # pragma: no cover - 10 × magnitude always qualifies


def count_steps(maximum: int, steps: int = len(SEQUENTIAL_PALETTE)) -> list[tuple[int, int]]:
    """Ranges of equal, round width from 1 up to the maximum: [(1, 25), (26, 50), ...]; empty when nothing counts.

    Never more than `steps` ranges, and never a range with no whole number in it.
    """
    if maximum <= 0:
        return []
    width = nice_ceiling(maximum / steps)
    ranges = []
    low = 1
    while low <= maximum:
        ranges.append((low, low + width - 1))
        low += width
    return ranges


def step_index(count: int, ranges: Sequence[tuple[int, int]]) -> int | None:
    """Which range the count falls in (None for zero or less)."""
    if count <= 0:
        return None
    for index, (low, high) in enumerate(ranges):
        if low <= count <= high:
            return index
    return len(ranges) - 1


def step_fills(ranges: Sequence[tuple[int, int]], palette: Sequence[str] = SEQUENTIAL_PALETTE) -> list[str]:
    """One colour per range, spread over the palette so that the last range is always the darkest."""
    if not ranges:
        return []
    if len(ranges) == 1:
        return [palette[-1]]
    last = len(palette) - 1
    return [palette[round(index * last / (len(ranges) - 1))] for index in range(len(ranges))]


def fill_for(count: int, ranges: Sequence[tuple[int, int]], fills: Sequence[str], zero: str = ZERO_FILL) -> str:
    index = step_index(count, ranges)
    return zero if index is None else fills[index]


def bar_lengths(counts: Iterable[int], longest: float = 100.0, shortest: float = 0.5) -> list[float]:
    """Bar lengths proportional to the counts, the largest `longest` long; a count above zero is never invisible."""
    counts = list(counts)
    top = max(counts, default=0)
    if top <= 0:
        return [0.0 for _ in counts]
    return [0.0 if count <= 0 else max(shortest, longest * count / top) for count in counts]


def label_x(x: float, text: str, font_size: float, low: float, high: float) -> tuple[float, str]:
    """Where to write a label about point x so that it stays between low and high: (x, text-anchor).

    Centred on x when it fits, else pushed against the nearer edge. Widths are estimated (0.6 em a character).
    """
    half = len(text) * font_size * 0.3
    if x - half < low:
        return low, "start"
    if x + half > high:
        return high, "end"
    return x, "middle"
