"""Horizontal bar charts as plain data (pure); templates/report_macros.html draws them as HTML/CSS boxes.

No chart library: a bar is a row of absolutely positioned boxes whose widths are percentages of
the track, so WeasyPrint lays them out like any other box, the labels stay real text (searchable,
copyable, in the one embedded font), and the PDF stays small. Colours are greys and a hatch, so a
photocopy keeps the segments apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

#: Segment styles (report.css): dark, mid grey, hatched, light grey, white.
GOOD, FAIR, BAD, OPEN, NONE = "seg-good", "seg-fair", "seg-bad", "seg-open", "seg-none"


@dataclass(frozen=True)
class Segment:
    """One box of a bar: ``left`` and ``width`` in percent of the track."""

    left: float
    width: float
    css: str
    title: str


@dataclass(frozen=True)
class Bar:
    """One row of a chart: a label, its segments, the figure printed after the bar."""

    label: str
    segments: tuple[Segment, ...]
    value: str
    group: bool = False      # a heading row (合计) printed stronger


@dataclass(frozen=True)
class Marker:
    """A vertical target line at ``at`` percent."""

    at: float
    label: str


@dataclass(frozen=True)
class Chart:
    """A chart: title, bars, legend (style, label) and target lines."""

    title: str
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str], ...] = ()
    markers: tuple[Marker, ...] = ()
    note: str = ""


def stacked_bar(label: str, parts: Sequence[tuple[int, str, str]], total: int, value: str, *,
                group: bool = False) -> Bar:
    """A bar of ``parts`` (count, style, name) stacked left to right, 100% = ``total``; empty parts are left out."""
    segments, before = [], Fraction(0)
    for count, css, name in parts:
        if count <= 0 or total <= 0:
            continue
        share = Fraction(100 * count, total)
        left = round(float(before), 3)
        segments.append(Segment(left, round(float(before + share), 3) - left, css, f"{name} {count}"))
        before += share
    return Bar(label, tuple(segments), value, group)


def markers(targets: Sequence[tuple[str, float]]) -> tuple[Marker, ...]:
    """Target lines from (name, percent) pairs."""
    return tuple(Marker(float(at), f"{name} {at:g}%") for name, at in targets)
