"""The rate model behind every impact estimate: clicks on impressions (or orders on clicks) per variant.

Where it sits: inside ``monitor.impact.estimate``, which builds the inputs and reads the intervals.

Each impression shows one image, so a day that showed MAIN and PT02 half and half has the average of
their CTRs — a mixture, not a majority vote and not a product:

    E[clicks_d] = impressions_d * exp(weekday_d + keyword_d) * sum_v share_dv * exp(b_v)

``exp(b_v)`` is variant v's CTR on an average weekday (sum-to-zero coding of weekday and keyword
effects). The model is fitted with statsmodels (``GenericLikelihoodModel``, Newton) as a
quasi-likelihood: day-level noise (about ±15% a day in real accounts) makes the variance of a day's
clicks mu + k mu^2, so after a Poisson fit k is estimated from the residuals (moments) and the model is
fitted again with each day weighted by 1 / (1 + k mu), as a negative binomial GLM would. The covariance
is then widened by the Pearson scale of that variance (never below 1), so the intervals include the
day-to-day variation the data shows, not only the Poisson noise of the clicks. Each interval takes the
wider of that variance and the day-robust (sandwich) one, and Student's t with the residual degrees of
freedom. When the mixture fit fails, the log-linear GLM
``log E = ... + sum_v share_dv b_v`` (the same model on days that showed one variant) stands in.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class RateFit:
    """A fitted rate model: per variant (``columns``) the log rate, then the nuisance effects."""

    columns: tuple[str, ...]
    params: FloatArray
    cov: FloatArray  # model-based: the quasi-likelihood variance mu (1 + k mu), Pearson-scaled
    df_resid: float
    robust: FloatArray | None = None  # sandwich by day: holds when the variance is shaped otherwise

    def interval(self, contrast: FloatArray, level: float) -> tuple[float, float, float]:
        """(estimate, low, high) of ``contrast @ params`` on the log scale, with the wider variance."""
        from scipy import stats

        value = float(contrast @ self.params)
        variance = float(contrast @ self.cov @ contrast)
        if self.robust is not None:
            variance = max(variance, float(contrast @ self.robust @ contrast))
        se = math.sqrt(max(variance, 0.0))
        q = float(stats.t.ppf(0.5 + level / 2, max(self.df_resid, 1.0)))
        return value, value - q * se, value + q * se

    def unit(self, variant: str) -> FloatArray:
        c = np.zeros(len(self.params))
        c[self.columns.index(variant)] = 1.0
        return c

    def log_rate(self, variant: str) -> float:
        return float(self.params[self.columns.index(variant)])


def sum_to_zero(levels: Sequence[int], weights: FloatArray) -> FloatArray:
    """Effects of ``levels`` that sum to zero weighted by ``weights`` (the exposure of each row).

    The variant rates are then those of the exposure-weighted average level (weekday, keyword), and a
    small keyword's uncertain effect hardly moves them. The level with the most exposure is the one
    whose effect follows from the others.
    """
    present = sorted(set(levels))
    if len(present) < 2:
        return np.zeros((len(levels), 0))
    total = {level: 0.0 for level in present}
    for level, weight in zip(levels, weights, strict=True):
        total[level] += float(weight)
    base = max(present, key=lambda level: total[level])
    others = [level for level in present if level != base]
    columns = np.zeros((len(levels), len(others)))
    ratio = np.array([total[level] / max(total[base], 1e-12) for level in others])
    for row, level in enumerate(levels):
        if level == base:
            columns[row, :] = -ratio
        else:
            columns[row, others.index(level)] = 1.0
    return columns


def fit_rates(
    events: FloatArray, exposure: FloatArray, shares: FloatArray, nuisance: FloatArray, columns: Sequence[str]
) -> RateFit | None:
    """Fit the mixture model; None when the data cannot carry it (too few days, no variation)."""
    x = np.column_stack([shares, nuisance])
    if len(events) <= np.linalg.matrix_rank(x.T @ x):  # the small Gram matrix: cheap on a year of days
        return None
    start = np.zeros(x.shape[1])
    start[: shares.shape[1]] = math.log(max(float(events.sum()), 0.5) / max(float(exposure.sum()), 1.0))
    weights = np.ones(len(events))
    mixture = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # separation, a variant never clicked: its interval shows it
        try:
            params, cov = _mixture(events, exposure, shares, nuisance, start, weights)
            if _finite(params, cov):
                # Day-level noise makes the variance mu + k mu^2 (k ~ 0.02 for ±15% a day): weigh
                # each day by 1 / (1 + k mu), the quasi-likelihood of that variance (as NB2 does).
                mu = _mean(params, exposure, shares, nuisance)
                k = max(float(np.sum((events - mu) ** 2 - events) / max(float(np.sum(mu**2)), 1e-12)), 0.0)
                weights = 1.0 / (1.0 + k * mu)
                refit = _mixture(events, exposure, shares, nuisance, params, weights)
                params, cov = refit if _finite(*refit) else (params, cov)
                weights = weights if _finite(*refit) else np.ones(len(events))
            else:
                # The log-linear GLM is the same model on single-variant days, and IRLS is steadier.
                params, cov = _log_linear(events, exposure, x)
                mixture = False
        except (ValueError, np.linalg.LinAlgError, OverflowError):
            return None
    if not _finite(params, cov):
        return None
    df_resid = float(len(events) - x.shape[1])
    mu = _mean(params, exposure, shares, nuisance)
    scale = float(np.sum(weights * (events - mu) ** 2 / np.maximum(mu, 1e-12)) / df_resid)
    return RateFit(tuple(columns), params, cov * max(scale, 1.0), df_resid, _sandwich(params, cov, mixture,
                   events, exposure, shares, nuisance, weights))  # fmt: skip


def _sandwich(
    params: FloatArray,
    cov: FloatArray,
    mixture: bool,
    events: FloatArray,
    exposure: FloatArray,
    shares: FloatArray,
    nuisance: FloatArray,
    weights: FloatArray,
) -> FloatArray | None:
    """The day-robust covariance of the mixture fit: each day's score contribution, n/(n-p) corrected."""
    if not mixture:
        return None
    _grad, mu, g = _derivatives(params, events, exposure, shares, nuisance, weights)
    per_day = g * (weights * (events / np.maximum(mu, 1e-300) - 1.0))[:, None]
    robust: FloatArray = cov @ (per_day.T @ per_day) @ cov * (len(events) / max(len(events) - len(params), 1))
    return robust if bool(np.all(np.isfinite(robust))) else None


def _finite(params: FloatArray, cov: FloatArray) -> bool:
    return bool(np.all(np.isfinite(params)) and np.all(np.isfinite(cov)))


def _log_linear(events: FloatArray, exposure: FloatArray, x: FloatArray) -> tuple[FloatArray, FloatArray]:
    from statsmodels.genmod.families import Poisson
    from statsmodels.genmod.generalized_linear_model import GLM

    result = GLM(events, x, family=Poisson(), exposure=exposure).fit()
    return np.asarray(result.params, dtype=np.float64), np.asarray(result.cov_params(), dtype=np.float64)


def _mean(params: FloatArray, exposure: FloatArray, shares: FloatArray, nuisance: FloatArray) -> FloatArray:
    k = shares.shape[1]
    rates = np.exp(np.clip(params[:k], -50.0, 50.0))
    level = np.exp(np.clip(nuisance @ params[k:], -50.0, 50.0)) if nuisance.shape[1] else 1.0
    result: FloatArray = exposure * level * (shares @ rates)
    return result


def _mixture(
    events: FloatArray,
    exposure: FloatArray,
    shares: FloatArray,
    nuisance: FloatArray,
    start: FloatArray,
    weights: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Maximise the day-weighted Poisson log-likelihood of the mixture model (statsmodels, Newton)."""
    from statsmodels.base.model import GenericLikelihoodModel

    def loglike(params: FloatArray) -> float:
        mu = np.maximum(_mean(params, exposure, shares, nuisance), 1e-300)
        return float(np.sum(weights * (events * np.log(mu) - mu)))

    def score(params: FloatArray) -> FloatArray:
        grad, _mu, _g = _derivatives(params, events, exposure, shares, nuisance, weights)
        return np.asarray(grad, dtype=np.float64)

    def hessian(params: FloatArray) -> FloatArray:
        _grad, mu, g = _derivatives(params, events, exposure, shares, nuisance, weights)
        k = shares.shape[1]
        resid = weights * (events / np.maximum(mu, 1e-300) - 1.0)
        second = -(g * (weights * events / np.maximum(mu, 1e-300) ** 2)[:, None]).T @ g
        second[:k, :k] += np.diag(resid @ g[:, :k])
        second[:k, k:] += (g[:, :k] * resid[:, None]).T @ nuisance
        second[k:, :k] = second[:k, k:].T
        second[k:, k:] += (nuisance * (resid * mu)[:, None]).T @ nuisance
        return np.asarray(second, dtype=np.float64)

    # No exog: the model is in the callables, and statsmodels would take the rank of a year of rows.
    model: Any = GenericLikelihoodModel(events, None, loglike=loglike, score=score, hessian=hessian)
    result = model.fit(start_params=start, method="newton", maxiter=100, disp=0)
    if not result.mle_retvals.get("converged", False):
        return np.full_like(start, np.nan), np.full((len(start), len(start)), np.nan)
    return np.asarray(result.params, dtype=np.float64), np.asarray(result.cov_params(), dtype=np.float64)


def _derivatives(
    params: FloatArray,
    events: FloatArray,
    exposure: FloatArray,
    shares: FloatArray,
    nuisance: FloatArray,
    weights: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The score, the means and d mu / d params (days x params) of the Poisson mixture likelihood."""
    k = shares.shape[1]
    rates = np.exp(np.clip(params[:k], -50.0, 50.0))
    level = np.exp(np.clip(nuisance @ params[k:], -50.0, 50.0)) if nuisance.shape[1] else np.ones(len(events))
    base = exposure * level
    mu = base * (shares @ rates)
    g = np.column_stack([base[:, None] * shares * rates[None, :], mu[:, None] * nuisance])
    grad: FloatArray = (weights * (events / np.maximum(mu, 1e-300) - 1.0)) @ g
    return grad, mu, g
