"""Estimation: each variant's CTR and CVR while it was shown, and its CTR change against MAIN.

Where it sits: after ``monitor.impact.join``. It takes the ``DayRow`` values of one (marketplace, ASIN,
keyword) — or of all keywords of an ASIN for the pooled line — and returns a ``KeywordImpact`` that the
CLI, the report and the alerts show. Pure: numbers in, numbers out.

The model (``monitor.impact.model``): each impression shows one image, so a day's expected clicks are
its impressions times the share-weighted mixture of the variants' CTRs, times weekday (and, pooled,
keyword) effects; the shares come from the day's sightings, calibrated for the noise of a few
sightings a day (``monitor.impact.shares``); the intervals are widened by the day-to-day variation the
data shows (quasi-likelihood scale). ``ctr_change`` is ``exp(b_v - b_MAIN) - 1`` with its interval
from the log scale.

CVR is the same model of orders on clicks, with each day's shares weighted by the variants' estimated
CTR (the clicks of a mixed day came more from the variant that is clicked more).

A variant gets ``not_enough_data`` below ``min_days`` days shown (the sum of its daily shares on days
with ads data) or ``min_clicks`` clicks credited to it, or when MAIN itself is below them; the values
were chosen with ``bench/impact.py`` (README: "Reading the impact table").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from monitor.impact.join import UNKNOWN_VARIANT, DayRow
from monitor.impact.model import RateFit, fit_rates, sum_to_zero
from monitor.impact.shares import calibrated_shares

Verdict = Literal["worse", "better", "no_difference", "not_enough_data"]
MAIN = "MAIN"
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class EstimateSettings:
    """The limits of an estimate; the defaults are the ones bench/impact.py justifies."""

    min_days: float = 7.0  # days the variant was shown (sum of daily shares), and the same for MAIN
    min_clicks: float = 30.0  # clicks credited to the variant, and the same for MAIN
    margin: float = 0.15  # no_difference: the whole interval of ctr_change lies within ±margin
    weekday_min_days: int = 21  # complete days before weekday effects are modelled
    level: float = 0.95


DEFAULT_SETTINGS = EstimateSettings()
# A weekday pattern is modelled only when every weekday has this many clicks (orders): with fewer, a
# weekday without an order would drag the others' rates to nothing.
WEEKDAY_MIN_EVENTS = 10


@dataclass(frozen=True, slots=True)
class VariantImpact:
    """One row of the image tracking table (the ``variants`` items of ``ismon impact --json``)."""

    variant: str
    share: float  # of the period's SP sightings
    impressions: int  # credited by share
    clicks: int
    orders: int
    ctr: float | None
    ctr_low: float | None
    ctr_high: float | None
    cvr: float | None
    cvr_low: float | None
    cvr_high: float | None
    ctr_change: float | None  # ctr / ctr_MAIN - 1; None for MAIN
    ctr_change_low: float | None
    ctr_change_high: float | None
    verdict: Verdict
    days: float = 0.0  # days shown: the sum of its daily shares on complete days
    sales: float = 0.0  # credited
    weekly_clicks: float | None = None  # clicks gained (+) or lost (-) a week against MAIN
    weekly_clicks_low: float | None = None
    weekly_clicks_high: float | None = None
    weekly_sales: float | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "variant": self.variant,
            "share": _round(self.share),
            "impressions": self.impressions,
            "clicks": self.clicks,
            "orders": self.orders,
            "ctr": _round(self.ctr),
            "ctr_low": _round(self.ctr_low),
            "ctr_high": _round(self.ctr_high),
            "cvr": _round(self.cvr),
            "cvr_low": _round(self.cvr_low),
            "cvr_high": _round(self.cvr_high),
            "ctr_change": _round(self.ctr_change),
            "ctr_change_low": _round(self.ctr_change_low),
            "ctr_change_high": _round(self.ctr_change_high),
            "verdict": self.verdict,
        }


@dataclass(frozen=True, slots=True)
class KeywordImpact:
    """What the shown variants did for one (marketplace, ASIN, keyword); ``keyword`` None: pooled."""

    marketplace: str
    asin: str
    keyword: str | None
    first_day: date | None  # of the complete days (sightings and ads data)
    last_day: date | None
    days: int  # complete days
    verdict: Verdict
    variants: tuple[VariantImpact, ...]
    days_without_ads: int = 0
    days_without_sightings: int = 0
    keywords: int = 1
    weekly_clicks: float | None = None  # what the shown mix gained (+) or cost (-) a week vs MAIN
    # the variants' 95% ranges added up: wider than a joint interval, never narrower
    weekly_clicks_low: float | None = None
    weekly_clicks_high: float | None = None
    weekly_sales: float | None = None

    def variant(self, name: str) -> VariantImpact | None:
        return next((v for v in self.variants if v.variant == name), None)

    def as_json(self) -> dict[str, Any]:
        """One object of ``ismon impact --json``, keys exactly as DESIGN.md."""
        return {
            "marketplace": self.marketplace,
            "asin": self.asin,
            "keyword": self.keyword,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "days": self.days,
            "verdict": self.verdict,
            "variants": [v.as_json() for v in self.variants],
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def estimate(days: Sequence[DayRow], settings: EstimateSettings = DEFAULT_SETTINGS) -> KeywordImpact:
    """The impact of one (marketplace, ASIN, keyword), or pooled over the keywords of one ASIN."""
    if not days:
        raise ValueError("estimate() needs at least one day")
    keywords = sorted({d.keyword for d in days})
    complete = [d for d in days if d.complete and (d.impressions or 0) > 0]
    period_share = _period_shares(days)
    order = sorted(period_share, key=lambda v: (v != MAIN, -period_share[v], v))
    shown = sorted({v for d in complete for v, s in d.shares.items() if s > 0})
    variant_days = {v: sum(d.shares.get(v, 0.0) for d in complete) for v in shown}

    calibrated = _calibrated(complete, shown)
    ctr_fit = _fit_rates(complete, calibrated, shown, settings, "clicks", keywords) if shown else None
    ratios = _ctr_ratios(ctr_fit, shown)
    cvr_fit = _fit_rates(complete, calibrated, shown, settings, "orders", keywords, ratios) if shown else None

    credited = _credited(complete, shown, ratios)
    main_ok = MAIN in shown and _enough(variant_days[MAIN], credited[MAIN][1], settings)
    per_week = 7.0 / len(complete) if complete else 0.0
    sales_per_click = _sales_per_click(complete)
    rows = []
    for variant in order:
        imps, clicks, orders, sales = credited.get(variant, (0.0, 0.0, 0.0, 0.0))
        enough = variant in shown and _enough(variant_days[variant], clicks, settings)
        ctr = _rate(ctr_fit, variant, settings) if variant in shown else (None, None, None)
        cvr = _rate(cvr_fit, variant, settings) if variant in shown and orders >= 0 else (None, None, None)
        change: tuple[float | None, float | None, float | None] = (None, None, None)
        verdict: Verdict = "not_enough_data"
        weekly: tuple[float | None, float | None, float | None] = (None, None, None)
        if variant == MAIN:
            verdict = "no_difference" if main_ok else "not_enough_data"
        elif ctr_fit is not None and variant in ctr_fit.columns and MAIN in ctr_fit.columns:
            change = _change(ctr_fit, variant, settings)
            if main_ok and enough:
                verdict = _verdict(change, settings.margin)
            weekly = _weekly_clicks(clicks, change, per_week)
        rows.append(
            VariantImpact(
                variant=variant,
                share=period_share[variant],
                impressions=round(imps),
                clicks=round(clicks),
                orders=round(orders),
                ctr=ctr[0],
                ctr_low=ctr[1],
                ctr_high=ctr[2],
                cvr=cvr[0],
                cvr_low=cvr[1],
                cvr_high=cvr[2],
                ctr_change=change[0],
                ctr_change_low=change[1],
                ctr_change_high=change[2],
                verdict=verdict,
                days=variant_days.get(variant, 0.0),
                sales=sales,
                weekly_clicks=weekly[0],
                weekly_clicks_low=weekly[1],
                weekly_clicks_high=weekly[2],
                weekly_sales=None if weekly[0] is None else weekly[0] * sales_per_click,
            )
        )
    return _keyword_impact(days, complete, tuple(rows), keywords, sales_per_click)


def _keyword_impact(
    days: Sequence[DayRow],
    complete: Sequence[DayRow],
    variants: tuple[VariantImpact, ...],
    keywords: list[str],
    sales_per_click: float,
) -> KeywordImpact:
    decided = [v for v in variants if v.variant != MAIN and v.verdict in ("worse", "better")]
    weekly = [v for v in decided if v.weekly_clicks is not None]
    total = sum(v.weekly_clicks or 0.0 for v in weekly) if weekly else None
    return KeywordImpact(
        marketplace=days[0].marketplace,
        asin=days[0].asin,
        keyword=keywords[0] if len(keywords) == 1 else None,
        first_day=min((d.day for d in complete), default=None),
        last_day=max((d.day for d in complete), default=None),
        days=len(complete),
        verdict=_overall_verdict(variants),
        variants=variants,
        days_without_ads=sum(1 for d in days if d.sightings > 0 and not d.has_ads),
        days_without_sightings=sum(1 for d in days if d.has_ads and d.sightings == 0),
        keywords=len(keywords),
        weekly_clicks=total,
        weekly_clicks_low=sum(v.weekly_clicks_low or 0.0 for v in weekly) if weekly else None,
        weekly_clicks_high=sum(v.weekly_clicks_high or 0.0 for v in weekly) if weekly else None,
        weekly_sales=None if total is None else total * sales_per_click,
    )


_SEVERITY: dict[str, int] = {"worse": 0, "not_enough_data": 1, "no_difference": 2, "better": 3}


MINOR_SHARE = 0.05  # an image this rarely shown decides a keyword's verdict only when it is worse


def _overall_verdict(variants: Sequence[VariantImpact]) -> Verdict:
    """The worst non-MAIN variant's verdict.

    ``worse`` always wins. Otherwise an unidentified image (``UNKNOWN``) and an image shown in under 5%
    of the sightings without a verdict of its own do not turn a keyword's answer into "not enough
    data": a picture seen twice in three months says nothing about the ones shown every day.
    """
    others = [v for v in variants if v.variant != MAIN]
    if any(v.verdict == "worse" for v in others):
        return "worse"
    gallery = [v for v in others if v.variant != UNKNOWN_VARIANT]
    deciding = [v for v in gallery if v.verdict != "not_enough_data" or v.share >= MINOR_SHARE]
    if not deciding:
        return "not_enough_data"
    return min((v.verdict for v in deciding), key=lambda verdict: _SEVERITY[verdict])


def _verdict(change: tuple[float | None, float | None, float | None], margin: float) -> Verdict:
    _value, low, high = change
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "not_enough_data"
    if high < 0:
        return "worse"
    if low > 0:
        return "better"
    if low >= -margin and high <= margin:
        return "no_difference"
    return "not_enough_data"


def _enough(variant_days: float, clicks: float, settings: EstimateSettings) -> bool:
    return variant_days >= settings.min_days and clicks >= settings.min_clicks


def _period_shares(days: Sequence[DayRow]) -> dict[str, float]:
    counts: dict[str, float] = {}
    for d in days:
        for variant, share in d.shares.items():
            counts[variant] = counts.get(variant, 0.0) + share * d.sightings
    total = sum(counts.values())
    return {v: n / total for v, n in counts.items()} if total else {}


def _sales_per_click(days: Sequence[DayRow]) -> float:
    clicks = sum(d.clicks or 0 for d in days)
    return sum(d.sales or 0.0 for d in days) / clicks if clicks else 0.0


def _ctr_ratios(fit: RateFit | None, shown: Sequence[str]) -> dict[str, float]:
    """Each variant's estimated CTR relative to the mean, to split a mixed day's clicks."""
    if fit is None:
        return dict.fromkeys(shown, 1.0)
    logs = {v: fit.log_rate(v) for v in shown if v in fit.columns}
    top = max(logs.values())
    return {v: math.exp(max(logs[v] - top, -30.0)) if v in logs else 1.0 for v in shown}


def _credited(
    days: Sequence[DayRow], shown: Sequence[str], ratios: dict[str, float]
) -> dict[str, tuple[float, float, float, float]]:
    """Impressions by share; clicks, orders and sales by share weighted with the CTR ratio."""
    out: dict[str, list[float]] = {v: [0.0, 0.0, 0.0, 0.0] for v in shown}
    for d in days:
        weights = {v: s * ratios.get(v, 1.0) for v, s in d.shares.items()}
        total = sum(weights.values()) or 1.0
        for v, s in d.shares.items():
            w = weights[v] / total
            out[v][0] += s * (d.impressions or 0)
            out[v][1] += w * (d.clicks or 0)
            out[v][2] += w * (d.orders or 0)
            out[v][3] += w * (d.sales or 0.0)
    return {v: (a, b, c, e) for v, (a, b, c, e) in out.items()}


def _rate(
    fit: RateFit | None, variant: str, settings: EstimateSettings
) -> tuple[float | None, float | None, float | None]:
    if fit is None or variant not in fit.columns:
        return None, None, None
    value, low, high = fit.interval(fit.unit(variant), settings.level)
    rate, lower, upper = _exp(value), _exp(low), _exp(high)
    return tuple(None if r is None else min(r, 1.0) for r in (rate, lower, upper))  # type: ignore[return-value]


def _change(
    fit: RateFit, variant: str, settings: EstimateSettings
) -> tuple[float | None, float | None, float | None]:
    value, low, high = fit.interval(fit.unit(variant) - fit.unit(MAIN), settings.level)
    return _expm1(value), _expm1(low), _expm1(high)


def _exp(x: float) -> float | None:
    return math.exp(x) if math.isfinite(x) and x < 700 else None


def _expm1(x: float) -> float | None:
    return math.expm1(x) if math.isfinite(x) and x < 700 else None


def _weekly_clicks(
    clicks: float, change: tuple[float | None, float | None, float | None], per_week: float
) -> tuple[float | None, float | None, float | None]:
    """Clicks the variant gained or lost a week: its clicks minus what MAIN would have had instead."""
    out: list[float | None] = []
    for c in change:
        out.append(None if c is None or c <= -1 else clicks * (1 - 1 / (1 + c)) * per_week)
    return out[0], out[1], out[2]


def _calibrated(days: Sequence[DayRow], shown: Sequence[str]) -> FloatArray:
    counts = np.array([[d.shares.get(v, 0.0) * d.sightings for v in shown] for d in days])
    return calibrated_shares(counts.reshape(len(days), len(shown)))


def _fit_rates(
    days: Sequence[DayRow],
    calibrated: FloatArray,
    shown: Sequence[str],
    settings: EstimateSettings,
    outcome: Literal["clicks", "orders"],
    keywords: Sequence[str],
    ratios: dict[str, float] | None = None,
) -> RateFit | None:
    """The rate model of clicks on impressions (or orders on clicks) with the variant shares.

    Left out of the fit (their rows say "not enough data"): a variant shown on less than one day or
    never clicked (ordered), with the days it was seen on; then the days of a keyword without clicks
    (orders), which say nothing about the variants' ratios.
    """
    exposure = np.array([float((d.impressions if outcome == "clicks" else d.clicks) or 0) for d in days])
    y = np.array([float((d.clicks if outcome == "clicks" else d.orders) or 0) for d in days])
    raw = np.array([[d.shares.get(v, 0.0) for v in shown] for d in days]).reshape(len(days), len(shown))
    fitted = [j for j, _v in enumerate(shown) if raw[:, j].sum() >= 1.0 and raw[:, j] @ y > 0]
    rare = [j for j in range(len(shown)) if j not in fitted]
    keep = (exposure > 0) & (raw[:, rare].sum(axis=1) == 0)
    active = {d.keyword for d, events, k in zip(days, y, keep, strict=True) if events > 0 and k}
    keep &= np.array([d.keyword in active for d in days], dtype=bool)
    if not fitted or keep.sum() < 2:
        return None
    columns = [shown[j] for j in fitted]
    shares = calibrated[np.ix_(keep, fitted)]
    if ratios is not None:  # the clicks of a mixed day came more from the variant clicked more
        shares = shares * np.array([ratios.get(v, 1.0) for v in columns])
    shares = shares / np.maximum(shares.sum(axis=1, keepdims=True), 1e-12)
    days = [d for d, k in zip(days, keep, strict=True) if k]
    exposure, y = exposure[keep], y[keep]
    blocks = [np.zeros((len(days), 0))]
    weekdays = [d.day.weekday() for d in days]
    per_weekday = np.bincount(weekdays, weights=y, minlength=7)[sorted(set(weekdays))]
    if len(days) >= settings.weekday_min_days and per_weekday.min() >= WEEKDAY_MIN_EVENTS:
        blocks.append(sum_to_zero(weekdays, exposure))
    if len(active) > 1:
        blocks.append(sum_to_zero([keywords.index(d.keyword) for d in days], exposure))
    return fit_rates(y, exposure, shares, np.column_stack(blocks), columns)
