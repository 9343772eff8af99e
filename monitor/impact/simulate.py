"""Simulated accounts with known image effects, for the tests and ``bench/impact.py``.

Where it sits: beside ``monitor.impact``, never in the data flow of a real run. It plays Amazon and the
shopper: for one (ASIN, keyword) it decides each day which variants the ads showed (stretches of one
variant, some days mixed half and half), draws the sightings a sweep would record (a few a day, at
marketplace-local times), and the ads day the seller's report would hold (impressions with a weekday
pattern, clicks from the true per-variant CTR times a weekday pattern times day-level lognormal noise,
orders from the clicks). The true effects are known, so an estimate can be checked against them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import numpy as np

from monitor.impact.join import AdsFact, SightingFact

TRAFFIC_WEEKDAYS = (1.0, 1.0, 0.95, 0.95, 0.9, 1.15, 1.2)  # Monday first: more searches at weekends
CTR_WEEKDAYS = (1.0, 1.02, 1.05, 1.0, 0.95, 0.9, 1.1)


@dataclass(frozen=True)
class Account:
    """One simulated (ASIN, keyword) and the truth behind its numbers."""

    asin: str = "B0SIMULATE"
    keyword: str = "camping chair"
    marketplace: str = "us"
    start: date = date(2026, 1, 1)
    days: int = 90
    impressions: float = 1000.0  # mean a day
    ctr: float = 0.008  # MAIN's CTR on an average day
    cvr: float = 0.10  # MAIN's conversion rate
    price: float = 30.0
    cpc: float = 0.9
    effects: Mapping[str, float] = field(default_factory=lambda: {"PT01": 1.0})  # CTR ratio to MAIN
    cvr_effects: Mapping[str, float] = field(default_factory=dict)  # CVR ratio to MAIN
    day_noise: float = 0.15  # lognormal sigma of the day's CTR (and, halved, of its CVR)
    shock_days: float = 0.0  # chance of a day far off the usual (a deal, a competitor out of stock)
    shock_noise: float = 0.5  # lognormal sigma of such a day's CTR
    traffic_noise: float = 0.2  # lognormal sigma of the day's impressions
    weekday_pattern: bool = True
    mixed_days: float = 0.3  # share of days that showed two variants half and half
    switch: float = 0.15  # chance a day starts a stretch of another variant
    sightings_per_day: int = 6
    days_without_sightings: float = 0.05  # blocked sweeps, machine off
    days_without_ads: float = 0.0


def simulate(
    account: Account, rng: np.random.Generator, zone: tzinfo
) -> tuple[list[SightingFact], list[AdsFact]]:
    """The sightings and ads days of ``account``; ``zone`` is the marketplace's reporting zone."""
    variants = ["MAIN", *account.effects]
    ratio = np.array([1.0, *account.effects.values()])
    cvr_ratio = np.array([account.cvr_effects.get(v, 1.0) for v in variants])
    traffic = TRAFFIC_WEEKDAYS if account.weekday_pattern else (1.0,) * 7
    ctr_week = CTR_WEEKDAYS if account.weekday_pattern else (1.0,) * 7
    sightings: list[SightingFact] = []
    ads: list[AdsFact] = []
    current = 0
    for i in range(account.days):
        day = account.start + timedelta(days=i)
        if len(variants) > 1 and rng.random() < account.switch:
            current = int(rng.choice([j for j in range(len(variants)) if j != current]))
        mix = np.zeros(len(variants))
        if len(variants) > 1 and rng.random() < account.mixed_days:
            other = int(rng.choice([j for j in range(len(variants)) if j != current]))
            mix[[current, other]] = 0.5
        else:
            mix[current] = 1.0
        if rng.random() >= account.days_without_sightings:
            sightings.extend(_sightings(account, day, mix, variants, rng, zone))
        if rng.random() < account.days_without_ads:
            continue
        weekday = day.weekday()
        impressions = int(
            rng.poisson(account.impressions * traffic[weekday] * rng.lognormal(0, account.traffic_noise))
        )
        noise = rng.lognormal(-(account.day_noise**2) / 2, account.day_noise)
        if rng.random() < account.shock_days:
            noise *= rng.lognormal(0, account.shock_noise)
        per_variant = rng.poisson(impressions * mix * ratio * account.ctr * ctr_week[weekday] * noise)
        cvr_noise = rng.lognormal(-(account.day_noise**2) / 8, account.day_noise / 2)
        orders = rng.binomial(per_variant, np.minimum(account.cvr * cvr_ratio * cvr_noise, 1.0))
        clicks = int(per_variant.sum())
        ads.append(
            AdsFact(
                marketplace=account.marketplace,
                day=day,
                asin=account.asin,
                keyword=account.keyword,
                impressions=impressions,
                clicks=clicks,
                orders=int(orders.sum()),
                sales=round(float(orders.sum()) * account.price, 2),
                cost=round(clicks * account.cpc, 2),
            )
        )
    return sightings, ads


def _sightings(
    account: Account,
    day: date,
    mix: np.typing.NDArray[np.float64],
    variants: list[str],
    rng: np.random.Generator,
    zone: tzinfo,
) -> list[SightingFact]:
    """Sweeps spread over the local day; each records which variant the ad showed."""
    n = account.sightings_per_day
    shown = rng.choice(len(variants), size=n, p=mix)
    out = []
    for k, index in enumerate(shown):
        local = datetime.combine(day, time(0, 30), tzinfo=zone) + timedelta(hours=24 * k / n)
        out.append(
            SightingFact(
                seen_at=local.astimezone(UTC),
                marketplace=account.marketplace,
                asin=account.asin,
                keyword=account.keyword,
                unit="grid",
                status="search",
                verdict="match",
                variant=variants[int(index)],
            )
        )
    return out
