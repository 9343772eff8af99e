"""What the simulated Ads API reports: the ad performance of the storefront scenario's own ASINs.

Where it sits: beside the simulated storefront, outside ismon's data flow. ``AdsWorld`` derives, from
the same ``Scenario`` the storefront serves, one exact-match keyword per (own ASIN, sponsored keyword)
in one campaign and ad group per ASIN, and for every day the impressions, clicks, spend, orders and
sales of each, deterministically (the same day always gives the same numbers, unless ``restated``).
``rows(report_type, start, end)`` gives them as Reporting v3 rows: the targeting report has every day,
the search term report only days with a click (as Amazon's), the advertised product report the sums
per ASIN.

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

    def campaign(self, asin: str) -> tuple[str, str]:
        """Campaign and ad group names of ``asin`` (one ad group advertising only it)."""
        product = self.scenario.product(asin)
        brand = product.brand if product else "Brand"
        return f"SP {brand} {asin} - exact", f"{asin} keywords"

    def day(self, asin: str, keyword: str, day: date) -> KeywordDay:
        """The numbers of one keyword of one ASIN on one day."""
        variant = (self.variant_on or self._scenario_variant)(asin, keyword, day)
        factor = self.restated.get(day, 1.0)

        def jitter(name: str) -> float:  # 0.85 .. 1.15, stable per (asin, keyword, day, name)
            return 0.85 + 0.3 * (stable_int("ads", asin, keyword, day.isoformat(), name) % 10_000) / 10_000

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
        )

    def _scenario_variant(self, asin: str, keyword: str, day: date) -> str:
        return self.scenario.ad_variant(asin, keyword)

    def rows(self, report_type: str, start: date, end: date, columns: list[str]) -> list[dict[str, Any]]:
        """Reporting v3 rows of ``report_type`` for ``start``..``end``, with only ``columns``."""
        out: list[dict[str, Any]] = []
        day = start
        while day <= end:
            days = [self.day(asin, keyword, day) for asin, keyword in self.targets()]
            if report_type == "spAdvertisedProduct":
                out.extend(self._advertised(days))
            else:
                for kd in days:
                    if report_type == "spSearchTerm" and kd.clicks == 0:
                        continue  # Amazon lists a search term only on days it had a click
                    out.append(self._term_row(kd, search_term=report_type == "spSearchTerm"))
            day += timedelta(days=1)
        return [{c: row.get(c) for c in columns} for row in out]

    def _base(self, asin: str, day: date) -> dict[str, Any]:
        campaign, ad_group = self.campaign(asin)
        return {
            "date": day.isoformat(),
            "campaignName": campaign,
            "campaignId": stable_int("campaign", campaign) % 10**15,
            "adGroupName": ad_group,
            "adGroupId": stable_int("adgroup", campaign, ad_group) % 10**15,
            "campaignBudgetCurrencyCode": self.currency,
        }

    @staticmethod
    def _metrics(impressions: int, clicks: int, cost: float, orders: int, sales: float) -> dict[str, Any]:
        return {
            "impressions": impressions,
            "clicks": clicks,
            "cost": cost,
            "purchases7d": orders,
            "sales7d": sales,
            "clickThroughRate": round(clicks / impressions, 4) if impressions else 0.0,
        }

    def _term_row(self, kd: KeywordDay, *, search_term: bool) -> dict[str, Any]:
        row = self._base(kd.asin, kd.day)
        row.update(self._metrics(kd.impressions, kd.clicks, kd.cost, kd.orders, kd.sales))
        row.update(
            keyword=kd.keyword,
            keywordId=stable_int("keyword", kd.asin, kd.keyword) % 10**15,
            keywordType="EXACT",
            matchType="EXACT",
            targeting=kd.keyword,
        )
        if search_term:
            row["searchTerm"] = kd.keyword
        return row

    def _advertised(self, days: list[KeywordDay]) -> list[dict[str, Any]]:
        rows = []
        for asin in dict.fromkeys(kd.asin for kd in days):
            mine = [kd for kd in days if kd.asin == asin]
            row = self._base(asin, mine[0].day)
            row.update(
                self._metrics(
                    sum(kd.impressions for kd in mine),
                    sum(kd.clicks for kd in mine),
                    round(sum(kd.cost for kd in mine), 2),
                    sum(kd.orders for kd in mine),
                    round(sum(kd.sales for kd in mine), 2),
                )
            )
            row.update(
                advertisedAsin=asin, advertisedSku=f"SKU-{asin[-4:]}", adId=stable_int("ad", asin) % 10**15
            )
            rows.append(row)
        return rows
