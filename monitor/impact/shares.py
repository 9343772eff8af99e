"""The shares a day's sightings stand for: what fraction of the day's impressions showed each variant.

Where it sits: inside ``monitor.impact.estimate``, between the join and the model. A day's share of a
variant is measured from a handful of sightings (six sweeps a day: 3 of 6 is 0.5 ± 0.2), and a
regressor measured with noise pulls an estimated effect toward zero ("regression dilution"): a -50%
image would look like -45%, and its interval would miss the truth too often. Regression calibration
replaces each observed share by its expected true share given the sightings, under a distribution of
true shares fitted across the days of the same (ASIN, keyword) (a nonparametric maximum likelihood
mixing distribution on a grid, by EM): 3 of 6 on an account whose mixed days are half and half stays
0.5, 6 of 6 stays near 1, 5 of 6 moves toward what such days usually are.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
_GRID = np.linspace(0.0, 1.0, 21)


# Within-day mixing can only be seen on days with a few sightings; with one sweep a day it cannot be
# told from a pure day, so the observed shares are used as they are.
MIN_SIGHTINGS = 3  # sightings a day for the day to inform the distribution of true shares
MIN_DAYS = 10  # such days needed before any share is calibrated


def calibrated_shares(counts: FloatArray, iterations: int = 100) -> FloatArray:
    """Rows of sighting counts per variant (days x variants) -> expected true shares (rows sum to 1)."""
    from scipy import stats

    totals = counts.sum(axis=1)
    out = np.zeros_like(counts, dtype=np.float64)
    seen = totals > 0
    np.divide(counts, totals[:, None], out=out, where=seen[:, None])
    if int(np.count_nonzero(totals >= MIN_SIGHTINGS)) < MIN_DAYS:
        return out
    for j in range(counts.shape[1]):
        # Days with the same (count, total) share a posterior: EM runs on the distinct pairs only.
        codes = np.rint(counts[seen, j]).astype(np.int64) * 100_000 + np.rint(totals[seen]).astype(np.int64)
        unique, inverse, weight = np.unique(codes, return_inverse=True, return_counts=True)
        pairs = np.column_stack([unique // 100_000, unique % 100_000]).astype(np.float64)
        likelihood = stats.binom.pmf(pairs[:, :1], pairs[:, 1:], _GRID[None, :])
        informative = np.where(pairs[:, 1] >= MIN_SIGHTINGS, weight, 0).astype(np.float64)
        mixing = np.full(len(_GRID), 1.0 / len(_GRID))
        for _ in range(iterations):
            posterior = likelihood * mixing
            posterior /= np.maximum(posterior.sum(axis=1, keepdims=True), 1e-300)
            updated = informative @ posterior / informative.sum()
            converged = np.abs(updated - mixing).max() < 1e-5
            mixing = updated
            if converged:
                break
        posterior = likelihood * mixing
        posterior /= np.maximum(posterior.sum(axis=1, keepdims=True), 1e-300)
        out[seen, j] = (posterior @ _GRID)[inverse.ravel()]
    sums = out.sum(axis=1, keepdims=True)
    np.divide(out, sums, out=out, where=sums > 0)
    return out
