"""Where the nodes of an ego network go: one organisation in the centre, the others on a ring around it.

Pure geometry in the SVG's own units, with no Django imports. The picture is drawn for a phone first: at
390 px the 400-unit-wide view box is shown at about 358 px, so a 14-unit label is still 12.5 px, and labels
are cut to two short lines so that those on the left and right of the ring stay inside the box.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

WIDTH = HEIGHT = 400
CENTRE = (WIDTH / 2, HEIGHT / 2)
FONT_SIZE = 14
LINE_HEIGHT = 16
LINE_CHARS = 14  # about 110 units of text at 14 units a line; with LONGEST_WORD, what fits beside a side node
LABEL_LINES = 2
LONGEST_WORD = 16  # a line may stretch to this for one long word (Confcooperative) or for its "…"
# A ring taller than wide: labels beside the side nodes run outwards, those of the top and bottom nodes do not.
RING_X, RING_Y = 56, 140
NODE_RADIUS = (5.0, 13.0)  # the fewest and the most shared projects
LINE_WIDTH = (1.5, 7.0)
CENTRE_RADIUS = 17
LABEL_GAP = 5


@dataclass(frozen=True)
class Label:
    lines: list[str]
    x: float
    y: float  # the first line's baseline
    anchor: str  # "start", "middle" or "end", as SVG's text-anchor


@dataclass(frozen=True)
class Node:
    x: float
    y: float
    radius: float
    line_width: float
    label: Label


def label_lines(name: str, *, width: int = LINE_CHARS, lines: int = LABEL_LINES) -> list[str]:
    """`name` in at most `lines` lines of about `width` characters, broken between words and ending in "…" where
    cut. The lines put together read as the start of the name, in whole words (each line but the last keeps the
    space it was broken at): that is what a screen reader hears, and a link's accessible name must contain it.
    So a word longer than a line is given the whole line, up to LONGEST_WORD characters, rather than split."""
    result: list[str] = []
    current = ""
    for word in name.split():
        candidate = f"{current} {word}" if current else word
        if len(candidate) <= width or (not current and len(word) <= LONGEST_WORD):
            current = candidate
        elif current and len(result) + 1 < lines and len(word) <= LONGEST_WORD:
            result.append(current + " ")
            current = word
        elif current:
            return [*result, current.rstrip(",;:-–") + "…"]
        else:  # a word no line can hold: the only cut inside a word
            return [*result, word[: LONGEST_WORD - 1] + "…"]
    return [*result, current]


def scaled(value: int, most: int, bounds: tuple[float, float]) -> float:
    """`value` placed between `bounds` by its square root (areas grow with the count, not radii)."""
    low, high = bounds
    if most <= 1:
        return low
    return round(low + (high - low) * math.sqrt((value - 1) / (most - 1)), 1)


def ring_position(index: int, count: int) -> tuple[float, float]:
    """The `index`th of `count` places on the ring, clockwise from the top."""
    angle = 2 * math.pi * index / count
    return round(CENTRE[0] + RING_X * math.sin(angle), 1), round(CENTRE[1] - RING_Y * math.cos(angle), 1)


def place_label(name: str, x: float, y: float, radius: float) -> Label:
    """The label outside its node: above or below it at the top and bottom of the ring, beside it elsewhere."""
    lines = label_lines(name)
    dx, dy = x - CENTRE[0], y - CENTRE[1]
    if abs(dx) < RING_X * 0.45:
        if dy < 0:
            # The last line's baseline sits just above the node.
            first = y - radius - LABEL_GAP - 3 - LINE_HEIGHT * (len(lines) - 1)
        else:
            first = y + radius + LABEL_GAP + FONT_SIZE - 2
        return Label(lines, x, round(first, 1), "middle")
    anchor = "start" if dx > 0 else "end"
    # Centred vertically on the node: lines are about FONT_SIZE tall, baselines LINE_HEIGHT apart.
    first = y + FONT_SIZE / 2 - 2 - LINE_HEIGHT * (len(lines) - 1) / 2
    offset = radius + LABEL_GAP
    return Label(lines, round(x + offset if dx > 0 else x - offset, 1), round(first, 1), anchor)


def ego_layout(items: list[tuple[str, int]]) -> list[Node]:
    """One node per (name, shared projects) in `items`, most shared first, placed clockwise from the top."""
    if not items:
        return []
    most = max(count for _, count in items)
    nodes = []
    for index, (name, count) in enumerate(items):
        x, y = ring_position(index, len(items))
        radius = scaled(count, most, NODE_RADIUS)
        nodes.append(Node(x, y, radius, scaled(count, most, LINE_WIDTH), place_label(name, x, y, radius)))
    return nodes


def centre_label(name: str) -> Label:
    """The centre organisation's name, below its node (the lines under it are masked by the label's halo)."""
    lines = label_lines(name)
    return Label(lines, CENTRE[0], CENTRE[1] + CENTRE_RADIUS + LABEL_GAP + FONT_SIZE - 2, "middle")
