"""The image tracking table: one impact per (marketplace, ASIN, keyword), one pooled line per ASIN.

Where it sits: the exit of ``monitor.impact``. It groups the joined ``DayRow`` values, estimates each
group, and says in plain words what the shown mix of images cost or gained a week. The CLI prints it,
the report and the alerts read the same values. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from monitor.impact.estimate import (
    DEFAULT_SETTINGS,
    MAIN,
    EstimateSettings,
    KeywordImpact,
    VariantImpact,
    estimate,
)
from monitor.impact.join import DayRow


@dataclass(frozen=True)
class AsinImpact:
    """The impacts of one ASIN's keywords and the line pooled across them (None with one keyword)."""

    marketplace: str
    asin: str
    keywords: tuple[KeywordImpact, ...]
    pooled: KeywordImpact | None


def impact_table(
    days: Sequence[DayRow],
    settings: EstimateSettings = DEFAULT_SETTINGS,
    advance: Callable[[str], None] = lambda _label: None,
) -> list[AsinImpact]:
    """Estimate every (marketplace, ASIN, keyword) in ``days`` and pool each ASIN's keywords."""
    groups: dict[tuple[str, str], dict[str, list[DayRow]]] = defaultdict(lambda: defaultdict(list))
    for row in days:
        groups[(row.marketplace, row.asin)][row.keyword].append(row)
    out = []
    for (marketplace, asin), by_keyword in sorted(groups.items()):
        impacts = []
        for keyword, rows in sorted(by_keyword.items()):
            impacts.append(estimate(rows, settings))
            advance(f"{asin} {keyword}")
        pooled = None
        if len(by_keyword) > 1:
            pooled = estimate([r for rows in by_keyword.values() for r in rows], settings)
        out.append(AsinImpact(marketplace, asin, tuple(impacts), pooled))
    return out


def table_size(days: Sequence[DayRow]) -> int:
    """How many keyword estimates ``impact_table`` will make (for a progress bar)."""
    return len({(d.marketplace, d.asin, d.keyword) for d in days})


def _clicks(value: float) -> str:
    n = round(abs(value))
    return f"{n} click" if n == 1 else f"{n} clicks"


def _money(value: float) -> str:
    return f"{abs(value):,.2f}"


def weekly_sentence(impact: KeywordImpact) -> str:
    """What the shown mix cost or gained a week, against showing MAIN, in plain words."""
    others = [v for v in impact.variants if v.variant != MAIN]
    decided = [v for v in others if v.verdict in ("worse", "better")]
    if impact.weekly_clicks is None or not decided:
        return _undecided_sentence(impact, others)
    names = ", ".join(v.variant for v in decided)
    low = impact.weekly_clicks_low or 0.0
    high = impact.weekly_clicks_high or 0.0
    verb = "cost" if impact.weekly_clicks < 0 else "gained"
    sales = impact.weekly_sales
    money = f" and about {_money(sales)} in sales" if sales else ""
    return (
        f"Showing {names} instead of MAIN {verb} about {_clicks(impact.weekly_clicks)} a week "
        f"({_weekly_range(low, high)}){money}, "
        f"over {impact.days} days with both sightings and ads data."
    )


def _weekly_range(low: float, high: float) -> str:
    """The range of the weekly clicks in words; one that spans zero says it may be either."""
    if low >= 0:
        return f"between {round(low)} and {round(high)} gained"
    if high <= 0:
        return f"between {round(-high)} and {round(-low)} lost"
    return f"anywhere from {round(-low)} lost to {round(high)} gained: it may be either"


def _undecided_sentence(impact: KeywordImpact, others: Sequence[VariantImpact]) -> str:
    if not others:
        return "Only MAIN was shown: nothing to compare."
    if any(v.verdict == "not_enough_data" for v in others):
        return (
            "Not enough data to say what the other images cost: "
            + "; ".join(_why_not_enough(impact, v) for v in others if v.verdict == "not_enough_data")
            + "."
        )
    return (
        "No measurable cost or gain: the other images' CTR is within 15% of MAIN's, "
        "inside ordinary day-to-day swings."
    )


def _why_not_enough(impact: KeywordImpact, variant: VariantImpact) -> str:
    main = impact.variant(MAIN)
    settings = DEFAULT_SETTINGS
    if main is None or main.days < settings.min_days or main.clicks < settings.min_clicks:
        shown = 0.0 if main is None else main.days
        return (
            f"MAIN was shown on {shown:.1f} days with ads data ({0 if main is None else main.clicks} clicks)"
        )
    if variant.days < settings.min_days or variant.clicks < settings.min_clicks:
        return (
            f"{variant.variant} was shown on {variant.days:.1f} days with ads data ({variant.clicks} clicks; "
            f"ismon needs {settings.min_days:g} days and {settings.min_clicks:g} clicks)"
        )
    return f"{variant.variant}'s interval is still too wide to tell an effect from day-to-day swings"
