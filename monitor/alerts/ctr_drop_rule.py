"""``ctr_drop``: a variant whose CTR is lower than MAIN's, its whole interval below zero. Pure.

Where it sits: after ``monitor.impact.estimate`` and before the outbox. ``monitor/impact_alerts.py``
estimates each (marketplace, ASIN, keyword) from the store at the end of a sweep and asks
``detect_ctr_drops`` which variants to tell about: those whose verdict is ``worse`` and that were not
told before for that keyword (once per variant and keyword; the outbox's cooldown applies on top).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from monitor.ads.keywords import normalise_keyword
from monitor.alerts.kinds import CTR_DROP, Detected
from monitor.impact.estimate import KeywordImpact
from monitor.impact.text import change, label, pct

MAIN = "MAIN"

# (marketplace, ASIN, normalised keyword, variant) of a ctr_drop already made
Told = tuple[str, str, str, str]


def told_key(marketplace: str, asin: str, keyword: str, variant: str) -> Told:
    return (marketplace, asin, normalise_keyword(keyword), variant)


def detect_ctr_drops(
    impact: KeywordImpact, told: Collection[Told], evidence: Mapping[str, int | None]
) -> list[Detected]:
    """One ``ctr_drop`` per non-MAIN variant judged ``worse`` and not told yet.

    ``evidence`` maps a variant to the id of its newest sighting for this keyword (its screenshot and
    ad image go into the email).
    """
    if impact.keyword is None:
        return []  # the pooled line: each keyword speaks for itself
    main = impact.variant(MAIN)
    found: list[Detected] = []
    for v in impact.variants:
        if v.variant == MAIN or v.verdict != "worse":
            continue
        if told_key(impact.marketplace, impact.asin, impact.keyword, v.variant) in told:
            continue
        main_ctr = pct(main.ctr) if main is not None else "–"
        span = ""
        if v.ctr_change_low is not None and v.ctr_change_high is not None:
            span = f" (95 % interval {change(v.ctr_change_low)} to {change(v.ctr_change_high)})"
        detail = (
            f"With {label(v.variant)} shown for “{impact.keyword}”, the click-through rate was "
            f"{change(v.ctr_change)} against MAIN{span}: {pct(v.ctr)} against {main_ctr}, from "
            f"{impact.first_day} to {impact.last_day} ({impact.days} days of ads data, {v.days:.1f} of them "
            "showing it). The interval includes the ordinary day-to-day variation."
        )
        found.append(
            Detected(
                kind=CTR_DROP,
                marketplace=impact.marketplace,
                asin=impact.asin,
                keyword=impact.keyword,
                variant=v.variant if v.variant != "UNKNOWN" else None,
                previous_variant=MAIN,
                sighting_id=evidence.get(v.variant),
                detail=detail,
            )
        )
    return found
