"""The report's share charts and variant colours: per keyword a 100 % stacked bar per day, as inline SVG.

Where it sits: inside the last step of the data flow (history -> HTML site). ``monitor.report.site``
hands ``build_chart`` the per-day counts that ``monitor.report.load`` had the database compute, and
the templates call ``render_chart`` and ``variant_colour``. Pure: no database, no files; every text is
escaped.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup, escape

from monitor.alerts.colours import VARIANT_COLOURS, variant_colour

__all__ = ["VARIANT_COLOURS", "VARIANT_ORDER", "build_chart", "category", "render_chart", "variant_colour"]

# Stacking order of the chart (MAIN at the bottom); the colours are alerts.colours', as in the emails.
VARIANT_ORDER: tuple[str, ...] = (
    "MAIN",
    *(f"PT{i:02d}" for i in range(1, 9)),
    "FRNT",
    "LEFT",
    "SIDE",
    "BACK",
    "ambiguous",
    "unknown",
)


def _variant_rank(label: str) -> tuple[float, str]:
    try:
        return (VARIANT_ORDER.index(label), label)
    except ValueError:  # a slot name ismon does not know: after the known ones, before ambiguous
        return (VARIANT_ORDER.index("ambiguous") - 0.5, label)


def category(verdict: str | None, variant: str | None) -> str:
    """What a sighting counts as in the charts: its variant when matched, else its verdict."""
    if verdict == "match" and variant:
        return variant
    return verdict if verdict in ("ambiguous", "unknown") else "unknown"


@dataclass(slots=True)
class Segment:
    label: str
    count: int
    colour: str
    x: float
    y: float
    width: float
    height: float


@dataclass(slots=True)
class Bar:
    day: date
    total: int
    segments: list[Segment]


@dataclass(slots=True)
class Chart:
    """A 100 % stacked bar per day; geometry in SVG user units, computed here, drawn by the template."""

    width: int
    height: int
    plot_left: int
    plot_top: int
    plot_width: int
    plot_height: int
    bars: list[Bar]
    legend: list[tuple[str, str, int]]  # label, colour, sightings
    ticks: list[tuple[float, str]]  # x, date label
    first: date | None
    last: date | None

    @property
    def segment_count(self) -> int:
        return sum(len(bar.segments) for bar in self.bars)


def build_chart(days: dict[date, dict[str, int]], *, width: int = 900, height: int = 220) -> Chart:
    """The stacked share chart of one keyword from ``{day: {label: count}}`` (days without data: gaps)."""
    left, top, right, bottom = 44, 10, 10, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    totals: dict[str, int] = defaultdict(int)
    for counts in days.values():
        for label, count in counts.items():
            totals[label] += count
    order = sorted(totals, key=_variant_rank)
    rank = {label: i for i, label in enumerate(order)}
    colours = {label: variant_colour(label) for label in order}
    legend = [(label, colours[label], totals[label]) for label in order]
    if not days:
        return Chart(width, height, left, top, plot_w, plot_h, [], legend, [], None, None)
    first, last = min(days), max(days)
    span = (last - first).days + 1
    slot = plot_w / span
    bar_w = max(slot * 0.85, 0.5) if span > 1 else min(plot_w, 60.0)
    bars: list[Bar] = []
    for day in sorted(days):
        counts = days[day]
        total = sum(counts.values())
        if total <= 0:
            continue
        x = left + (day - first).days * slot + (slot - bar_w) / 2
        y_bottom = float(top + plot_h)
        segments = []
        for label in sorted(counts, key=rank.__getitem__):
            count = counts[label]
            if count <= 0:
                continue
            h = plot_h * count / total
            y_bottom -= h
            segments.append(Segment(label, count, colours[label], x, y_bottom, bar_w, h))
        bars.append(Bar(day=day, total=total, segments=segments))
    ticks: list[tuple[float, str]] = []
    step = max(1, span // 6)
    for i in range(0, span, step):
        ticks.append((round(left + i * slot + slot / 2, 2), (first + timedelta(days=i)).strftime("%b %d")))
    return Chart(width, height, left, top, plot_w, plot_h, bars, legend, ticks, first, last)


def render_chart(chart: Chart, keyword: str) -> Markup:
    """The chart as inline SVG markup. Built here rather than in Jinja: a product page can hold
    thousands of segments, and this is the hot loop of the report. Every text is escaped."""
    if not chart.bars:
        return Markup('<p class="muted">No sightings yet.</p>')
    esc: dict[str, str] = {}

    def e(text: str) -> str:
        found = esc.get(text)
        if found is None:
            found = esc[text] = str(escape(text))
        return found

    c = chart
    out = ['<div class="legend">']
    for label, col, n in c.legend:
        out.append(
            f'<span><span class="sw" style="background: {e(col)}"></span>{e(label)} '
            f'<span class="muted">({n})</span></span>'
        )
    out.append("</div>")
    out.append(
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {c.width} {c.height}" '
        f'role="img" aria-label="Share of sightings per variant per day for {e(keyword)}" '
        f'data-bars="{len(c.bars)}" data-segments="{c.segment_count}"><g class="axis">'
    )
    right = c.plot_left + c.plot_width
    for pct in (0, 50, 100):
        y = c.plot_top + c.plot_height * (100 - pct) / 100
        out.append(
            f'<line x1="{c.plot_left}" x2="{right}" y1="{y:g}" y2="{y:g}" stroke="#e2e2e6"/>'
            f'<text x="{c.plot_left - 6}" y="{y + 3:g}" text-anchor="end">{pct}%</text>'
        )
    label_y = c.plot_top + c.plot_height + 16
    for x, label in c.ticks:
        out.append(f'<text x="{x:g}" y="{label_y}" text-anchor="middle">{e(label)}</text>')
    out.append("</g>")
    for bar in c.bars:
        day, total = bar.day.isoformat(), bar.total
        out.append(f'<g class="bar" data-day="{day}" data-total="{total}">')
        for seg in bar.segments:
            label = e(seg.label)
            out.append(
                f'<rect class="seg" data-variant="{label}" x="{seg.x:.2f}" y="{seg.y:.2f}" '
                f'width="{seg.width:.2f}" height="{seg.height:.2f}" fill="{e(seg.colour)}">'
                f"<title>{day} {label}: {seg.count} of {total} ({100 * seg.count / total:.0f} %)</title>"
                "</rect>"
            )
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))
