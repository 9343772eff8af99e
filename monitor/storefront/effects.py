"""What the demo store's images do to click-through: a real CTR effect per variant, and a rotation.

Where it sits: beside the simulated storefront and Ads API, outside ismon's data flow. ``ismon demo``
gives ``AdsWorld`` (``monitor/storefront/adsdata.py``) ``demo_ctr`` as its click-through model, so the
simulated Ads API reports more clicks on days an ad showed a lifestyle scene and far fewer on days it
showed an infographic; and it plays ``story_schedule`` day by day on the storefront for one ad (the
chair's "camping chair" ad), so ismon sees the images change and can measure what each one did.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta

from monitor.storefront.scenario import DEMO_CHAIR, Scenario, norm_keyword
from monitor.storefront.synthetic import variant_kind

BASE_CTR = 0.02
# CTR against MAIN by what the slot shows (storefront.synthetic.VARIANT_KINDS): a scene of the chair in
# use is clicked more, a busy infographic much less; the rest is close to MAIN.
KIND_EFFECTS: dict[str, float] = {
    "main": 1.0,
    "angle": 1.0,
    "lifestyle": 1.3,
    "infographic": 0.45,
    "side": 0.9,
    "comparison": 0.85,
    "detail": 0.5,
    "dimensions": 0.8,
}
STORY = (DEMO_CHAIR, "camping chair")  # the ad whose image the demo changes over the simulated days
# The story ad's images over the simulated days, in blocks as ImageSmith tends to show them: MAIN, then
# a lifestyle scene (PT02), then an infographic (PT03).
STORY_BLOCKS: tuple[tuple[str, float], ...] = (("MAIN", 0.36), ("PT02", 0.32), ("PT03", 0.32))


def effect(variant: str) -> float:
    """The CTR of ``variant`` relative to MAIN's."""
    return KIND_EFFECTS.get(variant_kind(variant), 1.0)


def demo_ctr(asin: str, keyword: str, variant: str, day: date) -> float:
    """The click-through rate of an own ad on ``day`` when it showed ``variant`` (``AdsWorld.ctr``)."""
    return BASE_CTR * effect(variant)


def story_schedule(first: date, days: int) -> dict[date, str]:
    """The variant the story ad shows on each of ``days`` days from ``first``."""
    schedule: dict[date, str] = {}
    start = 0.0
    for variant, fraction in STORY_BLOCKS:
        end = start + fraction * days
        for i in range(round(start), round(end)):
            schedule[first + timedelta(days=i)] = variant
        start = end
    return schedule


def shown_on(scenario: Scenario, schedule: Mapping[date, str]) -> Callable[[str, str, date], str]:
    """``AdsWorld.variant_on``: the schedule for the story ad on its days, else the scenario's variant."""

    def variant_on(asin: str, keyword: str, day: date) -> str:
        if (asin, norm_keyword(keyword)) == STORY and day in schedule:
            return schedule[day]
        return scenario.ad_variant(asin, keyword)

    return variant_on
