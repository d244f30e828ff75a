"""Periods as people write them in Italian, kept at the precision they were written with.

"2024 - 2027", "Maggio 2024 - Dicembre 2025", "36 mesi (2025 – 2028)", "01/03/2024 - 31/12/2025":
a start and an end, each a date plus a precision (year, month or day). A start is stored as the
first day it can mean and an end as the last, so that "active in 2019" is a plain date comparison,
while the precision says how much of that date the source actually gave. No day or month is
ever invented: rendering and export go through the precision.

A bound is stored as two fields, a date and its precision (`start`, `start_precision`); the
functions at the end of this module are the one place that turns a period into those fields and
back, for the seed, the import, the admin and the model alike.

Pure Python on purpose (no Django but for the translation of its messages, which are shown in the
language of the page or command that reads the period): fixtures, imports and admin forms all call it,
and it tests in microseconds.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext as _


class Precision(enum.StrEnum):
    """How much of a date the source gives (the registry's one precision; the model's choices are its values)."""

    YEAR = "year"
    MONTH = "month"
    DAY = "day"


class PeriodError(ValueError):
    """The text cannot be read as a period; the message says why, in plain words."""


MONTHS = {
    "gennaio": 1,
    "febbraio": 2,
    "marzo": 3,
    "aprile": 4,
    "maggio": 5,
    "giugno": 6,
    "luglio": 7,
    "agosto": 8,
    "settembre": 9,
    "ottobre": 10,
    "novembre": 11,
    "dicembre": 12,
}
MONTH_ABBREVIATIONS = {
    "gen": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "mag": 5,
    "giu": 6,
    "lug": 7,
    "ago": 8,
    "set": 9,
    "sett": 9,
    "ott": 10,
    "nov": 11,
    "dic": 12,
}
MONTH_NAMES = {number: name for name, number in MONTHS.items()}

_month_words = "|".join(sorted([*MONTHS, *MONTH_ABBREVIATIONS], key=len, reverse=True))
_BOUND = re.compile(
    rf"""
    (?P<numeric>(?P<nd>\d{{1,2}})[/.](?P<nm>\d{{1,2}})[/.](?P<ny>\d{{4}}))
    | (?P<iso>(?P<iy>\d{{4}})-(?P<im>\d{{1,2}})(?:-(?P<id>\d{{1,2}}))?)(?![\d])
    | (?P<worded>(?:(?P<wd>\d{{1,2}})\s+)?(?P<wm>{_month_words})\.?\s+(?P<wy>\d{{4}}))
    | (?P<monthyear>(?P<my_m>\d{{1,2}})/(?P<my_y>\d{{4}}))
    | (?P<year>\b\d{{4}}\b)
    """,
    re.VERBOSE,
)
_DURATION = re.compile(r"\b(\d{1,3})\s*mes[ei]\b")
# Words and signs that may stand between the parts of a period without changing its meaning.
_FILLER = re.compile(r"^(?:[\s\-,;:()]|\b(?:dal|dall|da|al|all|a|il|del|nel|fino|entro|e|periodo|durata)\b|')*$")
_UNTIL = re.compile(r"\b(?:fino|entro)\b")
_DASHES = re.compile(r"[\u2010-\u2015\u2212]")


@dataclass(frozen=True)
class Bound:
    """One end of a period: the date it stands for and how much of it the source gave."""

    date: dt.date
    precision: Precision

    def iso(self) -> str:
        """ISO 8601 at the source's precision: "2024", "2024-05" or "2024-05-01"."""
        if self.precision is Precision.YEAR:
            return f"{self.date.year:04d}"
        if self.precision is Precision.MONTH:
            return f"{self.date.year:04d}-{self.date.month:02d}"
        return self.date.isoformat()

    def label(self, language: str = "it") -> str:
        """The bound in words at its precision: "2024", "maggio 2024", "1 maggio 2024" (in English "May 2024")."""
        if self.precision is Precision.YEAR:
            return str(self.date.year)
        month = _words(language).months[self.date.month]
        if self.precision is Precision.MONTH:
            return f"{month} {self.date.year}"
        return f"{self.date.day} {month} {self.date.year}"


@dataclass(frozen=True)
class Period:
    start: Bound | None = None
    end: Bound | None = None
    duration_months: int | None = None

    def label(self, language: str = "it", *, duration: bool = True) -> str:
        """The period in one style whatever the source wrote: "maggio 2024 – dicembre 2025", "dal 2024",
        "fino a dicembre 2025", "2025 – 2028 (36 mesi)", "26 mesi"; "" when nothing is known."""
        return "".join(text for text, _iso in self.parts(language, duration=duration))

    def parts(self, language: str = "it", *, duration: bool = True) -> list[tuple[str, str]]:
        """The label in pieces, each with the ISO 8601 date it names ("" for the words between), so that a page
        can mark each date up for machines (<time datetime="2024-05">) while people read words."""
        words = _words(language)
        start, end = self.start, self.end
        pieces: list[tuple[str, str]] = []
        if start and end:
            pieces = [(start.label(language), start.iso()), (" – ", ""), (end.label(language), end.iso())]
        elif start:
            pieces = [(words.since[start.precision] + " ", ""), (start.label(language), start.iso())]
        elif end:
            pieces = [(words.until[end.precision] + " ", ""), (end.label(language), end.iso())]
        if duration and self.duration_months:
            months = words.duration(self.duration_months)
            pieces = [*pieces, (f" ({months})", "")] if pieces else [(months, "")]
        return pieces


@dataclass(frozen=True)
class _Words:
    months: dict[int, str]
    since: dict[Precision, str]  # before a start stated alone, by its precision ("dal 2024", "da maggio 2024")
    until: dict[Precision, str]
    one_month: str
    months_word: str

    def duration(self, months: int) -> str:
        return f"{months} {self.one_month if months == 1 else self.months_word}"


_ITALIAN = _Words(
    months=MONTH_NAMES,
    since={Precision.YEAR: "dal", Precision.MONTH: "da", Precision.DAY: "dal"},
    until={Precision.YEAR: "fino al", Precision.MONTH: "fino a", Precision.DAY: "fino al"},
    one_month="mese",
    months_word="mesi",
)
_ENGLISH = _Words(
    # Written out: calendar.month_name follows the process's locale, not the page's language.
    months={
        1: "January",
        2: "February",
        3: "March",
        4: "April",
        5: "May",
        6: "June",
        7: "July",
        8: "August",
        9: "September",
        10: "October",
        11: "November",
        12: "December",
    },  # fmt: skip
    since=dict.fromkeys(Precision, "from"),
    until=dict.fromkeys(Precision, "until"),
    one_month="month",
    months_word="months",
)


def _words(language: str) -> _Words:
    """Italian for Italian pages (and when no language is given), English for any other."""
    return _ITALIAN if not language or language.split("-")[0] == "it" else _ENGLISH


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = _DASHES.sub("-", text)
    return " ".join(text.lower().split())


def _make_date(year: int, month: int, day: int, source: str) -> dt.date:
    _check_year(year, source)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise PeriodError(_("«%(text)s» is not a calendar date") % {"text": source}) from None


def _bound_from_match(match: re.Match, *, as_end: bool) -> Bound:
    text = match.group(0)
    if match.group("numeric"):
        date = _make_date(int(match["ny"]), int(match["nm"]), int(match["nd"]), text)
        return Bound(date, Precision.DAY)
    if match.group("iso"):
        year, month = int(match["iy"]), int(match["im"])
        if match["id"]:
            return Bound(_make_date(year, month, int(match["id"]), text), Precision.DAY)
        return _month_bound(year, month, text, as_end=as_end)
    if match.group("worded"):
        word = match["wm"]
        month = MONTHS.get(word) or MONTH_ABBREVIATIONS[word]
        year = int(match["wy"])
        if match["wd"]:
            return Bound(_make_date(year, month, int(match["wd"]), text), Precision.DAY)
        return _month_bound(year, month, text, as_end=as_end)
    if match.group("monthyear"):
        return _month_bound(int(match["my_y"]), int(match["my_m"]), text, as_end=as_end)
    year = int(match["year"])
    _check_year(year, text)
    return Bound(dt.date(year, 12, 31) if as_end else dt.date(year, 1, 1), Precision.YEAR)


def _check_year(year: int, text: str) -> None:
    if not 1900 <= year <= 2200:
        raise PeriodError(_("«%(text)s» is not a plausible year") % {"text": text})


def _month_bound(year: int, month: int, text: str, *, as_end: bool) -> Bound:
    _check_year(year, text)
    if not 1 <= month <= 12:
        raise PeriodError(_("«%(text)s» has no month %(month)s") % {"text": text, "month": month})
    day = calendar.monthrange(year, month)[1] if as_end else 1
    return Bound(dt.date(year, month, day), Precision.MONTH)


def snap(value: dt.date, precision: Precision, *, as_end: bool) -> dt.date:
    """The first (start) or last (end) day that a date of this precision stands for."""
    if precision is Precision.YEAR:
        return dt.date(value.year, 12, 31) if as_end else dt.date(value.year, 1, 1)
    if precision is Precision.MONTH:
        return dt.date(value.year, value.month, calendar.monthrange(value.year, value.month)[1] if as_end else 1)
    return value


def parse_bound(text: str, *, as_end: bool = False) -> Bound:
    """Read one date as written ("maggio 2024", "2024", "01/03/2024", "2024-05").

    An end is stored as the last day it can mean, a start as the first.
    """
    cleaned = _normalise(text)
    match = _BOUND.fullmatch(cleaned)
    if not cleaned or not match:
        raise PeriodError(
            _("«%(text)s» is not a date (examples: 2024, maggio 2024, 01/03/2024)") % {"text": text.strip()}
        )
    return _bound_from_match(match, as_end=as_end)


def parse_period(text: str) -> Period:
    """Read a period as people write it; raise PeriodError when it cannot be read."""
    cleaned = _normalise(text)
    if not cleaned:
        raise PeriodError(_("the period is empty"))

    duration = None
    duration_match = _DURATION.search(cleaned)
    if duration_match:
        duration = int(duration_match.group(1))
        if duration == 0:
            raise PeriodError(_("a duration of 0 months is not a period"))
        cleaned = cleaned[: duration_match.start()] + " " + cleaned[duration_match.end() :]

    matches = list(_BOUND.finditer(cleaned))
    position = 0
    for match in matches:
        if not _FILLER.match(cleaned[position : match.start()]):
            raise _not_a_period(text, cleaned[position : match.start()])
        position = match.end()
    if not _FILLER.match(cleaned[position:]):
        raise _not_a_period(text, cleaned[position:])

    if len(matches) > 2:
        raise PeriodError(_("«%(text)s» has more than two dates") % {"text": text.strip()})
    if not matches:
        if duration is None:
            raise PeriodError(_("«%(text)s» has no dates and no duration") % {"text": text.strip()})
        return Period(duration_months=duration)

    if len(matches) == 1 and _UNTIL.search(cleaned[: matches[0].start()]):
        # "fino a dicembre 2025": the only date is the end.
        return Period(end=_bound_from_match(matches[0], as_end=True), duration_months=duration)
    start = _bound_from_match(matches[0], as_end=False)
    end = _bound_from_match(matches[1], as_end=True) if len(matches) == 2 else None
    check_order(start, end)
    return Period(start=start, end=end, duration_months=duration)


def _not_a_period(text: str, unexpected: str) -> PeriodError:
    return PeriodError(
        _("«%(text)s» is not a period (unexpected «%(unexpected)s»)")
        % {"text": text.strip(), "unexpected": unexpected.strip()}
    )


def check_order(start: Bound | None, end: Bound | None) -> None:
    if start and end and end.date < start.date:
        language = get_language() or "it"  # the bounds in the words of the message around them
        raise PeriodError(
            _("the end (%(end)s) comes before the start (%(start)s)")
            % {"end": end.label(language), "start": start.label(language)}
        )


def bound_from_iso(value: str, *, as_end: bool = False) -> Bound:
    """Read the export's own form back ("2024", "2024-05", "2024-05-01")."""
    if not re.fullmatch(r"\d{4}(?:-\d{2}(?:-\d{2})?)?", value.strip()):
        raise PeriodError(_("«%(text)s» is not an ISO 8601 date, month or year") % {"text": value})
    return parse_bound(value, as_end=as_end)


# --- Stored form ---------------------------------------------------------------------------------


def bound_fields(name: str, bound: Bound | None) -> dict:
    """A bound as the two fields that store it: {"start": date, "start_precision": "month"}, or empty ones."""
    if bound is None:
        return {name: None, f"{name}_precision": ""}
    return {name: bound.date, f"{name}_precision": bound.precision.value}


def period_fields(period: Period) -> dict:
    """The start and the end of a period as the four fields that store them."""
    return {**bound_fields("start", period.start), **bound_fields("end", period.end)}


def stored_bound(date: dt.date | None, precision: str) -> Bound | None:
    """A bound read back from its two fields (None when no date is stored)."""
    return Bound(date, _PRECISIONS[precision]) if date else None


# Read for each bound of each exported record: a dict is several times quicker than calling the enum.
_PRECISIONS = {precision.value: precision for precision in Precision}
