"""What the simulated Ads API reports: the ad performance of the storefront scenario's own ASINs.

Where it sits: beside the simulated storefront, outside ismon's data flow. ``AdsWorld`` derives, from
the same ``Scenario`` the storefront serves, one exact-match keyword per (own ASIN, sponsored keyword)
in one campaign and ad group per ASIN, and for every day the impressions, clicks, spend, orders and
sales of each, deterministically (the same day always gives the same numbers, unless ``restated``).
``rows(report_type, start, end)`` gives them as Reporting v3 rows: the targeting report has every day,
the search term report only days with a click (as Amazon's), the advertised product report the sums
per ASIN. With ``auto_campaign`` there is also an auto-targeting ad group (target ``close-match``) that
advertises every own ASIN, as sellers often have: its days belong to no single ASIN.

Clicks follow a click-through rate computed per day from the variant the ad showed that day:
``AdsWorld.ctr`` (default ``baseline_ctr``: the same for every variant) is where a per-variant effect
goes, e.g. ``AdsWorld(scenario, ctr=lambda asin, kw, variant, day: 0.02 if variant == "MAIN" else
0.014)``; ``variant_on`` says which variant was shown on a day (default: the scenario's ``ad_variant``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from monitor.storefront.catalog import stable_int
from monitor.storefront.scenario import Scenario, norm_keyword

CtrModel = Callable[[str, str, str, date], float]  # (asin, keyword, variant, day) -> click-through rate
VariantOn = Callable[[str, str, date], str]  # (asin, keyword, day) -> the variant the ad showed


def baseline_ctr(asin: str, keyword: str, variant: str, day: date) -> float:
    """Two percent for every variant: no image effect (the impact team swaps in one with an effect)."""
    return 0.02


@dataclass(frozen=True)
class KeywordDay:
    """One (own ASIN, keyword) on one day, as Amazon would count it."""

    asin: str
    keyword: str
    day: date
    variant: str
    impressions: int
    clicks: int
    cost: float
    orders: int
    sales: float
    auto: bool = False  # traffic of the auto-targeting ad group (which advertises every own ASIN)


@dataclass
class AdsWorld:
    """The seller's Sponsored Products account behind the simulated Ads API."""

    scenario: Scenario
    currency: str = "USD"
    impressions_per_day: int = 600
    cost_per_click: float = 0.85
    conversion_rate: float = 0.12
    price: float = 29.99
    ctr: CtrModel = baseline_ctr
    variant_on: VariantOn | None = None
    restated: dict[date, float] = field(default_factory=dict)  # day -> factor Amazon later applied
    # An auto-targeting campaign whose one ad group advertises every own ASIN: its days have no single
    # ASIN (ismon stores them without one). Its traffic is ``auto_share`` of the exact keywords'.
    auto_campaign: bool = False
    auto_share: float = 0.3

    def targets(self) -> list[tuple[str, str]]:
        """(own ASIN, keyword) pairs with an exact-match keyword: where the ASIN has a sponsored ad."""
        own = [p.asin for p in self.scenario.products]
        pairs: dict[tuple[str, str], None] = {}
        for mapping in (self.scenario.sponsored, self.scenario.carousel):
            for keyword, asins in mapping.items():
                for asin in asins:
                    if asin in own:
                        pairs.setdefault((asin, norm_keyword(keyword)), None)
        return list(pairs)

    def campaign(self, asin: str, *, auto: bool = False) -> tuple[str, str]:
        """Campaign and ad group of ``asin``'s exact keywords (an ad group advertising only it), or of
        the auto campaign (one ad group advertising every own ASIN)."""
        product = self.scenario.product(asin)
        brand = product.brand if product else "Brand"
        if auto:
            return f"SP {brand} auto", "auto - all products"
        return f"SP {brand} {asin} - exact", f"{asin} keywords"

    def day(self, asin: str, keyword: str, day: date, *, auto: bool = False) -> KeywordDay:
        """The numbers of one keyword of one ASIN on one day (``auto``: its auto-targeting traffic)."""
        variant = (self.variant_on or self._scenario_variant)(asin, keyword, day)
        factor = self.restated.get(day, 1.0) * (self.auto_share if auto else 1.0)

        def jitter(name: str) -> float:  # 0.85 .. 1.15, stable per (asin, keyword, day, name)
            key = stable_int("ads", asin, keyword, day.isoformat(), name, "auto" if auto else "")
            return 0.85 + 0.3 * (key % 10_000) / 10_000

        impressions = round(self.impressions_per_day * jitter("imp") * factor)
        clicks = min(impressions, round(impressions * self.ctr(asin, keyword, variant, day) * jitter("ctr")))
        orders = min(clicks, round(clicks * self.conversion_rate * jitter("cvr")))
        return KeywordDay(
            asin=asin,
            keyword=keyword,
            day=day,
            variant=variant,
            impressions=impressions,
            clicks=clicks,
            cost=round(clicks * self.cost_per_click * jitter("cpc"), 2),
            orders=orders,
            sales=round(orders * self.price, 2),
            auto=auto,
        )

    def _scenario_variant(self, asin: str, keyword: str, day: date) -> str:
        return self.scenario.ad_variant(asin, keyword)

    def rows(self, report_type: str, start: date, end: date, columns: list[str]) -> list[dict[str, Any]]:
        """Reporting v3 rows of ``report_type`` for ``start``..``end``, with only ``columns``."""
        out: list[dict[str, Any]] = []
        day = start
        while day <= end:
            days = [self.day(asin, keyword, day) for asin, keyword in self.targets()]
            if self.auto_campaign:
                days += [self.day(asin, keyword, day, auto=True) for asin, keyword in self.targets()]
            if report_type == "spAdvertisedProduct":
                out.extend(
                    self._row(group, advertised=True) for group in _groups(days, lambda d: (d.auto, d.asin))
                )
            elif report_type == "spTargeting":  # an auto ad group has one target: close-match
                out.extend(
                    self._row(g)
                    for g in _groups(
                        days, lambda d: (d.auto, "", "") if d.auto else (d.auto, d.asin, d.keyword)
                    )
                )
            else:  # Amazon lists a search term only on days it had a click
                groups = _groups(days, lambda d: (d.auto, "" if d.auto else d.asin, d.keyword))
                out.extend(self._row(g, search_term=True) for g in groups if sum(d.clicks for d in g))
            day += timedelta(days=1)
        return [{c: row.get(c) for c in columns} for row in out]

    def _row(
        self, group: list[KeywordDay], *, search_term: bool = False, advertised: bool = False
    ) -> dict[str, Any]:
        """One report row for ``group`` (keyword days of one campaign and ad group), summed."""
        first = group[0]
        campaign, ad_group = self.campaign(first.asin, auto=first.auto)
        impressions, clicks = sum(d.impressions for d in group), sum(d.clicks for d in group)
        row: dict[str, Any] = {
            "date": first.day.isoformat(),
            "campaignName": campaign,
            "campaignId": stable_int("campaign", campaign) % 10**15,
            "adGroupName": ad_group,
            "adGroupId": stable_int("adgroup", campaign, ad_group) % 10**15,
            "campaignBudgetCurrencyCode": self.currency,
            "impressions": impressions,
            "clicks": clicks,
            "cost": round(sum(d.cost for d in group), 2),
            "purchases7d": sum(d.orders for d in group),
            "sales7d": round(sum(d.sales for d in group), 2),
            "clickThroughRate": round(clicks / impressions, 4) if impressions else 0.0,
        }
        if advertised:
            row.update(
                advertisedAsin=first.asin,
                advertisedSku=f"SKU-{first.asin[-4:]}",
                adId=stable_int("ad", campaign, first.asin) % 10**15,
            )
            return row
        kind = "TARGETING_EXPRESSION_PREDEFINED" if first.auto else "EXACT"
        target = "close-match" if first.auto else first.keyword
        row.update(
            keyword=None if first.auto else first.keyword,
            keywordId=stable_int("target", campaign, ad_group, target) % 10**15,
            keywordType=kind,
            matchType=kind,
            targeting=target,
        )
        if search_term:
            row["searchTerm"] = first.keyword
        return row


def _groups(
    days: list[KeywordDay], key: Callable[[KeywordDay], tuple[object, ...]]
) -> list[list[KeywordDay]]:
    """``days`` grouped by ``key``, in first-seen order."""
    out: dict[tuple[object, ...], list[KeywordDay]] = {}
    for d in days:
        out.setdefault(key(d), []).append(d)
    return list(out.values())
