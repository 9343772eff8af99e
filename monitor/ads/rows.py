"""The rows of an Amazon Ads report as values: what file parsing and the API client both produce.

Where it sits: the hand-off inside the ads stage. ``monitor.ads`` readers (console files, Reporting v3
downloads) turn each report into a ``Report`` of these rows; the ads store loads a ``Report`` so that
the days it covers replace what was stored for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

ReportKind = Literal["search_term", "targeting", "advertised_product"]
Source = Literal["file", "api"]


@dataclass(frozen=True)
class TermDay:
    """One row of a Search term or Targeting report: a day of one term in one ad group."""

    day: date  # marketplace-local, as Amazon reports it
    campaign: str
    ad_group: str
    keyword: str  # the customer search term, or the targeted keyword (Targeting report)
    match_type: str  # EXACT, PHRASE, BROAD, TARGETING_EXPRESSION, ... ("" when not given)
    impressions: int
    clicks: int
    cost: float
    orders: int
    sales: float
    currency: str  # ISO 4217, "" when the report does not say


@dataclass(frozen=True)
class AdvertisedDay:
    """One row of an Advertised product report: a day of one ASIN advertised in one ad group."""

    day: date
    campaign: str
    ad_group: str
    asin: str
    sku: str
    impressions: int
    clicks: int
    cost: float
    orders: int
    sales: float
    currency: str


@dataclass(frozen=True)
class Report:
    """One report's rows for one marketplace; ``terms`` or ``advertised`` by ``kind``."""

    kind: ReportKind
    marketplace: str
    source: Source
    terms: tuple[TermDay, ...] = ()
    advertised: tuple[AdvertisedDay, ...] = ()

    @property
    def days(self) -> frozenset[date]:
        rows: tuple[TermDay | AdvertisedDay, ...] = self.terms or self.advertised
        return frozenset(row.day for row in rows)
