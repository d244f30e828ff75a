"""The site's pictures as inline SVG, drawn on the server from the registry's own data (`{% load pictures %}`).

No script, no tiles, no style attributes (the Content-Security-Policy refuses them): shapes take their look
from classes in static/css/pictures.css, and data-driven colours from presentation attributes such as fill.
Every picture comes with words that give the same figures (a caption, a table or a list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django import template
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from projects import periods
from registry import charts, italy

register = template.Library()


def _field(item, name: str, default=None):
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def _number(value: int) -> str:
    return number_format(value, force_grouping=True)


def _projects(count: int) -> str:
    return ngettext("%(count)s project", "%(count)s projects", count) % {"count": _number(count)}


# --- Regions map ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MapRegion:
    code: str
    name: str
    count: int
    url: str
    path: str
    fill: str
    marked: bool
    label: str  # the accessible name: "Piemonte: 120 projects", or the name alone on a marked map

    @property
    def linked(self) -> bool:
        return bool(self.url) and (self.marked or self.count > 0)

    @property
    def count_text(self) -> str:
        return _number(self.count)


def _region_code(value) -> str | None:
    code = str(value or "").strip().zfill(2)
    return code if code in italy.REGION_NAMES else None


@register.inclusion_tag("includes/pictures/regions_map.html")
def regions_map(regions: Iterable, caption: str = "", marked: bool = False, marked_label: str = "") -> dict:
    """A map of Italy's twenty regions, shaded by their counts, with a legend and a table of the same figures.

    `regions`: objects or dicts with `code` (ISTAT region code, "01" to "20"), `name`, `count` and, optionally,
    `url`; regions left out count 0, items with another code are ignored. A region with a count and a url is a
    link, named "Piemonte: 120 projects".

    `marked=True` is the variant for one project: every region given is marked in one colour, the rest are
    neutral, counts are not shown, and the words list the marked regions; the legend names them `marked_label`
    ("Marked regions" unless given).
    """
    given: dict[str, object] = {}
    for item in regions or ():
        code = _region_code(_field(item, "code"))
        if code:
            given[code] = item
    counts = {code: int(_field(item, "count", 0) or 0) for code, item in given.items()}
    ranges = [] if marked else charts.count_steps(max(counts.values(), default=0))
    fills = charts.step_fills(ranges)
    shapes = italy.shapes()
    drawn = []
    for code, path in shapes.paths.items():
        item = given.get(code)
        name = (
            str(_field(item, "name", "") or italy.REGION_NAMES[code]) if item is not None else italy.REGION_NAMES[code]
        )
        count = counts.get(code, 0)
        is_marked = marked and item is not None
        if marked:
            fill = charts.MARKED_FILL if is_marked else charts.ZERO_FILL
            label = name
        else:
            fill = charts.fill_for(count, ranges, fills)
            label = _("%(region)s: %(projects)s") % {"region": name, "projects": _projects(count)}
        url = str(_field(item, "url", "") or "") if item is not None else ""
        drawn.append(MapRegion(code, name, count, url, path, fill, is_marked, label))
    if marked:
        legend = [(charts.MARKED_FILL, marked_label or _("Marked regions")), (charts.ZERO_FILL, _("Other regions"))]
    else:
        legend = [(charts.ZERO_FILL, "0")] + [
            (fill, _number(low) if low == high else f"{_number(low)}–{_number(high)}")
            for (low, high), fill in zip(ranges, fills, strict=True)
        ]
    return {
        "caption": caption,
        "marked": marked,
        "view_box": shapes.view_box,
        "regions": drawn,
        "listed": [region for region in drawn if region.marked] if marked else drawn,
        "total": sum(counts.values()),
        "legend": legend,
        "credit": italy.MAP_CREDIT,
        "licence_url": italy.MAP_LICENCE_URL,
    }


# --- Bar chart -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    count: int
    url: str
    length: float  # per cent of the bar's track

    @property
    def count_text(self) -> str:
        return _number(self.count)


def _row(row) -> tuple[str, int, str]:
    if isinstance(row, Mapping):
        return str(row.get("label", "")), int(row.get("count") or 0), str(row.get("url") or "")
    if isinstance(row, (tuple, list)):
        label, count, url = (*row, None, None)[:3]
        return str(label), int(count or 0), str(url or "")
    return str(_field(row, "label", "")), int(_field(row, "count", 0) or 0), str(_field(row, "url", "") or "")


@register.inclusion_tag("includes/pictures/bar_chart.html")
def bar_chart(rows: Iterable, caption: str = "", label_heading: str = "", count_heading: str = "") -> dict:
    """Horizontal bars drawn inside a table: each row's label (a link when it has a url), its bar, its count.

    `rows`: (label, count, url-or-None) tuples, or dicts / objects with those keys, in the order to show.
    The table's caption is `caption`; its column headings (read by screen readers, hidden on screen) default to
    "Name" and "Projects", or `label_heading` and `count_heading`.
    """
    read = [_row(row) for row in rows or ()]
    # The longest bar leaves room on its line for its count.
    lengths = charts.bar_lengths([count for _label, count, _url in read], longest=82.0)
    bars = [
        Bar(label, count, url, round(length, 2)) for (label, count, url), length in zip(read, lengths, strict=True)
    ]
    return {
        "caption": caption,
        "bars": bars,
        "label_heading": label_heading or _("Name"),
        "count_heading": count_heading or _("Projects"),
    }


# --- Period bar (project cards) -----------------------------------------------------------------

# Opacity steps for a side of a period the sources leave open: it fades towards the axis's edge.
FADE = (0.55, 0.35, 0.2, 0.1)
_CAP = 1.2  # width (per cent of the axis) of the solid mark at a known bound beside an open side


def _fade_rects(x0: float, x1: float, *, towards_end: bool, y: str, height: str) -> list[str]:
    width = (x1 - x0) / len(FADE)
    if width <= 0:
        return []
    steps = FADE if towards_end else FADE[::-1]
    # A hair wider than a step, so that no seam shows between steps.
    return [
        f'<rect class="span" x="{x0 + index * width:.2f}" y="{y}" width="{width + 0.05:.2f}" height="{height}" '
        f'fill-opacity="{opacity}"/>'
        for index, opacity in enumerate(steps)
    ]


def _span_rects(span: charts.Span, scale: float, *, offset: float = 0.0, y: str = "0", height: str) -> str:
    """The span as rects on an axis `scale` units long starting at `offset`: solid where known, fading where open."""
    x0, x1 = offset + span.x0 * scale, offset + span.x1 * scale
    cap = _CAP * scale / 100
    if span.open_end:
        solid = f'<rect class="span" x="{x0:.2f}" y="{y}" width="{cap:.2f}" height="{height}"/>'
        return "".join([solid, *_fade_rects(x0 + cap, x1, towards_end=True, y=y, height=height)])
    if span.open_start:
        solid = f'<rect class="span" x="{max(x0, x1 - cap):.2f}" y="{y}" width="{cap:.2f}" height="{height}"/>'
        return "".join([*_fade_rects(x0, x1 - cap, towards_end=False, y=y, height=height), solid])
    width = max(x1 - x0, cap / 2)
    return f'<rect class="span" x="{x0:.2f}" y="{y}" width="{width:.2f}" height="{height}"/>'


def _day(value) -> dt.date | None:
    """A date, also from the ISO text a raw database row may hold."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


@register.simple_tag
def period_bar(card, today: dt.date | None = None) -> SafeString:
    """A small bar of the card's period (`card.start`, `card.end`, dates or None) on the years 2014–2028, widened
    when the period falls outside; an open side fades to the axis's edge, and a mark shows `today` (the local date
    unless given: a list gives it once for its cards). Decorative: the card says the period in words, so the
    picture is hidden from screen readers. Nothing when neither bound is known.
    """
    start, end = _day(getattr(card, "start", None)), _day(getattr(card, "end", None))
    if start is None and end is None:
        return mark_safe("")
    axis = charts.card_axis(start, end)
    span = charts.period_span(start, end, axis)
    if today is None:
        today = timezone.localdate()
    parts = [
        '<div class="period-bar" aria-hidden="true">',
        f'<span class="period-bar-year">{axis.first}</span>',
        '<svg class="period-bar-svg" viewBox="0 0 100 6" preserveAspectRatio="none" focusable="false">',
        '<rect class="track" y="1.5" width="100" height="3"/>',
        _span_rects(span, 100.0, height="6"),
    ]
    if axis.first <= today.year <= axis.last:
        parts.append(f'<rect class="today" x="{axis.position(today) * 100 - 0.2:.2f}" width="0.4" height="6"/>')
    parts.append(f'</svg><span class="period-bar-year">{axis.last}</span></div>')
    # Every value above is a number made here: nothing from the card reaches the markup.
    return mark_safe("".join(parts))


# --- Timeline (project page) --------------------------------------------------------------------

# The viewBox is narrow so that its text stays legible when a phone draws it 360 px wide.
WIDTH, LEFT, RIGHT = 360.0, 10.0, 350.0
LABEL_FONT, YEAR_FONT = 12.0, 10.5


def bound_words(bound: periods.Bound) -> str:
    """The bound in words at its precision, in the page's language ("maggio 2024", "May 2024")."""
    return bound.label(translation.get_language() or "it")


def _today_words(today: dt.date) -> str:
    return bound_words(periods.Bound(today, periods.Precision.DAY))


@register.inclusion_tag("includes/pictures/timeline.html")
def timeline(project) -> dict:
    """The project's period on a year axis, with its start and end in words and today marked; nothing when the
    sources give neither bound. The period in words is on the page beside it, so the figure's caption says what the
    picture shows and the SVG carries the period as its name.
    """
    start_bound = getattr(project, "start_bound", None)
    end_bound = getattr(project, "end_bound", None)
    if start_bound is None and end_bound is None:
        return {"show": False}
    today = timezone.localdate()
    start = start_bound.date if start_bound else None
    end = end_bound.date if end_bound else None
    # A year of margin on each side, room for an open side to fade in, and always today's year.
    axis = charts.year_axis(
        today,
        first=start.year - 1 if start else end.year - 3,
        last=end.year + 1 if end else max(today.year, start.year + 2) + 1,
    )
    span = charts.period_span(start, end, axis)
    scale = RIGHT - LEFT
    start_words = bound_words(start_bound) if start_bound else _("start not stated")
    end_words = bound_words(end_bound) if end_bound else _("end not stated")
    start_x, start_anchor = charts.label_x(LEFT + span.x0 * scale, start_words, LABEL_FONT, LEFT, RIGHT)
    end_x, end_anchor = charts.label_x(LEFT + span.x1 * scale, end_words, LABEL_FONT, LEFT, RIGHT)
    step = charts.tick_step(len(axis.years), scale, YEAR_FONT * 3.2)
    ticks = [
        {
            "x": round(LEFT + axis.year_position(year) * scale, 2),
            "label": str(year) if (year - axis.first) % step == 0 else "",
            "label_x": round(LEFT + (axis.year_position(year) + 0.5 / len(axis.years)) * scale, 2),
        }
        for year in axis.years
    ]
    if start_bound and end_bound:
        name = _("Period: from %(start)s to %(end)s") % {"start": start_words, "end": end_words}
    elif start_bound:
        name = _("Period: from %(start)s, end not stated") % {"start": start_words}
    else:
        name = _("Period: until %(end)s, start not stated") % {"end": end_words}
    return {
        "show": True,
        "view_box": f"0 0 {WIDTH:g} 76",
        "name": name,
        "span": mark_safe(_span_rects(span, scale, offset=LEFT, y="18", height="12")),
        "start_label": {
            "x": round(start_x, 2),
            "anchor": start_anchor,
            "text": start_words,
            "known": bool(start_bound),
        },
        "end_label": {"x": round(end_x, 2), "anchor": end_anchor, "text": end_words, "known": bool(end_bound)},
        "ticks": ticks,
        "axis_left": LEFT,
        "axis_right": RIGHT,
        "today_x": round(LEFT + axis.position(today) * scale, 2),
        "today_iso": today.isoformat(),
        "today_words": _today_words(today),
    }
