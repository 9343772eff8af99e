"""The join: per marketplace-local day, which variants the ads showed next to what the ads data says.

Where it sits: the first step of ``monitor.impact``. Its inputs are values the store (or the files of
``ismon impact --history/--ads``) produced: one ``SightingFact`` per own ad seen, one ``AdsFact`` per
ads day; its output is one ``DayRow`` per (marketplace, ASIN, keyword, local day), which
``monitor.impact.estimate`` models.

What counts:

* only Sponsored Products sightings (``grid`` and ``carousel`` units) on ``search`` pages; captcha,
  skipped and error visits and Sponsored Brands units (``brand``, ``video``) never count;
* a sighting belongs to the calendar day of its marketplace's zone (Amazon Ads reports days in that
  zone): 05:00 UTC is still the previous day in Los Angeles;
* a sighting whose image was not identified (verdict ``unknown`` or ``ambiguous``) counts as the
  variant ``UNKNOWN``, so its day's clicks are not credited to a variant it may not have been;
* ads days are matched to the sightings' keyword with ``normalise_keyword``; ads rows without an ASIN
  (ad groups advertising several of the seller's ASINs) cannot be credited to one ASIN and are left
  out; rows of several campaigns, ad groups or match types of one day are summed. Which rows count
  (each click once) is the ads stage's rule: ``monitor.ads.store.query_ads_days`` (exact-match
  Targeting rows instead of the same Search term rows), ``monitor.impact.facts`` for files.

A day with ads data but no sightings, or sightings but no ads data, is a known gap: its row says so
(``sightings == 0`` or ``impressions is None``); it is never read as zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from monitor.ads.keywords import normalise_keyword
from monitor.errors import UsageError

SP_UNITS = frozenset({"grid", "carousel"})
UNKNOWN_VARIANT = "UNKNOWN"  # an SP sighting whose image was not identified as one gallery variant


@dataclass(frozen=True, slots=True)
class SightingFact:
    """One own ad seen on one page visit (or one blocked/failed visit, which never counts)."""

    seen_at: datetime  # timezone-aware UTC
    marketplace: str
    asin: str | None
    keyword: str
    unit: str | None  # grid | carousel | brand | video
    status: str  # the page kind (search, captcha, ...), "skipped" or "error: ..."
    verdict: str | None  # match | ambiguous | unknown
    variant: str | None


@dataclass(frozen=True, slots=True)
class AdsFact:
    """One ads day row: a marketplace-local day of a search term (or targeted keyword) for one ASIN."""

    marketplace: str
    day: date
    asin: str | None  # None: the ad group advertises several own ASINs
    keyword: str  # as reported; matched with normalise_keyword
    impressions: int
    clicks: int
    orders: int
    sales: float
    cost: float
    report: str = "search_term"  # search_term | targeting


@dataclass(frozen=True, slots=True)
class DayRow:
    """One marketplace-local day of one (marketplace, ASIN, keyword): what was shown, what happened.

    ``shares`` maps each variant to its fraction of the day's SP sightings (empty when there were none);
    the ads numbers are None when there is no ads data for the day.
    """

    marketplace: str
    asin: str
    keyword: str
    day: date
    shares: Mapping[str, float] = field(default_factory=dict)
    sightings: int = 0
    impressions: int | None = None
    clicks: int | None = None
    orders: int | None = None
    sales: float | None = None
    cost: float | None = None

    @property
    def has_ads(self) -> bool:
        return self.impressions is not None

    @property
    def complete(self) -> bool:
        """Both halves known: the day can be used for estimation."""
        return self.sightings > 0 and self.impressions is not None


def counts_for_impact(fact: SightingFact) -> bool:
    """Whether a sighting is a Sponsored Products ad seen on a normal search page."""
    return fact.asin is not None and fact.unit in SP_UNITS and fact.status == "search"


def sighting_variant(fact: SightingFact) -> str:
    return fact.variant if fact.verdict == "match" and fact.variant else UNKNOWN_VARIANT


_Key = tuple[str, str, str]  # (marketplace, ASIN, normalised keyword)


def _zone(zones: Mapping[str, tzinfo], marketplace: str) -> tzinfo:
    try:
        return zones[marketplace]
    except KeyError:
        raise UsageError(f"no time zone for marketplace {marketplace!r}") from None


class _LocalDays:
    """UTC time -> marketplace-local date, remembered per quarter hour (every zone offset and every
    daylight-saving switch falls on a quarter hour), so a year of sightings costs a few thousand
    zone conversions rather than one per sighting."""

    def __init__(self, zones: Mapping[str, tzinfo]) -> None:
        self.zones = zones
        self.cache: dict[tuple[str, int], date] = {}

    def __call__(self, marketplace: str, at: datetime) -> date:
        key = (marketplace, int(at.timestamp()) // 900)
        day = self.cache.get(key)
        if day is None:
            zone = _zone(self.zones, marketplace)
            day = self.cache[key] = datetime.fromtimestamp(key[1] * 900, zone).date()
        return day


def join_days(
    sightings: Iterable[SightingFact], ads: Iterable[AdsFact], zones: Mapping[str, tzinfo]
) -> list[DayRow]:
    """One ``DayRow`` per (marketplace, ASIN, keyword, local day) with sightings or ads data.

    The (ASIN, keyword) pairs are those the sightings name; ads rows of other search terms are left
    out. Rows come sorted by marketplace, ASIN, keyword and day.
    """
    local_day = _LocalDays(zones)
    per_day: dict[tuple[_Key, date], Counter[str]] = defaultdict(Counter)
    display: dict[_Key, str] = {}  # the keys the sightings name, with their keyword as shown
    norms: dict[str, str] = {}
    for fact in sightings:
        if fact.asin is None:
            continue
        norm = norms.get(fact.keyword)
        if norm is None:
            norm = norms[fact.keyword] = normalise_keyword(fact.keyword)
        key = (fact.marketplace, fact.asin, norm)
        if key not in display:
            display[key] = " ".join(fact.keyword.split())
        if fact.status == "search" and fact.unit in SP_UNITS:
            per_day[(key, local_day(fact.marketplace, fact.seen_at))][sighting_variant(fact)] += 1

    ads_days = _ads_by_day(ads, set(display))
    rows: list[DayRow] = []
    for key, day in sorted(set(per_day) | set(ads_days)):
        counts = per_day.get((key, day), Counter())
        total = sum(counts.values())
        shares = {variant: n / total for variant, n in sorted(counts.items())} if total else {}
        numbers = ads_days.get((key, day))
        rows.append(
            DayRow(
                marketplace=key[0],
                asin=key[1],
                keyword=display[key],
                day=day,
                shares=shares,
                sightings=total,
                impressions=numbers[0] if numbers else None,
                clicks=numbers[1] if numbers else None,
                orders=numbers[2] if numbers else None,
                sales=numbers[3] if numbers else None,
                cost=numbers[4] if numbers else None,
            )
        )
    return rows


def _check(fact: AdsFact) -> None:
    """Refuse numbers no ads report can hold: they would turn into confident nonsense."""
    problem = ""
    if min(fact.impressions, fact.clicks, fact.orders, fact.sales, fact.cost) < 0:
        problem = "negative numbers"
    elif fact.clicks > fact.impressions:
        problem = f"more clicks than impressions ({fact.clicks} > {fact.impressions})"
    if problem:
        raise UsageError(
            f"ads day {fact.day.isoformat()} {fact.marketplace} {fact.asin} {fact.keyword!r}: {problem}"
        )


def _ads_by_day(
    ads: Iterable[AdsFact], keys: set[_Key]
) -> dict[tuple[_Key, date], tuple[int, int, int, float, float]]:
    """Ads numbers per (key, day), summed over the campaigns, ad groups and match types given."""
    sums: dict[tuple[_Key, date], list[float]] = {}
    for fact in ads:
        if fact.asin is None:
            continue
        key = (fact.marketplace, fact.asin, normalise_keyword(fact.keyword))
        if key not in keys:
            continue
        _check(fact)
        row = sums.setdefault((key, fact.day), [0, 0, 0, 0.0, 0.0])
        row[0] += fact.impressions
        row[1] += fact.clicks
        row[2] += fact.orders
        row[3] += fact.sales
        row[4] += fact.cost
    return {k: (int(s[0]), int(s[1]), int(s[2]), s[3], s[4]) for k, s in sums.items()}
