"""95% confidence intervals of the quality metrics. Pure numpy/scipy.

The method per metric (documented in docs/metrics.md):
- a proportion (accuracy; binary precision and recall): Wilson score interval on its own denominator;
- a mean of per-row losses (log loss, Brier score, MAE, MAPE): normal interval of the mean,
  mean +- z * s / sqrt(n) with the sample standard deviation s (central limit theorem);
- RMSE: the square root of the normal interval of the mean squared error (a monotone transform);
- R²: delta method on R² = 1 - MSE / Var(y) (its influence function), normal interval;
- binary ROC AUC: DeLong's variance (fast midrank algorithm of Sun & Xu, 2014), normal interval;
- binary PR AUC (average precision): logit interval of Boyd, Eng & Page (2013),
  expit(logit(AP) +- z / sqrt(n_pos * AP * (1 - AP)));
- F1, and multiclass precision, recall and F1: percentile bootstrap. These depend on the rows only
  through the confusion matrix, and resampling n rows with replacement draws that matrix from a
  multinomial with the observed cell shares, so the bootstrap samples the matrix directly:
  BOOTSTRAP_CONFUSION replicates, fixed seed, exact equivalent of a row bootstrap and cheap at any n;
- multiclass ROC AUC and PR AUC: percentile bootstrap over rows, BOOTSTRAP_ROWS replicates,
  fixed seed (the cost is that many scikit-learn evaluations).
Every interval is clipped to the metric's range. Fewer than two rows (or an undefined variance)
give no interval. The fixed seed makes a window's interval the same every time it is computed.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.special import expit, logit
from scipy.stats import norm, rankdata

Z95 = float(norm.ppf(0.975))
SEED = 20_261_122
BOOTSTRAP_CONFUSION = 2000
BOOTSTRAP_ROWS = 200

Interval = tuple[float, float] | None


def _clip(low: float, high: float, lower: float = -math.inf, upper: float = math.inf) -> Interval:
    if not (math.isfinite(low) and math.isfinite(high)):
        return None
    return max(lower, low), min(upper, high)


def wilson(successes: int, trials: int) -> Interval:
    if trials == 0:
        return None
    z2 = Z95 * Z95
    centre = (successes + z2 / 2) / (trials + z2)
    half = Z95 / (trials + z2) * math.sqrt(successes * (trials - successes) / trials + z2 / 4)
    return _clip(centre - half, centre + half, 0.0, 1.0)


def mean_interval(losses: np.ndarray, lower: float = 0.0, upper: float = math.inf) -> Interval:
    n = len(losses)
    if n < 2:
        return None
    return normal_mean_interval(float(np.mean(losses)), float(np.std(losses, ddof=1)), n, lower, upper)


def normal_mean_interval(
    mean: float, sd: float, n: int, lower: float = 0.0, upper: float = math.inf
) -> Interval:
    """mean +- z * sd / sqrt(n) of n values with sample standard deviation sd."""
    if n < 2:
        return None
    half = Z95 * sd / math.sqrt(n)
    return _clip(mean - half, mean + half, lower, upper)


def rmse_interval(squared_errors: np.ndarray) -> Interval:
    mse = mean_interval(squared_errors)
    return None if mse is None else (math.sqrt(mse[0]), math.sqrt(mse[1]))


def r2_interval(actual: np.ndarray, predicted: np.ndarray) -> Interval:
    n = len(actual)
    if n < 3:
        return None
    squared = (actual - predicted) ** 2
    deviation = (actual - actual.mean()) ** 2
    mse, variance = squared.mean(), deviation.mean()
    if variance == 0:
        return None
    r2 = 1 - mse / variance
    # Influence of each row on R² = 1 - mse / variance.
    influence = -(squared - mse) / variance + mse * (deviation - variance) / variance**2
    half = Z95 * float(np.std(influence, ddof=1)) / math.sqrt(n)
    return _clip(r2 - half, r2 + half, upper=1.0)


def r2_delta_interval(
    n: int, mse: float, variance: float, squared_ss: float, deviation_ss: float, co_ss: float
) -> Interval:
    """r2_interval from sums instead of rows: with dev = (y - mean y)^2, squared_ss is the sum of
    (e^2 - mse)^2, deviation_ss of (dev - variance)^2, co_ss of (e^2 - mse)(dev - variance); the sum
    of squared influences expands into these three (their mean is 0)."""
    if n < 3 or variance == 0:
        return None
    r2 = 1 - mse / variance
    influence_ss = (
        squared_ss / variance**2 + mse**2 * deviation_ss / variance**4 - 2 * mse * co_ss / variance**3
    )
    half = Z95 * math.sqrt(max(influence_ss, 0.0) / (n - 1)) / math.sqrt(n)
    return _clip(r2 - half, r2 + half, upper=1.0)


def delong_auc(positive: np.ndarray, scores: np.ndarray) -> tuple[float, float]:
    """(AUC, DeLong variance) for boolean `positive`; the AUC equals scikit-learn's roc_auc_score."""
    pos, neg = scores[positive], scores[~positive]
    m, n = len(pos), len(neg)
    ranks_all = rankdata(np.concatenate([pos, neg]))
    ranks_pos, ranks_neg = rankdata(pos), rankdata(neg)
    auc = (ranks_all[:m].sum() - m * (m + 1) / 2) / (m * n)
    v_pos = (ranks_all[:m] - ranks_pos) / n  # per positive: share of negatives it outranks
    v_neg = 1.0 - (ranks_all[m:] - ranks_neg) / m  # per negative: share of positives above it
    variance = (np.var(v_pos, ddof=1) / m if m > 1 else math.nan) + (
        np.var(v_neg, ddof=1) / n if n > 1 else math.nan
    )
    return float(auc), float(variance)


def delong_interval(positive: np.ndarray, scores: np.ndarray) -> Interval:
    auc, variance = delong_auc(positive, scores)
    return normal_interval(auc, math.sqrt(variance) if variance >= 0 else math.nan)


def normal_interval(centre: float, sd: float, lower: float = 0.0, upper: float = 1.0) -> Interval:
    """centre +- z * sd, clipped; None when sd is not finite."""
    if not math.isfinite(sd):
        return None
    half = Z95 * sd
    return _clip(centre - half, centre + half, lower, upper)


def average_precision_interval(ap: float, positives: int) -> Interval:
    if positives == 0 or not 0.0 < ap < 1.0:
        return None
    half = Z95 / math.sqrt(positives * ap * (1 - ap))
    centre = float(logit(ap))
    return float(expit(centre - half)), float(expit(centre + half))


def _percentile(values: np.ndarray) -> Interval:
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return None
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def confusion_bootstrap(
    confusion: np.ndarray,
    statistic: Callable[[np.ndarray], np.ndarray],
    lower: float = 0.0,
    upper: float = 1.0,
) -> Interval:
    """Percentile interval of `statistic` over multinomial resamples of a k x k confusion matrix.
    `statistic` maps a (B, k, k) stack of matrices to B values (NaN where undefined)."""
    n = int(confusion.sum())
    if n < 2:
        return None
    rng = np.random.default_rng(SEED)
    k = confusion.shape[0]
    draws = rng.multinomial(n, confusion.ravel() / n, size=BOOTSTRAP_CONFUSION).reshape(-1, k, k)
    interval = _percentile(statistic(draws))
    return None if interval is None else _clip(*interval, lower, upper)


def row_bootstrap(
    n: int, statistic: Callable[[np.ndarray], float | None], lower: float = 0.0, upper: float = 1.0
) -> Interval:
    """Percentile interval of `statistic(indices)` over BOOTSTRAP_ROWS resamples of n rows;
    replicates where the statistic is undefined (None) are left out."""
    if n < 2:
        return None
    rng = np.random.default_rng(SEED)
    values = []
    for _ in range(BOOTSTRAP_ROWS):
        value = statistic(rng.integers(0, n, n))
        values.append(math.nan if value is None else value)
    interval = _percentile(np.asarray(values, dtype=float))
    return None if interval is None else _clip(*interval, lower, upper)
