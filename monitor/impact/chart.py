"""The geometry of the daily CTR chart: days in, coordinates out. Pure.

Where it sits: after ``monitor.impact.join``. The report draws it as inline SVG
(``monitor/report/impact.py``) and the alert emails as a PNG (``monitor/alerts/ctr_drop.py``), both
from the same ``CtrChart``, so the two show the same picture.

What it shows, per marketplace-local day: a coloured band behind the plot for the variants the ads
displayed that day (a mixed day is split by the variants' shares, MAIN at the bottom), and the day's
CTR (clicks / impressions) as a point on a line. A day without ads data breaks the line; a day without
sightings has no band. Both are gaps, not zeros.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from monitor.impact.join import DayRow

MAIN = "MAIN"


@dataclass(frozen=True, slots=True)
class Band:
    day: date
    variant: str
    share: float
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Point:
    day: date
    x: float
    y: float
    ctr: float
    clicks: int
    impressions: int


@dataclass(frozen=True, slots=True)
class CtrChart:
    width: int
    height: int
    left: int
    top: int
    plot_width: int
    plot_height: int
    bands: tuple[Band, ...]
    lines: tuple[tuple[Point, ...], ...]  # runs of consecutive days with ads data
    y_ticks: tuple[tuple[float, float], ...]  # (y, ctr)
    x_ticks: tuple[tuple[float, date], ...]
    variants: tuple[str, ...]  # in the bands, MAIN first
    first: date | None
    last: date | None

    @property
    def points(self) -> tuple[Point, ...]:
        return tuple(p for line in self.lines for p in line)

    @property
    def empty(self) -> bool:
        return not self.bands and not self.lines


def _nice_step(value: float) -> float:
    """A round tick step at or above ``value`` (1, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten)."""
    if value <= 0:
        return 0.0025
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if step * power >= value * (1 - 1e-9):
            return float(step * power)
    return float(10 * power)


def _variant_order(variant: str) -> tuple[int, str]:
    return (0 if variant == MAIN else 2 if variant.upper() == "UNKNOWN" else 1, variant)


def ctr_chart(
    days: Sequence[DayRow], *, width: int = 900, height: int = 240, left: int = 52, bottom: int = 34
) -> CtrChart:
    """The chart of one (marketplace, ASIN, keyword)'s days (any order)."""
    top, right = 10, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    ordered = sorted(days, key=lambda d: d.day)
    if not ordered:
        return CtrChart(width, height, left, top, plot_w, plot_h, (), (), (), (), (), None, None)
    first, last = ordered[0].day, ordered[-1].day
    span = (last - first).days + 1
    slot = plot_w / span
    ctrs = [
        (d.clicks or 0) / d.impressions for d in ordered if d.impressions is not None and d.impressions > 0
    ]
    y_max = 4 * _nice_step(max(ctrs, default=0.0) * 1.05 / 4)
    bottom_y = float(top + plot_h)

    def x_of(day: date) -> float:
        return left + (day - first).days * slot

    bands: list[Band] = []
    variants: set[str] = set()
    lines: list[tuple[Point, ...]] = []
    run: list[Point] = []
    previous: date | None = None
    for d in ordered:
        x = x_of(d.day)
        y = bottom_y
        for variant in sorted(d.shares, key=_variant_order):
            share = d.shares[variant]
            if share <= 0:
                continue
            h = plot_h * share
            y -= h
            bands.append(Band(d.day, variant, share, x, y, slot, h))
            variants.add(variant)
        if d.impressions is None or d.impressions <= 0:
            if run:
                lines.append(tuple(run))
                run = []
            continue
        if run and previous is not None and (d.day - previous).days > 1:
            lines.append(tuple(run))
            run = []
        ctr = (d.clicks or 0) / d.impressions
        run.append(
            Point(d.day, x + slot / 2, bottom_y - plot_h * ctr / y_max, ctr, d.clicks or 0, d.impressions)
        )
        previous = d.day
    if run:
        lines.append(tuple(run))
    y_ticks = tuple((bottom_y - plot_h * f, y_max * f) for f in (0.0, 0.25, 0.5, 0.75, 1.0))
    step = max(1, math.ceil(span / 7))
    x_ticks = tuple(
        (x_of(first + timedelta(days=i)) + slot / 2, first + timedelta(days=i)) for i in range(0, span, step)
    )
    return CtrChart(
        width,
        height,
        left,
        top,
        plot_w,
        plot_h,
        tuple(bands),
        tuple(lines),
        y_ticks,
        x_ticks,
        tuple(sorted(variants, key=_variant_order)),
        first,
        last,
    )
