"""Impact numbers in words: how the report, the emails and the opt-out request write them. Pure.

Where it sits: after ``monitor.impact.estimate``; ``monitor/report/impact.py`` and the alert emails
format ``VariantImpact`` values with these, so a number reads the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from monitor.impact.estimate import KeywordImpact, VariantImpact
from monitor.impact.join import UNKNOWN_VARIANT

MAIN = "MAIN"
VERDICT_WORDS = {
    "worse": "worse",
    "better": "better",
    "no_difference": "no difference",
    "not_enough_data": "not enough data",
}


def label(variant: str) -> str:
    """How a variant is named to people: the join's UNKNOWN is an image not in the gallery."""
    return "not in gallery" if variant == UNKNOWN_VARIANT else variant


def colour_key(variant: str) -> str:
    """The report's colour name of a variant (its ``unknown`` is the join's UNKNOWN)."""
    return "unknown" if variant == UNKNOWN_VARIANT else variant


def pct(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f} %"


def tick(value: float) -> str:
    """An axis label of a rate: 0.6 %, 1.25 %, 2 %."""
    return f"{100 * value:.2f}".rstrip("0").rstrip(".") + " %"


def change(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:+.0f} %".replace("-", "−")


def interval(low: float | None, high: float | None, fmt: Callable[[float | None], str]) -> str:
    return "" if low is None or high is None else f"[{fmt(low)} … {fmt(high)}]"


def variant_row(v: VariantImpact) -> dict[str, Any]:
    """One row of the image tracking table, as text."""
    return {
        "variant": v.variant,
        "label": label(v.variant),
        "colour_key": colour_key(v.variant),
        "share": f"{100 * v.share:.0f} %",
        "days": f"{v.days:.1f}",
        "impressions": f"{v.impressions:,}",
        "clicks": f"{v.clicks:,}",
        "ctr": pct(v.ctr),
        "ctr_interval": interval(v.ctr_low, v.ctr_high, pct),
        "orders": f"{v.orders:,}",
        "cvr": pct(v.cvr, 1),
        "cvr_interval": interval(v.cvr_low, v.cvr_high, lambda x: pct(x, 1)),
        "change": "baseline" if v.variant == MAIN else change(v.ctr_change),
        "change_interval": interval(v.ctr_change_low, v.ctr_change_high, change),
        "verdict": v.verdict,
        "verdict_words": VERDICT_WORDS.get(v.verdict, v.verdict),
    }


def ctr_change_sentence(impact: KeywordImpact, variant: VariantImpact) -> str:
    """``PT03: CTR −48 % against MAIN (95 % interval −61 % to −30 %), 2026-10-01 to 2026-11-30``."""
    span = ""
    if variant.ctr_change_low is not None and variant.ctr_change_high is not None:
        span = f" (95 % interval {change(variant.ctr_change_low)} to {change(variant.ctr_change_high)})"
    period = f", {impact.first_day} to {impact.last_day}" if impact.first_day else ""
    return f"{label(variant.variant)}: CTR {change(variant.ctr_change)} against MAIN{span}{period}"
